//! Upvote and remove an upvote: the button the feed and the project page
//! show, and the server functions it posts to.
//!
//! Without JavaScript the browser gets a 302 back to the page it came
//! from, at the card it acted on. A signed-out browser is sent to
//! `/login?next=<page>`; other clients get 401; an unknown project is 404
//! and nothing is written. A successful vote records the project in the
//! session's recent projects, so the feed reads its count live.

use leptos::prelude::*;

use super::IdButton;
use crate::error::AppError;

#[cfg(feature = "ssr")]
async fn set_upvote(project_id: String, upvoted: bool) -> Result<(), AppError> {
    use crate::web::recent::{remember, List};
    use crate::web::{back_to, parse_id, signed_in};

    let user = signed_in()?;
    let id = parse_id(&project_id)?;
    let state = crate::state::state()?;
    let done = if upvoted {
        data::votes::upvote(&state.pool, user.id, id).await
    } else {
        data::votes::remove_upvote(&state.pool, user.id, id).await
    };
    done?;
    state
        .overlays
        .changed(data::overlays::Kind::Upvotes, user.id)
        .await;
    remember(List::Projects, &[id]).await;
    back_to(&format!("p-{id}"), &format!("/p/{id}"));
    Ok(())
}

#[server(endpoint = "upvote")]
pub async fn upvote(project_id: String) -> Result<(), AppError> {
    set_upvote(project_id, true).await
}

#[server(endpoint = "remove_upvote")]
pub async fn remove_upvote(project_id: String) -> Result<(), AppError> {
    set_upvote(project_id, false).await
}

/// Upvote, or remove the upvote, as a form that works without JavaScript.
/// Signed-out readers get the same form: the server sends them to log in.
#[component]
pub fn UpvoteButton(
    project_id: uuid::Uuid,
    title: String,
    upvoted: bool,
    upvote: ServerAction<Upvote>,
    unvote: ServerAction<RemoveUpvote>,
) -> impl IntoView {
    let id = project_id.to_string();
    if upvoted {
        view! {
            <ActionForm action=unvote attr:class="inline-form vote-form">
                <IdButton name="project_id" value=id class="button small upvoted" label=format!("Remove upvote from {title}")>
                    "▲ Remove upvote"
                </IdButton>
            </ActionForm>
        }
        .into_any()
    } else {
        view! {
            <ActionForm action=upvote attr:class="inline-form vote-form">
                <IdButton name="project_id" value=id class="button small" label=format!("Upvote {title}")>
                    "▲ Upvote"
                </IdButton>
            </ActionForm>
        }
        .into_any()
    }
}
