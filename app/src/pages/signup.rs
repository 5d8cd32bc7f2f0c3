//! `/signup`: create an account (every new account is a builder; other
//! roles are granted: validators by admins, investors by application).

use crate::web::action;
use leptos::prelude::*;
use leptos_meta::Title;

use crate::auth::Signup;
use crate::components::{Field, FormError};
use crate::web::FormErrors;

#[component]
pub fn SignupPage() -> impl IntoView {
    let action = action::<Signup>();
    let form = FormErrors::of(action);
    view! {
        <Title text="Sign up" />
        <section class="auth-card">
            <h1>"Create your account"</h1>
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <FormError error=form.general() />
                <Field
                    name="username"
                    label="Username"
                    autocomplete="username"
                    hint="3 to 30 letters, digits or underscores. Shown on your projects."
                    error=form.field("username")
                    value=form.value("username")
                />
                <Field
                    name="email"
                    label="Email"
                    kind="email"
                    autocomplete="email"
                    hint="Never shown to other people. If you already have an account, log in instead."
                    error=form.field("email")
                    value=form.value("email")
                />
                <Field
                    name="password"
                    label="Password"
                    kind="password"
                    autocomplete="new-password"
                    hint="At least 10 characters."
                    error=form.field("password")
                />
                <button type="submit" class="button primary">
                    "Create account"
                </button>
            </ActionForm>
            <p class="aside">"Already have an account? " <a href="/login">"Log in"</a></p>
        </section>
    }
}
