//! data::reconcile against real PostgreSQL: a clean database reports
//! nothing; each kind of drift (a wrong counter, a missing row, an extra
//! row, a wrong last message, a wrong proof score) is reported with the
//! right table, column, count and example; a repair fixes all of it and a
//! second run reports nothing.
//!
//! Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test -p data --test reconcile`

mod common;

use common::*;
use data::reconcile::{reconcile, ReconcileReport};
use sqlx::PgPool;
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

#[sqlx::test(migrations = "../migrations")]
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

#[sqlx::test(migrations = "../migrations")]
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

#[sqlx::test(migrations = "../migrations")]
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

#[sqlx::test(migrations = "../migrations")]
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

#[sqlx::test(migrations = "../migrations")]
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
