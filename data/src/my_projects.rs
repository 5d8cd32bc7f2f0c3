//! A builder's own projects: list (soft-deleted included), create, edit,
//! soft delete and restore. Every write checks ownership inside its
//! transaction (the project row is locked first, the order of
//! docs/DERIVED-DATA.md) and writes nothing when a check fails. Dashboard
//! counters follow through the `projects` triggers.

use crate::error::Error;
use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

/// Limits of the schema's checks (`projects_*_length`), in characters.
pub const TITLE_MAX: usize = 120;
pub const DESCRIPTION_MAX: usize = 5000;
pub const URL_MAX: usize = 500;
/// The list shows at most this many projects.
pub const LIST_MAX: i64 = 500;

/// `projects_category_check`.
pub const CATEGORIES: &[&str] = &[
    "ai", "web", "mobile", "devtools", "data", "infra", "security", "hardware", "games", "fintech",
    "other",
];

/// Form fields, also the keys of field errors.
pub const TITLE: &str = "title";
pub const DESCRIPTION: &str = "description";
pub const LINK: &str = "link";
pub const IMAGE_URL: &str = "image_url";
pub const CATEGORY: &str = "category";

/// What a builder submits.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectInput {
    pub title: String,
    pub description: String,
    pub link: String,
    pub image_url: String,
    pub category: String,
}

/// Validated values, ready to write.
#[derive(Debug, Clone, PartialEq)]
struct Clean {
    title: String,
    description: String,
    link: String,
    image_url: Option<String>,
    category: String,
}

#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct MyProject {
    pub id: Uuid,
    pub user_id: Uuid,
    pub title: String,
    pub description: String,
    pub proof_of_work_link: Option<String>,
    pub image_url: Option<String>,
    pub category: String,
    pub proof_score: i32,
    pub is_deleted: bool,
    pub created_at: OffsetDateTime,
}

/// True for an absolute `http` / `https` URL with a host: no spaces or
/// control characters, no user info, nothing a browser would read as
/// another scheme (`javascript:`, `data:`).
pub fn is_web_url(s: &str) -> bool {
    let lower = s.to_ascii_lowercase();
    let rest = if let Some(r) = lower.strip_prefix("https://") {
        r
    } else if let Some(r) = lower.strip_prefix("http://") {
        r
    } else {
        return false;
    };
    if !s.chars().all(|c| c.is_ascii_graphic()) || s.contains('\\') {
        return false;
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.contains('@') {
        return false;
    }
    let port_ok = |p: &str| !p.is_empty() && p.len() <= 5 && p.chars().all(|c| c.is_ascii_digit());
    if let Some(inner) = authority.strip_prefix('[') {
        // An IPv6 literal.
        let Some((addr, after)) = inner.split_once(']') else {
            return false;
        };
        let port_fine = after.is_empty() || after.strip_prefix(':').is_some_and(port_ok);
        return port_fine
            && !addr.is_empty()
            && addr
                .chars()
                .all(|c| c.is_ascii_hexdigit() || c == ':' || c == '.');
    }
    let host = match authority.split_once(':') {
        Some((h, p)) if port_ok(p) => h,
        Some(_) => return false,
        None => authority,
    };
    !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        && !host.starts_with(['.', '-'])
        && host.chars().any(|c| c.is_ascii_alphanumeric())
}

fn validate(input: &ProjectInput) -> Result<Clean, Error> {
    let mut errors: Vec<(&'static str, String)> = Vec::new();
    let title = input.title.trim().to_string();
    if title.is_empty() {
        errors.push((TITLE, "Enter a title.".into()));
    } else if title.chars().count() > TITLE_MAX {
        errors.push((TITLE, format!("Use at most {TITLE_MAX} characters.")));
    }
    let description = input.description.trim().to_string();
    if description.chars().count() > DESCRIPTION_MAX {
        errors.push((
            DESCRIPTION,
            format!("Use at most {DESCRIPTION_MAX} characters."),
        ));
    }
    let link = input.link.trim().to_string();
    if link.is_empty() {
        errors.push((LINK, "Enter a link to your proof of work.".into()));
    } else if link.chars().count() > URL_MAX {
        errors.push((LINK, format!("Use at most {URL_MAX} characters.")));
    } else if !is_web_url(&link) {
        errors.push((
            LINK,
            "Enter a full web address starting with http:// or https://.".into(),
        ));
    }
    let image_url = input.image_url.trim().to_string();
    if image_url.chars().count() > URL_MAX {
        errors.push((IMAGE_URL, format!("Use at most {URL_MAX} characters.")));
    } else if !image_url.is_empty() && !is_web_url(&image_url) {
        errors.push((
            IMAGE_URL,
            "Enter a full web address starting with http:// or https://, or leave it empty.".into(),
        ));
    }
    let category = input.category.trim().to_string();
    if !CATEGORIES.contains(&category.as_str()) {
        errors.push((CATEGORY, "Choose a category from the list.".into()));
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    Ok(Clean {
        title,
        description,
        link,
        image_url: (!image_url.is_empty()).then_some(image_url),
        category,
    })
}

/// The user's projects, soft-deleted ones included: live first, newest first.
#[tracing::instrument(skip(pool))]
pub async fn list(pool: &PgPool, user_id: Uuid) -> Result<Vec<MyProject>, sqlx::Error> {
    sqlx::query_as::<_, MyProject>(
        "SELECT id, user_id, title, description, proof_of_work_link, image_url, category, \
                proof_score, is_deleted, created_at \
         FROM projects WHERE user_id = $1 \
         ORDER BY is_deleted, created_at DESC, id DESC LIMIT $2",
    )
    .bind(user_id)
    .bind(LIST_MAX)
    .fetch_all(pool)
    .await
}

/// One of the user's projects (for the edit form).
#[tracing::instrument(skip(pool))]
pub async fn get(pool: &PgPool, user_id: Uuid, id: Uuid) -> Result<MyProject, Error> {
    let row = sqlx::query_as::<_, MyProject>(
        "SELECT id, user_id, title, description, proof_of_work_link, image_url, category, \
                proof_score, is_deleted, created_at \
         FROM projects WHERE id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await?;
    match row {
        None => Err(Error::NotFound),
        Some(p) if p.user_id != user_id => Err(Error::Forbidden),
        Some(p) => Ok(p),
    }
}

/// Creates a project owned by `user_id`; its id.
#[tracing::instrument(skip(pool, input))]
pub async fn create(pool: &PgPool, user_id: Uuid, input: &ProjectInput) -> Result<Uuid, Error> {
    let c = validate(input)?;
    let id = sqlx::query_scalar::<_, Uuid>(
        "INSERT INTO projects (user_id, title, description, proof_of_work_link, image_url, category) \
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
    )
    .bind(user_id)
    .bind(&c.title)
    .bind(&c.description)
    .bind(&c.link)
    .bind(&c.image_url)
    .bind(&c.category)
    .fetch_one(pool)
    .await?;
    Ok(id)
}

/// Locks the project and checks its owner.
async fn lock_own(tx: &mut sqlx::PgConnection, user_id: Uuid, id: Uuid) -> Result<bool, Error> {
    let row = sqlx::query_as::<_, (Uuid, bool)>(
        "SELECT user_id, is_deleted FROM projects WHERE id = $1 FOR NO KEY UPDATE",
    )
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    match row {
        None => Err(Error::NotFound),
        Some((owner, _)) if owner != user_id => Err(Error::Forbidden),
        Some((_, deleted)) => Ok(deleted),
    }
}

/// Replaces the project's fields (its owner only).
#[tracing::instrument(skip(pool, input))]
pub async fn update(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
    input: &ProjectInput,
) -> Result<(), Error> {
    let mut tx = pool.begin().await?;
    lock_own(&mut tx, user_id, id).await?;
    let c = validate(input)?;
    sqlx::query(
        "UPDATE projects SET title = $2, description = $3, proof_of_work_link = $4, \
                image_url = $5, category = $6, updated_at = now() \
         WHERE id = $1",
    )
    .bind(id)
    .bind(&c.title)
    .bind(&c.description)
    .bind(&c.link)
    .bind(&c.image_url)
    .bind(&c.category)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Soft-deletes (`deleted`) or restores the project (its owner only).
/// Doing it twice changes nothing.
#[tracing::instrument(skip(pool))]
pub async fn set_deleted(
    pool: &PgPool,
    user_id: Uuid,
    id: Uuid,
    deleted: bool,
) -> Result<(), Error> {
    let mut tx = pool.begin().await?;
    let was = lock_own(&mut tx, user_id, id).await?;
    if was != deleted {
        sqlx::query(
            "UPDATE projects SET is_deleted = $2, \
                    deleted_at = CASE WHEN $2 THEN now() END, updated_at = now() \
             WHERE id = $1",
        )
        .bind(id)
        .bind(deleted)
        .execute(&mut *tx)
        .await?;
    }
    tx.commit().await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::is_web_url;

    #[test]
    fn only_http_urls_with_a_host() {
        for ok in [
            "https://example.com",
            "http://example.com/a?b=c#d",
            "https://sub.example.co.uk:8443/x",
            "HTTPS://EXAMPLE.COM",
            "http://[::1]:8080/",
        ] {
            assert!(is_web_url(ok), "{ok}");
        }
        for bad in [
            "",
            "example.com",
            "javascript:alert(1)",
            "JavaScript://example.com/%0aalert(1)",
            "data:text/html,x",
            "https://",
            "https:///path",
            "http://user@evil.example",
            "https://exa mple.com",
            "https://example.com/\t",
            "ftp://example.com",
            "//example.com",
            "https://.",
            "https://example.com:x",
            "https:\\\\example.com",
        ] {
            assert!(!is_web_url(bad), "{bad}");
        }
    }
}
