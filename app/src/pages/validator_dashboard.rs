//! `/validator`: the validator's dashboard (roles validator and admin;
//! signed out is sent to log in, anyone else gets a 403 page). Badges
//! given by type and per week over the last 12 weeks (from
//! `mv_validator_dashboard`, as of its last refresh), the newest awards and
//! projects awaiting review (both read live: the validator sees an award
//! the moment it is made).

use crate::web::page_data;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::components::{loaded, OnError};
use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AwardView {
    pub project_id: String,
    pub project_title: String,
    pub badge: String,
    pub date: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AwaitingView {
    pub id: String,
    pub title: String,
    pub category: String,
    pub builder: String,
    pub date: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ValidatorDashboard {
    pub username: String,
    /// None before the view's next refresh includes this validator.
    pub badges_given: Option<i64>,
    pub last_30_days: i64,
    pub projects_validated: i64,
    /// (badge label, count)
    pub by_type: Vec<(String, i64)>,
    /// (week starting, count), oldest first.
    pub weekly: Vec<(String, i64)>,
    pub as_of: String,
    pub recent: Vec<AwardView>,
    pub awaiting: Vec<AwaitingView>,
}

/// Items in the recent awards and awaiting-review lists.
pub const LIST_MAX: i64 = 20;

#[server(endpoint = "validator_dashboard")]
pub async fn get_validator_dashboard() -> Result<ValidatorDashboard, AppError> {
    use crate::format::date;
    use crate::format::label;
    use crate::format::when;
    use crate::web::require_role;
    let user = require_role("/validator", &["validator", "admin"])?;
    let state = crate::state::state()?;
    let pool = &state.pool;
    let summary = data::validator_dashboard::summary(pool, user.id).await?;
    let recent = data::validator_dashboard::recent_awards(pool, user.id, LIST_MAX).await?;
    let awaiting =
        data::validator_dashboard::awaiting_review(pool, user.id, None, LIST_MAX).await?;
    let (badges_given, last_30_days, projects_validated, by_type, weekly, as_of) = match summary {
        Some(s) => (
            Some(s.badges_given),
            s.badges_last_30_days,
            s.projects_validated,
            s.by_type.into_iter().map(|(t, n)| (label(&t), n)).collect(),
            s.weekly,
            s.as_of
                .map(when)
                .unwrap_or_else(|| "the last migration".into()),
        ),
        None => (None, 0, 0, Vec::new(), Vec::new(), String::new()),
    };
    Ok(ValidatorDashboard {
        username: user.username,
        badges_given,
        last_30_days,
        projects_validated,
        by_type,
        weekly,
        as_of,
        recent: recent
            .into_iter()
            .map(|a| AwardView {
                project_id: a.project_id.to_string(),
                project_title: a.project_title,
                badge: label(&a.badge_type),
                date: date(a.created_at),
            })
            .collect(),
        awaiting: awaiting
            .into_iter()
            .map(|p| AwaitingView {
                id: p.id.to_string(),
                title: p.title,
                category: label(&p.category),
                builder: p.builder,
                date: date(p.created_at),
            })
            .collect(),
    })
}

#[component]
pub fn ValidatorDashboardPage() -> impl IntoView {
    let dashboard = page_data(|| (), |_| get_validator_dashboard());
    view! {
        <Title text="Validator dashboard" />
        {loaded(dashboard, OnError::GuardError, move |d| view! { <DashboardBody d /> })}
    }
}

#[component]
fn DashboardBody(d: ValidatorDashboard) -> impl IntoView {
    let stats = match d.badges_given {
        Some(total) => {
            let types = d
                .by_type
                .iter()
                .map(|(t, n)| view! { <tr><th scope="row">{t.clone()}</th><td class="num">{*n}</td></tr> })
                .collect_view();
            view! {
                <p class="aside">"Totals as of " {d.as_of.clone()} "."</p>
                <dl class="stats-grid">
                    <div class="stat"><dt>"Badges given"</dt><dd>{total}</dd></div>
                    <div class="stat"><dt>"Last 30 days"</dt><dd>{d.last_30_days}</dd></div>
                    <div class="stat"><dt>"Projects validated"</dt><dd>{d.projects_validated}</dd></div>
                </dl>
                <table class="admin-table">
                    <caption>"Badges given by type"</caption>
                    <thead><tr><th scope="col">"Badge"</th><th scope="col">"Given"</th></tr></thead>
                    <tbody>{types}</tbody>
                </table>
                <WeeklyChart weekly=d.weekly.clone() />
            }
            .into_any()
        }
        None => view! {
            <p class="empty">"Your totals appear here after the next refresh of the statistics (a few minutes)."</p>
        }
        .into_any(),
    };
    let recent = if d.recent.is_empty() {
        view! { <p class="empty">"You have not awarded a badge yet."</p> }.into_any()
    } else {
        let items = d
            .recent
            .into_iter()
            .map(|a| {
                view! {
                    <li><a href=format!("/p/{}", a.project_id)>{a.project_title}</a>
                        " · " {a.badge} " · " <time>{a.date}</time></li>
                }
            })
            .collect_view();
        view! { <ul class="plain-list">{items}</ul> }.into_any()
    };
    let awaiting = if d.awaiting.is_empty() {
        view! { <p class="empty">"Nothing awaits your review."</p> }.into_any()
    } else {
        let items = d
            .awaiting
            .into_iter()
            .map(|p| view! {
                <li><a href=format!("/p/{}", p.id)>{p.title}</a>
                    " · " {p.category} " · by " <a href=format!("/u/{}", p.builder)>{p.builder.clone()}</a>
                    " · " <time>{p.date}</time></li>
            })
            .collect_view();
        view! { <ul class="plain-list awaiting-list">{items}</ul> }.into_any()
    };
    view! {
        <h1>"Validator dashboard"</h1>
        <p class="lead">{format!("Signed in as {}.", d.username)}</p>
        <section aria-labelledby="given-h">
            <h2 id="given-h">"Badges you gave"</h2>
            {stats}
        </section>
        <section aria-labelledby="recent-h">
            <h2 id="recent-h">"Your recent awards"</h2>
            {recent}
        </section>
        <section aria-labelledby="awaiting-h">
            <h2 id="awaiting-h">"Projects awaiting your review"</h2>
            <p class="aside">"The newest projects you have not given a badge yet (your own excluded)."</p>
            {awaiting}
        </section>
    }
}

/// Badges per week as inline SVG bars, the numbers in a table too.
#[component]
fn WeeklyChart(weekly: Vec<(String, i64)>) -> impl IntoView {
    const W: f64 = 360.0;
    const H: f64 = 100.0;
    let n = weekly.len().max(1);
    let max = weekly.iter().map(|(_, c)| *c).max().unwrap_or(0).max(1);
    let bar_w = W / n as f64;
    let total: i64 = weekly.iter().map(|(_, c)| *c).sum();
    let bars = weekly
        .iter()
        .enumerate()
        .map(|(i, (week, c))| {
            let h = *c as f64 / max as f64 * (H - 4.0);
            view! {
                <rect x=format!("{:.1}", i as f64 * bar_w + 2.0) y=format!("{:.1}", H - h)
                    width=format!("{:.1}", bar_w - 4.0) height=format!("{h:.1}") class="bar-ok">
                    <title>{format!("Week of {week}: {c}")}</title>
                </rect>
            }
        })
        .collect_view();
    let rows = weekly
        .iter()
        .map(|(week, c)| view! { <tr><th scope="row">{week.clone()}</th><td class="num">{*c}</td></tr> })
        .collect_view();
    let title = format!(
        "Badges per week, last {} weeks: {total} in all, at most {max} in a week",
        weekly.len()
    );
    view! {
        <figure class="duration-chart">
            <svg role="img" aria-labelledby="weekly-title" viewBox=format!("0 0 {W} {H}") width="360" height="100"
                xmlns="http://www.w3.org/2000/svg" class="chart">
                <title id="weekly-title">{title.clone()}</title>
                <line x1="0" y1=H x2=W y2=H class="axis" />
                {bars}
            </svg>
            <figcaption>"Badges per week (weeks start on Monday, UTC)"</figcaption>
            <details>
                <summary>"Data table"</summary>
                <table class="admin-table">
                    <caption class="visually-hidden">{title}</caption>
                    <thead><tr><th scope="col">"Week of"</th><th scope="col">"Badges"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </details>
        </figure>
    }
}
