//! `/login?next=<path>`: log in with a username or email and a password,
//! then go back to `next` (kept in a hidden field; the server accepts only
//! paths on this site, see `auth::safe_next`).

use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::auth::Login;
use crate::components::{set_status, Field, FormError};
use crate::error::AppError;

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<Login>::new();
    let next = use_query_map()
        .get_untracked()
        .get("next")
        .filter(|n| !n.is_empty());
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    if let Some(err) = error.get_untracked() {
        set_status(err.status());
        #[cfg(feature = "ssr")]
        crate::auth::retry_after_header(&err);
    }
    let field = move |name: &'static str| {
        Signal::derive(move || error.get().and_then(|e| e.field_error(name)))
    };
    let form_error =
        Signal::derive(move || error.get().filter(|e| !matches!(e, AppError::Invalid(_))));
    view! {
        <Title text="Log in" />
        <section class="auth-card">
            <h1>"Log in"</h1>
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <FormError error=form_error />
                {next.map(|next| view! { <input type="hidden" name="next" value=next /> })}
                <Field
                    name="login"
                    label="Username or email"
                    autocomplete="username"
                    error=field("login")
                    value=Signal::derive(move || error.get().and_then(|e| e.field_value("login")))
                />
                <Field name="password" label="Password" kind="password" autocomplete="current-password" error=field("password") />
                <button type="submit" class="button primary">
                    "Log in"
                </button>
            </ActionForm>
            <p class="aside">"New here? " <a href="/signup">"Create an account"</a></p>
        </section>
    }
}
