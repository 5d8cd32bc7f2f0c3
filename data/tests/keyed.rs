//! Keyed structures (data/derived/): the engine's guarantees, and one test
//! per rule of which writes log which keys. Every check ends with the
//! structure equal to its definition (`EXCEPT ALL` both ways), the
//! property the reconciler also checks.

mod common;

use anyhow::{ensure, Context};
use common::*;
use data::refresher::{refresh_now, TriggeredBy};
use sqlx::{Connection, PgPool};
use uuid::Uuid;

/// Rows of `name` not in its definition, and rows of the definition not
/// in `name`.
async fn differences(pool: &PgPool, name: &str) -> Res<(i64, i64)> {
    Ok(sqlx::query_as(&format!(
        "SELECT (SELECT count(*) FROM (SELECT * FROM {name} EXCEPT ALL SELECT * FROM {name}_def) x),
                (SELECT count(*) FROM (SELECT * FROM {name}_def EXCEPT ALL SELECT * FROM {name}) y)"
    ))
    .fetch_one(pool)
    .await?)
}

/// Steps `name` until its log is empty, then checks it equals its
/// definition.
async fn settle(pool: &PgPool, name: &str) -> Res {
    let out = refresh_now(pool, name, TriggeredBy::Manual).await?;
    ensure!(out.ok, "{name}: {:?}", out.error);
    let diff = differences(pool, name).await?;
    ensure!(diff == (0, 0), "{name} differs from {name}_def: {diff:?}");
    Ok(())
}

async fn backlog(pool: &PgPool, name: &str) -> Res<i64> {
    Ok(sqlx::query_scalar("SELECT keys FROM derived_backlog($1)")
        .bind(name)
        .fetch_one(pool)
        .await?)
}

async fn feed_row(pool: &PgPool, project: Uuid) -> Res<Option<(String, i64, i64, i64)>> {
    Ok(sqlx::query_as(
        "SELECT username, upvote_count, badge_count, total_comment_count
           FROM mv_feed_projects WHERE id = $1",
    )
    .bind(project)
    .fetch_optional(pool)
    .await?)
}

/// Every structure is populated and equal to its definition on a new
/// database, and re-applying the files changes nothing.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn keyed_structures_are_built_and_reapplying_them_is_harmless(pool: PgPool) -> Res {
    let u = users(&pool, 3).await?;
    let p = project(&pool, u[0]).await?;
    upvote(&pool, u[1], p, true).await?;
    let keyed: Vec<String> =
        sqlx::query_scalar("SELECT view_name FROM mv_registry WHERE kind = 'keyed' ORDER BY 1")
            .fetch_all(&pool)
            .await?;
    ensure!(keyed.contains(&"mv_feed_projects".to_string()), "{keyed:?}");
    for name in &keyed {
        settle(&pool, name).await?;
    }
    let mut conn = pool.acquire().await?;
    data::db::apply_derived(&mut conn).await?;
    data::db::apply_derived(&mut conn).await?;
    let due: i64 = sqlx::query_scalar("SELECT count(*) FROM mv_status WHERE rebuild_due")
        .fetch_one(&pool)
        .await?;
    ensure!(
        due == 0,
        "re-applying the same files asked for {due} rebuilds"
    );
    ensure!(feed_row(&pool, p).await?.map(|r| r.1) == Some(1));
    Ok(())
}

/// A changed definition makes the structure due for a rebuild, and the
/// rebuild brings the table to the new definition.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn a_changed_definition_is_rebuilt(pool: PgPool) -> Res {
    let u = users(&pool, 1).await?;
    project(&pool, u[0]).await?;
    settle(&pool, "mv_feed_projects").await?;
    // Same columns, different rows: only featured projects.
    let def: String =
        sqlx::query_scalar("SELECT pg_get_viewdef('mv_feed_projects_def'::regclass, true)")
            .fetch_one(&pool)
            .await?;
    let changed = def.trim().trim_end_matches(';').replace(
        "WHERE NOT p.is_deleted",
        "WHERE NOT p.is_deleted AND p.is_featured",
    );
    ensure!(
        changed != def.trim().trim_end_matches(';'),
        "definition text not as expected: {def}"
    );
    exec(
        &pool,
        &format!("CREATE OR REPLACE VIEW mv_feed_projects_def AS {changed}"),
    )
    .await?;
    let due: bool = sqlx::query_scalar(
        "SELECT rebuild_due FROM mv_status WHERE view_name = 'mv_feed_projects'",
    )
    .fetch_one(&pool)
    .await?;
    ensure!(due, "a changed definition must be rebuilt");
    settle(&pool, "mv_feed_projects").await?;
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM mv_feed_projects")
        .fetch_one(&pool)
        .await?;
    ensure!(
        rows == 0,
        "the rebuild kept {rows} rows the new definition has not"
    );
    Ok(())
}

/// The race an append-only log exists for: a writer whose change to a
/// project commits after a step has read that project must not be lost.
/// Writer 1 commits an upvote (logged); writer 2 inserts another and waits
/// before committing; a step runs (it sees writer 1's key, not writer 2's
/// uncommitted one, and writes 1 upvote); writer 2 commits; the next step
/// must write 2.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn a_writer_committing_after_a_step_is_not_lost(pool: PgPool) -> Res {
    let u = users(&pool, 3).await?;
    let p = project(&pool, u[0]).await?;
    settle(&pool, "mv_feed_projects").await?;

    upvote(&pool, u[1], p, true).await?;
    let mut w2 = pool.acquire().await?;
    let mut tx = w2.begin().await?;
    sqlx::query("INSERT INTO upvotes (user_id, project_id, is_upvote) VALUES ($1, $2, TRUE)")
        .bind(u[2])
        .bind(p)
        .execute(&mut *tx)
        .await?;
    let out = refresh_now(&pool, "mv_feed_projects", TriggeredBy::Manual).await?;
    ensure!(out.ok && out.marks_coalesced == 1, "{out:?}");
    ensure!(feed_row(&pool, p).await?.map(|r| r.1) == Some(1));
    tx.commit().await?;

    ensure!(
        backlog(&pool, "mv_feed_projects").await? == 1,
        "writer 2's key must be waiting"
    );
    settle(&pool, "mv_feed_projects").await?;
    ensure!(
        feed_row(&pool, p).await?.map(|r| r.1) == Some(2),
        "writer 2's upvote was lost"
    );
    Ok(())
}

/// A step killed in the middle of its batch (its session terminated before
/// it commits) loses nothing: the keys it took are still logged, the next
/// step rewrites them.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn a_step_killed_mid_batch_loses_no_key(pool: PgPool) -> Res {
    let u = users(&pool, 4).await?;
    let mut projects = Vec::new();
    for _ in 0..5 {
        projects.push(project(&pool, u[0]).await?);
    }
    settle(&pool, "mv_feed_projects").await?;
    for p in &projects {
        upvote(&pool, u[1], *p, true).await?;
        comment(&pool, *p, u[2], None).await?;
    }
    let waiting = backlog(&pool, "mv_feed_projects").await?;
    ensure!(waiting == 10, "{waiting} keys logged for 10 writes");

    let mut victim = pool.acquire().await?.detach();
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut victim)
        .await?;
    sqlx::query("BEGIN").execute(&mut victim).await?;
    let took: i32 = sqlx::query_scalar("SELECT keys FROM derived_step('mv_feed_projects')")
        .fetch_one(&mut victim)
        .await?;
    ensure!(took == 5, "the step took {took} distinct keys");
    let killed: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1, 5000)")
        .bind(pid)
        .fetch_one(&pool)
        .await?;
    ensure!(killed);
    ensure!(
        victim.ping().await.is_err(),
        "the killed session still answers"
    );

    ensure!(
        backlog(&pool, "mv_feed_projects").await? == waiting,
        "keys were lost with the killed step"
    );
    settle(&pool, "mv_feed_projects").await?;
    for p in &projects {
        ensure!(feed_row(&pool, *p).await?.map(|r| (r.1, r.3)) == Some((1, 1)));
    }
    Ok(())
}

/// Writes the feed does not show log nothing (a login's updated_at, a
/// user's bio), and an update that changes nothing logs nothing.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn feed_ignores_writes_it_does_not_show(pool: PgPool) -> Res {
    let u = users(&pool, 1).await?;
    let p = project(&pool, u[0]).await?;
    settle(&pool, "mv_feed_projects").await?;
    exec(
        &pool,
        &format!(
            "UPDATE users SET updated_at = now(), bio = 'new bio' WHERE id = '{}'",
            u[0]
        ),
    )
    .await?;
    exec(
        &pool,
        &format!("UPDATE projects SET title = title WHERE id = '{p}'"),
    )
    .await?;
    ensure!(backlog(&pool, "mv_feed_projects").await? == 0);
    Ok(())
}

/// Fan-out: renaming a user rewrites every one of their projects.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn feed_user_rename_reaches_all_their_projects(pool: PgPool) -> Res {
    let u = users(&pool, 2).await?;
    let mine = [
        project(&pool, u[0]).await?,
        project(&pool, u[0]).await?,
        project(&pool, u[0]).await?,
    ];
    let other = project(&pool, u[1]).await?;
    settle(&pool, "mv_feed_projects").await?;
    exec(
        &pool,
        &format!(
            "UPDATE users SET username = 'renamed_one' WHERE id = '{}'",
            u[0]
        ),
    )
    .await?;
    ensure!(backlog(&pool, "mv_feed_projects").await? == 3);
    settle(&pool, "mv_feed_projects").await?;
    for p in mine {
        ensure!(feed_row(&pool, p).await?.context("row")?.0 == "renamed_one");
    }
    ensure!(feed_row(&pool, other).await?.context("row")?.0 != "renamed_one");
    Ok(())
}

/// Soft delete removes the row, undelete brings it back.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn feed_soft_delete_and_undelete(pool: PgPool) -> Res {
    let u = users(&pool, 1).await?;
    let p = project(&pool, u[0]).await?;
    settle(&pool, "mv_feed_projects").await?;
    soft_delete(&pool, p, true).await?;
    settle(&pool, "mv_feed_projects").await?;
    ensure!(
        feed_row(&pool, p).await?.is_none(),
        "a deleted project stays in the feed"
    );
    soft_delete(&pool, p, false).await?;
    settle(&pool, "mv_feed_projects").await?;
    ensure!(feed_row(&pool, p).await?.is_some());
    Ok(())
}

/// Owner change: the row shows the new owner.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn feed_owner_change(pool: PgPool) -> Res {
    let u = users(&pool, 2).await?;
    let p = project(&pool, u[0]).await?;
    settle(&pool, "mv_feed_projects").await?;
    exec(
        &pool,
        &format!("UPDATE projects SET user_id = '{}' WHERE id = '{p}'", u[1]),
    )
    .await?;
    settle(&pool, "mv_feed_projects").await?;
    let owner: Uuid = sqlx::query_scalar("SELECT user_id FROM mv_feed_projects WHERE id = $1")
        .bind(p)
        .fetch_one(&pool)
        .await?;
    ensure!(owner == u[1]);
    Ok(())
}

/// Hard deletes with cascades: deleting a user removes their projects'
/// rows and the counts their votes, comments and badges gave others.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn feed_hard_delete_with_cascades(pool: PgPool) -> Res {
    let u = users(&pool, 3).await?;
    let theirs = project(&pool, u[0]).await?;
    let kept = project(&pool, u[1]).await?;
    upvote(&pool, u[0], kept, true).await?;
    comment(&pool, kept, u[0], None).await?;
    badge(&pool, kept, u[0], "impact").await?;
    upvote(&pool, u[2], theirs, true).await?;
    settle(&pool, "mv_feed_projects").await?;
    ensure!(feed_row(&pool, kept).await?.map(|r| (r.1, r.2, r.3)) == Some((1, 1, 1)));
    exec(&pool, &format!("DELETE FROM users WHERE id = '{}'", u[0])).await?;
    settle(&pool, "mv_feed_projects").await?;
    ensure!(feed_row(&pool, theirs).await?.is_none());
    ensure!(feed_row(&pool, kept).await?.map(|r| (r.1, r.2, r.3)) == Some((0, 0, 0)));
    hard_delete(&pool, kept).await?;
    settle(&pool, "mv_feed_projects").await?;
    ensure!(feed_row(&pool, kept).await?.is_none());
    Ok(())
}

/// Badges given and revoked; an upvote turned into a downvote; a comment
/// moved to another project: every key touched is rewritten.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn feed_badge_revoke_vote_flip_and_moved_rows(pool: PgPool) -> Res {
    let u = users(&pool, 3).await?;
    let a = project(&pool, u[0]).await?;
    let b = project(&pool, u[0]).await?;
    let badge_id = badge(&pool, a, u[1], "design").await?;
    let vote = upvote(&pool, u[2], a, true).await?;
    let c = comment(&pool, a, u[2], None).await?;
    settle(&pool, "mv_feed_projects").await?;
    ensure!(feed_row(&pool, a).await?.map(|r| (r.1, r.2, r.3)) == Some((1, 1, 1)));
    revoke_badge(&pool, badge_id).await?;
    exec(
        &pool,
        &format!("UPDATE upvotes SET is_upvote = FALSE WHERE id = '{vote}'"),
    )
    .await?;
    exec(
        &pool,
        &format!("UPDATE comments SET project_id = '{b}' WHERE id = '{c}'"),
    )
    .await?;
    settle(&pool, "mv_feed_projects").await?;
    ensure!(feed_row(&pool, a).await?.map(|r| (r.1, r.2, r.3)) == Some((0, 0, 0)));
    ensure!(feed_row(&pool, b).await?.map(|r| r.3) == Some(1));
    Ok(())
}
