//! Keyed structures (data/derived/): tables kept equal to their
//! definition one key at a time. Writers' triggers log the keys a write
//! affected; a *step* takes a bounded batch of logged keys and rewrites
//! exactly their rows (`derived_step`), a *rebuild* makes the whole table
//! equal to its definition (`derived_rebuild`: first population, a changed
//! definition, a timer for structures that read the clock, repair). Both
//! run in one transaction each and are serialized per structure by an
//! advisory lock inside PostgreSQL, so any session may run them; the
//! leader runs them in [`Stepper`] beside the materialized-view refreshes.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use sqlx::postgres::PgConnection;
use sqlx::{Connection, PgPool, Row};

use super::{bounded, RefreshOutcome, RefresherConfig, TriggeredBy, QUERY_TIMEOUT};
use crate::bus;

/// What one step did.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Step {
    /// Distinct keys taken from the log (0: the log was empty).
    pub(super) keys: i64,
    pub(super) inserted: i64,
    pub(super) updated: i64,
    pub(super) deleted: i64,
    pub(super) max_lag_ms: i64,
}

/// One step of `name` in its own transaction: at most `batch` log rows
/// (the registry's batch size when `None`). Adds its figures to the
/// minute's row of `derived_step_stats` and carries the row count forward.
pub(super) async fn step(
    conn: &mut PgConnection,
    name: &str,
    batch: Option<i32>,
    statement_timeout: Duration,
) -> Result<Step, sqlx::Error> {
    let started = Instant::now();
    let mut tx = conn.begin().await?;
    set_timeout(&mut tx, statement_timeout).await?;
    let row = sqlx::query(
        "SELECT keys::bigint AS keys, inserted, updated, deleted, max_lag_ms, lag_sum_ms
           FROM derived_step($1, $2)",
    )
    .bind(name)
    .bind(batch)
    .fetch_one(&mut *tx)
    .await?;
    let done = Step {
        keys: row.try_get("keys")?,
        inserted: row.try_get("inserted")?,
        updated: row.try_get("updated")?,
        deleted: row.try_get("deleted")?,
        max_lag_ms: row.try_get("max_lag_ms")?,
    };
    if done.keys > 0 {
        let lag_sum_ms: i64 = row.try_get("lag_sum_ms")?;
        let busy_ms = started.elapsed().as_millis() as i64;
        sqlx::query(
            "INSERT INTO derived_step_stats AS s
                 (view_name, minute, steps, keys, rows_written, busy_ms, max_lag_ms, lag_sum_ms)
             VALUES ($1, date_trunc('minute', clock_timestamp()), 1, $2, $3, $4, $5, $6)
             ON CONFLICT (view_name, minute) DO UPDATE
                SET steps = s.steps + 1, keys = s.keys + EXCLUDED.keys,
                    rows_written = s.rows_written + EXCLUDED.rows_written,
                    busy_ms = s.busy_ms + EXCLUDED.busy_ms,
                    max_lag_ms = greatest(s.max_lag_ms, EXCLUDED.max_lag_ms),
                    lag_sum_ms = s.lag_sum_ms + EXCLUDED.lag_sum_ms",
        )
        .bind(name)
        .bind(done.keys)
        .bind(done.inserted + done.updated + done.deleted)
        .bind(busy_ms)
        .bind(done.max_lag_ms)
        .bind(lag_sum_ms)
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE mv_registry
                SET last_refresh_at = clock_timestamp(),
                    row_count = greatest(coalesce(row_count, 0) + $2 - $3, 0)
              WHERE view_name = $1",
        )
        .bind(name)
        .bind(done.inserted)
        .bind(done.deleted)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(done)
}

/// Makes `name` equal to its whole definition in one transaction, logged
/// in `mv_refresh_log` either way. `Err` only for connection errors.
pub(super) async fn rebuild(
    conn: &mut PgConnection,
    name: &str,
    triggered_by: TriggeredBy,
    refreshed_by: &str,
    statement_timeout: Duration,
) -> Result<RefreshOutcome, sqlx::Error> {
    let started = Instant::now();
    let attempt = async {
        let mut tx = conn.begin().await?;
        set_timeout(&mut tx, statement_timeout).await?;
        let row = sqlx::query("SELECT inserted, updated, deleted, row_count FROM derived_rebuild($1)")
            .bind(name)
            .fetch_one(&mut *tx)
            .await?;
        let done = (
            row.try_get::<i64, _>("inserted")?,
            row.try_get::<i64, _>("updated")?,
            row.try_get::<i64, _>("deleted")?,
            row.try_get::<i64, _>("row_count")?,
        );
        sqlx::query(
            "UPDATE mv_registry SET last_refresh_at = clock_timestamp(), last_rebuild_at = clock_timestamp()
              WHERE view_name = $1",
        )
            .bind(name)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok::<_, sqlx::Error>(done)
    }
    .await;
    let mut outcome = outcome(name, triggered_by, started);
    match attempt {
        Ok((inserted, updated, deleted, rows)) => {
            outcome.ok = true;
            outcome.row_count = Some(rows);
            outcome.rows_inserted = Some(inserted + updated);
            outcome.rows_deleted = Some(deleted);
            outcome.log_id = log(conn, &outcome, refreshed_by).await?;
            tracing::info!(
                structure = name,
                triggered_by = triggered_by.as_str(),
                duration_ms = outcome.duration_ms,
                rows,
                inserted,
                updated,
                deleted,
                "rebuilt keyed structure"
            );
        }
        Err(e) if super::is_connection_error(&e) => return Err(e),
        Err(e) => {
            tracing::error!(structure = name, error = %e, "rebuild failed; the table keeps its previous contents");
            outcome.error = Some(e.to_string());
            outcome.log_id = log(conn, &outcome, refreshed_by).await?;
        }
    }
    Ok(outcome)
}

/// Steps `name` until its log is empty (what `refresh_now` means for a
/// keyed structure), or rebuilds it when its definition or population
/// requires. One `mv_refresh_log` row sums the steps.
pub(super) async fn drain(
    conn: &mut PgConnection,
    name: &str,
    rebuild_due: bool,
    triggered_by: TriggeredBy,
    refreshed_by: &str,
    statement_timeout: Duration,
) -> Result<RefreshOutcome, sqlx::Error> {
    // A backlog of half the table or more (demo data just loaded, a bulk
    // import) costs less as one build than as steps.
    let large: bool = sqlx::query_scalar(
        "SELECT b.keys >= greatest(2 * r.batch_size, coalesce(r.row_count, 0) / 2)
           FROM mv_registry r, derived_backlog(r.view_name) b
          WHERE r.view_name = $1",
    )
    .bind(name)
    .fetch_one(&mut *conn)
    .await?;
    if rebuild_due || large {
        return rebuild(conn, name, triggered_by, refreshed_by, statement_timeout).await;
    }
    let started = Instant::now();
    let mut total = Step::default();
    let result = loop {
        match step(conn, name, None, statement_timeout).await {
            Ok(s) if s.keys == 0 => break Ok(()),
            Ok(s) => {
                total.keys += s.keys;
                total.inserted += s.inserted;
                total.updated += s.updated;
                total.deleted += s.deleted;
            }
            Err(e) => break Err(e),
        }
    };
    let mut outcome = outcome(name, triggered_by, started);
    outcome.marks_coalesced = total.keys;
    match result {
        Ok(()) => {
            outcome.ok = true;
            outcome.rows_inserted = Some(total.inserted + total.updated);
            outcome.rows_deleted = Some(total.deleted);
            outcome.row_count =
                sqlx::query_scalar("SELECT row_count FROM mv_registry WHERE view_name = $1")
                    .bind(name)
                    .fetch_one(&mut *conn)
                    .await?;
        }
        Err(e) if super::is_connection_error(&e) => return Err(e),
        Err(e) => outcome.error = Some(e.to_string()),
    }
    outcome.log_id = log(conn, &outcome, refreshed_by).await?;
    Ok(outcome)
}

fn outcome(name: &str, triggered_by: TriggeredBy, started: Instant) -> RefreshOutcome {
    RefreshOutcome {
        log_id: 0,
        view_name: name.to_string(),
        ok: false,
        error: None,
        triggered_by,
        concurrent: true,
        duration_ms: started.elapsed().as_millis() as i64,
        row_count: None,
        rows_inserted: None,
        rows_deleted: None,
        marks_coalesced: 0,
        commit_wait_ms: 0,
        complete: true,
    }
}

async fn log(
    conn: &mut PgConnection,
    o: &RefreshOutcome,
    refreshed_by: &str,
) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar(
        "INSERT INTO mv_refresh_log
             (view_name, started_at, finished_at, duration_ms, row_count, rows_inserted, rows_deleted,
              concurrent, triggered_by, marks_coalesced, commit_wait_ms, complete, refreshed_by,
              status, error)
         VALUES ($1, clock_timestamp() - $2 * interval '1 millisecond', clock_timestamp(), $2, $3, $4, $5,
                 TRUE, $6, $7, 0, TRUE, $8, CASE WHEN $9::text IS NULL THEN 'ok' ELSE 'failed' END, $9)
         RETURNING id",
    )
    .bind(&o.view_name)
    .bind(o.duration_ms as i32)
    .bind(o.row_count)
    .bind(o.rows_inserted)
    .bind(o.rows_deleted)
    .bind(o.triggered_by.as_str())
    .bind(o.marks_coalesced)
    .bind(refreshed_by)
    .bind(o.error.as_deref())
    .fetch_one(&mut *conn)
    .await
}

/// The step's bounds: its statement timeout, and no JIT (a batch of a
/// thousand keys is estimated dear enough to be compiled, which costs
/// more than the batch: 25 ms of 75 measured on the profiles).
async fn set_timeout(tx: &mut PgConnection, limit: Duration) -> Result<(), sqlx::Error> {
    sqlx::query(&format!(
        "SET LOCAL statement_timeout = {}",
        limit.as_millis().max(1)
    ))
    .execute(&mut *tx)
    .await?;
    sqlx::query("SET LOCAL jit = off")
        .execute(tx)
        .await
        .map(|_| ())
}

/// A keyed structure as the stepper sees it at a poll.
struct Due {
    name: String,
    rebuild_due: bool,
    timer_due: bool,
    /// Keys waiting, and how long the oldest has waited.
    pending: i64,
    oldest_age: Option<Duration>,
    batch_size: i64,
    /// `mv_registry.staleness_target`.
    target: Duration,
}

/// How long a keyed structure's oldest logged key waits before a step
/// (unless a full batch is waiting): a quarter of its staleness target,
/// never less than the configured debounce. The feed (2 s) is stepped
/// every half second while writes come in; project details and profiles
/// (5 s) every 1.25 s, search and the dashboards (10 s) every 2.5 s, each
/// step then taking more keys at once (a key written several times in
/// the window is rewritten once), which leaves the cores to the writers
/// and to the structures people watch change.
pub(super) fn step_wait(target: Duration, debounce: Duration) -> Duration {
    (target / 4).max(debounce)
}

#[derive(Default)]
struct State {
    failures: u32,
    retry_at: Option<Instant>,
    /// Keys taken since the log was last vacuumed (a step deletes at
    /// least as many log rows).
    taken_since_vacuum: i64,
}

/// A log is vacuumed by the stepper after steps took this many keys from
/// it: a log is a queue whose every row dies within a second, and
/// a step's `ORDER BY seq LIMIT n` would otherwise walk an index full of
/// dead entries, slower with each step, wherever autovacuum is off or
/// behind (measured: 340,000 dead rows per log after a minute of full-speed
/// writes with autovacuum off, steps 3-5 times dearer per key).
const VACUUM_LOG_EVERY: i64 = 20_000;

/// The leader's keyed work, run beside the view refreshes on pool
/// connections: every poll, each keyed structure whose oldest logged key
/// has waited [`step_wait`] (or whose log holds a full batch) gets one
/// step; a structure that must be rebuilt (never populated, changed
/// definition, timer due) is rebuilt. Structures take turns, one step
/// each, the one closest to its staleness target first, so a large
/// backlog in one never holds back another.
pub(super) struct Stepper<'a> {
    pub(super) pool: &'a PgPool,
    pub(super) cfg: &'a RefresherConfig,
    pub(super) publisher: &'a bus::Publisher,
    /// Structures being rebuilt now: the steps leave them alone meanwhile
    /// (a step would only wait for the rebuild's lock).
    pub(super) rebuilding: std::sync::Mutex<std::collections::HashSet<String>>,
}

/// Which of the stepper's two loops a round is for.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Work {
    /// Steps of structures with keys waiting.
    Steps,
    /// Rebuilds: never populated, changed definition, timer due.
    Rebuilds,
}

impl Stepper<'_> {
    /// Runs until dropped (with the leadership). Rebuilds run in a loop of
    /// their own beside the steps: a timer rebuild takes seconds at 100x
    /// the demo scale (the validator dashboard's 4 s, chains discovery's
    /// 3 s), and in one loop it held back every other structure's steps
    /// for as long (measured: no step at all during a 20 s write run).
    pub(super) async fn run(&self) -> std::convert::Infallible {
        tokio::join!(self.run_loop(Work::Steps), self.run_loop(Work::Rebuilds)).0
    }

    fn lock_rebuilding(&self) -> std::sync::MutexGuard<'_, std::collections::HashSet<String>> {
        self.rebuilding
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn run_loop(&self, work: Work) -> std::convert::Infallible {
        let mut states: HashMap<String, State> = HashMap::new();
        loop {
            let busy = match self.round(&mut states, work).await {
                Ok(busy) => busy,
                Err(e) => {
                    tracing::warn!(error = %e, "keyed refresher round failed; retrying");
                    false
                }
            };
            if !busy {
                tokio::time::sleep(self.cfg.poll).await;
            }
        }
    }

    /// One turn for every due structure. True when some log still held a
    /// full batch (go again at once).
    async fn round(
        &self,
        states: &mut HashMap<String, State>,
        work: Work,
    ) -> Result<bool, sqlx::Error> {
        // Only the steps need the logs probed.
        let mut due = bounded(QUERY_TIMEOUT, read_due(self.pool, work == Work::Steps)).await?;
        // Earliest deadline first: least time left before the oldest key
        // outlives the target.
        due.sort_by_key(|d| {
            d.oldest_age
                .map_or(Duration::MAX, |age| d.target.saturating_sub(age))
        });
        let now = Instant::now();
        let mut busy = false;
        for d in due {
            let st = states.entry(d.name.clone()).or_default();
            if st.retry_at.is_some_and(|t| now < t) {
                continue;
            }
            let ready = d.pending >= d.batch_size
                || d.oldest_age
                    .is_some_and(|age| age >= step_wait(d.target, self.cfg.debounce));
            let build_due = d.rebuild_due || d.timer_due;
            let go = match work {
                Work::Rebuilds => build_due,
                // A structure that was never built (or whose definition
                // changed) waits for its build; one being rebuilt is
                // covered by the build.
                Work::Steps => ready && !d.rebuild_due && !self.lock_rebuilding().contains(&d.name),
            };
            if !go {
                continue;
            }
            let mut conn = self.pool.acquire().await?;
            let ok = if work == Work::Rebuilds {
                self.lock_rebuilding().insert(d.name.clone());
                let by = if d.rebuild_due {
                    TriggeredBy::Startup
                } else {
                    TriggeredBy::Timer
                };
                let out = bounded(
                    self.cfg.statement_timeout + QUERY_TIMEOUT,
                    rebuild(
                        &mut conn,
                        &d.name,
                        by,
                        &self.cfg.instance_id,
                        self.cfg.statement_timeout,
                    ),
                )
                .await;
                self.lock_rebuilding().remove(&d.name);
                let out = out?;
                if out.ok {
                    self.publisher.view_refreshed(&d.name);
                }
                out.ok
            } else {
                match bounded(
                    self.cfg.statement_timeout + QUERY_TIMEOUT,
                    step(&mut conn, &d.name, None, self.cfg.statement_timeout),
                )
                .await
                {
                    Ok(s) => {
                        if s.inserted + s.updated + s.deleted > 0 {
                            self.publisher.view_refreshed(&d.name);
                        }
                        busy |= d.pending > s.keys;
                        st.taken_since_vacuum += s.keys;
                        if st.taken_since_vacuum >= VACUUM_LOG_EVERY {
                            st.taken_since_vacuum = 0;
                            let vacuum = format!("VACUUM (SKIP_LOCKED) \"{}_dirty\"", d.name);
                            if let Err(e) = sqlx::query(&vacuum).execute(&mut *conn).await {
                                tracing::warn!(structure = %d.name, error = %e, "vacuuming the log failed");
                            }
                        }
                        true
                    }
                    Err(e) if super::is_connection_error(&e) => return Err(e),
                    Err(e) => {
                        tracing::error!(structure = %d.name, error = %e, "step failed; its keys stay logged");
                        let mut failed = outcome(&d.name, TriggeredBy::Writes, now);
                        failed.error = Some(e.to_string());
                        log(&mut conn, &failed, &self.cfg.instance_id).await?;
                        false
                    }
                }
            };
            if ok {
                st.failures = 0;
                st.retry_at = None;
            } else {
                st.failures += 1;
                st.retry_at = Some(
                    Instant::now()
                        + super::leader::backoff(
                            self.cfg.min_backoff,
                            self.cfg.max_backoff,
                            st.failures,
                        ),
                );
            }
        }
        Ok(busy)
    }
}

/// The keyed structures from the registry, with their logs' backlog when
/// `probe_logs` (otherwise pending 0, no oldest key).
async fn read_due(pool: &PgPool, probe_logs: bool) -> Result<Vec<Due>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT view_name, rebuild_due, timer_due, batch_size,
                extract(epoch FROM staleness_target)::float8 AS target_secs
           FROM mv_schedule WHERE kind = 'keyed' ORDER BY view_name",
    )
    .fetch_all(pool)
    .await?;
    let mut due = Vec::with_capacity(rows.len());
    for r in rows {
        due.push(Due {
            name: r.try_get("view_name")?,
            rebuild_due: r.try_get("rebuild_due")?,
            timer_due: r.try_get("timer_due")?,
            pending: 0,
            oldest_age: None,
            batch_size: i64::from(r.try_get::<i32, _>("batch_size")?),
            target: Duration::from_secs_f64(r.try_get::<f64, _>("target_secs")?.max(0.0)),
        });
    }
    if due.is_empty() || !probe_logs {
        return Ok(due);
    }
    // Every log probed in one statement of index lookups (the same text
    // each poll, so it is prepared once per connection): its oldest row
    // and the range of sequence numbers waiting (as derived_backlog).
    // Names come from mv_registry, whose CHECK allows only [a-z0-9_].
    let probe = due
        .iter()
        .map(|d| {
            format!(
                "SELECT '{n}'::text AS view_name,
                        (SELECT max(seq) FROM \"{n}_dirty\") - o.seq + 1 AS pending,
                        extract(epoch FROM clock_timestamp() - o.queued_at)::float8 AS oldest_secs
                   FROM (SELECT NULL) x
                   LEFT JOIN (SELECT seq, queued_at FROM \"{n}_dirty\" ORDER BY seq LIMIT 1) o ON TRUE",
                n = d.name
            )
        })
        .collect::<Vec<_>>()
        .join(" UNION ALL ");
    for r in sqlx::query(&probe).fetch_all(pool).await? {
        let name: String = r.try_get("view_name")?;
        if let Some(d) = due.iter_mut().find(|d| d.name == name) {
            d.pending = r.try_get::<Option<i64>, _>("pending")?.unwrap_or(0);
            d.oldest_age = r
                .try_get::<Option<f64>, _>("oldest_secs")?
                .map(|s| Duration::from_secs_f64(s.max(0.0)));
        }
    }
    // The longest-waiting structure first.
    due.sort_by_key(|d| std::cmp::Reverse(d.oldest_age));
    Ok(due)
}
