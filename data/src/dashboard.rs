//! The signed-in user's numbers: their row of `user_dashboard_stats` (kept
//! exact by triggers, docs/DERIVED-DATA.md), read by primary key.

use sqlx::PgPool;
use uuid::Uuid;

/// The user's row of `user_dashboard_stats` (the columns a person sees).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct DashboardStats {
    pub project_count: i32,
    pub active_projects: i32,
    pub total_proof_score: i32,
    pub karma_score: i32,
    pub comment_count: i32,
    pub badges_given: i32,
    pub badges_received: i32,
    pub intros_sent: i32,
    pub intros_received: i32,
    pub intro_requests_pending: i32,
    pub unread_messages: i32,
    pub unread_notifications: i32,
}

/// Unread direct messages and notifications (the navigation's badges).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct Unread {
    pub unread_messages: i32,
    pub unread_notifications: i32,
}

/// One primary-key read; `None` only for an unknown user.
#[tracing::instrument(skip(pool))]
pub async fn stats(pool: &PgPool, user_id: Uuid) -> Result<Option<DashboardStats>, sqlx::Error> {
    sqlx::query_as::<_, DashboardStats>(
        "SELECT project_count, active_projects, total_proof_score, karma_score, \
                comment_count, badges_given, badges_received, intros_sent, \
                intros_received, intro_requests_pending, unread_messages, \
                unread_notifications \
         FROM user_dashboard_stats WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await
}

/// The two unread counters (one primary-key read); zero for an unknown user.
pub async fn unread(pool: &PgPool, user_id: Uuid) -> Result<Unread, sqlx::Error> {
    Ok(sqlx::query_as::<_, Unread>(
        "SELECT unread_messages, unread_notifications \
         FROM user_dashboard_stats WHERE user_id = $1",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await?
    .unwrap_or_default())
}
