//! The leaderboards: pages of the views `mv_leaderboard_projects` and
//! `mv_leaderboard_builders` by rank. `rank` is unique and continuous
//! (1, 2, 3, ...) in both, so the cursor is simply the last rank shown.
//! Each view ranks the first 1,000 entries of an index of the feed's or
//! the profiles' table (data/derived/), so a page costs at most that.

use sqlx::PgPool;
use uuid::Uuid;

/// The structures the leaderboard views read, which are the hot cache's
/// names for their pages: the refresher drops a structure's entries when
/// it steps or refreshes it.
pub const PROJECTS_VIEW: &str = "mv_feed_projects";
pub const BUILDERS_VIEW: &str = "mv_user_profiles";
/// The hot cache's key of a leaderboard's first page (under the names
/// above, beside the feed's and the profiles' own entries).
pub const FIRST_PAGE_KEY: &str = "leaderboard:first";

/// Rows per page.
pub const PAGE_SIZE: i64 = 50;

/// One row of the projects leaderboard.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, sqlx::FromRow)]
pub struct ProjectRank {
    pub rank: i64,
    pub id: Uuid,
    pub title: String,
    pub category: String,
    pub proof_score: i32,
    pub username: String,
    pub badge_count: i64,
    pub comment_count: i64,
    pub upvote_count: i64,
}

/// One row of the builders leaderboard (public fields only).
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, sqlx::FromRow)]
pub struct BuilderRank {
    pub rank: i64,
    pub id: Uuid,
    pub username: String,
    pub is_verified: bool,
    pub role: String,
    pub total_karma: i64,
    pub total_proof_score: i64,
    pub upvotes_received: i64,
    pub project_count: i64,
    pub badges_received: i64,
    pub badges_given: i64,
}

/// A page of rows and the cursor (last rank) of the next page, if any.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub next: Option<i64>,
}

fn paginate<T>(mut rows: Vec<T>, limit: i64, rank: impl Fn(&T) -> i64) -> Page<T> {
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(rank)
    } else {
        None
    };
    Page { rows, next }
}

/// The projects ranked after `after` (0 for the first page).
pub async fn projects(
    pool: &PgPool,
    after: i64,
    limit: i64,
) -> Result<Page<ProjectRank>, sqlx::Error> {
    let limit = limit.clamp(1, 100);
    let rows = sqlx::query_as::<_, ProjectRank>(
        "SELECT rank, id, title, category, proof_score, username, badge_count, comment_count, \
                upvote_count \
         FROM mv_leaderboard_projects WHERE rank > $1 ORDER BY rank LIMIT $2",
    )
    .bind(after.max(0))
    .bind(limit + 1)
    .fetch_all(pool)
    .await?;
    Ok(paginate(rows, limit, |r| r.rank))
}

/// The builders ranked after `after` (0 for the first page).
pub async fn builders(
    pool: &PgPool,
    after: i64,
    limit: i64,
) -> Result<Page<BuilderRank>, sqlx::Error> {
    let limit = limit.clamp(1, 100);
    let rows = sqlx::query_as::<_, BuilderRank>(
        "SELECT rank, id, username, is_verified, role, total_karma, total_proof_score, \
                upvotes_received, project_count, badges_received, badges_given \
         FROM mv_leaderboard_builders WHERE rank > $1 ORDER BY rank LIMIT $2",
    )
    .bind(after.max(0))
    .bind(limit + 1)
    .fetch_all(pool)
    .await?;
    Ok(paginate(rows, limit, |r| r.rank))
}
