//! The refresher read back for the admin health page and
//! `/denormalization-health`: per view, its marks, last refresh and
//! failures, and which session leads.

use serde::Serialize;
use sqlx::{PgPool, Row};
use time::OffsetDateTime;

use super::LEADER_LOCK_KEY;

/// The last successful refresh of a view.
#[derive(Clone, Debug, Serialize)]
pub struct RefreshRecord {
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub finished_at: OffsetDateTime,
    pub duration_ms: i32,
    pub row_count: Option<i64>,
    pub triggered_by: String,
    pub marks_coalesced: i64,
    pub refreshed_by: String,
}

/// Per-view state for the admin health page. Cheap, since the page is
/// polled: no COUNT(*) over any view (a scan of the view per poll); reads
/// the registry, the sequences and a few index probes of `mv_refresh_log`.
#[derive(Clone, Debug, Serialize)]
pub struct ViewHealth {
    pub view_name: String,
    pub sources: Vec<String>,
    pub timer_secs: Option<f64>,
    /// `mv_registry.staleness_target`, in seconds.
    pub target_secs: f64,
    /// "view" (a materialized view refreshed whole) or "keyed" (a table
    /// rewritten per key from its definition).
    pub kind: String,
    /// False until the view's first refresh (`WITH NO DATA`).
    pub populated: bool,
    /// Writes not yet covered by a complete refresh. (When the first of
    /// them happened is not known: marks are sequence values, not times.)
    pub dirty: bool,
    /// Views: writing statements since the last refresh. Keyed: keys
    /// waiting in the log (`derived_backlog`: the range of its sequence numbers).
    pub pending_marks: i64,
    /// Keyed: how long the oldest waiting key has waited.
    pub oldest_pending_secs: Option<f64>,
    /// End of the last successful refresh (keyed: the last step or build).
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_refresh_at: Option<OffsetDateTime>,
    /// Seconds since `last_refresh_at`.
    pub age_secs: Option<f64>,
    pub row_count: Option<i64>,
    pub last_ok: Option<RefreshRecord>,
    /// Failed attempts since the last success (0 when healthy).
    pub failures_since_ok: i64,
    pub failures_24h: i64,
    pub last_error: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub last_error_at: Option<OffsetDateTime>,
}

impl ViewHealth {
    /// Behind its staleness target: for a keyed structure, a key has
    /// waited longer than the target; for a view refreshed on writes, it
    /// has writes not yet refreshed and its last refresh is older than the
    /// target; for a view refreshed on a timer only (no source tables),
    /// its last refresh is older than the target.
    pub fn is_stale(&self) -> bool {
        let too_old = self.age_secs.is_some_and(|a| a > self.target_secs);
        if self.kind == "keyed" {
            self.oldest_pending_secs
                .is_some_and(|a| a > self.target_secs)
        } else if self.sources.is_empty() {
            too_old
        } else {
            self.dirty && too_old
        }
    }
}

/// Health of every registered view, by name.
pub async fn health(pool: &PgPool) -> Result<Vec<ViewHealth>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT s.view_name, s.sources, extract(epoch FROM s.timer)::float8 AS timer_secs,
                extract(epoch FROM s.staleness_target)::float8 AS target_secs,
                s.kind, s.populated, s.dirty, coalesce(s.pending_marks, 0) AS pending_marks,
                extract(epoch FROM clock_timestamp() - s.oldest_pending_at)::float8 AS oldest_pending_secs,
                s.last_refresh_at,
                extract(epoch FROM now() - s.last_refresh_at)::float8 AS age_secs, s.row_count,
                ok.started_at AS ok_started_at, ok.finished_at AS ok_finished_at,
                ok.duration_ms AS ok_duration_ms, ok.row_count AS ok_row_count,
                ok.triggered_by AS ok_triggered_by, ok.marks_coalesced AS ok_marks,
                ok.refreshed_by AS ok_refreshed_by,
                (SELECT count(*) FROM mv_refresh_log f
                  WHERE f.view_name = s.view_name AND f.status = 'failed'
                    AND f.started_at > coalesce(ok.started_at, '-infinity')) AS failures_since_ok,
                (SELECT count(*) FROM mv_refresh_log f
                  WHERE f.view_name = s.view_name AND f.status = 'failed'
                    AND f.started_at > now() - interval '24 hours') AS failures_24h,
                lf.error AS last_error, lf.finished_at AS last_error_at
           FROM mv_status s
           LEFT JOIN LATERAL (
                SELECT l.* FROM mv_refresh_log l
                 WHERE l.view_name = s.view_name AND l.status = 'ok'
                 ORDER BY l.started_at DESC LIMIT 1) ok ON TRUE
           LEFT JOIN LATERAL (
                SELECT l.error, l.finished_at FROM mv_refresh_log l
                 WHERE l.view_name = s.view_name AND l.status = 'failed'
                 ORDER BY l.started_at DESC LIMIT 1) lf ON TRUE
          ORDER BY s.view_name",
    )
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let ok_started: Option<OffsetDateTime> = r.try_get("ok_started_at")?;
            let last_ok = match ok_started {
                Some(started_at) => Some(RefreshRecord {
                    started_at,
                    finished_at: r.try_get("ok_finished_at")?,
                    duration_ms: r.try_get("ok_duration_ms")?,
                    row_count: r.try_get("ok_row_count")?,
                    triggered_by: r.try_get("ok_triggered_by")?,
                    marks_coalesced: r.try_get("ok_marks")?,
                    refreshed_by: r.try_get("ok_refreshed_by")?,
                }),
                None => None,
            };
            Ok(ViewHealth {
                view_name: r.try_get("view_name")?,
                sources: r.try_get("sources")?,
                timer_secs: r.try_get("timer_secs")?,
                target_secs: r.try_get("target_secs")?,
                kind: r.try_get("kind")?,
                populated: r.try_get("populated")?,
                dirty: r.try_get::<Option<bool>, _>("dirty")?.unwrap_or(false),
                pending_marks: r.try_get("pending_marks")?,
                oldest_pending_secs: r.try_get("oldest_pending_secs")?,
                last_refresh_at: r.try_get("last_refresh_at")?,
                age_secs: r.try_get("age_secs")?,
                row_count: r.try_get("row_count")?,
                last_ok,
                failures_since_ok: r.try_get("failures_since_ok")?,
                failures_24h: r.try_get("failures_24h")?,
                last_error: r.try_get("last_error")?,
                last_error_at: r.try_get("last_error_at")?,
            })
        })
        .collect()
}

/// The session currently holding the refresher's leadership.
#[derive(Clone, Debug, Serialize)]
pub struct LeaderInfo {
    pub pid: i32,
    pub application_name: Option<String>,
    pub client_addr: Option<String>,
    #[serde(with = "time::serde::rfc3339::option")]
    pub backend_start: Option<OffsetDateTime>,
}

/// Who leads (None: no refresher is running against this database).
pub async fn leader(pool: &PgPool) -> Result<Option<LeaderInfo>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT l.pid, a.application_name, a.client_addr::text AS client_addr, a.backend_start
           FROM pg_locks l
           LEFT JOIN pg_stat_activity a ON a.pid = l.pid
          WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
            AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            AND l.classid::text::bigint = ($1 >> 32)
            AND l.objid::text::bigint = ($1 & 4294967295)",
    )
    .bind(LEADER_LOCK_KEY)
    .fetch_optional(pool)
    .await?;
    row.map(|r| {
        Ok(LeaderInfo {
            pid: r.try_get("pid")?,
            application_name: r.try_get("application_name")?,
            client_addr: r.try_get("client_addr")?,
            backend_start: r.try_get("backend_start")?,
        })
    })
    .transpose()
}

/// One minute of a keyed structure's steps (`derived_step_stats`).
#[derive(Clone, Debug, Serialize)]
pub struct StepMinute {
    pub view_name: String,
    #[serde(with = "time::serde::rfc3339")]
    pub minute: OffsetDateTime,
    pub steps: i32,
    pub keys: i64,
    pub rows_written: i64,
    pub busy_ms: i64,
    /// Longest wait of a key from its write to the end of its step.
    pub max_lag_ms: i64,
    /// Mean of that wait over the minute's keys.
    pub mean_lag_ms: f64,
}

/// The keyed structures' steps over the last `minutes` minutes, oldest
/// first: what the staleness chart shows.
pub async fn step_history(pool: &PgPool, minutes: i32) -> Result<Vec<StepMinute>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT view_name, minute, steps, keys, rows_written, busy_ms, max_lag_ms,
                lag_sum_ms::float8 / greatest(keys, 1) AS mean_lag_ms
           FROM derived_step_stats
          WHERE minute >= date_trunc('minute', now()) - make_interval(mins => $1)
          ORDER BY view_name, minute",
    )
    .bind(minutes)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            Ok(StepMinute {
                view_name: r.try_get("view_name")?,
                minute: r.try_get("minute")?,
                steps: r.try_get("steps")?,
                keys: r.try_get("keys")?,
                rows_written: r.try_get("rows_written")?,
                busy_ms: r.try_get("busy_ms")?,
                max_lag_ms: r.try_get("max_lag_ms")?,
                mean_lag_ms: r.try_get("mean_lag_ms")?,
            })
        })
        .collect()
}
