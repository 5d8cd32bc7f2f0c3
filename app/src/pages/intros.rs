//! `/intros?status=<all|pending|approved|rejected|withdrawn>`: intro
//! requests the signed-in user received (as builder) and sent (as
//! investor), newest first, filtered by status; the counts per status come
//! from `intro_request_stats` (trigger-maintained, exact at once).
//!
//! The writes here: the builder approves or rejects a pending request; the
//! investor withdraws a pending one (requests are made from a builder's
//! profile, `components::intro`). Signed out is 401 (a browser goes to log
//! in), the wrong person is 403, a request of other people is 404, a
//! request that is no longer pending is 409; nothing is written then.
//! An approved request shows a Message link to the pair's conversation on
//! both sides.

use crate::web::{action, page_data};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

#[cfg(feature = "ssr")]
use crate::components::intro::intro_view;
use crate::components::intro::IntroView;
use crate::components::{loaded, FormError, OnError};
use crate::error::AppError;
use crate::format::label;
use crate::web::{failed, failure};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntrosView {
    pub status: String,
    pub received: Vec<IntroView>,
    /// Counts per status as builder: pending, approved, rejected, withdrawn.
    pub received_counts: [i32; 4],
    pub show_sent: bool,
    pub sent: Vec<IntroView>,
    pub sent_counts: [i32; 4],
}

/// `None` for all; a known status; else 400.
#[cfg(feature = "ssr")]
fn parse_status(s: Option<&str>) -> Result<Option<&'static str>, AppError> {
    match s {
        None | Some("") | Some("all") => Ok(None),
        Some(s) => data::intros::STATUSES
            .iter()
            .find(|t| **t == s)
            .map(|t| Some(*t))
            .ok_or_else(|| {
                AppError::BadRequest(format!(
                    "unknown status \"{s}\" (use all, pending, approved, rejected or withdrawn)"
                ))
            }),
    }
}

#[server(endpoint = "intros")]
pub async fn get_intros(status: Option<String>) -> Result<IntrosView, AppError> {
    use data::intros::{self, Side, LIST_LIMIT};

    let user = crate::web::require_user()?;
    let status = parse_status(status.as_deref())?;
    let state = crate::state::state()?;
    let pool = &state.pool;
    let stats = intros::stats(pool, user.id).await?;
    let received = intros::list(pool, user.id, Side::Received, status, LIST_LIMIT).await?;
    let show_sent = user.role == "investor" || stats.sent_requests > 0;
    let sent = if show_sent {
        intros::list(pool, user.id, Side::Sent, status, LIST_LIMIT).await?
    } else {
        Vec::new()
    };
    Ok(IntrosView {
        status: status.unwrap_or("all").to_string(),
        received: received.into_iter().map(intro_view).collect(),
        received_counts: [
            stats.pending_requests,
            stats.approved_requests,
            stats.rejected_requests,
            stats.withdrawn_requests,
        ],
        show_sent,
        sent: sent.into_iter().map(intro_view).collect(),
        sent_counts: [
            stats.sent_pending_requests,
            stats.sent_approved_requests,
            stats.sent_rejected_requests,
            stats.sent_withdrawn_requests,
        ],
    })
}

/// The builder approves (`decision=approve`) or rejects (`reject`).
#[server(endpoint = "respond_intro")]
pub async fn respond_intro(request_id: String, decision: String) -> Result<(), AppError> {
    use crate::web::{back_to, parse_id, signed_in};
    use data::intros::Decision;

    let user = signed_in()?;
    let id = parse_id(&request_id)?;
    let decision = match decision.as_str() {
        "approve" => Decision::Approve,
        "reject" => Decision::Reject,
        _ => {
            return Err(AppError::BadRequest(
                "decision is \"approve\" or \"reject\"".into(),
            ))
        }
    };
    let state = crate::state::state()?;
    data::intros::decide(&state.pool, user.id, id, decision).await?;
    back_to(&format!("intro-{id}"), "/intros");
    Ok(())
}

/// The investor withdraws a pending request.
#[server(endpoint = "withdraw_intro")]
pub async fn withdraw_intro(request_id: String) -> Result<(), AppError> {
    use crate::web::{back_to, parse_id, signed_in};

    let user = signed_in()?;
    let id = parse_id(&request_id)?;
    let state = crate::state::state()?;
    data::intros::decide(&state.pool, user.id, id, data::intros::Decision::Withdraw).await?;
    back_to(&format!("intro-{id}"), "/intros");
    Ok(())
}

pub const FILTERS: &[(&str, &str)] = &[
    ("all", "All"),
    ("pending", "Pending"),
    ("approved", "Approved"),
    ("rejected", "Rejected"),
    ("withdrawn", "Withdrawn"),
];

#[component]
pub fn IntrosPage() -> impl IntoView {
    let query = use_query_map();
    let respond = action::<RespondIntro>();
    let withdraw = action::<WithdrawIntro>();
    let error = move || failure([failed(respond), failed(withdraw)]);
    let intros = page_data(move || query.get().get("status"), get_intros);
    loaded(
        intros,
        OnError::ErrorPage,
        move |v| view! { <IntrosBody v respond withdraw error=error() /> },
    )
}

/// The status filter of one list, with counts.
fn filter_nav(name: &'static str, current: &str, counts: [i32; 4]) -> impl IntoView {
    let total: i32 = counts.iter().sum();
    let items = FILTERS
        .iter()
        .enumerate()
        .map(|(i, (s, text))| {
            let n = if i == 0 { total } else { counts[i - 1] };
            let href = if *s == "all" {
                "/intros".to_string()
            } else {
                format!("/intros?status={s}")
            };
            let aria = (*s == current).then_some("page");
            view! { <li><a href=href aria-current=aria>{*text} " (" <span class=format!("count-{s}")>{n}</span> ")"</a></li> }
        })
        .collect_view();
    view! { <nav class="tabs" aria-label=name><ul>{items}</ul></nav> }
}

#[component]
fn IntroItem(
    i: IntroView,
    received: bool,
    respond: ServerAction<RespondIntro>,
    withdraw: ServerAction<WithdrawIntro>,
) -> impl IntoView {
    let id = i.id.to_string();
    let who = if received {
        i.investor.clone()
    } else {
        i.builder.clone()
    };
    let pending = i.status == "pending";
    let actions = if pending && received {
        let id2 = id.clone();
        let approve = format!("Approve the intro request from {who}");
        let reject = format!("Reject the intro request from {who}");
        view! {
            <ActionForm action=respond attr:class="inline-form">
                <input type="hidden" name="request_id" value=id.clone() />
                <input type="hidden" name="decision" value="approve" />
                <button type="submit" class="button primary" aria-label=approve>"Approve"</button>
            </ActionForm>
            <ActionForm action=respond attr:class="inline-form">
                <input type="hidden" name="request_id" value=id2 />
                <input type="hidden" name="decision" value="reject" />
                <button type="submit" class="button danger" aria-label=reject>"Reject"</button>
            </ActionForm>
        }
        .into_any()
    } else if pending {
        let what = format!("Withdraw the intro request to {who}");
        view! {
            <ActionForm action=withdraw attr:class="inline-form">
                <input type="hidden" name="request_id" value=id.clone() />
                <button type="submit" class="button" aria-label=what>"Withdraw"</button>
            </ActionForm>
        }
        .into_any()
    } else if i.status == "approved" {
        let what = format!("Message {who}");
        view! { <a class="button primary" href=format!("/inbox/{who}") aria-label=what>"Message"</a> }
            .into_any()
    } else {
        ().into_any()
    };
    let project = i.project.clone().map(|(pid, title)| {
        view! { " about " <a href=format!("/p/{pid}")>{title}</a> }
    });
    let direction = if received { "From " } else { "To " };
    let message = (!i.message.is_empty())
        .then(|| view! { <blockquote class="intro-message">{i.message.clone()}</blockquote> });
    let responded = i
        .responded
        .clone()
        .map(|r| view! { " · answered " <time>{r}</time> });
    view! {
        <li class=format!("intro intro-{}", i.status) id=format!("intro-{}", i.id)>
            <p class="intro-head">
                {direction} <a href=format!("/u/{who}")>{who.clone()}</a> {project}
                " · " <span class=format!("intro-status status-{}", i.status)>{label(&i.status)}</span>
            </p>
            {message}
            <p class="card-meta">"Sent " <time>{i.created.clone()}</time> {responded}</p>
            <div class="intro-actions">{actions}</div>
        </li>
    }
}

#[component]
fn IntrosBody(
    v: IntrosView,
    respond: ServerAction<RespondIntro>,
    withdraw: ServerAction<WithdrawIntro>,
    error: Option<AppError>,
) -> impl IntoView {
    let list = |items: Vec<IntroView>, received: bool| {
        if items.is_empty() {
            view! { <p class="empty">"No requests here."</p> }.into_any()
        } else {
            let items = items
                .into_iter()
                .map(|i| view! { <IntroItem i received respond withdraw /> })
                .collect_view();
            view! { <ul class="intros">{items}</ul> }.into_any()
        }
    };
    let sent = v.show_sent.then(|| {
        view! {
            <section id="sent" aria-labelledby="sent-heading">
                <h2 id="sent-heading">"Sent"</h2>
                {filter_nav("Sent requests by status", &v.status, v.sent_counts)}
                {list(v.sent.clone(), false)}
            </section>
        }
    });
    view! {
        <Title text="Intro requests" />
        <article class="intros-page">
            <h1>"Intro requests"</h1>
            <FormError error=Signal::derive(move || error.clone()) />
            <section id="received" aria-labelledby="received-heading">
                <h2 id="received-heading">"Received"</h2>
                {filter_nav("Received requests by status", &v.status, v.received_counts)}
                {list(v.received.clone(), true)}
            </section>
            {sent}
        </article>
    }
}
