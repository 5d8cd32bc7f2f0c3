//! Writes made from the public pages (feed and project page): upvote,
//! remove upvote, comment, reply, edit and delete your own comment.
//!
//! Each is a server function posted by an `<ActionForm>`. Without
//! JavaScript the browser gets a 302: on success back to the page it came
//! from (at the card or comment it acted on), on failure back with the
//! error in the URL, shown next to the form. A signed-out browser is sent
//! to `/login?next=<page>`; other clients get 401. Nothing is written when
//! a check fails.
//!
//! Read your own writes: every successful write records the project in a
//! short "recent actions" list in the session; the feed reads live counts
//! for those projects (see `docs/ARCHITECTURE.md`).

use leptos::prelude::*;

use crate::error::AppError;

/// Form fields: the text of a comment, and which comment or project a
/// failed form was about (so the page shows the error at the right form).
pub const CONTENT: &str = "content";
pub const TARGET: &str = "target";

#[cfg(feature = "ssr")]
pub mod server {
    //! Server-side helpers shared by the actions and the page loaders.

    use uuid::Uuid;

    use crate::auth::CurrentUser;
    use crate::error::{AppError, Invalid};

    fn parts() -> Option<http::request::Parts> {
        leptos::prelude::use_context::<http::request::Parts>()
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

    /// The path and query of the page the form was posted from (never
    /// another site: only the path is kept), without a previous error.
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

    /// Percent-encodes a value for a query string.
    pub fn encode(s: &str) -> String {
        let mut out = String::with_capacity(s.len());
        for b in s.bytes() {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~' | b'/') {
                out.push(b as char);
            } else {
                out.push_str(&format!("%{b:02X}"));
            }
        }
        out
    }

    /// The signed-in user. Otherwise `Unauthorized`, and a browser is
    /// redirected to log in (then back to the page it was on).
    pub fn signed_in() -> Result<CurrentUser, AppError> {
        if let Some(user) = crate::auth::session_user() {
            return Ok(user);
        }
        if wants_html() {
            let next = referer_path().unwrap_or_else(|| "/".into());
            leptos_axum::redirect(&format!("/login?next={}", encode(&next)));
        }
        Err(AppError::Unauthorized)
    }

    /// Goes back to the page the form was on, at `anchor`; `fallback`
    /// without a referer.
    pub fn back_to(anchor: &str, fallback: &str) {
        if wants_html() {
            let path = referer_path().unwrap_or_else(|| fallback.to_string());
            leptos_axum::redirect(&format!("{path}#{anchor}"));
        }
    }

    /// A project or comment id from a form; malformed is as unknown.
    pub fn parse_id(s: &str) -> Result<Uuid, AppError> {
        Uuid::parse_str(s.trim()).map_err(|_| AppError::NotFound)
    }

    pub fn comment_error(
        err: data::comments::CommentError,
        target: &str,
        content: &str,
    ) -> AppError {
        use data::comments::CommentError;
        match err {
            // The text goes back into the form through the URL: keep it
            // to a size a URL carries (a bit over the limit, to trim).
            CommentError::Invalid(msg) => AppError::Invalid(
                Invalid::field(super::CONTENT, msg)
                    .with_value(
                        super::CONTENT,
                        &content
                            .chars()
                            .take(data::comments::CONTENT_MAX + 500)
                            .collect::<String>(),
                    )
                    .with_value(super::TARGET, target),
            ),
            CommentError::NotFound => AppError::NotFound,
            CommentError::Forbidden => AppError::Forbidden,
            CommentError::Db(err) => err.into(),
        }
    }

    pub fn vote_error(err: data::votes::VoteError) -> AppError {
        match err {
            data::votes::VoteError::NotFound => AppError::NotFound,
            data::votes::VoteError::Db(err) => err.into(),
        }
    }

    /// Records that the reader just acted on `project_id`.
    pub async fn remember(project_id: Uuid) {
        crate::recent::remember(crate::recent::PROJECTS, &[project_id]).await;
    }

    /// The projects the reader acted on recently.
    pub async fn recent() -> Vec<Uuid> {
        crate::recent::recent(crate::recent::PROJECTS).await
    }
}

#[server(endpoint = "upvote")]
pub async fn upvote(project_id: String) -> Result<(), AppError> {
    use server::*;
    let user = signed_in()?;
    let id = parse_id(&project_id)?;
    let state = crate::state::state()?;
    data::votes::upvote(&state.pool, user.id, id)
        .await
        .map_err(vote_error)?;
    state
        .overlays
        .changed(data::overlays::Kind::Upvotes, user.id)
        .await;
    remember(id).await;
    back_to(&format!("p-{id}"), &format!("/p/{id}"));
    Ok(())
}

#[server(endpoint = "remove_upvote")]
pub async fn remove_upvote(project_id: String) -> Result<(), AppError> {
    use server::*;
    let user = signed_in()?;
    let id = parse_id(&project_id)?;
    let state = crate::state::state()?;
    data::votes::remove_upvote(&state.pool, user.id, id)
        .await
        .map_err(vote_error)?;
    state
        .overlays
        .changed(data::overlays::Kind::Upvotes, user.id)
        .await;
    remember(id).await;
    back_to(&format!("p-{id}"), &format!("/p/{id}"));
    Ok(())
}

#[server(endpoint = "comment")]
pub async fn add_comment(project_id: String, content: String) -> Result<(), AppError> {
    use server::*;
    let user = signed_in()?;
    let id = parse_id(&project_id)?;
    let state = crate::state::state()?;
    let made = data::comments::create(&state.pool, user.id, id, &content)
        .await
        .map_err(|e| comment_error(e, &project_id, &content))?;
    remember(made.project_id).await;
    // Newest first: the new comment is at the top of the first page.
    if wants_html() {
        leptos_axum::redirect(&format!("/p/{}#comment-{}", made.project_id, made.id));
    }
    Ok(())
}

#[server(endpoint = "reply")]
pub async fn reply_comment(comment_id: String, content: String) -> Result<(), AppError> {
    use server::*;
    let user = signed_in()?;
    let parent = parse_id(&comment_id)?;
    let state = crate::state::state()?;
    let made = data::comments::reply(&state.pool, user.id, parent, &content)
        .await
        .map_err(|e| comment_error(e, &comment_id, &content))?;
    remember(made.project_id).await;
    back_to(
        &format!("comment-{}", made.id),
        &format!("/p/{}", made.project_id),
    );
    Ok(())
}

#[server(endpoint = "edit_comment")]
pub async fn edit_comment(comment_id: String, content: String) -> Result<(), AppError> {
    use server::*;
    let user = signed_in()?;
    let id = parse_id(&comment_id)?;
    let state = crate::state::state()?;
    let done = data::comments::edit(&state.pool, user.id, id, &content)
        .await
        .map_err(|e| comment_error(e, &comment_id, &content))?;
    remember(done.project_id).await;
    back_to(&format!("comment-{id}"), &format!("/p/{}", done.project_id));
    Ok(())
}

#[server(endpoint = "delete_comment")]
pub async fn delete_comment(comment_id: String) -> Result<(), AppError> {
    use server::*;
    let user = signed_in()?;
    let id = parse_id(&comment_id)?;
    let state = crate::state::state()?;
    let done = data::comments::delete(&state.pool, user.id, id)
        .await
        .map_err(|e| comment_error(e, &comment_id, ""))?;
    remember(done.project_id).await;
    back_to("comments", &format!("/p/{}", done.project_id));
    Ok(())
}
