//! The one error type of Proofwork, shared by server functions and pages.
//!
//! Policy:
//! - Bad input is the caller's problem: `Invalid` carries one message per
//!   field (and the values to put back in the form, never passwords) and
//!   answers 422. Nothing is written when input is invalid.
//! - Authorization failures are 401 (not signed in) or 403 (signed in, not
//!   allowed); unknown ids are 404; throttled requests are 429.
//! - Anything unexpected is `Internal` (500): the cause is logged on the
//!   server with its chain and the person sees a generic message, never
//!   SQL or stack details. `Unavailable` (503) is for PostgreSQL being
//!   unreachable.
//! - The data layer's `data::Error` converts with `?` (one `From`): its
//!   kinds map one to one, and a page adds the values to show again with
//!   [`AppError::with_values`].
//! - Malformed requests that never reached our code (missing or mistyped
//!   form fields) arrive as server_fn errors and become `BadRequest` (400).

use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

/// Field-level problems with a submitted form.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Invalid {
    /// (field name, message for a person), in form order.
    pub errors: Vec<(String, String)>,
    /// The submitted values to show again (never passwords).
    pub values: Vec<(String, String)>,
}

/// The most characters of a submitted value shown again with its form
/// (the state of a failed form waits in the session: keep it small).
pub const ECHO_MAX: usize = 2500;

impl Invalid {
    /// One message per field, with the `values` typed (each cut to
    /// [`ECHO_MAX`] characters) to show again.
    pub fn fields(errors: Vec<(&str, String)>, values: &[(&str, &str)]) -> Self {
        Invalid {
            errors: errors
                .into_iter()
                .map(|(f, m)| (f.to_string(), m))
                .collect(),
            values: values
                .iter()
                .map(|(f, v)| (f.to_string(), v.chars().take(ECHO_MAX).collect()))
                .collect(),
        }
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        Invalid {
            errors: vec![(field.to_string(), message.into())],
            values: Vec::new(),
        }
    }

    pub fn with_value(mut self, field: &str, value: &str) -> Self {
        self.values.push((field.to_string(), value.to_string()));
        self
    }

    pub fn error_for(&self, field: &str) -> Option<String> {
        self.errors
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, m)| m.clone())
    }

    pub fn value_for(&self, field: &str) -> Option<String> {
        self.values
            .iter()
            .find(|(f, _)| f == field)
            .map(|(_, v)| v.clone())
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    #[error("Please correct the highlighted fields.")]
    Invalid(Invalid),
    #[error("Wrong username or password.")]
    BadCredentials,
    #[error("Please log in first.")]
    Unauthorized,
    #[error("You are not allowed to do that.")]
    Forbidden,
    #[error("That page or item does not exist.")]
    NotFound,
    /// The item is no longer in a state that allows this (e.g. an
    /// application already decided, a report already closed): 409.
    #[error("{0}")]
    Conflict(String),
    #[error("Too many attempts. Try again in {retry_after_secs} seconds.")]
    RateLimited { retry_after_secs: u64 },
    #[error("Cross-site request rejected.")]
    CrossSite,
    #[error("Bad request: {0}")]
    BadRequest(String),
    #[error("The service is temporarily unavailable. Please try again shortly.")]
    Unavailable,
    #[error("Something went wrong on our side. It has been logged.")]
    Internal,
}

impl AppError {
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid(Invalid::field(field, message))
    }

    /// The HTTP status this error answers with.
    pub fn status(&self) -> u16 {
        match self {
            AppError::Invalid(_) => 422,
            AppError::BadCredentials | AppError::Unauthorized => 401,
            AppError::Forbidden | AppError::CrossSite => 403,
            AppError::NotFound => 404,
            AppError::Conflict(_) => 409,
            AppError::RateLimited { .. } => 429,
            AppError::BadRequest(_) => 400,
            AppError::Unavailable => 503,
            AppError::Internal => 500,
        }
    }

    /// With the values typed into the form to show again next to the
    /// messages (each cut to [`ECHO_MAX`] characters); other errors are
    /// returned as they are.
    pub fn with_values(self, values: &[(&str, &str)]) -> Self {
        match self {
            AppError::Invalid(mut inv) => {
                inv.values.extend(
                    values
                        .iter()
                        .map(|(f, v)| (f.to_string(), v.chars().take(ECHO_MAX).collect())),
                );
                AppError::Invalid(inv)
            }
            other => other,
        }
    }

    pub fn field_error(&self, field: &str) -> Option<String> {
        match self {
            AppError::Invalid(inv) => inv.error_for(field),
            _ => None,
        }
    }

    pub fn field_value(&self, field: &str) -> Option<String> {
        match self {
            AppError::Invalid(inv) => inv.value_for(field),
            _ => None,
        }
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            ServerFnErrorErr::Args(msg)
            | ServerFnErrorErr::MissingArg(msg)
            | ServerFnErrorErr::Deserialization(msg) => AppError::BadRequest(msg),
            ServerFnErrorErr::UnsupportedRequestMethod(msg) => AppError::BadRequest(msg),
            ServerFnErrorErr::ServerError(msg) | ServerFnErrorErr::MiddlewareError(msg) => {
                #[cfg(feature = "ssr")]
                tracing::error!(cause = %msg, "server function failed");
                let _ = msg;
                AppError::Internal
            }
            _ => AppError::Internal,
        }
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx_error::Error> for AppError {
    fn from(err: sqlx_error::Error) -> Self {
        if matches!(
            err,
            sqlx_error::Error::PoolTimedOut
                | sqlx_error::Error::Io(_)
                | sqlx_error::Error::PoolClosed
        ) {
            tracing::error!(error = %err, "database unavailable");
            return AppError::Unavailable;
        }
        // Text PostgreSQL cannot store (a NUL character, "\0", is valid
        // UTF-8 and passes our validation, but no `text` column takes it)
        // is the client's input, not our failure.
        if let sqlx_error::Error::Database(db) = &err {
            if matches!(db.code().as_deref(), Some("22021" | "22P05")) {
                tracing::info!(error = %err, "refused text the database cannot store");
                return AppError::BadRequest(
                    "The text contains a character that cannot be stored (a NUL character).".into(),
                );
            }
        }
        tracing::error!(error = ?err, "database error");
        AppError::Internal
    }
}

/// The data layer's errors as pages show them: its field messages and
/// conflicts as written there, a busy password gate as 503, the rest
/// logged and shown without detail.
#[cfg(feature = "ssr")]
impl From<data::Error> for AppError {
    fn from(err: data::Error) -> Self {
        match err {
            data::Error::Invalid(errors) => AppError::Invalid(Invalid::fields(errors, &[])),
            data::Error::NotFound => AppError::NotFound,
            data::Error::Forbidden => AppError::Forbidden,
            data::Error::Conflict(msg) => AppError::Conflict(msg),
            data::Error::RateLimited { retry_after_secs } => {
                AppError::RateLimited { retry_after_secs }
            }
            data::Error::Busy(_) => AppError::Unavailable,
            data::Error::Hash(err) => {
                tracing::error!(%err, "password hashing failed");
                AppError::Internal
            }
            data::Error::Db(err) => err.into(),
        }
    }
}

#[cfg(feature = "ssr")]
mod sqlx_error {
    pub use data::sqlx::Error;
}
