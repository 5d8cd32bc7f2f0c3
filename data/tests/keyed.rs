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
/// A step deletes the rows of its keys that vanished (`WHERE <key> =
/// ANY (keys)`): without an index led by the key column that is a scan of
/// the whole table per step (the search index's unique index is led by
/// `result_type`: 320 ms per step at 100x before it had one on `id`).
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn every_keyed_structure_has_an_index_led_by_its_key(pool: PgPool) -> Res {
    let missing: Vec<String> = sqlx::query_scalar(
        "SELECT r.view_name FROM mv_registry r
          WHERE r.kind = 'keyed'
            AND NOT EXISTS (
                SELECT 1 FROM pg_index i
                  JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                 WHERE i.indrelid = to_regclass(quote_ident(r.view_name))
                   AND a.attname = r.key_column AND i.indpred IS NULL)
          ORDER BY 1",
    )
    .fetch_all(&pool)
    .await?;
    ensure!(
        missing.is_empty(),
        "no index led by the key column: {missing:?}"
    );
    Ok(())
}

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
    // What applying a changed file does: the view, then its registration.
    exec(
        &pool,
        &format!("CREATE OR REPLACE VIEW mv_feed_projects_def AS {changed}"),
    )
    .await?;
    exec(
        &pool,
        "SELECT derived_register('mv_feed_projects', 'id', ARRAY['id'], interval '2 seconds')",
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

// ------------------------------------------------------- fan-out rules --
//
// One test per write that reaches rows beyond its own: on demo data with
// every keyed structure built, the write runs, then each structure is
// stepped through exactly the keys its triggers logged, and must equal its
// definition. A trigger that forgot a key (a rename not reaching a
// user's projects, a chain rename not reaching its projects' details, a
// badge not reaching the validator's profile) leaves a row that differs.

/// Demo data (scale 0.02: ~100 users, 200 projects, every table filled)
/// with every keyed structure built and its log empty.
async fn seeded_and_settled(pool: &PgPool) -> Res {
    data::seed::seed(
        pool,
        &data::seed::SeedOptions {
            scale: 0.02,
            seed: 5,
        },
        &|_| {},
    )
    .await
    .context("seed")?;
    settle_all(pool).await
}

async fn settle_all(pool: &PgPool) -> Res {
    let keyed: Vec<String> =
        sqlx::query_scalar("SELECT view_name FROM mv_registry WHERE kind = 'keyed' ORDER BY 1")
            .fetch_all(pool)
            .await?;
    ensure!(keyed.len() >= 9, "keyed structures: {keyed:?}");
    for name in &keyed {
        settle(pool, name).await?;
    }
    Ok(())
}

/// Runs `sql` (one or more statements) on settled demo data; checks that
/// it logged keys for each structure in `reaches`, then that stepping
/// those keys leaves every keyed structure equal to its definition.
async fn fan_out(pool: &PgPool, sql: &str, reaches: &[&str]) -> Res {
    seeded_and_settled(pool).await?;
    sqlx::raw_sql(sql)
        .execute(pool)
        .await
        .with_context(|| sql.to_string())?;
    for name in reaches {
        ensure!(
            backlog(pool, name).await? > 0,
            "{sql}\nlogged no key for {name}"
        );
    }
    settle_all(pool).await.with_context(|| sql.to_string())
}

/// A user with projects, given badges, created chains and forum posts.
const BUSY_USER: &str = "(SELECT p.user_id FROM projects p
    WHERE EXISTS (SELECT 1 FROM chains c WHERE c.creator_id = p.user_id)
    ORDER BY (SELECT count(*) FROM projects q WHERE q.user_id = p.user_id) DESC, p.user_id LIMIT 1)";
/// A project with comments, upvotes, a badge and a chain.
const BUSY_PROJECT: &str = "(SELECT p.id FROM projects p
    WHERE NOT p.is_deleted
      AND EXISTS (SELECT 1 FROM validation_badges b WHERE b.project_id = p.id)
      AND EXISTS (SELECT 1 FROM chain_projects cp WHERE cp.project_id = p.id)
      AND EXISTS (SELECT 1 FROM comments c WHERE c.project_id = p.id)
    ORDER BY p.id LIMIT 1)";
const A_CHAIN: &str = "(SELECT c.id FROM chains c WHERE c.is_active AND c.is_public
    AND EXISTS (SELECT 1 FROM chain_projects cp WHERE cp.chain_id = c.id)
    AND EXISTS (SELECT 1 FROM chain_posts p WHERE p.chain_id = c.id)
    ORDER BY c.id LIMIT 1)";
const A_VALIDATOR: &str =
    "(SELECT validator_id FROM validation_badges ORDER BY validator_id LIMIT 1)";
const A_POST: &str = "(SELECT id FROM chain_posts WHERE NOT is_deleted ORDER BY id LIMIT 1)";

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn fan_out_user_rename(pool: PgPool) -> Res {
    let sql = format!("UPDATE users SET username = 'renamed_busy' WHERE id = {BUSY_USER}");
    let all = [
        "mv_feed_projects",
        "mv_project_details",
        "mv_user_profiles",
        "mv_search_index",
        "mv_chains_discovery",
    ];
    fan_out(&pool, &sql, &all).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn fan_out_validator_rename_reaches_badged_projects(pool: PgPool) -> Res {
    let sql = format!("UPDATE users SET username = 'renamed_validator' WHERE id = {A_VALIDATOR}");
    fan_out(
        &pool,
        &sql,
        &["mv_project_details", "mv_validator_dashboard"],
    )
    .await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn fan_out_user_picture_verified_and_bio(pool: PgPool) -> Res {
    let sql = format!(
        "UPDATE users SET profile_image = 'https://example.test/me.png', is_verified = NOT is_verified,
                          bio = 'new bio' WHERE id = {BUSY_USER}"
    );
    fan_out(
        &pool,
        &sql,
        &["mv_feed_projects", "mv_user_profiles", "mv_search_index"],
    )
    .await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn fan_out_user_deactivated_and_back(pool: PgPool) -> Res {
    let sql = format!("UPDATE users SET is_active = FALSE WHERE id = {BUSY_USER}");
    fan_out(&pool, &sql, &["mv_user_profiles", "mv_search_index"]).await?;
    exec(
        &pool,
        &format!("UPDATE users SET is_active = TRUE WHERE is_active = FALSE AND id = {BUSY_USER}"),
    )
    .await?;
    settle_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn fan_out_role_change(pool: PgPool) -> Res {
    let sql = format!("UPDATE users SET role = 'validator' WHERE id = {BUSY_USER}");
    fan_out(&pool, &sql, &["mv_user_profiles", "mv_validator_dashboard"]).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn fan_out_user_hard_delete_without_projects(pool: PgPool) -> Res {
    // Hard delete of a user who commented, voted, followed and asked for
    // intros (cascades into all of those).
    let sql = "DELETE FROM users WHERE id = (SELECT u.id FROM users u
        WHERE NOT EXISTS (SELECT 1 FROM projects p WHERE p.user_id = u.id)
          AND EXISTS (SELECT 1 FROM comments c WHERE c.user_id = u.id)
          AND EXISTS (SELECT 1 FROM upvotes v WHERE v.user_id = u.id)
        ORDER BY u.id LIMIT 1)";
    fan_out(
        &pool,
        sql,
        &["mv_feed_projects", "mv_user_profiles", "mv_search_index"],
    )
    .await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn fan_out_project_soft_delete_and_undelete(pool: PgPool) -> Res {
    let sql = format!(
        "UPDATE projects SET is_deleted = TRUE, deleted_at = now() WHERE id = {BUSY_PROJECT}"
    );
    let all = [
        "mv_feed_projects",
        "mv_project_details",
        "mv_user_profiles",
        "mv_search_index",
        "mv_chains_discovery",
    ];
    fan_out(&pool, &sql, &all).await?;
    exec(&pool, "UPDATE projects SET is_deleted = FALSE, deleted_at = NULL WHERE is_deleted AND deleted_at > now() - interval '1 minute'").await?;
    settle_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn fan_out_project_owner_change(pool: PgPool) -> Res {
    let sql = format!(
        "UPDATE projects SET user_id = (SELECT id FROM users WHERE username = 'demo_builder')
          WHERE id = {BUSY_PROJECT}"
    );
    fan_out(
        &pool,
        &sql,
        &[
            "mv_feed_projects",
            "mv_project_details",
            "mv_user_profiles",
            "mv_search_index",
        ],
    )
    .await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn fan_out_project_hard_delete_with_cascades(pool: PgPool) -> Res {
    let sql = format!("DELETE FROM projects WHERE id = {BUSY_PROJECT}");
    let all = [
        "mv_feed_projects",
        "mv_project_details",
        "mv_user_profiles",
        "mv_search_index",
        "mv_chains_discovery",
    ];
    fan_out(&pool, &sql, &all).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn fan_out_badge_given_and_revoked(pool: PgPool) -> Res {
    let give = format!(
        "INSERT INTO validation_badges (project_id, validator_id, badge_type)
         SELECT {BUSY_PROJECT}, u.id, 'security' FROM users u
          WHERE u.role = 'validator'
            AND NOT EXISTS (SELECT 1 FROM validation_badges b WHERE b.project_id = {BUSY_PROJECT}
                            AND b.validator_id = u.id AND b.badge_type = 'security')
          ORDER BY u.id LIMIT 1"
    );
    let all = [
        "mv_feed_projects",
        "mv_project_details",
        "mv_user_profiles",
        "mv_validator_dashboard",
    ];
    fan_out(&pool, &give, &all).await?;
    exec(
        &pool,
        &format!("DELETE FROM validation_badges WHERE project_id = {BUSY_PROJECT}"),
    )
    .await?;
    for name in all {
        ensure!(
            backlog(&pool, name).await? > 0,
            "revoking logged no key for {name}"
        );
    }
    settle_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn fan_out_chain_rename_private_and_inactive(pool: PgPool) -> Res {
    let sql = format!("UPDATE chains SET name = 'Renamed chain' WHERE id = {A_CHAIN}");
    fan_out(
        &pool,
        &sql,
        &[
            "mv_project_details",
            "mv_search_index",
            "mv_chains_discovery",
        ],
    )
    .await?;
    exec(
        &pool,
        &format!("UPDATE chains SET is_public = FALSE WHERE id = {A_CHAIN}"),
    )
    .await?;
    settle_all(&pool).await?;
    exec(
        &pool,
        "UPDATE chains SET is_active = FALSE WHERE name = 'Renamed chain'",
    )
    .await?;
    settle_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn fan_out_chain_hard_delete_with_cascades(pool: PgPool) -> Res {
    let sql = format!("DELETE FROM chains WHERE id = {A_CHAIN}");
    let all = [
        "mv_project_details",
        "mv_search_index",
        "mv_chains_discovery",
        "mv_chain_posts",
        "mv_user_profiles",
    ];
    fan_out(&pool, &sql, &all).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn fan_out_follow_unfollow_and_chain_projects(pool: PgPool) -> Res {
    let sql = format!(
        "INSERT INTO chain_followers (chain_id, user_id)
         SELECT {A_CHAIN}, u.id FROM users u
          WHERE NOT EXISTS (SELECT 1 FROM chain_followers f WHERE f.chain_id = {A_CHAIN} AND f.user_id = u.id)
          ORDER BY u.id LIMIT 3;
         DELETE FROM chain_projects WHERE chain_id = {A_CHAIN}
            AND project_id = (SELECT project_id FROM chain_projects WHERE chain_id = {A_CHAIN} ORDER BY project_id LIMIT 1);"
    );
    fan_out(
        &pool,
        &sql,
        &[
            "mv_chains_discovery",
            "mv_search_index",
            "mv_user_profiles",
            "mv_project_details",
        ],
    )
    .await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn fan_out_forum_votes_comments_and_soft_delete(pool: PgPool) -> Res {
    let sql = format!(
        "INSERT INTO chain_post_votes (post_id, user_id, is_upvote)
         SELECT {A_POST}, u.id, TRUE FROM users u
          WHERE NOT EXISTS (SELECT 1 FROM chain_post_votes v WHERE v.post_id = {A_POST} AND v.user_id = u.id)
          ORDER BY u.id LIMIT 2;
         INSERT INTO chain_post_comments (post_id, author_id, content)
         SELECT {A_POST}, u.id, 'Agreed' FROM users u ORDER BY u.id LIMIT 1;"
    );
    fan_out(&pool, &sql, &["mv_chain_posts"]).await?;
    exec(
        &pool,
        &format!("UPDATE chain_posts SET is_deleted = TRUE WHERE id = {A_POST}"),
    )
    .await?;
    ensure!(
        backlog(&pool, "mv_chains_discovery").await? > 0,
        "a deleted post changes its chain's counts"
    );
    settle_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn fan_out_investor_approval_and_intros(pool: PgPool) -> Res {
    let sql = "INSERT INTO investor_requests (user_id, status, company_name, approved_at)
               SELECT u.id, 'approved', 'Fan-out Capital', now() FROM users u
                WHERE NOT EXISTS (SELECT 1 FROM investor_requests r WHERE r.user_id = u.id)
                ORDER BY u.id LIMIT 1;
               INSERT INTO intro_requests (investor_id, builder_id, message)
               SELECT r.user_id, p.user_id, 'Hello' FROM investor_requests r, projects p
                WHERE r.company_name = 'Fan-out Capital' AND p.user_id <> r.user_id
                ORDER BY p.id LIMIT 1;";
    fan_out(
        &pool,
        sql,
        &["mv_investors_directory", "mv_investor_dashboard"],
    )
    .await?;
    exec(
        &pool,
        "UPDATE intro_requests SET status = 'approved' WHERE message = 'Hello'",
    )
    .await?;
    exec(&pool, "UPDATE users SET username = 'renamed_investor' WHERE id = (SELECT user_id FROM investor_requests WHERE company_name = 'Fan-out Capital')").await?;
    ensure!(backlog(&pool, "mv_investors_directory").await? > 0);
    settle_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn fan_out_comment_moved_and_deleted(pool: PgPool) -> Res {
    let sql = format!(
        "UPDATE comments SET project_id = (SELECT id FROM projects WHERE NOT is_deleted AND id <> {BUSY_PROJECT} ORDER BY id LIMIT 1)
          WHERE id = (SELECT id FROM comments WHERE project_id = {BUSY_PROJECT} AND parent_id IS NULL
                       AND NOT EXISTS (SELECT 1 FROM comments r WHERE r.parent_id = comments.id) ORDER BY id LIMIT 1);
         DELETE FROM comments WHERE id = (SELECT id FROM comments ORDER BY id LIMIT 1);"
    );
    fan_out(
        &pool,
        &sql,
        &["mv_feed_projects", "mv_project_details", "mv_user_profiles"],
    )
    .await
}
