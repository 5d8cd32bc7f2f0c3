//! A page link's cursor (`data::cursor`): absent or empty is the first
//! page, malformed is a 400 that quotes it.

use data::cursor::{Cursor, KeyKind};

use crate::error::AppError;

/// The cursor a page link names, for a list ordered by `kind`.
pub fn cursor_param(kind: KeyKind, s: Option<&str>) -> Result<Option<Cursor>, AppError> {
    Cursor::param(kind, s).map_err(AppError::BadRequest)
}
