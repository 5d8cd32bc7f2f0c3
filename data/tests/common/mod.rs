//! Helpers shared by the derived-data tests: writers for every source
//! table, readers for the derived tables, and an independent recomputation
//! of every Category A value from source rows (written differently from
//! both the triggers and data::reconcile, with the badge weights spelled
//! out) that the tests compare against.
#![allow(dead_code)] // each test binary uses a different subset

use anyhow::{ensure, Context};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use uuid::Uuid;

pub mod workload;

pub type Res<T = ()> = anyhow::Result<T>;

// ------------------------------------------------------------- writers --

pub async fn user(pool: &PgPool, name: &str) -> Res<Uuid> {
    Ok(sqlx::query_scalar(
        "INSERT INTO users (username, email, password_hash) VALUES ($1, $1 || '@example.test', 'x')
         RETURNING id",
    )
    .bind(name)
    .fetch_one(pool)
    .await?)
}

pub async fn users(pool: &PgPool, n: usize) -> Res<Vec<Uuid>> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        out.push(user(pool, &format!("user_{i}")).await?);
    }
    Ok(out)
}

pub async fn project(pool: &PgPool, owner: Uuid) -> Res<Uuid> {
    Ok(sqlx::query_scalar(
        "INSERT INTO projects (user_id, title) VALUES ($1, 'project') RETURNING id",
    )
    .bind(owner)
    .fetch_one(pool)
    .await?)
}

pub async fn soft_delete(pool: &PgPool, project: Uuid, deleted: bool) -> Res {
    sqlx::query(
        "UPDATE projects SET is_deleted = $2, deleted_at = CASE WHEN $2 THEN now() END WHERE id = $1",
    )
    .bind(project)
    .bind(deleted)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn hard_delete(pool: &PgPool, project: Uuid) -> Res {
    sqlx::query("DELETE FROM projects WHERE id = $1")
        .bind(project)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn badge(pool: &PgPool, project: Uuid, validator: Uuid, badge_type: &str) -> Res<Uuid> {
    Ok(sqlx::query_scalar(
        "INSERT INTO validation_badges (project_id, validator_id, badge_type) VALUES ($1, $2, $3)
         RETURNING id",
    )
    .bind(project)
    .bind(validator)
    .bind(badge_type)
    .fetch_one(pool)
    .await?)
}

/// Revokes a badge the way the data layer must: the project row is locked
/// before the badge row (docs/DERIVED-DATA.md, lock order).
pub async fn revoke_badge(pool: &PgPool, badge: Uuid) -> Res {
    let mut tx = pool.begin().await?;
    sqlx::query(
        "SELECT 1 FROM projects p JOIN validation_badges b ON b.project_id = p.id
         WHERE b.id = $1 FOR NO KEY UPDATE OF p",
    )
    .bind(badge)
    .execute(&mut *tx)
    .await?;
    sqlx::query("DELETE FROM validation_badges WHERE id = $1")
        .bind(badge)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}

pub async fn upvote(pool: &PgPool, user: Uuid, project: Uuid, is_upvote: bool) -> Res<Uuid> {
    Ok(sqlx::query_scalar(
        "INSERT INTO upvotes (user_id, project_id, is_upvote) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(user)
    .bind(project)
    .bind(is_upvote)
    .fetch_one(pool)
    .await?)
}

pub async fn comment(pool: &PgPool, project: Uuid, user: Uuid, parent: Option<Uuid>) -> Res<Uuid> {
    Ok(sqlx::query_scalar(
        "INSERT INTO comments (project_id, user_id, parent_id, content) VALUES ($1, $2, $3, 'comment')
         RETURNING id",
    )
    .bind(project)
    .bind(user)
    .bind(parent)
    .fetch_one(pool)
    .await?)
}

pub async fn message(pool: &PgPool, from: Uuid, to: Uuid, text: &str) -> Res<Uuid> {
    Ok(sqlx::query_scalar(
        "INSERT INTO direct_messages (sender_id, recipient_id, message) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(from)
    .bind(to)
    .bind(text)
    .fetch_one(pool)
    .await?)
}

/// A message with an explicit time (seconds after a fixed epoch), so the
/// order of "last message" does not depend on the clock.
pub async fn message_at(pool: &PgPool, from: Uuid, to: Uuid, text: &str, secs: i64) -> Res<Uuid> {
    Ok(sqlx::query_scalar(
        "INSERT INTO direct_messages (sender_id, recipient_id, message, created_at)
         VALUES ($1, $2, $3, timestamptz '2026-01-01 00:00:00+00' + make_interval(secs => $4))
         RETURNING id",
    )
    .bind(from)
    .bind(to)
    .bind(text)
    .bind(secs as f64)
    .fetch_one(pool)
    .await?)
}

pub async fn set_message_read(pool: &PgPool, message: Uuid, read: bool) -> Res {
    sqlx::query(
        "UPDATE direct_messages SET is_read = $2, read_at = CASE WHEN $2 THEN now() END WHERE id = $1",
    )
    .bind(message)
    .bind(read)
    .execute(pool)
    .await?;
    Ok(())
}

pub async fn delete_message(pool: &PgPool, message: Uuid) -> Res {
    sqlx::query("DELETE FROM direct_messages WHERE id = $1")
        .bind(message)
        .execute(pool)
        .await?;
    Ok(())
}

pub async fn notification(pool: &PgPool, user: Uuid) -> Res<Uuid> {
    Ok(sqlx::query_scalar(
        "INSERT INTO notifications (user_id, kind, message) VALUES ($1, 'system', 'hello') RETURNING id",
    )
    .bind(user)
    .fetch_one(pool)
    .await?)
}

pub async fn intro(pool: &PgPool, investor: Uuid, builder: Uuid) -> Res<Uuid> {
    Ok(sqlx::query_scalar(
        "INSERT INTO intro_requests (investor_id, builder_id) VALUES ($1, $2) RETURNING id",
    )
    .bind(investor)
    .bind(builder)
    .fetch_one(pool)
    .await?)
}

pub async fn set_intro_status(pool: &PgPool, intro: Uuid, status: &str) -> Res {
    sqlx::query("UPDATE intro_requests SET status = $2, updated_at = now() WHERE id = $1")
        .bind(intro)
        .bind(status)
        .execute(pool)
        .await?;
    Ok(())
}

/// A pool of `max` connections to the test's database: the concurrent
/// workloads need more than `#[sqlx::test]` gives.
pub async fn wide_pool(
    pool_opts: PgPoolOptions,
    connect_opts: PgConnectOptions,
    max: u32,
) -> Res<PgPool> {
    Ok(pool_opts
        .max_connections(max)
        .connect_with(connect_opts)
        .await?)
}

pub async fn exec(pool: &PgPool, sql: &str) -> Res {
    sqlx::query(sql).execute(pool).await?;
    Ok(())
}

// ------------------------------------------------------------- readers --

/// The stored row of `user_dashboard_stats`, as the data layer reads it.
pub use data::dashboard::DashboardStats as Dash;

pub async fn dash(pool: &PgPool, user: Uuid) -> Res<Dash> {
    data::dashboard::stats(pool, user)
        .await?
        .with_context(|| format!("no user_dashboard_stats row for {user}"))
}

/// `intro_request_stats` as the tests compare it. (`data::intros::Stats`
/// cannot be compared and reads a missing row as zeros, which
/// `assert_consistent` must see as missing.)
#[derive(Debug, Clone, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct IntroStats {
    pub pending_requests: i32,
    pub approved_requests: i32,
    pub rejected_requests: i32,
    pub withdrawn_requests: i32,
    pub sent_requests: i32,
    pub sent_pending_requests: i32,
    pub sent_approved_requests: i32,
    pub sent_rejected_requests: i32,
    pub sent_withdrawn_requests: i32,
}

const INTRO_COLUMNS: &str = "pending_requests, approved_requests, rejected_requests,
    withdrawn_requests, sent_requests, sent_pending_requests, sent_approved_requests,
    sent_rejected_requests, sent_withdrawn_requests";

pub async fn intro_stats(pool: &PgPool, user: Uuid) -> Res<IntroStats> {
    sqlx::query_as::<_, IntroStats>(&format!(
        "SELECT {INTRO_COLUMNS} FROM intro_request_stats WHERE user_id = $1"
    ))
    .bind(user)
    .fetch_optional(pool)
    .await?
    .with_context(|| format!("no intro_request_stats row for {user}"))
}

#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Conversation {
    pub last_message_id: Uuid,
    pub last_message_text: String,
    pub last_sender_id: Uuid,
    pub unread_count: i32,
    pub total_messages: i32,
}

pub async fn conversation(pool: &PgPool, user: Uuid, other: Uuid) -> Res<Option<Conversation>> {
    Ok(sqlx::query_as::<_, Conversation>(
        "SELECT last_message_id, last_message_text, last_sender_id, unread_count, total_messages
         FROM message_conversations_denorm WHERE user_id = $1 AND other_user_id = $2",
    )
    .bind(user)
    .bind(other)
    .fetch_optional(pool)
    .await?)
}

pub async fn proof_score(pool: &PgPool, project: Uuid) -> Res<i32> {
    Ok(
        sqlx::query_scalar("SELECT proof_score FROM projects WHERE id = $1")
            .bind(project)
            .fetch_one(pool)
            .await?,
    )
}

// --------------------------------------------------------------- truth --

/// The weights, spelled out again on purpose (not badge_weight()).
const WEIGHT: &str = "CASE b.badge_type WHEN 'code_quality' THEN 10 WHEN 'innovation' THEN 10
    WHEN 'impact' THEN 15 WHEN 'design' THEN 5 WHEN 'security' THEN 10 END";

pub async fn true_dash(pool: &PgPool, user: Uuid) -> Res<Dash> {
    let sql = format!(
        "SELECT
           (SELECT count(*) FROM projects WHERE user_id = $1)::int AS project_count,
           (SELECT count(*) FROM projects WHERE user_id = $1 AND NOT is_deleted)::int AS active_projects,
           (SELECT COALESCE(sum({WEIGHT}), 0) FROM validation_badges b
              JOIN projects p ON p.id = b.project_id
              WHERE p.user_id = $1 AND NOT p.is_deleted)::int AS total_proof_score,
           (SELECT count(*) FROM comments WHERE user_id = $1)::int AS comment_count,
           (SELECT count(*) FROM validation_badges WHERE validator_id = $1)::int AS badges_given,
           (SELECT count(*) FROM validation_badges b JOIN projects p ON p.id = b.project_id
              WHERE p.user_id = $1 AND NOT p.is_deleted)::int AS badges_received,
           (SELECT count(*) FROM intro_requests WHERE investor_id = $1)::int AS intros_sent,
           (SELECT count(*) FROM intro_requests WHERE builder_id = $1)::int AS intros_received,
           (SELECT count(*) FROM intro_requests WHERE builder_id = $1 AND status = 'pending')::int
              AS intro_requests_pending,
           ((SELECT COALESCE(sum({WEIGHT}), 0) FROM validation_badges b
              JOIN projects p ON p.id = b.project_id
              WHERE p.user_id = $1 AND NOT p.is_deleted)
            + (SELECT count(*) FROM upvotes v JOIN projects p ON p.id = v.project_id
              WHERE p.user_id = $1 AND NOT p.is_deleted AND v.is_upvote))::int AS karma_score,
           (SELECT count(*) FROM direct_messages WHERE recipient_id = $1 AND NOT is_read)::int
              AS unread_messages,
           (SELECT count(*) FROM notifications WHERE user_id = $1 AND NOT is_read)::int
              AS unread_notifications"
    );
    Ok(sqlx::query_as::<_, Dash>(&sql)
        .bind(user)
        .fetch_one(pool)
        .await?)
}

pub async fn true_intro_stats(pool: &PgPool, user: Uuid) -> Res<IntroStats> {
    Ok(sqlx::query_as::<_, IntroStats>(
        "SELECT
           count(*) FILTER (WHERE builder_id = $1 AND status = 'pending')::int AS pending_requests,
           count(*) FILTER (WHERE builder_id = $1 AND status = 'approved')::int AS approved_requests,
           count(*) FILTER (WHERE builder_id = $1 AND status = 'rejected')::int AS rejected_requests,
           count(*) FILTER (WHERE builder_id = $1 AND status = 'withdrawn')::int AS withdrawn_requests,
           count(*) FILTER (WHERE investor_id = $1)::int AS sent_requests,
           count(*) FILTER (WHERE investor_id = $1 AND status = 'pending')::int AS sent_pending_requests,
           count(*) FILTER (WHERE investor_id = $1 AND status = 'approved')::int AS sent_approved_requests,
           count(*) FILTER (WHERE investor_id = $1 AND status = 'rejected')::int AS sent_rejected_requests,
           count(*) FILTER (WHERE investor_id = $1 AND status = 'withdrawn')::int AS sent_withdrawn_requests
         FROM intro_requests",
    )
    .bind(user)
    .fetch_one(pool)
    .await?)
}

pub async fn true_conversation(
    pool: &PgPool,
    user: Uuid,
    other: Uuid,
) -> Res<Option<Conversation>> {
    Ok(sqlx::query_as::<_, Conversation>(
        "SELECT m.id AS last_message_id, m.message AS last_message_text, m.sender_id AS last_sender_id,
                (SELECT count(*) FROM direct_messages
                  WHERE sender_id = $2 AND recipient_id = $1 AND NOT is_read)::int AS unread_count,
                (SELECT count(*) FROM direct_messages
                  WHERE (sender_id, recipient_id) IN (($1, $2), ($2, $1)))::int AS total_messages
         FROM direct_messages m
         WHERE (m.sender_id, m.recipient_id) IN (($1, $2), ($2, $1))
         ORDER BY m.created_at DESC, m.id DESC
         LIMIT 1",
    )
    .bind(user)
    .bind(other)
    .fetch_optional(pool)
    .await?)
}

pub async fn true_proof_score(pool: &PgPool, project: Uuid) -> Res<i32> {
    Ok(sqlx::query_scalar(&format!(
        "SELECT COALESCE(sum({WEIGHT}), 0)::int FROM validation_badges b WHERE b.project_id = $1"
    ))
    .bind(project)
    .fetch_one(pool)
    .await?)
}

/// Every derived value equals its recomputation; returns the number of
/// values compared. Meant for a quiescent database.
pub async fn assert_consistent(pool: &PgPool) -> Res<usize> {
    let mut compared = 0;
    let user_ids: Vec<Uuid> = sqlx::query_scalar("SELECT id FROM users ORDER BY id")
        .fetch_all(pool)
        .await?;
    let dash_rows: i64 = sqlx::query_scalar("SELECT count(*) FROM user_dashboard_stats")
        .fetch_one(pool)
        .await?;
    let intro_rows: i64 = sqlx::query_scalar("SELECT count(*) FROM intro_request_stats")
        .fetch_one(pool)
        .await?;
    ensure!(
        dash_rows as usize == user_ids.len(),
        "user_dashboard_stats rows {dash_rows} != users {}",
        user_ids.len()
    );
    ensure!(
        intro_rows as usize == user_ids.len(),
        "intro_request_stats rows {intro_rows} != users {}",
        user_ids.len()
    );
    for &u in &user_ids {
        let (stored, truth) = (dash(pool, u).await?, true_dash(pool, u).await?);
        ensure!(
            stored == truth,
            "user_dashboard_stats of {u}:\n stored {stored:?}\n truth  {truth:?}"
        );
        let (stored, truth) = (
            intro_stats(pool, u).await?,
            true_intro_stats(pool, u).await?,
        );
        ensure!(
            stored == truth,
            "intro_request_stats of {u}:\n stored {stored:?}\n truth  {truth:?}"
        );
        compared += 21;
    }

    let projects: Vec<(Uuid, i32)> = sqlx::query_as("SELECT id, proof_score FROM projects")
        .fetch_all(pool)
        .await?;
    for (p, stored) in projects {
        let truth = true_proof_score(pool, p).await?;
        ensure!(
            stored == truth,
            "proof_score of project {p}: stored {stored}, truth {truth}"
        );
        compared += 1;
    }

    // Every ordered pair with a message has the right row; no other row exists.
    let pairs: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "SELECT sender_id, recipient_id FROM direct_messages
         UNION SELECT recipient_id, sender_id FROM direct_messages",
    )
    .fetch_all(pool)
    .await?;
    let conv_rows: i64 = sqlx::query_scalar("SELECT count(*) FROM message_conversations_denorm")
        .fetch_one(pool)
        .await?;
    ensure!(
        conv_rows as usize == pairs.len(),
        "message_conversations_denorm rows {conv_rows} != pairs {}",
        pairs.len()
    );
    for (a, b) in pairs {
        let (stored, truth) = (
            conversation(pool, a, b).await?,
            true_conversation(pool, a, b).await?,
        );
        ensure!(
            stored == truth,
            "conversation {a} -> {b}:\n stored {stored:?}\n truth  {truth:?}"
        );
        compared += 5;
    }
    Ok(compared)
}

/// The reconciler agrees: nothing to report.
pub async fn assert_reconciled(pool: &PgPool) -> Res {
    let report = data::reconcile::reconcile(pool, false).await?;
    ensure!(
        report.total_differences() == 0,
        "reconciler found drift:\n{report}"
    );
    Ok(())
}

/// Both checks.
pub async fn assert_all(pool: &PgPool) -> Res {
    assert_consistent(pool).await?;
    assert_reconciled(pool).await
}
