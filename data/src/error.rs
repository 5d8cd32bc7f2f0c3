//! The one error of the data layer's writes and checks.
//!
//! Policy:
//! - A check that fails writes nothing: every write checks inside its
//!   transaction and returns before committing.
//! - Bad input is `Invalid`, one message per form field, written for the
//!   person who typed it (the pages show it next to the field as given).
//!   Rules about the input that only the database can answer (a badge the
//!   validator already gave, too many open reports) are `Invalid` too, on
//!   the field the person can change.
//! - `NotFound` is an unknown, deleted or invisible item: a private chain
//!   is as unknown to an outsider as a chain that does not exist.
//! - `Forbidden` is a known item the actor may not act on (not theirs, not
//!   their role).
//! - `Conflict` is an item no longer in a state that allows the write (an
//!   application already decided, an intro request no longer pending, one
//!   already open): the message says which.
//! - `RateLimited` is a per-user cap on a kind of write in a window.
//! - `Busy` is this instance's password hashing at capacity: try again.
//! - Anything else is the database's (`Db`) or the hashing library's
//!   (`Hash`) failure, for the caller to log; it is never shown.

/// The data layer's error (see the module doc for when each is used).
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Field problems: (form field, message for a person), in form order.
    #[error("invalid input")]
    Invalid(Vec<(&'static str, String)>),
    #[error("not found")]
    NotFound,
    #[error("not allowed")]
    Forbidden,
    /// A message for a person.
    #[error("{0}")]
    Conflict(String),
    #[error("too many, try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    #[error(transparent)]
    Busy(#[from] crate::users::Busy),
    #[error("password hashing failed: {0}")]
    Hash(String),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

impl Error {
    /// One field's problem.
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        Error::Invalid(vec![(field, message.into())])
    }
}
