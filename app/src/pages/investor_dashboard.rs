//! `/investor`: an investor's dashboard (role `investor`, else 403; signed
//! out 401). The counts come from `intro_request_stats`, maintained by
//! trigger in the writer's transaction, so a request just sent is counted
//! at once (the materialized `mv_investor_dashboard` lags by up to its
//! refresh interval and is not used here). Approval rate = approved /
//! (approved + rejected): the share of answered requests that were
//! approved (pending and withdrawn requests have no answer).

use crate::web::page_data;
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::components::intro::intro_view;
use crate::components::intro::IntroView;
use crate::components::{loaded, OnError};
use crate::error::AppError;
use crate::format::label;

/// Recent requests shown; builders met shown.
pub const RECENT: i64 = 10;
pub const MET: i64 = 50;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DashboardView {
    pub sent: i32,
    pub pending: i32,
    pub approved: i32,
    pub rejected: i32,
    pub withdrawn: i32,
    /// Whole percent, `None` before any answer.
    pub approval_rate: Option<i32>,
    pub builders_met: Vec<(String, String)>,
    pub recent: Vec<IntroView>,
}

/// Approved / (approved + rejected), rounded to a whole percent.
pub fn approval_rate(approved: i32, rejected: i32) -> Option<i32> {
    let answered = approved + rejected;
    (answered > 0).then(|| ((approved as f64) * 100.0 / (answered as f64)).round() as i32)
}

#[server(endpoint = "investor_dashboard")]
pub async fn get_investor_dashboard() -> Result<DashboardView, AppError> {
    use data::intros::{self, Side};

    let user = crate::web::require_user()?;
    if user.role != "investor" {
        return Err(AppError::Forbidden);
    }
    let state = crate::state::state()?;
    let pool = &state.pool;
    let s = intros::stats(pool, user.id).await?;
    let met = intros::builders_met(pool, user.id, MET).await?;
    let recent = intros::list(pool, user.id, Side::Sent, None, RECENT).await?;
    Ok(DashboardView {
        sent: s.sent_requests,
        pending: s.sent_pending_requests,
        approved: s.sent_approved_requests,
        rejected: s.sent_rejected_requests,
        withdrawn: s.sent_withdrawn_requests,
        approval_rate: approval_rate(s.sent_approved_requests, s.sent_rejected_requests),
        builders_met: met
            .into_iter()
            .map(|(name, at)| (name, crate::format::date(at)))
            .collect(),
        recent: recent.into_iter().map(intro_view).collect(),
    })
}

#[component]
pub fn InvestorDashboardPage() -> impl IntoView {
    let page = page_data(|| (), |_| get_investor_dashboard());
    loaded(page, OnError::ErrorPage, |d| view! { <DashboardBody d /> })
}

#[component]
fn DashboardBody(d: DashboardView) -> impl IntoView {
    let rate = d
        .approval_rate
        .map(|r| format!("{r}%"))
        .unwrap_or_else(|| "–".into());
    let met = if d.builders_met.is_empty() {
        view! { <p class="empty">"No approved intros yet."</p> }.into_any()
    } else {
        let items = d
            .builders_met
            .into_iter()
            .map(|(name, at)| {
                view! { <li><a href=format!("/u/{name}")>{name.clone()}</a> " · since " <time>{at}</time></li> }
            })
            .collect_view();
        view! { <ul class="builders-met">{items}</ul> }.into_any()
    };
    let recent = if d.recent.is_empty() {
        view! { <p class="empty">"You have not requested any intro yet. Find builders on the " <a href="/">"feed"</a> "."</p> }
            .into_any()
    } else {
        let rows = d
            .recent
            .into_iter()
            .map(|i| {
                let project = i
                    .project
                    .clone()
                    .map(|(pid, title)| view! { <a href=format!("/p/{pid}")>{title}</a> });
                view! {
                    <tr id=format!("recent-{}", i.id)>
                        <th scope="row"><a href=format!("/u/{}", i.builder)>{i.builder.clone()}</a></th>
                        <td>{project}</td>
                        <td class=format!("status-{}", i.status)>{label(&i.status)}</td>
                        <td><time>{i.created.clone()}</time></td>
                    </tr>
                }
            })
            .collect_view();
        view! {
            <table class="recent-intros">
                <caption class="visually-hidden">"Your most recent intro requests"</caption>
                <thead><tr>
                    <th scope="col">"Builder"</th>
                    <th scope="col">"Project"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col">"Sent"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <Title text="Investor dashboard" />
        <article class="investor-dashboard">
            <h1>"Investor dashboard"</h1>
            <section aria-labelledby="requests-heading">
                <h2 id="requests-heading">"Intro requests"</h2>
                <ul class="stats">
                    <li><span class="stat-value sent-count">{d.sent}</span>" sent"</li>
                    <li><a href="/intros?status=pending#sent"><span class="stat-value pending-count">{d.pending}</span>" pending"</a></li>
                    <li><a href="/intros?status=approved#sent"><span class="stat-value approved-count">{d.approved}</span>" approved"</a></li>
                    <li><a href="/intros?status=rejected#sent"><span class="stat-value rejected-count">{d.rejected}</span>" rejected"</a></li>
                    <li><a href="/intros?status=withdrawn#sent"><span class="stat-value withdrawn-count">{d.withdrawn}</span>" withdrawn"</a></li>
                    <li><span class="stat-value approval-rate">{rate}</span>" approval rate"</li>
                </ul>
            </section>
            <section aria-labelledby="met-heading">
                <h2 id="met-heading">"Builders met"</h2>
                {met}
            </section>
            <section aria-labelledby="recent-heading">
                <h2 id="recent-heading">"Recent requests"</h2>
                {recent}
                <p><a href="/intros#sent">"All your requests"</a></p>
            </section>
        </article>
    }
}
