//! `/`: what Proofwork is, and a greeting for the signed-in user.

use leptos::prelude::*;
use leptos_meta::Title;

use crate::auth::CurrentUser;

#[component]
pub fn HomePage() -> impl IntoView {
    let me = crate::me();
    let greeting = move |user: Option<CurrentUser>| match user {
        Some(user) => view! {
            <p class="welcome">"Welcome back, " <strong>{user.username}</strong> "."</p>
        }
        .into_any(),
        None => view! {
            <p class="cta">
                <a class="button primary" href="/signup">"Create an account"</a>
                " "
                <a class="button" href="/login">"Log in"</a>
            </p>
        }
        .into_any(),
    };
    view! {
        <Title text="Proofwork: show the work" />
        <section class="hero">
            <h1>"Show the work, not the pitch."</h1>
            <p class="lede">
                "Proofwork is where builders publish proof-of-work projects, validators award badges for what holds up, "
                "the community votes and discusses in topic chains, and investors ask for introductions."
            </p>
            <Suspense>{move || Suspend::new(async move { greeting(me.await) })}</Suspense>
        </section>
    }
}
