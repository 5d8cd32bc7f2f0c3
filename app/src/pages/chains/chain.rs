//! `/c/<uuid>`: one chain. Its header comes from `mv_chains_discovery`,
//! its forum from `mv_chain_posts` (pinned posts first, then trending or
//! newest, keyset pages), its projects from `chain_projects` (live, most
//! recently added first, keyset pages). Whether the reader follows it is
//! read live.
//!
//! Read your own writes: when the reader acted on the chain in the last
//! minutes (followed, posted, added a project, ...) the header's counts are
//! read live for this one chain, and the posts they acted on are merged
//! into the forum (`data::chain_page`).
//!
//! A private chain exists only for its creator and followers (404 for
//! anyone else); an inactive chain is a 404.

use crate::web::{action, page_data};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::actions::{
    ChainAddProject, ChainRemoveProject, CreatePost, FollowChain, PinPost, UnfollowChain,
    UnpinPost, CONTENT, POST_TYPE, PROJECT, TITLE,
};
use super::list::ChainStats;
use crate::components::{
    loaded, Field, FormError, IdButton, OnError, Pager, Select, Tab, Tabs, TextArea,
};
use crate::error::AppError;
use crate::format::label;
use crate::web::{failed, set_status};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainHeader {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub category: String,
    pub is_public: bool,
    pub is_featured: bool,
    pub created: String,
    pub creator: String,
    pub followers: i64,
    pub projects: i64,
    pub posts: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainProjectView {
    pub id: Uuid,
    pub title: String,
    pub category: String,
    pub proof_score: i32,
    pub builder: String,
    /// The reader may take it out (the chain's owner, or its builder).
    pub removable: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PostCardView {
    pub id: Uuid,
    pub title: String,
    pub excerpt: String,
    pub post_type: String,
    pub created: String,
    pub author: String,
    pub upvotes: i64,
    pub downvotes: i64,
    pub comments: i64,
    pub is_pinned: bool,
}

/// How the reader can add a project.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum AddProject {
    /// The owner: any project, by link or id.
    Any,
    /// A builder on a public chain: one of their own projects.
    Own(Vec<(Uuid, String)>),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainView {
    pub header: ChainHeader,
    pub signed_in: bool,
    pub following: bool,
    pub is_owner: bool,
    pub projects: Vec<ChainProjectView>,
    pub next_projects: Option<String>,
    pub first_projects_page: bool,
    pub add_project: Option<AddProject>,
    pub tab: String,
    pub pinned: Vec<PostCardView>,
    pub posts: Vec<PostCardView>,
    pub next_posts: Option<String>,
    pub first_posts_page: bool,
}

pub const TABS: &[(&str, &str)] = &[("trending", "Trending"), ("newest", "Newest")];

/// A chain page address with these forum / project parameters.
pub fn chain_href(id: Uuid, tab: &str, after: Option<&str>, pafter: Option<&str>) -> String {
    let params = [
        ("tab", (tab != "trending").then_some(tab)),
        ("after", after),
        ("pafter", pafter),
    ];
    crate::format::href(&format!("/c/{id}"), &params)
}

#[cfg(feature = "ssr")]
pub fn header_view(c: data::chains::ChainCard) -> ChainHeader {
    ChainHeader {
        id: c.id,
        name: c.name,
        description: c.description,
        category: c.category,
        is_public: c.is_public,
        is_featured: c.is_featured,
        created: crate::format::date(c.created_at),
        creator: c.creator_username,
        followers: c.follower_count,
        projects: c.project_count,
        posts: c.post_count,
    }
}

#[cfg(feature = "ssr")]
fn post_view(p: data::forum::PostCard) -> PostCardView {
    PostCardView {
        id: p.id,
        title: p.title,
        excerpt: crate::format::excerpt(&p.content, 200),
        post_type: p.post_type,
        created: crate::format::date(p.created_at),
        author: p.author_username,
        upvotes: p.upvote_count,
        downvotes: p.downvote_count,
        comments: p.comment_count,
        is_pinned: p.is_pinned,
    }
}

/// The chain's header for `viewer`, or `NotFound` when the chain is
/// inactive, unknown, or private and the viewer is neither its creator
/// nor a follower. `live` reads its counts from the base tables.
#[cfg(feature = "ssr")]
pub async fn visible_header(
    pool: &data::PgPool,
    id: Uuid,
    viewer: Option<Uuid>,
    live: bool,
) -> Result<data::chains::ChainCard, AppError> {
    if data::chains::visible_to(pool, id, viewer).await? != Some(true) {
        return Err(AppError::NotFound);
    }
    let card = if live {
        None
    } else {
        data::chains::view_card(pool, id).await?
    };
    match card {
        Some(card) => Ok(card),
        // Acted on recently, or too new for the view.
        None => data::chains::live_card(pool, id)
            .await?
            .ok_or(AppError::NotFound),
    }
}

#[server(endpoint = "chain")]
pub async fn get_chain(
    id: String,
    tab: Option<String>,
    after: Option<String>,
    pafter: Option<String>,
) -> Result<ChainView, AppError> {
    use crate::web::cursor_param;
    use data::cursor::KeyKind;
    use data::forum::Tab;

    let id = Uuid::parse_str(&id).map_err(|_| AppError::NotFound)?;
    let tab = Tab::parse(tab.as_deref()).map_err(AppError::BadRequest)?;
    let after = cursor_param(tab.kind(), after.as_deref())?;
    let first_posts_page = after.is_none();
    let pafter = cursor_param(KeyKind::Time, pafter.as_deref())?;
    let state = crate::state::state()?;
    let pool = &state.pool;
    let viewer = crate::auth::session_user();
    let viewer_id = viewer.as_ref().map(|u| u.id);
    let recent = if viewer.is_some() {
        crate::web::recent::recent(crate::web::recent::List::Chains).await
    } else {
        Vec::new()
    };
    let card = visible_header(pool, id, viewer_id, recent.contains(&id)).await?;
    let is_owner = viewer_id == Some(card.creator_id);
    let following = match viewer_id {
        Some(uid) => state.overlays.follows(pool, uid, id).await?,
        None => false,
    };
    let is_public = card.is_public;

    let projects = data::chains::projects(pool, id, pafter).await?;
    let add_project = match viewer_id {
        Some(_) if is_owner => Some(AddProject::Any),
        Some(uid) if is_public => {
            let own = data::chains::own_projects_outside(pool, id, uid).await?;
            (!own.is_empty()).then_some(AddProject::Own(own))
        }
        _ => None,
    };

    let forum = data::chain_page::forum(pool, id, tab, after, &recent).await?;

    Ok(ChainView {
        header: header_view(card),
        signed_in: viewer.is_some(),
        following,
        is_owner,
        projects: projects
            .projects
            .into_iter()
            .map(|p| ChainProjectView {
                removable: is_owner || viewer_id == Some(p.user_id),
                id: p.id,
                title: p.title,
                category: p.category,
                proof_score: p.proof_score,
                builder: p.username,
            })
            .collect(),
        next_projects: projects.next.map(|c| c.encode()),
        first_projects_page: pafter.is_none(),
        add_project,
        tab: tab.name().to_string(),
        pinned: forum.pinned.into_iter().map(post_view).collect(),
        posts: forum.posts.into_iter().map(post_view).collect(),
        next_posts: forum.next.map(|c| c.encode()),
        first_posts_page,
    })
}

/// The page's actions, created once so each picks up its own error from
/// the URL after a failed post.
#[derive(Clone, Copy)]
struct Actions {
    follow: ServerAction<FollowChain>,
    unfollow: ServerAction<UnfollowChain>,
    add: ServerAction<ChainAddProject>,
    remove: ServerAction<ChainRemoveProject>,
    post: ServerAction<CreatePost>,
    pin: ServerAction<PinPost>,
    unpin: ServerAction<UnpinPost>,
}

#[derive(Clone, Default)]
struct Errors {
    general: Option<AppError>,
    add: Option<AppError>,
    post: Option<AppError>,
}

#[component]
pub fn ChainPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let actions = Actions {
        follow: action(),
        unfollow: action(),
        add: action(),
        remove: action(),
        post: action(),
        pin: action(),
        unpin: action(),
    };
    // Read while the body renders: after a post in the browser it renders
    // again, with that post's error (web::writes).
    let errors = move || {
        let add = failed(actions.add);
        let post = failed(actions.post);
        let any = failed(actions.follow)
            .or_else(|| failed(actions.unfollow))
            .or_else(|| failed(actions.remove))
            .or_else(|| failed(actions.pin))
            .or_else(|| failed(actions.unpin))
            .or_else(|| add.clone())
            .or_else(|| post.clone());
        if let Some(err) = &any {
            set_status(err.status());
        }
        Errors {
            general: any.filter(|e| !matches!(e, AppError::Invalid(_))),
            add: add.filter(|e| matches!(e, AppError::Invalid(_))),
            post: post.filter(|e| matches!(e, AppError::Invalid(_))),
        }
    };
    let chain = page_data(
        move || {
            let q = query.get();
            (
                params.get().get("id"),
                q.get("tab"),
                q.get("after"),
                q.get("pafter"),
            )
        },
        |(id, tab, after, pafter)| get_chain(id.unwrap_or_default(), tab, after, pafter),
    );
    loaded(
        chain,
        OnError::ErrorPage,
        move |c| view! { <ChainBody c actions errors=errors() /> },
    )
}

#[component]
fn ChainBody(c: ChainView, actions: Actions, errors: Errors) -> impl IntoView {
    let h = c.header.clone();
    let id = h.id;
    let id_s = id.to_string();
    let unfollow_label = format!("Unfollow {}", h.name);
    let follow_label = format!("Follow {}", h.name);
    // Signed-out readers get the follow form too: the server sends them to
    // log in and back here.
    let follow_form = if c.following {
        view! {
            <ActionForm action=actions.unfollow attr:class="inline-form">
                <IdButton name="chain_id" value=id_s.clone() class="button following" label=unfollow_label>
                    "Following · Unfollow"
                </IdButton>
            </ActionForm>
        }
        .into_any()
    } else {
        view! {
            <ActionForm action=actions.follow attr:class="inline-form">
                <IdButton name="chain_id" value=id_s.clone() class="button primary" label=follow_label>
                    "Follow"
                </IdButton>
            </ActionForm>
        }
        .into_any()
    };
    let general = errors.general.clone();
    let description = (!h.description.is_empty())
        .then(|| view! { <p class="description">{h.description.clone()}</p> });

    // Projects.
    let projects_empty = c.projects.is_empty();
    let project_items = c
        .projects
        .clone()
        .into_iter()
        .map(|p| {
            let remove = p.removable.then(|| {
                let pid = p.id.to_string();
                let what = format!("Remove {} from the chain", p.title);
                view! {
                    <ActionForm action=actions.remove attr:class="inline-form">
                        <input type="hidden" name="chain_id" value=id.to_string() />
                        <input type="hidden" name="project_id" value=pid />
                        <button type="submit" class="link-button danger" aria-label=what>
                            "Remove"
                        </button>
                    </ActionForm>
                }
            });
            view! {
                <li class="chain-project" id=format!("cp-{}", p.id)>
                    <a href=format!("/p/{}", p.id)>{p.title.clone()}</a>
                    <span class="card-meta">
                        " by " {p.builder.clone()} " · " {label(&p.category)}
                        " · " {p.proof_score} " proof score"
                    </span>
                    {remove}
                </li>
            }
        })
        .collect_view();
    let more_projects = c.next_projects.clone().map(|cursor| {
        format!(
            "{}#chain-projects",
            chain_href(id, &c.tab, None, Some(&cursor))
        )
    });
    let first_projects = (!c.first_projects_page).then(|| format!("/c/{id}#chain-projects"));
    let add_error = errors.add.as_ref().and_then(|e| e.field_error(PROJECT));
    let add_value = errors.add.as_ref().and_then(|e| e.field_value(PROJECT));
    let add_form = c.add_project.clone().map(|mode| match mode {
        AddProject::Any => view! {
            <ActionForm action=actions.add attr:class="stack add-project" attr:novalidate=true>
                <input type="hidden" name="chain_id" value=id.to_string() />
                <Field
                    name=PROJECT
                    label="Add a project"
                    hint="Paste the project's link (…/p/<id>) or its id."
                    error=Signal::derive(move || add_error.clone())
                    value=Signal::derive(move || add_value.clone())
                />
                <button type="submit" class="button">"Add project"</button>
            </ActionForm>
        }
        .into_any(),
        AddProject::Own(own) => {
            let options = own
                .into_iter()
                .map(|(pid, title)| view! { <option value=pid.to_string()>{title}</option> })
                .collect_view();
            view! {
                <ActionForm action=actions.add attr:class="stack add-project">
                    <input type="hidden" name="chain_id" value=id.to_string() />
                    <div class="field">
                        <label for="project">"Add one of your projects"</label>
                        <select id="project" name=PROJECT>{options}</select>
                    </div>
                    <button type="submit" class="button">"Add project"</button>
                </ActionForm>
            }
            .into_any()
        }
    });

    // Forum.
    let tab = c.tab.clone();
    let tabs = TABS
        .iter()
        .map(|(t, name)| {
            let href = format!("{}#forum", chain_href(id, t, None, None));
            Tab::new(href, *name, *t == tab)
        })
        .collect();
    let is_owner = c.is_owner;
    let pinned = (!c.pinned.is_empty()).then(|| {
        let items = c
            .pinned
            .iter()
            .cloned()
            .map(|p| view! { <PostCard p chain_id=id is_owner actions /> })
            .collect_view();
        view! {
            <section class="pinned" aria-labelledby="pinned-heading">
                <h3 id="pinned-heading">"Pinned"</h3>
                <ul class="posts">{items}</ul>
            </section>
        }
    });
    let posts_empty = c.posts.is_empty() && c.pinned.is_empty();
    let post_items = c
        .posts
        .iter()
        .cloned()
        .map(|p| view! { <PostCard p chain_id=id is_owner actions /> })
        .collect_view();
    let next_posts = c
        .next_posts
        .clone()
        .map(|cursor| format!("{}#forum", chain_href(id, &tab, Some(&cursor), None)));
    let first_posts =
        (!c.first_posts_page).then(|| format!("{}#forum", chain_href(id, &tab, None, None)));
    let post_form = if !c.signed_in {
        view! {
            <p class="aside"><a href=format!("/login?next=/c/{id}")>"Log in"</a>" to post in this forum."</p>
        }
        .into_any()
    } else if c.following || c.is_owner {
        view! { <NewPostForm chain_id=id is_owner=c.is_owner action=actions.post error=errors.post.clone() /> }
            .into_any()
    } else {
        view! { <p class="aside">"Follow this chain to post in its forum."</p> }.into_any()
    };

    view! {
        <Title text=h.name.clone() />
        <article class="chain">
            <FormError error=Signal::derive(move || general.clone()) />
            <header class="chain-header" id="chain-header">
                <p class="crumbs"><a href="/chains">"Chains"</a>" / "
                    <a href=format!("/chains?category={}", h.category)>{label(&h.category)}</a></p>
                <h1>{h.name.clone()}</h1>
                <p class="card-meta">
                    "by " <a href=format!("/u/{}", h.creator)>{h.creator.clone()}</a>
                    " · since " <time>{h.created.clone()}</time>
                    {(!h.is_public).then(|| view! { " · " <span class="private-label">"Private"</span> })}
                    {h.is_featured.then(|| view! { " · " <span class="featured-label">"Featured"</span> })}
                </p>
                {description}
                <ChainStats followers=h.followers projects=h.projects posts=h.posts />
                {follow_form}
                {h.is_public.then(|| view! {
                    <p class="feed-link"><a href=format!("/c/{id}/feed.atom") rel="external">"Forum Atom feed"</a></p>
                })}
            </header>
            <section id="forum" class="forum" aria-labelledby="forum-heading">
                <h2 id="forum-heading">"Forum"</h2>
                {post_form}
                <Tabs class="tabs" label="Forum order" tabs />
                {pinned}
                <h3 id="posts-heading" class="visually-hidden">"Posts"</h3>
                {posts_empty.then(|| view! { <p class="empty">"No posts yet. Start the conversation."</p> })}
                <ul class="posts" aria-labelledby="posts-heading">{post_items}</ul>
                <Pager label="Forum pages" first=first_posts next=next_posts next_text="Older posts" />
            </section>
            <section id="chain-projects" class="chain-projects" aria-labelledby="projects-heading">
                <h2 id="projects-heading">"Projects"</h2>
                {add_form}
                {projects_empty.then(|| view! { <p class="empty">"No projects in this chain yet."</p> })}
                <ul class="chain-project-list">{project_items}</ul>
                <Pager label="Project pages" first=first_projects first_text="Latest projects" next=more_projects next_text="More projects" next_rel=false />
            </section>
        </article>
    }
}

/// Pin or unpin, for the chain's owner.
#[component]
pub fn PinButton(
    post_id: Uuid,
    title: String,
    is_pinned: bool,
    pin: ServerAction<PinPost>,
    unpin: ServerAction<UnpinPost>,
) -> impl IntoView {
    if is_pinned {
        view! {
            <ActionForm action=unpin attr:class="inline-form pin-form">
                <IdButton name="post_id" value=post_id.to_string() class="link-button" label=format!("Unpin {title}")>"Unpin"</IdButton>
            </ActionForm>
        }
        .into_any()
    } else {
        view! {
            <ActionForm action=pin attr:class="inline-form pin-form">
                <IdButton name="post_id" value=post_id.to_string() class="link-button" label=format!("Pin {title}")>"Pin"</IdButton>
            </ActionForm>
        }
        .into_any()
    }
}

#[component]
fn PostCard(p: PostCardView, chain_id: Uuid, is_owner: bool, actions: Actions) -> impl IntoView {
    let href = format!("/c/{chain_id}/posts/{}", p.id);
    let pin = is_owner.then(|| {
        view! { <PinButton post_id=p.id title=p.title.clone() is_pinned=p.is_pinned pin=actions.pin unpin=actions.unpin /> }
    });
    view! {
        <li class="post-card" id=format!("post-{}", p.id)>
            <h4 class="post-title">
                <span class=format!("post-type post-type-{}", p.post_type)>{label(&p.post_type)}</span>
                " "
                <a href=href.clone()>{p.title.clone()}</a>
                {p.is_pinned.then(|| view! { " " <span class="pinned-label">"Pinned"</span> })}
            </h4>
            <p class="card-meta">
                "by " <a href=format!("/u/{}", p.author)>{p.author.clone()}</a>
                " · " <time>{p.created.clone()}</time>
            </p>
            <p class="post-excerpt">{p.excerpt.clone()}</p>
            <ul class="stats" aria-label="Numbers">
                <li><span class="stat-value post-upvotes">{p.upvotes}</span>" up"</li>
                <li><span class="stat-value post-downvotes">{p.downvotes}</span>" down"</li>
                <li><a href=format!("{href}#comments")><span class="stat-value post-comments">{p.comments}</span>
                    {if p.comments == 1 { " comment" } else { " comments" }}</a></li>
            </ul>
            {pin}
        </li>
    }
}

/// The new post form; announcements are offered to the owner only.
#[component]
fn NewPostForm(
    chain_id: Uuid,
    is_owner: bool,
    action: ServerAction<CreatePost>,
    error: Option<AppError>,
) -> impl IntoView {
    let err = |f: &str| error.as_ref().and_then(|e| e.field_error(f));
    let val = |f: &str| error.as_ref().and_then(|e| e.field_value(f));
    let title_error = err(TITLE);
    let title_value = val(TITLE);
    let content_error = err(CONTENT);
    let content_value = val(CONTENT);
    let type_error = err(POST_TYPE);
    let type_value = val(POST_TYPE).unwrap_or_else(|| "discussion".into());
    let mut types = vec!["discussion", "question", "showcase"];
    if is_owner {
        types.push("announcement");
    }
    let options = types
        .into_iter()
        .map(|t| {
            let selected = type_value == t;
            view! { <option value=t selected=selected>{label(t)}</option> }
        })
        .collect_view();
    view! {
        <details class="new-post" open=error.is_some()>
            <summary>"Write a post"</summary>
            <ActionForm action=action attr:class="stack" attr:novalidate=true>
                <input type="hidden" name="chain_id" value=chain_id.to_string() />
                <Field
                    name=TITLE
                    label="Title"
                    hint="Up to 200 characters."
                    error=Signal::derive(move || title_error.clone())
                    value=Signal::derive(move || title_value.clone())
                />
                <TextArea
                    id="post-content".to_string()
                    name=CONTENT
                    label="Post".to_string()
                    hint="Up to 10,000 characters."
                    error=content_error
                    value=content_value
                    rows=6
                />
                <Select id="post_type" name=POST_TYPE label="Type" error=type_error>
                    {options}
                </Select>
                <button type="submit" class="button primary">"Publish post"</button>
            </ActionForm>
        </details>
    }
}
