//! Data for the Atom feeds (`server/src/feeds.rs` renders them).

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

/// Entries in the newest-projects feed.
pub const NEWEST_PROJECTS: i64 = 50;

/// A project as an Atom entry needs it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FeedProject {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub category: String,
    pub username: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// The newest live projects: one range scan on
/// `mv_feed_projects_newest (created_at DESC, id DESC)`.
pub async fn newest_projects(pool: &PgPool, limit: i64) -> Result<Vec<FeedProject>, sqlx::Error> {
    sqlx::query_as::<_, FeedProject>(
        "SELECT id, title, description, category, username, created_at, updated_at \
         FROM mv_feed_projects ORDER BY created_at DESC, id DESC LIMIT $1",
    )
    .bind(limit.clamp(1, 100))
    .fetch_all(pool)
    .await
}
