//! `/u/<username>?after=<cursor>`: a user's public profile. The numbers
//! (karma, badges received and given, chains followed, ...) come from
//! `mv_user_profiles`; the projects from `mv_feed_projects` by keyset on
//! `(user_id, created_at DESC, id DESC)`; the public chains followed from
//! `chain_followers` (the user's few rows) and `mv_chains_discovery`.
//! Unknown and deactivated users are a 404. Public fields only: no email,
//! nothing private.

use crate::web::{action, page_data};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::components::intro::{IntroForm, RequestIntro};
use crate::components::{loaded, CardBadges, OnError, Pager};
use crate::error::AppError;
use crate::format::label;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileProjectView {
    pub id: Uuid,
    pub title: String,
    pub category: String,
    pub created: String,
    pub proof_score: i32,
    pub upvotes: i64,
    pub comments: i64,
    pub badge_types: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FollowedChainView {
    pub id: Uuid,
    pub name: String,
    pub followers: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProfileView {
    pub username: String,
    pub bio: String,
    pub image: Option<String>,
    pub role: String,
    pub verified: bool,
    pub joined: String,
    pub karma: i64,
    pub proof_score: i64,
    pub upvotes_received: i64,
    pub project_count: i64,
    pub badges_received: i64,
    pub badges_given: i64,
    pub comment_count: i64,
    pub chains_followed: i64,
    pub chains_created: i64,
    pub projects: Vec<ProfileProjectView>,
    pub next: Option<String>,
    pub first_page: bool,
    pub chains: Vec<FollowedChainView>,
    /// Signed in as someone else: show the Message link.
    pub may_message: bool,
    /// Signed in as an investor (not this user): the intro form, with the
    /// builder's live projects to choose from.
    pub intro_projects: Option<Vec<(Uuid, String)>>,
}

#[server(endpoint = "profile")]
pub async fn get_profile(username: String, after: Option<String>) -> Result<ProfileView, AppError> {
    use data::profiles::{self, CHAINS_SHOWN, PROJECTS_PAGE_SIZE};

    let after = crate::web::cursor_param(data::cursor::KeyKind::Time, after.as_deref())?;
    let state = crate::state::state()?;
    let pool = &state.pool;
    let profile = profiles::by_username(pool, &username)
        .await?
        .ok_or(AppError::NotFound)?;
    let page = profiles::projects(pool, profile.id, after, PROJECTS_PAGE_SIZE).await?;
    let chains = if after.is_none() {
        profiles::chains_followed(pool, profile.id, CHAINS_SHOWN).await?
    } else {
        Vec::new()
    };
    let date = crate::format::date;
    let viewer = crate::auth::session_user().filter(|v| v.id != profile.id);
    let intro_projects = match &viewer {
        Some(v) if v.role == "investor" => {
            Some(data::intros::builder_projects(pool, profile.id).await?)
        }
        _ => None,
    };
    Ok(ProfileView {
        may_message: viewer.is_some(),
        intro_projects,
        username: profile.username,
        bio: profile.bio,
        image: profile
            .profile_image
            .filter(|u| crate::format::is_http_url(u)),
        role: profile.role,
        verified: profile.is_verified,
        joined: date(profile.created_at),
        karma: profile.karma,
        proof_score: profile.total_proof_score,
        upvotes_received: profile.upvotes_received,
        project_count: profile.project_count,
        badges_received: profile.badges_received,
        badges_given: profile.badges_given,
        comment_count: profile.comment_count,
        chains_followed: profile.chains_followed,
        chains_created: profile.chains_created,
        projects: page
            .projects
            .into_iter()
            .map(|p| ProfileProjectView {
                id: p.id,
                title: p.title,
                category: p.category,
                created: date(p.created_at),
                proof_score: p.proof_score,
                upvotes: p.upvote_count,
                comments: p.total_comment_count,
                badge_types: p.badge_types,
            })
            .collect(),
        next: page.next.map(|c| c.encode()),
        first_page: after.is_none(),
        chains: chains
            .into_iter()
            .map(|c| FollowedChainView {
                id: c.id,
                name: c.name,
                followers: c.follower_count,
            })
            .collect(),
    })
}

#[component]
pub fn ProfilePage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let request = action::<RequestIntro>();
    let error = move || crate::web::failure([crate::web::failed(request)]);
    let profile = page_data(
        move || (params.get().get("username"), query.get().get("after")),
        |(username, after)| get_profile(username.unwrap_or_default(), after),
    );
    loaded(
        profile,
        OnError::ErrorPage,
        move |p| view! { <ProfileBody p request error=error() /> },
    )
}

fn plural(n: i64, one: &'static str, many: &'static str) -> &'static str {
    if n == 1 {
        one
    } else {
        many
    }
}

#[component]
fn ProfileBody(
    p: ProfileView,
    request: ServerAction<RequestIntro>,
    error: Option<AppError>,
) -> impl IntoView {
    let base = format!("/u/{}", p.username);
    let message_link = p.may_message.then(|| {
        view! {
            <p class="profile-actions">
                <a class="button" href=format!("/inbox/{}", p.username)
                    aria-label=format!("Message {}", p.username)>"Message"</a>
            </p>
        }
    });
    let intro_form = p.intro_projects.clone().map(|projects| {
        view! { <IntroForm builder=p.username.clone() projects request error=error.clone() /> }
    });
    let image = p.image.clone().map(|src| {
        view! {
            <img class="profile-image" src=src alt=format!("Profile picture of {}", p.username)
                width="96" height="96" />
        }
    });
    let verified = p
        .verified
        .then(|| view! { " " <span class="verified">"(verified)"</span> });
    let bio = (!p.bio.is_empty()).then(|| view! { <p class="profile-bio">{p.bio.clone()}</p> });
    let stat = |value: i64, one: &'static str, many: &'static str| {
        let label = format!(" {}", plural(value, one, many));
        view! { <li><span class="stat-value">{value}</span>{label}</li> }
    };
    let empty_projects = p.projects.is_empty();
    let projects = p
        .projects
        .into_iter()
        .map(|project| {
            view! {
                <li class="profile-project" id=format!("p-{}", project.id)>
                    <h3 class="card-title"><a href=format!("/p/{}", project.id)>{project.title.clone()}</a></h3>
                    <p class="card-meta">
                        <span class="category">{label(&project.category)}</span>
                        " · " <time>{project.created.clone()}</time>
                    </p>
                    <CardBadges types=project.badge_types.clone() />
                    <ul class="stats" aria-label="Numbers">
                        <li><span class="stat-value">{project.proof_score}</span>" proof score"</li>
                        <li><span class="stat-value">{project.upvotes}</span>{plural(project.upvotes, " upvote", " upvotes")}</li>
                        <li><span class="stat-value">{project.comments}</span>{plural(project.comments, " comment", " comments")}</li>
                    </ul>
                </li>
            }
        })
        .collect_view();
    let next = p
        .next
        .clone()
        .map(|cursor| format!("{base}?after={cursor}#projects"));
    let first = (!p.first_page).then(|| format!("{base}#projects"));
    let chains = p.first_page.then(|| {
        let list = if p.chains.is_empty() {
            view! { <p class="empty">"Not following any public chain."</p> }.into_any()
        } else {
            let items = p
                .chains
                .iter()
                .map(|c| {
                    view! {
                        <li>
                            <a href=format!("/c/{}", c.id)>{c.name.clone()}</a>
                            <span class="muted">{format!(" · {} {}", c.followers, plural(c.followers, "follower", "followers"))}</span>
                        </li>
                    }
                })
                .collect_view();
            view! { <ul class="chain-list">{items}</ul> }.into_any()
        };
        view! {
            <section aria-labelledby="chains-heading">
                <h2 id="chains-heading">"Chains followed"</h2>
                {list}
            </section>
        }
    });
    view! {
        <Title text=p.username.clone() />
        <article class="profile">
            <header class="profile-header">
                {image}
                <div>
                    <h1>{p.username.clone()}{verified}</h1>
                    <p class="card-meta">
                        <span class="profile-role">{label(&p.role)}</span>
                        " · joined " <time>{p.joined.clone()}</time>
                    </p>
                    {bio}
                    {message_link}
                </div>
            </header>
            {intro_form}
            <section aria-labelledby="numbers-heading">
                <h2 id="numbers-heading">"Reputation"</h2>
                <ul class="stats profile-stats">
                    {stat(p.karma, "karma", "karma")}
                    {stat(p.proof_score, "proof score", "proof score")}
                    {stat(p.upvotes_received, "upvote received", "upvotes received")}
                    {stat(p.badges_received, "badge received", "badges received")}
                    {stat(p.badges_given, "badge given", "badges given")}
                    {stat(p.comment_count, "comment", "comments")}
                    {stat(p.chains_followed, "chain followed", "chains followed")}
                    {stat(p.chains_created, "chain created", "chains created")}
                </ul>
            </section>
            <section id="projects" aria-labelledby="projects-heading">
                <h2 id="projects-heading">{format!("Projects ({})", p.project_count)}</h2>
                {empty_projects.then(|| view! { <p class="empty">"No projects yet."</p> })}
                <ul class="profile-projects">{projects}</ul>
                <Pager label="Project pages" first first_text="Newest projects" next next_text="Older projects" />
            </section>
            {chains}
        </article>
    }
}
