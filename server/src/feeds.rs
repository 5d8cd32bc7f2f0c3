//! Atom 1.0 feeds (RFC 4287), rendered with askama.
//!
//! # Adding a feed
//!
//! Build an [`AtomFeed`] and return [`atom_response`]; the template, the
//! escaping, the dates and the headers are shared:
//!
//! ```ignore
//! async fn chain_forum_atom(
//!     State(state): State<AppState>,
//!     Path(id): Path<String>,
//! ) -> Response {
//!     let base = &state.settings.public_url;
//!     // ... load the chain (404 with feeds::plain_error if unknown) and its posts ...
//!     feeds::atom_response(AtomFeed {
//!         id: format!("urn:uuid:{chain_id}"),
//!         title: format!("{name}: forum"),
//!         subtitle: None,
//!         self_url: format!("{base}/feeds/chains/{chain_id}.atom"),
//!         alternate_url: format!("{base}/c/{chain_id}"),
//!         updated: None, // the newest entry's `updated`
//!         entries: posts.into_iter().map(|p| AtomEntry {
//!             id: format!("urn:uuid:{}", p.id),
//!             title: p.title,
//!             link: format!("{base}/c/{chain_id}/posts/{}", p.id),
//!             published: Some(p.created_at),
//!             updated: p.updated_at,
//!             author: p.author_username,
//!             author_uri: Some(format!("{base}/u/{}", p.author_username)),
//!             summary: feeds::summary(&p.content, 400),
//!             categories: vec![p.post_type],
//!         }).collect(),
//!     })
//! }
//! ```
//!
//! Every text is escaped by the template (askama's HTML/XML escaper), and
//! characters XML 1.0 forbids even escaped (most control characters) are
//! dropped, so user text can never break the document. Ids should be
//! permanent: `urn:uuid:<row id>` for entries, a fixed `urn:uuid:` (or the
//! owning row's) for the feed; links are absolute, on the site's configured
//! public address (`Settings::public_url`, never the request's `Host`).

use askama::Template;
use axum::extract::State;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use time::format_description::well_known::Rfc3339;
use time::{OffsetDateTime, UtcOffset};

use app::error::AppError;
use app::state::AppState;

/// The `Content-Type` of every feed.
pub const ATOM_CONTENT_TYPE: &str = "application/atom+xml; charset=utf-8";

/// The permanent id of the newest-projects feed.
pub const PROJECTS_FEED_ID: &str = "urn:uuid:5b0c7f0e-6a57-4f43-9d3a-8e1c2f6d4a10";

/// A feed: its metadata and entries, newest first.
#[derive(Debug, Clone)]
pub struct AtomFeed {
    /// Permanent IRI, e.g. `urn:uuid:...`.
    pub id: String,
    pub title: String,
    pub subtitle: Option<String>,
    /// Absolute URL of the feed itself (`rel="self"`).
    pub self_url: String,
    /// Absolute URL of the HTML page the feed follows (`rel="alternate"`).
    pub alternate_url: String,
    /// When the feed last changed; `None`: the newest entry's `updated`
    /// (now, when there is no entry).
    pub updated: Option<OffsetDateTime>,
    pub entries: Vec<AtomEntry>,
}

/// One entry.
#[derive(Debug, Clone)]
pub struct AtomEntry {
    /// Permanent IRI: `urn:uuid:<row id>`.
    pub id: String,
    pub title: String,
    /// Absolute URL of the entry's page.
    pub link: String,
    pub published: Option<OffsetDateTime>,
    pub updated: OffsetDateTime,
    /// The author's display name (a username).
    pub author: String,
    /// Absolute URL of the author's profile.
    pub author_uri: Option<String>,
    /// Plain text (`type="text"`); see [`summary`].
    pub summary: String,
    /// Category terms, e.g. a project's category.
    pub categories: Vec<String>,
}

#[derive(Template)]
#[template(
    ext = "xml",
    escape = "html",
    source = r#"<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <id>{{ id }}</id>
  <title type="text">{{ title }}</title>
{%- if let Some(subtitle) = subtitle %}
  <subtitle type="text">{{ subtitle }}</subtitle>
{%- endif %}
  <updated>{{ updated }}</updated>
  <link rel="self" type="application/atom+xml" href="{{ self_url }}"/>
  <link rel="alternate" type="text/html" href="{{ alternate_url }}"/>
  <generator>Proofwork</generator>
{%- for e in entries %}
  <entry>
    <id>{{ e.id }}</id>
    <title type="text">{{ e.title }}</title>
    <link rel="alternate" type="text/html" href="{{ e.link }}"/>
{%- if let Some(published) = e.published %}
    <published>{{ published }}</published>
{%- endif %}
    <updated>{{ e.updated }}</updated>
    <author>
      <name>{{ e.author }}</name>
{%- if let Some(uri) = e.author_uri %}
      <uri>{{ uri }}</uri>
{%- endif %}
    </author>
{%- for c in e.categories %}
    <category term="{{ c }}"/>
{%- endfor %}
    <summary type="text">{{ e.summary }}</summary>
  </entry>
{%- endfor %}
</feed>
"#
)]
struct AtomTemplate {
    id: String,
    title: String,
    subtitle: Option<String>,
    updated: String,
    self_url: String,
    alternate_url: String,
    entries: Vec<EntryTemplate>,
}

struct EntryTemplate {
    id: String,
    title: String,
    link: String,
    published: Option<String>,
    updated: String,
    author: String,
    author_uri: Option<String>,
    categories: Vec<String>,
    summary: String,
}

/// An RFC 3339 UTC timestamp to the second (`2026-12-02T17:20:43Z`).
pub fn rfc3339(at: OffsetDateTime) -> String {
    let at = at
        .to_offset(UtcOffset::UTC)
        .replace_nanosecond(0)
        .unwrap_or(at);
    at.format(&Rfc3339)
        .unwrap_or_else(|_| "1970-01-01T00:00:00Z".to_string())
}

/// `s` without the characters XML 1.0 does not allow anywhere (control
/// characters other than tab, newline and carriage return; U+FFFE, U+FFFF).
pub fn xml_text(s: &str) -> String {
    s.chars()
        .filter(|&c| {
            matches!(c, '\t' | '\n' | '\r') || (c >= ' ' && !matches!(c, '\u{FFFE}' | '\u{FFFF}'))
        })
        .collect()
}

/// The first `max_chars` characters of `text`, whitespace collapsed, with
/// an ellipsis when cut.
pub fn summary(text: &str, max_chars: usize) -> String {
    let collapsed = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if collapsed.chars().count() <= max_chars {
        collapsed
    } else {
        let mut cut: String = collapsed.chars().take(max_chars).collect();
        cut.truncate(cut.trim_end().len());
        cut.push('…');
        cut
    }
}

/// Renders `feed` as an Atom document with its content type (200), or a
/// plain 500 if the template fails.
pub fn atom_response(feed: AtomFeed) -> Response {
    let updated = feed
        .updated
        .or_else(|| feed.entries.iter().map(|e| e.updated).max())
        .unwrap_or_else(OffsetDateTime::now_utc);
    let template = AtomTemplate {
        id: xml_text(&feed.id),
        title: xml_text(&feed.title),
        subtitle: feed.subtitle.as_deref().map(xml_text),
        updated: rfc3339(updated),
        self_url: xml_text(&feed.self_url),
        alternate_url: xml_text(&feed.alternate_url),
        entries: feed
            .entries
            .iter()
            .map(|e| EntryTemplate {
                id: xml_text(&e.id),
                title: xml_text(&e.title),
                link: xml_text(&e.link),
                published: e.published.map(rfc3339),
                updated: rfc3339(e.updated),
                author: xml_text(&e.author),
                author_uri: e.author_uri.as_deref().map(xml_text),
                categories: e.categories.iter().map(|c| xml_text(c)).collect(),
                summary: xml_text(&e.summary),
            })
            .collect(),
    };
    match template.render() {
        Ok(body) => (
            [
                (
                    header::CONTENT_TYPE,
                    HeaderValue::from_static(ATOM_CONTENT_TYPE),
                ),
                (
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=60"),
                ),
            ],
            body,
        )
            .into_response(),
        Err(err) => {
            tracing::error!(%err, "atom template failed");
            plain_error(&AppError::Internal)
        }
    }
}

/// A plain-text error answer with the error's status (for feed readers,
/// which show no HTML page).
pub fn plain_error(err: &AppError) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        err.to_string(),
    )
        .into_response()
}

/// `GET /feeds/projects.atom`: the 50 newest live projects, from
/// `mv_feed_projects` (one range scan on its `created_at` index).
pub async fn projects_atom(State(state): State<AppState>) -> Response {
    let projects =
        match data::feeds::newest_projects(&state.pool, data::feeds::NEWEST_PROJECTS).await {
            Ok(p) => p,
            Err(err) => return plain_error(&AppError::from(err)),
        };
    let base = &state.settings.public_url;
    atom_response(AtomFeed {
        id: PROJECTS_FEED_ID.to_string(),
        title: "Proofwork: newest projects".to_string(),
        subtitle: Some("The latest projects builders have published on Proofwork.".to_string()),
        self_url: format!("{base}/feeds/projects.atom"),
        alternate_url: format!("{base}/?tab=newest"),
        updated: None,
        entries: projects
            .into_iter()
            .map(|p| AtomEntry {
                id: format!("urn:uuid:{}", p.id),
                link: format!("{base}/p/{}", p.id),
                published: Some(p.created_at),
                updated: p.updated_at.max(p.created_at),
                author_uri: Some(format!("{base}/u/{}", p.username)),
                author: p.username,
                summary: summary(&p.description, 400),
                categories: vec![p.category],
                title: p.title,
            })
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cleaned_and_cut() {
        assert_eq!(xml_text("a\u{0}b\u{1b}c\td\u{FFFF}é"), "abc\tdé");
        assert_eq!(summary("  one\n two  ", 100), "one two");
        assert_eq!(summary("abcdef", 3), "abc…");
        assert_eq!(summary("ab cdef", 3), "ab…");
    }

    #[test]
    fn dates_are_utc_rfc3339_to_the_second() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_764_695_243_123_456_789).unwrap();
        assert_eq!(rfc3339(at), "2025-12-02T17:07:23Z");
    }
}
