//! A failed form post's error, as its page reads it back. Without
//! JavaScript a failed post sends the browser back to its page, and the
//! error comes with it; the page shows it next to the form and answers
//! with the error's status.

use leptos::prelude::*;

use super::status::set_status;
use crate::error::AppError;

/// A failed post's error, if any, from one action: the last post answered
/// on the page (`web::writes`). Read untracked while the page body
/// renders; the body is rendered again after every post.
pub fn failed<S>(action: ServerAction<S>) -> Option<AppError>
where
    S: server_fn::ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static,
{
    let error = action.value().get_untracked().and_then(Result::err)?;
    super::writes::answered_last(S::url()).then_some(error)
}

/// The first of a page's failed posts (`[failed(a), failed(b)]`), with the
/// page's status set to its status.
pub fn failure(errors: impl IntoIterator<Item = Option<AppError>>) -> Option<AppError> {
    let error = errors.into_iter().flatten().next();
    if let Some(err) = &error {
        set_status(err.status());
    }
    error
}

/// A form's error as signals for its fields: a field's message and the
/// value to show again, and the message that belongs to no field.
#[derive(Clone, Copy)]
pub struct FormErrors(Signal<Option<AppError>>);

impl FormErrors {
    /// The errors of `action`'s form; a failed post sets the page's status
    /// (and `Retry-After` when throttled or unavailable).
    pub fn of<S>(action: ServerAction<S>) -> Self
    where
        S: server_fn::ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static,
    {
        let error = Signal::derive(move || action.value().get().and_then(Result::err));
        if let Some(err) = error.get_untracked() {
            set_status(err.status());
            #[cfg(feature = "ssr")]
            crate::auth::retry_after_header(&err);
        }
        FormErrors(error)
    }

    pub fn field(self, name: &'static str) -> Signal<Option<String>> {
        Signal::derive(move || self.0.get().and_then(|e| e.field_error(name)))
    }

    pub fn value(self, name: &'static str) -> Signal<Option<String>> {
        Signal::derive(move || self.0.get().and_then(|e| e.field_value(name)))
    }

    /// The error when it is not about fields.
    pub fn general(self) -> Signal<Option<AppError>> {
        Signal::derive(move || self.0.get().filter(|e| !matches!(e, AppError::Invalid(_))))
    }
}
