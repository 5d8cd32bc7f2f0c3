//! `/login?next=<path>`: log in with a username or email and a password,
//! then go back to `next` (kept in a hidden field; the server accepts only
//! paths on this site, see `auth::safe_next`).

use crate::web::action;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::auth::Login;
use crate::components::{Field, FormError};
use crate::web::FormErrors;

#[component]
pub fn LoginPage() -> impl IntoView {
    let action = action::<Login>();
    let next = use_query_map()
        .get_untracked()
        .get("next")
        .filter(|n| !n.is_empty());
    let form = FormErrors::of(action);
    view! {
        <Title text="Log in" />
        <section class="auth-card">
            <h1>"Log in"</h1>
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <FormError error=form.general() />
                {next.map(|next| view! { <input type="hidden" name="next" value=next /> })}
                <Field
                    name="login"
                    label="Username or email"
                    autocomplete="username"
                    error=form.field("login")
                    value=form.value("login")
                />
                <Field name="password" label="Password" kind="password" autocomplete="current-password" error=form.field("password") />
                <button type="submit" class="button primary">
                    "Log in"
                </button>
            </ActionForm>
            <p class="aside">"New here? " <a href="/signup">"Create an account"</a></p>
        </section>
    }
}
