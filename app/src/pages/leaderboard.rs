//! `/leaderboard?tab=projects|builders&after=<rank>`: the projects and
//! builders leaderboards, 50 rows a page, from `mv_leaderboard_projects`
//! and `mv_leaderboard_builders`. Ranks are unique and continuous, so the
//! next page starts after the last rank shown (one range scan on the
//! `(rank)` index at any depth).

use crate::web::page_data;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::components::{loaded, OnError, Pager, Tab, Tabs};
use crate::error::AppError;
use crate::format::label;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProjectRow {
    pub rank: i64,
    pub id: Uuid,
    pub title: String,
    pub category: String,
    pub builder: String,
    pub proof_score: i32,
    pub badges: i64,
    pub upvotes: i64,
    pub comments: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BuilderRow {
    pub rank: i64,
    pub username: String,
    pub verified: bool,
    pub role: String,
    pub karma: i64,
    pub proof_score: i64,
    pub upvotes: i64,
    pub projects: i64,
    pub badges_received: i64,
    pub badges_given: i64,
}

/// What the leaderboard page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LeaderboardView {
    /// `projects` or `builders`.
    pub tab: String,
    pub projects: Vec<ProjectRow>,
    pub builders: Vec<BuilderRow>,
    /// The last rank shown, when there is a next page.
    pub next: Option<i64>,
    pub first_page: bool,
}

pub const TABS: &[(&str, &str)] = &[("projects", "Projects"), ("builders", "Builders")];

/// A leaderboard address (defaults left out).
pub fn leaderboard_href(tab: &str, after: Option<i64>) -> String {
    let after = after.map(|a| a.to_string());
    let params = [
        ("tab", (tab != "projects").then_some(tab)),
        ("after", after.as_deref()),
    ];
    crate::format::href("/leaderboard", &params)
}

/// Parses `after`: a rank, 0 or more. Anything else is a 400.
pub fn parse_after(after: Option<&str>) -> Result<i64, AppError> {
    match after {
        None | Some("") => Ok(0),
        Some(a) => a
            .parse::<i64>()
            .ok()
            .filter(|n| *n >= 0)
            .ok_or_else(|| AppError::BadRequest(format!("malformed page cursor \"{a}\""))),
    }
}

#[server(endpoint = "leaderboard")]
pub async fn get_leaderboard(
    tab: Option<String>,
    after: Option<String>,
) -> Result<LeaderboardView, AppError> {
    use data::leaderboard::{self, PAGE_SIZE};

    let tab = match tab.as_deref() {
        None | Some("") | Some("projects") => "projects",
        Some("builders") => "builders",
        Some(other) => {
            return Err(AppError::BadRequest(format!(
                "unknown tab \"{other}\" (use projects or builders)"
            )))
        }
    };
    let after = parse_after(after.as_deref())?;
    let state = crate::state::state()?;
    let mut view = LeaderboardView {
        tab: tab.to_string(),
        projects: Vec::new(),
        builders: Vec::new(),
        next: None,
        first_page: after == 0,
    };
    if tab == "projects" {
        let page = state
            .cached(
                after == 0,
                data::leaderboard::PROJECTS_VIEW,
                data::leaderboard::FIRST_PAGE_KEY,
                || leaderboard::projects(&state.pool, after, PAGE_SIZE),
            )
            .await?;
        view.next = page.next;
        view.projects = page
            .rows
            .into_iter()
            .map(|r| ProjectRow {
                rank: r.rank,
                id: r.id,
                title: r.title,
                category: r.category,
                builder: r.username,
                proof_score: r.proof_score,
                badges: r.badge_count,
                upvotes: r.upvote_count,
                comments: r.comment_count,
            })
            .collect();
    } else {
        let page = state
            .cached(
                after == 0,
                data::leaderboard::BUILDERS_VIEW,
                data::leaderboard::FIRST_PAGE_KEY,
                || leaderboard::builders(&state.pool, after, PAGE_SIZE),
            )
            .await?;
        view.next = page.next;
        view.builders = page
            .rows
            .into_iter()
            .map(|r| BuilderRow {
                rank: r.rank,
                username: r.username,
                verified: r.is_verified,
                role: r.role,
                karma: r.total_karma,
                proof_score: r.total_proof_score,
                upvotes: r.upvotes_received,
                projects: r.project_count,
                badges_received: r.badges_received,
                badges_given: r.badges_given,
            })
            .collect();
    }
    Ok(view)
}

#[component]
pub fn LeaderboardPage() -> impl IntoView {
    let query = use_query_map();
    let board = page_data(
        move || query.get(),
        |q| get_leaderboard(q.get("tab"), q.get("after")),
    );
    loaded(
        board,
        OnError::ErrorPage,
        |page| view! { <LeaderboardBody page /> },
    )
}

/// One row of either table: its rank, then `cells`.
fn rank_row(rank: i64, cells: impl IntoView) -> impl IntoView {
    view! {
        <tr id=format!("rank-{rank}")>
            <td class="rank">{rank}</td>
            {cells}
        </tr>
    }
}

#[component]
fn LeaderboardBody(page: LeaderboardView) -> impl IntoView {
    let tab = page.tab.clone();
    let tabs = TABS
        .iter()
        .map(|(t, name)| Tab::new(leaderboard_href(t, None), *name, *t == tab))
        .collect();
    let (heading, caption) = if tab == "builders" {
        (
            "Top builders",
            "Builders by karma: the proof score of their live projects plus the upvotes those projects received.",
        )
    } else {
        (
            "Top projects",
            "Projects by proof score; ties go to the older project.",
        )
    };
    let empty = page.projects.is_empty() && page.builders.is_empty();
    // The column heads after "Rank", and the rows.
    let (heads, rows) = if tab == "builders" {
        let heads = view! {
            <th scope="col">"Builder"</th>
            <th scope="col" class="num">"Karma"</th>
            <th scope="col" class="num">"Proof score"</th>
            <th scope="col" class="num">"Upvotes received"</th>
            <th scope="col" class="num">"Projects"</th>
            <th scope="col" class="num">"Badges received"</th>
            <th scope="col" class="num">"Badges given"</th>
        };
        let rows = page
            .builders
            .into_iter()
            .map(|b| {
                let verified = b
                    .verified
                    .then(|| view! { " " <span class="verified">"(verified)"</span> });
                let cells = view! {
                    <th scope="row">
                        <a href=format!("/u/{}", b.username)>{b.username.clone()}</a>
                        {verified}
                        <span class="lb-role">{label(&b.role)}</span>
                    </th>
                    <td class="num score">{b.karma}</td>
                    <td class="num">{b.proof_score}</td>
                    <td class="num">{b.upvotes}</td>
                    <td class="num">{b.projects}</td>
                    <td class="num">{b.badges_received}</td>
                    <td class="num">{b.badges_given}</td>
                };
                rank_row(b.rank, cells)
            })
            .collect_view();
        (heads.into_any(), rows.into_any())
    } else {
        let heads = view! {
            <th scope="col">"Project"</th>
            <th scope="col">"Builder"</th>
            <th scope="col" class="num">"Proof score"</th>
            <th scope="col" class="num">"Badges"</th>
            <th scope="col" class="num">"Upvotes"</th>
            <th scope="col" class="num">"Comments"</th>
        };
        let rows = page
            .projects
            .into_iter()
            .map(|p| {
                let cells = view! {
                    <th scope="row">
                        <a href=format!("/p/{}", p.id)>{p.title.clone()}</a>
                        <span class="lb-category">{label(&p.category)}</span>
                    </th>
                    <td><a href=format!("/u/{}", p.builder)>{p.builder.clone()}</a></td>
                    <td class="num score">{p.proof_score}</td>
                    <td class="num">{p.badges}</td>
                    <td class="num">{p.upvotes}</td>
                    <td class="num">{p.comments}</td>
                };
                rank_row(p.rank, cells)
            })
            .collect_view();
        (heads.into_any(), rows.into_any())
    };
    let table = view! {
        <table class="leaderboard">
            <caption>{caption}</caption>
            <thead>
                <tr>
                    <th scope="col" class="rank">"Rank"</th>
                    {heads}
                </tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    };
    let next = page.next.map(|after| leaderboard_href(&tab, Some(after)));
    let first = (!page.first_page).then(|| leaderboard_href(&tab, None));
    view! {
        <Title text=heading />
        <h1>{heading}</h1>
        <Tabs class="tabs" label="Leaderboard" tabs />
        {if empty {
            view! { <p class="empty">"Nobody is ranked here yet."</p> }.into_any()
        } else {
            view! {
                <div class="table-scroll" role="region" aria-label=heading tabindex="0">{table}</div>
            }.into_any()
        }}
        <Pager first next />
    }
}
