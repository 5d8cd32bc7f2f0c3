//! data::refresher against real PostgreSQL and Redis: writes mark views
//! dirty and nothing more; bursts coalesce; marks survive a refresher-less
//! period; one leader among several refreshers, with failover; a failing
//! refresh keeps the old contents, is logged and retried with backoff; an
//! uncommitted writer's change is not lost (the sequence trap); a never
//! populated view is populated; timers refresh without writes; refreshes
//! are published on Redis.
//!
//! The tests create their own small materialized views (they do not rely
//! on the project's views migration).
//!
//! Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test -p data --test refresher`
//! (Redis must answer at redis://127.0.0.1:6379, or at REDIS_URL.)

mod common;

use std::future::Future;
use std::time::{Duration, Instant};

use common::*;
use data::bus::{subscribe, RefreshEvent};
use data::refresher::{health, leader, refresh_now, Refresher, RefresherConfig, TriggeredBy};
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection, PgPool};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use uuid::Uuid;

fn ms(n: u64) -> Duration {
    Duration::from_millis(n)
}

/// Short timings so the suite stays fast.
fn fast() -> RefresherConfig {
    RefresherConfig {
        debounce: ms(100),
        // Larger than any test view's staleness target: every window is
        // the debounce (the target-driven windows have their own test).
        margin: Duration::from_secs(60),
        poll: ms(20),
        min_backoff: ms(200),
        max_backoff: ms(1000),
        leader_retry: ms(200),
        commit_wait_limit: Duration::from_secs(10),
        ..RefresherConfig::default()
    }
}

/// A refresher running in its own task, as a server instance would.
struct Running {
    id: String,
    stop: Option<oneshot::Sender<()>>,
    handle: JoinHandle<()>,
}

fn start(pool: &PgPool, redis: Option<data::fred::clients::Pool>, cfg: RefresherConfig) -> Running {
    let (tx, rx) = oneshot::channel::<()>();
    let id = cfg.instance_id.clone();
    let refresher = Refresher::new(pool.clone(), redis, cfg);
    let handle = tokio::spawn(refresher.run(async move {
        let _ = rx.await;
    }));
    Running {
        id,
        stop: Some(tx),
        handle,
    }
}

impl Running {
    /// Graceful stop (the shutdown future resolves).
    async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.handle).await;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.handle.abort();
    }
}

async fn sql(pool: &PgPool, text: &str) -> Res {
    sqlx::raw_sql(text).execute(pool).await?;
    Ok(())
}

async fn int(pool: &PgPool, query: &str) -> Res<i64> {
    Ok(sqlx::query_scalar(query).fetch_one(pool).await?)
}

async fn flag(pool: &PgPool, query: &str) -> Res<bool> {
    Ok(sqlx::query_scalar(query).fetch_one(pool).await?)
}

/// Polls `query` (a boolean) until it is true, failing after `limit`.
async fn wait_for(pool: &PgPool, query: &str, limit: Duration) -> Res<Duration> {
    let start = Instant::now();
    loop {
        if flag(pool, query).await? {
            return Ok(start.elapsed());
        }
        anyhow::ensure!(start.elapsed() < limit, "not true after {limit:?}: {query}");
        tokio::time::sleep(ms(20)).await;
    }
}

/// Waits until a refresher leads and has nothing left to do (other views,
/// e.g. the project's own when its views migration is present, are
/// refreshed first: their refreshes would also wait for a test's writer).
async fn idle(pool: &PgPool) -> Res {
    let start = Instant::now();
    while leader(pool).await?.is_none() {
        anyhow::ensure!(
            start.elapsed() < Duration::from_secs(10),
            "no leader after 10 s"
        );
        tokio::time::sleep(ms(20)).await;
    }
    wait_for(
        pool,
        "SELECT NOT EXISTS (SELECT 1 FROM mv_status WHERE dirty OR NOT populated OR timer_due)",
        Duration::from_secs(10),
    )
    .await?;
    Ok(())
}

async fn with_limit<T>(limit: Duration, what: &str, fut: impl Future<Output = T>) -> Res<T> {
    tokio::time::timeout(limit, fut)
        .await
        .map_err(|_| anyhow::anyhow!("timed out after {limit:?}: {what}"))
}

/// `name`: upvotes per project, with its unique index, registered on upvotes.
async fn votes_view(pool: &PgPool, name: &str) -> Res {
    sql(
        pool,
        &format!(
            "CREATE MATERIALIZED VIEW {name} AS
                 SELECT project_id, count(*) AS votes FROM upvotes GROUP BY project_id;
             CREATE UNIQUE INDEX ON {name} (project_id);
             SELECT register_view('{name}', ARRAY['upvotes']);"
        ),
    )
    .await
}

/// True when the votes view equals its defining query and is clean.
fn fresh(name: &str) -> String {
    format!(
        "SELECT ({}) AND ({})",
        votes_view_matches(name),
        clean(name)
    )
}

/// True when the votes view equals its defining query.
fn votes_view_matches(name: &str) -> String {
    format!(
        "SELECT NOT EXISTS (
             (SELECT project_id, votes FROM {name}
              EXCEPT SELECT project_id, count(*) FROM upvotes GROUP BY project_id)
             UNION ALL
             (SELECT project_id, count(*) FROM upvotes GROUP BY project_id
              EXCEPT SELECT project_id, votes FROM {name}))"
    )
}

fn clean(name: &str) -> String {
    format!("SELECT NOT dirty FROM mv_status WHERE view_name = '{name}'")
}

async fn mark(pool: &PgPool, view: &str) -> Res<i64> {
    Ok(
        sqlx::query_scalar("SELECT mark FROM mv_status WHERE view_name = $1")
            .bind(view)
            .fetch_one(pool)
            .await?,
    )
}

async fn log_count(pool: &PgPool, view: &str, status: &str) -> Res<i64> {
    Ok(sqlx::query_scalar(
        "SELECT count(*) FROM mv_refresh_log WHERE view_name = $1 AND status = $2",
    )
    .bind(view)
    .bind(status)
    .fetch_one(pool)
    .await?)
}

/// `users x projects` voters and projects.
async fn people(pool: &PgPool, n_users: usize, n_projects: usize) -> Res<(Vec<Uuid>, Vec<Uuid>)> {
    let u = users(pool, n_users).await?;
    let mut p = Vec::new();
    for i in 0..n_projects {
        p.push(project(pool, u[i % u.len()]).await?);
    }
    Ok((u, p))
}

/// `people` and the votes view `t_mv` over their upvotes.
async fn voters_of_t_mv(
    pool: &PgPool,
    n_users: usize,
    n_projects: usize,
) -> Res<(Vec<Uuid>, Vec<Uuid>)> {
    let people = people(pool, n_users, n_projects).await?;
    votes_view(pool, "t_mv").await?;
    Ok(people)
}

/// An upvote by `user` of `project` in the caller's open transaction.
async fn vote_in(tx: &mut PgConnection, user: Uuid, project: Uuid) -> Res {
    sqlx::query("INSERT INTO upvotes (user_id, project_id) VALUES ($1, $2)")
        .bind(user)
        .bind(project)
        .execute(tx)
        .await?;
    Ok(())
}

// ---------------------------------------------------------------- marks --

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn writes_only_mark_the_views_that_read_the_table(pool: PgPool) -> Res {
    let (u, p) = voters_of_t_mv(&pool, 4, 2).await?;
    sql(&pool, "CREATE TABLE t_unrelated (id int)").await?;
    let m0 = mark(&pool, "t_mv").await?;
    assert_eq!(m0, 0);

    // The mark is taken inside the writer's transaction and is visible to
    // others at once (a sequence is not transactional) ...
    let mut tx = pool.begin().await?;
    vote_in(&mut tx, u[1], p[0]).await?;
    assert_eq!(mark(&pool, "t_mv").await?, 1);
    // ... but no refresh runs in the writer's transaction: the view, read
    // from inside it, does not show the vote, and nothing was logged.
    let seen: i64 = sqlx::query_scalar("SELECT count(*) FROM t_mv")
        .fetch_one(&mut *tx)
        .await?;
    assert_eq!(seen, 0);
    tx.commit().await?;
    assert_eq!(int(&pool, "SELECT count(*) FROM t_mv").await?, 0);
    assert_eq!(int(&pool, "SELECT count(*) FROM mv_refresh_log").await?, 0);
    assert!(
        !flag(&pool, &clean("t_mv")).await?,
        "the view must be dirty"
    );

    // One mark per statement, whatever the row count; UPDATE, DELETE and
    // TRUNCATE mark too.
    sqlx::query("INSERT INTO upvotes (user_id, project_id) VALUES ($1, $3), ($2, $3)")
        .bind(u[2])
        .bind(u[3])
        .bind(p[1])
        .execute(&pool)
        .await?;
    assert_eq!(mark(&pool, "t_mv").await?, 2);
    sql(&pool, "UPDATE upvotes SET is_upvote = FALSE").await?;
    assert_eq!(mark(&pool, "t_mv").await?, 3);
    sqlx::query("DELETE FROM upvotes WHERE user_id = $1")
        .bind(u[3])
        .execute(&pool)
        .await?;
    assert_eq!(mark(&pool, "t_mv").await?, 4);

    // Writes to tables the view does not read leave it alone.
    sql(&pool, "INSERT INTO t_unrelated VALUES (1), (2)").await?;
    user(&pool, "someone_else").await?;
    assert_eq!(mark(&pool, "t_mv").await?, 4);

    // A rolled-back write still marks: harmless (one extra refresh).
    let mut tx = pool.begin().await?;
    sqlx::query("DELETE FROM upvotes").execute(&mut *tx).await?;
    tx.rollback().await?;
    assert_eq!(mark(&pool, "t_mv").await?, 5);
    sql(&pool, "TRUNCATE upvotes").await?;
    assert_eq!(mark(&pool, "t_mv").await?, 6);
    Ok(())
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn register_view_validates_and_maintains_one_trigger_per_table(pool: PgPool) -> Res {
    // No such view; no unique index (CONCURRENTLY would fail); not a table.
    let err = sql(&pool, "SELECT register_view('t_missing', ARRAY['upvotes'])")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("does not exist"), "{err}");
    sql(
        &pool,
        "CREATE MATERIALIZED VIEW t_noidx AS SELECT project_id FROM upvotes",
    )
    .await?;
    let err = sql(&pool, "SELECT register_view('t_noidx', ARRAY['upvotes'])")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("unique index"), "{err}");
    votes_view(&pool, "t_a").await?;
    let err = sql(&pool, "SELECT register_view('t_a', ARRAY['t_a'])")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("is not a table"), "{err}");

    // Two views on upvotes share ONE trigger listing both; re-registering a
    // view without a table takes it off that table's trigger.
    votes_view(&pool, "t_b").await?;
    sql(
        &pool,
        "SELECT register_view('t_b', ARRAY['upvotes', 'comments'])",
    )
    .await?;
    let triggers = |table: &'static str| {
        let pool = pool.clone();
        async move {
            let defs: Vec<String> = sqlx::query_scalar(
                "SELECT pg_get_triggerdef(oid) FROM pg_trigger
                  WHERE tgrelid = $1::regclass AND tgname = 'mv_mark_dirty'",
            )
            .bind(table)
            .fetch_all(&pool)
            .await?;
            Res::Ok(defs)
        }
    };
    let up = triggers("upvotes").await?;
    assert_eq!(up.len(), 1);
    assert!(up[0].contains("FOR EACH STATEMENT"), "{}", up[0]);
    assert!(
        up[0].contains("'t_a'") && up[0].contains("'t_b'"),
        "{}",
        up[0]
    );
    let co = triggers("comments").await?;
    assert!(
        co[0].contains("'t_b'") && !co[0].contains("'t_a'"),
        "{}",
        co[0]
    );

    sql(&pool, "SELECT register_view('t_b', ARRAY['upvotes'])").await?;
    let co = triggers("comments").await?;
    assert!(co.iter().all(|d| !d.contains("'t_b'")), "{co:?}");
    sql(&pool, "SELECT unregister_view('t_a')").await?;
    let up = triggers("upvotes").await?;
    assert!(
        up[0].contains("'t_b'") && !up[0].contains("'t_a'"),
        "{}",
        up[0]
    );
    assert!(!flag(&pool, "SELECT to_regclass('mv_dirty_t_a') IS NOT NULL").await?);
    Ok(())
}

// ---------------------------------------------------------------- burst --

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn a_burst_of_writes_is_coalesced_into_few_refreshes(pool: PgPool) -> Res {
    const N: usize = 200;
    let (u, p) = voters_of_t_mv(&pool, 20, 10).await?;
    let running = start(
        &pool,
        None,
        RefresherConfig {
            debounce: ms(200),
            ..fast()
        },
    );

    // 8 writers, 25 votes each, as fast as they can.
    let pairs: Vec<(Uuid, Uuid)> = u
        .iter()
        .flat_map(|&user| p.iter().map(move |&project| (user, project)))
        .collect();
    assert_eq!(pairs.len(), N);
    let mut tasks = Vec::new();
    for chunk in pairs.chunks(N / 8) {
        let pool = pool.clone();
        let chunk = chunk.to_vec();
        tasks.push(tokio::spawn(async move {
            for (user, project) in chunk {
                upvote(&pool, user, project, true).await?;
            }
            Res::Ok(())
        }));
    }
    for t in tasks {
        t.await??;
    }
    assert_eq!(mark(&pool, "t_mv").await?, N as i64);

    wait_for(&pool, &fresh("t_mv"), Duration::from_secs(15)).await?;
    let refreshes = log_count(&pool, "t_mv", "ok").await?;
    let covered = int(
        &pool,
        "SELECT sum(marks_coalesced)::bigint FROM mv_refresh_log WHERE view_name = 't_mv' AND status = 'ok'",
    )
    .await?;
    assert!(refreshes >= 1);
    assert!(
        refreshes <= (N / 10) as i64,
        "{refreshes} refreshes for {N} writes"
    );
    // Every mark is accounted for by exactly one refresh.
    assert_eq!(covered, N as i64);
    assert_eq!(log_count(&pool, "t_mv", "failed").await?, 0);
    // The logged row count is right (taken from the refresh, not a COUNT).
    let logged: Option<i64> = sqlx::query_scalar(
        "SELECT row_count FROM mv_refresh_log WHERE view_name = 't_mv' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&pool)
    .await?;
    assert_eq!(logged, Some(p.len() as i64));
    running.stop().await;
    Ok(())
}

// ------------------------------------------------------ durable marks --

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn a_mark_made_while_no_refresher_runs_is_refreshed_when_one_starts(pool: PgPool) -> Res {
    let (u, p) = voters_of_t_mv(&pool, 3, 1).await?;
    upvote(&pool, u[1], p[0], true).await?;
    upvote(&pool, u[2], p[0], true).await?;
    assert_eq!(int(&pool, "SELECT count(*) FROM t_mv").await?, 0);
    assert!(!flag(&pool, &clean("t_mv")).await?);

    let running = start(&pool, None, fast());
    wait_for(&pool, &fresh("t_mv"), Duration::from_secs(10)).await?;
    assert_eq!(int(&pool, "SELECT votes FROM t_mv").await?, 2);
    let (by, marks, who): (String, i64, String) = sqlx::query_as(
        "SELECT triggered_by, marks_coalesced, refreshed_by FROM mv_refresh_log
          WHERE view_name = 't_mv' AND status = 'ok' ORDER BY id LIMIT 1",
    )
    .fetch_one(&pool)
    .await?;
    assert_eq!((by.as_str(), marks), ("writes", 2));
    assert_eq!(who, running.id);
    running.stop().await;
    Ok(())
}

// --------------------------------------------------------------- leader --

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn one_leader_refreshes_and_another_takes_over_when_it_dies(pool: PgPool) -> Res {
    let (u, p) = voters_of_t_mv(&pool, 6, 1).await?;
    // A second "server instance": its own pool on the same database.
    let other = PgPoolOptions::new()
        .max_connections(3)
        .connect_with(pool.connect_options().as_ref().clone())
        .await?;
    let a = start(&pool, None, fast());
    let b = start(&other, None, fast());
    wait_for(
        &pool,
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity
                         WHERE application_name = 'proofwork-refresher' AND datname = current_database()
                         HAVING count(*) = 2)",
        Duration::from_secs(5),
    )
    .await?;
    let first = leader(&pool).await?.expect("a leader");
    assert_eq!(
        first.application_name.as_deref(),
        Some("proofwork-refresher")
    );

    // Several rounds of writes: every refresh comes from the same instance.
    for &voter in &u[1..=3] {
        upvote(&pool, voter, p[0], true).await?;
        wait_for(&pool, &fresh("t_mv"), Duration::from_secs(10)).await?;
    }
    let by: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT refreshed_by FROM mv_refresh_log WHERE view_name = 't_mv'",
    )
    .fetch_all(&pool)
    .await?;
    assert_eq!(by.len(), 1, "refreshes from several instances: {by:?}");
    let (dead, survivor) = if by[0] == a.id { (a, b) } else { (b, a) };
    assert_eq!(by[0], dead.id);
    let before = log_count(&pool, "t_mv", "ok").await?;

    // The leader dies (its task and connection go away without a word).
    dead.handle.abort();
    drop(dead);
    let died = Instant::now();
    upvote(&pool, u[4], p[0], true).await?;
    upvote(&pool, u[5], p[0], true).await?;
    let took = wait_for(&pool, &fresh("t_mv"), Duration::from_secs(10)).await?;
    assert!(took < Duration::from_secs(5), "takeover took {took:?}");
    let new_rows: Vec<String> = sqlx::query_scalar(
        "SELECT refreshed_by FROM mv_refresh_log WHERE view_name = 't_mv' ORDER BY id OFFSET $1",
    )
    .bind(before)
    .fetch_all(&pool)
    .await?;
    assert!(!new_rows.is_empty());
    assert!(
        new_rows.iter().all(|r| r == &survivor.id),
        "{new_rows:?} should all be {}",
        survivor.id
    );
    let second = leader(&pool).await?.expect("a new leader");
    assert_ne!(second.pid, first.pid);
    eprintln!(
        "takeover and refresh {:?} after the leader died",
        died.elapsed()
    );
    survivor.stop().await;
    // Stopping the last one leaves no leader.
    wait_for(
        &pool,
        "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity
                             WHERE application_name = 'proofwork-refresher' AND datname = current_database())",
        Duration::from_secs(5),
    )
    .await?;
    assert!(leader(&pool).await?.is_none());
    other.close().await;
    Ok(())
}

// ------------------------------------------------------------- failures --

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn a_failing_refresh_keeps_the_old_view_logs_and_backs_off(pool: PgPool) -> Res {
    sql(
        &pool,
        "CREATE TABLE t_src (id int PRIMARY KEY, v int NOT NULL);
         CREATE FUNCTION t_fn(x int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN x * 10; END $$;
         CREATE MATERIALIZED VIEW t_fail AS SELECT id, t_fn(v) AS v FROM t_src;
         CREATE UNIQUE INDEX ON t_fail (id);
         SELECT register_view('t_fail', ARRAY['t_src']);",
    )
    .await?;
    let (u, p) = voters_of_t_mv(&pool, 4, 1).await?;
    let running = start(
        &pool,
        None,
        RefresherConfig {
            min_backoff: ms(300),
            max_backoff: ms(1200),
            ..fast()
        },
    );
    sql(&pool, "INSERT INTO t_src VALUES (1, 1)").await?;
    wait_for(
        &pool,
        "SELECT EXISTS (SELECT 1 FROM t_fail WHERE id = 1 AND v = 10)",
        Duration::from_secs(10),
    )
    .await?;

    // Break the view's query; write.
    sql(
        &pool,
        "CREATE OR REPLACE FUNCTION t_fn(x int) RETURNS int LANGUAGE plpgsql AS $$
         BEGIN RAISE EXCEPTION 'boom: t_fn is broken'; END $$",
    )
    .await?;
    sql(&pool, "INSERT INTO t_src VALUES (2, 2)").await?;
    wait_for(
        &pool,
        "SELECT count(*) >= 4 FROM mv_refresh_log WHERE view_name = 't_fail' AND status = 'failed'",
        Duration::from_secs(15),
    )
    .await?;
    // The old contents are still served.
    assert_eq!(
        int(&pool, "SELECT count(*) FROM t_fail").await?,
        1,
        "old contents kept"
    );
    let error: String = sqlx::query_scalar(
        "SELECT error FROM mv_refresh_log WHERE view_name = 't_fail' AND status = 'failed' LIMIT 1",
    )
    .fetch_one(&pool)
    .await?;
    assert!(error.contains("boom: t_fn is broken"), "{error}");
    // Retries back off: the gaps between attempts grow (300, 600, 1200, 1200 ms ...).
    let gaps: Vec<Option<f64>> = sqlx::query_scalar(
        "SELECT extract(epoch FROM started_at - lag(started_at) OVER (ORDER BY id))::float8 * 1000
           FROM mv_refresh_log WHERE view_name = 't_fail' AND status = 'failed' ORDER BY id",
    )
    .fetch_all(&pool)
    .await?;
    let gaps: Vec<f64> = gaps.into_iter().flatten().collect();
    assert!(gaps[0] >= 280.0, "{gaps:?}");
    assert!(gaps[1] >= 580.0, "{gaps:?}");
    assert!(gaps[2] >= 1180.0, "{gaps:?}");
    assert!(gaps.iter().all(|g| *g < 2400.0), "capped: {gaps:?}");

    // Other views keep refreshing meanwhile.
    upvote(&pool, u[1], p[0], true).await?;
    wait_for(&pool, &fresh("t_mv"), Duration::from_secs(10)).await?;

    // The health report shows it.
    let h = health(&pool).await?;
    let f = h.iter().find(|v| v.view_name == "t_fail").unwrap();
    assert!(f.dirty && f.pending_marks >= 1, "{f:?}");
    assert!(f.failures_since_ok >= 4, "{f:?}");
    assert!(f.failures_24h >= f.failures_since_ok);
    assert!(f.last_error.as_deref().unwrap().contains("boom"), "{f:?}");
    assert!(f.last_ok.is_some() && f.last_refresh_at.is_some());
    let m = h.iter().find(|v| v.view_name == "t_mv").unwrap();
    assert_eq!((m.dirty, m.failures_since_ok), (false, 0), "{m:?}");
    assert_eq!(m.row_count, Some(1));
    serde_json::to_string(&h)?;

    // Fixed: the next retry succeeds.
    sql(
        &pool,
        "CREATE OR REPLACE FUNCTION t_fn(x int) RETURNS int LANGUAGE plpgsql AS $$ BEGIN RETURN x * 10; END $$",
    )
    .await?;
    wait_for(
        &pool,
        "SELECT count(*) = 2 FROM t_fail",
        Duration::from_secs(5),
    )
    .await?;
    wait_for(&pool, &clean("t_fail"), Duration::from_secs(5)).await?;
    let h = health(&pool).await?;
    let f = h.iter().find(|v| v.view_name == "t_fail").unwrap();
    assert_eq!(f.failures_since_ok, 0, "{f:?}");
    assert!(!f.dirty);
    running.stop().await;
    Ok(())
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn a_refresh_past_its_statement_timeout_fails_cleanly(pool: PgPool) -> Res {
    sql(
        &pool,
        "CREATE TABLE t_src (id int PRIMARY KEY, v int NOT NULL);
         CREATE FUNCTION t_slow(x int) RETURNS int LANGUAGE plpgsql AS $$
         BEGIN IF x < 0 THEN PERFORM pg_sleep(3); END IF; RETURN x; END $$;
         CREATE MATERIALIZED VIEW t_slowmv AS SELECT id, t_slow(v) AS v FROM t_src;
         CREATE UNIQUE INDEX ON t_slowmv (id);
         SELECT register_view('t_slowmv', ARRAY['t_src']);
         INSERT INTO t_src VALUES (1, -1);",
    )
    .await?;
    let running = start(
        &pool,
        None,
        RefresherConfig {
            statement_timeout: ms(300),
            min_backoff: Duration::from_secs(30),
            ..fast()
        },
    );
    wait_for(
        &pool,
        "SELECT EXISTS (SELECT 1 FROM mv_refresh_log WHERE view_name = 't_slowmv' AND status = 'failed')",
        Duration::from_secs(10),
    )
    .await?;
    let (error, duration): (String, i32) = sqlx::query_as(
        "SELECT error, duration_ms FROM mv_refresh_log WHERE view_name = 't_slowmv' AND status = 'failed'",
    )
    .fetch_one(&pool)
    .await?;
    assert!(error.contains("statement timeout"), "{error}");
    assert!(duration < 2500, "{duration} ms");
    // The view is untouched (empty, as created) and still dirty.
    assert_eq!(int(&pool, "SELECT count(*) FROM t_slowmv").await?, 0);
    assert!(!flag(&pool, &clean("t_slowmv")).await?);
    running.stop().await;
    Ok(())
}

// ------------------------------------------------- the sequence trap --

/// The mark is taken before the writer commits. A refresher that refreshed
/// on seeing it would miss the row and call the view clean: the row would
/// be lost until the next write. The refresher waits for the writer.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn an_uncommitted_writer_is_not_missed(pool: PgPool) -> Res {
    let (u, p) = voters_of_t_mv(&pool, 2, 1).await?;
    // A long transaction on a table no view reads stays open throughout: it
    // must not hold the refresh up (only writers to the sources matter).
    sql(&pool, "CREATE TABLE t_other (id int)").await?;
    let mut bystander = pool.acquire().await?.detach();
    let mut other_tx = bystander.begin().await?;
    sqlx::query("INSERT INTO t_other VALUES (1)")
        .execute(&mut *other_tx)
        .await?;
    let running = start(
        &pool,
        None,
        RefresherConfig {
            debounce: ms(20),
            ..fast()
        },
    );
    idle(&pool).await?;

    let mut writer = pool.acquire().await?.detach();
    let mut tx = writer.begin().await?;
    vote_in(&mut tx, u[1], p[0]).await?;
    assert_eq!(mark(&pool, "t_mv").await?, 1, "mark taken before commit");
    // Give the refresher ample time to see the mark and act on it.
    tokio::time::sleep(ms(700)).await;
    assert_eq!(int(&pool, "SELECT count(*) FROM t_mv").await?, 0);
    tx.commit().await?;

    wait_for(&pool, &fresh("t_mv"), Duration::from_secs(5)).await?;
    assert_eq!(int(&pool, "SELECT votes FROM t_mv").await?, 1);
    // Views refresh one at a time: the first of the views reading upvotes
    // (t_mv or one of the project's own) waited for the writer, the
    // others found it done.
    let (waited, complete): (i32, bool) = sqlx::query_as(
        "SELECT max(commit_wait_ms), bool_and(complete) FROM mv_refresh_log
          WHERE status = 'ok' AND triggered_by = 'writes' AND 'upvotes' = ANY (
                SELECT unnest(sources) FROM mv_registry r WHERE r.view_name = mv_refresh_log.view_name)",
    )
    .fetch_one(&pool)
    .await?;
    assert!(complete);
    assert!(
        waited >= 400,
        "the refresh waited only {waited} ms for the writer"
    );
    assert!(
        waited < 5000,
        "the refresh waited {waited} ms: held up by the bystander?"
    );
    running.stop().await;
    other_tx.rollback().await?;
    bystander.close().await?;
    writer.close().await?;
    Ok(())
}

/// When the writer outlives `commit_wait_limit`, the refresher refreshes
/// anyway (readers get what is committed) but leaves the view dirty, and
/// refreshes again once the writer has ended.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn a_writer_outliving_the_wait_limit_gets_a_second_refresh(pool: PgPool) -> Res {
    let (u, p) = voters_of_t_mv(&pool, 3, 1).await?;
    upvote(&pool, u[2], p[0], true).await?;
    let running = start(
        &pool,
        None,
        RefresherConfig {
            debounce: ms(20),
            commit_wait_limit: ms(300),
            ..fast()
        },
    );
    idle(&pool).await?;
    let before = int(&pool, "SELECT coalesce(max(id), 0) FROM mv_refresh_log").await?;
    let incomplete = format!(
        "SELECT count(*) FROM mv_refresh_log WHERE view_name = 't_mv' AND NOT complete AND id > {before}"
    );

    let mut writer = pool.acquire().await?.detach();
    let mut tx = writer.begin().await?;
    vote_in(&mut tx, u[1], p[0]).await?;
    wait_for(
        &pool,
        &format!("SELECT ({incomplete}) > 0"),
        Duration::from_secs(5),
    )
    .await?;
    // Refreshed without the uncommitted row, and still dirty.
    assert_eq!(int(&pool, "SELECT votes FROM t_mv").await?, 1);
    assert!(!flag(&pool, &clean("t_mv")).await?);
    // It does not refresh again and again while the writer is open.
    tokio::time::sleep(ms(1200)).await;
    assert_eq!(int(&pool, &incomplete).await?, 1);
    tx.commit().await?;

    wait_for(&pool, &fresh("t_mv"), Duration::from_secs(5)).await?;
    assert_eq!(int(&pool, "SELECT votes FROM t_mv").await?, 2);
    running.stop().await;
    writer.close().await?;
    Ok(())
}

// ----------------------------------------------------- startup, timer --

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn a_never_populated_view_is_populated_at_start(pool: PgPool) -> Res {
    let (u, p) = people(&pool, 4, 3).await?;
    for (i, &project) in p.iter().enumerate() {
        upvote(&pool, u[i + 1], project, true).await?;
    }
    sql(
        &pool,
        "CREATE MATERIALIZED VIEW t_nodata AS
             SELECT project_id, count(*) AS votes FROM upvotes GROUP BY project_id WITH NO DATA;
         CREATE UNIQUE INDEX ON t_nodata (project_id);
         SELECT register_view('t_nodata', ARRAY['upvotes']);",
    )
    .await?;
    assert!(
        !flag(
            &pool,
            "SELECT populated FROM mv_status WHERE view_name = 't_nodata'"
        )
        .await?
    );
    let running = start(&pool, None, fast());
    wait_for(
        &pool,
        "SELECT ispopulated FROM pg_matviews WHERE matviewname = 't_nodata'",
        Duration::from_secs(5),
    )
    .await?;
    assert!(flag(&pool, &votes_view_matches("t_nodata")).await?);
    let (by, concurrent, rows): (String, bool, Option<i64>) = sqlx::query_as(
        "SELECT triggered_by, concurrent, row_count FROM mv_refresh_log
          WHERE view_name = 't_nodata' ORDER BY id LIMIT 1",
    )
    .fetch_one(&pool)
    .await?;
    assert_eq!((by.as_str(), concurrent, rows), ("startup", false, Some(3)));

    // Later refreshes are concurrent, and the carried row count stays exact.
    let more = project(&pool, u[0]).await?;
    upvote(&pool, u[1], more, true).await?;
    sqlx::query("DELETE FROM upvotes WHERE project_id = $1")
        .bind(p[0])
        .execute(&pool)
        .await?;
    let q = format!(
        "SELECT ({}) AND ({})",
        votes_view_matches("t_nodata"),
        clean("t_nodata")
    );
    wait_for(&pool, &q, Duration::from_secs(5)).await?;
    let (concurrent, rows): (bool, Option<i64>) = sqlx::query_as(
        "SELECT concurrent, row_count FROM mv_refresh_log
          WHERE view_name = 't_nodata' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&pool)
    .await?;
    assert!(concurrent);
    assert_eq!(
        rows,
        Some(int(&pool, "SELECT count(*) FROM t_nodata").await?)
    );
    // A concurrent refresh rewrites only the changed rows (one project
    // gained its first vote, one lost its last).
    let (ins, del): (i64, i64) = sqlx::query_as(
        "SELECT sum(rows_inserted)::bigint, sum(rows_deleted)::bigint FROM mv_refresh_log
          WHERE view_name = 't_nodata' AND concurrent",
    )
    .fetch_one(&pool)
    .await?;
    assert_eq!((ins, del), (1, 1));
    running.stop().await;
    Ok(())
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn a_timer_view_refreshes_without_writes(pool: PgPool) -> Res {
    sql(
        &pool,
        "CREATE MATERIALIZED VIEW t_clock AS SELECT 1 AS id, clock_timestamp() AS at;
         CREATE UNIQUE INDEX ON t_clock (id);
         SELECT register_view('t_clock', ARRAY[]::text[], interval '300 milliseconds');",
    )
    .await?;
    let before: time::OffsetDateTime = sqlx::query_scalar("SELECT at FROM t_clock")
        .fetch_one(&pool)
        .await?;
    let running = start(&pool, None, fast());
    wait_for(
        &pool,
        "SELECT count(*) >= 3 FROM mv_refresh_log WHERE view_name = 't_clock' AND status = 'ok'",
        Duration::from_secs(5),
    )
    .await?;
    let after: time::OffsetDateTime = sqlx::query_scalar("SELECT at FROM t_clock")
        .fetch_one(&pool)
        .await?;
    assert!(after > before);
    let kinds: Vec<String> = sqlx::query_scalar(
        "SELECT DISTINCT triggered_by FROM mv_refresh_log WHERE view_name = 't_clock'",
    )
    .fetch_all(&pool)
    .await?;
    assert_eq!(kinds, ["timer"]);
    // Not more often than the timer: 3 refreshes take at least 2 periods.
    let span = int(
        &pool,
        "SELECT (extract(epoch FROM max(started_at) - min(started_at)) * 1000)::bigint
           FROM (SELECT started_at FROM mv_refresh_log WHERE view_name = 't_clock' ORDER BY id LIMIT 3) s",
    )
    .await?;
    assert!(span >= 550, "{span} ms for 3 timer refreshes");
    running.stop().await;
    Ok(())
}

// --------------------------------------------------------------- manual --

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn refresh_now_works_without_a_leader(pool: PgPool) -> Res {
    let (u, p) = voters_of_t_mv(&pool, 2, 1).await?;
    upvote(&pool, u[1], p[0], true).await?;
    let out = refresh_now(&pool, "t_mv", TriggeredBy::Manual).await?;
    assert!(out.ok && out.complete && out.concurrent, "{out:?}");
    assert_eq!((out.marks_coalesced, out.row_count), (1, Some(1)));
    assert!(flag(&pool, &clean("t_mv")).await?);
    assert!(flag(&pool, &votes_view_matches("t_mv")).await?);
    let by: String = sqlx::query_scalar("SELECT triggered_by FROM mv_refresh_log WHERE id = $1")
        .bind(out.log_id)
        .fetch_one(&pool)
        .await?;
    assert_eq!(by, "manual");
    let err = refresh_now(&pool, "t_nope", TriggeredBy::Manual).await;
    assert!(matches!(err, Err(sqlx::Error::RowNotFound)));
    Ok(())
}

// ---------------------------------------------------------------- redis --

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn a_refresh_is_published_on_redis(pool: PgPool) -> Res {
    // A name of its own: other tests and servers may publish on the channel.
    let view = format!("t_pub_{:08x}", rand::random::<u32>());
    let (u, p) = people(&pool, 2, 1).await?;
    votes_view(&pool, &view).await?;

    let mut sub = with_limit(Duration::from_secs(5), "subscribe", subscribe(&redis_url()))
        .await?
        .map_err(|e| anyhow::anyhow!("Redis must be reachable at {}: {e}", redis_url()))?;
    let redis = data::db::redis(&redis_url(), Duration::from_secs(2)).await?;
    let running = start(&pool, Some(redis), fast());
    upvote(&pool, u[1], p[0], true).await?;

    let got = with_limit(Duration::from_secs(10), "a refresh message", async {
        loop {
            match sub.recv().await {
                Some(RefreshEvent::View(v)) if v == view => return Ok(v),
                Some(_) => continue,
                None => return Err(anyhow::anyhow!("subscription closed")),
            }
        }
    })
    .await??;
    assert_eq!(got, view);
    // By the time the message arrives, the view is refreshed.
    assert!(flag(&pool, &votes_view_matches(&view)).await?);
    running.stop().await;
    sub.close().await;
    Ok(())
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn a_dead_redis_never_fails_a_refresh(pool: PgPool) -> Res {
    let (u, p) = voters_of_t_mv(&pool, 2, 1).await?;
    // Nothing listens on port 1.
    let redis = data::db::redis("redis://127.0.0.1:1", ms(300)).await?;
    let running = start(&pool, Some(redis), fast());
    for &voter in &u[..2] {
        upvote(&pool, voter, p[0], true).await?;
        wait_for(&pool, &fresh("t_mv"), Duration::from_secs(5)).await?;
    }
    assert_eq!(log_count(&pool, "t_mv", "failed").await?, 0);
    running.stop().await;
    Ok(())
}

// --------------------------------------------------- staleness targets --

/// Views refresh one at a time, earliest deadline first, and each collects
/// marks for as long as its staleness target allows: under a steady write
/// load an expensive view with a loose target is refreshed rarely, a cheap
/// view with a tight target often, and the tight one is never stuck behind
/// a round of expensive refreshes.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn each_view_refreshes_as_often_as_its_target_needs(pool: PgPool) -> Res {
    let (u, p) = people(&pool, 40, 1).await?;
    votes_view(&pool, "t_fast").await?;
    sql(
        &pool,
        "CREATE MATERIALIZED VIEW t_slow AS
             SELECT 1 AS id, (SELECT count(*) FROM upvotes) AS votes
             FROM (SELECT pg_sleep(1.5)) s;
         CREATE UNIQUE INDEX ON t_slow (id);
         SELECT register_view('t_slow', ARRAY['upvotes']);
         UPDATE mv_registry SET staleness_target = interval '6 seconds' WHERE view_name = 't_slow';
         UPDATE mv_registry SET staleness_target = interval '2 seconds' WHERE view_name = 't_fast';
         -- The project's own views (tiny here) refresh at their debounce.
         UPDATE mv_registry SET staleness_target = interval '1 second'
          WHERE view_name NOT IN ('t_fast', 't_slow');",
    )
    .await?;
    let running = start(
        &pool,
        None,
        RefresherConfig {
            debounce: ms(100),
            margin: Duration::from_secs(1),
            ..fast()
        },
    );
    idle(&pool).await?;
    let before = |view: &str| {
        format!("SELECT count(*) FROM mv_refresh_log WHERE view_name = '{view}' AND triggered_by = 'writes'")
    };

    // 8 s of writes, one every 200 ms.
    let started = Instant::now();
    let mut i = 0;
    while started.elapsed() < Duration::from_secs(8) {
        upvote(&pool, u[i % u.len()], p[0], true).await?;
        i += 1;
        tokio::time::sleep(ms(200)).await;
    }
    let fast_n = int(&pool, &before("t_fast")).await?;
    let slow_n = int(&pool, &before("t_slow")).await?;
    eprintln!("{i} writes in 8 s: t_fast refreshed {fast_n} times, t_slow {slow_n} times");
    assert!(
        slow_n <= 3,
        "the 6 s view was refreshed {slow_n} times in 8 s"
    );
    assert!(
        fast_n >= 2 * slow_n.max(2),
        "the 2 s view was refreshed only {fast_n} times"
    );

    // After the last write the tight view catches up within its target
    // plus one refresh of the slow view that may be running.
    let caught_up = wait_for(
        &pool,
        &format!(
            "SELECT ({}) AND ({})",
            votes_view_matches("t_fast"),
            clean("t_fast")
        ),
        Duration::from_secs(10),
    )
    .await?;
    assert!(
        caught_up < Duration::from_millis(3500),
        "t_fast caught up after {caught_up:?}"
    );
    // And the slow one within its own.
    wait_for(&pool, &clean("t_slow"), Duration::from_secs(10)).await?;
    running.stop().await;
    Ok(())
}

#[test]
fn the_coalescing_window_follows_the_target() {
    use data::refresher::coalescing_window;
    let (debounce, margin) = (ms(500), Duration::from_secs(1));
    // A cheap view with a tight target: the debounce.
    assert_eq!(
        coalescing_window(Duration::from_secs(2), ms(300), debounce, margin),
        ms(500)
    );
    // An expensive view with a loose target collects marks for longer.
    assert_eq!(
        coalescing_window(Duration::from_secs(10), ms(900), debounce, margin),
        ms(7200)
    );
    // A refresh slower than the target allows: back to the debounce.
    assert_eq!(
        coalescing_window(
            Duration::from_secs(2),
            Duration::from_secs(3),
            debounce,
            margin
        ),
        ms(500)
    );
}

/// A keyed structure's rebuild runs beside the steps: while one
/// structure's timer rebuild cannot finish (its lock is held by another
/// session here; at 100x a rebuild takes seconds), the feed's new keys are
/// still stepped within the feed's target.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn a_slow_rebuild_does_not_hold_back_the_other_structures_steps(pool: PgPool) -> Res {
    data::refresher::bring_up_to_date(&pool, data::refresher::CatchUp::Unpopulated).await?;
    let owner = user(&pool, "owner").await?;
    // The validator dashboard's timer is due, and its rebuild will wait.
    sql(
        &pool,
        "UPDATE mv_registry SET last_rebuild_at = now() - interval '1 hour'
          WHERE view_name = 'mv_validator_dashboard'",
    )
    .await?;
    let mut holder = pool.begin().await?;
    sqlx::query(
        "SELECT pg_advisory_xact_lock(hashtextextended('derived:mv_validator_dashboard', 0))",
    )
    .execute(&mut *holder)
    .await?;
    let running = start(&pool, None, fast());
    wait_for(
        &pool,
        "SELECT EXISTS (SELECT 1 FROM pg_stat_activity
                         WHERE wait_event_type = 'Lock' AND query LIKE '%derived_rebuild%')",
        Duration::from_secs(10),
    )
    .await?;
    let p = project(&pool, owner).await?;
    let seen = wait_for(
        &pool,
        &format!("SELECT EXISTS (SELECT 1 FROM mv_feed_projects WHERE id = '{p}')"),
        Duration::from_secs(5),
    )
    .await;
    holder.rollback().await?;
    running.stop().await;
    seen?;
    Ok(())
}
