//! Comments on projects: write, reply, edit and delete your own. Every
//! function checks existence and ownership inside its transaction and
//! writes nothing when a check fails. Counters are kept by triggers.

use crate::error::Error;
use sqlx::PgPool;
use uuid::Uuid;

/// Longest comment, in characters after trimming
/// (`comments_content_length` in the schema).
pub const CONTENT_MAX: usize = 2000;

/// Trims the text and checks its length.
pub fn validate_content(content: &str) -> Result<String, Error> {
    let text = content.trim();
    let len = text.chars().count();
    if len == 0 {
        return Err(Error::invalid("content", "Write something first."));
    }
    if len > CONTENT_MAX {
        return Err(Error::invalid(
            "content",
            format!("Use at most {CONTENT_MAX} characters (you used {len})."),
        ));
    }
    Ok(text.to_string())
}

/// A comment's ids, as the caller needs them to redirect.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommentRef {
    pub id: Uuid,
    pub project_id: Uuid,
}

/// Adds a top-level comment to a live project.
#[tracing::instrument(skip(pool, content))]
pub async fn create(
    pool: &PgPool,
    user_id: Uuid,
    project_id: Uuid,
    content: &str,
) -> Result<CommentRef, Error> {
    let text = validate_content(content)?;
    let mut tx = pool.begin().await?;
    let live = sqlx::query_scalar::<_, bool>(
        "SELECT EXISTS (SELECT 1 FROM projects WHERE id = $1 AND NOT is_deleted)",
    )
    .bind(project_id)
    .fetch_one(&mut *tx)
    .await?;
    if !live {
        return Err(Error::NotFound);
    }
    let id = sqlx::query_scalar::<_, Uuid>(
        "INSERT INTO comments (project_id, user_id, content) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(project_id)
    .bind(user_id)
    .bind(&text)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(CommentRef { id, project_id })
}

/// Replies to a comment of a live project (any depth).
#[tracing::instrument(skip(pool, content))]
pub async fn reply(
    pool: &PgPool,
    user_id: Uuid,
    parent_id: Uuid,
    content: &str,
) -> Result<CommentRef, Error> {
    let text = validate_content(content)?;
    let mut tx = pool.begin().await?;
    let project_id = sqlx::query_scalar::<_, Uuid>(
        "SELECT c.project_id FROM comments c JOIN projects p ON p.id = c.project_id \
         WHERE c.id = $1 AND NOT p.is_deleted",
    )
    .bind(parent_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    let id = sqlx::query_scalar::<_, Uuid>(
        "INSERT INTO comments (project_id, user_id, parent_id, content) \
         VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(project_id)
    .bind(user_id)
    .bind(parent_id)
    .bind(&text)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(CommentRef { id, project_id })
}

/// Locks the comment of a live project and checks it is the user's.
async fn lock_own(
    tx: &mut sqlx::Transaction<'_, sqlx::Postgres>,
    user_id: Uuid,
    comment_id: Uuid,
) -> Result<CommentRef, Error> {
    let row = sqlx::query_as::<_, (Uuid, Uuid)>(
        "SELECT c.user_id, c.project_id FROM comments c JOIN projects p ON p.id = c.project_id \
         WHERE c.id = $1 AND NOT p.is_deleted FOR UPDATE OF c",
    )
    .bind(comment_id)
    .fetch_optional(&mut **tx)
    .await?;
    match row {
        None => Err(Error::NotFound),
        Some((owner, _)) if owner != user_id => Err(Error::Forbidden),
        Some((_, project_id)) => Ok(CommentRef {
            id: comment_id,
            project_id,
        }),
    }
}

/// Replaces the text of the user's own comment and marks it edited.
#[tracing::instrument(skip(pool, content))]
pub async fn edit(
    pool: &PgPool,
    user_id: Uuid,
    comment_id: Uuid,
    content: &str,
) -> Result<CommentRef, Error> {
    let text = validate_content(content)?;
    let mut tx = pool.begin().await?;
    let found = lock_own(&mut tx, user_id, comment_id).await?;
    sqlx::query(
        "UPDATE comments SET content = $2, is_edited = true, updated_at = now() WHERE id = $1",
    )
    .bind(comment_id)
    .bind(&text)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(found)
}

/// Deletes the user's own comment. The schema has no soft delete for
/// comments: its replies go with it (`ON DELETE CASCADE`).
#[tracing::instrument(skip(pool))]
pub async fn delete(pool: &PgPool, user_id: Uuid, comment_id: Uuid) -> Result<CommentRef, Error> {
    let mut tx = pool.begin().await?;
    let found = lock_own(&mut tx, user_id, comment_id).await?;
    sqlx::query("DELETE FROM comments WHERE id = $1")
        .bind(comment_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(found)
}
