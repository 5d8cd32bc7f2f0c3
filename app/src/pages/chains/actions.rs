//! Writes made from the chain pages: create a chain, follow and unfollow,
//! add and remove projects, forum posts (create, pin, unpin, vote, delete)
//! and their comments.
//!
//! Each is a server function posted by an `<ActionForm>`, with every check
//! on the server (`data::chains`, `data::forum`, inside the transaction):
//! signed out is 401 (a browser is sent to `/login?next=<page>`), not
//! allowed is 403, an unknown or invisible chain, post, comment or project
//! is 404, bad input is 422 with the field's message; nothing is written
//! when a check fails. A browser gets a 302 back to the page (at the thing
//! it acted on), or to the new chain or post.
//!
//! Read your own writes: every successful write records the chain and the
//! post in the session's recent chains (`web::recent`); the chain page
//! reads those live (see `docs/ARCHITECTURE.md`).

use leptos::prelude::*;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::web::{back_to, parse_id, signed_in, wants_html};
#[cfg(feature = "ssr")]
use server::*;

/// Form fields shared by the pages and the functions.
pub const NAME: &str = "name";
pub const DESCRIPTION: &str = "description";
pub const CATEGORY: &str = "category";
pub const VISIBILITY: &str = "visibility";
pub const TITLE: &str = "title";
pub const CONTENT: &str = "content";
pub const POST_TYPE: &str = "post_type";
pub const PROJECT: &str = "project";
pub const VOTE: &str = "vote";

#[cfg(feature = "ssr")]
pub mod server {
    //! Server-side helpers: error mapping, and recording the chain and post
    //! a write touched.

    use uuid::Uuid;

    use crate::error::AppError;

    /// Records that the reader just acted on these chains / posts.
    pub async fn remember(ids: &[Uuid]) {
        use crate::web::recent::{remember, List};
        remember(List::Chains, ids).await;
    }

    /// A project from a form: its id, or a link to its page (`.../p/<id>`).
    pub fn parse_project(s: &str) -> Result<Uuid, AppError> {
        let s = s.trim();
        let id = match s.rfind("/p/") {
            Some(i) => s[i + 3..].split(['/', '?', '#']).next().unwrap_or_default(),
            None => s,
        };
        Uuid::parse_str(id).map_err(|_| {
            AppError::invalid(
                super::PROJECT,
                "Enter a project's link (…/p/<id>) or its id.",
            )
            .with_values(&[(super::PROJECT, s)])
        })
    }
}

#[server(endpoint = "create_chain")]
pub async fn create_chain(
    name: String,
    description: String,
    category: String,
    visibility: String,
) -> Result<(), AppError> {
    let user = signed_in()?;
    let values = [
        (NAME, name.as_str()),
        (DESCRIPTION, description.as_str()),
        (CATEGORY, category.as_str()),
        (VISIBILITY, visibility.as_str()),
    ];
    let is_public = match visibility.as_str() {
        "public" => true,
        "private" => false,
        _ => {
            return Err(
                AppError::invalid(VISIBILITY, "Choose public or private.").with_values(&values)
            )
        }
    };
    let state = crate::state::state()?;
    let new = data::chains::NewChain {
        name: name.clone(),
        description: description.clone(),
        category: category.clone(),
        is_public,
    };
    let id = data::chains::create(&state.pool, user.id, &new)
        .await
        .map_err(|e| AppError::from(e).with_values(&values))?;
    // The creator follows their chain from the start.
    state
        .overlays
        .changed(data::overlays::Kind::Follows, user.id)
        .await;
    remember(&[id]).await;
    // Another page shows the result: the browser goes there, with or
    // without JavaScript (the client follows the redirect itself).
    leptos_axum::redirect(&format!("/c/{id}"));
    Ok(())
}

#[cfg(feature = "ssr")]
async fn set_following(chain_id: String, follow: bool) -> Result<(), AppError> {
    let user = signed_in()?;
    let id = parse_id(&chain_id)?;
    let state = crate::state::state()?;
    let done = if follow {
        data::chains::follow(&state.pool, user.id, id).await
    } else {
        data::chains::unfollow(&state.pool, user.id, id).await
    };
    done?;
    state
        .overlays
        .changed(data::overlays::Kind::Follows, user.id)
        .await;
    remember(&[id]).await;
    back_to("chain-header", &format!("/c/{id}"));
    Ok(())
}

#[server(endpoint = "follow_chain")]
pub async fn follow_chain(chain_id: String) -> Result<(), AppError> {
    set_following(chain_id, true).await
}

#[server(endpoint = "unfollow_chain")]
pub async fn unfollow_chain(chain_id: String) -> Result<(), AppError> {
    set_following(chain_id, false).await
}

#[server(endpoint = "chain_add_project")]
pub async fn chain_add_project(chain_id: String, project: String) -> Result<(), AppError> {
    let user = signed_in()?;
    let id = parse_id(&chain_id)?;
    let project_id = parse_project(&project)?;
    let state = crate::state::state()?;
    data::chains::add_project(&state.pool, user.id, id, project_id)
        .await
        .map_err(|e| AppError::from(e).with_values(&[(PROJECT, project.as_str())]))?;
    remember(&[id]).await;
    back_to("chain-projects", &format!("/c/{id}"));
    Ok(())
}

#[server(endpoint = "chain_remove_project")]
pub async fn chain_remove_project(chain_id: String, project_id: String) -> Result<(), AppError> {
    let user = signed_in()?;
    let id = parse_id(&chain_id)?;
    let project_id = parse_id(&project_id)?;
    let state = crate::state::state()?;
    data::chains::remove_project(&state.pool, user.id, id, project_id).await?;
    remember(&[id]).await;
    back_to("chain-projects", &format!("/c/{id}"));
    Ok(())
}

#[server(endpoint = "create_post")]
pub async fn create_post(
    chain_id: String,
    title: String,
    content: String,
    post_type: String,
) -> Result<(), AppError> {
    let user = signed_in()?;
    let id = parse_id(&chain_id)?;
    let state = crate::state::state()?;
    let new = data::forum::NewPost {
        title: title.clone(),
        content: content.clone(),
        post_type: post_type.clone(),
    };
    let made = data::forum::create_post(&state.pool, user.id, id, &new)
        .await
        .map_err(|e| {
            AppError::from(e).with_values(&[
                (TITLE, title.as_str()),
                (CONTENT, content.as_str()),
                (POST_TYPE, post_type.as_str()),
            ])
        })?;
    remember(&[made.chain_id, made.id]).await;
    // Another page shows the result: the browser goes there, with or
    // without JavaScript (the client follows the redirect itself).
    leptos_axum::redirect(&format!("/c/{}/posts/{}", made.chain_id, made.id));
    Ok(())
}

#[cfg(feature = "ssr")]
async fn pin(post_id: String, pinned: bool) -> Result<(), AppError> {
    let user = signed_in()?;
    let id = parse_id(&post_id)?;
    let state = crate::state::state()?;
    let done = data::forum::set_pinned(&state.pool, user.id, id, pinned).await?;
    remember(&[done.chain_id, done.id]).await;
    back_to(&format!("post-{id}"), &format!("/c/{}", done.chain_id));
    Ok(())
}

#[server(endpoint = "pin_post")]
pub async fn pin_post(post_id: String) -> Result<(), AppError> {
    pin(post_id, true).await
}

#[server(endpoint = "unpin_post")]
pub async fn unpin_post(post_id: String) -> Result<(), AppError> {
    pin(post_id, false).await
}

#[server(endpoint = "vote_post")]
pub async fn vote_post(post_id: String, vote: String) -> Result<(), AppError> {
    let user = signed_in()?;
    let id = parse_id(&post_id)?;
    let vote = match vote.as_str() {
        "up" => Some(true),
        "down" => Some(false),
        "remove" => None,
        _ => {
            return Err(AppError::invalid(
                VOTE,
                "A vote is \"up\", \"down\" or \"remove\".",
            ))
        }
    };
    let state = crate::state::state()?;
    let done = data::forum::vote(&state.pool, user.id, id, vote).await?;
    state
        .overlays
        .changed(data::overlays::Kind::PostVotes, user.id)
        .await;
    remember(&[done.chain_id, done.id]).await;
    back_to(
        &format!("post-{id}"),
        &format!("/c/{}/posts/{id}", done.chain_id),
    );
    Ok(())
}

#[server(endpoint = "comment_post")]
pub async fn comment_post(post_id: String, content: String) -> Result<(), AppError> {
    let user = signed_in()?;
    let id = parse_id(&post_id)?;
    let state = crate::state::state()?;
    let made = data::forum::comment(&state.pool, user.id, id, &content)
        .await
        .map_err(|e| AppError::from(e).with_values(&[(CONTENT, content.as_str())]))?;
    remember(&[made.chain_id, made.post_id]).await;
    // Newest first: the new comment is at the top of the first page.
    if wants_html() {
        leptos_axum::redirect(&format!(
            "/c/{}/posts/{}#comment-{}",
            made.chain_id, made.post_id, made.id
        ));
    }
    Ok(())
}

#[server(endpoint = "delete_post")]
pub async fn delete_post(post_id: String) -> Result<(), AppError> {
    let user = signed_in()?;
    let id = parse_id(&post_id)?;
    let state = crate::state::state()?;
    let done = data::forum::delete_post(&state.pool, user.id, id).await?;
    remember(&[done.chain_id, done.id]).await;
    // Another page shows the result: the browser goes there, with or
    // without JavaScript (the client follows the redirect itself).
    leptos_axum::redirect(&format!("/c/{}#forum", done.chain_id));
    Ok(())
}

#[server(endpoint = "delete_post_comment")]
pub async fn delete_post_comment(comment_id: String) -> Result<(), AppError> {
    let user = signed_in()?;
    let id = parse_id(&comment_id)?;
    let state = crate::state::state()?;
    let done = data::forum::delete_comment(&state.pool, user.id, id).await?;
    remember(&[done.chain_id, done.post_id]).await;
    back_to(
        "comments",
        &format!("/c/{}/posts/{}", done.chain_id, done.post_id),
    );
    Ok(())
}
