//! Public profiles (`/u/<username>`): the user's row of `mv_user_profiles`
//! (public fields only: no email, no password, no activity flags), their
//! projects from `mv_feed_projects` by keyset on the
//! `(user_id, created_at DESC, id DESC)` index, and the public chains they
//! follow.

use sqlx::{PgPool, Postgres, QueryBuilder};

use crate::cursor::{self, Cursor, KeyKind};
use time::OffsetDateTime;
use uuid::Uuid;

/// Projects per page of a profile.
pub const PROJECTS_PAGE_SIZE: i64 = 20;
/// At most this many followed chains are listed.
pub const CHAINS_SHOWN: i64 = 20;

/// A user's public profile.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Profile {
    pub id: Uuid,
    pub username: String,
    pub bio: String,
    pub profile_image: Option<String>,
    pub role: String,
    pub is_verified: bool,
    pub created_at: OffsetDateTime,
    pub karma: i64,
    pub total_proof_score: i64,
    pub upvotes_received: i64,
    pub project_count: i64,
    pub badges_received: i64,
    pub badges_given: i64,
    pub comment_count: i64,
    pub chains_followed: i64,
    pub chains_created: i64,
}

/// Whether `s` can be a username at all (`users_username_format`); anything
/// else is not looked up.
pub fn is_username(s: &str) -> bool {
    (3..=30).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// The profile of the active user called `username` (any case), or `None`.
/// The view lags by a few seconds; the join on `users` (primary key) makes a
/// user deactivated a moment ago disappear at once, and a user the view
/// does not hold yet (signed up a moment ago) is read live instead of
/// being a 404 until the next refresh.
pub async fn by_username(pool: &PgPool, username: &str) -> Result<Option<Profile>, sqlx::Error> {
    if !is_username(username) {
        return Ok(None);
    }
    let from_view = sqlx::query_as::<_, Profile>(
        "SELECT p.id, p.username, p.bio, p.profile_image, p.role, p.is_verified, p.created_at, \
                p.karma, p.total_proof_score, p.upvotes_received, p.project_count, \
                p.badges_received, p.badges_given, p.comment_count, p.chains_followed, \
                p.chains_created \
         FROM mv_user_profiles p JOIN users u ON u.id = p.id AND u.is_active \
         WHERE lower(p.username) = lower($1)",
    )
    .bind(username)
    .fetch_optional(pool)
    .await?;
    match from_view {
        Some(profile) => Ok(Some(profile)),
        None => live_by_username(pool, username).await,
    }
}

/// A profile from the source rows: `users_username_lower_key`, the user's
/// trigger-maintained `user_dashboard_stats` row and two small counts. Only
/// for users the view does not hold yet, so usually a new account with
/// nothing to count.
async fn live_by_username(pool: &PgPool, username: &str) -> Result<Option<Profile>, sqlx::Error> {
    sqlx::query_as::<_, Profile>(
        "SELECT u.id, u.username, u.bio, u.profile_image, u.role, u.is_verified, u.created_at, \
                s.karma_score::bigint AS karma, s.total_proof_score::bigint AS total_proof_score, \
                (s.karma_score - s.total_proof_score)::bigint AS upvotes_received, \
                s.active_projects::bigint AS project_count, \
                s.badges_received::bigint AS badges_received, \
                s.badges_given::bigint AS badges_given, s.comment_count::bigint AS comment_count, \
                (SELECT count(*) FROM chain_followers f WHERE f.user_id = u.id) AS chains_followed, \
                (SELECT count(*) FROM chains c \
                  WHERE c.creator_id = u.id AND c.is_active AND c.is_public) AS chains_created \
         FROM users u JOIN user_dashboard_stats s ON s.user_id = u.id \
         WHERE lower(u.username) = lower($1) AND u.is_active",
    )
    .bind(username)
    .fetch_optional(pool)
    .await
}

/// One of the user's projects, as its card in `mv_feed_projects` has it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProfileProject {
    pub id: Uuid,
    pub title: String,
    pub category: String,
    pub created_at: OffsetDateTime,
    pub proof_score: i32,
    pub upvote_count: i64,
    pub total_comment_count: i64,
    pub badge_types: Vec<String>,
}

/// A page of projects and the cursor of the next one, if there is more.
#[derive(Debug, Clone)]
pub struct ProjectPage {
    pub projects: Vec<ProfileProject>,
    pub next: Option<Cursor>,
}

/// The user's live projects, newest first: one range scan on
/// `mv_feed_projects_user (user_id, created_at DESC, id DESC)`.
pub async fn projects(
    pool: &PgPool,
    user_id: Uuid,
    after: Option<Cursor>,
    limit: i64,
) -> Result<ProjectPage, sqlx::Error> {
    const COLUMNS: &str = "id, title, category, created_at, proof_score, upvote_count, \
        total_comment_count, badge_types";
    let limit = limit.clamp(1, 100);
    let mut b: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "SELECT {COLUMNS} FROM mv_feed_projects WHERE user_id = "
    ));
    b.push_bind(user_id);
    if let Some(after) = &after {
        cursor::push_after(&mut b, "created_at", KeyKind::Time, after)?;
    }
    b.push(" ORDER BY created_at DESC, id DESC LIMIT ")
        .push_bind(limit + 1);
    let mut projects = b.build_query_as::<ProfileProject>().fetch_all(pool).await?;
    let next = cursor::next_page(&mut projects, limit, |p| Cursor::time(p.created_at, p.id));
    Ok(ProjectPage { projects, next })
}

/// A public chain the user follows.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FollowedChain {
    pub id: Uuid,
    pub name: String,
    pub follower_count: i64,
}

/// The public active chains the user follows, most recently followed
/// first (`idx_chain_followers_user`, then the view's primary key). Private
/// chains are never listed on a public page.
pub async fn chains_followed(
    pool: &PgPool,
    user_id: Uuid,
    limit: i64,
) -> Result<Vec<FollowedChain>, sqlx::Error> {
    sqlx::query_as::<_, FollowedChain>(
        "SELECT c.id, c.name, c.follower_count \
         FROM chain_followers f JOIN mv_chains_discovery c ON c.id = f.chain_id \
         WHERE f.user_id = $1 AND c.is_public \
         ORDER BY f.created_at DESC, c.id DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(limit.clamp(1, 100))
    .fetch_all(pool)
    .await
}
