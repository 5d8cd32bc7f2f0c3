//! Pages that update in place after a post, when JavaScript runs.
//!
//! Every form is an `ActionForm`: without JavaScript it is a plain post
//! and the server sends the browser back to a freshly rendered page. With
//! the hydrated client the same form posts in the background, and the
//! page has to show the result itself. One rule does that for every page:
//! each successful post made through an [`action`] counts one write, and
//! every page's data ([`page_data`]) reloads when the count changes. The
//! page body is then rendered again from data read after the write
//! (`loaded` keeps the old body on screen until the new data is there), so
//! what the reader sees is what a reload would show: the vote counted,
//! the comment in the thread, the badge cleared. The server renders with
//! the count at 0 and never changes it.

use std::future::Future;

use leptos::prelude::*;
use serde::{de::DeserializeOwned, Serialize};

/// The number of successful posts made on this page since it loaded.
#[derive(Clone, Copy)]
struct Writes(RwSignal<u64>);

/// True while a page's data reloads with its old body still on screen.
#[derive(Clone, Copy)]
pub struct Reloading(pub RwSignal<bool>);

/// Makes the write count and the reloading flag available to the app's
/// pages (once, in `App`).
pub fn provide_writes() {
    provide_context(Writes(RwSignal::new(0)));
    provide_context(Reloading(RwSignal::new(false)));
}

/// True while the page's data reloads: `<main aria-busy>`, so assistive
/// technology (and a test) knows the content is about to change.
pub fn reloading() -> bool {
    use_context::<Reloading>().is_some_and(|Reloading(r)| r.get())
}

/// The write count, tracked: read it in a data source to reload after a
/// post.
pub fn written() -> u64 {
    use_context::<Writes>().map_or(0, |Writes(n)| n.get())
}

/// A server action for one form. When a post through it succeeds in the
/// browser, the write count goes up and the page's data reloads.
pub fn action<S>() -> ServerAction<S>
where
    S: server_fn::ServerFn + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + 'static,
{
    let action = ServerAction::<S>::new();
    if let Some(Writes(count)) = use_context::<Writes>() {
        Effect::new(move |seen: Option<usize>| {
            let version = action.version().get();
            let succeeded = action.value().with_untracked(|v| matches!(v, Some(Ok(_))));
            if seen.is_some_and(|seen| seen != version) && succeeded {
                count.update(|n| *n += 1);
            }
            version
        });
    }
    action
}

/// A page's data: `fetch(source())`, loaded again when the source changes
/// or after a successful post ([`action`]).
pub fn page_data<S, T, Fut>(
    source: impl Fn() -> S + Send + Sync + 'static,
    fetch: impl Fn(S) -> Fut + Send + Sync + 'static,
) -> Resource<T>
where
    S: PartialEq + Clone + Send + Sync + 'static,
    T: Serialize + DeserializeOwned + Send + Sync + 'static,
    Fut: Future<Output = T> + Send + 'static,
{
    Resource::new(
        move || (written(), source()),
        move |(_, source)| fetch(source),
    )
}
