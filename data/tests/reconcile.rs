//! data::reconcile against real PostgreSQL: a clean database reports
//! nothing; each kind of drift (a wrong counter, a missing row, an extra
//! row, a wrong last message, a wrong proof score) is reported with the
//! right table, column, count and example; a repair fixes all of it and a
//! second run reports nothing. Views: a lagging view is stale, a view
//! that misses a write while considered clean is drift; every run is
//! recorded; the schedule runs once across instances.
//!
//! Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test -p data --test reconcile`

mod common;

use std::time::Duration;

use common::*;
use data::reconcile::{
    recent_reports, reconcile, run, schedule, scheduled_once, ReconcileReport, RunBy, RunOptions,
    ScheduleConfig, ViewStatus, SCHEDULE_LOCK_KEY,
};
use data::refresher::{refresh_now, TriggeredBy};
use sqlx::{Connection, PgPool};
use uuid::Uuid;

/// A little of everything: projects with badges and votes, comments,
/// messages both ways, intros, notifications.
async fn populate(pool: &PgPool) -> Res<Vec<Uuid>> {
    let u = users(pool, 4).await?;
    let p = project(pool, u[0]).await?;
    let q = project(pool, u[1]).await?;
    badge(pool, p, u[2], "impact").await?;
    badge(pool, q, u[2], "design").await?;
    upvote(pool, u[1], p, true).await?;
    upvote(pool, u[3], p, false).await?;
    comment(pool, p, u[3], None).await?;
    message_at(pool, u[0], u[1], "one", 1).await?;
    message_at(pool, u[1], u[0], "two", 2).await?;
    message_at(pool, u[2], u[3], "three", 3).await?;
    let i = intro(pool, u[3], u[0]).await?;
    set_intro_status(pool, i, "approved").await?;
    notification(pool, u[0]).await?;
    Ok(u)
}

fn column_rows(report: &ReconcileReport, table: &str, column: &str) -> u64 {
    report
        .table(table)
        .and_then(|t| t.column(column))
        .map_or(0, |c| c.rows)
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn clean_database_reports_zero(pool: PgPool) -> Res {
    let report = reconcile(&pool, false).await?;
    assert_eq!(report.total_differences(), 0, "{report}");
    populate(&pool).await?;
    let report = reconcile(&pool, false).await?;
    assert_eq!(report.total_differences(), 0, "{report}");
    assert!(!report.repaired);
    let names: Vec<&str> = report.tables.iter().map(|t| t.table.as_str()).collect();
    assert_eq!(
        names,
        [
            "projects",
            "user_dashboard_stats",
            "intro_request_stats",
            "message_conversations_denorm"
        ]
    );
    let dash = report.table("user_dashboard_stats").unwrap();
    assert_eq!((dash.expected_rows, dash.stored_rows), (4, 4));
    // With nothing to repair, repair mode changes nothing.
    let report = reconcile(&pool, true).await?;
    assert!(!report.repaired);
    Ok(())
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn a_corrupted_counter_is_reported_with_table_column_and_count(pool: PgPool) -> Res {
    let u = populate(&pool).await?;
    exec(&pool, &format!("UPDATE user_dashboard_stats SET comment_count = comment_count + 3 WHERE user_id = '{}'", u[3])).await?;
    exec(
        &pool,
        "UPDATE user_dashboard_stats SET karma_score = karma_score + 1",
    )
    .await?;
    let report = reconcile(&pool, false).await?;
    assert_eq!(report.total_differences(), 1 + 4, "{report}");
    let dash = report.table("user_dashboard_stats").unwrap();
    assert_eq!((dash.missing_rows, dash.extra_rows), (0, 0));
    let comments = dash
        .column("comment_count")
        .expect("comment_count reported");
    assert_eq!(comments.rows, 1);
    let example = &comments.examples[0];
    assert_eq!(example.key, u[3].to_string());
    assert_eq!(
        (example.stored.as_deref(), example.expected.as_deref()),
        (Some("4"), Some("1"))
    );
    let karma = dash.column("karma_score").expect("karma_score reported");
    assert_eq!((karma.rows, karma.examples.len()), (4, 4));
    // Only that table drifted.
    for other in [
        "projects",
        "intro_request_stats",
        "message_conversations_denorm",
    ] {
        assert_eq!(report.table(other).unwrap().differences(), 0, "{other}");
    }
    // A check-only run repairs nothing.
    assert_eq!(reconcile(&pool, false).await?.total_differences(), 5);
    Ok(())
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn examples_are_capped(pool: PgPool) -> Res {
    users(&pool, 8).await?;
    exec(
        &pool,
        "UPDATE user_dashboard_stats SET unread_notifications = 2",
    )
    .await?;
    let report = reconcile(&pool, false).await?;
    let col = report
        .table("user_dashboard_stats")
        .unwrap()
        .column("unread_notifications")
        .unwrap();
    assert_eq!(
        (col.rows, col.examples.len()),
        (8, data::reconcile::EXAMPLES)
    );
    Ok(())
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn every_kind_of_drift_is_reported_and_repaired(pool: PgPool) -> Res {
    let u = populate(&pool).await?;
    // missing row, extra row, wrong last message, wrong unread, wrong proof score
    exec(
        &pool,
        &format!("DELETE FROM intro_request_stats WHERE user_id = '{}'", u[0]),
    )
    .await?;
    exec(
        &pool,
        &format!(
            "DELETE FROM user_dashboard_stats WHERE user_id = '{}'",
            u[2]
        ),
    )
    .await?;
    exec(
        &pool,
        &format!(
            "INSERT INTO message_conversations_denorm
               (user_id, other_user_id, last_message_id, last_message_text, last_message_time,
                last_sender_id, unread_count, total_messages)
             VALUES ('{a}', '{b}', gen_random_uuid(), 'ghost', now(), '{a}', 0, 1)",
            a = u[0],
            b = u[3]
        ),
    )
    .await?;
    exec(&pool, "UPDATE message_conversations_denorm SET last_message_text = 'stale' WHERE last_message_text = 'two'").await?;
    exec(
        &pool,
        &format!(
            "UPDATE message_conversations_denorm SET unread_count = 0 WHERE user_id = '{}'",
            u[3]
        ),
    )
    .await?;
    // proof_score written directly: the projects trigger carries it to the owner
    exec(
        &pool,
        &format!(
            "UPDATE projects SET proof_score = proof_score + 5 WHERE user_id = '{}'",
            u[0]
        ),
    )
    .await?;

    let report = reconcile(&pool, false).await?;
    let intro = report.table("intro_request_stats").unwrap();
    assert_eq!(
        (intro.missing_rows, intro.missing_examples.clone()),
        (1, vec![u[0].to_string()])
    );
    let stats = report.table("user_dashboard_stats").unwrap();
    assert_eq!(stats.missing_rows, 1);
    let conv = report.table("message_conversations_denorm").unwrap();
    assert_eq!(conv.extra_rows, 1);
    assert_eq!(conv.extra_examples, vec![format!("{}/{}", u[0], u[3])]);
    assert_eq!(
        column_rows(&report, "message_conversations_denorm", "last_message_text"),
        2
    );
    assert_eq!(
        column_rows(&report, "message_conversations_denorm", "unread_count"),
        1
    );
    assert_eq!(column_rows(&report, "projects", "proof_score"), 1);
    let proof = report
        .table("projects")
        .unwrap()
        .column("proof_score")
        .unwrap();
    assert_eq!(
        (
            proof.examples[0].stored.as_deref(),
            proof.examples[0].expected.as_deref()
        ),
        (Some("20"), Some("15"))
    );
    // The dashboard followed the stored proof score; the definition did not.
    assert_eq!(
        column_rows(&report, "user_dashboard_stats", "total_proof_score"),
        1
    );
    assert_eq!(
        column_rows(&report, "user_dashboard_stats", "karma_score"),
        1
    );
    let found = report.total_differences();
    assert_eq!(found, 1 + 1 + 1 + 2 + 1 + 1 + 1 + 1, "{report}");

    let repaired = reconcile(&pool, true).await?;
    assert!(repaired.repaired);
    assert_eq!(
        repaired.total_differences(),
        found,
        "a repair reports what it found"
    );
    assert!(repaired
        .tables
        .iter()
        .all(|t| (t.differences() > 0) == (t.repaired_rows > 0)));

    let again = reconcile(&pool, false).await?;
    assert_eq!(again.total_differences(), 0, "{again}");
    // The repaired rows agree with the independent recomputation too, and
    // the triggers carry on from the repaired values.
    assert_all(&pool).await?;
    message(&pool, u[3], u[0], "after repair").await?;
    let fresh = project(&pool, u[2]).await?;
    badge(&pool, fresh, u[1], "security").await?;
    upvote(&pool, u[0], fresh, true).await?;
    assert_eq!(dash(&pool, u[2]).await?.karma_score, 11);
    assert_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn report_serializes_for_the_admin_page(pool: PgPool) -> Res {
    let u = populate(&pool).await?;
    exec(
        &pool,
        &format!(
            "UPDATE user_dashboard_stats SET unread_messages = 9 WHERE user_id = '{}'",
            u[0]
        ),
    )
    .await?;
    let report = reconcile(&pool, false).await?;
    let json = serde_json::to_value(&report)?;
    let tables = json["tables"].as_array().unwrap();
    let dash = tables
        .iter()
        .find(|t| t["table"] == "user_dashboard_stats")
        .unwrap();
    assert_eq!(dash["columns"][0]["column"], "unread_messages");
    assert_eq!(dash["columns"][0]["examples"][0]["stored"], "9");
    assert!(
        report.to_string().contains("unread_messages: 1 row(s)"),
        "{report}"
    );
    Ok(())
}

// ------------------------------------------------ views, log, schedule --

fn opts(views: bool) -> RunOptions {
    RunOptions {
        repair: false,
        views,
        triggered_by: RunBy::Test,
        run_by: "test".into(),
    }
}

async fn refresh_every_view(pool: &PgPool) -> Res {
    let views: Vec<String> =
        sqlx::query_scalar("SELECT view_name FROM mv_registry ORDER BY view_name")
            .fetch_all(pool)
            .await?;
    for v in views {
        let outcome = refresh_now(pool, &v, TriggeredBy::Manual).await?;
        assert!(outcome.ok, "refresh of {v} failed: {:?}", outcome.error);
    }
    Ok(())
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn run_compares_every_view_and_records_the_report(pool: PgPool) -> Res {
    // Every structure built (keyed ones start unpopulated), then writes.
    refresh_every_view(&pool).await?;
    populate(&pool).await?;
    // Written but not refreshed: the views lag, which is allowed.
    let report = run(&pool, &opts(true), &|_| ()).await?;
    let registered: i64 = sqlx::query_scalar("SELECT count(*) FROM mv_registry")
        .fetch_one(&pool)
        .await?;
    assert_eq!(report.views.len() as i64, registered);
    let feed = report.view("mv_feed_projects").expect("feed compared");
    assert_eq!(feed.status, ViewStatus::Stale, "{report}");
    assert!(feed.dirty && feed.missing_rows > 0, "{report}");
    assert_eq!(report.views_drifted(), 0, "{report}");

    refresh_every_view(&pool).await?;
    let progress = std::sync::Mutex::new(Vec::new());
    let report = run(&pool, &opts(true), &|p| {
        progress
            .lock()
            .unwrap()
            .push((p.done, p.total, p.step.to_string()))
    })
    .await?;
    for v in &report.views {
        assert_eq!(v.status, ViewStatus::Ok, "{report}");
        assert!(!v.dirty);
    }
    assert!(report.is_clean());
    assert!(report.view("mv_feed_projects").unwrap().rows == 2);
    // One progress call per table and view, then the end.
    let progress = progress.into_inner().unwrap();
    let total = report.tables.len() + report.views.len();
    assert_eq!(progress.len(), total + 1);
    assert!(progress.iter().all(|(_, t, _)| *t == total));
    assert_eq!(progress[0].2, "projects");
    assert_eq!(progress.last().unwrap().0, total);

    let logged = recent_reports(&pool, 10).await?;
    assert_eq!(logged.len(), 2, "both runs are recorded");
    assert_eq!(logged[0].triggered_by, "test");
    assert_eq!(logged[0].report.views.len(), report.views.len());
    assert!(logged[0].report.is_clean());
    let (diffs, drifted): (i64, Option<i32>) = sqlx::query_as(
        "SELECT table_differences, views_drifted FROM reconcile_log ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&pool)
    .await?;
    assert_eq!((diffs, drifted), (0, Some(0)));
    Ok(())
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn a_view_that_misses_a_write_while_clean_is_drift(pool: PgPool) -> Res {
    let u = populate(&pool).await?;
    refresh_every_view(&pool).await?;
    // A write whose mark is lost: the refresher believes the view is clean.
    exec(
        &pool,
        "ALTER TABLE upvotes DISABLE TRIGGER mv_feed_projects_mark",
    )
    .await?;
    let p: Uuid = sqlx::query_scalar("SELECT id FROM projects WHERE user_id = $1")
        .bind(u[0])
        .fetch_one(&pool)
        .await?;
    upvote(&pool, u[2], p, true).await?;
    exec(
        &pool,
        "ALTER TABLE upvotes ENABLE TRIGGER mv_feed_projects_mark",
    )
    .await?;

    let report = run(&pool, &opts(true), &|_| ()).await?;
    let feed = report.view("mv_feed_projects").unwrap();
    assert_eq!(feed.status, ViewStatus::Drift, "{report}");
    assert_eq!((feed.extra_rows, feed.missing_rows), (1, 1), "{report}");
    assert!(
        feed.extra_examples[0].contains(&p.to_string()),
        "the example names the row: {:?}",
        feed.extra_examples
    );
    assert!(report.views_drifted() >= 1);
    assert!(!report.is_clean());
    assert_eq!(report.total_differences(), 0, "the counters are right");
    let text = report.to_string();
    assert!(
        text.contains("DRIFT") && text.contains("mv_feed_projects"),
        "{text}"
    );
    let drifted: Option<i32> =
        sqlx::query_scalar("SELECT views_drifted FROM reconcile_log ORDER BY id DESC LIMIT 1")
            .fetch_one(&pool)
            .await?;
    assert!(drifted >= Some(1));

    // A repair run rebuilds a drifted structure from its definition.
    let mut repair = opts(true);
    repair.repair = true;
    let report = run(&pool, &repair, &|_| ()).await?;
    assert!(report.view("mv_feed_projects").unwrap().rebuilt, "{report}");
    assert!(report.to_string().contains("rebuilt from its definition"));
    let report = run(&pool, &opts(true), &|_| ()).await?;
    assert_eq!(
        report.view("mv_feed_projects").unwrap().status,
        ViewStatus::Ok,
        "{report}"
    );
    Ok(())
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn run_repairs_counters_and_says_so(pool: PgPool) -> Res {
    let u = populate(&pool).await?;
    exec(
        &pool,
        &format!(
            "UPDATE user_dashboard_stats SET comment_count = 40 WHERE user_id = '{}'",
            u[3]
        ),
    )
    .await?;
    let mut o = opts(false);
    o.repair = true;
    let report = run(&pool, &o, &|_| ()).await?;
    assert!(report.repaired);
    assert_eq!(
        column_rows(&report, "user_dashboard_stats", "comment_count"),
        1
    );
    assert!(report.views.is_empty());
    let report = run(&pool, &opts(false), &|_| ()).await?;
    assert_eq!(report.total_differences(), 0, "{report}");
    let (repaired, drifted): (bool, Option<i32>) =
        sqlx::query_as("SELECT repaired, views_drifted FROM reconcile_log ORDER BY id LIMIT 1")
            .fetch_one(&pool)
            .await?;
    assert!(repaired);
    assert_eq!(drifted, None, "views were not compared");
    Ok(())
}

fn schedule_cfg(every: Duration) -> ScheduleConfig {
    ScheduleConfig {
        every,
        repair: false,
        views: false,
        instance_id: "test".into(),
    }
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn a_scheduled_run_happens_once_across_instances(pool: PgPool) -> Res {
    populate(&pool).await?;
    let cfg = schedule_cfg(Duration::from_secs(3600));
    // Another instance is running one right now: skip.
    let mut other = sqlx::PgConnection::connect_with(&pool.connect_options()).await?;
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(SCHEDULE_LOCK_KEY)
        .execute(&mut other)
        .await?;
    assert!(scheduled_once(&pool, &cfg).await?.is_none());
    other.close().await?;
    // Nobody ran one recently: run.
    let report = scheduled_once(&pool, &cfg).await?.expect("a run");
    assert_eq!(report.total_differences(), 0);
    // It ran a moment ago (on any instance): skip until half the interval has passed.
    assert!(scheduled_once(&pool, &cfg).await?.is_none());
    let runs: i64 =
        sqlx::query_scalar("SELECT count(*) FROM reconcile_log WHERE triggered_by = 'schedule'")
            .fetch_one(&pool)
            .await?;
    assert_eq!(runs, 1);
    Ok(())
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn the_schedule_runs_until_shut_down(pool: PgPool) -> Res {
    populate(&pool).await?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let task = tokio::spawn(schedule(
        pool.clone(),
        schedule_cfg(Duration::from_millis(300)),
        async move {
            let _ = stopped.await;
        },
    ));
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    loop {
        let runs: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM reconcile_log WHERE triggered_by = 'schedule'",
        )
        .fetch_one(&pool)
        .await?;
        if runs >= 2 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "only {runs} scheduled run(s) in 20 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.send(()).ok();
    tokio::time::timeout(Duration::from_secs(10), task).await??;
    Ok(())
}
