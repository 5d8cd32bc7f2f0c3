//! The whole derived-data engine under a randomized concurrent workload:
//! several tasks write in parallel across every source table (inserts,
//! updates, deletes, soft deletes and un-deletes, status changes) while a
//! real refresher refreshes the views. Afterwards the reconciler must find
//! no counter that differs from its recomputation, and every view, as the
//! refresher left it, must equal its own defining query.
//!
//! Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test -p data --test workload -- --nocapture`
//! (`WORKLOAD_SEED=<n>` replays the choice of operations.)

mod common;

use std::time::{Duration, Instant};

use anyhow::{ensure, Context};
use common::workload::{run_parallel, Mix};
use common::Res;
use data::reconcile::{run, RunBy, RunOptions, ViewStatus};
use data::refresher::{refresh_now, Refresher, RefresherConfig, TriggeredBy};
use data::seed::{self, SeedOptions};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use uuid::Uuid;

const TASKS: usize = 6;
const OPS_PER_TASK: usize = 1000;
/// Writers share a few users so that their counters are contended.
const HOT_USERS: i64 = 12;

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn concurrent_workload_with_the_refresher_leaves_everything_exact(
    pool_opts: PgPoolOptions,
    connect_opts: PgConnectOptions,
) -> Res {
    let pool = common::wide_pool(pool_opts, connect_opts, TASKS as u32 + 6).await?;
    seed::seed(
        &pool,
        &SeedOptions {
            scale: 0.02,
            seed: 11,
        },
        &|_| {},
    )
    .await
    .context("seed")?;
    let hot: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM users ORDER BY created_at, id LIMIT $1")
            .bind(HOT_USERS)
            .fetch_all(&pool)
            .await?;

    // Tight targets everywhere, so that the catch-up below is quick.
    sqlx::query("UPDATE mv_registry SET staleness_target = interval '2 seconds'")
        .execute(&pool)
        .await?;
    let (stop_refresher, stopped) = tokio::sync::oneshot::channel::<()>();
    let refresher = Refresher::new(
        pool.clone(),
        None,
        RefresherConfig {
            debounce: Duration::from_millis(200),
            poll: Duration::from_millis(50),
            leader_retry: Duration::from_millis(200),
            ..RefresherConfig::default()
        },
    );
    let refresher = tokio::spawn(refresher.run(async move {
        let _ = stopped.await;
    }));

    let log_before: i64 = sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM mv_refresh_log")
        .fetch_one(&pool)
        .await?;
    run_parallel(&pool, TASKS, OPS_PER_TASK, &hot, Mix::Any).await?;
    // The refresher catches up on its own: nothing may stay dirty.
    let caught_up = Instant::now();
    loop {
        let dirty: Vec<String> =
            sqlx::query_scalar("SELECT view_name FROM mv_status WHERE dirty ORDER BY 1")
                .fetch_all(&pool)
                .await?;
        if dirty.is_empty() {
            break;
        }
        ensure!(
            caught_up.elapsed() < Duration::from_secs(60),
            "views still dirty 60 s after the writes: {dirty:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    eprintln!(
        "refresher caught up {:?} after the last write",
        caught_up.elapsed()
    );
    let _ = stop_refresher.send(());
    refresher.await?;

    let (refreshes, failed): (i64, i64) = sqlx::query_as(
        "SELECT count(*), count(*) FILTER (WHERE status = 'failed')
           FROM mv_refresh_log WHERE id > $1",
    )
    .bind(log_before)
    .fetch_one(&pool)
    .await?;
    eprintln!("{refreshes} refreshes for {} writes", TASKS * OPS_PER_TASK);
    ensure!(failed == 0, "{failed} refreshes failed");
    ensure!(refreshes > 0, "the refresher never refreshed");
    // The keyed structures were kept by steps while the writes ran.
    let (keyed, stepped): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT count(*) FROM mv_registry WHERE kind = 'keyed'),
                (SELECT count(DISTINCT view_name) FROM derived_step_stats)",
    )
    .fetch_one(&pool)
    .await?;
    eprintln!("{stepped} of {keyed} keyed structures were stepped");
    ensure!(
        keyed > 0 && stepped == keyed,
        "{stepped} of {keyed} keyed structures were stepped"
    );

    // Views that read the clock may have changed by the passing of time
    // alone; they are refreshed on a timer, here once more by hand.
    let timed: Vec<String> =
        sqlx::query_scalar("SELECT view_name FROM mv_registry WHERE timer IS NOT NULL")
            .fetch_all(&pool)
            .await?;
    for view in &timed {
        ensure!(refresh_now(&pool, view, TriggeredBy::Manual).await?.ok);
    }

    let report = run(
        &pool,
        &RunOptions {
            repair: false,
            views: true,
            triggered_by: RunBy::Test,
            run_by: "workload".into(),
        },
        &|_| (),
    )
    .await?;
    ensure!(
        report.total_differences() == 0,
        "counters drifted:\n{report}"
    );
    for view in &report.views {
        ensure!(
            view.status == ViewStatus::Ok,
            "{} differs from its definition:\n{report}",
            view.view
        );
        ensure!(
            view.rows > 0,
            "{} is empty: the workload does not exercise it",
            view.view
        );
    }
    eprintln!(
        "reconciler: 0 differences in {} tables; {} views equal their definitions",
        report.tables.len(),
        report.views.len()
    );
    Ok(())
}
