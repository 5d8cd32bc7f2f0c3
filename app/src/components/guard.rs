//! What a page that needs a signed-in user or a role shows when the
//! check fails.

use leptos::prelude::*;
use leptos_meta::Title;

use super::ErrorPage;
use crate::error::AppError;

/// What a signed-out reader sees while the 302 to the log-in page is sent.
#[component]
pub fn LogInFirst(path: &'static str) -> impl IntoView {
    view! {
        <section class="error-page">
            <Title text="Please log in" />
            <h1>"Please log in"</h1>
            <p><a href=format!("/login?next={path}")>"Log in"</a>" to see this page."</p>
        </section>
    }
}

/// The error of a page that needs a role. Signed out, a browser was
/// already sent to log in (302) by the loader: that status must stay, so
/// the 401 page is rendered only for other clients.
#[component]
pub fn GuardError(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let redirected = matches!(error, AppError::Unauthorized) && crate::web::wants_html();
    #[cfg(not(feature = "ssr"))]
    let redirected = false;
    if redirected {
        view! { <p><a href="/login">"Please log in first."</a></p> }.into_any()
    } else {
        view! { <ErrorPage error /> }.into_any()
    }
}
