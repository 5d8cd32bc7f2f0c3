//! `/admin`: site totals, pending investor applications and the reports
//! queue, with the decisions on them. Unknown or malformed ids are 404, an
//! application already decided or a report already closed is 409, an
//! impossible action (deactivating an admin) is 422 with the message next
//! to the form.

use crate::web::{action, page_data};
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use super::AdminNav;
use crate::components::{loaded, FormError, OnError};
use crate::error::AppError;
use crate::web::set_status;

/// Form fields.
pub const DECISION: &str = "decision";
pub const ACTION: &str = "action";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TotalsView {
    /// (label, value)
    pub items: Vec<(String, i64)>,
    pub as_of: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplicationView {
    pub id: String,
    pub username: String,
    pub role: String,
    pub company: String,
    pub focus: String,
    pub ticket_size: String,
    pub portfolio_url: Option<String>,
    pub linkedin_url: Option<String>,
    pub submitted: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportView {
    pub id: String,
    pub target_type: String,
    pub target_label: Option<String>,
    pub target_link: Option<String>,
    pub target_username: Option<String>,
    pub target_user_active: bool,
    pub target_is_admin: bool,
    pub target_deleted: bool,
    pub reason: String,
    pub reporter: Option<String>,
    pub submitted: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminOverview {
    pub totals: Option<TotalsView>,
    pub applications: Vec<ApplicationView>,
    pub reports: Vec<ReportView>,
}

/// How many items of each queue the page shows.
pub const QUEUE_MAX: i64 = 50;

#[server(endpoint = "admin_overview")]
pub async fn get_admin_overview() -> Result<AdminOverview, AppError> {
    use crate::format::is_http_url;
    use crate::format::when;
    use crate::web::require_admin;
    require_admin("/admin")?;
    let state = crate::state::state()?;
    let totals = data::admin::totals(&state.pool).await?.map(|t| TotalsView {
        items: vec![
            ("Users".into(), t.users_total),
            ("Active users".into(), t.users_active),
            ("Live projects".into(), t.projects_live),
            ("Comments".into(), t.comments),
            ("Badges".into(), t.badges),
            ("Chains".into(), t.chains_total),
            ("Chain posts".into(), t.chain_posts),
            ("Messages".into(), t.direct_messages),
            ("Open reports".into(), t.reports_open),
            (
                "Pending investor applications".into(),
                t.investor_applications_pending,
            ),
            ("Approved investors".into(), t.investors_approved),
        ],
        as_of: t
            .as_of
            .map(when)
            .unwrap_or_else(|| "the last migration".into()),
    });
    let applications = data::admin::pending_applications(&state.pool, QUEUE_MAX)
        .await?
        .into_iter()
        .map(|a| ApplicationView {
            id: a.id.to_string(),
            username: a.username,
            role: a.role,
            company: a.company_name,
            focus: a.investment_focus,
            ticket_size: a.ticket_size,
            portfolio_url: a.portfolio_url.filter(|u| is_http_url(u)),
            linkedin_url: a.linkedin_url.filter(|u| is_http_url(u)),
            submitted: when(a.created_at),
        })
        .collect();
    let reports = data::admin::open_reports(&state.pool, QUEUE_MAX)
        .await?
        .into_iter()
        .map(|r| ReportView {
            id: r.id.to_string(),
            target_type: r.target_type,
            target_label: r.target_label,
            target_link: r.target_link,
            target_username: r.target_username,
            target_user_active: r.target_user_active.unwrap_or(false),
            target_is_admin: r.target_user_role.as_deref() == Some("admin"),
            target_deleted: r.target_deleted,
            reason: r.reason,
            reporter: r.reporter,
            submitted: when(r.created_at),
        })
        .collect();
    Ok(AdminOverview {
        totals,
        applications,
        reports,
    })
}

/// Approve or reject a pending investor application.
#[server(endpoint = "admin_decide_application")]
pub async fn decide_application(application_id: String, decision: String) -> Result<(), AppError> {
    use crate::web::require_admin;
    use crate::web::{back_to, parse_id};
    let admin = require_admin("/admin")?;
    let decision = match decision.as_str() {
        "approve" => data::admin::Decision::Approve,
        "reject" => data::admin::Decision::Reject,
        _ => {
            return Err(AppError::Invalid(
                crate::error::Invalid::field(DECISION, "Choose approve or reject.").with_value(
                    "target",
                    &application_id.chars().take(40).collect::<String>(),
                ),
            ))
        }
    };
    let id = parse_id(&application_id)?;
    let state = crate::state::state()?;
    let decided = data::admin::decide_application(&state.pool, admin.id, id, decision)
        .await
        .map_err(|e| AppError::from(e).with_values(&[("target", &application_id)]))?;
    tracing::info!(application_id = %id, user_id = %decided.user_id, role = %decided.role,
        admin_id = %admin.id, ?decision, "investor application decided");
    back_to("applications", "/admin");
    Ok(())
}

/// Resolve, dismiss, deactivate the reported user or delete the reported
/// content; each closes the report.
#[server(endpoint = "admin_report_action")]
pub async fn report_action(report_id: String, action: String) -> Result<(), AppError> {
    use crate::web::require_admin;
    use crate::web::{back_to, parse_id};
    let admin = require_admin("/admin")?;
    let Some(act) = data::admin::ReportAction::parse(&action) else {
        return Err(AppError::Invalid(
            crate::error::Invalid::field(ACTION, "Choose resolve, dismiss, deactivate or delete.")
                .with_value("target", &report_id.chars().take(40).collect::<String>()),
        ));
    };
    let id = parse_id(&report_id)?;
    let state = crate::state::state()?;
    data::admin::act_on_report(&state.pool, admin.id, id, act)
        .await
        .map_err(|e| AppError::from(e).with_values(&[("target", &report_id)]))?;
    tracing::info!(report_id = %id, admin_id = %admin.id, ?act, "report closed");
    back_to("reports", "/admin");
    Ok(())
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let decide = action::<DecideApplication>();
    let act = action::<ReportAction>();
    let overview = page_data(|| (), |_| get_admin_overview());
    view! {
        <Title text="Admin" />
        {loaded(overview, OnError::GuardError, move |o| view! { <AdminBody o decide act /> })}
    }
}

#[component]
fn AdminBody(
    o: AdminOverview,
    decide: ServerAction<DecideApplication>,
    act: ServerAction<ReportAction>,
) -> impl IntoView {
    let decide_error = decide.value().get_untracked().and_then(Result::err);
    let act_error = act.value().get_untracked().and_then(Result::err);
    if let Some(err) = decide_error.as_ref().or(act_error.as_ref()) {
        set_status(err.status());
    }
    let totals = match o.totals {
        Some(t) => {
            let items = t
                .items
                .into_iter()
                .map(|(label, n)| view! { <div class="stat"><dt>{label}</dt><dd>{n}</dd></div> })
                .collect_view();
            view! {
                <p class="aside">"As of " {t.as_of} " (refreshed from the site's data every few minutes)."</p>
                <dl class="stats-grid">{items}</dl>
            }
            .into_any()
        }
        None => view! { <p class="empty">"The totals are not computed yet."</p> }.into_any(),
    };
    let more = |n: usize| {
        (n as i64 >= QUEUE_MAX).then(|| {
            view! { <p class="aside">{format!("The oldest {QUEUE_MAX} are shown; the rest appear as these are handled.")}</p> }
        })
    };
    let more_applications = more(o.applications.len());
    let more_reports = more(o.reports.len());
    let applications = if o.applications.is_empty() {
        view! { <p class="empty">"No pending applications."</p> }.into_any()
    } else {
        let rows = o
            .applications
            .into_iter()
            .map(|a| view! { <ApplicationRow a decide /> })
            .collect_view();
        view! {
            <table class="admin-table">
                <caption class="visually-hidden">"Pending investor applications, oldest first"</caption>
                <thead><tr>
                    <th scope="col">"Applicant"</th>
                    <th scope="col">"Company"</th>
                    <th scope="col">"Focus and ticket"</th>
                    <th scope="col">"Submitted"</th>
                    <th scope="col">"Decision"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    let reports = if o.reports.is_empty() {
        view! { <p class="empty">"No open reports."</p> }.into_any()
    } else {
        let rows = o
            .reports
            .into_iter()
            .map(|r| view! { <ReportRow r act /> })
            .collect_view();
        view! {
            <table class="admin-table">
                <caption class="visually-hidden">"Open reports, oldest first"</caption>
                <thead><tr>
                    <th scope="col">"Target"</th>
                    <th scope="col">"Reason"</th>
                    <th scope="col">"Reporter"</th>
                    <th scope="col">"Actions"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
        }
        .into_any()
    };
    let general_decide = decide_error.filter(|e| !matches!(e, AppError::Invalid(_)));
    let general_act = act_error.filter(|e| !matches!(e, AppError::Invalid(_)));
    view! {
        <h1>"Admin"</h1>
        <AdminNav current="/admin" />
        <section aria-labelledby="totals-h">
            <h2 id="totals-h">"Site totals"</h2>
            {totals}
        </section>
        <section aria-labelledby="applications-h" id="applications">
            <h2 id="applications-h">"Pending investor applications"</h2>
            <FormError error=Signal::derive(move || general_decide.clone()) />
            {applications}
            {more_applications}
        </section>
        <section aria-labelledby="reports-h" id="reports">
            <h2 id="reports-h">"Reports and feedback"</h2>
            <FormError error=Signal::derive(move || general_act.clone()) />
            {reports}
            {more_reports}
        </section>
    }
}

#[component]
fn ApplicationRow(a: ApplicationView, decide: ServerAction<DecideApplication>) -> impl IntoView {
    let error = decide
        .value()
        .get_untracked()
        .and_then(Result::err)
        .filter(|e| e.field_value("target").as_deref() == Some(a.id.as_str()))
        .and_then(|e| e.field_error(DECISION));
    let links = (
        a.portfolio_url.clone().map(|href| {
            view! { <a href=href rel="nofollow noopener ugc">"Portfolio"</a> " " }
        }),
        a.linkedin_url.clone().map(|href| {
            view! { <a href=href rel="nofollow noopener ugc">"LinkedIn"</a> }
        }),
    );
    let who = a.username.clone();
    let id = a.id.clone();
    let error_id = format!("application-{}-error", a.id);
    let described = error.as_ref().map(|_| error_id.clone());
    view! {
        <tr id=format!("application-{}", a.id)>
            <th scope="row"><a href=format!("/u/{}", a.username)>{a.username.clone()}</a>
                <span class="aside">{format!(" ({})", a.role)}</span></th>
            <td>{a.company.clone()} <br />{links}</td>
            <td>{a.focus.clone()} <br />{a.ticket_size.clone()}</td>
            <td>{a.submitted.clone()}</td>
            <td>
                <ActionForm action=decide attr:class="inline-form">
                    <input type="hidden" name="application_id" value=id.clone() />
                    <button type="submit" name=DECISION value="approve" class="button small primary"
                        aria-label=format!("Approve the application of {who}")
                        aria-describedby=described>"Approve"</button>
                    " "
                    <button type="submit" name=DECISION value="reject" class="button small"
                        aria-label=format!("Reject the application of {who}")>"Reject"</button>
                </ActionForm>
                {error.map(|m| view! { <p class="field-error" id=error_id.clone()>{m}</p> })}
            </td>
        </tr>
    }
}

#[component]
fn ReportRow(r: ReportView, act: ServerAction<ReportAction>) -> impl IntoView {
    let error = act
        .value()
        .get_untracked()
        .and_then(Result::err)
        .filter(|e| e.field_value("target").as_deref() == Some(r.id.as_str()))
        .and_then(|e| e.field_error(ACTION));
    let kind = match r.target_type.as_str() {
        "chain_post" => "Chain post".to_string(),
        other => crate::format::label(other),
    };
    let target = match (r.target_label.clone(), r.target_link.clone()) {
        (Some(label), Some(link)) if !r.target_deleted => {
            view! { <a href=link>{label}</a> }.into_any()
        }
        (Some(label), _) => view! { <span>{label} " (deleted)"</span> }.into_any(),
        _ if r.target_type == "feedback" => {
            view! { <span>"Feedback about the site"</span> }.into_any()
        }
        _ => view! { <span>"(no longer exists)"</span> }.into_any(),
    };
    let author = r.target_username.clone().map(|u| {
        let inactive = (!r.target_user_active).then_some(" (deactivated)");
        view! { <br /><span class="aside">"by " <a href=format!("/u/{u}")>{u.clone()}</a>{inactive}</span> }
    });
    let can_delete = matches!(r.target_type.as_str(), "project" | "comment" | "chain_post")
        && !r.target_deleted
        && r.target_label.is_some();
    let can_deactivate = r.target_username.is_some() && r.target_user_active && !r.target_is_admin;
    let id = r.id.clone();
    let button = move |value: &'static str, text: &'static str, what: String| {
        view! {
            <button type="submit" name=ACTION value=value class="button small"
                aria-label=format!("{text}: report about {what}")>{text}</button>
            " "
        }
    };
    let what = r
        .target_label
        .clone()
        .unwrap_or_else(|| r.target_type.clone());
    let error_id = format!("report-{}-error", r.id);
    view! {
        <tr id=format!("report-{}", r.id)>
            <th scope="row">{kind} ": " {target} {author}</th>
            <td class="report-reason">{r.reason.clone()}<br /><span class="aside">{r.submitted.clone()}</span></td>
            <td>{r.reporter.clone().map(|u| view! { <a href=format!("/u/{u}")>{u.clone()}</a> }.into_any())
                    .unwrap_or_else(|| view! { <span>"(deleted account)"</span> }.into_any())}</td>
            <td>
                <ActionForm action=act attr:class="inline-form report-actions">
                    <input type="hidden" name="report_id" value=id.clone() />
                    {button("resolve", "Resolve", what.clone())}
                    {button("dismiss", "Dismiss", what.clone())}
                    {can_deactivate.then(|| button("deactivate", "Deactivate user", what.clone()))}
                    {can_delete.then(|| button("delete", "Delete content", what.clone()))}
                </ActionForm>
                {error.map(|m| view! { <p class="field-error" role="alert" id=error_id.clone()>{m}</p> })}
            </td>
        </tr>
    }
}
