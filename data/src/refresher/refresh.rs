//! One refresh, done safely by the leader or on demand: read the marks,
//! wait for the writers behind them to end, refresh the view (CONCURRENTLY
//! once populated), advance `refreshed_upto` and log the attempt in
//! `mv_refresh_log`.

use std::time::{Duration, Instant};

use sqlx::postgres::PgConnection;
use sqlx::{Connection, PgPool, Row};

use super::{is_connection_error, RefreshOutcome, RefresherConfig, TriggeredBy};

/// How often the commit wait polls the oldest running transaction.
const COMMIT_WAIT_POLL: Duration = Duration::from_millis(5);

/// One registered view as the leader sees it at a poll.
pub(super) struct Status {
    pub(super) view_name: String,
    pub(super) sources: Vec<String>,
    pub(super) mark: i64,
    pub(super) refreshed_upto: i64,
    pub(super) populated: bool,
    pub(super) timer_due: bool,
    /// `mv_registry.staleness_target`.
    pub(super) target: Duration,
    /// A keyed structure (stepped per key, see [`super::keyed`]), not a
    /// materialized view.
    pub(super) keyed: bool,
    /// keyed: keys waiting in its log.
    pub(super) pending: i64,
    /// keyed: must be built whole first (never populated, or its
    /// definition changed).
    pub(super) rebuild_due: bool,
}

/// A refresh to do: the view, the mark it will cover, why.
pub(super) struct Plan {
    pub(super) view_name: String,
    pub(super) sources: Vec<String>,
    pub(super) seen: i64,
    pub(super) refreshed_upto: i64,
    pub(super) populated: bool,
    pub(super) triggered_by: TriggeredBy,
}

/// Result of waiting for the writers behind the marks.
#[derive(Clone, Copy)]
pub(super) struct Wait {
    pub(super) complete: bool,
    pub(super) waited_ms: i64,
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
    let rows = read_status(&mut conn, false).await?;
    let row = rows
        .into_iter()
        .find(|r| r.view_name == view)
        .ok_or(sqlx::Error::RowNotFound)?;
    let by = format!("manual@pid{}", std::process::id());
    if row.keyed {
        return super::keyed::drain(
            &mut conn,
            view,
            row.rebuild_due,
            triggered_by,
            &by,
            cfg.statement_timeout,
        )
        .await;
    }
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
    refresh_view(&mut conn, &plan, wait, &by, cfg.statement_timeout).await
}

/// Recomputes one registered structure whole, whoever leads (the
/// reconciler's repair): a keyed structure is rebuilt from its definition
/// (not just stepped), a materialized view refreshed as by
/// [`refresh_now`].
pub async fn rebuild_now(
    pool: &PgPool,
    view: &str,
    triggered_by: TriggeredBy,
) -> Result<RefreshOutcome, sqlx::Error> {
    let cfg = RefresherConfig::default();
    let keyed: bool =
        sqlx::query_scalar("SELECT kind = 'keyed' FROM mv_registry WHERE view_name = $1")
            .bind(view)
            .fetch_one(pool)
            .await?;
    if !keyed {
        return refresh_now(pool, view, triggered_by).await;
    }
    let mut conn = pool.acquire().await?;
    let by = format!("manual@pid{}", std::process::id());
    super::keyed::rebuild(&mut conn, view, triggered_by, &by, cfg.statement_timeout).await
}

/// Which views [`bring_up_to_date`] refreshes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CatchUp {
    /// Views never populated (a new database): cheap, and without them
    /// the pages reading them fail.
    Unpopulated,
    /// Those, every view with writes its last refresh did not cover, and
    /// every view kept on a timer alone, which no write marks (after
    /// loading demo data: every view).
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
        read_status(&mut conn, false).await?
    };
    let mut outcomes = Vec::new();
    for row in rows {
        let stale = if row.keyed {
            row.pending > 0
        } else {
            row.mark > row.refreshed_upto || row.sources.is_empty()
        };
        let due = !row.populated || row.rebuild_due || (which == CatchUp::Stale && stale);
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

/// Every registered structure with its current mark (keyed: its backlog),
/// or only the materialized views (what the leader's refresh loop polls:
/// it leaves the keyed structures' logs unread).
pub(super) async fn read_status(
    conn: &mut PgConnection,
    views_only: bool,
) -> Result<Vec<Status>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT view_name, sources, mark, refreshed_upto, populated, timer_due,
                extract(epoch FROM staleness_target)::float8 AS target_secs,
                kind = 'keyed' AS keyed, rebuild_due, coalesce(pending_marks, 0) AS pending
           FROM mv_status WHERE NOT $1 OR kind = 'view' ORDER BY view_name",
    )
    .bind(views_only)
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
                keyed: row.try_get("keyed")?,
                pending: row.try_get("pending")?,
                rebuild_due: row.try_get("rebuild_due")?,
            })
        })
        .collect()
}

/// A transaction id assigned AFTER the marks were read. Every writer whose
/// mark was seen had its own id before it marked (the trigger fires after
/// the writing statement), so it has a smaller id than this one.
pub(super) async fn take_xid(conn: &mut PgConnection) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar("SELECT pg_current_xact_id()::text::bigint")
        .fetch_one(conn)
        .await
}

/// The non-transactional sequence trap: `nextval` runs inside the writer's
/// transaction before it commits, so a refresh started now could miss a
/// write whose mark it has already seen, and then call the view clean.
/// Wait (up to `limit`) until [`writers_done`].
pub(super) async fn wait_for_writers(
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
pub(super) async fn writers_done(
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
pub(super) async fn refresh_view(
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
