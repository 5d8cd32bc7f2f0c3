//! `/signup`: create an account (every new account is a builder; other
//! roles are granted: validators by admins, investors by application).

use leptos::prelude::*;
use leptos_meta::Title;

use crate::auth::Signup;
use crate::components::{set_status, Field, FormError};
use crate::error::AppError;

#[component]
pub fn SignupPage() -> impl IntoView {
    let action = ServerAction::<Signup>::new();
    let error = Signal::derive(move || action.value().get().and_then(Result::err));
    if let Some(err) = error.get_untracked() {
        set_status(err.status());
        #[cfg(feature = "ssr")]
        crate::auth::retry_after_header(&err);
    }
    let field = move |name: &'static str| {
        Signal::derive(move || error.get().and_then(|e| e.field_error(name)))
    };
    let value = move |name: &'static str| {
        Signal::derive(move || error.get().and_then(|e| e.field_value(name)))
    };
    let form_error =
        Signal::derive(move || error.get().filter(|e| !matches!(e, AppError::Invalid(_))));
    view! {
        <Title text="Sign up" />
        <section class="auth-card">
            <h1>"Create your account"</h1>
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <FormError error=form_error />
                <Field
                    name="username"
                    label="Username"
                    autocomplete="username"
                    hint="3 to 30 letters, digits or underscores. Shown on your projects."
                    error=field("username")
                    value=value("username")
                />
                <Field
                    name="email"
                    label="Email"
                    kind="email"
                    autocomplete="email"
                    hint="Never shown to other people. If you already have an account, log in instead."
                    error=field("email")
                    value=value("email")
                />
                <Field
                    name="password"
                    label="Password"
                    kind="password"
                    autocomplete="new-password"
                    hint="At least 10 characters."
                    error=field("password")
                />
                <button type="submit" class="button primary">
                    "Create account"
                </button>
            </ActionForm>
            <p class="aside">"Already have an account? " <a href="/login">"Log in"</a></p>
        </section>
    }
}
