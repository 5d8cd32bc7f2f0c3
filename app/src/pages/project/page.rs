//! `/p/<uuid>`: one project. Its details, badges and chains come from
//! `mv_project_details`; its upvote and comment counts, whether the reader
//! upvoted it, and the comment thread are read live, so whoever just voted
//! or commented sees it at once (one indexed count each: it is one project).

use crate::web::{action, page_data};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::badges::{BadgeItem, BadgeSection};
use super::comments::{AddComment, DeleteComment, EditComment, ReplyComment, CONTENT, TARGET};
use super::reports::ReportForm;
use crate::components::{
    loaded, CardBadges, CommentPager, FormError, OnError, RemoveUpvote, TextArea, Upvote,
    UpvoteButton,
};
use crate::error::AppError;
use crate::format::label;
#[cfg(feature = "ssr")]
use crate::format::{date, is_http_url};
use crate::web::set_status;

/// A badge as the page lists it (read live, see `get_project`).
pub type BadgeView = BadgeItem;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainView {
    pub id: Uuid,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommentView {
    pub id: Uuid,
    pub username: String,
    pub content: String,
    pub edited: bool,
    pub created: String,
    pub mine: bool,
    pub replies: Vec<CommentView>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectView {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub link: Option<String>,
    pub image_url: Option<String>,
    pub category: String,
    pub is_featured: bool,
    pub created: String,
    pub proof_score: i32,
    pub builder: String,
    pub builder_bio: String,
    pub builder_verified: bool,
    pub upvote_count: i64,
    pub comment_count: i64,
    pub total_comment_count: i64,
    pub badges: Vec<BadgeView>,
    pub chains: Vec<ChainView>,
    pub upvoted: bool,
    pub signed_in: bool,
    /// The reader is a validator and not the builder: the award form shows.
    pub can_award: bool,
    pub comments: Vec<CommentView>,
    pub next_comments: Option<String>,
    pub first_comments_page: bool,
}

#[server(endpoint = "project")]
pub async fn get_project(id: String, after: Option<String>) -> Result<ProjectView, AppError> {
    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let before = crate::web::cursor_param(data::cursor::KeyKind::Time, after.as_deref())?;
    let state = crate::state::state()?;
    let pool = &state.pool;
    // A project the view does not hold yet (created a moment ago), and the
    // owner's own project (their edits), are read from the base tables.
    let owner_id = crate::auth::session_user().map(|u| u.id);
    let details = match data::projects::details(pool, id).await? {
        Some(d) if Some(d.user_id) != owner_id => d,
        _ => data::projects::live_details(pool, id)
            .await?
            .ok_or(AppError::NotFound)?,
    };
    let live = data::projects::live_counts(pool, &[id]).await?;
    let live = live.first().copied();
    // Badges and proof score live (one range scan on idx_badges_project):
    // a validator sees the badge they just awarded or revoked at once.
    let (proof_score, live_badges) = data::badges::live(pool, id)
        .await?
        .ok_or(AppError::NotFound)?;
    let viewer = crate::auth::session_user();
    let upvoted = match &viewer {
        Some(user) => state.overlays.has_upvoted(pool, user.id, id).await?,
        None => false,
    };
    let thread = data::projects::thread(pool, id, before).await?;
    let viewer_id = viewer.as_ref().map(|u| u.id);

    let to_view = |c: &data::projects::ThreadComment| CommentView {
        id: c.id,
        username: c.username.clone(),
        content: c.content.clone(),
        edited: c.is_edited,
        created: date(c.created_at),
        mine: Some(c.user_id) == viewer_id,
        replies: Vec::new(),
    };
    fn attach(
        node: &mut CommentView,
        replies: &[data::projects::ThreadComment],
        to_view: &dyn Fn(&data::projects::ThreadComment) -> CommentView,
    ) {
        for r in replies.iter().filter(|r| r.parent_id == Some(node.id)) {
            let mut child = to_view(r);
            attach(&mut child, replies, to_view);
            node.replies.push(child);
        }
    }
    let comments = thread
        .top_level
        .iter()
        .map(|c| {
            let mut node = to_view(c);
            attach(&mut node, &thread.replies, &to_view);
            node
        })
        .collect();
    let next_comments = thread.next.map(|c| c.encode());
    Ok(ProjectView {
        id: details.id,
        title: details.title,
        description: details.description,
        link: details.proof_of_work_link.filter(|l| is_http_url(l)),
        image_url: details.image_url.filter(|l| is_http_url(l)),
        category: details.category,
        is_featured: details.is_featured,
        created: date(details.created_at),
        proof_score,
        builder: details.username,
        builder_bio: details.creator_bio,
        builder_verified: details.is_verified,
        upvote_count: live.map_or(details.upvote_count, |l| l.upvote_count),
        comment_count: live.map_or(details.comment_count, |l| l.comment_count),
        total_comment_count: live.map_or(details.total_comment_count, |l| l.total_comment_count),
        badges: live_badges
            .into_iter()
            .map(|b| BadgeView {
                id: b.id,
                mine: Some(b.validator_id) == viewer_id,
                badge_type: b.badge_type,
                note: b.note,
                validator: b.validator_username,
                created: date(b.created_at),
            })
            .collect(),
        chains: details
            .chains_json
            .0
            .into_iter()
            .map(|c| ChainView {
                id: c.id,
                name: c.name,
            })
            .collect(),
        upvoted,
        signed_in: viewer.is_some(),
        can_award: viewer
            .as_ref()
            .is_some_and(|v| v.role == "validator" && v.id != details.user_id),
        comments,
        next_comments,
        first_comments_page: before.is_none(),
    })
}

/// The actions of the page, created once so each picks up its own error
/// from the URL after a failed post.
#[derive(Clone, Copy)]
struct Actions {
    upvote: ServerAction<Upvote>,
    unvote: ServerAction<RemoveUpvote>,
    comment: ServerAction<AddComment>,
    reply: ServerAction<ReplyComment>,
    edit: ServerAction<EditComment>,
    delete: ServerAction<DeleteComment>,
}

/// A failed post's error, if any, from one action.
fn failed<S>(action: ServerAction<S>) -> Option<AppError>
where
    S: server_fn::ServerFn<Output = (), Error = AppError> + Clone + Send + Sync + 'static,
{
    action.value().get_untracked().and_then(Result::err)
}

#[component]
pub fn ProjectPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    // Actions of forms in components of the body: made here, once.
    provide_context(action::<super::reports::Report>());
    provide_context(action::<super::badges::AwardBadge>());
    provide_context(action::<super::badges::RevokeBadge>());
    let actions = Actions {
        upvote: action(),
        unvote: action(),
        comment: action(),
        reply: action(),
        edit: action(),
        delete: action(),
    };
    // Read while the body renders: after a post in the browser it renders
    // again, with that post's error (web::writes).
    let errors = move || {
        let errors = Errors {
            upvote: failed(actions.upvote).or_else(|| failed(actions.unvote)),
            comment: failed(actions.comment),
            reply: failed(actions.reply),
            edit: failed(actions.edit),
            delete: failed(actions.delete),
        };
        if let Some(err) = errors.any() {
            set_status(err.status());
        }
        errors
    };
    let project = page_data(
        move || (params.get().get("id"), query.get().get("after")),
        |(id, after)| get_project(id.unwrap_or_default(), after),
    );
    loaded(
        project,
        OnError::ErrorPage,
        move |p| view! { <ProjectBody p actions errors=errors() /> },
    )
}

/// Errors of failed posts, by action.
#[derive(Clone, Default)]
struct Errors {
    upvote: Option<AppError>,
    comment: Option<AppError>,
    reply: Option<AppError>,
    edit: Option<AppError>,
    delete: Option<AppError>,
}

impl Errors {
    fn any(&self) -> Option<AppError> {
        self.upvote
            .clone()
            .or_else(|| self.comment.clone())
            .or_else(|| self.reply.clone())
            .or_else(|| self.edit.clone())
            .or_else(|| self.delete.clone())
    }

    /// Errors not tied to one form's field (401, 403, 404, ...).
    fn general(&self) -> Option<AppError> {
        self.any().filter(|e| !matches!(e, AppError::Invalid(_)))
    }

    /// The field error of `action_error` when it was about `target`.
    fn field_for(err: &Option<AppError>, target: &str) -> Option<(String, String)> {
        let err = err.as_ref()?;
        (err.field_value(TARGET).as_deref() == Some(target)).then(|| {
            (
                err.field_error(CONTENT).unwrap_or_default(),
                err.field_value(CONTENT).unwrap_or_default(),
            )
        })
    }
}

#[component]
fn ProjectBody(p: ProjectView, actions: Actions, errors: Errors) -> impl IntoView {
    let id = p.id;
    let image = p.image_url.clone().map(|src| {
        view! { <img class="project-image" src=src alt=format!("Screenshot of {}", p.title) /> }
    });
    let link = p.link.clone().map(|href| {
        view! {
            <p class="proof-link">
                "Proof of work: "
                <a href=href.clone() rel="nofollow noopener ugc" target="_blank">{href.clone()}</a>
            </p>
        }
    });
    let chains = if p.chains.is_empty() {
        view! { <p class="empty">"Not in any chain yet."</p> }.into_any()
    } else {
        let items = p
            .chains
            .iter()
            .map(|c| view! { <li><a href=format!("/c/{}", c.id)>{c.name.clone()}</a></li> })
            .collect_view();
        view! { <ul class="chain-list">{items}</ul> }.into_any()
    };
    let badge_types = {
        let mut t: Vec<String> = p.badges.iter().map(|b| b.badge_type.clone()).collect();
        t.sort();
        t.dedup();
        t
    };
    let general = errors.general();
    let (comment_error, comment_value) =
        Errors::field_for(&errors.comment, &id.to_string()).unzip();
    let comment_form = if p.signed_in {
        view! {
            <ActionForm action=actions.comment attr:class="stack comment-form" attr:novalidate=true>
                <input type="hidden" name="project_id" value=id.to_string() />
                <TextArea
                    id="comment-new".to_string()
                    name=CONTENT
                    label="Add a comment".to_string()
                    hint="Up to 2,000 characters."
                    error=comment_error
                    value=comment_value
                />
                <button type="submit" class="button primary">"Post comment"</button>
            </ActionForm>
        }
        .into_any()
    } else {
        view! {
            <p class="aside">
                <a href=format!("/login?next=/p/{id}")>"Log in"</a>" to comment."
            </p>
        }
        .into_any()
    };
    let signed_in = p.signed_in;
    let thread = p
        .comments
        .into_iter()
        .map(|c| view! { <Comment c actions errors=errors.clone() signed_in /> })
        .collect_view();
    let older = p
        .next_comments
        .map(|cursor| format!("/p/{id}?after={cursor}#comments"));
    let newest = (!p.first_comments_page).then(|| format!("/p/{id}#comments"));
    let verified = p
        .builder_verified
        .then(|| view! { <span class="verified">" (verified)"</span> });
    let bio = (!p.builder_bio.is_empty()).then(|| view! { <p>{p.builder_bio.clone()}</p> });
    view! {
        <Title text=p.title.clone() />
        <article class="project" id=format!("p-{id}")>
            <FormError error=Signal::derive(move || general.clone()) />
            <header class="project-header">
                <p class="crumbs"><a href="/">"Feed"</a>" / "
                    <a href=format!("/?category={}", p.category)>{label(&p.category)}</a></p>
                <h1>{p.title.clone()}</h1>
                <p class="card-meta">
                    "by " <a href=format!("/u/{}", p.builder)>{p.builder.clone()}</a>
                    " · " <time>{p.created.clone()}</time>
                    {p.is_featured.then(|| view! { " · " <span class="featured-label">"Featured"</span> })}
                </p>
                <CardBadges types=badge_types />
                <ul class="stats" aria-label="Numbers">
                    <li><span class="stat-value">{p.proof_score}</span>" proof score"</li>
                    <li><span class="stat-value upvote-count">{p.upvote_count}</span>
                        {if p.upvote_count == 1 { " upvote" } else { " upvotes" }}</li>
                    <li><span class="stat-value comment-count">{p.total_comment_count}</span>
                        {if p.total_comment_count == 1 { " comment" } else { " comments" }}</li>
                </ul>
                <UpvoteButton project_id=id title=p.title.clone() upvoted=p.upvoted upvote=actions.upvote unvote=actions.unvote />
            </header>
            {image}
            <section aria-labelledby="about-heading">
                <h2 id="about-heading">"About"</h2>
                <p class="description">{p.description.clone()}</p>
                {link}
            </section>
            <section class="builder-card" aria-labelledby="builder-heading">
                <h2 id="builder-heading">"Builder"</h2>
                <p><a href=format!("/u/{}", p.builder)>{p.builder.clone()}</a>{verified}</p>
                {bio}
            </section>
            <section aria-labelledby="badges-heading">
                <h2 id="badges-heading">"Validation badges"</h2>
                <BadgeSection project_id=id badges=p.badges.clone() can_award=p.can_award />
            </section>
            <section aria-labelledby="chains-heading">
                <h2 id="chains-heading">"Chains"</h2>
                {chains}
            </section>
            {signed_in.then(|| view! {
                <ReportForm target_type="project" target_id=id what="this project".to_string() general=true />
            })}
            <section id="comments" class="comments" aria-labelledby="comments-heading">
                <h2 id="comments-heading">"Comments (" {p.total_comment_count} ")"</h2>
                {comment_form}
                <ol class="thread">{thread}</ol>
                <CommentPager newest older />
            </section>
        </article>
    }
}

/// One comment with its replies; reply / edit / delete forms open in a
/// `<details>` (no JavaScript), already open when their post failed.
#[component]
fn Comment(c: CommentView, actions: Actions, errors: Errors, signed_in: bool) -> impl IntoView {
    let cid = c.id.to_string();
    let (reply_error, reply_value) = Errors::field_for(&errors.reply, &cid).unzip();
    let (edit_error, edit_value) = Errors::field_for(&errors.edit, &cid).unzip();
    let reply_open = reply_error.is_some();
    let edit_open = edit_error.is_some();
    let reply_form = if signed_in {
        let cid = cid.clone();
        let reply_label = format!("Reply to {}", c.username);
        Some(view! {
            <details class="comment-action" open=reply_open>
                <summary>"Reply"</summary>
                <ActionForm action=actions.reply attr:class="stack" attr:novalidate=true>
                    <input type="hidden" name="comment_id" value=cid.clone() />
                    <TextArea
                        id=format!("reply-{cid}")
                        name=CONTENT
                        label=reply_label
                        error=reply_error.clone()
                        value=reply_value
                        rows=3
                    />
                    <button type="submit" class="button small primary">"Post reply"</button>
                </ActionForm>
            </details>
        })
    } else {
        None
    };
    let own_forms = if c.mine {
        let content = edit_value.clone().unwrap_or_else(|| c.content.clone());
        let edit_id = cid.clone();
        let delete_id = cid.clone();
        Some(view! {
            <details class="comment-action" open=edit_open>
                <summary>"Edit"</summary>
                <ActionForm action=actions.edit attr:class="stack" attr:novalidate=true>
                    <input type="hidden" name="comment_id" value=edit_id.clone() />
                    <TextArea
                        id=format!("edit-{edit_id}")
                        name=CONTENT
                        label="Edit your comment".to_string()
                        error=edit_error.clone()
                        value=Some(content)
                        rows=3
                    />
                    <button type="submit" class="button small primary">"Save"</button>
                </ActionForm>
            </details>
            <ActionForm action=actions.delete attr:class="inline-form">
                <input type="hidden" name="comment_id" value=delete_id />
                <button type="submit" class="link-button danger">"Delete"</button>
            </ActionForm>
        })
    } else {
        None
    };
    let report = (signed_in && !c.mine).then(|| {
        view! { <ReportForm target_type="comment" target_id=c.id what=format!("comment by {}", c.username) /> }
    });
    let replies = (!c.replies.is_empty()).then(|| {
        let items = c
            .replies
            .into_iter()
            .map(|r| view! { <Comment c=r actions errors=errors.clone() signed_in /> }.into_any())
            .collect_view();
        view! { <ol class="thread replies">{items}</ol> }
    });
    view! {
        <li class="comment" id=format!("comment-{cid}")>
            <article aria-label=format!("Comment by {}", c.username)>
                <p class="comment-meta">
                    <a href=format!("/u/{}", c.username)>{c.username.clone()}</a>
                    " · " <time>{c.created.clone()}</time>
                    {c.edited.then_some(" · edited")}
                </p>
                <p class="comment-text">{c.content.clone()}</p>
                <div class="comment-actions">{reply_form}{own_forms}{report}</div>
            </article>
            {replies}
        </li>
    }
}
