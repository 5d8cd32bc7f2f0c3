//! The two lists of cards a listing page shows: the featured strip over
//! it and the list itself.

use leptos::prelude::*;

/// The strip of featured cards (`children`) over a list; `class` is the
/// cards' list's.
#[component]
pub fn FeaturedStrip(
    heading_id: &'static str,
    class: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <section class="featured-strip" aria-labelledby=heading_id>
            <h2 id=heading_id>"Featured"</h2>
            <ul class=class>{children()}</ul>
        </section>
    }
}

/// A list of cards (`children`) under a heading only screen readers read,
/// with `empty_text` over it when there are none.
#[component]
pub fn CardList(
    heading_id: &'static str,
    heading: &'static str,
    class: &'static str,
    empty: bool,
    empty_text: &'static str,
    children: Children,
) -> impl IntoView {
    view! {
        <section aria-labelledby=heading_id>
            <h2 id=heading_id class="visually-hidden">{heading}</h2>
            {empty.then(|| view! { <p class="empty">{empty_text}</p> })}
            <ul class=class>{children()}</ul>
        </section>
    }
}
