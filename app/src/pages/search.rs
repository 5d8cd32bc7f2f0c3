//! `/search?q=...&type=all|project|user|chain&after=<cursor>`: one box over
//! projects, users and chains (`mv_search_index`). Full-text ranking plus
//! trigram matching of names; a query that finds nothing as typed is
//! corrected word by word ("rsut" finds "rust") and the page says so.
//! Matches are highlighted with `<mark>` elements built from escaped text.
//! Pages: the top 100 results, 20 at a time, by a rank cursor.

use crate::web::page_data;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::components::{ErrorPage, Pager, Tab, Tabs};
use crate::error::AppError;
use crate::web::set_status;

/// Longest query, in characters (`data::search::Q_MAX`).
pub const Q_MAX: usize = 200;

/// The type tabs: query value and label.
pub const TYPES: &[(&str, &str)] = &[
    ("all", "All"),
    ("project", "Projects"),
    ("user", "People"),
    ("chain", "Chains"),
];

/// A piece of highlighted text: the text, and whether it matched.
pub type Piece = (String, bool);

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct HitView {
    pub kind: String,
    pub href: String,
    pub name: Vec<Piece>,
    pub snippet: Vec<Piece>,
    /// "by <builder>" for projects, "chain by <creator>" for chains.
    pub byline: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SearchView {
    /// The query as searched (normalized); empty for the empty state.
    pub q: String,
    pub kind: String,
    /// The corrected query when the results are for it.
    pub corrected: Option<String>,
    /// A correction offered when the query as typed found few results.
    pub did_you_mean: Option<String>,
    pub hits: Vec<HitView>,
    /// Matches per tab, in the order of [`TYPES`], as shown ("12",
    /// "100+": counting stops at a bound).
    pub counts: Vec<String>,
    pub next: Option<String>,
    pub page: u32,
    /// Words to try when nothing was found.
    pub suggestions: Vec<String>,
}

/// Percent-encodes a query-string value.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else if b == b' ' {
            out.push('+');
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A search address (defaults left out).
pub fn search_href(q: &str, kind: &str, after: Option<&str>) -> String {
    let q = encode(q);
    let after = after.map(encode);
    let params = [
        ("q", Some(q.as_str())),
        ("type", (kind != "all").then_some(kind)),
        ("after", after.as_deref()),
    ];
    crate::format::href("/search", &params)
}

#[server(endpoint = "search")]
pub async fn get_search(
    q: Option<String>,
    kind: Option<String>,
    after: Option<String>,
) -> Result<SearchView, AppError> {
    use data::search::{self, Cursor};

    let raw = q.unwrap_or_default();
    let text = search::normalize(&raw);
    let len = text.chars().count();
    if len > search::Q_MAX {
        return Err(AppError::BadRequest(format!(
            "Search for at most {} characters (you used {len}).",
            search::Q_MAX
        )));
    }
    let kind = match kind.as_deref() {
        None | Some("") | Some("all") => None,
        Some(k) if search::KINDS.contains(&k) => Some(k.to_string()),
        Some(k) => {
            return Err(AppError::BadRequest(format!(
                "unknown result type \"{}\"",
                k.chars()
                    .filter(|c| !c.is_control())
                    .take(40)
                    .collect::<String>()
            )))
        }
    };
    let after = match after.as_deref() {
        None | Some("") => None,
        Some(a) => Some(Cursor::decode(a).map_err(AppError::BadRequest)?),
    };
    let kind_name = kind.clone().unwrap_or_else(|| "all".into());
    let view = SearchView {
        q: text.clone(),
        kind: kind_name,
        corrected: None,
        did_you_mean: None,
        hits: Vec::new(),
        counts: vec!["0".to_string(); TYPES.len()],
        next: None,
        page: after.as_ref().map_or(1, |c| c.page),
        suggestions: Vec::new(),
    };
    if text.is_empty() {
        return Ok(view);
    }
    let state = crate::state::state()?;
    // First pages are the same for everyone (search shows public rows
    // only): cached under the index's view, dropped when it is refreshed.
    let key = format!("{}:{text}", view.kind);
    let first = after.is_none();
    state
        .cached(first, data::search::VIEW, &key, || {
            search_results(&state.pool, view, text.clone(), kind, after)
        })
        .await
        .map_err(AppError::from)
}

/// The results for a checked query (see [`get_search`]).
#[cfg(feature = "ssr")]
async fn search_results(
    pool: &data::PgPool,
    mut view: SearchView,
    text: String,
    kind: Option<String>,
    after: Option<data::search::Cursor>,
) -> Result<SearchView, data::sqlx::Error> {
    use data::search;
    let mut page = search::search(pool, &text, kind.as_deref(), after.as_ref()).await?;
    if page.counts.total() == 0 {
        // Nothing as typed: try the query with its typos corrected.
        if let Some(corrected) = search::correct(pool, &text).await? {
            let fixed = search::search(pool, &corrected, kind.as_deref(), after.as_ref()).await?;
            if fixed.counts.total() > 0 {
                page = fixed;
                view.corrected = Some(corrected);
            }
        }
    } else if page.counts.total() < 3 && after.is_none() {
        view.did_you_mean = search::correct(pool, &text).await?;
    }
    if page.hits.is_empty() && after.is_none() {
        view.suggestions =
            search::suggestions(pool, view.corrected.as_deref().unwrap_or(&text), 6).await?;
    }
    view.counts = TYPES.iter().map(|(t, _)| page.counts.label(t)).collect();
    view.next = page.next.map(|c| c.encode());
    view.hits = page
        .hits
        .into_iter()
        .map(|h| {
            let href = match h.result_type.as_str() {
                "project" => format!("/p/{}", h.id),
                "user" => format!("/u/{}", encode(&h.name)),
                _ => format!("/c/{}", h.id),
            };
            let byline = match h.result_type.as_str() {
                "project" => Some(format!("Project by {}", h.creator_username)),
                "chain" => Some(format!("Chain by {}", h.creator_username)),
                _ => Some("Person".to_string()),
            };
            HitView {
                kind: h.result_type,
                href,
                name: search::marked_pieces(&h.name_marked),
                snippet: search::marked_pieces(&h.snippet),
                byline,
            }
        })
        .collect();
    Ok(view)
}

#[component]
pub fn SearchPage() -> impl IntoView {
    let query = use_query_map();
    let results = page_data(
        move || query.get(),
        |q| get_search(q.get("q"), q.get("type"), q.get("after")),
    );
    view! {
        <Transition>
            {move || {
                Suspend::new(async move {
                    let typed = query.get_untracked().get("q").unwrap_or_default();
                    match results.await {
                        Ok(v) => view! { <SearchBody v /> }.into_any(),
                        Err(AppError::BadRequest(msg)) => {
                            set_status(400);
                            view! {
                                <Title text="Search" />
                                <h1 class="search-title">"Search"</h1>
                                <SearchBox q=typed.chars().take(Q_MAX).collect() kind="all".into() error=Some(msg) />
                            }
                                .into_any()
                        }
                        Err(err) => view! { <ErrorPage error=err /> }.into_any(),
                    }
                })
            }}
        </Transition>
    }
}

/// The search form; `error` is shown under the box and tied to it.
#[component]
fn SearchBox(q: String, kind: String, error: Option<String>) -> impl IntoView {
    let has_error = error.is_some();
    let kind = (kind != "all").then_some(kind);
    view! {
        <form class="search-form" role="search" aria-label="Search form" method="get" action="/search">
            <div class="field" class:has-error=has_error>
                <label for="search-q">"Search projects, people and chains"</label>
                <div class="search-row">
                    <input
                        id="search-q"
                        name="q"
                        type="search"
                        value=q
                        autocomplete="off"
                        aria-invalid=has_error.then_some("true")
                        aria-describedby=has_error.then_some("search-q-error")
                    />
                    {kind.map(|k| view! { <input type="hidden" name="type" value=k /> })}
                    <button type="submit" class="button primary">"Search"</button>
                </div>
                {error.map(|msg| view! { <p class="field-error" id="search-q-error">{msg}</p> })}
            </div>
        </form>
    }
}

/// Text with its matches in `<mark>` (every piece is escaped as text).
#[component]
fn Marked(pieces: Vec<Piece>) -> impl IntoView {
    pieces
        .into_iter()
        .map(|(text, hit)| {
            if hit {
                view! { <mark>{text}</mark> }.into_any()
            } else {
                text.into_any()
            }
        })
        .collect_view()
}

#[component]
fn SearchBody(v: SearchView) -> impl IntoView {
    let q = v.q.clone();
    if q.is_empty() {
        let examples = ["rust", "task queue", "habit tracker", "rsut"]
            .iter()
            .map(|e| view! { <li><a href=search_href(e, "all", None)>{*e}</a></li> })
            .collect_view();
        return view! {
            <Title text="Search" />
            <h1 class="search-title">"Search"</h1>
            <SearchBox q=String::new() kind=v.kind.clone() error=None />
            <section class="search-empty" aria-labelledby="search-empty-heading">
                <h2 id="search-empty-heading">"Find projects, people and chains"</h2>
                <p>"Search titles, descriptions, usernames and chain names. Typos are fine: we correct them."</p>
                <p>"For example:"</p>
                <ul class="chips-list">{examples}</ul>
            </section>
        }
        .into_any();
    }
    let shown = v.corrected.clone().unwrap_or_else(|| q.clone());
    let tabs = TYPES
        .iter()
        .zip(v.counts.iter())
        .map(|((t, name), n)| {
            Tab::new(
                search_href(&q, t, None),
                format!("{name} ({n})"),
                *t == v.kind,
            )
        })
        .collect();
    let corrected = v.corrected.clone().map(|c| {
        view! {
            <p class="search-note" role="status">
                "No results for " <q>{q.clone()}</q> ". Showing results for "
                <strong class="corrected">{c}</strong> "."
            </p>
        }
    });
    let did_you_mean = v.did_you_mean.clone().map(|c| {
        view! {
            <p class="search-note">
                "Did you mean " <a href=search_href(&c, &v.kind, None)>{c.clone()}</a> "?"
            </p>
        }
    });
    let empty = v.hits.is_empty().then(|| {
        let suggestions = (!v.suggestions.is_empty()).then(|| {
            let items = v
                .suggestions
                .iter()
                .map(|s| view! { <li><a href=search_href(s, &v.kind, None)>{s.clone()}</a></li> })
                .collect_view();
            view! { <p>"Try one of these:"</p><ul class="chips-list">{items}</ul> }
        });
        let other_tabs = (v.kind != "all" && v.counts.first().is_some_and(|n| n != "0")).then(|| {
            view! { <li><a href=search_href(&q, "all", None)>"Search all types"</a>" instead."</li> }
        });
        view! {
            <section class="search-none" aria-labelledby="search-none-heading">
                <h2 id="search-none-heading">"No results for " <q>{shown.clone()}</q></h2>
                <ul>
                    <li>"Check the spelling, or use fewer or more general words."</li>
                    {other_tabs}
                </ul>
                {suggestions}
            </section>
        }
    });
    let hits = v
        .hits
        .into_iter()
        .map(|h| {
            let snippet = (!h.snippet.is_empty())
                .then(|| view! { <p class="result-snippet"><Marked pieces=h.snippet /></p> });
            view! {
                <li class=format!("result result-{}", h.kind)>
                    <h2 class="result-title"><a href=h.href><Marked pieces=h.name /></a></h2>
                    <p class="result-meta">{h.byline}</p>
                    {snippet}
                </li>
            }
        })
        .collect_view();
    let more = v
        .next
        .clone()
        .map(|cursor| search_href(&q, &v.kind, Some(&cursor)));
    let first = (v.page > 1).then(|| search_href(&q, &v.kind, None));
    view! {
        <Title text=format!("Search: {shown}") />
        <h1 class="search-title">"Search results"</h1>
        <SearchBox q=q.clone() kind=v.kind.clone() error=None />
        {corrected}
        {did_you_mean}
        <Tabs class="tabs search-tabs" label="Result type" tabs />
        {empty}
        <ol class="search-results" aria-label="Results">{hits}</ol>
        <Pager label="Result pages" first first_text="First results" next=more next_text="More results" />
    }
    .into_any()
}
