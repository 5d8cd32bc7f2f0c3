//! The short introduction shown above the feed to visitors who are not
//! signed in.

use leptos::prelude::*;

#[component]
pub fn Intro() -> impl IntoView {
    view! {
        <section class="hero intro" aria-label="About Proofwork">
            <p class="hero-title">"Show the work, not the pitch."</p>
            <p class="lede">
                "Proofwork is where builders publish proof-of-work projects, validators award badges for what holds up, "
                "the community votes and discusses in topic chains, and investors ask for introductions."
            </p>
            <p class="cta">
                <a class="button primary" href="/signup">"Create an account"</a>
                " "
                <a class="button" href="/login">"Log in"</a>
            </p>
        </section>
    }
}
