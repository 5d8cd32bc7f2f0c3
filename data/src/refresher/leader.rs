//! The leader loop: campaigns for the advisory lock on a dedicated
//! connection, and while it holds it picks one due view per cycle (earliest
//! staleness deadline first) and refreshes it.

use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection, PgPool};

use super::keyed::Stepper;
use super::refresh::{
    read_status, refresh_view, take_xid, wait_for_writers, writers_done, Plan, Status,
};
use super::{
    bounded, is_connection_error, RefresherConfig, TriggeredBy, LEADER_LOCK_KEY, QUERY_TIMEOUT,
};
use crate::bus;

/// How often the leader prunes `mv_refresh_log`.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// The leader-elected refresh loop. Start one per server instance with
/// [`Refresher::run`]; only the instance holding the advisory lock works.
pub struct Refresher {
    pool: PgPool,
    cfg: RefresherConfig,
    publisher: bus::Publisher,
}

/// Leader-local memory per view.
#[derive(Default)]
struct ViewState {
    /// When the leader first saw the view dirty since its last refresh.
    dirty_since: Option<Instant>,
    failures: u32,
    retry_at: Option<Instant>,
    /// After a refresh whose commit wait timed out: the marks it saw and the
    /// transaction id the wait was for. Without new marks, the view is
    /// refreshed again as soon as the writers before that id have ended.
    awaiting: Option<(i64, i64)>,
    /// Recent refresh duration (a moving average of successful refreshes).
    est: Option<Duration>,
}

/// What the planner decided for one view.
enum Due {
    Now(Plan),
    /// Refresh once the writers older than this transaction id are done.
    WhenWritersDone(Plan, i64),
}

/// A view the leader may refresh next.
struct Candidate {
    due: Due,
    /// When its staleness target runs out (earliest first).
    deadline: Instant,
    /// Its coalescing window has passed (or it is unpopulated, or its timer
    /// is due): it makes the leader refresh something now.
    ready: bool,
}

/// How long a dirty view collects marks before it is refreshed: as long as
/// its staleness target allows once its own refresh time (twice, for the
/// wait behind another refresh) and the margin are set aside, but never
/// less than the debounce. A feed refreshed in 0.3 s with a 2 s target
/// waits the debounce; a search index refreshed in 0.9 s with a 10 s
/// target collects marks for about 7 s, which saves most of its refreshes
/// under a steady write load.
pub fn coalescing_window(
    target: Duration,
    refresh_time: Duration,
    debounce: Duration,
    margin: Duration,
) -> Duration {
    target
        .saturating_sub(refresh_time * 2)
        .saturating_sub(margin)
        .max(debounce)
}

impl Refresher {
    /// A refresher announcing its refreshes on `redis` (none: only this
    /// instance's local copy, if any, is told).
    pub fn new(pool: PgPool, redis: Option<fred::clients::Pool>, cfg: RefresherConfig) -> Self {
        Self {
            pool,
            cfg,
            publisher: bus::Publisher::new(redis),
        }
    }

    /// Drops `hot`'s entries of each view this refresher refreshes (here
    /// and in Redis) before the refresh is published.
    pub fn with_hot_cache(mut self, hot: impl bus::LocalCopy) -> Self {
        self.publisher = self.publisher.with_local_copy(hot);
        self
    }

    pub fn instance_id(&self) -> &str {
        &self.cfg.instance_id
    }

    /// Runs until `shutdown` resolves: campaigns for the leadership every
    /// `leader_retry`, and refreshes while it leads. Dropping this future
    /// (shutdown, task abort, process exit) closes the leader connection,
    /// which rolls back an unfinished refresh and releases the lock: another
    /// instance takes over within `leader_retry`.
    pub async fn run(self, shutdown: impl Future) {
        tokio::select! {
            _ = shutdown => tracing::info!(instance = %self.cfg.instance_id, "refresher stopping"),
            _ = self.campaign() => {}
        }
    }

    async fn campaign(&self) {
        let mut conn: Option<PgConnection> = None;
        let mut reported = false;
        loop {
            if conn.is_none() {
                match self.connect().await {
                    Ok(c) => conn = Some(c),
                    Err(e) if !reported => {
                        tracing::warn!(error = %e, "refresher cannot connect; retrying");
                        reported = true;
                    }
                    Err(_) => {}
                }
            }
            if let Some(c) = conn.as_mut() {
                match try_lock(c).await {
                    Ok(true) => {
                        reported = false;
                        tracing::info!(instance = %self.cfg.instance_id, "refresher is the leader");
                        let e = self.lead(c).await;
                        tracing::warn!(instance = %self.cfg.instance_id, error = %e,
                            "refresher lost its connection; no longer the leader");
                        conn = None; // dropping the connection releases the lock
                    }
                    Ok(false) => {}
                    Err(e) => {
                        tracing::warn!(error = %e, "refresher connection failed");
                        conn = None;
                    }
                }
            }
            tokio::time::sleep(self.cfg.leader_retry).await;
        }
    }

    /// The dedicated connection: never from the pool, since the advisory
    /// lock lives as long as this session.
    async fn connect(&self) -> Result<PgConnection, sqlx::Error> {
        let options: PgConnectOptions = self
            .pool
            .connect_options()
            .as_ref()
            .clone()
            .application_name("proofwork-refresher");
        let mut conn = PgConnection::connect_with(&options).await?;
        // Cancel an in-flight REFRESH soon after this process goes away, so
        // its locks (and the leadership) are released.
        sqlx::query("SET client_connection_check_interval = '1s'")
            .execute(&mut conn)
            .await?;
        Ok(conn)
    }

    /// Refreshes while leading. Returns only when the leader connection
    /// fails (or hangs): the caller drops it and campaigns again.
    async fn lead(&self, conn: &mut PgConnection) -> sqlx::Error {
        let mut states: HashMap<String, ViewState> = HashMap::new();
        let mut last_prune: Option<Instant> = None;
        // Keyed structures are stepped beside the view refreshes (on pool
        // connections), so a long REFRESH never holds back a step.
        let stepper = Stepper {
            pool: &self.pool,
            cfg: &self.cfg,
            publisher: &self.publisher,
            rebuilding: Default::default(),
        };
        let views = async {
            loop {
                if let Err(e) = self.cycle(conn, &mut states, &mut last_prune).await {
                    return e;
                }
            }
        };
        tokio::select! {
            e = views => e,
            never = stepper.run() => match never {},
        }
    }

    async fn cycle(
        &self,
        conn: &mut PgConnection,
        states: &mut HashMap<String, ViewState>,
        last_prune: &mut Option<Instant>,
    ) -> Result<(), sqlx::Error> {
        // The status read doubles as the leader connection's liveness check.
        let rows = bounded(QUERY_TIMEOUT, read_status(conn, true)).await?;
        if last_prune.is_none_or(|t| t.elapsed() >= PRUNE_EVERY) {
            *last_prune = Some(Instant::now());
            let pruned = bounded(QUERY_TIMEOUT, prune_log(conn, self.cfg.log_retention)).await;
            match pruned {
                Ok(0) => {}
                Ok(n) => tracing::info!(rows = n, "pruned mv_refresh_log"),
                Err(e) if is_connection_error(&e) => return Err(e),
                Err(e) => tracing::warn!(error = %e, "pruning mv_refresh_log failed"),
            }
        }
        // One refresh per cycle, the most urgent first, so that a view with
        // a tight target waits at most for one refresh already running,
        // never for a whole round of them.
        let now = Instant::now();
        let mut candidates = Vec::new();
        for c in self.plan(&rows, states, now) {
            match &c.due {
                Due::Now(_) => candidates.push(c),
                Due::WhenWritersDone(plan, xid) => {
                    if bounded(QUERY_TIMEOUT, writers_done(conn, *xid, &plan.sources)).await? {
                        candidates.push(Candidate { ready: true, ..c });
                    }
                }
            }
        }
        let Some(chosen) = pick(candidates) else {
            tokio::time::sleep(self.cfg.poll).await;
            return Ok(());
        };
        let plan = match chosen {
            Due::Now(plan) | Due::WhenWritersDone(plan, _) => plan,
        };

        let xid = bounded(QUERY_TIMEOUT, take_xid(conn)).await?;
        let wait = bounded(
            self.cfg.commit_wait_limit + QUERY_TIMEOUT,
            wait_for_writers(conn, xid, &plan.sources, self.cfg.commit_wait_limit),
        )
        .await?;

        // While the refresh runs, keep noticing which views become dirty
        // (from the pool: the leader connection is busy), so that their
        // windows and deadlines start when their first mark came, not when
        // this refresh ends.
        let mut new_marks_at: Option<Instant> = None;
        let refresh = bounded(
            self.cfg.statement_timeout + QUERY_TIMEOUT,
            refresh_view(
                conn,
                &plan,
                wait,
                &self.cfg.instance_id,
                self.cfg.statement_timeout,
            ),
        );
        let observe = observe_marks(&self.pool, self.cfg.poll, states, &plan, &mut new_marks_at);
        let outcome = tokio::select! {
            outcome = refresh => outcome?,
            never = observe => match never {},
        };

        let st = states.entry(plan.view_name.clone()).or_default();
        st.dirty_since = new_marks_at;
        if outcome.ok {
            let took = Duration::from_millis(outcome.duration_ms.max(0) as u64);
            st.est = Some(st.est.map_or(took, |e| (e * 3 + took) / 4));
            st.failures = 0;
            st.retry_at = None;
            st.awaiting = (!outcome.complete).then_some((plan.seen, xid));
            self.publisher.view_refreshed(&plan.view_name);
        } else {
            st.failures += 1;
            let delay = backoff(self.cfg.min_backoff, self.cfg.max_backoff, st.failures);
            st.retry_at = Some(Instant::now() + delay);
            tracing::warn!(
                view = %plan.view_name,
                failures = st.failures,
                retry_in_ms = delay.as_millis() as u64,
                "refresh will be retried"
            );
        }
        Ok(())
    }

    /// Every view that may be refreshed next, with its deadline and
    /// whether it is ready.
    fn plan(
        &self,
        rows: &[Status],
        states: &mut HashMap<String, ViewState>,
        now: Instant,
    ) -> Vec<Candidate> {
        states.retain(|name, _| rows.iter().any(|r| &r.view_name == name));
        let mut out = Vec::new();
        for row in rows.iter().filter(|r| !r.keyed) {
            let st = states.entry(row.view_name.clone()).or_default();
            let dirty = row.mark > row.refreshed_upto;
            if !dirty {
                st.dirty_since = None;
                st.awaiting = None;
            } else if st.dirty_since.is_none() {
                st.dirty_since = Some(now);
            }
            if st.retry_at.is_some_and(|t| now < t) {
                continue;
            }
            let plan = |triggered_by| Plan {
                view_name: row.view_name.clone(),
                sources: row.sources.clone(),
                seen: row.mark,
                refreshed_upto: row.refreshed_upto,
                populated: row.populated,
                triggered_by,
            };
            // Refreshed already while writers were still in flight, and no
            // new marks since: refresh again once those writers are done.
            let lingering = if dirty {
                st.awaiting
                    .filter(|(seen, _)| *seen == row.mark)
                    .map(|(_, xid)| xid)
            } else {
                None
            };
            let since = st.dirty_since.unwrap_or(now);
            let deadline = since + row.target;
            let window = coalescing_window(
                row.target,
                st.est.unwrap_or_default(),
                self.cfg.debounce,
                self.cfg.margin,
            );
            if !row.populated {
                out.push(Candidate {
                    due: Due::Now(plan(TriggeredBy::Startup)),
                    deadline: now,
                    ready: true,
                });
            } else if let Some(xid) = lingering {
                out.push(Candidate {
                    due: Due::WhenWritersDone(plan(TriggeredBy::Writes), xid),
                    deadline,
                    ready: false,
                });
            } else if dirty {
                out.push(Candidate {
                    due: Due::Now(plan(TriggeredBy::Writes)),
                    deadline,
                    ready: now.duration_since(since) >= window,
                });
            } else if row.timer_due {
                out.push(Candidate {
                    due: Due::Now(plan(TriggeredBy::Timer)),
                    deadline: now + row.target,
                    ready: true,
                });
            }
        }
        out
    }
}

/// Earliest deadline first: once any view is ready, the candidate whose
/// staleness target runs out first is refreshed, even if its own window
/// has not passed yet (starting a long refresh of a relaxed view while a
/// tighter view waits would spend the tighter view's target). Nothing is
/// refreshed while no view is ready.
fn pick(candidates: Vec<Candidate>) -> Option<Due> {
    if !candidates.iter().any(|c| c.ready) {
        return None;
    }
    candidates
        .into_iter()
        .filter(|c| c.ready || matches!(c.due, Due::Now(_)))
        .min_by_key(|c| c.deadline)
        .map(|c| c.due)
}

/// Runs beside a refresh (never returns): every `poll`, reads the marks
/// through the pool and starts the dirty clock of views that became dirty,
/// and notes when the view being refreshed got marks beyond the ones this
/// refresh covers.
async fn observe_marks(
    pool: &PgPool,
    poll: Duration,
    states: &mut HashMap<String, ViewState>,
    refreshing: &Plan,
    new_marks_at: &mut Option<Instant>,
) -> std::convert::Infallible {
    loop {
        tokio::time::sleep(poll).await;
        let Ok(rows) = bounded(
            QUERY_TIMEOUT,
            sqlx::query_as::<_, (String, i64, i64)>(
                "SELECT view_name, mark, refreshed_upto FROM mv_schedule WHERE kind = 'view'",
            )
            .fetch_all(pool),
        )
        .await
        else {
            continue;
        };
        let now = Instant::now();
        for (view, mark, refreshed_upto) in rows {
            if view == refreshing.view_name {
                if mark > refreshing.seen && new_marks_at.is_none() {
                    *new_marks_at = Some(now);
                }
            } else if mark > refreshed_upto {
                let st = states.entry(view).or_default();
                if st.dirty_since.is_none() {
                    st.dirty_since = Some(now);
                }
            }
        }
    }
}

async fn try_lock(conn: &mut PgConnection) -> Result<bool, sqlx::Error> {
    bounded(
        QUERY_TIMEOUT,
        sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(LEADER_LOCK_KEY)
            .fetch_one(conn),
    )
    .await
}

async fn prune_log(conn: &mut PgConnection, retention: Duration) -> Result<u64, sqlx::Error> {
    let steps = sqlx::query(
        "DELETE FROM derived_step_stats WHERE minute < now() - make_interval(secs => $1)",
    )
    .bind(retention.as_secs_f64())
    .execute(&mut *conn)
    .await?
    .rows_affected();
    let refreshes = sqlx::query(
        "DELETE FROM mv_refresh_log WHERE started_at < now() - make_interval(secs => $1)",
    )
    .bind(retention.as_secs_f64())
    .execute(conn)
    .await?
    .rows_affected();
    Ok(steps + refreshes)
}

/// `min * 2^(failures-1)`, capped at `max`.
pub(super) fn backoff(min: Duration, max: Duration, failures: u32) -> Duration {
    let exp = failures.saturating_sub(1).min(20);
    min.saturating_mul(1u32 << exp).min(max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let min = Duration::from_secs(1);
        let max = Duration::from_secs(60);
        assert_eq!(backoff(min, max, 1), Duration::from_secs(1));
        assert_eq!(backoff(min, max, 2), Duration::from_secs(2));
        assert_eq!(backoff(min, max, 4), Duration::from_secs(8));
        assert_eq!(backoff(min, max, 7), Duration::from_secs(60));
        assert_eq!(backoff(min, max, 1000), Duration::from_secs(60));
    }
}
