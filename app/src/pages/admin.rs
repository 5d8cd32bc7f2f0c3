//! The admin pages, for role `admin` only: `/admin` (site totals, pending
//! investor applications, the reports queue) and `/admin/health`
//! (derived-data health: every materialized view, a chart of refresh
//! durations, the last reconciliation report and "Reconcile now").
//!
//! Signed out, a page sends the browser to log in; anyone else who is not
//! an admin gets a 403 page. Every server function checks the role itself
//! (a forged post from a non-admin is 403 and writes nothing); unknown or
//! malformed ids are 404, an application already decided or a report
//! already closed is 409, an impossible action (deactivating an admin) is
//! 422 with the message next to the form.

use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::components::{set_status, ErrorPage, FormError};
use crate::error::AppError;

/// Form fields.
pub const DECISION: &str = "decision";
pub const ACTION: &str = "action";

#[cfg(feature = "ssr")]
pub mod server {
    //! The admin check and error mapping.

    use crate::auth::CurrentUser;
    use crate::error::{AppError, Invalid};

    /// The signed-in admin. Signed out: 401 (a page, or a browser's post,
    /// is sent to log in and back to `next`); any other role: 403.
    pub fn require_admin(next: &str) -> Result<CurrentUser, AppError> {
        require_role(next, &["admin"])
    }

    /// The signed-in user if their role is one of `roles` (see
    /// [`require_admin`]).
    pub fn require_role(next: &str, roles: &[&str]) -> Result<CurrentUser, AppError> {
        use crate::pages::actions::server::{encode, referer_path, wants_html};
        let Some(user) = crate::auth::session_user() else {
            if wants_html() {
                // A page (GET) comes back to itself; a form post to the
                // page it was posted from.
                let is_get = leptos::prelude::use_context::<http::request::Parts>()
                    .is_some_and(|p| p.method == http::Method::GET);
                let next = if is_get {
                    next.to_string()
                } else {
                    referer_path().unwrap_or_else(|| next.to_string())
                };
                leptos_axum::redirect(&format!("/login?next={}", encode(&next)));
            }
            return Err(AppError::Unauthorized);
        };
        if roles.contains(&user.role.as_str()) {
            Ok(user)
        } else {
            Err(AppError::Forbidden)
        }
    }

    pub fn admin_error(err: data::admin::AdminError, field: &str, target: &str) -> AppError {
        use data::admin::AdminError;
        match err {
            AdminError::NotFound => AppError::NotFound,
            AdminError::Conflict(msg) => AppError::Conflict(msg),
            AdminError::Invalid(msg) => {
                AppError::Invalid(Invalid::field(field, msg).with_value("target", target))
            }
            AdminError::Db(err) => err.into(),
        }
    }

    /// `2026-12-02 20:15 UTC`.
    pub fn datetime(at: time::OffsetDateTime) -> String {
        let at = at.to_offset(time::UtcOffset::UTC);
        format!(
            "{:04}-{:02}-{:02} {:02}:{:02} UTC",
            at.year(),
            u8::from(at.month()),
            at.day(),
            at.hour(),
            at.minute()
        )
    }
}

// ------------------------------------------------------------ overview --

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
    use crate::pages::project::is_http_url;
    use server::{datetime, require_admin};
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
            .map(datetime)
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
            submitted: datetime(a.created_at),
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
            submitted: datetime(r.created_at),
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
    use crate::pages::actions::server::{back_to, parse_id};
    use server::{admin_error, require_admin};
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
        .map_err(|e| admin_error(e, DECISION, &application_id))?;
    tracing::info!(application_id = %id, user_id = %decided.user_id, role = %decided.role,
        admin_id = %admin.id, ?decision, "investor application decided");
    back_to("applications", "/admin");
    Ok(())
}

/// Resolve, dismiss, deactivate the reported user or delete the reported
/// content; each closes the report.
#[server(endpoint = "admin_report_action")]
pub async fn report_action(report_id: String, action: String) -> Result<(), AppError> {
    use crate::pages::actions::server::{back_to, parse_id};
    use server::{admin_error, require_admin};
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
        .map_err(|e| admin_error(e, ACTION, &report_id))?;
    tracing::info!(report_id = %id, admin_id = %admin.id, ?act, "report closed");
    back_to("reports", "/admin");
    Ok(())
}

/// The error of a page that needs a role. Signed out, a browser was
/// already sent to log in (302) by the loader: that status must stay, so
/// the 401 page is rendered only for other clients.
#[component]
pub fn GuardError(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    let redirected =
        matches!(error, AppError::Unauthorized) && crate::pages::actions::server::wants_html();
    #[cfg(not(feature = "ssr"))]
    let redirected = false;
    if redirected {
        view! { <p><a href="/login">"Please log in first."</a></p> }.into_any()
    } else {
        view! { <ErrorPage error /> }.into_any()
    }
}

/// The admin pages' navigation.
#[component]
fn AdminNav(current: &'static str) -> impl IntoView {
    let link = move |href: &'static str, text: &'static str| {
        view! {
            <li><a href=href aria-current=(current == href).then_some("page")>{text}</a></li>
        }
    };
    view! {
        <nav class="admin-nav" aria-label="Admin">
            <ul>
                {link("/admin", "Overview and queues")}
                {link("/admin/health", "Derived-data health")}
            </ul>
        </nav>
    }
}

#[component]
pub fn AdminPage() -> impl IntoView {
    let decide = ServerAction::<DecideApplication>::new();
    let act = ServerAction::<ReportAction>::new();
    let overview = Resource::new(|| (), |_| get_admin_overview());
    view! {
        <Title text="Admin" />
        <Suspense>
            {move || Suspend::new(async move {
                match overview.await {
                    Ok(o) => view! { <AdminBody o decide act /> }.into_any(),
                    Err(err) => view! { <GuardError error=err /> }.into_any(),
                }
            })}
        </Suspense>
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
        other => crate::pages::feed::label(other),
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

// -------------------------------------------------------------- health --

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewHealthView {
    pub name: String,
    pub populated: bool,
    pub last_refresh: Option<String>,
    pub age_secs: Option<f64>,
    pub target_secs: f64,
    pub duration_ms: Option<i32>,
    pub rows: Option<i64>,
    pub dirty: bool,
    pub pending_marks: i64,
    pub failures_since_ok: i64,
    pub failures_24h: i64,
    pub last_error: Option<String>,
    /// (time `HH:MM`, duration ms, ok), oldest first.
    pub history: Vec<(String, i32, bool)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReconcileView {
    pub id: i64,
    pub finished: String,
    pub triggered_by: String,
    pub run_by: String,
    pub duration_ms: u64,
    pub clean: bool,
    pub differences: u64,
    pub views_drifted: usize,
    /// (table, differences)
    pub tables: Vec<(String, u64)>,
    /// (view, status, differences)
    pub views: Vec<(String, String, u64)>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AdminHealth {
    pub views: Vec<ViewHealthView>,
    pub reconcile: Option<ReconcileView>,
    pub cache: CacheView,
}

/// This instance's Redis-side counters since it started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CacheView {
    pub redis_configured: bool,
    pub hot_enabled: bool,
    pub hot_listening: bool,
    pub hot_local_hits: u64,
    pub hot_redis_hits: u64,
    pub hot_misses: u64,
    pub hot_hit_ratio: f64,
    pub hot_entries: u64,
    pub hot_invalidations: u64,
    pub hot_stale_loads_dropped: u64,
    pub hot_redis_errors: u64,
    pub overlays_enabled: bool,
    pub overlay_hits: u64,
    pub overlay_fills: u64,
    pub overlay_fills_refused: u64,
    pub overlay_fallbacks: u64,
    pub overlay_redis_errors: u64,
}

/// Refreshes per view shown in the chart.
pub const HISTORY_PER_VIEW: i64 = 20;

#[server(endpoint = "admin_health")]
pub async fn get_admin_health() -> Result<AdminHealth, AppError> {
    use server::{datetime, require_admin};
    require_admin("/admin/health")?;
    let state = crate::state::state()?;
    let health = data::refresher::health(&state.pool).await?;
    let history = data::health::refresh_history(&state.pool, 24, HISTORY_PER_VIEW).await?;
    let views = health
        .into_iter()
        .map(|h| {
            let history = history
                .iter()
                .filter(|p| p.view_name == h.view_name)
                .map(|p| {
                    let t = p.started_at.to_offset(time::UtcOffset::UTC);
                    (
                        format!("{:02}:{:02}:{:02}", t.hour(), t.minute(), t.second()),
                        p.duration_ms,
                        p.status == "ok",
                    )
                })
                .collect();
            ViewHealthView {
                name: h.view_name,
                populated: h.populated,
                last_refresh: h.last_refresh_at.map(datetime),
                age_secs: h.age_secs,
                target_secs: h.target_secs,
                duration_ms: h.last_ok.as_ref().map(|r| r.duration_ms),
                rows: h.row_count,
                dirty: h.dirty,
                pending_marks: h.pending_marks,
                failures_since_ok: h.failures_since_ok,
                failures_24h: h.failures_24h,
                last_error: h.last_error.map(|e| e.chars().take(300).collect()),
                history,
            }
        })
        .collect();
    let reconcile = data::reconcile::recent_reports(&state.pool, 1)
        .await?
        .into_iter()
        .next()
        .map(|l| ReconcileView {
            id: l.id,
            finished: datetime(l.finished_at),
            triggered_by: l.triggered_by,
            run_by: l.run_by,
            duration_ms: l.report.duration_ms,
            clean: l.report.is_clean(),
            differences: l.report.total_differences(),
            views_drifted: l.report.views_drifted(),
            tables: l
                .report
                .tables
                .iter()
                .map(|t| (t.table.clone(), t.differences()))
                .collect(),
            views: l
                .report
                .views
                .iter()
                .map(|v| {
                    (
                        v.view.clone(),
                        v.status.as_str().to_string(),
                        v.differences(),
                    )
                })
                .collect(),
        });
    let hot = state.hot.stats();
    let ov = state.overlays.stats();
    let cache = CacheView {
        redis_configured: state.redis.is_some(),
        hot_enabled: hot.enabled,
        hot_listening: hot.listening,
        hot_local_hits: hot.local_hits,
        hot_redis_hits: hot.redis_hits,
        hot_misses: hot.misses,
        hot_hit_ratio: hot.hit_ratio(),
        hot_entries: hot.local_entries,
        hot_invalidations: hot.invalidations,
        hot_stale_loads_dropped: hot.stale_loads_dropped,
        hot_redis_errors: hot.redis_errors,
        overlays_enabled: ov.enabled,
        overlay_hits: ov.hits,
        overlay_fills: ov.fills,
        overlay_fills_refused: ov.fills_refused,
        overlay_fallbacks: ov.fallbacks,
        overlay_redis_errors: ov.redis_errors,
    };
    Ok(AdminHealth {
        views,
        reconcile,
        cache,
    })
}

/// Runs the reconciler now (compare only, views included) and comes back
/// to the report.
#[server(endpoint = "admin_reconcile")]
pub async fn reconcile_now() -> Result<(), AppError> {
    use server::require_admin;
    let admin = require_admin("/admin/health")?;
    let state = crate::state::state()?;
    let opts = data::reconcile::RunOptions {
        repair: false,
        views: true,
        triggered_by: data::reconcile::RunBy::Admin,
        run_by: admin.username.clone(),
    };
    let report = data::reconcile::run(&state.pool, &opts, &|_| {}).await?;
    tracing::info!(admin_id = %admin.id, clean = report.is_clean(),
        differences = report.total_differences(), "reconciled on an admin's request");
    if crate::pages::actions::server::wants_html() {
        leptos_axum::redirect("/admin/health?reconciled=1#reconcile");
    }
    Ok(())
}

#[component]
pub fn AdminHealthPage() -> impl IntoView {
    let reconcile = ServerAction::<ReconcileNow>::new();
    let health = Resource::new(|| (), |_| get_admin_health());
    view! {
        <Title text="Derived-data health" />
        <Suspense>
            {move || Suspend::new(async move {
                match health.await {
                    Ok(h) => view! { <HealthBody h reconcile /> }.into_any(),
                    Err(err) => view! { <GuardError error=err /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

fn secs(s: f64) -> String {
    if s < 120.0 {
        format!("{s:.0} s")
    } else if s < 7200.0 {
        format!("{:.0} min", s / 60.0)
    } else {
        format!("{:.1} h", s / 3600.0)
    }
}

#[component]
fn HealthBody(h: AdminHealth, reconcile: ServerAction<ReconcileNow>) -> impl IntoView {
    let error = reconcile.value().get_untracked().and_then(Result::err);
    if let Some(err) = &error {
        set_status(err.status());
    }
    let just_ran = leptos_router::hooks::use_query_map()
        .get_untracked()
        .get("reconciled")
        .is_some();
    let charts = h
        .views
        .iter()
        .map(|v| view! { <DurationChart v=v.clone() /> })
        .collect_view();
    let rows = h
        .views
        .into_iter()
        .map(|v| {
            let stale = v.dirty && v.age_secs.is_some_and(|a| a > v.target_secs);
            let state = if !v.populated {
                "not populated"
            } else if v.failures_since_ok > 0 {
                "failing"
            } else if stale {
                "stale"
            } else if v.dirty {
                "dirty (refresh due)"
            } else {
                "fresh"
            };
            view! {
                <tr class=format!("view-{}", state.split(' ').next().unwrap_or_default())>
                    <th scope="row"><code>{v.name.clone()}</code></th>
                    <td>{v.last_refresh.clone().unwrap_or_else(|| "never".into())}</td>
                    <td class="num">{v.duration_ms.map(|d| format!("{d} ms")).unwrap_or_else(|| "–".into())}</td>
                    <td class="num">{v.rows.map(|r| r.to_string()).unwrap_or_else(|| "–".into())}</td>
                    <td class="num">{v.age_secs.map(secs).unwrap_or_else(|| "–".into())}
                        " / " {secs(v.target_secs)}</td>
                    <td>{state}{v.dirty.then(|| format!(" ({} pending writes)", v.pending_marks))}</td>
                    <td class="num">{v.failures_24h}
                        {v.last_error.clone().map(|e| { let title = e.clone(); view! { <br /><span class="aside" title=title>"last: " {e}</span> } })}</td>
                </tr>
            }
        })
        .collect_view();
    let report = match h.reconcile {
        Some(r) => {
            let tables = r
                .tables
                .into_iter()
                .map(|(t, d)| view! { <tr><th scope="row"><code>{t}</code></th><td>"table"</td><td class="num">{d}</td></tr> })
                .collect_view();
            let views = r
                .views
                .into_iter()
                .map(|(v, s, d)| view! { <tr><th scope="row"><code>{v}</code></th><td>{s}</td><td class="num">{d}</td></tr> })
                .collect_view();
            view! {
                {just_ran.then(|| view! { <p class="report-done" role="status">"Reconciliation finished: the report below is the new one."</p> })}
                <p id="reconcile-summary">
                    {format!("Report #{}, finished {} ({} by {}, {} ms): ", r.id, r.finished, r.triggered_by, r.run_by, r.duration_ms)}
                    <strong>{if r.clean { "clean".to_string() } else {
                        format!("{} differences, {} views drifted", r.differences, r.views_drifted)
                    }}</strong>
                </p>
                <table class="admin-table">
                    <caption>"Per derived table and view"</caption>
                    <thead><tr><th scope="col">"Name"</th><th scope="col">"Status"</th><th scope="col">"Differences"</th></tr></thead>
                    <tbody>{tables}{views}</tbody>
                </table>
            }
            .into_any()
        }
        None => view! { <p class="empty">"No reconciliation has run yet."</p> }.into_any(),
    };
    view! {
        <h1>"Derived-data health"</h1>
        <AdminNav current="/admin/health" />
        <section aria-labelledby="views-h">
            <h2 id="views-h">"Materialized views"</h2>
            <p class="aside">"Staleness is the time since the last refresh; a view is stale when it has writes \
                not yet refreshed and is older than its target."</p>
            <div class="table-scroll">
            <table class="admin-table">
                <caption class="visually-hidden">"Every registered materialized view"</caption>
                <thead><tr>
                    <th scope="col">"View"</th>
                    <th scope="col">"Last refresh"</th>
                    <th scope="col">"Duration"</th>
                    <th scope="col">"Rows"</th>
                    <th scope="col">"Staleness / target"</th>
                    <th scope="col">"State"</th>
                    <th scope="col">"Failures (24 h)"</th>
                </tr></thead>
                <tbody>{rows}</tbody>
            </table>
            </div>
        </section>
        <section aria-labelledby="durations-h">
            <h2 id="durations-h">"Refresh durations, last 24 hours"</h2>
            <p class="aside">{format!("Up to the last {HISTORY_PER_VIEW} refreshes of each view; failed attempts in red.")}</p>
            <div class="duration-charts">{charts}</div>
        </section>
        <CacheSection c=h.cache />
        <section aria-labelledby="reconcile-h" id="reconcile">
            <h2 id="reconcile-h">"Trigger tables: last reconciliation"</h2>
            <FormError error=Signal::derive(move || error.clone()) />
            {report}
            <ActionForm action=reconcile attr:class="inline-form">
                <button type="submit" class="button primary">"Reconcile now"</button>
            </ActionForm>
            <p class="aside">"Compares every trigger-maintained table and every view with its definition; repairs nothing."</p>
        </section>
    }
}

/// The hot cache's and overlays' counters on this instance.
#[component]
fn CacheSection(c: CacheView) -> impl IntoView {
    let on_off = |b: bool| if b { "on" } else { "off" };
    let redis = if !c.redis_configured {
        "no Redis configured: every read goes to PostgreSQL".to_string()
    } else if c.hot_listening {
        "Redis connected; refresh notifications heard".to_string()
    } else {
        "Redis configured but not heard: serving from PostgreSQL, in-process entries live 1 s"
            .to_string()
    };
    let hot_rows = [
        ("Hits in process", c.hot_local_hits),
        ("Hits in Redis", c.hot_redis_hits),
        ("Misses (read from PostgreSQL)", c.hot_misses),
        ("Entries in process now", c.hot_entries),
        ("Entries dropped by refreshes", c.hot_invalidations),
        (
            "Loads not kept (view refreshed meanwhile)",
            c.hot_stale_loads_dropped,
        ),
        ("Redis errors", c.hot_redis_errors),
    ];
    let ov_rows = [
        ("Answered by Redis", c.overlay_hits),
        ("Filled from PostgreSQL", c.overlay_fills),
        (
            "Fills refused (a write came first)",
            c.overlay_fills_refused,
        ),
        ("Answered by PostgreSQL alone", c.overlay_fallbacks),
        ("Redis errors", c.overlay_redis_errors),
    ];
    let rows = |rows: [(&'static str, u64); 7]| {
        rows.into_iter()
            .map(|(k, v)| view! { <tr><th scope="row">{k}</th><td class="num">{v}</td></tr> })
            .collect_view()
    };
    let ov = ov_rows
        .into_iter()
        .map(|(k, v)| view! { <tr><th scope="row">{k}</th><td class="num">{v}</td></tr> })
        .collect_view();
    view! {
        <section aria-labelledby="cache-h" id="cache">
            <h2 id="cache-h">"Redis cache on this instance"</h2>
            <p id="cache-redis">{redis}</p>
            <div class="table-scroll">
            <table class="admin-table">
                <caption>{format!("Hot page cache ({}), hit ratio {:.1} %, since this instance started",
                    on_off(c.hot_enabled), c.hot_hit_ratio * 100.0)}</caption>
                <tbody>{rows(hot_rows)}</tbody>
            </table>
            <table class="admin-table">
                <caption>{format!("Per-user overlays ({}), since this instance started", on_off(c.overlays_enabled))}</caption>
                <tbody>{ov}</tbody>
            </table>
            </div>
            <p class="aside">"Keys and lifetimes: docs/CACHE.md. Redis is never the only copy: \
                without it every page reads PostgreSQL."</p>
        </section>
    }
}

/// One view's refresh durations as an inline SVG bar chart, with the same
/// numbers in a table for screen readers and text browsers.
#[component]
fn DurationChart(v: ViewHealthView) -> impl IntoView {
    const W: f64 = 300.0;
    const H: f64 = 80.0;
    let n = v.history.len();
    let max = v
        .history
        .iter()
        .map(|(_, d, _)| *d)
        .max()
        .unwrap_or(0)
        .max(1);
    let bar_w = if n == 0 { 0.0 } else { W / n as f64 };
    let bars = v
        .history
        .iter()
        .enumerate()
        .map(|(i, (at, d, ok))| {
            let h = (*d as f64 / max as f64 * (H - 4.0)).max(1.0);
            let x = i as f64 * bar_w;
            view! {
                <rect x=format!("{:.1}", x + 1.0) y=format!("{:.1}", H - h) width=format!("{:.1}", (bar_w - 2.0).max(1.0))
                    height=format!("{h:.1}") class=if *ok { "bar-ok" } else { "bar-failed" }>
                    <title>{format!("{at}: {d} ms{}", if *ok { "" } else { " (failed)" })}</title>
                </rect>
            }
        })
        .collect_view();
    let title = if n == 0 {
        format!("{}: no refreshes in the last 24 hours", v.name)
    } else {
        format!(
            "{}: durations of the last {n} refreshes, longest {max} ms",
            v.name
        )
    };
    let title_id = format!("chart-{}-title", v.name);
    let rows = v
        .history
        .iter()
        .map(|(at, d, ok)| view! { <tr><th scope="row">{at.clone()}</th><td class="num">{*d}" ms"</td><td>{if *ok { "ok" } else { "failed" }}</td></tr> })
        .collect_view();
    view! {
        <figure class="duration-chart">
            <svg role="img" aria-labelledby=title_id.clone() viewBox=format!("0 0 {W} {H}") width="300" height="80"
                xmlns="http://www.w3.org/2000/svg" class="chart">
                <title id=title_id.clone()>{title.clone()}</title>
                <line x1="0" y1=H x2=W y2=H class="axis" />
                {bars}
            </svg>
            <figcaption><code>{v.name.clone()}</code>{format!(" (max {max} ms)")}</figcaption>
            <details>
                <summary>"Data table"</summary>
                <table class="admin-table">
                    <caption class="visually-hidden">{title}</caption>
                    <thead><tr><th scope="col">"Started (UTC)"</th><th scope="col">"Duration"</th><th scope="col">"Result"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </details>
        </figure>
    }
}
