//! UI shared by pages: form fields with their errors, the error pages,
//! badges, and the pieces several pages show
//! (upvote buttons, intro requests). A component may own the server
//! function its form posts to; nothing here imports a page.

mod cards;
mod guard;
pub mod intro;
mod loaded;
mod nav;
mod upvote;

use leptos::prelude::*;

pub use cards::{CardList, FeaturedStrip};
pub use guard::{GuardError, LogInFirst};
pub use loaded::{loaded, OnError};
pub use nav::{category_chips, CommentPager, Pager, Tab, Tabs};
pub use upvote::{RemoveUpvote, Upvote, UpvoteButton};

use crate::error::AppError;
use crate::format::label;
use crate::web::set_status;

/// A labelled input whose error, if any, is tied to it with
/// `aria-describedby` and shown right under it.
#[component]
pub fn Field(
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    #[prop(default = "off")] autocomplete: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(into)] error: Signal<Option<String>>,
    #[prop(into, optional)] value: Signal<Option<String>>,
) -> impl IntoView {
    let error_id = format!("{name}-error");
    let hint_id = format!("{name}-hint");
    let described_by = {
        let error_id = error_id.clone();
        let hint_id = hint_id.clone();
        move || {
            let mut ids = Vec::new();
            if hint.is_some() {
                ids.push(hint_id.clone());
            }
            if error.get().is_some() {
                ids.push(error_id.clone());
            }
            (!ids.is_empty()).then(|| ids.join(" "))
        }
    };
    view! {
        <div class="field" class:has-error=move || error.get().is_some()>
            <label for=name>{label}</label>
            {hint.map(|h| view! { <p class="field-hint" id=hint_id.clone()>{h}</p> })}
            <input
                id=name
                name=name
                type=kind
                autocomplete=autocomplete
                required=true
                value=move || value.get().unwrap_or_default()
                aria-invalid=move || error.get().is_some().then_some("true")
                aria-describedby=described_by
            />
            {move || {
                error
                    .get()
                    .map(|msg| view! { <p class="field-error" id=error_id.clone()>{msg}</p> })
            }}
        </div>
    }
}

/// A form-level message (errors not tied to one field).
#[component]
pub fn FormError(#[prop(into)] error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().map(|err| {
            view! {
                <p class="form-error" role="alert">
                    {err.to_string()}
                </p>
            }
        })
    }
}

/// What a one-button form about one thing holds: the hidden field `name`
/// naming it, and the button (`children`: its text) named `label` for
/// screen readers.
#[component]
pub fn IdButton(
    name: &'static str,
    value: String,
    class: &'static str,
    label: String,
    children: Children,
) -> impl IntoView {
    view! {
        <input type="hidden" name=name value=value />
        <button type="submit" class=class aria-label=label>{children()}</button>
    }
}

/// A whole page for an error: a heading, what happened, a way on.
#[component]
pub fn ErrorPage(error: AppError) -> impl IntoView {
    set_status(error.status());
    let title = match &error {
        AppError::NotFound => "Page not found",
        AppError::Unauthorized => "Please log in",
        AppError::Forbidden | AppError::CrossSite => "Not allowed",
        AppError::Unavailable => "Temporarily unavailable",
        AppError::Conflict(_) => "Already done",
        AppError::RateLimited { .. } => "Slow down",
        AppError::Invalid(_) | AppError::BadRequest(_) | AppError::BadCredentials => {
            "Something is not right"
        }
        AppError::Internal => "Something went wrong",
    };
    let message = if matches!(error, AppError::NotFound) {
        "There is nothing at this address. It may have moved, or the link may be mistyped."
            .to_string()
    } else {
        error.to_string()
    };
    view! {
        <section class="error-page">
            <leptos_meta::Title text=title />
            <h1>{title}</h1>
            <p>{message}</p>
            <p>
                <a href="/">"Go to the home page"</a>
            </p>
        </section>
    }
}

/// A labelled multi-line input, with its error tied to it like [`Field`].
/// `id` must be unique on the page; `name` is the form field.
///
/// Every `<textarea>` of the site goes through here, because the text
/// inside one is not escaped by the renderer (the HTML parser reads a
/// textarea's content as raw text up to `</textarea>`, and tachys writes
/// it as given). A value holding `</textarea><script>` would otherwise
/// end the element and inject markup. The value is written escaped (see
/// [`textarea_html`]); the browser decodes the entities back, so the
/// field's value is exactly the text given.
#[component]
pub fn TextArea(
    id: String,
    name: &'static str,
    label: String,
    #[prop(optional)] hint: Option<&'static str>,
    error: Option<String>,
    value: Option<String>,
    #[prop(default = 4)] rows: u32,
    #[prop(default = true)] required: bool,
) -> impl IntoView {
    let error_id = format!("{id}-error");
    let hint_id = format!("{id}-hint");
    let mut described = Vec::new();
    if hint.is_some() {
        described.push(hint_id.clone());
    }
    if error.is_some() {
        described.push(error_id.clone());
    }
    let described_by = (!described.is_empty()).then(|| described.join(" "));
    let has_error = error.is_some();
    let content = textarea_html(&value.unwrap_or_default());
    view! {
        <div class="field" class:has-error=has_error>
            <label for=id.clone()>{label}</label>
            {hint.map(|h| view! { <p class="field-hint" id=hint_id.clone()>{h}</p> })}
            <textarea
                id=id.clone()
                name=name
                rows=rows
                required=required
                aria-invalid=has_error.then_some("true")
                aria-describedby=described_by
                inner_html=content
            ></textarea>
            {error.map(|msg| view! { <p class="field-error" id=error_id.clone()>{msg}</p> })}
        </div>
    }
}

/// A labelled drop-down list (`children`: its options), with its error
/// tied to it like [`Field`]. `id` is also the base of the error's id.
#[component]
pub fn Select(
    id: &'static str,
    name: &'static str,
    label: &'static str,
    error: Option<String>,
    children: Children,
) -> impl IntoView {
    let has_error = error.is_some();
    let error_id = format!("{id}-error");
    view! {
        <div class="field" class:has-error=has_error>
            <label for=id>{label}</label>
            <select
                id=id
                name=name
                aria-invalid=has_error.then_some("true")
                aria-describedby=has_error.then(|| error_id.clone())
            >
                {children()}
            </select>
            {error.map(|m| view! { <p class="field-error" id=error_id.clone()>{m}</p> })}
        </div>
    }
}

/// The HTML for a textarea holding exactly `text`: `&`, `<` and `>`
/// escaped (so neither `</textarea>` nor an entity such as `&amp;` in the
/// text is read as markup; quotes need no escaping outside attributes).
/// On the server a text starting with a line break gets one more: the
/// HTML parser drops a single line break (`\n`, `\r\n` or `\r`) right
/// after `<textarea>`. In the browser the content is set through
/// `innerHTML`, which drops nothing.
fn textarea_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 1);
    if cfg!(feature = "ssr") && text.starts_with(['\n', '\r']) {
        out.push('\n');
    }
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            c => out.push(c),
        }
    }
    out
}

/// The validation badge types of a project, as small labels.
#[component]
pub fn CardBadges(types: Vec<String>) -> impl IntoView {
    (!types.is_empty()).then(|| {
        let items = types
            .into_iter()
            .map(|t| {
                let name = label(&t);
                view! { <li class=format!("badge badge-{t}")>{name}</li> }
            })
            .collect_view();
        view! { <ul class="badges" aria-label="Validation badges">{items}</ul> }
    })
}
