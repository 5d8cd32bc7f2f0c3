//! The links that move around a list: a bar of tabs (orders, periods,
//! categories) and the pager under it.

use leptos::prelude::*;

use crate::format::label;

/// One link of a [`Tabs`] bar.
pub struct Tab {
    pub href: String,
    pub name: String,
    /// The page shown is this tab's (`aria-current="page"`).
    pub current: bool,
}

impl Tab {
    pub fn new(href: String, name: impl Into<String>, current: bool) -> Self {
        Tab {
            href,
            name: name.into(),
            current,
        }
    }
}

/// A bar of links, one a tab, the current one marked. `class` is the
/// bar's (`tabs`, `chips`, ...), `label` names it for screen readers.
#[component]
pub fn Tabs(class: &'static str, label: &'static str, tabs: Vec<Tab>) -> impl IntoView {
    let items = tabs
        .into_iter()
        .map(|tab| {
            let current = tab.current.then_some("page");
            view! { <li><a href=tab.href aria-current=current>{tab.name}</a></li> }
        })
        .collect_view();
    view! { <nav class=class aria-label=label><ul>{items}</ul></nav> }
}

/// The category filter of a list: "All", then each of `categories`, as
/// chips; `href` is the list's address with a category (or none).
pub fn category_chips(
    categories: &'static [&'static str],
    current: Option<&str>,
    href: impl Fn(Option<&str>) -> String,
) -> AnyView {
    let all = Tab::new(href(None), "All", current.is_none());
    let tabs = std::iter::once(all)
        .chain(
            categories
                .iter()
                .map(|c| Tab::new(href(Some(c)), label(c), current == Some(*c))),
        )
        .collect();
    view! { <Tabs class="chips" label="Category" tabs /> }.into_any()
}

/// The links under a list to its first page (none on the first page) and
/// to its next one (none on the last), with the texts the list calls them.
/// The next link is `rel="next"` unless `next_rel` is false.
#[component]
pub fn Pager(
    #[prop(default = "Pages")] label: &'static str,
    first: Option<String>,
    #[prop(default = "First page")] first_text: &'static str,
    next: Option<String>,
    #[prop(default = "Next page")] next_text: &'static str,
    #[prop(default = true)] next_rel: bool,
) -> impl IntoView {
    let first = first.map(|href| view! { <a class="button" href=href>{first_text}</a> });
    let rel = next_rel.then_some("next");
    let next = next.map(|href| view! { <a class="button" rel=rel href=href>{next_text}</a> });
    view! { <nav class="pager" aria-label=label>{first}{next}</nav> }
}

/// The pager of a comment thread (newest comments first).
#[component]
pub fn CommentPager(newest: Option<String>, older: Option<String>) -> impl IntoView {
    view! {
        <Pager label="Comment pages" first=newest first_text="Newest comments"
            next=older next_text="Older comments" next_rel=false />
    }
}
