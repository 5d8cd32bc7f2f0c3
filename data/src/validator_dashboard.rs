//! The validator's dashboard: badges given by type and per week (from
//! `mv_validator_dashboard`), recent awards and projects awaiting review
//! (live, indexed queries).

use serde::Serialize;
use sqlx::{PgPool, Row};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::cursor::Cursor;

/// A validator's totals as of the view's last refresh.
#[derive(Debug, Clone, Serialize)]
pub struct Summary {
    pub badges_given: i64,
    /// (badge type, count), in the site's badge order.
    pub by_type: Vec<(String, i64)>,
    pub badges_last_30_days: i64,
    pub projects_validated: i64,
    /// (Monday of the week `YYYY-MM-DD`, badges), the last 12 weeks, oldest first.
    pub weekly: Vec<(String, i64)>,
    pub as_of: Option<OffsetDateTime>,
}

/// The validator's row of `mv_validator_dashboard`; None when the view
/// has none yet (a new validator before the next refresh).
pub async fn summary(pool: &PgPool, validator_id: Uuid) -> Result<Option<Summary>, sqlx::Error> {
    let row = sqlx::query(
        "SELECT badges_given, code_quality, innovation, impact, design, security,
                badges_last_30_days, projects_validated, weekly_counts,
                (SELECT last_refresh_at FROM mv_registry WHERE view_name = 'mv_validator_dashboard')
                    AS as_of
           FROM mv_validator_dashboard WHERE validator_id = $1",
    )
    .bind(validator_id)
    .fetch_optional(pool)
    .await?;
    let Some(r) = row else {
        return Ok(None);
    };
    let mut by_type = Vec::new();
    // The view has one count column per badge type, named after it.
    for t in crate::badges::BADGE_TYPES {
        by_type.push((t.to_string(), r.try_get::<i64, _>(*t)?));
    }
    let weekly_json: Option<serde_json::Value> = r.try_get("weekly_counts")?;
    let weekly = weekly_json
        .as_ref()
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .map(|w| {
                    (
                        w["week"].as_str().unwrap_or_default().to_string(),
                        w["count"].as_i64().unwrap_or_default(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    Ok(Some(Summary {
        badges_given: r.try_get("badges_given")?,
        by_type,
        badges_last_30_days: r.try_get("badges_last_30_days")?,
        projects_validated: r.try_get("projects_validated")?,
        weekly,
        as_of: r.try_get("as_of")?,
    }))
}

/// A badge this validator gave.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Award {
    pub project_id: Uuid,
    pub project_title: String,
    pub badge_type: String,
    pub created_at: OffsetDateTime,
}

/// The validator's newest badges on live projects, read live
/// (`idx_badges_validator (validator_id, created_at DESC)`).
pub async fn recent_awards(
    pool: &PgPool,
    validator_id: Uuid,
    limit: i64,
) -> Result<Vec<Award>, sqlx::Error> {
    sqlx::query_as::<_, Award>(
        "SELECT b.project_id, p.title AS project_title, b.badge_type, b.created_at
           FROM validation_badges b JOIN projects p ON p.id = b.project_id
          WHERE b.validator_id = $1 AND NOT p.is_deleted
          ORDER BY b.created_at DESC, b.id DESC
          LIMIT $2",
    )
    .bind(validator_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// A project the validator has not reviewed yet.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Awaiting {
    pub id: Uuid,
    pub title: String,
    pub category: String,
    pub builder: String,
    pub created_at: OffsetDateTime,
}

/// The newest live projects of active builders other than the validator
/// that carry no badge from this validator, newest first, read live:
/// a backward walk of `idx_projects_created (created_at DESC) WHERE NOT
/// is_deleted` stopping after `limit` matches, each checked by one probe
/// of `validation_badges_one_per_type (project_id, validator_id, ...)`.
/// `before` continues after the last project of a previous page.
pub async fn awaiting_review(
    pool: &PgPool,
    validator_id: Uuid,
    before: Option<Cursor>,
    limit: i64,
) -> Result<Vec<Awaiting>, sqlx::Error> {
    let (before_at, before_id) = crate::cursor::time_bound(before)?;
    sqlx::query_as::<_, Awaiting>(
        "SELECT p.id, p.title, p.category, u.username AS builder, p.created_at
           FROM projects p JOIN users u ON u.id = p.user_id
          WHERE NOT p.is_deleted AND u.is_active AND p.user_id <> $1
            AND ($2::timestamptz IS NULL OR (p.created_at, p.id) < ($2, $3))
            AND NOT EXISTS (SELECT 1 FROM validation_badges b
                             WHERE b.project_id = p.id AND b.validator_id = $1)
          ORDER BY p.created_at DESC, p.id DESC
          LIMIT $4",
    )
    .bind(validator_id)
    .bind(before_at)
    .bind(before_id)
    .bind(limit)
    .fetch_all(pool)
    .await
}
