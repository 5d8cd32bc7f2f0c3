//! Derived-data health beyond `refresher::health`: the recent refresh
//! history of every view, for the admin's chart of refresh durations.

use serde::Serialize;
use sqlx::PgPool;
use time::OffsetDateTime;

/// One refresh attempt of one view.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RefreshPoint {
    pub view_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    pub duration_ms: i32,
    /// `ok` or `failed`.
    pub status: String,
}

/// The last `per_view` refresh attempts of each registered view within
/// the last `hours` hours, oldest first per view. One index range scan of
/// `idx_mv_refresh_log_view (view_name, started_at DESC)` per view.
pub async fn refresh_history(
    pool: &PgPool,
    hours: i32,
    per_view: i64,
) -> Result<Vec<RefreshPoint>, sqlx::Error> {
    sqlx::query_as::<_, RefreshPoint>(
        "SELECT l.view_name, l.started_at, l.duration_ms, l.status
           FROM mv_registry r
           CROSS JOIN LATERAL (
                SELECT view_name, started_at, duration_ms, status FROM mv_refresh_log
                 WHERE view_name = r.view_name
                   AND started_at > now() - make_interval(hours => $1)
                 ORDER BY started_at DESC LIMIT $2) l
          ORDER BY l.view_name, l.started_at",
    )
    .bind(hours)
    .bind(per_view)
    .fetch_all(pool)
    .await
}
