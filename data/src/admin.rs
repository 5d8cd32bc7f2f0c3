//! The admin's work: deciding investor applications, the reports queue
//! (resolve, dismiss, deactivate the reported user, delete the reported
//! content) and the site totals of `mv_admin_dashboard`.
//!
//! Every write runs in one transaction that first locks the row it decides
//! (`FOR UPDATE`), so two admins acting at once cannot both decide the
//! same application or close the same report: the second gets
//! [`Error::Conflict`]. Callers check that the actor is an admin; the
//! functions take the admin's id only to record it.

use crate::error::Error;
use serde::Serialize;
use sqlx::{PgPool, Row};
use time::OffsetDateTime;
use uuid::Uuid;

// ------------------------------------------------------- applications --

/// A pending investor application, oldest first in the queue.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PendingApplication {
    pub id: Uuid,
    pub user_id: Uuid,
    pub username: String,
    pub role: String,
    pub company_name: String,
    pub investment_focus: String,
    pub ticket_size: String,
    pub portfolio_url: Option<String>,
    pub linkedin_url: Option<String>,
    pub created_at: OffsetDateTime,
}

/// Pending applications, oldest first (first come, first decided);
/// `idx_investor_requests_status` serves the filter.
pub async fn pending_applications(
    pool: &PgPool,
    limit: i64,
) -> Result<Vec<PendingApplication>, sqlx::Error> {
    sqlx::query_as::<_, PendingApplication>(
        "SELECT ir.id, ir.user_id, u.username, u.role, ir.company_name, ir.investment_focus,
                ir.ticket_size, ir.portfolio_url, ir.linkedin_url, ir.created_at
           FROM investor_requests ir JOIN users u ON u.id = ir.user_id
          WHERE ir.status = 'pending'
          ORDER BY ir.created_at, ir.id
          LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// What an admin decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
}

/// The decided application.
#[derive(Debug, Clone)]
pub struct Decided {
    pub id: Uuid,
    pub user_id: Uuid,
    /// The applicant's role after the decision.
    pub role: String,
}

/// Approves or rejects a pending application in one transaction. Approval
/// sets `approved_at`, and a builder becomes an `investor` (a validator or
/// an admin keeps the role: approval never demotes anyone; the directory
/// lists approved applications whatever the role). Only pending
/// applications can be decided; anything else is a conflict and nothing is
/// written. Notifications are written by triggers on `investor_requests`.
pub async fn decide_application(
    pool: &PgPool,
    admin_id: Uuid,
    id: Uuid,
    decision: Decision,
) -> Result<Decided, Error> {
    let mut tx = pool.begin().await?;
    let row = sqlx::query(
        "SELECT ir.status, ir.user_id FROM investor_requests ir WHERE ir.id = $1 FOR UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    let status: String = row.try_get("status")?;
    let user_id: Uuid = row.try_get("user_id")?;
    if status != "pending" {
        return Err(Error::Conflict(format!(
            "This application was already {status}."
        )));
    }
    match decision {
        Decision::Approve => {
            sqlx::query(
                "UPDATE investor_requests
                    SET status = 'approved', approved_at = now(), decided_at = now(),
                        reviewed_by = $2, updated_at = now()
                  WHERE id = $1",
            )
            .bind(id)
            .bind(admin_id)
            .execute(&mut *tx)
            .await?;
            sqlx::query(
                "UPDATE users SET role = 'investor', updated_at = now()
                  WHERE id = $1 AND role = 'builder'",
            )
            .bind(user_id)
            .execute(&mut *tx)
            .await?;
        }
        Decision::Reject => {
            sqlx::query(
                "UPDATE investor_requests
                    SET status = 'rejected', decided_at = now(), reviewed_by = $2,
                        updated_at = now()
                  WHERE id = $1",
            )
            .bind(id)
            .bind(admin_id)
            .execute(&mut *tx)
            .await?;
        }
    }
    let role: String = sqlx::query_scalar("SELECT role FROM users WHERE id = $1")
        .bind(user_id)
        .fetch_one(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(Decided { id, user_id, role })
}

// ------------------------------------------------------------ reports --

/// An open report with what it is about, for the queue.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct OpenReport {
    pub id: Uuid,
    pub target_type: String,
    pub target_id: Option<Uuid>,
    pub reason: String,
    pub reporter: Option<String>,
    pub created_at: OffsetDateTime,
    /// A short description of the target (project title, comment or post
    /// start, username); None when the target no longer exists.
    pub target_label: Option<String>,
    /// Where the target is shown on the site.
    pub target_link: Option<String>,
    /// The user behind the target (author or the reported user).
    pub target_user_id: Option<Uuid>,
    pub target_username: Option<String>,
    pub target_user_role: Option<String>,
    pub target_user_active: Option<bool>,
    /// The content is already deleted (or gone).
    pub target_deleted: bool,
}

/// Open reports, oldest first (`idx_reports_status`).
pub async fn open_reports(pool: &PgPool, limit: i64) -> Result<Vec<OpenReport>, sqlx::Error> {
    sqlx::query_as::<_, OpenReport>(
        "SELECT r.id, r.target_type, r.target_id, r.reason, rep.username AS reporter, r.created_at,
                t.label AS target_label, t.link AS target_link, t.user_id AS target_user_id,
                tu.username AS target_username, tu.role AS target_user_role,
                tu.is_active AS target_user_active,
                coalesce(t.deleted, r.target_type <> 'feedback') AS target_deleted
           FROM reports r
           LEFT JOIN users rep ON rep.id = r.reporter_id
           LEFT JOIN LATERAL (
                SELECT p.title AS label, '/p/' || p.id AS link, p.user_id, p.is_deleted AS deleted
                  FROM projects p WHERE r.target_type = 'project' AND p.id = r.target_id
                UNION ALL
                SELECT left(c.content, 120), '/p/' || c.project_id || '#comment-' || c.id,
                       c.user_id, false
                  FROM comments c WHERE r.target_type = 'comment' AND c.id = r.target_id
                UNION ALL
                SELECT cp.title, '/c/' || cp.chain_id || '/posts/' || cp.id, cp.author_id,
                       cp.is_deleted
                  FROM chain_posts cp WHERE r.target_type = 'chain_post' AND cp.id = r.target_id
                UNION ALL
                SELECT u.username, '/u/' || u.username, u.id, false
                  FROM users u WHERE r.target_type = 'user' AND u.id = r.target_id
           ) t ON TRUE
           LEFT JOIN users tu ON tu.id = t.user_id
          WHERE r.status = 'open'
          ORDER BY r.created_at, r.id
          LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// What an admin does with a report. Each closes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportAction {
    /// Handled (e.g. outside the site): status `resolved`.
    Resolve,
    /// Not a problem: status `dismissed`.
    Dismiss,
    /// Deactivate the user behind the target (never an admin): `resolved`.
    Deactivate,
    /// Delete the reported project, comment or chain post: `resolved`,
    /// with every other open report on the same content.
    DeleteContent,
}

impl ReportAction {
    pub fn parse(s: &str) -> Option<ReportAction> {
        match s {
            "resolve" => Some(ReportAction::Resolve),
            "dismiss" => Some(ReportAction::Dismiss),
            "deactivate" => Some(ReportAction::Deactivate),
            "delete" => Some(ReportAction::DeleteContent),
            _ => None,
        }
    }
}

/// Applies `action` to an open report in one transaction. A closed report
/// is a conflict; deactivating an admin, or deleting content of a report
/// about a user or feedback, is invalid; nothing is written then.
pub async fn act_on_report(
    pool: &PgPool,
    admin_id: Uuid,
    report_id: Uuid,
    action: ReportAction,
) -> Result<(), Error> {
    let mut tx = pool.begin().await?;
    let row =
        sqlx::query("SELECT status, target_type, target_id FROM reports WHERE id = $1 FOR UPDATE")
            .bind(report_id)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(Error::NotFound)?;
    let status: String = row.try_get("status")?;
    let target_type: String = row.try_get("target_type")?;
    let target_id: Option<Uuid> = row.try_get("target_id")?;
    if status != "open" {
        return Err(Error::Conflict(format!(
            "This report was already {status}."
        )));
    }
    let mut close_all_on_target = false;
    match action {
        ReportAction::Resolve | ReportAction::Dismiss => {}
        ReportAction::Deactivate => {
            let user: Option<(Uuid, String)> = sqlx::query_as(
                "SELECT u.id, u.role FROM users u WHERE u.id = (
                    CASE $1
                      WHEN 'project' THEN (SELECT user_id FROM projects WHERE id = $2)
                      WHEN 'comment' THEN (SELECT user_id FROM comments WHERE id = $2)
                      WHEN 'chain_post' THEN (SELECT author_id FROM chain_posts WHERE id = $2)
                      WHEN 'user' THEN $2
                    END)
                 FOR UPDATE",
            )
            .bind(&target_type)
            .bind(target_id)
            .fetch_optional(&mut *tx)
            .await?;
            let Some((user_id, role)) = user else {
                return Err(Error::invalid(
                    "action",
                    "There is no user behind this report to deactivate.",
                ));
            };
            if role == "admin" {
                return Err(Error::invalid("action", "Admins cannot be deactivated."));
            }
            sqlx::query("UPDATE users SET is_active = false, updated_at = now() WHERE id = $1")
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
        ReportAction::DeleteContent => {
            let affected = match target_type.as_str() {
                "project" => sqlx::query(
                    "UPDATE projects SET is_deleted = true, deleted_at = now(), updated_at = now()
                      WHERE id = $1 AND NOT is_deleted",
                ),
                // Comments are deleted for real, as their authors delete
                // them (`comments::delete`); replies go with them.
                "comment" => sqlx::query("DELETE FROM comments WHERE id = $1"),
                "chain_post" => sqlx::query(
                    "UPDATE chain_posts SET is_deleted = true, is_pinned = false, updated_at = now()
                      WHERE id = $1 AND NOT is_deleted",
                ),
                _ => {
                    return Err(Error::invalid("action", 
                        "Only a project, a comment or a chain post can be deleted.",
                    ))
                }
            }
            .bind(target_id)
            .execute(&mut *tx)
            .await?
            .rows_affected();
            if affected == 0 {
                return Err(Error::invalid(
                    "action",
                    "This content is already deleted. Resolve or dismiss the report.",
                ));
            }
            close_all_on_target = true;
        }
    }
    let new_status = if action == ReportAction::Dismiss {
        "dismissed"
    } else {
        "resolved"
    };
    sqlx::query(
        "UPDATE reports SET status = $2, resolved_by = $3, resolved_at = now()
          WHERE id = $1
             OR ($4 AND status = 'open' AND target_type = $5 AND target_id = $6)",
    )
    .bind(report_id)
    .bind(new_status)
    .bind(admin_id)
    .bind(close_all_on_target)
    .bind(&target_type)
    .bind(target_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

// ------------------------------------------------------------- totals --

/// Site totals from `mv_admin_dashboard`, with when the view was refreshed.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Totals {
    pub users_total: i64,
    pub users_active: i64,
    pub projects_live: i64,
    pub comments: i64,
    pub badges: i64,
    pub chains_total: i64,
    pub chain_posts: i64,
    pub direct_messages: i64,
    pub reports_open: i64,
    pub investor_applications_pending: i64,
    pub investors_approved: i64,
    pub as_of: Option<OffsetDateTime>,
}

/// The totals, or None while the view was never populated.
pub async fn totals(pool: &PgPool) -> Result<Option<Totals>, sqlx::Error> {
    let populated: bool = sqlx::query_scalar(
        "SELECT coalesce((SELECT relispopulated FROM pg_class
                           WHERE oid = to_regclass('mv_admin_dashboard')), false)",
    )
    .fetch_one(pool)
    .await?;
    if !populated {
        return Ok(None);
    }
    sqlx::query_as::<_, Totals>(
        "SELECT d.users_total, d.users_active, d.projects_live, d.comments, d.badges,
                d.chains_total, d.chain_posts, d.direct_messages, d.reports_open,
                d.investor_applications_pending, d.investors_approved,
                (SELECT last_refresh_at FROM mv_registry WHERE view_name = 'mv_admin_dashboard')
                    AS as_of
           FROM mv_admin_dashboard d",
    )
    .fetch_optional(pool)
    .await
}
