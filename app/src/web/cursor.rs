//! The time cursor of the pages that go on by creation time (a chain's
//! projects, a post's comments, a project's comments, notifications):
//! `<microseconds since the epoch>_<uuid>`. Malformed is a 400.

use uuid::Uuid;

use crate::error::AppError;

/// The `(time, id)` a cursor names.
pub fn decode_time_cursor(s: &str) -> Result<(time::OffsetDateTime, Uuid), AppError> {
    let bad = || AppError::BadRequest(format!("malformed page cursor \"{s}\""));
    let (t, id) = s.rsplit_once('_').ok_or_else(bad)?;
    let micros: i64 = t.parse().map_err(|_| bad())?;
    let id = Uuid::parse_str(id).map_err(|_| bad())?;
    let at = data::chains::from_micros(micros).map_err(|_| bad())?;
    Ok((at, id))
}

/// The cursor of the page after the row `(at, id)`.
pub fn encode_time_cursor(at: time::OffsetDateTime, id: Uuid) -> String {
    format!("{}_{id}", data::chains::micros(at))
}

/// An optional cursor from a query parameter (absent or empty: the first
/// page).
pub fn time_cursor_param(
    s: Option<&str>,
) -> Result<Option<(time::OffsetDateTime, Uuid)>, AppError> {
    match s {
        None | Some("") => Ok(None),
        Some(s) => decode_time_cursor(s).map(Some),
    }
}
