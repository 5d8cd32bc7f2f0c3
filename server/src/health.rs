//! Health endpoints for load balancers and monitoring tools.
//!
//! - `GET /livez`: 200 while the process serves requests (checks nothing
//!   else, so an orchestrator restarts only a wedged process).
//! - `GET /readyz`: 200 when PostgreSQL answers `SELECT 1` within 1 s,
//!   else 503; 503 "shutting down" from the moment shutdown begins (the
//!   instance still serves for its drain period). Redis is not checked: it is optional on every path (a cache
//!   and a signal bus that degrade to PostgreSQL), so a dead Redis must not
//!   take instances out of rotation.
//! - `GET /denormalization-health`: the derived-data health as JSON (every
//!   derived structure from `data::refresher::health` with its keys waiting,
//!   the keyed structures' steps per minute over the last hour, the
//!   refresher's leader, the last reconciliation report, and the hot cache's and
//!   overlays' counters since this instance started). For an admin's session,
//!   or with `Authorization: Bearer <PROOFWORK_HEALTH_TOKEN>` when that
//!   token is configured (compared in constant time). Signed out 401, any
//!   other user 403.
//!
//! `/healthz` (in `startup`) stays as it was: scripts wait on it.

use std::time::Duration;

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};

use app::auth::CurrentUser;
use app::error::AppError;
use app::state::AppState;

/// How long `/readyz` waits for PostgreSQL.
pub const READY_TIMEOUT: Duration = Duration::from_secs(1);

pub async fn livez() -> impl IntoResponse {
    ([(header::CACHE_CONTROL, "no-store")], "live")
}

pub async fn readyz(State(state): State<AppState>) -> Response {
    if state.draining.load(std::sync::atomic::Ordering::Relaxed) {
        return (
            StatusCode::SERVICE_UNAVAILABLE,
            [(header::CACHE_CONTROL, "no-store")],
            "shutting down",
        )
            .into_response();
    }
    let ok = tokio::time::timeout(READY_TIMEOUT, data::db::ping(&state.pool))
        .await
        .unwrap_or(false);
    let (status, body) = if ok {
        (StatusCode::OK, "ready")
    } else {
        tracing::warn!("not ready: PostgreSQL did not answer");
        (StatusCode::SERVICE_UNAVAILABLE, "database unreachable")
    };
    (status, [(header::CACHE_CONTROL, "no-store")], body).into_response()
}

/// A JSON error for monitoring clients.
fn json_error(err: &AppError) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = (
        status,
        [(header::CACHE_CONTROL, "no-store")],
        Json(serde_json::json!({ "error": err.to_string() })),
    )
        .into_response();
    if status == StatusCode::UNAUTHORIZED {
        res.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            header::HeaderValue::from_static("Bearer"),
        );
    }
    res
}

/// Equal without revealing where two strings first differ.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn bearer_ok(headers: &HeaderMap, token: Option<&str>) -> bool {
    let Some(token) = token.filter(|t| !t.is_empty()) else {
        return false;
    };
    headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .is_some_and(|given| constant_time_eq(given.trim().as_bytes(), token.as_bytes()))
}

pub async fn denormalization_health(
    state: AppState,
    user: Option<Extension<CurrentUser>>,
    headers: HeaderMap,
    token: Option<String>,
) -> Response {
    let by_token = bearer_ok(&headers, token.as_deref());
    if !by_token {
        match user {
            None => return json_error(&AppError::Unauthorized),
            Some(Extension(u)) if u.role != "admin" => return json_error(&AppError::Forbidden),
            Some(_) => {}
        }
    }
    let pool = &state.pool;
    let result = async {
        let views = data::refresher::health(pool).await?;
        let leader = data::refresher::leader(pool).await?;
        let reconcile = data::reconcile::recent_reports(pool, 1).await?;
        let steps = data::refresher::step_history(pool, 60).await?;
        Ok::<_, data::sqlx::Error>((views, leader, reconcile, steps))
    }
    .await;
    match result {
        Ok((views, leader, reconcile, steps)) => {
            let stale = views.iter().filter(|v| v.is_stale()).count();
            let failing = views.iter().filter(|v| v.failures_since_ok > 0).count();
            let last = reconcile.into_iter().next();
            let body = serde_json::json!({
                "generated_at": time::OffsetDateTime::now_utc()
                    .format(&time::format_description::well_known::Rfc3339)
                    .unwrap_or_default(),
                "views_total": views.len(),
                "views_stale": stale,
                "views_failing": failing,
                "refresher_leader": leader,
                "views": views,
                // Per keyed structure and minute, the last hour: keys
                // rewritten and how long they waited (the staleness chart).
                "steps_last_hour": steps,
                "hot_cache": hot_cache_json(&state.hot.stats()),
                "overlays": state.overlays.stats(),
                "reconcile": last.map(|l| serde_json::json!({
                    "id": l.id,
                    "started_at": l.started_at
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default(),
                    "triggered_by": l.triggered_by,
                    "run_by": l.run_by,
                    "clean": l.report.is_clean(),
                    "differences": l.report.total_differences(),
                    "views_drifted": l.report.views_drifted(),
                    "report": l.report,
                })),
            });
            ([(header::CACHE_CONTROL, "no-store")], Json(body)).into_response()
        }
        Err(err) => json_error(&AppError::from(err)),
    }
}

/// The hot cache's counters since start, with the hit ratio.
fn hot_cache_json(stats: &data::cache::HotCacheStats) -> serde_json::Value {
    let mut v = serde_json::to_value(stats).unwrap_or_default();
    if let Some(o) = v.as_object_mut() {
        o.insert("hit_ratio".into(), serde_json::json!(stats.hit_ratio()));
    }
    v
}

#[cfg(test)]
mod tests {
    use super::constant_time_eq;

    #[test]
    fn tokens_compare_by_value() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"", b"a"));
    }
}
