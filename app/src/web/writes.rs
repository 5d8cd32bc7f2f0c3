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
//!
//! The page is updated in place, node by node, so the form that was sent
//! keeps what was typed in it: after a success it is reset (a sent comment
//! leaves an empty box); after a failure it keeps the text beside the
//! error, as the server-rendered page does.

use std::future::Future;

use leptos::prelude::*;
use serde::{de::DeserializeOwned, Serialize};

use super::url::encode;
use crate::error::AppError;

/// The number of posts answered on this page since it loaded, and the
/// address of the server function that answered last.
#[derive(Clone, Copy)]
struct Writes(RwSignal<u64>, RwSignal<Option<&'static str>>);

/// True while a page's data reloads with its old body still on screen.
#[derive(Clone, Copy)]
pub struct Reloading(pub RwSignal<bool>);

/// Makes the write count and the reloading flag available to the app's
/// pages (once, in `App`).
pub fn provide_writes() {
    provide_context(Writes(RwSignal::new(0), RwSignal::new(None)));
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
    use_context::<Writes>().map_or(0, |Writes(n, _)| n.get())
}

/// True when a failed post of the server function at `url` is the one to
/// show: no post was answered in the browser yet (the page was rendered
/// with the error of a post sent without JavaScript), or it answered last.
/// Like a page loaded after a post, the page shows the last post's error
/// only.
pub fn answered_last(url: &str) -> bool {
    use_context::<Writes>()
        .is_none_or(|Writes(_, last)| last.get_untracked().is_none_or(|l| l == url))
}

/// A server action for one form. When a post through it is answered in
/// the browser the page's data reloads and its body is rendered again:
/// after a success with what changed, after a failure with the error at
/// its form ([`answered_last`]). Signed out, the browser goes to log in
/// and comes back, as it does without JavaScript.
pub fn action<S>() -> ServerAction<S>
where
    S: server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Send + Sync + 'static,
{
    let action = ServerAction::<S>::new();
    if let Some(Writes(count, last)) = use_context::<Writes>() {
        #[cfg(feature = "hydrate")]
        sent_forms::listen();
        let location = leptos_router::hooks::use_location();
        let navigate = leptos_router::hooks::use_navigate();
        Effect::new(move |seen: Option<usize>| {
            let version = action.version().get();
            if seen.is_none_or(|seen| seen == version) {
                return version;
            }
            let outcome = action.value().with_untracked(|v| match v {
                Some(Ok(_)) => Some(true),
                Some(Err(AppError::Unauthorized)) => None,
                _ => Some(false),
            });
            match outcome {
                None => {
                    let search = location.search.get_untracked();
                    let here = if search.is_empty() {
                        location.pathname.get_untracked()
                    } else {
                        format!("{}?{search}", location.pathname.get_untracked())
                    };
                    navigate(
                        &format!("/login?next={}", encode(&here)),
                        Default::default(),
                    );
                }
                Some(succeeded) => {
                    #[cfg(feature = "hydrate")]
                    if succeeded {
                        sent_forms::reset(S::url());
                    }
                    let _ = succeeded;
                    last.set(Some(S::url()));
                    count.update(|n| *n += 1);
                }
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

/// The form last sent to each server function's address, so that a
/// success can reset the very form that was sent (not every form on the
/// page that posts to the same place, such as the other reply boxes).
#[cfg(feature = "hydrate")]
mod sent_forms {
    use std::cell::{Cell, RefCell};
    use std::collections::HashMap;

    use wasm_bindgen::closure::Closure;
    use wasm_bindgen::JsCast;
    use web_sys::HtmlFormElement;

    thread_local! {
        static LISTENING: Cell<bool> = const { Cell::new(false) };
        static SENT: RefCell<HashMap<String, HtmlFormElement>> = RefCell::new(HashMap::new());
    }

    /// Records every form submitted on the page (once per page load; in
    /// the capture phase, before the form's own handler sends it).
    pub fn listen() {
        if LISTENING.with(|l| l.replace(true)) {
            return;
        }
        let on_submit = Closure::<dyn Fn(web_sys::Event)>::new(|event: web_sys::Event| {
            if let Some(form) = event
                .target()
                .and_then(|t| t.dyn_into::<HtmlFormElement>().ok())
            {
                if let Some(to) = form.get_attribute("action") {
                    SENT.with(|sent| sent.borrow_mut().insert(to, form));
                }
            }
        });
        let _ = leptos::prelude::document().add_event_listener_with_callback_and_bool(
            "submit",
            on_submit.as_ref().unchecked_ref(),
            true,
        );
        on_submit.forget();
    }

    /// Resets the form last sent to `url`.
    pub fn reset(url: &str) {
        if let Some(form) = SENT.with(|sent| sent.borrow_mut().remove(url)) {
            form.reset();
        }
    }
}
