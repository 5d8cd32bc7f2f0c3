//! What a request asks for and where a browser goes after a form post.

use uuid::Uuid;

use crate::error::AppError;

fn parts() -> Option<http::request::Parts> {
    leptos::prelude::use_context::<http::request::Parts>()
}

/// A list's category filter: none when absent or empty, else one of
/// `known`; anything else is a 400.
pub fn category_param(category: Option<&str>, known: &[&str]) -> Result<Option<String>, AppError> {
    match category {
        None | Some("") => Ok(None),
        Some(c) if known.contains(&c) => Ok(Some(c.to_string())),
        Some(c) => Err(AppError::BadRequest(format!("unknown category \"{c}\""))),
    }
}

/// True for a plain browser form post (it wants HTML back).
pub fn wants_html() -> bool {
    parts()
        .and_then(|p| {
            p.headers
                .get(http::header::ACCEPT)
                .and_then(|v| v.to_str().ok())
                .map(|v| v.contains("text/html"))
        })
        .unwrap_or(false)
}

/// True when the request is a GET (a page load, not a form post).
pub fn is_get() -> bool {
    parts().is_some_and(|p| p.method == http::Method::GET)
}

/// The path and query of the page the form was posted from (never
/// another site: only the path is kept), without a failed form's state.
///
/// The server's `form_flash` middleware keeps that state (`__path`,
/// `__err`) out of the addresses it sends, but a link someone wrote can
/// still carry it, and the browser's address (hence the Referer) keeps
/// it. Sent back in a redirect, the middleware would take it for this
/// form's failure and show the link's messages on the page: so it is
/// dropped here.
pub fn referer_path() -> Option<String> {
    let parts = parts()?;
    let referer = parts.headers.get(http::header::REFERER)?.to_str().ok()?;
    let rest = referer.split_once("://").map(|(_, r)| r)?;
    let path = &rest[rest.find('/')?..];
    let (path, query) = match path.split_once('?') {
        Some((p, q)) => (p, Some(q)),
        None => (path, None),
    };
    let path = path.split('#').next().unwrap_or("/");
    // `//host` and `/\host` are other sites to a browser.
    if !path.starts_with('/') || path.starts_with("//") || path.starts_with("/\\") {
        return None;
    }
    let kept: Vec<&str> = query
        .unwrap_or("")
        .split('#')
        .next()
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("__err=") && !kv.starts_with("__path="))
        .collect();
    Some(if kept.is_empty() {
        path.to_string()
    } else {
        format!("{path}?{}", kept.join("&"))
    })
}

/// Goes back to the page the form was on, at `anchor`; `fallback`
/// without a referer.
pub fn back_to(anchor: &str, fallback: &str) {
    if wants_html() {
        let path = referer_path().unwrap_or_else(|| fallback.to_string());
        leptos_axum::redirect(&format!("{path}#{anchor}"));
    }
}

/// An id from a form or an address; malformed is as unknown.
pub fn parse_id(s: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(s.trim()).map_err(|_| AppError::NotFound)
}
