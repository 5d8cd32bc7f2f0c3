//! The replaceable schema files of data/derived/ (`data::db::DERIVED`):
//! re-applying them changes no function and no trigger, and after
//! re-applying each Category A file alone (proof_score, user_dashboard_stats,
//! intro_request_stats, message_conversations, notifications) its triggers
//! still do their work. The transitions themselves are tested in
//! realtime_tables.rs and notifications.rs.
//!
//! Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test -p data --test replaceable_schema`

mod common;

use anyhow::{ensure, Context};
use common::*;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

/// Applies `data/derived/<name>.sql` again, as `data::db::apply_derived` does.
async fn reapply(pool: &PgPool, name: &str) -> Res {
    let (_, sql) = data::db::DERIVED
        .iter()
        .find(|(n, _)| *n == name)
        .with_context(|| format!("{name} is not in data::db::DERIVED"))?;
    sqlx::raw_sql(sql).execute(pool).await?;
    Ok(())
}

/// (what, definition) of every function of schema public (name and
/// arguments, `pg_get_functiondef`) and every non-internal trigger (name,
/// table, `pg_get_triggerdef`, whether it is enabled), sorted.
async fn catalog(pool: &PgPool) -> Res<Vec<(String, String)>> {
    Ok(sqlx::query_as(
        "SELECT 'function ' || p.oid::regprocedure::text, pg_get_functiondef(p.oid)
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
          WHERE n.nspname = 'public' AND p.prokind IN ('f', 'p')
         UNION ALL
         SELECT 'trigger ' || t.tgname || ' on ' || t.tgrelid::regclass::text,
                pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
           FROM pg_trigger t WHERE NOT t.tgisinternal
         ORDER BY 1, 2",
    )
    .fetch_all(pool)
    .await?)
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn reapplying_every_derived_file_changes_no_function_or_trigger(pool: PgPool) -> Res {
    let before = catalog(&pool).await?;
    for what in [
        "trigger derived_00_lock_project on validation_badges",
        "trigger derived_10_user_dashboard_stats on users",
        "trigger derived_20_intro_request_stats on intro_requests",
        "trigger derived_30_message_conversations on direct_messages",
        "trigger derived_05_notifications on comments",
        "trigger notify_unread_counts on user_dashboard_stats",
    ] {
        ensure!(before.iter().any(|(w, _)| w == what), "missing {what}");
    }
    let mut tx = pool.begin().await?;
    for (name, sql) in data::db::DERIVED {
        sqlx::raw_sql(sql)
            .execute(&mut *tx)
            .await
            .with_context(|| format!("applying data/derived/{name}.sql"))?;
    }
    tx.commit().await?;
    let after = catalog(&pool).await?;
    let changed: Vec<_> = before
        .iter()
        .filter(|x| !after.contains(x))
        .chain(after.iter().filter(|x| !before.contains(x)))
        .map(|(what, _)| what)
        .collect();
    ensure!(changed.is_empty(), "changed by re-applying: {changed:?}");
    Ok(())
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn proof_score_still_counts_badges_after_reapplying_its_file(pool: PgPool) -> Res {
    reapply(&pool, "proof_score").await?;
    let u = users(&pool, 3).await?;
    let p = project(&pool, u[0]).await?;
    badge(&pool, p, u[1], "impact").await?;
    let design = badge(&pool, p, u[2], "design").await?;
    assert_eq!(proof_score(&pool, p).await?, 15 + 5);
    exec(
        &pool,
        &format!("UPDATE validation_badges SET badge_type = 'security' WHERE id = '{design}'"),
    )
    .await?;
    assert_eq!(proof_score(&pool, p).await?, 15 + 10);
    // A project cannot start with a score of its own.
    let err = sqlx::query("INSERT INTO projects (user_id, title, proof_score) VALUES ($1, 'x', 7)")
        .bind(u[0])
        .execute(&pool)
        .await
        .expect_err("a project inserted with proof_score 7");
    assert_eq!(
        err.as_database_error().and_then(|e| e.code()).as_deref(),
        Some("23514")
    );
    assert_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn user_dashboard_stats_still_counts_after_reapplying_its_file(pool: PgPool) -> Res {
    reapply(&pool, "user_dashboard_stats").await?;
    let u = users(&pool, 2).await?; // the rows are created with the users
    let p = project(&pool, u[0]).await?;
    comment(&pool, p, u[1], None).await?;
    upvote(&pool, u[1], p, true).await?;
    badge(&pool, p, u[1], "impact").await?;
    message(&pool, u[1], u[0], "hi").await?;
    let owner = dash(&pool, u[0]).await?;
    assert_eq!(
        (
            owner.project_count,
            owner.total_proof_score,
            owner.karma_score
        ),
        (1, 15, 16)
    );
    assert_eq!((owner.badges_received, owner.unread_messages), (1, 1));
    let other = dash(&pool, u[1]).await?;
    assert_eq!((other.comment_count, other.badges_given), (1, 1));
    assert_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn intro_request_stats_still_counts_after_reapplying_its_file(pool: PgPool) -> Res {
    reapply(&pool, "intro_request_stats").await?;
    let investor = user(&pool, "investor").await?;
    let builder = user(&pool, "builder").await?;
    let i = intro(&pool, investor, builder).await?;
    assert_eq!(intro_stats(&pool, builder).await?.pending_requests, 1);
    set_intro_status(&pool, i, "approved").await?;
    let b = intro_stats(&pool, builder).await?;
    assert_eq!((b.pending_requests, b.approved_requests), (0, 1));
    let s = intro_stats(&pool, investor).await?;
    assert_eq!((s.sent_requests, s.sent_approved_requests), (1, 1));
    assert_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn message_conversations_still_follows_messages_after_reapplying_its_file(
    pool: PgPool,
) -> Res {
    reapply(&pool, "message_conversations").await?;
    let u = users(&pool, 2).await?;
    let first = message_at(&pool, u[0], u[1], "first", 1).await?;
    let second = message_at(&pool, u[1], u[0], "second", 2).await?;
    let c = conversation(&pool, u[0], u[1])
        .await?
        .context("no conversation")?;
    assert_eq!(
        (c.total_messages, c.unread_count, c.last_message_id),
        (2, 1, second)
    );
    delete_message(&pool, second).await?;
    let c = conversation(&pool, u[1], u[0])
        .await?
        .context("no conversation")?;
    assert_eq!(
        (c.total_messages, c.unread_count, c.last_message_id),
        (1, 1, first)
    );
    assert_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn notifications_still_written_after_reapplying_its_file(pool: PgPool) -> Res {
    reapply(&pool, "notifications").await?;
    let owner = user(&pool, "owner").await?;
    let other = user(&pool, "other").await?;
    let p = project(&pool, owner).await?;
    let c = comment(&pool, p, other, None).await?;
    badge(&pool, p, other, "design").await?;
    let notes: Vec<(String, Option<String>)> =
        sqlx::query_as("SELECT kind, link FROM notifications WHERE user_id = $1 ORDER BY kind")
            .bind(owner)
            .fetch_all(&pool)
            .await?;
    // The badge's link is the current one (the project page itself).
    assert_eq!(
        notes,
        [
            ("badge".to_string(), Some(format!("/p/{p}"))),
            ("comment".to_string(), Some(format!("/p/{p}#comment-{c}"))),
        ]
    );
    assert_eq!(dash(&pool, owner).await?.unread_notifications, 2);
    assert_all(&pool).await
}

/// Re-applying replaces triggers, which locks their tables against writes
/// until the apply commits. An apply waiting behind a long transaction
/// must not hold every writer of the tables it already locked for as long:
/// it gives up after its lock timeout, lets them through, and tries again.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn an_apply_behind_a_long_transaction_lets_other_writers_through(
    pool_opts: PgPoolOptions,
    connect_opts: PgConnectOptions,
) -> Res {
    let pool = wide_pool(pool_opts, connect_opts, 6).await?;
    let owner = user(&pool, "owner").await?;
    let voter = user(&pool, "voter").await?;
    let other = user(&pool, "other").await?;
    let target = project(&pool, owner).await?;
    // A long transaction holding upvotes (a write lock) for 6 s.
    let mut long = pool.begin().await?;
    sqlx::query("INSERT INTO upvotes (user_id, project_id) VALUES ($1, $2)")
        .bind(voter)
        .bind(target)
        .execute(&mut *long)
        .await?;
    let apply = async {
        let mut conn = pool.acquire().await?;
        data::db::apply_derived(&mut conn).await?;
        Res::Ok(())
    };
    let writer = async {
        // By now the apply has locked the tables of the files before the
        // one that waits for upvotes (projects among them).
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        let started = std::time::Instant::now();
        // Another builder's project: nothing the long transaction wrote.
        let bound = std::time::Duration::from_secs(4);
        let inserted = tokio::time::timeout(bound, project(&pool, other)).await;
        let waited = started.elapsed();
        tokio::time::sleep(std::time::Duration::from_secs(6).saturating_sub(waited)).await;
        long.commit().await?;
        ensure!(
            inserted.is_ok(),
            "a project insert still waited behind the apply after {bound:?} (its lock timeout is 2 s)"
        );
        inserted??;
        Res::Ok(())
    };
    let (applied, written) = tokio::join!(apply, writer);
    written?;
    applied?;
    Ok(())
}
