//! `/dashboard`: the signed-in user's numbers, from their row of
//! `user_dashboard_stats` (one primary-key read; the row is kept exact by
//! triggers, so a just-created project or a new message counts at once).
//! Signed out: a redirect to `/login?next=/dashboard`.

use crate::web::page_data;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::components::{loaded, OnError};
use crate::error::AppError;

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DashboardView {
    pub username: String,
    pub projects: i32,
    pub active_projects: i32,
    pub proof_score: i32,
    pub karma: i32,
    pub comments: i32,
    pub badges_given: i32,
    pub badges_received: i32,
    pub intros_sent: i32,
    pub intros_received: i32,
    pub intros_pending: i32,
    pub unread_messages: i32,
    pub unread_notifications: i32,
}

#[server(endpoint = "dashboard")]
pub async fn get_dashboard() -> Result<DashboardView, AppError> {
    let user = crate::web::page_user("/dashboard")?;
    let state = crate::state::state()?;
    let s = data::dashboard::stats(&state.pool, user.id)
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(DashboardView {
        username: user.username,
        projects: s.project_count,
        active_projects: s.active_projects,
        proof_score: s.total_proof_score,
        karma: s.karma_score,
        comments: s.comment_count,
        badges_given: s.badges_given,
        badges_received: s.badges_received,
        intros_sent: s.intros_sent,
        intros_received: s.intros_received,
        intros_pending: s.intro_requests_pending,
        unread_messages: s.unread_messages,
        unread_notifications: s.unread_notifications,
    })
}

#[component]
pub fn DashboardPage() -> impl IntoView {
    let dash = page_data(|| (), |_| get_dashboard());
    loaded(
        dash,
        OnError::LogInFirst("/dashboard"),
        |d| view! { <DashboardBody d /> },
    )
}

#[component]
fn Stat(
    label: &'static str,
    class: &'static str,
    value: i32,
    href: Option<&'static str>,
) -> impl IntoView {
    let label_view = match href {
        Some(h) => view! { <a href=h>{label}</a> }.into_any(),
        None => view! { <span>{label}</span> }.into_any(),
    };
    view! {
        <tr>
            <th scope="row">{label_view}</th>
            <td class=format!("stat-value {class}")>{value}</td>
        </tr>
    }
}

/// A table of numbers (`children`: its [`Stat`] rows).
#[component]
fn StatTable(caption: &'static str, children: Children) -> impl IntoView {
    view! {
        <table class="dashboard-table">
            <caption>{caption}</caption>
            <thead><tr><th scope="col">"What"</th><th scope="col">"Number"</th></tr></thead>
            <tbody>{children()}</tbody>
        </table>
    }
}

#[component]
fn DashboardBody(d: DashboardView) -> impl IntoView {
    view! {
        <Title text="Dashboard" />
        <section class="dashboard">
            <h1>"Dashboard"</h1>
            <p class="aside">"Signed in as " <a href=format!("/u/{}", d.username)>{d.username.clone()}</a></p>
            <div class="dashboard-grid">
                <StatTable caption="Projects">
                    <Stat label="Projects" class="dash-projects" value=d.projects href=Some("/me/projects") />
                    <Stat label="Active projects" class="dash-active-projects" value=d.active_projects href=Some("/me/projects") />
                    <Stat label="Proof score" class="dash-proof-score" value=d.proof_score href=None />
                    <Stat label="Karma" class="dash-karma" value=d.karma href=None />
                    <Stat label="Badges received" class="dash-badges-received" value=d.badges_received href=None />
                </StatTable>
                <StatTable caption="Activity">
                    <Stat label="Comments written" class="dash-comments" value=d.comments href=None />
                    <Stat label="Badges given" class="dash-badges-given" value=d.badges_given href=None />
                    <Stat label="Unread messages" class="dash-unread-messages" value=d.unread_messages href=Some("/inbox") />
                    <Stat label="Unread notifications" class="dash-unread-notifications" value=d.unread_notifications href=Some("/notifications") />
                </StatTable>
                <StatTable caption="Introductions">
                    <Stat label="Requests sent" class="dash-intros-sent" value=d.intros_sent href=Some("/intros") />
                    <Stat label="Requests received" class="dash-intros-received" value=d.intros_received href=Some("/intros") />
                    <Stat label="Waiting for your answer" class="dash-intros-pending" value=d.intros_pending href=Some("/intros") />
                </StatTable>
            </div>
            <p><a class="button primary" href="/me/projects/new">"Show a new project"</a></p>
        </section>
    }
}
