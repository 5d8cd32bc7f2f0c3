//! `/admin/health`: derived-data health. Every derived structure with its
//! last refresh and staleness (keys waiting for the ones kept per key), a
//! chart per structure (staleness per minute for those kept per key,
//! refresh durations for views refreshed whole), the hot cache's numbers,
//! the last reconciliation report, and "Reconcile now".

use crate::web::{action, page_data};
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use super::AdminNav;
use crate::components::{loaded, FormError, OnError};
use crate::error::AppError;
use crate::web::set_status;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ViewHealthView {
    pub name: String,
    /// "view" (refreshed whole) or "keyed" (rewritten per key).
    pub kind: String,
    pub populated: bool,
    pub last_refresh: Option<String>,
    pub age_secs: Option<f64>,
    pub target_secs: f64,
    pub duration_ms: Option<i32>,
    pub rows: Option<i64>,
    pub dirty: bool,
    pub pending_marks: i64,
    /// Keyed: how long the oldest waiting key has waited.
    pub oldest_pending_secs: Option<f64>,
    /// Behind its staleness target (`ViewHealth::is_stale`).
    pub stale: bool,
    pub failures_since_ok: i64,
    pub failures_24h: i64,
    pub last_error: Option<String>,
    /// Views: (time `HH:MM:SS`, refresh duration ms, ok). Keyed: (minute
    /// `HH:MM`, longest wait of a key from its write to its step in ms,
    /// true). Oldest first.
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
/// Minutes of step figures shown per keyed structure.
pub const LAG_MINUTES: i32 = 60;

#[server(endpoint = "admin_health")]
pub async fn get_admin_health() -> Result<AdminHealth, AppError> {
    use crate::format::when;
    use crate::web::require_admin;
    require_admin("/admin/health")?;
    let state = crate::state::state()?;
    let health = data::refresher::health(&state.pool).await?;
    let history = data::health::refresh_history(&state.pool, 24, HISTORY_PER_VIEW).await?;
    let steps = data::refresher::step_history(&state.pool, LAG_MINUTES).await?;
    let views = health
        .into_iter()
        .map(|h| {
            let history = if h.kind == "keyed" {
                steps
                    .iter()
                    .filter(|m| m.view_name == h.view_name)
                    .map(|m| {
                        let t = m.minute.to_offset(time::UtcOffset::UTC);
                        let lag = i32::try_from(m.max_lag_ms).unwrap_or(i32::MAX);
                        (format!("{:02}:{:02}", t.hour(), t.minute()), lag, true)
                    })
                    .collect()
            } else {
                history
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
                    .collect()
            };
            ViewHealthView {
                stale: h.is_stale(),
                name: h.view_name,
                kind: h.kind,
                oldest_pending_secs: h.oldest_pending_secs,
                populated: h.populated,
                last_refresh: h.last_refresh_at.map(when),
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
            finished: when(l.finished_at),
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
    use crate::web::require_admin;
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
    // Another page shows the result: the browser goes there, with or
    // without JavaScript (the client follows the redirect itself).
    leptos_axum::redirect("/admin/health?reconciled=1#reconcile");
    Ok(())
}

#[component]
pub fn AdminHealthPage() -> impl IntoView {
    let reconcile = action::<ReconcileNow>();
    let health = page_data(|| (), |_| get_admin_health());
    view! {
        <Title text="Derived-data health" />
        {loaded(health, OnError::GuardError, move |h| view! { <HealthBody h reconcile /> })}
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
            let keyed = v.kind == "keyed";
            let stale = v.stale;
            let waiting = if keyed {
                v.dirty.then(|| {
                    format!(
                        " ({} keys waiting, oldest {})",
                        v.pending_marks,
                        secs(v.oldest_pending_secs.unwrap_or(0.0))
                    )
                })
            } else {
                v.dirty.then(|| format!(" ({} pending writes)", v.pending_marks))
            };
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
                    <td>{if keyed { "per key" } else { "whole" }}</td>
                    <td>{v.last_refresh.clone().unwrap_or_else(|| "never".into())}</td>
                    <td class="num">{v.duration_ms.map(|d| format!("{d} ms")).unwrap_or_else(|| "–".into())}</td>
                    <td class="num">{v.rows.map(|r| r.to_string()).unwrap_or_else(|| "–".into())}</td>
                    <td class="num">{v.age_secs.map(secs).unwrap_or_else(|| "–".into())}
                        " / " {secs(v.target_secs)}</td>
                    <td>{state}{waiting}</td>
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
            <h2 id="views-h">"Derived structures"</h2>
            <p class="aside">"Kept per key: each write logs the keys it changed and the refresher rewrites \
                those rows; such a structure is stale when a key has waited longer than its target. \
                Refreshed whole: a view refreshed on a timer alone is stale when its last refresh \
                is older than its target; one refreshed on writes, when it also has writes not yet \
                refreshed."</p>
            <div class="table-scroll">
            <table class="admin-table">
                <caption class="visually-hidden">"Every registered derived structure"</caption>
                <thead><tr>
                    <th scope="col">"Structure"</th>
                    <th scope="col">"Kept"</th>
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
            <h2 id="durations-h">"Staleness and refresh durations"</h2>
            <p class="aside">{format!("Kept per key: the longest wait of a key from its write to the page, \
                per minute, over the last {LAG_MINUTES} minutes. Refreshed whole: up to the last \
                {HISTORY_PER_VIEW} refreshes in the last 24 hours; failed attempts in red.")}</p>
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
    let keyed = v.kind == "keyed";
    let title = match (n, keyed) {
        (0, true) => format!(
            "{}: no writes to keep up with in the last {LAG_MINUTES} minutes",
            v.name
        ),
        (0, false) => format!("{}: no refreshes in the last 24 hours", v.name),
        (_, true) => format!(
            "{}: longest wait from a write to the page, per minute, {n} minutes, longest {max} ms",
            v.name
        ),
        (_, false) => format!(
            "{}: durations of the last {n} refreshes, longest {max} ms",
            v.name
        ),
    };
    let (when_col, value_col) = if keyed {
        ("Minute (UTC)", "Longest wait")
    } else {
        ("Started (UTC)", "Duration")
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
                    <thead><tr><th scope="col">{when_col}</th><th scope="col">{value_col}</th><th scope="col">"Result"</th></tr></thead>
                    <tbody>{rows}</tbody>
                </table>
            </details>
        </figure>
    }
}
