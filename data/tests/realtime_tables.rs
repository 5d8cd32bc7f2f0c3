//! The Category A tables against real PostgreSQL: one test per transition
//! each trigger must handle, one regression test per way a counter could
//! go wrong (each fails on triggers with that defect), and a randomized concurrent workload after which every
//! counter must equal its recomputation.
//!
//! Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test -p data --test realtime_tables`

mod common;

use std::borrow::Cow;
use std::path::Path;
use std::time::{Duration, Instant};

use anyhow::ensure;
use common::workload::{run_parallel, Mix};
use common::*;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use uuid::Uuid;

// ------------------------------------------------------ proof score rule --

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn badge_weights_are_the_documented_ones(pool: PgPool) -> Res {
    let weights: Vec<(String, i32)> = sqlx::query_as(
        "SELECT t, badge_weight(t) FROM unnest(ARRAY['code_quality','innovation','impact','design','security']) t",
    )
    .fetch_all(&pool)
    .await?;
    let expected = [
        ("code_quality", 10),
        ("innovation", 10),
        ("impact", 15),
        ("design", 5),
        ("security", 10),
    ];
    for ((name, w), (ename, ew)) in weights.iter().zip(expected) {
        assert_eq!((name.as_str(), *w), (ename, ew));
    }
    let unknown: Option<i32> = sqlx::query_scalar("SELECT badge_weight('charisma')")
        .fetch_one(&pool)
        .await?;
    assert_eq!(
        unknown, None,
        "an unknown type has no weight (and fails the NOT NULL)"
    );
    Ok(())
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn proof_score_follows_badge_insert_delete_and_update(pool: PgPool) -> Res {
    let u = users(&pool, 3).await?;
    let (owner, v1, v2) = (u[0], u[1], u[2]);
    let p = project(&pool, owner).await?;
    let q = project(&pool, owner).await?;
    let b1 = badge(&pool, p, v1, "impact").await?;
    let _b2 = badge(&pool, p, v2, "design").await?;
    assert_eq!(proof_score(&pool, p).await?, 20);

    // badge_type change
    exec(
        &pool,
        &format!("UPDATE validation_badges SET badge_type = 'security' WHERE id = '{b1}'"),
    )
    .await?;
    assert_eq!(proof_score(&pool, p).await?, 15);
    // project change: moves the weight
    exec(
        &pool,
        &format!("UPDATE validation_badges SET project_id = '{q}' WHERE id = '{b1}'"),
    )
    .await?;
    assert_eq!(
        (proof_score(&pool, p).await?, proof_score(&pool, q).await?),
        (5, 10)
    );
    // delete
    revoke_badge(&pool, b1).await?;
    assert_eq!(proof_score(&pool, q).await?, 0);
    assert_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn inserting_a_project_with_a_proof_score_is_refused(pool: PgPool) -> Res {
    let owner = user(&pool, "owner").await?;
    let err =
        sqlx::query("INSERT INTO projects (user_id, title, proof_score) VALUES ($1, 'x', 50)")
            .bind(owner)
            .execute(&pool)
            .await
            .expect_err("a derived column cannot be written on insert");
    let db = err.as_database_error().expect("database error");
    assert_eq!(db.code().as_deref(), Some("23514"));
    assert_all(&pool).await
}

// ------------------------------------------- user_dashboard_stats: projects --

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn project_insert_counts_and_is_active(pool: PgPool) -> Res {
    let owner = user(&pool, "owner").await?;
    project(&pool, owner).await?;
    project(&pool, owner).await?;
    let d = dash(&pool, owner).await?;
    assert_eq!((d.project_count, d.active_projects), (2, 2));
    assert_all(&pool).await
}

/// A project with badges (20 points) and 2 upvotes + 1 downvote, owned by
/// `owner`; returns the project.
async fn scored_project(pool: &PgPool, owner: Uuid, others: &[Uuid]) -> Res<Uuid> {
    let p = project(pool, owner).await?;
    badge(pool, p, others[0], "impact").await?;
    badge(pool, p, others[1], "design").await?;
    upvote(pool, others[0], p, true).await?;
    upvote(pool, others[1], p, true).await?;
    upvote(pool, others[2], p, false).await?;
    Ok(p)
}

/// A user's (project_count, active_projects, total_proof_score,
/// badges_received, karma_score): what their projects carry.
async fn project_numbers(pool: &PgPool, user: Uuid) -> Res<(i32, i32, i32, i32, i32)> {
    let d = dash(pool, user).await?;
    Ok((
        d.project_count,
        d.active_projects,
        d.total_proof_score,
        d.badges_received,
        d.karma_score,
    ))
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn project_soft_delete_removes_its_share(pool: PgPool) -> Res {
    let u = users(&pool, 4).await?;
    let p = scored_project(&pool, u[0], &u[1..]).await?;
    let d = dash(&pool, u[0]).await?;
    assert_eq!(
        (d.total_proof_score, d.badges_received, d.karma_score),
        (20, 2, 22)
    );
    soft_delete(&pool, p, true).await?;
    assert_eq!(project_numbers(&pool, u[0]).await?, (1, 0, 0, 0, 0));
    assert_eq!(
        dash(&pool, u[1]).await?.badges_given,
        1,
        "badges given stay with the validator"
    );
    assert_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn project_undelete_restores_its_share(pool: PgPool) -> Res {
    let u = users(&pool, 5).await?;
    let p = scored_project(&pool, u[0], &u[1..4]).await?;
    soft_delete(&pool, p, true).await?;
    // Activity while deleted is counted once the project is back.
    upvote(&pool, u[4], p, true).await?;
    soft_delete(&pool, p, false).await?;
    assert_eq!(project_numbers(&pool, u[0]).await?, (1, 1, 20, 2, 23));
    assert_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn project_hard_delete_removes_everything_it_carried(pool: PgPool) -> Res {
    let u = users(&pool, 4).await?;
    let p = scored_project(&pool, u[0], &u[1..]).await?;
    let keep = project(&pool, u[0]).await?;
    let c = comment(&pool, p, u[1], None).await?;
    comment(&pool, p, u[2], Some(c)).await?;
    comment(&pool, keep, u[1], None).await?;
    hard_delete(&pool, p).await?;
    assert_eq!(project_numbers(&pool, u[0]).await?, (1, 1, 0, 0, 0));
    assert_eq!(dash(&pool, u[1]).await?.comment_count, 1);
    assert_eq!(dash(&pool, u[1]).await?.badges_given, 0);
    assert_eq!(dash(&pool, u[2]).await?.comment_count, 0);
    assert_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn project_hard_delete_of_a_soft_deleted_project(pool: PgPool) -> Res {
    let u = users(&pool, 4).await?;
    let p = scored_project(&pool, u[0], &u[1..]).await?;
    soft_delete(&pool, p, true).await?;
    hard_delete(&pool, p).await?;
    // Only the notifications of the badges (real events) remain.
    assert_eq!(
        dash(&pool, u[0]).await?,
        Dash {
            unread_notifications: 2,
            ..Dash::default()
        }
    );
    assert_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn project_owner_change_moves_its_share(pool: PgPool) -> Res {
    let u = users(&pool, 5).await?;
    let p = scored_project(&pool, u[0], &u[1..4]).await?;
    exec(
        &pool,
        &format!("UPDATE projects SET user_id = '{}' WHERE id = '{p}'", u[4]),
    )
    .await?;
    // The badge notifications stay with the owner who received them.
    assert_eq!(
        dash(&pool, u[0]).await?,
        Dash {
            unread_notifications: 2,
            ..Dash::default()
        }
    );
    let d = dash(&pool, u[4]).await?;
    assert_eq!(
        (
            d.project_count,
            d.active_projects,
            d.total_proof_score,
            d.karma_score
        ),
        (1, 1, 20, 22)
    );
    // Owner change of a soft-deleted project moves only the count.
    soft_delete(&pool, p, true).await?;
    exec(
        &pool,
        &format!("UPDATE projects SET user_id = '{}' WHERE id = '{p}'", u[0]),
    )
    .await?;
    assert_eq!(
        (
            dash(&pool, u[0]).await?.project_count,
            dash(&pool, u[4]).await?.project_count
        ),
        (1, 0)
    );
    assert_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn proof_score_change_reaches_total_and_karma(pool: PgPool) -> Res {
    let owner = user(&pool, "owner").await?;
    let p = project(&pool, owner).await?;
    // A direct write (not through badges) still moves the owner's counters,
    // and the reconciler reports the proof score itself as drift.
    exec(
        &pool,
        &format!("UPDATE projects SET proof_score = 7 WHERE id = '{p}'"),
    )
    .await?;
    let d = dash(&pool, owner).await?;
    assert_eq!((d.total_proof_score, d.karma_score), (7, 7));
    let report = data::reconcile::reconcile(&pool, false).await?;
    assert_eq!(
        report
            .table("projects")
            .unwrap()
            .column("proof_score")
            .unwrap()
            .rows,
        1
    );
    Ok(())
}

// ------------------------------------------- user_dashboard_stats: comments --

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn comment_insert_delete_and_author_change(pool: PgPool) -> Res {
    let u = users(&pool, 3).await?;
    let p = project(&pool, u[0]).await?;
    let c1 = comment(&pool, p, u[1], None).await?;
    let c2 = comment(&pool, p, u[1], Some(c1)).await?;
    assert_eq!(dash(&pool, u[1]).await?.comment_count, 2);
    exec(
        &pool,
        &format!("UPDATE comments SET user_id = '{}' WHERE id = '{c2}'", u[2]),
    )
    .await?;
    assert_eq!(
        (
            dash(&pool, u[1]).await?.comment_count,
            dash(&pool, u[2]).await?.comment_count
        ),
        (1, 1)
    );
    // Deleting the parent cascades to the reply.
    exec(&pool, &format!("DELETE FROM comments WHERE id = '{c1}'")).await?;
    assert_eq!(
        (
            dash(&pool, u[1]).await?.comment_count,
            dash(&pool, u[2]).await?.comment_count
        ),
        (0, 0)
    );
    assert_all(&pool).await
}

// ------------------------------------------- user_dashboard_stats: badges --

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn badge_insert_delete_and_update(pool: PgPool) -> Res {
    let u = users(&pool, 4).await?;
    let p = project(&pool, u[0]).await?;
    let q = project(&pool, u[3]).await?;
    let b = badge(&pool, p, u[1], "innovation").await?;
    assert_eq!(
        (
            dash(&pool, u[1]).await?.badges_given,
            dash(&pool, u[0]).await?.badges_received
        ),
        (1, 1)
    );
    assert_eq!(dash(&pool, u[0]).await?.karma_score, 10);

    // validator change
    exec(
        &pool,
        &format!(
            "UPDATE validation_badges SET validator_id = '{}' WHERE id = '{b}'",
            u[2]
        ),
    )
    .await?;
    assert_eq!(
        (
            dash(&pool, u[1]).await?.badges_given,
            dash(&pool, u[2]).await?.badges_given
        ),
        (0, 1)
    );
    // type change: count unchanged, score moves
    exec(
        &pool,
        &format!("UPDATE validation_badges SET badge_type = 'impact' WHERE id = '{b}'"),
    )
    .await?;
    let d = dash(&pool, u[0]).await?;
    assert_eq!(
        (d.badges_received, d.total_proof_score, d.karma_score),
        (1, 15, 15)
    );
    // project change: the badge moves to another owner
    exec(
        &pool,
        &format!("UPDATE validation_badges SET project_id = '{q}' WHERE id = '{b}'"),
    )
    .await?;
    assert_eq!(
        dash(&pool, u[0]).await?,
        Dash {
            project_count: 1,
            active_projects: 1,
            // The award's notification.
            unread_notifications: 1,
            ..Dash::default()
        }
    );
    let d = dash(&pool, u[3]).await?;
    assert_eq!(
        (d.badges_received, d.total_proof_score, d.karma_score),
        (1, 15, 15)
    );
    // delete
    revoke_badge(&pool, b).await?;
    assert_eq!(
        (
            dash(&pool, u[3]).await?.badges_received,
            dash(&pool, u[2]).await?.badges_given
        ),
        (0, 0)
    );
    assert_all(&pool).await
}

/// Found by the randomized workload: a badge insert used to lock its
/// project only in its AFTER triggers, after its unique index entry existed,
/// so a re-type (project locked first, as the writers' rule says) to the
/// same (project, validator, type) key and the insert waited for each other.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn badge_insert_and_retype_to_the_same_key_do_not_deadlock(pool: PgPool) -> Res {
    let u = users(&pool, 3).await?;
    let p = project(&pool, u[0]).await?;
    let other = badge(&pool, p, u[1], "design").await?;

    // The re-type, following the rule: the project first.
    let mut retype = pool.begin().await?;
    sqlx::query("SELECT 1 FROM projects WHERE id = $1 FOR NO KEY UPDATE")
        .bind(p)
        .execute(&mut *retype)
        .await?;
    // Meanwhile the same validator awards the same type to the same project.
    let insert = {
        let pool = pool.clone();
        let (p, v) = (p, u[1]);
        tokio::spawn(async move { badge(&pool, p, v, "impact").await })
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let retyped = sqlx::query("UPDATE validation_badges SET badge_type = 'impact' WHERE id = $1")
        .bind(other)
        .execute(&mut *retype)
        .await;
    ensure!(retyped.is_ok(), "the re-type failed: {retyped:?}");
    retype.commit().await?;
    let inserted = insert.await?;
    let err = inserted.expect_err("the same key twice cannot both commit");
    let code = err
        .downcast_ref::<sqlx::Error>()
        .and_then(|e| e.as_database_error())
        .and_then(|d| d.code())
        .map(|c| c.to_string());
    assert_eq!(
        code.as_deref(),
        Some("23505"),
        "a unique violation, not a deadlock: {err:#}"
    );
    assert_eq!(proof_score(&pool, p).await?, 15);
    assert_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn badge_on_a_soft_deleted_project_counts_only_as_given(pool: PgPool) -> Res {
    let u = users(&pool, 2).await?;
    let p = project(&pool, u[0]).await?;
    soft_delete(&pool, p, true).await?;
    badge(&pool, p, u[1], "security").await?;
    assert_eq!(proof_score(&pool, p).await?, 10);
    assert_eq!(
        (
            dash(&pool, u[0]).await?.badges_received,
            dash(&pool, u[0]).await?.total_proof_score
        ),
        (0, 0)
    );
    assert_eq!(dash(&pool, u[1]).await?.badges_given, 1);
    assert_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn validator_badging_own_project_counts_both_ways(pool: PgPool) -> Res {
    let me = user(&pool, "selfie").await?;
    let p = project(&pool, me).await?;
    let b = badge(&pool, p, me, "design").await?;
    let d = dash(&pool, me).await?;
    assert_eq!(
        (d.badges_given, d.badges_received, d.karma_score),
        (1, 1, 5)
    );
    revoke_badge(&pool, b).await?;
    assert_eq!(dash(&pool, me).await?.karma_score, 0);
    assert_all(&pool).await
}

// ------------------------------------------- user_dashboard_stats: upvotes --

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn upvote_insert_delete_and_flip(pool: PgPool) -> Res {
    let u = users(&pool, 3).await?;
    let p = project(&pool, u[0]).await?;
    let up = upvote(&pool, u[1], p, true).await?;
    let down = upvote(&pool, u[2], p, false).await?;
    assert_eq!(
        dash(&pool, u[0]).await?.karma_score,
        1,
        "a downvote does not count"
    );
    exec(
        &pool,
        &format!("UPDATE upvotes SET is_upvote = true WHERE id = '{down}'"),
    )
    .await?;
    assert_eq!(dash(&pool, u[0]).await?.karma_score, 2);
    exec(
        &pool,
        &format!("UPDATE upvotes SET is_upvote = false WHERE id = '{up}'"),
    )
    .await?;
    assert_eq!(dash(&pool, u[0]).await?.karma_score, 1);
    exec(&pool, &format!("DELETE FROM upvotes WHERE id = '{down}'")).await?;
    assert_eq!(dash(&pool, u[0]).await?.karma_score, 0);
    exec(&pool, &format!("DELETE FROM upvotes WHERE id = '{up}'")).await?;
    assert_eq!(dash(&pool, u[0]).await?.karma_score, 0);
    assert_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn upvote_moved_to_another_project(pool: PgPool) -> Res {
    let u = users(&pool, 3).await?;
    let p = project(&pool, u[0]).await?;
    let q = project(&pool, u[1]).await?;
    let v = upvote(&pool, u[2], p, true).await?;
    exec(
        &pool,
        &format!("UPDATE upvotes SET project_id = '{q}' WHERE id = '{v}'"),
    )
    .await?;
    assert_eq!(
        (
            dash(&pool, u[0]).await?.karma_score,
            dash(&pool, u[1]).await?.karma_score
        ),
        (0, 1)
    );
    assert_all(&pool).await
}

// ------------------------------------------- user_dashboard_stats: intros --

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn intro_insert_status_changes_delete_and_party_change(pool: PgPool) -> Res {
    let u = users(&pool, 4).await?;
    let (investor, builder) = (u[0], u[1]);
    let i = intro(&pool, investor, builder).await?;
    let d = dash(&pool, builder).await?;
    assert_eq!((d.intros_received, d.intro_requests_pending), (1, 1));
    assert_eq!(dash(&pool, investor).await?.intros_sent, 1);

    for (status, pending) in [
        ("approved", 0),
        ("pending", 1),
        ("rejected", 0),
        ("withdrawn", 0),
        ("pending", 1),
    ] {
        set_intro_status(&pool, i, status).await?;
        let d = dash(&pool, builder).await?;
        assert_eq!(
            (d.intros_received, d.intro_requests_pending),
            (1, pending),
            "after {status}"
        );
    }
    // builder change and investor change
    exec(
        &pool,
        &format!(
            "UPDATE intro_requests SET builder_id = '{}' WHERE id = '{i}'",
            u[2]
        ),
    )
    .await?;
    assert_eq!(dash(&pool, builder).await?.intros_received, 0);
    assert_eq!(dash(&pool, u[2]).await?.intro_requests_pending, 1);
    exec(
        &pool,
        &format!(
            "UPDATE intro_requests SET investor_id = '{}' WHERE id = '{i}'",
            u[3]
        ),
    )
    .await?;
    assert_eq!(
        (
            dash(&pool, investor).await?.intros_sent,
            dash(&pool, u[3]).await?.intros_sent
        ),
        (0, 1)
    );
    exec(
        &pool,
        &format!("DELETE FROM intro_requests WHERE id = '{i}'"),
    )
    .await?;
    assert_eq!(dash(&pool, u[2]).await?, Dash::default());
    assert_eq!(dash(&pool, u[3]).await?, Dash::default());
    assert_all(&pool).await
}

// ------------------------------------ user_dashboard_stats: unread counts --

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn messages_insert_read_unread_and_delete(pool: PgPool) -> Res {
    let u = users(&pool, 2).await?;
    let m1 = message(&pool, u[0], u[1], "one").await?;
    let m2 = message(&pool, u[0], u[1], "two").await?;
    assert_eq!(dash(&pool, u[1]).await?.unread_messages, 2);
    assert_eq!(
        dash(&pool, u[0]).await?.unread_messages,
        0,
        "the sender has nothing unread"
    );
    set_message_read(&pool, m1, true).await?;
    assert_eq!(dash(&pool, u[1]).await?.unread_messages, 1);
    set_message_read(&pool, m1, false).await?;
    assert_eq!(dash(&pool, u[1]).await?.unread_messages, 2);
    set_message_read(&pool, m1, true).await?;
    delete_message(&pool, m1).await?; // read: no change
    assert_eq!(dash(&pool, u[1]).await?.unread_messages, 1);
    delete_message(&pool, m2).await?; // unread: decrements
    assert_eq!(dash(&pool, u[1]).await?.unread_messages, 0);
    assert_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn notifications_insert_read_unread_and_delete(pool: PgPool) -> Res {
    let u = user(&pool, "noted").await?;
    let n1 = notification(&pool, u).await?;
    let n2 = notification(&pool, u).await?;
    assert_eq!(dash(&pool, u).await?.unread_notifications, 2);
    exec(
        &pool,
        &format!("UPDATE notifications SET is_read = true WHERE id = '{n1}'"),
    )
    .await?;
    assert_eq!(dash(&pool, u).await?.unread_notifications, 1);
    exec(
        &pool,
        &format!("UPDATE notifications SET is_read = false WHERE id = '{n1}'"),
    )
    .await?;
    assert_eq!(dash(&pool, u).await?.unread_notifications, 2);
    exec(
        &pool,
        &format!("DELETE FROM notifications WHERE id = '{n2}'"),
    )
    .await?;
    assert_eq!(dash(&pool, u).await?.unread_notifications, 1);
    exec(&pool, "UPDATE notifications SET is_read = true").await?;
    exec(
        &pool,
        &format!("DELETE FROM notifications WHERE id = '{n1}'"),
    )
    .await?;
    assert_eq!(dash(&pool, u).await?.unread_notifications, 0);
    assert_all(&pool).await
}

// ------------------------------------------- message_conversations_denorm --

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn conversation_rows_for_both_sides(pool: PgPool) -> Res {
    let u = users(&pool, 2).await?;
    let (a, b) = (u[0], u[1]);
    message_at(&pool, a, b, "hi", 1).await?;
    let m2 = message_at(&pool, b, a, "hello", 2).await?;
    message_at(&pool, a, b, "late but older", 0).await?; // committed last, written earlier
    let ab = conversation(&pool, a, b).await?.expect("a's row");
    let ba = conversation(&pool, b, a).await?.expect("b's row");
    assert_eq!(
        (ab.last_message_id, ab.last_sender_id, ab.total_messages),
        (m2, b, 3)
    );
    assert_eq!((ab.unread_count, ba.unread_count), (1, 2));
    assert_eq!(ba.last_message_text, "hello");
    assert_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn conversation_read_unread_again_and_delete(pool: PgPool) -> Res {
    let u = users(&pool, 2).await?;
    let (a, b) = (u[0], u[1]);
    let m1 = message_at(&pool, a, b, "one", 1).await?;
    let m2 = message_at(&pool, a, b, "two", 2).await?;
    set_message_read(&pool, m1, true).await?;
    assert_eq!(conversation(&pool, b, a).await?.unwrap().unread_count, 1);
    set_message_read(&pool, m1, false).await?;
    assert_eq!(conversation(&pool, b, a).await?.unwrap().unread_count, 2);
    // Mark the whole conversation read in one statement.
    exec(
        &pool,
        &format!("UPDATE direct_messages SET is_read = true WHERE recipient_id = '{b}'"),
    )
    .await?;
    assert_eq!(conversation(&pool, b, a).await?.unwrap().unread_count, 0);
    delete_message(&pool, m1).await?; // not the last
    let c = conversation(&pool, a, b).await?.unwrap();
    assert_eq!((c.total_messages, c.last_message_id), (1, m2));
    delete_message(&pool, m2).await?; // the only one left: the rows go
    assert!(conversation(&pool, a, b).await?.is_none());
    assert!(conversation(&pool, b, a).await?.is_none());
    assert_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn conversation_follows_edits_and_moves(pool: PgPool) -> Res {
    let u = users(&pool, 3).await?;
    let (a, b, c) = (u[0], u[1], u[2]);
    let m1 = message_at(&pool, a, b, "first", 1).await?;
    let m2 = message_at(&pool, a, b, "second", 2).await?;
    exec(
        &pool,
        &format!("UPDATE direct_messages SET message = 'second, edited' WHERE id = '{m2}'"),
    )
    .await?;
    assert_eq!(
        conversation(&pool, b, a).await?.unwrap().last_message_text,
        "second, edited"
    );
    // Only message of a pair edited, and direction swapped.
    exec(
        &pool,
        &format!(
            "UPDATE direct_messages SET sender_id = '{b}', recipient_id = '{a}' WHERE id = '{m1}'"
        ),
    )
    .await?;
    assert_eq!(
        (
            conversation(&pool, a, b).await?.unwrap().unread_count,
            conversation(&pool, b, a).await?.unwrap().unread_count
        ),
        (1, 1)
    );
    // Re-timed: m1 becomes the newest.
    exec(&pool, &format!("UPDATE direct_messages SET created_at = created_at + interval '1 hour' WHERE id = '{m1}'")).await?;
    assert_eq!(
        conversation(&pool, a, b).await?.unwrap().last_message_id,
        m1
    );
    // Moved to another pair.
    exec(
        &pool,
        &format!("UPDATE direct_messages SET recipient_id = '{c}' WHERE id = '{m2}'"),
    )
    .await?;
    assert_eq!(conversation(&pool, a, b).await?.unwrap().total_messages, 1);
    assert_eq!(
        conversation(&pool, c, a).await?.unwrap().last_message_id,
        m2
    );
    assert_all(&pool).await
}

// ------------------------------------------------- intro_request_stats --

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn intro_request_stats_every_transition(pool: PgPool) -> Res {
    let u = users(&pool, 2).await?;
    let (investor, builder) = (u[0], u[1]);
    let i = intro(&pool, investor, builder).await?;
    let statuses = ["pending", "approved", "rejected", "withdrawn"];
    // every ordered pair of distinct statuses, starting from pending
    let mut current = "pending";
    for from in statuses {
        for to in statuses {
            if from == to {
                continue;
            }
            if current != from {
                set_intro_status(&pool, i, from).await?;
            }
            set_intro_status(&pool, i, to).await?;
            current = to;
            let s = intro_stats(&pool, builder).await?;
            let counts = [
                s.pending_requests,
                s.approved_requests,
                s.rejected_requests,
                s.withdrawn_requests,
            ];
            let expected: Vec<i32> = statuses.iter().map(|st| i32::from(*st == to)).collect();
            assert_eq!(counts.to_vec(), expected, "{from} -> {to}");
            let s = intro_stats(&pool, investor).await?;
            let sent = [
                s.sent_pending_requests,
                s.sent_approved_requests,
                s.sent_rejected_requests,
                s.sent_withdrawn_requests,
            ];
            assert_eq!(
                (s.sent_requests, sent.to_vec()),
                (1, expected),
                "{from} -> {to}"
            );
        }
    }
    exec(
        &pool,
        &format!("DELETE FROM intro_requests WHERE id = '{i}'"),
    )
    .await?;
    assert_eq!(intro_stats(&pool, builder).await?, IntroStats::default());
    assert_eq!(intro_stats(&pool, investor).await?, IntroStats::default());
    assert_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn intro_request_stats_party_change(pool: PgPool) -> Res {
    let u = users(&pool, 3).await?;
    let i = intro(&pool, u[0], u[1]).await?;
    set_intro_status(&pool, i, "approved").await?;
    exec(
        &pool,
        &format!(
            "UPDATE intro_requests SET builder_id = '{}', investor_id = '{}' WHERE id = '{i}'",
            u[0], u[2]
        ),
    )
    .await?;
    assert_eq!(intro_stats(&pool, u[1]).await?, IntroStats::default());
    assert_eq!(intro_stats(&pool, u[0]).await?.approved_requests, 1);
    assert_eq!(intro_stats(&pool, u[0]).await?.sent_requests, 0);
    assert_eq!(intro_stats(&pool, u[2]).await?.sent_approved_requests, 1);
    assert_all(&pool).await
}

// ------------------------------------------------------- user deletion --

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn deleting_a_user_keeps_everyone_else_exact(pool: PgPool) -> Res {
    let u = users(&pool, 4).await?;
    let p = scored_project(&pool, u[0], &u[1..]).await?;
    let q = project(&pool, u[1]).await?;
    badge(&pool, q, u[0], "impact").await?;
    upvote(&pool, u[0], q, true).await?;
    let c = comment(&pool, q, u[0], None).await?;
    comment(&pool, q, u[2], Some(c)).await?;
    comment(&pool, p, u[3], None).await?;
    message(&pool, u[0], u[1], "bye").await?;
    message(&pool, u[1], u[0], "no").await?;
    message(&pool, u[1], u[2], "kept").await?;
    intro(&pool, u[0], u[1]).await?;
    intro(&pool, u[2], u[0]).await?;
    notification(&pool, u[0]).await?;
    exec(&pool, &format!("DELETE FROM users WHERE id = '{}'", u[0])).await?;
    let d = dash(&pool, u[1]).await?;
    assert_eq!(
        (
            d.total_proof_score,
            d.karma_score,
            d.badges_given,
            d.unread_messages
        ),
        (0, 0, 0, 0)
    );
    assert!(conversation(&pool, u[1], u[0]).await?.is_none());
    assert!(conversation(&pool, u[1], u[2]).await?.is_some());
    assert_all(&pool).await
}

// ------------------------------------------------------ regression tests --

/// A new user gets a stats row at once (a trigger that only UPDATEs would
/// never create it), and its counts increment.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn row_exists_for_new_user_and_counts_increment(pool: PgPool) -> Res {
    let u = user(&pool, "fresh").await?;
    assert_eq!(
        dash(&pool, u).await?,
        Dash::default(),
        "a row from the first moment"
    );
    assert_eq!(intro_stats(&pool, u).await?, IntroStats::default());
    project(&pool, u).await?;
    notification(&pool, u).await?;
    let d = dash(&pool, u).await?;
    assert_eq!((d.project_count, d.unread_notifications), (1, 1));
    assert_all(&pool).await
}

/// Users who existed before the stats table get their real values from
/// the migration's backfill, not zeros.
#[sqlx::test(migrations = false)]
async fn backfill_gives_existing_users_their_real_values(pool: PgPool) -> Res {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let full = sqlx::migrate::Migrator::new(dir.as_path()).await?;
    let mut before = sqlx::migrate::Migrator::new(dir.as_path()).await?;
    before.migrations = Cow::Owned(
        full.migrations
            .iter()
            .filter(|m| m.version < 20261125000010)
            .cloned()
            .collect(),
    );
    before.run(&pool).await?;

    // Data written before any trigger existed, with a wrong stored proof score.
    let u = users(&pool, 4).await?;
    let p = project(&pool, u[0]).await?;
    exec(
        &pool,
        &format!("UPDATE projects SET proof_score = 99 WHERE id = '{p}'"),
    )
    .await?;
    let dead = project(&pool, u[0]).await?;
    soft_delete(&pool, dead, true).await?;
    badge(&pool, p, u[1], "impact").await?;
    badge(&pool, dead, u[1], "design").await?;
    upvote(&pool, u[2], p, true).await?;
    upvote(&pool, u[3], dead, true).await?;
    comment(&pool, p, u[2], None).await?;
    message_at(&pool, u[1], u[0], "old", 1).await?;
    let last = message_at(&pool, u[0], u[1], "newer", 2).await?;
    let i = intro(&pool, u[3], u[0]).await?;
    set_intro_status(&pool, i, "approved").await?;
    intro(&pool, u[2], u[0]).await?;
    notification(&pool, u[0]).await?;

    full.run(&pool).await?;
    assert_eq!(proof_score(&pool, p).await?, 15);
    assert_eq!(project_numbers(&pool, u[0]).await?, (2, 1, 15, 1, 16));
    let d = dash(&pool, u[0]).await?;
    assert_eq!(
        (
            d.intros_received,
            d.intro_requests_pending,
            d.unread_messages,
            d.unread_notifications
        ),
        (2, 1, 1, 1)
    );
    assert_eq!(intro_stats(&pool, u[0]).await?.approved_requests, 1);
    assert_eq!(
        conversation(&pool, u[1], u[0])
            .await?
            .unwrap()
            .last_message_id,
        last
    );
    assert_all(&pool).await?;
    // And the triggers take over from there.
    upvote(&pool, u[1], p, true).await?;
    assert_eq!(dash(&pool, u[0]).await?.karma_score, 17);
    assert_all(&pool).await
}

/// Deleting the latest message keeps the conversation, now ending at the
/// message before it.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn deleting_the_latest_message_keeps_the_conversation(pool: PgPool) -> Res {
    let u = users(&pool, 2).await?;
    let (a, b) = (u[0], u[1]);
    let first = message_at(&pool, a, b, "first", 1).await?;
    let latest = message_at(&pool, b, a, "latest", 2).await?;
    delete_message(&pool, latest).await?;
    for (x, y) in [(a, b), (b, a)] {
        let c = conversation(&pool, x, y)
            .await?
            .expect("the conversation survives");
        assert_eq!(
            (
                c.last_message_id,
                c.last_message_text.as_str(),
                c.last_sender_id,
                c.total_messages
            ),
            (first, "first", a, 1)
        );
    }
    assert_eq!(conversation(&pool, b, a).await?.unwrap().unread_count, 1);
    assert_eq!(conversation(&pool, a, b).await?.unwrap().unread_count, 0);
    assert_all(&pool).await
}

/// A badge changes the project's proof_score, and with it the owner's
/// total_proof_score.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn badges_change_proof_score_and_total_proof_score(pool: PgPool) -> Res {
    let u = users(&pool, 3).await?;
    let p = project(&pool, u[0]).await?;
    let q = project(&pool, u[0]).await?;
    badge(&pool, p, u[1], "code_quality").await?;
    let b = badge(&pool, p, u[2], "impact").await?;
    badge(&pool, q, u[1], "security").await?;
    assert_eq!(
        (proof_score(&pool, p).await?, proof_score(&pool, q).await?),
        (25, 10)
    );
    let d = dash(&pool, u[0]).await?;
    assert_eq!(
        (d.total_proof_score, d.karma_score, d.badges_received),
        (35, 35, 3)
    );
    revoke_badge(&pool, b).await?;
    assert_eq!(dash(&pool, u[0]).await?.total_proof_score, 20);
    assert_all(&pool).await
}

/// Hard delete and un-delete of a project move project_count and karma
/// both ways.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn hard_delete_undelete_project_count_and_karma(pool: PgPool) -> Res {
    let u = users(&pool, 4).await?;
    let p = scored_project(&pool, u[0], &u[1..]).await?;
    let q = scored_project(&pool, u[0], &u[1..]).await?;
    assert_eq!(dash(&pool, u[0]).await?.karma_score, 44);
    soft_delete(&pool, p, true).await?;
    assert_eq!(
        (
            dash(&pool, u[0]).await?.active_projects,
            dash(&pool, u[0]).await?.karma_score
        ),
        (1, 22)
    );
    soft_delete(&pool, p, false).await?;
    assert_eq!(
        (
            dash(&pool, u[0]).await?.active_projects,
            dash(&pool, u[0]).await?.karma_score
        ),
        (2, 44)
    );
    hard_delete(&pool, q).await?;
    let d = dash(&pool, u[0]).await?;
    assert_eq!(
        (d.project_count, d.active_projects, d.karma_score),
        (1, 1, 22)
    );
    assert_all(&pool).await
}

/// A drifted counter fails the next decrement loudly and the reconciler
/// reports it (clamping with GREATEST(0, x - 1) would hide the drift).
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn drift_is_detected_not_hidden(pool: PgPool) -> Res {
    let u = users(&pool, 2).await?;
    let m = message(&pool, u[0], u[1], "hi").await?;
    // Simulate drift: the counter lost the message.
    exec(
        &pool,
        &format!(
            "UPDATE user_dashboard_stats SET unread_messages = 0 WHERE user_id = '{}'",
            u[1]
        ),
    )
    .await?;
    let report = data::reconcile::reconcile(&pool, false).await?;
    let col = report
        .table("user_dashboard_stats")
        .unwrap()
        .column("unread_messages")
        .unwrap();
    assert_eq!(col.rows, 1);
    assert_eq!(
        (
            col.examples[0].stored.as_deref(),
            col.examples[0].expected.as_deref()
        ),
        (Some("0"), Some("1"))
    );
    // Reading the message would take the counter below zero: refused, not clamped.
    let err = sqlx::query("UPDATE direct_messages SET is_read = true WHERE id = $1")
        .bind(m)
        .execute(&pool)
        .await
        .expect_err("a negative counter is refused");
    let db = err.as_database_error().unwrap();
    assert_eq!(db.code().as_deref(), Some("23514"));
    assert_eq!(
        db.constraint(),
        Some("user_dashboard_stats_unread_messages_check")
    );
    // Repair, and the write goes through.
    let repaired = data::reconcile::reconcile(&pool, true).await?;
    assert!(repaired.repaired);
    set_message_read(&pool, m, true).await?;
    assert_all(&pool).await
}

/// Every status transition moves the counts, not only those out of
/// pending: approved to rejected, and withdrawn.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn approved_to_rejected_and_withdrawn(pool: PgPool) -> Res {
    let u = users(&pool, 2).await?;
    let i = intro(&pool, u[0], u[1]).await?;
    set_intro_status(&pool, i, "approved").await?;
    set_intro_status(&pool, i, "rejected").await?;
    let s = intro_stats(&pool, u[1]).await?;
    assert_eq!(
        (s.pending_requests, s.approved_requests, s.rejected_requests),
        (0, 0, 1)
    );
    set_intro_status(&pool, i, "withdrawn").await?;
    let s = intro_stats(&pool, u[1]).await?;
    assert_eq!((s.rejected_requests, s.withdrawn_requests), (0, 1));
    assert_eq!(intro_stats(&pool, u[0]).await?.sent_withdrawn_requests, 1);
    assert_all(&pool).await
}

/// Derived tables store instants as TIMESTAMPTZ, never TIMESTAMP without
/// time zone.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn derived_tables_use_timestamptz(pool: PgPool) -> Res {
    let naive: Vec<(String, String)> = sqlx::query_as(
        "SELECT table_name::text, column_name::text FROM information_schema.columns
         WHERE table_schema = 'public'
           AND table_name IN ('user_dashboard_stats', 'intro_request_stats', 'message_conversations_denorm')
           AND data_type = 'timestamp without time zone'",
    )
    .fetch_all(&pool)
    .await?;
    assert!(naive.is_empty(), "{naive:?}");
    Ok(())
}

// ------------------------------------------------ concurrent workload --

const HOT_USERS: usize = 6;
const TASKS: usize = 8;
const OPS_PER_TASK: usize = 1000;

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn concurrent_workload_keeps_every_counter_exact(
    pool_opts: PgPoolOptions,
    connect_opts: PgConnectOptions,
) -> Res {
    let pool = wide_pool(pool_opts, connect_opts, TASKS as u32 + 2).await?;
    let hot = users(&pool, HOT_USERS).await?;
    for (i, &u) in hot.iter().enumerate() {
        for _ in 0..2 {
            project(&pool, u).await?;
        }
        message(&pool, u, hot[(i + 1) % HOT_USERS], "hello").await?;
    }

    let started = Instant::now();
    run_parallel(&pool, TASKS, OPS_PER_TASK, &hot, Mix::CategoryA).await?;

    let compared = assert_consistent(&pool).await?;
    assert_reconciled(&pool).await?;
    eprintln!("{compared} derived values equal their recomputation; reconciler: 0 differences");
    ensure!(
        started.elapsed() < Duration::from_secs(120),
        "workload too slow"
    );
    Ok(())
}
