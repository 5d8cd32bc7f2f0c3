//! Intro requests: an approved investor asks a builder for an
//! introduction (optionally about one of the builder's live projects); the
//! builder approves or rejects it, the investor may withdraw it while it is
//! pending. Every transition locks the request and checks who acts and the
//! current status inside the transaction; nothing is written when a check
//! fails. The counters (`intro_request_stats`, `user_dashboard_stats`) and
//! the notifications are maintained by triggers.

use crate::error::Error;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

/// Longest message, in characters (`intro_requests_message_length`).
pub const MESSAGE_MAX: usize = 2000;
/// Requests shown per list.
pub const LIST_LIMIT: i64 = 50;
/// The statuses, in filter order.
pub const STATUSES: &[&str] = &["pending", "approved", "rejected", "withdrawn"];

/// One request, with both people's usernames.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Intro {
    pub id: Uuid,
    pub investor_id: Uuid,
    pub investor_username: String,
    pub builder_id: Uuid,
    pub builder_username: String,
    pub project_id: Option<Uuid>,
    pub project_title: Option<String>,
    pub message: String,
    pub status: String,
    pub responded_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
}

const COLUMNS: &str = "r.id, r.investor_id, i.username AS investor_username, r.builder_id, \
    b.username AS builder_username, r.project_id, p.title AS project_title, r.message, \
    r.status, r.responded_at, r.created_at";
const FROM: &str = "FROM intro_requests r JOIN users i ON i.id = r.investor_id \
    JOIN users b ON b.id = r.builder_id \
    LEFT JOIN projects p ON p.id = r.project_id AND NOT p.is_deleted";

/// Which side of the requests to list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// Requests the user received as builder (`idx_intro_requests_builder_status`).
    Received,
    /// Requests the user sent as investor (`idx_intro_requests_investor`).
    Sent,
}

/// The user's latest requests on one side, optionally of one status.
pub async fn list(
    pool: &PgPool,
    user_id: Uuid,
    side: Side,
    status: Option<&str>,
    limit: i64,
) -> Result<Vec<Intro>, sqlx::Error> {
    let who = match side {
        Side::Received => "r.builder_id",
        Side::Sent => "r.investor_id",
    };
    sqlx::query_as::<_, Intro>(&format!(
        "SELECT {COLUMNS} {FROM} WHERE {who} = $1 AND ($2::text IS NULL OR r.status = $2) \
         ORDER BY r.created_at DESC, r.id DESC LIMIT $3"
    ))
    .bind(user_id)
    .bind(status)
    .bind(limit.clamp(1, 200))
    .fetch_all(pool)
    .await
}

/// The trigger-maintained counters of one user.
#[derive(Debug, Clone, Default, sqlx::FromRow)]
pub struct Stats {
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

/// One primary-key read of `intro_request_stats` (exact: same transaction
/// as every write).
pub async fn stats(pool: &PgPool, user_id: Uuid) -> Result<Stats, sqlx::Error> {
    Ok(sqlx::query_as::<_, Stats>(
        "SELECT pending_requests, approved_requests, rejected_requests, withdrawn_requests,
                sent_requests, sent_pending_requests, sent_approved_requests,
                sent_rejected_requests, sent_withdrawn_requests
         FROM intro_request_stats WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await?
    .unwrap_or_default())
}

/// The builders an investor met (approved requests), most recent first,
/// each once.
pub async fn builders_met(
    pool: &PgPool,
    investor_id: Uuid,
    limit: i64,
) -> Result<Vec<(String, OffsetDateTime)>, sqlx::Error> {
    sqlx::query_as::<_, (String, OffsetDateTime)>(
        "SELECT b.username, max(coalesce(r.responded_at, r.updated_at)) AS met_at
         FROM intro_requests r JOIN users b ON b.id = r.builder_id AND b.is_active
         WHERE r.investor_id = $1 AND r.status = 'approved'
         GROUP BY b.username
         ORDER BY met_at DESC, b.username
         LIMIT $2",
    )
    .bind(investor_id)
    .bind(limit.clamp(1, 200))
    .fetch_all(pool)
    .await
}

/// A builder's live projects (for the request form), newest first.
pub async fn builder_projects(
    pool: &PgPool,
    builder_id: Uuid,
) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    sqlx::query_as::<_, (Uuid, String)>(
        "SELECT id, title FROM projects WHERE user_id = $1 AND NOT is_deleted
         ORDER BY created_at DESC, id DESC LIMIT 100",
    )
    .bind(builder_id)
    .fetch_all(pool)
    .await
}

/// A new request.
#[derive(Debug, Clone)]
pub struct NewIntro {
    pub builder_username: String,
    pub project_id: Option<Uuid>,
    pub message: String,
}

/// `investor` (who must currently have role `investor`) asks the active
/// user named in `new` for an intro. One pending request per pair: the
/// unique partial index decides, and its violation is a field error.
pub async fn request(pool: &PgPool, investor: Uuid, new: &NewIntro) -> Result<Uuid, Error> {
    let message = new.message.trim();
    let n = message.chars().count();
    if n > MESSAGE_MAX {
        return Err(Error::Invalid(vec![(
            "message",
            format!("A message is at most {MESSAGE_MAX} characters (this one has {n})."),
        )]));
    }
    let mut tx = pool.begin().await?;
    let role: Option<String> =
        sqlx::query_scalar("SELECT role FROM users WHERE id = $1 AND is_active")
            .bind(investor)
            .fetch_optional(&mut *tx)
            .await?;
    if role.as_deref() != Some("investor") {
        return Err(Error::Forbidden);
    }
    let builder: Option<Uuid> =
        sqlx::query_scalar("SELECT id FROM users WHERE lower(username) = lower($1) AND is_active")
            .bind(new.builder_username.trim())
            .fetch_optional(&mut *tx)
            .await?;
    let Some(builder) = builder else {
        return Err(Error::NotFound);
    };
    if builder == investor {
        return Err(Error::Invalid(vec![(
            "builder",
            "You cannot request an intro to yourself.".into(),
        )]));
    }
    if let Some(project) = new.project_id {
        let owner: Option<Uuid> =
            sqlx::query_scalar("SELECT user_id FROM projects WHERE id = $1 AND NOT is_deleted")
                .bind(project)
                .fetch_optional(&mut *tx)
                .await?;
        if owner != Some(builder) {
            return Err(Error::Invalid(vec![(
                "project",
                "Choose one of this builder's projects.".into(),
            )]));
        }
    }
    let inserted = sqlx::query_scalar::<_, Uuid>(
        "INSERT INTO intro_requests (investor_id, builder_id, project_id, message)
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(investor)
    .bind(builder)
    .bind(new.project_id)
    .bind(message)
    .fetch_one(&mut *tx)
    .await;
    match inserted {
        Ok(id) => {
            tx.commit().await?;
            Ok(id)
        }
        Err(sqlx::Error::Database(db))
            if db.constraint() == Some("intro_requests_one_pending_key") =>
        {
            Err(Error::Conflict(
                "You already have a pending intro request to this builder.".into(),
            ))
        }
        Err(err) => Err(err.into()),
    }
}

/// The transitions out of `pending`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    /// By the builder.
    Approve,
    /// By the builder.
    Reject,
    /// By the investor.
    Withdraw,
}

/// `actor` moves a pending request: the builder approves or rejects, the
/// investor withdraws. Returns the request after the change.
pub async fn decide(
    pool: &PgPool,
    actor: Uuid,
    id: Uuid,
    decision: Decision,
) -> Result<Intro, Error> {
    let mut tx = pool.begin().await?;
    let row: Option<(Uuid, Uuid, String)> = sqlx::query_as(
        "SELECT investor_id, builder_id, status FROM intro_requests WHERE id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    let Some((investor, builder, status)) = row else {
        return Err(Error::NotFound);
    };
    if actor != investor && actor != builder {
        // Someone else's request does not exist for them.
        return Err(Error::NotFound);
    }
    let (allowed, new_status) = match decision {
        Decision::Approve => (actor == builder, "approved"),
        Decision::Reject => (actor == builder, "rejected"),
        Decision::Withdraw => (actor == investor, "withdrawn"),
    };
    if !allowed {
        return Err(Error::Forbidden);
    }
    if status != "pending" {
        return Err(Error::Conflict(format!(
            "This request is no longer pending (it is {status})."
        )));
    }
    sqlx::query(
        "UPDATE intro_requests SET status = $2,
             responded_at = CASE WHEN $2 = 'withdrawn' THEN responded_at ELSE now() END,
             updated_at = now()
         WHERE id = $1",
    )
    .bind(id)
    .bind(new_status)
    .execute(&mut *tx)
    .await?;
    let intro = sqlx::query_as::<_, Intro>(&format!("SELECT {COLUMNS} {FROM} WHERE r.id = $1"))
        .bind(id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(intro)
}

/// Whether `investor` has an approved intro with `builder`.
pub async fn approved_between(
    pool: &PgPool,
    investor: Uuid,
    builder: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM intro_requests
         WHERE investor_id = $1 AND builder_id = $2 AND status = 'approved')",
    )
    .bind(investor)
    .bind(builder)
    .fetch_one(pool)
    .await
}
