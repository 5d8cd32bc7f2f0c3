//! Upvotes on projects: add and remove the reader's upvote. The counters
//! (`user_dashboard_stats`) are kept by triggers in the same transaction;
//! the views are marked dirty and refreshed out of band.

use crate::error::Error;
use sqlx::PgPool;
use uuid::Uuid;

/// Locks the live project `FOR SHARE` (the lock the upvote insert trigger
/// takes anyway, so the order is the same), or `NotFound`.
async fn lock_live_project(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    project_id: Uuid,
) -> Result<(), Error> {
    let found = sqlx::query_scalar::<_, i32>(
        "SELECT 1 FROM projects WHERE id = $1 AND NOT is_deleted FOR SHARE",
    )
    .bind(project_id)
    .fetch_optional(&mut **tx)
    .await?;
    found.map(|_| ()).ok_or(Error::NotFound)
}

/// Upvotes the project (a downvote becomes an upvote). Idempotent: true
/// when something changed.
#[tracing::instrument(skip(pool))]
pub async fn upvote(pool: &PgPool, user_id: Uuid, project_id: Uuid) -> Result<bool, Error> {
    let mut tx = pool.begin().await?;
    lock_live_project(&mut tx, project_id).await?;
    let changed = sqlx::query(
        "INSERT INTO upvotes (user_id, project_id, is_upvote) VALUES ($1, $2, true) \
         ON CONFLICT (user_id, project_id) DO UPDATE SET is_upvote = true \
         WHERE NOT upvotes.is_upvote",
    )
    .bind(user_id)
    .bind(project_id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        > 0;
    tx.commit().await?;
    Ok(changed)
}

/// Removes the user's upvote of the project. Idempotent: true when there
/// was one. A downvote is left alone.
#[tracing::instrument(skip(pool))]
pub async fn remove_upvote(pool: &PgPool, user_id: Uuid, project_id: Uuid) -> Result<bool, Error> {
    let mut tx = pool.begin().await?;
    // No project lock: a delete holds the upvote row, which is what a
    // concurrent project transition waits for (docs/DERIVED-DATA.md).
    let live = sqlx::query_scalar::<_, bool>(
        "SELECT EXISTS (SELECT 1 FROM projects WHERE id = $1 AND NOT is_deleted)",
    )
    .bind(project_id)
    .fetch_one(&mut *tx)
    .await?;
    if !live {
        return Err(Error::NotFound);
    }
    let removed =
        sqlx::query("DELETE FROM upvotes WHERE user_id = $1 AND project_id = $2 AND is_upvote")
            .bind(user_id)
            .bind(project_id)
            .execute(&mut *tx)
            .await?
            .rows_affected()
            > 0;
    tx.commit().await?;
    Ok(removed)
}
