//! The materialized-view refresher (docs/REFRESHER.md).
//!
//! Writers only mark views dirty: a statement-level trigger calls `nextval`
//! on one sequence per view that reads the written table (migration
//! `20261125000020_refresh_engine.sql`). This module is the other half: one
//! leader across all server instances (a PostgreSQL advisory lock held on a
//! dedicated connection) polls the marks, coalesces them per view within a
//! debounce window, waits for the writers that took them to end, runs
//! `REFRESH MATERIALIZED VIEW CONCURRENTLY`, records every attempt in
//! `mv_refresh_log`, retries failures with backoff, refreshes time-decaying
//! views on a timer, and publishes each refresh on Redis so instances can
//! drop what they cached from the view.

use std::collections::HashMap;
use std::future::Future;
use std::time::{Duration, Instant};

use fred::prelude::*;
use fred::types::Message;
use serde::Serialize;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{Connection, PgPool, Row};
use time::OffsetDateTime;
use tokio::sync::broadcast::error::RecvError;

/// The Redis channel a refresh is published on; the message is the view name.
pub const REFRESH_CHANNEL: &str = "proofwork:mv_refreshed";

/// The advisory lock whose holder is the one refresher ("proof_mv").
pub const LEADER_LOCK_KEY: i64 = 0x7072_6f6f_665f_6d76;

/// Bound on the refresher's small bookkeeping queries: a leader whose
/// connection hangs longer than this gives up leadership.
const QUERY_TIMEOUT: Duration = Duration::from_secs(30);
/// How often the commit wait polls the oldest running transaction.
const COMMIT_WAIT_POLL: Duration = Duration::from_millis(5);
/// How often the leader prunes `mv_refresh_log`.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

/// Tuning of the refresher. `Default` is the production setting.
#[derive(Clone, Debug)]
pub struct RefresherConfig {
    /// After a view first becomes dirty, wait at least this long
    /// (collecting further marks) before refreshing it once. Views with a
    /// looser staleness target wait longer (see [`coalescing_window`]).
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

/// The leader-elected refresh loop. Start one per server instance with
/// [`Refresher::run`]; only the instance holding the advisory lock works.
pub struct Refresher {
    pool: PgPool,
    redis: Option<fred::clients::Pool>,
    cfg: RefresherConfig,
    hot: Option<crate::cache::HotCache>,
}

/// One registered view as the leader sees it at a poll.
struct Status {
    view_name: String,
    sources: Vec<String>,
    mark: i64,
    refreshed_upto: i64,
    populated: bool,
    timer_due: bool,
    /// `mv_registry.staleness_target`.
    target: Duration,
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

/// A refresh to do: the view, the mark it will cover, why.
struct Plan {
    view_name: String,
    sources: Vec<String>,
    seen: i64,
    refreshed_upto: i64,
    populated: bool,
    triggered_by: TriggeredBy,
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

/// Result of waiting for the writers behind the marks.
#[derive(Clone, Copy)]
struct Wait {
    complete: bool,
    waited_ms: i64,
}

impl Refresher {
    pub fn new(pool: PgPool, redis: Option<fred::clients::Pool>, cfg: RefresherConfig) -> Self {
        Self {
            pool,
            redis,
            cfg,
            hot: None,
        }
    }

    /// Drops `hot`'s entries of each view this refresher refreshes (here
    /// and in Redis) before the refresh is published.
    pub fn with_hot_cache(mut self, hot: crate::cache::HotCache) -> Self {
        self.hot = Some(hot);
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
        loop {
            if let Err(e) = self.cycle(conn, &mut states, &mut last_prune).await {
                return e;
            }
        }
    }

    async fn cycle(
        &self,
        conn: &mut PgConnection,
        states: &mut HashMap<String, ViewState>,
        last_prune: &mut Option<Instant>,
    ) -> Result<(), sqlx::Error> {
        // The status read doubles as the leader connection's liveness check.
        let rows = bounded(QUERY_TIMEOUT, read_status(conn)).await?;
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
            self.publish(&plan.view_name);
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
        for row in rows {
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

    /// Drops the hot cache's entries of the view, then publishes the
    /// refresh, without ever delaying or failing it.
    fn publish(&self, view: &str) {
        let hot = self.hot.clone();
        let redis = self.redis.clone();
        let view = view.to_owned();
        tokio::spawn(async move {
            if let Some(hot) = hot {
                hot.view_refreshed(&view).await;
            }
            let Some(redis) = redis else {
                return;
            };
            if let Err(e) = publish_refreshed(&redis, &view).await {
                tracing::warn!(view = %view, error = %e, "publishing the refresh on redis failed");
            }
        });
    }
}

/// Tells every instance that `view` was refreshed (`PUBLISH
/// proofwork:mv_refreshed <view>`). The refresher calls it after each
/// successful refresh; call it after [`refresh_now`] too.
pub async fn publish_refreshed(
    redis: &fred::clients::Pool,
    view: &str,
) -> Result<(), fred::error::Error> {
    let publish = redis.next().publish::<i64, _, _>(REFRESH_CHANNEL, view);
    match tokio::time::timeout(Duration::from_secs(5), publish).await {
        Ok(r) => r.map(|receivers| {
            tracing::debug!(view, receivers, "published refresh");
        }),
        Err(_) => Err(fred::error::Error::new(
            fred::error::ErrorKind::Timeout,
            "publish timed out",
        )),
    }
}

/// Refreshes one registered view now, whoever leads (admin "refresh now",
/// CLI, tests), with the same safety as the leader: waits (up to 5 s) for
/// the writers behind the current marks, refreshes CONCURRENTLY (plainly
/// if never populated), advances `refreshed_upto` and logs the attempt. A
/// failed refresh is an `Ok` outcome with `ok == false` (and logged); `Err`
/// is a connection problem or an unregistered view (`RowNotFound`).
pub async fn refresh_now(
    pool: &PgPool,
    view: &str,
    triggered_by: TriggeredBy,
) -> Result<RefreshOutcome, sqlx::Error> {
    let cfg = RefresherConfig::default();
    let mut conn = pool.acquire().await?;
    let rows = read_status(&mut conn).await?;
    let row = rows
        .into_iter()
        .find(|r| r.view_name == view)
        .ok_or(sqlx::Error::RowNotFound)?;
    let xid = take_xid(&mut conn).await?;
    let wait = wait_for_writers(&mut conn, xid, &row.sources, cfg.commit_wait_limit).await?;
    let plan = Plan {
        view_name: row.view_name,
        sources: row.sources,
        seen: row.mark,
        refreshed_upto: row.refreshed_upto,
        populated: row.populated,
        triggered_by,
    };
    let by = format!("manual@pid{}", std::process::id());
    refresh_view(&mut conn, &plan, wait, &by, cfg.statement_timeout).await
}

/// Which views [`bring_up_to_date`] refreshes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CatchUp {
    /// Views never populated (a new database): cheap, and without them
    /// the pages reading them fail.
    Unpopulated,
    /// Those, and every view with writes its last refresh did not cover
    /// (after loading demo data: every view).
    Stale,
}

/// Refreshes, one after another and before the server listens, the views
/// `which` names, so that the first page asked for shows what the database
/// holds (the leader would otherwise refresh them within their staleness
/// target, after the server said it was ready). Returns the outcomes; a
/// failed refresh is an error here, since serving would show wrong pages.
pub async fn bring_up_to_date(
    pool: &PgPool,
    which: CatchUp,
) -> Result<Vec<RefreshOutcome>, sqlx::Error> {
    let rows = {
        let mut conn = pool.acquire().await?;
        read_status(&mut conn).await?
    };
    let mut outcomes = Vec::new();
    for row in rows {
        let due = !row.populated || (which == CatchUp::Stale && row.mark > row.refreshed_upto);
        if !due {
            continue;
        }
        let outcome = refresh_now(pool, &row.view_name, TriggeredBy::Startup).await?;
        if !outcome.ok {
            return Err(sqlx::Error::Protocol(format!(
                "refreshing {} failed: {}",
                outcome.view_name,
                outcome.error.as_deref().unwrap_or("unknown error")
            )));
        }
        outcomes.push(outcome);
    }
    Ok(outcomes)
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
                "SELECT view_name, mark, refreshed_upto FROM mv_status",
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

/// Every registered view with its current mark.
async fn read_status(conn: &mut PgConnection) -> Result<Vec<Status>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT view_name, sources, mark, refreshed_upto, populated, timer_due,
                extract(epoch FROM staleness_target)::float8 AS target_secs
           FROM mv_status ORDER BY view_name",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|row| {
            Ok(Status {
                view_name: row.try_get("view_name")?,
                sources: row.try_get("sources")?,
                mark: row.try_get("mark")?,
                refreshed_upto: row.try_get("refreshed_upto")?,
                populated: row.try_get("populated")?,
                timer_due: row.try_get("timer_due")?,
                target: Duration::from_secs_f64(row.try_get::<f64, _>("target_secs")?.max(0.0)),
            })
        })
        .collect()
}

/// A transaction id assigned AFTER the marks were read. Every writer whose
/// mark was seen had its own id before it marked (the trigger fires after
/// the writing statement), so it has a smaller id than this one.
async fn take_xid(conn: &mut PgConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_current_xact_id()::text::bigint")
        .fetch_one(conn)
        .await
}

/// The non-transactional sequence trap: `nextval` runs inside the writer's
/// transaction before it commits, so a refresh started now could miss a
/// write whose mark it has already seen, and then call the view clean.
/// Wait (up to `limit`) until [`writers_done`].
async fn wait_for_writers(
    conn: &mut PgConnection,
    xid: i64,
    sources: &[String],
    limit: Duration,
) -> Result<Wait, sqlx::Error> {
    let start = Instant::now();
    loop {
        let done = writers_done(conn, xid, sources).await?;
        let waited_ms = start.elapsed().as_millis() as i64;
        if done {
            return Ok(Wait {
                complete: true,
                waited_ms,
            });
        }
        if start.elapsed() >= limit {
            tracing::warn!(
                xid,
                waited_ms,
                ?sources,
                "writers still running after commit_wait_limit; refreshing anyway and leaving the views dirty"
            );
            return Ok(Wait {
                complete: false,
                waited_ms,
            });
        }
        tokio::time::sleep(COMMIT_WAIT_POLL).await;
    }
}

/// True when no transaction that could have taken a mark already read is
/// still running. Such a writer got its transaction id before it marked
/// (the trigger fires after the writing statement), so its id is below
/// `xid` (assigned after the marks were read), and it holds a write lock on
/// a source table until it ends.
///
/// First the cheap test: the oldest running transaction id (the xmin of a
/// fresh snapshot) is above `xid`, so every older transaction has ended.
/// (The xmax of a snapshot taken with the marks would not do: a writer
/// whose id is at or above that xmax is running yet passes the test.) That
/// test is cluster-wide, so any long transaction anywhere defeats it; then
/// the precise one: no transaction older than `xid` holds a write lock on
/// one of `sources` (pg_locks, read only in that case).
async fn writers_done(
    conn: &mut PgConnection,
    xid: i64,
    sources: &[String],
) -> Result<bool, sqlx::Error> {
    if sources.is_empty() {
        return Ok(true);
    }
    let all_done: bool =
        sqlx::query_scalar("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint > $1")
            .bind(xid)
            .fetch_one(&mut *conn)
            .await?;
    if all_done {
        return Ok(true);
    }
    // pg_locks shows 32-bit xids: widen them with xid's epoch.
    sqlx::query_scalar(
        "SELECT NOT EXISTS (
             SELECT 1
               FROM pg_locks r
               JOIN pg_locks x ON x.locktype = 'transactionid' AND x.mode = 'ExclusiveLock'
                              AND x.granted AND x.virtualtransaction = r.virtualtransaction
              WHERE r.locktype = 'relation' AND r.granted
                AND r.database = (SELECT oid FROM pg_database WHERE datname = current_database())
                AND r.relation IN (SELECT to_regclass(quote_ident(s)) FROM unnest($2::text[]) AS s)
                AND r.mode IN ('RowExclusiveLock', 'ShareRowExclusiveLock', 'ExclusiveLock',
                               'AccessExclusiveLock')
                AND (($1 >> 32) << 32) + x.transactionid::text::bigint
                    - CASE WHEN (($1 >> 32) << 32) + x.transactionid::text::bigint > $1
                           THEN 4294967296 ELSE 0 END < $1)",
    )
    .bind(xid)
    .bind(sources)
    .fetch_one(&mut *conn)
    .await
}

/// What a successful refresh transaction measured.
struct Done {
    concurrent: bool,
    row_count: Option<i64>,
    inserted: i64,
    deleted: i64,
    log_id: i64,
}

/// One refresh attempt, logged either way. `Err` only for connection errors.
async fn refresh_view(
    conn: &mut PgConnection,
    plan: &Plan,
    wait: Wait,
    refreshed_by: &str,
    statement_timeout: Duration,
) -> Result<RefreshOutcome, sqlx::Error> {
    let started = Instant::now();
    let marks = (plan.seen - plan.refreshed_upto).max(0);
    let mut tx = conn.begin().await?;
    let attempt = attempt_refresh(
        &mut tx,
        plan,
        wait,
        refreshed_by,
        statement_timeout,
        marks,
        started,
    )
    .await;
    let result = match attempt {
        Ok(done) => tx.commit().await.map(|_| done),
        Err(e) => {
            let _ = tx.rollback().await;
            Err(e)
        }
    };
    let duration_ms = started.elapsed().as_millis() as i64;
    let mut outcome = RefreshOutcome {
        log_id: 0,
        view_name: plan.view_name.clone(),
        ok: false,
        error: None,
        triggered_by: plan.triggered_by,
        concurrent: plan.populated,
        duration_ms,
        row_count: None,
        rows_inserted: None,
        rows_deleted: None,
        marks_coalesced: marks,
        commit_wait_ms: wait.waited_ms,
        complete: wait.complete,
    };
    match result {
        Ok(done) => {
            outcome.ok = true;
            outcome.log_id = done.log_id;
            outcome.concurrent = done.concurrent;
            outcome.row_count = done.row_count;
            outcome.rows_inserted = Some(done.inserted);
            outcome.rows_deleted = Some(done.deleted);
            tracing::info!(
                view = %plan.view_name,
                triggered_by = plan.triggered_by.as_str(),
                duration_ms,
                marks,
                rows = done.row_count,
                inserted = done.inserted,
                deleted = done.deleted,
                complete = wait.complete,
                "refreshed materialized view"
            );
            Ok(outcome)
        }
        Err(e) if is_connection_error(&e) => Err(e),
        Err(e) => {
            let error = e.to_string();
            tracing::error!(view = %plan.view_name, error = %error, duration_ms,
                "refresh failed; the view keeps its previous contents");
            outcome.log_id = sqlx::query_scalar(
                "INSERT INTO mv_refresh_log
                     (view_name, started_at, finished_at, duration_ms, concurrent, triggered_by,
                      marks_coalesced, commit_wait_ms, complete, refreshed_by, status, error)
                 VALUES ($1, clock_timestamp() - $2 * interval '1 millisecond', clock_timestamp(), $2,
                         $3, $4, $5, $6, $7, $8, 'failed', $9)
                 RETURNING id",
            )
            .bind(&plan.view_name)
            .bind(duration_ms as i32)
            .bind(plan.populated)
            .bind(plan.triggered_by.as_str())
            .bind(marks)
            .bind(wait.waited_ms as i32)
            .bind(wait.complete)
            .bind(refreshed_by)
            .bind(&error)
            .fetch_one(&mut *conn)
            .await?;
            outcome.error = Some(error);
            Ok(outcome)
        }
    }
}

async fn attempt_refresh(
    tx: &mut PgConnection,
    plan: &Plan,
    wait: Wait,
    refreshed_by: &str,
    statement_timeout: Duration,
    marks: i64,
    started: Instant,
) -> Result<Done, sqlx::Error> {
    sqlx::query(&format!(
        "SET LOCAL statement_timeout = {}",
        statement_timeout.as_millis().max(1)
    ))
    .execute(&mut *tx)
    .await?;
    let meta = sqlx::query(
        "SELECT coalesce(c.relispopulated, FALSE) AS populated,
                c.reltuples::float8 AS reltuples, c.relpages, r.row_count,
                pg_stat_get_xact_tuples_inserted(c.oid) AS ins0,
                pg_stat_get_xact_tuples_deleted(c.oid) AS del0
           FROM mv_registry r
           LEFT JOIN pg_class c ON c.oid = to_regclass(quote_ident(r.view_name)) AND c.relkind = 'm'
          WHERE r.view_name = $1",
    )
    .bind(&plan.view_name)
    .fetch_one(&mut *tx)
    .await?;
    let populated: bool = meta.try_get("populated")?;
    let reltuples: Option<f64> = meta.try_get("reltuples")?;
    let relpages: Option<i32> = meta.try_get("relpages")?;
    let previous: Option<i64> = meta.try_get("row_count")?;
    let ins0: Option<i64> = meta.try_get("ins0")?;
    let del0: Option<i64> = meta.try_get("del0")?;

    // CONCURRENTLY needs a populated view; a never-populated one has no
    // readers to keep serving, so a plain REFRESH is right for it.
    let concurrent = populated;
    let ident = format!("\"{}\"", plan.view_name.replace('"', "\"\""));
    let sql = if concurrent {
        format!("REFRESH MATERIALIZED VIEW CONCURRENTLY {ident}")
    } else {
        format!("REFRESH MATERIALIZED VIEW {ident}")
    };
    sqlx::query(&sql).execute(&mut *tx).await?;

    // Rows the REFRESH wrote into the view: the difference of this
    // backend's pending table statistics around it (they also hold counts
    // of earlier transactions not yet flushed, but are never flushed
    // inside a transaction). A plain refresh inserts every row; a
    // concurrent one applies a diff of deletes and inserts.
    let counts = sqlx::query(
        "SELECT pg_stat_get_xact_tuples_inserted(to_regclass(quote_ident($1))) AS ins,
                pg_stat_get_xact_tuples_deleted(to_regclass(quote_ident($1))) AS del",
    )
    .bind(&plan.view_name)
    .fetch_one(&mut *tx)
    .await?;
    let inserted: i64 = counts.try_get::<i64, _>("ins")? - ins0.unwrap_or(0);
    let deleted: i64 = counts.try_get::<i64, _>("del")? - del0.unwrap_or(0);
    let row_count = if concurrent {
        // Before the view's first refresh here, the base is what the last
        // index build counted (reltuples; -1 with no pages: empty).
        previous
            .or_else(|| match (reltuples, relpages) {
                (Some(t), _) if t >= 0.0 => Some(t.round() as i64),
                (_, Some(0)) => Some(0),
                _ => None,
            })
            .map(|base| (base + inserted - deleted).max(0))
    } else {
        Some(inserted)
    };

    sqlx::query(
        "UPDATE mv_registry
            SET refreshed_upto = CASE WHEN $2 THEN greatest(refreshed_upto, $3) ELSE refreshed_upto END,
                last_refresh_at = clock_timestamp(),
                row_count = $4
          WHERE view_name = $1",
    )
    .bind(&plan.view_name)
    .bind(wait.complete)
    .bind(plan.seen)
    .bind(row_count)
    .execute(&mut *tx)
    .await?;

    let duration_ms = started.elapsed().as_millis() as i32;
    let log_id: i64 = sqlx::query_scalar(
        "INSERT INTO mv_refresh_log
             (view_name, started_at, finished_at, duration_ms, row_count, rows_inserted, rows_deleted,
              concurrent, triggered_by, marks_coalesced, commit_wait_ms, complete, refreshed_by, status)
         VALUES ($1, clock_timestamp() - $2 * interval '1 millisecond', clock_timestamp(), $2, $3, $4, $5,
                 $6, $7, $8, $9, $10, $11, 'ok')
         RETURNING id",
    )
    .bind(&plan.view_name)
    .bind(duration_ms)
    .bind(row_count)
    .bind(inserted)
    .bind(deleted)
    .bind(concurrent)
    .bind(plan.triggered_by.as_str())
    .bind(marks)
    .bind(wait.waited_ms as i32)
    .bind(wait.complete)
    .bind(refreshed_by)
    .fetch_one(&mut *tx)
    .await?;

    Ok(Done {
        concurrent,
        row_count,
        inserted,
        deleted,
        log_id,
    })
}

async fn prune_log(conn: &mut PgConnection, retention: Duration) -> Result<u64, sqlx::Error> {
    Ok(sqlx::query(
        "DELETE FROM mv_refresh_log WHERE started_at < now() - make_interval(secs => $1)",
    )
    .bind(retention.as_secs_f64())
    .execute(conn)
    .await?
    .rows_affected())
}

/// `min * 2^(failures-1)`, capped at `max`.
fn backoff(min: Duration, max: Duration, failures: u32) -> Duration {
    let exp = failures.saturating_sub(1).min(20);
    min.saturating_mul(1u32 << exp).min(max)
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

// ------------------------------------------------------------- health --

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

/// Per-view state for the admin health page. Cheap: no COUNT(*) over any
/// view (SEED-REVIEW item 15); reads the registry, the sequences and a few
/// index probes of `mv_refresh_log`.
#[derive(Clone, Debug, Serialize)]
pub struct ViewHealth {
    pub view_name: String,
    pub sources: Vec<String>,
    pub timer_secs: Option<f64>,
    /// `mv_registry.staleness_target`, in seconds.
    pub target_secs: f64,
    /// False until the view's first refresh (`WITH NO DATA`).
    pub populated: bool,
    /// Writes not yet covered by a complete refresh. (When the first of
    /// them happened is not known: marks are sequence values, not times.)
    pub dirty: bool,
    pub pending_marks: i64,
    /// End of the last successful refresh.
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

/// Health of every registered view, by name.
pub async fn health(pool: &PgPool) -> Result<Vec<ViewHealth>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT s.view_name, s.sources, extract(epoch FROM s.timer)::float8 AS timer_secs,
                extract(epoch FROM s.staleness_target)::float8 AS target_secs,
                s.populated, s.dirty, s.pending_marks, s.last_refresh_at,
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
                populated: r.try_get("populated")?,
                dirty: r.try_get("dirty")?,
                pending_marks: r.try_get("pending_marks")?,
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

// ------------------------------------------------------------ subscribe --

/// What a subscriber hears.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefreshEvent {
    /// This view was refreshed: drop what was cached from it.
    View(String),
    /// Messages may have been missed (reconnected to Redis, or fell
    /// behind): drop everything cached from views.
    Resync,
}

/// A subscription to [`REFRESH_CHANNEL`] on its own Redis connection
/// (a subscribed connection can run nothing else). Reconnects forever and
/// re-subscribes; reports [`RefreshEvent::Resync`] after each reconnection.
pub struct RefreshSubscription {
    client: Client,
    messages: tokio::sync::broadcast::Receiver<Message>,
    reconnects: tokio::sync::broadcast::Receiver<Server>,
}

/// Subscribes to refresh notifications. Fails when Redis is unreachable
/// now; later outages are survived (see [`RefreshSubscription`]).
pub async fn subscribe(redis_url: &str) -> Result<RefreshSubscription, fred::error::Error> {
    let config = Config::from_url(redis_url)?;
    let client = Builder::from_config(config)
        .with_connection_config(|conn| {
            conn.connection_timeout = Duration::from_secs(5);
            conn.internal_command_timeout = Duration::from_secs(5);
        })
        .set_policy(ReconnectPolicy::new_exponential(0, 100, 5_000, 2))
        .build()?;
    client.init().await?;
    let messages = client.message_rx();
    client.subscribe(REFRESH_CHANNEL).await?;
    let reconnects = client.reconnect_rx();
    Ok(RefreshSubscription {
        client,
        messages,
        reconnects,
    })
}

impl RefreshSubscription {
    /// The next event; `None` once the client is closed.
    pub async fn recv(&mut self) -> Option<RefreshEvent> {
        loop {
            tokio::select! {
                m = self.messages.recv() => match m {
                    Ok(m) if &*m.channel == REFRESH_CHANNEL => {
                        if let Some(view) = m.value.as_string() {
                            return Some(RefreshEvent::View(view));
                        }
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => return Some(RefreshEvent::Resync),
                    Err(RecvError::Closed) => return None,
                },
                r = self.reconnects.recv() => match r {
                    Ok(_) | Err(RecvError::Lagged(_)) => {
                        if let Err(e) = self.client.subscribe(REFRESH_CHANNEL).await {
                            tracing::warn!(error = %e, "re-subscribing to refresh notifications failed");
                        }
                        return Some(RefreshEvent::Resync);
                    }
                    Err(RecvError::Closed) => return None,
                },
            }
        }
    }

    /// Unsubscribes and closes the connection.
    pub async fn close(self) {
        let _ = self.client.quit().await;
    }
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

    #[test]
    fn lock_key_is_positive_and_stable() {
        const { assert!(LEADER_LOCK_KEY > 0) };
        assert_eq!(&LEADER_LOCK_KEY.to_be_bytes(), b"proof_mv");
    }
}
