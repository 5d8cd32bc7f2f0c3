//! Validation badges: validators award one badge of each type to a live
//! project (never their own) and may revoke the badges they gave. The
//! project owner is notified in the same transaction. Counters
//! (`proof_score`, dashboards) are kept by triggers.
//!
//! Lock order (`docs/DERIVED-DATA.md`): the project row first, then the
//! badge. An insert gets that from its `BEFORE INSERT` trigger, but taking
//! the project lock up front also makes the liveness and owner checks
//! hold until commit; a revoke must take it before deleting the badge.

use crate::error::Error;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

/// The badge types, in the order forms offer them; the database's
/// `validation_badges_type_check` allows exactly these.
pub const BADGE_TYPES: &[&str] = include!("badge_types.in");
/// Longest note, in characters after trimming (`validation_badges_note_length`).
pub const NOTE_MAX: usize = 500;

/// Checks the type and trims the note.
pub fn validate(badge_type: &str, note: &str) -> Result<(String, String), Error> {
    let badge_type = badge_type.trim();
    if !BADGE_TYPES.contains(&badge_type) {
        return Err(Error::invalid(
            "badge_type",
            "Choose one of the badge types.",
        ));
    }
    let note = note.trim();
    let len = note.chars().count();
    if len > NOTE_MAX {
        return Err(Error::invalid(
            "note",
            format!("Use at most {NOTE_MAX} characters (you used {len})."),
        ));
    }
    Ok((badge_type.to_string(), note.to_string()))
}

/// Awards a badge (a trigger notifies the project's owner); returns the
/// badge id.
#[tracing::instrument(skip(pool, note))]
pub async fn award(
    pool: &PgPool,
    validator_id: Uuid,
    project_id: Uuid,
    badge_type: &str,
    note: &str,
) -> Result<Uuid, Error> {
    let (badge_type, note) = validate(badge_type, note)?;
    let mut tx = pool.begin().await?;
    // Only an active validator may award.
    sqlx::query_scalar::<_, String>(
        "SELECT username FROM users WHERE id = $1 AND is_active AND role = 'validator'",
    )
    .bind(validator_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::Forbidden)?;
    let (owner, _title) = sqlx::query_as::<_, (Uuid, String)>(
        "SELECT user_id, title FROM projects WHERE id = $1 AND NOT is_deleted FOR NO KEY UPDATE",
    )
    .bind(project_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    if owner == validator_id {
        return Err(Error::invalid(
            "badge_type",
            "You cannot award a badge to your own project.",
        ));
    }
    let id = sqlx::query_scalar::<_, Uuid>(
        "INSERT INTO validation_badges (project_id, validator_id, badge_type, note) \
         VALUES ($1, $2, $3, $4) \
         ON CONFLICT ON CONSTRAINT validation_badges_one_per_type DO NOTHING RETURNING id",
    )
    .bind(project_id)
    .bind(validator_id)
    .bind(&badge_type)
    .bind(&note)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or_else(|| {
        Error::invalid(
            "badge_type",
            "You already awarded this badge to this project.",
        )
    })?;
    // The owner's notification is written by a trigger in this transaction
    // (data/derived/notifications.sql).
    tx.commit().await?;
    Ok(id)
}

/// Revokes a badge the validator gave; returns its project's id.
#[tracing::instrument(skip(pool))]
pub async fn revoke(pool: &PgPool, validator_id: Uuid, badge_id: Uuid) -> Result<Uuid, Error> {
    let mut tx = pool.begin().await?;
    // The project first, then the badge (docs/DERIVED-DATA.md).
    let (project_id, giver) = sqlx::query_as::<_, (Uuid, Uuid)>(
        "SELECT p.id, b.validator_id FROM projects p \
         JOIN validation_badges b ON b.project_id = p.id \
         WHERE b.id = $1 AND NOT p.is_deleted FOR NO KEY UPDATE OF p",
    )
    .bind(badge_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    if giver != validator_id {
        return Err(Error::Forbidden);
    }
    let deleted = sqlx::query("DELETE FROM validation_badges WHERE id = $1 AND validator_id = $2")
        .bind(badge_id)
        .bind(validator_id)
        .execute(&mut *tx)
        .await?
        .rows_affected();
    if deleted == 0 {
        // Revoked by a concurrent request between the two statements.
        return Err(Error::NotFound);
    }
    tx.commit().await?;
    Ok(project_id)
}

/// A badge as the project page shows it, read live.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LiveBadge {
    pub id: Uuid,
    pub badge_type: String,
    pub note: String,
    pub validator_id: Uuid,
    pub validator_username: String,
    pub created_at: OffsetDateTime,
}

/// The project's badges (oldest first) and proof score, read live: one
/// index range scan on `idx_badges_project`, so whoever just awarded or
/// revoked a badge sees it before `mv_project_details` is refreshed.
/// `None` when there is no live project with that id.
pub async fn live(
    pool: &PgPool,
    project_id: Uuid,
) -> Result<Option<(i32, Vec<LiveBadge>)>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        proof_score: i32,
        id: Option<Uuid>,
        badge_type: Option<String>,
        note: Option<String>,
        validator_id: Option<Uuid>,
        validator_username: Option<String>,
        created_at: Option<OffsetDateTime>,
    }
    let rows = sqlx::query_as::<_, Row>(
        "SELECT p.proof_score, b.id, b.badge_type, b.note, b.validator_id, \
                u.username AS validator_username, b.created_at \
         FROM projects p \
         LEFT JOIN validation_badges b ON b.project_id = p.id \
         LEFT JOIN users u ON u.id = b.validator_id \
         WHERE p.id = $1 AND NOT p.is_deleted \
         ORDER BY b.created_at, b.id",
    )
    .bind(project_id)
    .fetch_all(pool)
    .await?;
    let Some(first) = rows.first() else {
        return Ok(None);
    };
    let score = first.proof_score;
    let badges = rows
        .into_iter()
        .filter_map(|r| {
            Some(LiveBadge {
                id: r.id?,
                badge_type: r.badge_type?,
                note: r.note?,
                validator_id: r.validator_id?,
                validator_username: r.validator_username?,
                created_at: r.created_at?,
            })
        })
        .collect();
    Ok(Some((score, badges)))
}
