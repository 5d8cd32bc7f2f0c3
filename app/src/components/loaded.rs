//! A page's data, then its body: every page that loads its data through a
//! server function shows nothing while it loads, its body once it has it,
//! and on an error the page that error calls for ([`OnError`]). When the
//! data reloads in the browser (after a post, `web::writes`) the body on
//! screen stays until the new one is ready: no blank flash, no scroll jump.

use leptos::prelude::*;

use super::{ErrorPage, GuardError, LogInFirst};
use crate::error::AppError;
use crate::web::Reloading;

/// What a page shows when its data could not be loaded.
#[derive(Clone, Copy)]
pub enum OnError {
    /// The [`ErrorPage`] (public pages).
    ErrorPage,
    /// Signed out, the prompt to log in and come back to this path; any
    /// other error, the [`ErrorPage`] (pages for a signed-in user).
    LogInFirst(&'static str),
    /// The [`GuardError`] (pages that need a role).
    GuardError,
}

impl OnError {
    fn view(self, error: AppError) -> AnyView {
        match (self, error) {
            (OnError::LogInFirst(path), AppError::Unauthorized) => {
                view! { <LogInFirst path /> }.into_any()
            }
            (OnError::GuardError, error) => view! { <GuardError error /> }.into_any(),
            (_, error) => view! { <ErrorPage error /> }.into_any(),
        }
    }
}

/// `data` once loaded, shown by `body`; an error shown as `on_error` says.
pub fn loaded<T, V>(
    data: Resource<Result<T, AppError>>,
    on_error: OnError,
    body: impl Fn(T) -> V + Clone + Send + Sync + 'static,
) -> impl IntoView
where
    T: Clone + Send + Sync + 'static,
    V: IntoView + 'static,
{
    let pending = use_context::<Reloading>().map(|Reloading(r)| SignalSetter::from(r.write_only()));
    view! {
        <Transition set_pending=pending.unwrap_or_default()>
            {move || {
                let body = body.clone();
                Suspend::new(async move {
                    match data.await {
                        Ok(value) => body(value).into_any(),
                        Err(error) => on_error.view(error),
                    }
                })
            }}
        </Transition>
    }
}
