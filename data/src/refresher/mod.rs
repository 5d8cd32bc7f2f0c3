//! The materialized-view refresher (docs/REFRESHER.md).
//!
//! Writers only mark views dirty: a statement-level trigger calls `nextval`
//! on one sequence per view that reads the written table (migration
//! `20261125000020_refresh_engine.sql`). This module is the other half: one
//! leader across all server instances ([`leader`](mod@leader)) polls the
//! marks, coalesces them per view within a debounce window, and has each
//! view refreshed safely ([`refresh`]: wait for the writers behind the
//! marks, `REFRESH MATERIALIZED VIEW CONCURRENTLY`, log the attempt in
//! `mv_refresh_log`); it retries failures with backoff, refreshes
//! time-decaying views on a timer, and announces each refresh on
//! [`crate::bus`] so instances can drop what they cached from the view.
//! [`health`](mod@health) reads the state back for the admin pages.

mod health;
mod keyed;
mod leader;
mod refresh;

pub use health::{health, leader, step_history, LeaderInfo, RefreshRecord, StepMinute, ViewHealth};
pub use leader::{coalescing_window, Refresher};
pub use refresh::{bring_up_to_date, rebuild_now, refresh_now, CatchUp};

use std::future::Future;
use std::time::Duration;

use serde::Serialize;

/// The advisory lock whose holder is the one refresher ("proof_mv").
pub const LEADER_LOCK_KEY: i64 = 0x7072_6f6f_665f_6d76;

/// Bound on the refresher's small bookkeeping queries: a leader whose
/// connection hangs longer than this gives up leadership.
const QUERY_TIMEOUT: Duration = Duration::from_secs(30);

/// Tuning of the refresher. `Default` is the production setting.
#[derive(Clone, Debug)]
pub struct RefresherConfig {
    /// After a view first becomes dirty, wait at least this long
    /// (collecting further marks) before refreshing it once. Views with a
    /// looser staleness target wait longer (see [`coalescing_window`]);
    /// so do keyed structures (a quarter of their target, at least this).
    pub debounce: Duration,
    /// Room kept between a view's coalescing window and its staleness
    /// target, for the wait behind a refresh already running.
    pub margin: Duration,
    /// How often the leader reads the marks.
    pub poll: Duration,
    /// First retry delay after a failed refresh; doubles per failure.
    pub min_backoff: Duration,
    /// Cap of the retry delay.
    pub max_backoff: Duration,
    /// How often a non-leader tries to take the leadership.
    pub leader_retry: Duration,
    /// How long to wait for the writers that took the marks to end before
    /// refreshing anyway (the view is then left dirty and refreshed again).
    pub commit_wait_limit: Duration,
    /// `statement_timeout` of each refresh.
    pub statement_timeout: Duration,
    /// Rows of `mv_refresh_log` older than this are deleted by the leader.
    pub log_retention: Duration,
    /// Recorded as `refreshed_by` in the log.
    pub instance_id: String,
}

impl Default for RefresherConfig {
    fn default() -> Self {
        Self {
            debounce: Duration::from_millis(500),
            margin: Duration::from_secs(1),
            poll: Duration::from_millis(100),
            min_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            leader_retry: Duration::from_secs(1),
            commit_wait_limit: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(300),
            log_retention: Duration::from_secs(7 * 24 * 3600),
            instance_id: default_instance_id(),
        }
    }
}

/// `pid<process id>-<random>`: unique per refresher even when one process
/// (a test) runs several.
pub fn default_instance_id() -> String {
    format!("pid{}-{:08x}", std::process::id(), rand::random::<u32>())
}

/// What caused a refresh (`mv_refresh_log.triggered_by`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TriggeredBy {
    /// Marks from writes to a source table.
    Writes,
    /// The view's timer elapsed.
    Timer,
    /// The view was never populated (`WITH NO DATA`).
    Startup,
    /// `refresh_now` (admin, CLI, tests).
    Manual,
}

impl TriggeredBy {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Writes => "writes",
            Self::Timer => "timer",
            Self::Startup => "startup",
            Self::Manual => "manual",
        }
    }
}

/// The result of one refresh attempt (also recorded in `mv_refresh_log`).
#[derive(Clone, Debug, Serialize)]
pub struct RefreshOutcome {
    pub log_id: i64,
    pub view_name: String,
    /// False when the refresh failed; the view kept its old contents.
    pub ok: bool,
    pub error: Option<String>,
    pub triggered_by: TriggeredBy,
    /// CONCURRENTLY (false for the first population of a view).
    pub concurrent: bool,
    pub duration_ms: i64,
    /// Rows in the view after the refresh (see `mv_refresh_log.row_count`).
    pub row_count: Option<i64>,
    pub rows_inserted: Option<i64>,
    pub rows_deleted: Option<i64>,
    /// Marks this refresh covered (writing statements since the last one).
    pub marks_coalesced: i64,
    /// Time spent waiting for in-flight writers to end.
    pub commit_wait_ms: i64,
    /// False when that wait hit `commit_wait_limit`: the view stays dirty.
    pub complete: bool,
}

/// Errors after which the connection cannot be trusted (as opposed to a
/// statement the server refused, which leaves the session usable).
fn is_connection_error(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed
    )
}

/// Runs `fut`, turning a hang longer than `limit` into an I/O error (which
/// drops the leader connection).
async fn bounded<T>(
    limit: Duration,
    fut: impl Future<Output = Result<T, sqlx::Error>>,
) -> Result<T, sqlx::Error> {
    match tokio::time::timeout(limit, fut).await {
        Ok(r) => r,
        Err(_) => Err(sqlx::Error::Io(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "refresher query timed out",
        ))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_key_is_positive_and_stable() {
        const { assert!(LEADER_LOCK_KEY > 0) };
        assert_eq!(&LEADER_LOCK_KEY.to_be_bytes(), b"proof_mv");
    }
}
