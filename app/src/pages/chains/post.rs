//! `/c/<uuid>/posts/<uuid>`: one forum post with its comments. The post,
//! its counts, the reader's vote and the comments are read live (one post:
//! primary-key reads and index range counts), so whoever just voted or
//! commented sees it at once. The chain's visibility rules apply (404 for
//! a private chain's outsiders, an inactive chain, a deleted post).

use crate::web::{action, page_data};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::actions::{
    CommentPost, DeletePost, DeletePostComment, PinPost, UnpinPost, VotePost, CONTENT,
};
use super::chain::PinButton;
use crate::components::{loaded, CommentPager, FormError, OnError, TextArea};
use crate::error::AppError;
use crate::format::label;
use crate::web::{failed, set_status};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostCommentView {
    pub id: Uuid,
    pub author: String,
    pub content: String,
    pub created: String,
    pub mine: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostView {
    pub chain_id: Uuid,
    pub chain_name: String,
    pub id: Uuid,
    pub title: String,
    pub content: String,
    pub post_type: String,
    pub created: String,
    pub author: String,
    pub upvotes: i64,
    pub downvotes: i64,
    pub comment_count: i64,
    pub is_pinned: bool,
    /// `Some(true)` upvoted, `Some(false)` downvoted.
    pub my_vote: Option<bool>,
    pub mine: bool,
    pub is_owner: bool,
    pub signed_in: bool,
    pub comments: Vec<PostCommentView>,
    pub next_comments: Option<String>,
    pub first_comments_page: bool,
}

#[server(endpoint = "chain_post")]
pub async fn get_post(
    chain_id: String,
    post_id: String,
    after: Option<String>,
) -> Result<PostView, AppError> {
    use super::chain::visible_header;
    use crate::format::date;
    use crate::web::cursor_param;
    use data::cursor::KeyKind;

    let chain_id = Uuid::parse_str(&chain_id).map_err(|_| AppError::NotFound)?;
    let post_id = Uuid::parse_str(&post_id).map_err(|_| AppError::NotFound)?;
    let before = cursor_param(KeyKind::Time, after.as_deref())?;
    let state = crate::state::state()?;
    let pool = &state.pool;
    let viewer = crate::auth::session_user();
    let viewer_id = viewer.as_ref().map(|u| u.id);
    let chain = visible_header(pool, chain_id, viewer_id, false).await?;
    let post = data::forum::post(pool, chain_id, post_id)
        .await?
        .ok_or(AppError::NotFound)?;
    let my_vote = match viewer_id {
        Some(uid) => state.overlays.post_vote(pool, uid, post_id).await?,
        None => None,
    };
    let comments = data::forum::comments(pool, post_id, before).await?;
    Ok(PostView {
        chain_id,
        chain_name: chain.name,
        id: post.id,
        title: post.title,
        content: post.content,
        post_type: post.post_type,
        created: date(post.created_at),
        author: post.author_username,
        upvotes: post.upvote_count,
        downvotes: post.downvote_count,
        comment_count: post.comment_count,
        is_pinned: post.is_pinned,
        my_vote,
        mine: viewer_id == Some(post.author_id),
        is_owner: viewer_id == Some(chain.creator_id),
        signed_in: viewer.is_some(),
        comments: comments
            .comments
            .into_iter()
            .map(|c| PostCommentView {
                id: c.id,
                mine: viewer_id == Some(c.author_id),
                author: c.author_username,
                content: c.content,
                created: date(c.created_at),
            })
            .collect(),
        next_comments: comments.next.map(|c| c.encode()),
        first_comments_page: before.is_none(),
    })
}

#[derive(Clone, Copy)]
struct Actions {
    vote: ServerAction<VotePost>,
    comment: ServerAction<CommentPost>,
    delete_comment: ServerAction<DeletePostComment>,
    delete_post: ServerAction<DeletePost>,
    pin: ServerAction<PinPost>,
    unpin: ServerAction<UnpinPost>,
}

#[component]
pub fn PostPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let actions = Actions {
        vote: action(),
        comment: action(),
        delete_comment: action(),
        delete_post: action(),
        pin: action(),
        unpin: action(),
    };
    // Read while the body renders: after a post in the browser it renders
    // again, with that post's error (web::writes).
    let errors = move || {
        let comment_error = failed(actions.comment);
        let any = failed(actions.vote)
            .or_else(|| failed(actions.delete_comment))
            .or_else(|| failed(actions.delete_post))
            .or_else(|| failed(actions.pin))
            .or_else(|| failed(actions.unpin))
            .or_else(|| comment_error.clone());
        if let Some(err) = &any {
            set_status(err.status());
        }
        (
            any.filter(|e| !matches!(e, AppError::Invalid(_))),
            comment_error.filter(|e| matches!(e, AppError::Invalid(_))),
        )
    };
    let post = page_data(
        move || {
            let p = params.get();
            (p.get("id"), p.get("post"), query.get().get("after"))
        },
        |(chain, post, after)| get_post(chain.unwrap_or_default(), post.unwrap_or_default(), after),
    );
    loaded(post, OnError::ErrorPage, move |p| {
        let (general, comment_error) = errors();
        view! { <PostBody p actions general comment_error /> }
    })
}

/// Vote buttons: up / down, or take back the vote you gave.
#[component]
fn VoteButtons(
    post_id: Uuid,
    title: String,
    my_vote: Option<bool>,
    vote: ServerAction<VotePost>,
) -> impl IntoView {
    let button =
        move |value: &'static str, text: &'static str, aria: String, class: &'static str| {
            view! {
                <ActionForm action=vote attr:class="inline-form vote-form">
                    <input type="hidden" name="post_id" value=post_id.to_string() />
                    <input type="hidden" name="vote" value=value />
                    <button type="submit" class=class aria-label=aria>{text}</button>
                </ActionForm>
            }
        };
    let up = match my_vote {
        Some(true) => button(
            "remove",
            "▲ Remove upvote",
            format!("Remove upvote from {title}"),
            "button small upvoted",
        ),
        _ => button("up", "▲ Upvote", format!("Upvote {title}"), "button small"),
    };
    let down = match my_vote {
        Some(false) => button(
            "remove",
            "▼ Remove downvote",
            format!("Remove downvote from {title}"),
            "button small downvoted",
        ),
        _ => button(
            "down",
            "▼ Downvote",
            format!("Downvote {title}"),
            "button small",
        ),
    };
    view! { <div class="vote-buttons">{up}{down}</div> }
}

#[component]
fn PostBody(
    p: PostView,
    actions: Actions,
    general: Option<AppError>,
    comment_error: Option<AppError>,
) -> impl IntoView {
    let chain_href = format!("/c/{}", p.chain_id);
    let page = format!("/c/{}/posts/{}", p.chain_id, p.id);
    let pin = p.is_owner.then(|| {
        view! { <PinButton post_id=p.id title=p.title.clone() is_pinned=p.is_pinned pin=actions.pin unpin=actions.unpin /> }
    });
    let delete = p.mine.then(|| {
        view! {
            <ActionForm action=actions.delete_post attr:class="inline-form">
                <input type="hidden" name="post_id" value=p.id.to_string() />
                <button type="submit" class="link-button danger">"Delete post"</button>
            </ActionForm>
        }
    });
    let comment_form = if p.signed_in {
        let error = comment_error.as_ref().and_then(|e| e.field_error(CONTENT));
        let value = comment_error.as_ref().and_then(|e| e.field_value(CONTENT));
        view! {
            <ActionForm action=actions.comment attr:class="stack comment-form" attr:novalidate=true>
                <input type="hidden" name="post_id" value=p.id.to_string() />
                <TextArea
                    id="comment-new".to_string()
                    name=CONTENT
                    label="Add a comment".to_string()
                    hint="Up to 2,000 characters."
                    error=error
                    value=value
                />
                <button type="submit" class="button primary">"Post comment"</button>
            </ActionForm>
        }
        .into_any()
    } else {
        view! {
            <p class="aside"><a href=format!("/login?next={page}")>"Log in"</a>" to comment."</p>
        }
        .into_any()
    };
    let comments = p
        .comments
        .clone()
        .into_iter()
        .map(|c| {
            let delete = c.mine.then(|| {
                let cid = c.id.to_string();
                view! {
                    <ActionForm action=actions.delete_comment attr:class="inline-form">
                        <input type="hidden" name="comment_id" value=cid />
                        <button type="submit" class="link-button danger">"Delete"</button>
                    </ActionForm>
                }
            });
            view! {
                <li class="comment" id=format!("comment-{}", c.id)>
                    <article aria-label=format!("Comment by {}", c.author)>
                        <p class="comment-meta">
                            <a href=format!("/u/{}", c.author)>{c.author.clone()}</a>
                            " · " <time>{c.created.clone()}</time>
                        </p>
                        <p class="comment-text">{c.content.clone()}</p>
                        <div class="comment-actions">{delete}</div>
                    </article>
                </li>
            }
        })
        .collect_view();
    let older = p
        .next_comments
        .clone()
        .map(|cursor| format!("{page}?after={cursor}#comments"));
    let newest = (!p.first_comments_page).then(|| format!("{page}#comments"));
    view! {
        <Title text=p.title.clone() />
        <article class="post" id=format!("post-{}", p.id)>
            <FormError error=Signal::derive(move || general.clone()) />
            <header class="post-header">
                <p class="crumbs"><a href="/chains">"Chains"</a>" / "
                    <a href=chain_href.clone()>{p.chain_name.clone()}</a></p>
                <h1>{p.title.clone()}</h1>
                <p class="card-meta">
                    <span class=format!("post-type post-type-{}", p.post_type)>{label(&p.post_type)}</span>
                    " · by " <a href=format!("/u/{}", p.author)>{p.author.clone()}</a>
                    " · " <time>{p.created.clone()}</time>
                    {p.is_pinned.then(|| view! { " · " <span class="pinned-label">"Pinned"</span> })}
                </p>
                <ul class="stats" aria-label="Numbers">
                    <li><span class="stat-value post-upvotes">{p.upvotes}</span>" up"</li>
                    <li><span class="stat-value post-downvotes">{p.downvotes}</span>" down"</li>
                    <li><span class="stat-value comment-count">{p.comment_count}</span>
                        {if p.comment_count == 1 { " comment" } else { " comments" }}</li>
                </ul>
                <VoteButtons post_id=p.id title=p.title.clone() my_vote=p.my_vote vote=actions.vote />
                <div class="post-actions">{pin}{delete}</div>
            </header>
            <div class="post-content">{p.content.clone()}</div>
            <section id="comments" class="comments" aria-labelledby="comments-heading">
                <h2 id="comments-heading">"Comments (" {p.comment_count} ")"</h2>
                {comment_form}
                <ol class="thread">{comments}</ol>
                <CommentPager newest older />
            </section>
        </article>
    }
}
