//! A user's notifications: keyset pages (newest first), mark one or all
//! read. The rows are written by triggers in the transaction of the event
//! they report (`data/derived/notifications.sql`, applied after the
//! migrations on every start); every statement here is scoped to the
//! owner, so another user's notification does not exist.

use sqlx::PgPool;

use crate::cursor::{self, Cursor};
use time::OffsetDateTime;
use uuid::Uuid;

/// Notifications per page.
pub const PAGE_SIZE: i64 = 20;

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Notification {
    pub id: Uuid,
    pub kind: String,
    pub message: String,
    pub link: Option<String>,
    pub is_read: bool,
    pub created_at: OffsetDateTime,
    pub actor_username: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Page {
    pub items: Vec<Notification>,
    /// Where the next page starts (the last item's time and id).
    pub next: Option<Cursor>,
}

/// One page of the user's notifications, newest first, after `after`
/// (`idx_notifications_user_created`).
#[tracing::instrument(skip(pool))]
pub async fn page(
    pool: &PgPool,
    user_id: Uuid,
    after: Option<Cursor>,
) -> Result<Page, sqlx::Error> {
    let (at, id) = cursor::time_bound(after)?;
    let mut items = sqlx::query_as::<_, Notification>(
        "SELECT n.id, n.kind, n.message, n.link, n.is_read, n.created_at, \
                u.username AS actor_username \
         FROM notifications n LEFT JOIN users u ON u.id = n.actor_id \
         WHERE n.user_id = $1 \
           AND ($2::timestamptz IS NULL OR (n.created_at, n.id) < ($2, $3)) \
         ORDER BY n.created_at DESC, n.id DESC \
         LIMIT $4",
    )
    .bind(user_id)
    .bind(at)
    .bind(id)
    .bind(PAGE_SIZE + 1)
    .fetch_all(pool)
    .await?;
    let next = cursor::next_page(&mut items, PAGE_SIZE, |n| Cursor::time(n.created_at, n.id));
    Ok(Page { items, next })
}

/// Marks one of the user's notifications read. `false` when the user has
/// no notification with that id (someone else's is as unknown).
#[tracing::instrument(skip(pool))]
pub async fn mark_read(pool: &PgPool, user_id: Uuid, id: Uuid) -> Result<bool, sqlx::Error> {
    // Found and already read is still found.
    let found = sqlx::query_scalar::<_, bool>(
        "WITH u AS (UPDATE notifications SET is_read = true \
                    WHERE id = $1 AND user_id = $2 AND NOT is_read RETURNING 1) \
         SELECT EXISTS (SELECT 1 FROM u) \
             OR EXISTS (SELECT 1 FROM notifications WHERE id = $1 AND user_id = $2)",
    )
    .bind(id)
    .bind(user_id)
    .fetch_one(pool)
    .await?;
    Ok(found)
}

/// Marks every unread notification of the user read; how many changed.
#[tracing::instrument(skip(pool))]
pub async fn mark_all_read(pool: &PgPool, user_id: Uuid) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("UPDATE notifications SET is_read = true WHERE user_id = $1 AND NOT is_read")
            .bind(user_id)
            .execute(pool)
            .await?
            .rows_affected(),
    )
}
