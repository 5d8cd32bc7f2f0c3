//! Reports to the admins: any signed-in user reports a live project or a
//! comment on one. A user has at most [`OPEN_MAX`] open reports at a time
//! (a trivial rate limit); reporting the same thing again while the first
//! report is open adds nothing.

use crate::error::Error;
use sqlx::PgPool;
use uuid::Uuid;

/// Longest reason, in characters after trimming (`reports_reason_length`).
pub const REASON_MAX: usize = 2000;
/// Open reports one user may have.
pub const OPEN_MAX: i64 = 20;
/// What can be reported from the public pages.
pub const TARGET_TYPES: &[&str] = &["project", "comment"];

/// Trims the reason and checks its length.
pub fn validate_reason(reason: &str) -> Result<String, Error> {
    let text = reason.trim();
    let len = text.chars().count();
    if len == 0 {
        return Err(Error::invalid("reason", "Tell the admins what is wrong."));
    }
    if len > REASON_MAX {
        return Err(Error::invalid(
            "reason",
            format!("Use at most {REASON_MAX} characters (you used {len})."),
        ));
    }
    Ok(text.to_string())
}

/// A report as filed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Filed {
    pub id: Uuid,
    /// The project reported, or the project of the comment reported.
    pub project_id: Uuid,
    /// False when the user's open report of the same target was kept.
    pub created: bool,
}

/// Files a report of a live project or of a comment on one.
#[tracing::instrument(skip(pool, reason))]
pub async fn create(
    pool: &PgPool,
    reporter_id: Uuid,
    target_type: &str,
    target_id: Uuid,
    reason: &str,
) -> Result<Filed, Error> {
    let reason = validate_reason(reason)?;
    let mut tx = pool.begin().await?;
    let project_id = match target_type {
        "project" => {
            sqlx::query_scalar::<_, Uuid>(
                "SELECT id FROM projects WHERE id = $1 AND NOT is_deleted",
            )
            .bind(target_id)
            .fetch_optional(&mut *tx)
            .await?
        }
        "comment" => {
            sqlx::query_scalar::<_, Uuid>(
                "SELECT p.id FROM comments c JOIN projects p ON p.id = c.project_id \
                 WHERE c.id = $1 AND NOT p.is_deleted",
            )
            .bind(target_id)
            .fetch_optional(&mut *tx)
            .await?
        }
        _ => None,
    }
    .ok_or(Error::NotFound)?;
    // One report at a time per user, so the limit holds under concurrency.
    sqlx::query("SELECT 1 FROM users WHERE id = $1 FOR NO KEY UPDATE")
        .bind(reporter_id)
        .execute(&mut *tx)
        .await?;
    let existing = sqlx::query_scalar::<_, Uuid>(
        "SELECT id FROM reports WHERE target_type = $1 AND target_id = $2 \
         AND reporter_id = $3 AND status = 'open' LIMIT 1",
    )
    .bind(target_type)
    .bind(target_id)
    .bind(reporter_id)
    .fetch_optional(&mut *tx)
    .await?;
    if let Some(id) = existing {
        tx.commit().await?;
        return Ok(Filed {
            id,
            project_id,
            created: false,
        });
    }
    let open = sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM reports WHERE reporter_id = $1 AND status = 'open'",
    )
    .bind(reporter_id)
    .fetch_one(&mut *tx)
    .await?;
    if open >= OPEN_MAX {
        return Err(Error::invalid(
            "reason",
            format!(
                "You already have {OPEN_MAX} open reports. Please wait until the admins have reviewed them."
            ),
        ));
    }
    let id = sqlx::query_scalar::<_, Uuid>(
        "INSERT INTO reports (reporter_id, target_type, target_id, reason) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(reporter_id)
    .bind(target_type)
    .bind(target_id)
    .bind(&reason)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Filed {
        id,
        project_id,
        created: true,
    })
}
