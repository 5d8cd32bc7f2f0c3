//! The project page's comment writes: comment, reply, edit and delete
//! your own comment.
//!
//! Each is a server function posted by an `<ActionForm>`. Without
//! JavaScript the browser gets a 302: on success back to the page it came
//! from (at the comment it acted on), on failure back with the error
//! shown next to the form. A signed-out browser is sent
//! to `/login?next=<page>`; other clients get 401. Nothing is written when
//! a check fails.
//!
//! Read your own writes: every successful write records the project in the
//! session's recent projects (`web::recent`); the feed reads live counts
//! for those projects (see `docs/ARCHITECTURE.md`).

use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::web::{back_to, parse_id, signed_in, wants_html};

/// Form fields: the text of a comment, and which comment or project a
/// failed form was about (so the page shows the error at the right form).
pub const CONTENT: &str = "content";
pub const TARGET: &str = "target";

/// A failed comment's error, with the text (a bit over the limit, so the
/// writer can trim it) and which form it was.
#[cfg(feature = "ssr")]
fn comment_error(err: data::Error, target: &str, content: &str) -> AppError {
    let content: String = content
        .chars()
        .take(data::comments::CONTENT_MAX + 500)
        .collect();
    AppError::from(err).with_values(&[(CONTENT, &content), (TARGET, target)])
}

/// Records that the reader just acted on `project_id`.
#[cfg(feature = "ssr")]
async fn remember(project_id: uuid::Uuid) {
    crate::web::recent::remember(crate::web::recent::List::Projects, &[project_id]).await;
}

#[server(endpoint = "comment")]
pub async fn add_comment(project_id: String, content: String) -> Result<(), AppError> {
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
