//! Investor applications (`investor_requests`): a signed-in user who is not
//! an investor applies; an admin decides elsewhere. One open (pending or
//! approved) application per user, enforced by the unique partial index
//! `investor_requests_one_open_key`; after a rejection the user may apply
//! again. The checks here mirror the table's CHECK constraints so bad
//! input is a field error, never a database error.

use crate::error::Error;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

pub const COMPANY_MAX: usize = 120;
pub const FOCUS_MAX: usize = 200;
pub const TICKET_MAX: usize = 60;
pub const URL_MAX: usize = 500;

/// The user's latest application.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Application {
    pub id: Uuid,
    pub status: String,
    pub company_name: String,
    pub investment_focus: String,
    pub ticket_size: String,
    pub portfolio_url: Option<String>,
    pub linkedin_url: Option<String>,
    pub created_at: OffsetDateTime,
    pub decided_at: Option<OffsetDateTime>,
}

/// The user's most recent application, if any.
pub async fn latest(pool: &PgPool, user_id: Uuid) -> Result<Option<Application>, sqlx::Error> {
    sqlx::query_as::<_, Application>(
        "SELECT id, status, company_name, investment_focus, ticket_size, portfolio_url,
                linkedin_url, created_at, coalesce(decided_at, approved_at) AS decided_at
         FROM investor_requests WHERE user_id = $1
         ORDER BY created_at DESC, id DESC LIMIT 1",
    )
    .bind(user_id)
    .fetch_optional(pool)
    .await
}

#[derive(Debug, Clone, Default)]
pub struct NewApplication {
    pub company_name: String,
    pub investment_focus: String,
    pub ticket_size: String,
    pub portfolio_url: String,
    pub linkedin_url: String,
}

/// An optional absolute http(s) URL of at most [`URL_MAX`] characters.
fn check_url(
    errors: &mut Vec<(&'static str, String)>,
    field: &'static str,
    value: &str,
) -> Option<String> {
    if value.is_empty() {
        return None;
    }
    let n = value.chars().count();
    if n > URL_MAX {
        errors.push((
            field,
            format!("At most {URL_MAX} characters (this has {n})."),
        ));
        return None;
    }
    let rest = value
        .strip_prefix("https://")
        .or_else(|| value.strip_prefix("http://"));
    let host = rest.map(|r| r.split(['/', '?', '#']).next().unwrap_or_default());
    let ok = matches!(host, Some(h) if !h.is_empty() && !h.contains(char::is_whitespace))
        && !value.contains(char::is_whitespace);
    if !ok {
        errors.push((
            field,
            "Enter a full web address starting with https:// or http://.".into(),
        ));
        return None;
    }
    Some(value.to_string())
}

/// Checks an application; the trimmed values on success.
pub fn validate(new: &NewApplication) -> Result<NewApplication, Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let company = new.company_name.trim();
    let focus = new.investment_focus.trim();
    let ticket = new.ticket_size.trim();
    let len = |s: &str| s.chars().count();
    if company.is_empty() {
        errors.push(("company_name", "Enter your company or fund's name.".into()));
    } else if len(company) > COMPANY_MAX {
        errors.push((
            "company_name",
            format!(
                "At most {COMPANY_MAX} characters (this has {}).",
                len(company)
            ),
        ));
    }
    if len(focus) > FOCUS_MAX {
        errors.push((
            "investment_focus",
            format!("At most {FOCUS_MAX} characters (this has {}).", len(focus)),
        ));
    }
    if len(ticket) > TICKET_MAX {
        errors.push((
            "ticket_size",
            format!(
                "At most {TICKET_MAX} characters (this has {}).",
                len(ticket)
            ),
        ));
    }
    let portfolio = check_url(&mut errors, "portfolio_url", new.portfolio_url.trim());
    let linkedin = check_url(&mut errors, "linkedin_url", new.linkedin_url.trim());
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(NewApplication {
        company_name: company.to_string(),
        investment_focus: focus.to_string(),
        ticket_size: ticket.to_string(),
        portfolio_url: portfolio.unwrap_or_default(),
        linkedin_url: linkedin.unwrap_or_default(),
    })
}

/// Files an application for `user_id` (an active user who is not an
/// investor).
pub async fn apply(pool: &PgPool, user_id: Uuid, new: &NewApplication) -> Result<Uuid, Error> {
    let new = validate(new).map_err(Error::Invalid)?;
    let role: Option<String> =
        sqlx::query_scalar("SELECT role FROM users WHERE id = $1 AND is_active")
            .bind(user_id)
            .fetch_optional(pool)
            .await?;
    match role.as_deref() {
        None | Some("investor") => return Err(Error::Forbidden),
        Some(_) => {}
    }
    let opt = |s: &str| (!s.is_empty()).then(|| s.to_string());
    let inserted = sqlx::query_scalar::<_, Uuid>(
        "INSERT INTO investor_requests
             (user_id, company_name, investment_focus, ticket_size, portfolio_url, linkedin_url)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(user_id)
    .bind(&new.company_name)
    .bind(&new.investment_focus)
    .bind(&new.ticket_size)
    .bind(opt(&new.portfolio_url))
    .bind(opt(&new.linkedin_url))
    .fetch_one(pool)
    .await;
    match inserted {
        Ok(id) => Ok(id),
        Err(sqlx::Error::Database(db))
            if db.constraint() == Some("investor_requests_one_open_key") =>
        {
            Err(Error::Conflict(
                "You already have an open application.".into(),
            ))
        }
        Err(err) => Err(err.into()),
    }
}
