//! Chains: discovery pages (keyset pages of `mv_chains_discovery`), the
//! chain page's header (the view, or live counts for one chain), its
//! projects, and the writes: create, follow, unfollow, add and remove a
//! project. Every write checks existence, visibility and permission inside
//! its transaction and writes nothing when a check fails.
//!
//! Visibility: an active chain is visible to everyone when public; a
//! private chain only to its creator and its followers (to anyone else it
//! does not exist: `NotFound`). An inactive chain does not exist.

use crate::cursor::{self, Cursor, KeyKind};
use crate::error::Error;
use sqlx::{PgPool, Postgres, QueryBuilder};
use time::OffsetDateTime;
use uuid::Uuid;

/// The view of the discovery pages, and the hot cache's name for its pages
/// (the refresher drops them when it refreshes the view).
pub const VIEW: &str = "mv_chains_discovery";

/// Chains per discovery page.
pub const PAGE_SIZE: i64 = 20;
/// Projects per page of a chain.
pub const PROJECTS_PAGE_SIZE: i64 = 20;
/// Longest name / description, in characters (the schema's checks).
pub const NAME_MIN: usize = 2;
pub const NAME_MAX: usize = 80;
pub const DESCRIPTION_MAX: usize = 2000;

/// The categories a chain can have (`chains_category_check`).
pub const CATEGORIES: &[&str] = &[
    "ai", "web", "mobile", "devtools", "data", "infra", "security", "hardware", "games", "fintech",
    "other",
];

/// Discovery order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// `trending_score DESC, id DESC`.
    Trending,
    /// `follower_count DESC, id DESC`.
    Followed,
    /// `created_at DESC, id DESC`.
    Newest,
}

impl Tab {
    pub fn parse(s: Option<&str>) -> Result<Tab, String> {
        Ok(match s {
            None | Some("") | Some("trending") => Tab::Trending,
            Some("followed") => Tab::Followed,
            Some("newest") => Tab::Newest,
            Some(other) => {
                return Err(format!(
                    "unknown tab \"{other}\" (use trending, followed or newest)"
                ))
            }
        })
    }

    /// What the tab is ordered by (its page cursor's key).
    pub fn kind(self) -> KeyKind {
        match self {
            Tab::Trending => KeyKind::Score,
            Tab::Followed => KeyKind::Count,
            Tab::Newest => KeyKind::Time,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Tab::Trending => "trending",
            Tab::Followed => "followed",
            Tab::Newest => "newest",
        }
    }
}

/// A chain as `mv_chains_discovery` holds it (or as [`live_card`] computes it).
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, sqlx::FromRow)]
pub struct ChainCard {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub image_url: Option<String>,
    pub category: String,
    pub is_public: bool,
    pub is_featured: bool,
    pub created_at: OffsetDateTime,
    pub creator_id: Uuid,
    pub creator_username: String,
    pub follower_count: i64,
    pub project_count: i64,
    pub post_count: i64,
    pub trending_score: f64,
}

impl ChainCard {
    fn cursor(&self, tab: Tab) -> Cursor {
        match tab {
            Tab::Trending => Cursor::score(self.trending_score, self.id),
            Tab::Followed => Cursor::count(self.follower_count, self.id),
            Tab::Newest => Cursor::time(self.created_at, self.id),
        }
    }
}

const COLUMNS: &str = "id, name, description, image_url, category, is_public, is_featured, \
    created_at, creator_id, creator_username, follower_count, project_count, post_count, \
    trending_score";

/// What the discovery page asks for.
#[derive(Debug, Clone, PartialEq)]
pub struct DiscoveryQuery {
    pub tab: Tab,
    /// One of [`CATEGORIES`].
    pub category: Option<String>,
    pub after: Option<Cursor>,
    pub limit: i64,
}

#[derive(serde::Serialize, serde::Deserialize, Debug, Clone)]
pub struct DiscoveryPage {
    pub chains: Vec<ChainCard>,
    pub next: Option<Cursor>,
}

/// One discovery page of public chains: a range scan of the tab's partial
/// index (`mv_chains_discovery_trending`, `_followers`, `_newest`,
/// `_category`).
pub async fn discovery(pool: &PgPool, q: &DiscoveryQuery) -> Result<DiscoveryPage, sqlx::Error> {
    let limit = q.limit.clamp(1, 100);
    let mut b: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "SELECT {COLUMNS} FROM mv_chains_discovery WHERE is_public"
    ));
    if let Some(category) = &q.category {
        b.push(" AND category = ").push_bind(category.clone());
    }
    let key = match q.tab {
        Tab::Trending => "trending_score",
        Tab::Followed => "follower_count",
        Tab::Newest => "created_at",
    };
    if let Some(after) = &q.after {
        cursor::push_after(&mut b, key, q.tab.kind(), after)?;
    }
    b.push(format!(" ORDER BY {key} DESC, id DESC LIMIT "))
        .push_bind(limit + 1);
    let mut chains = b.build_query_as::<ChainCard>().fetch_all(pool).await?;
    let next = cursor::next_page(&mut chains, limit, |c| c.cursor(q.tab));
    Ok(DiscoveryPage { chains, next })
}

/// A few featured public chains (`mv_chains_discovery_featured`).
pub async fn featured(pool: &PgPool, limit: i64) -> Result<Vec<ChainCard>, sqlx::Error> {
    sqlx::query_as::<_, ChainCard>(&format!(
        "SELECT {COLUMNS} FROM mv_chains_discovery WHERE is_public AND is_featured \
         ORDER BY trending_score DESC, id DESC LIMIT $1"
    ))
    .bind(limit.clamp(1, 50))
    .fetch_all(pool)
    .await
}

/// The chain page's header from the view, for an active chain (liveness
/// and `is_public` are read from `chains`, so a chain deactivated a moment
/// ago is gone although the view still holds it). `None` when the view
/// does not hold it (yet): see [`live_card`].
pub async fn view_card(pool: &PgPool, id: Uuid) -> Result<Option<ChainCard>, sqlx::Error> {
    sqlx::query_as::<_, ChainCard>(
        "SELECT d.id, d.name, d.description, d.image_url, d.category, c.is_public, \
                d.is_featured, d.created_at, d.creator_id, d.creator_username, \
                d.follower_count, d.project_count, d.post_count, d.trending_score \
         FROM mv_chains_discovery d JOIN chains c ON c.id = d.id AND c.is_active \
         WHERE d.id = $1",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// The header of one active chain computed from the base tables right now
/// (primary-key reads and index range counts: `idx_chain_followers_chain`,
/// the `chain_projects` key, `idx_chain_posts_chain`). Used when the
/// reader acted on the chain recently, or the view does not hold it yet.
pub async fn live_card(pool: &PgPool, id: Uuid) -> Result<Option<ChainCard>, sqlx::Error> {
    sqlx::query_as::<_, ChainCard>(
        "SELECT c.id, c.name, c.description, c.image_url, c.category, c.is_public, \
                c.is_featured, c.created_at, c.creator_id, u.username AS creator_username, \
                (SELECT count(*) FROM chain_followers f WHERE f.chain_id = c.id) AS follower_count, \
                (SELECT count(*) FROM chain_projects cp JOIN projects p ON p.id = cp.project_id \
                  WHERE cp.chain_id = c.id AND NOT p.is_deleted) AS project_count, \
                (SELECT count(*) FROM chain_posts cp WHERE cp.chain_id = c.id AND NOT cp.is_deleted) \
                  AS post_count, \
                0::double precision AS trending_score \
         FROM chains c JOIN users u ON u.id = c.creator_id \
         WHERE c.id = $1 AND c.is_active",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// Whether `user` may see the chain: public, or its creator, or a follower.
/// `None` when there is no active chain with that id.
pub async fn visible_to(
    pool: &PgPool,
    chain_id: Uuid,
    user_id: Option<Uuid>,
) -> Result<Option<bool>, sqlx::Error> {
    sqlx::query_scalar::<_, bool>(
        "SELECT chain_visible_to(c, $2) FROM chains c WHERE c.id = $1 AND c.is_active",
    )
    .bind(chain_id)
    .bind(user_id)
    .fetch_optional(pool)
    .await
}

/// Whether the user follows the chain (live).
pub async fn is_following(
    pool: &PgPool,
    chain_id: Uuid,
    user_id: Uuid,
) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar::<_, bool>(
        "SELECT EXISTS (SELECT 1 FROM chain_followers WHERE chain_id = $1 AND user_id = $2)",
    )
    .bind(chain_id)
    .bind(user_id)
    .fetch_one(pool)
    .await
}

/// A project in a chain, as the chain page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ChainProject {
    pub id: Uuid,
    pub title: String,
    pub category: String,
    pub proof_score: i32,
    pub user_id: Uuid,
    pub username: String,
    pub added_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct ChainProjects {
    pub projects: Vec<ChainProject>,
    /// `(added_at, project id)` of the last row when there are more.
    pub next: Option<Cursor>,
}

/// One page of the chain's live projects, most recently added first: a
/// range scan of `idx_chain_projects_chain_created` and a primary-key
/// read of each project and its builder. Read live (not from a view) so
/// an added or removed project shows at once.
pub async fn projects(
    pool: &PgPool,
    chain_id: Uuid,
    before: Option<Cursor>,
) -> Result<ChainProjects, sqlx::Error> {
    let (at, id) = cursor::time_bound(before)?;
    let mut projects = sqlx::query_as::<_, ChainProject>(
        "SELECT p.id, p.title, p.category, p.proof_score, p.user_id, u.username, \
                cp.created_at AS added_at \
         FROM chain_projects cp \
         JOIN projects p ON p.id = cp.project_id AND NOT p.is_deleted \
         JOIN users u ON u.id = p.user_id \
         WHERE cp.chain_id = $1 \
           AND ($2::timestamptz IS NULL OR (cp.created_at, cp.project_id) < ($2, $3)) \
         ORDER BY cp.created_at DESC, cp.project_id DESC LIMIT $4",
    )
    .bind(chain_id)
    .bind(at)
    .bind(id)
    .bind(PROJECTS_PAGE_SIZE + 1)
    .fetch_all(pool)
    .await?;
    let next = cursor::next_page(&mut projects, PROJECTS_PAGE_SIZE, |p| {
        Cursor::time(p.added_at, p.id)
    });
    Ok(ChainProjects { projects, next })
}

/// The user's own live projects not yet in the chain (for the "add your
/// project" choice), newest first, at most 50 (`idx_projects_user`).
pub async fn own_projects_outside(
    pool: &PgPool,
    chain_id: Uuid,
    user_id: Uuid,
) -> Result<Vec<(Uuid, String)>, sqlx::Error> {
    sqlx::query_as::<_, (Uuid, String)>(
        "SELECT p.id, p.title FROM projects p \
         WHERE p.user_id = $1 AND NOT p.is_deleted \
           AND NOT EXISTS (SELECT 1 FROM chain_projects cp \
                           WHERE cp.chain_id = $2 AND cp.project_id = p.id) \
         ORDER BY p.created_at DESC, p.id DESC LIMIT 50",
    )
    .bind(user_id)
    .bind(chain_id)
    .fetch_all(pool)
    .await
}

/// A chain to create (as typed).
#[derive(Debug, Clone)]
pub struct NewChain {
    pub name: String,
    pub description: String,
    pub category: String,
    pub is_public: bool,
}

/// Checks a new chain's fields; the name and description come back trimmed.
pub fn validate(new: &NewChain) -> Result<NewChain, Error> {
    let mut errors = Vec::new();
    let name = new.name.trim().to_string();
    let len = name.chars().count();
    if len < NAME_MIN {
        errors.push((
            "name",
            format!("Use at least {NAME_MIN} characters for the name."),
        ));
    } else if len > NAME_MAX {
        errors.push((
            "name",
            format!("Use at most {NAME_MAX} characters for the name (you used {len})."),
        ));
    } else if name.chars().any(char::is_control) {
        errors.push(("name", "The name cannot contain control characters.".into()));
    }
    let description = new.description.trim().to_string();
    let dlen = description.chars().count();
    if dlen > DESCRIPTION_MAX {
        errors.push((
            "description",
            format!("Use at most {DESCRIPTION_MAX} characters (you used {dlen})."),
        ));
    }
    if !CATEGORIES.contains(&new.category.as_str()) {
        errors.push(("category", "Choose a category from the list.".into()));
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    Ok(NewChain {
        name,
        description,
        category: new.category.clone(),
        is_public: new.is_public,
    })
}

fn duplicate_name() -> Error {
    Error::Invalid(vec![(
        "name",
        "A chain with that name already exists. Choose another name.".into(),
    )])
}

/// Creates a chain; its creator follows it. A name already taken (any
/// letter case) is a field error.
#[tracing::instrument(skip(pool, new))]
pub async fn create(pool: &PgPool, creator_id: Uuid, new: &NewChain) -> Result<Uuid, Error> {
    let new = validate(new)?;
    let mut tx = pool.begin().await?;
    let taken = sqlx::query_scalar::<_, bool>(
        "SELECT EXISTS (SELECT 1 FROM chains WHERE lower(name) = lower($1))",
    )
    .bind(&new.name)
    .fetch_one(&mut *tx)
    .await?;
    if taken {
        return Err(duplicate_name());
    }
    let id = match sqlx::query_scalar::<_, Uuid>(
        "INSERT INTO chains (creator_id, name, description, category, is_public) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(creator_id)
    .bind(&new.name)
    .bind(&new.description)
    .bind(&new.category)
    .bind(new.is_public)
    .fetch_one(&mut *tx)
    .await
    {
        Ok(id) => id,
        // Two people creating the same name at once: the unique index decides.
        Err(sqlx::Error::Database(e)) if e.constraint() == Some("chains_name_lower_key") => {
            return Err(duplicate_name())
        }
        Err(e) => return Err(e.into()),
    };
    sqlx::query("INSERT INTO chain_followers (chain_id, user_id) VALUES ($1, $2)")
        .bind(id)
        .bind(creator_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(id)
}

/// A chain as a write in it sees it, locked `FOR SHARE` (so it cannot be
/// deactivated under the write).
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
pub(crate) struct LockedChain {
    pub creator_id: Uuid,
    pub is_public: bool,
    /// The user follows the chain.
    pub following: bool,
}

/// The chain, locked, if the user may see it (the database's
/// `chain_visible_to`); `None` when it is inactive or hidden from them.
pub(crate) async fn lock_if_visible(
    tx: &mut sqlx::Transaction<'_, Postgres>,
    chain_id: Uuid,
    user_id: Uuid,
) -> Result<Option<LockedChain>, sqlx::Error> {
    sqlx::query_as::<_, LockedChain>(
        "SELECT c.creator_id, c.is_public, \
                EXISTS (SELECT 1 FROM chain_followers f WHERE f.chain_id = c.id AND f.user_id = $2) \
                    AS following \
         FROM chains c WHERE c.id = $1 AND chain_visible_to(c, $2) FOR SHARE",
    )
    .bind(chain_id)
    .bind(user_id)
    .fetch_optional(&mut **tx)
    .await
}

/// The chain's creator and whether it is public, locked, if the user may
/// see it.
async fn lock_visible(
    tx: &mut sqlx::Transaction<'_, Postgres>,
    chain_id: Uuid,
    user_id: Uuid,
) -> Result<(Uuid, bool), Error> {
    let chain = lock_if_visible(tx, chain_id, user_id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((chain.creator_id, chain.is_public))
}

/// Follows a chain the user can see. Idempotent: true when it changed.
#[tracing::instrument(skip(pool))]
pub async fn follow(pool: &PgPool, user_id: Uuid, chain_id: Uuid) -> Result<bool, Error> {
    let mut tx = pool.begin().await?;
    lock_visible(&mut tx, chain_id, user_id).await?;
    let changed = sqlx::query(
        "INSERT INTO chain_followers (chain_id, user_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
    )
    .bind(chain_id)
    .bind(user_id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        > 0;
    tx.commit().await?;
    Ok(changed)
}

/// Stops following. Idempotent: true when it changed.
#[tracing::instrument(skip(pool))]
pub async fn unfollow(pool: &PgPool, user_id: Uuid, chain_id: Uuid) -> Result<bool, Error> {
    let mut tx = pool.begin().await?;
    lock_visible(&mut tx, chain_id, user_id).await?;
    let changed = sqlx::query("DELETE FROM chain_followers WHERE chain_id = $1 AND user_id = $2")
        .bind(chain_id)
        .bind(user_id)
        .execute(&mut *tx)
        .await?
        .rows_affected()
        > 0;
    tx.commit().await?;
    Ok(changed)
}

/// The owner of a live project, or `NotFound`.
async fn project_owner(
    tx: &mut sqlx::Transaction<'_, Postgres>,
    project_id: Uuid,
) -> Result<Uuid, Error> {
    sqlx::query_scalar::<_, Uuid>(
        "SELECT user_id FROM projects WHERE id = $1 AND NOT is_deleted FOR SHARE",
    )
    .bind(project_id)
    .fetch_optional(&mut **tx)
    .await?
    .ok_or(Error::NotFound)
}

/// Adds a project to a chain. The chain's owner may add any live project;
/// anyone else only their own project, and only to a public chain.
/// Idempotent: true when it changed.
#[tracing::instrument(skip(pool))]
pub async fn add_project(
    pool: &PgPool,
    user_id: Uuid,
    chain_id: Uuid,
    project_id: Uuid,
) -> Result<bool, Error> {
    let mut tx = pool.begin().await?;
    let (creator, public) = lock_visible(&mut tx, chain_id, user_id).await?;
    let owner = project_owner(&mut tx, project_id).await?;
    let allowed = creator == user_id || (public && owner == user_id);
    if !allowed {
        return Err(Error::Forbidden);
    }
    let changed = sqlx::query(
        "INSERT INTO chain_projects (chain_id, project_id, added_by) VALUES ($1, $2, $3) \
         ON CONFLICT DO NOTHING",
    )
    .bind(chain_id)
    .bind(project_id)
    .bind(user_id)
    .execute(&mut *tx)
    .await?
    .rows_affected()
        > 0;
    tx.commit().await?;
    Ok(changed)
}

/// Removes a project from a chain: the chain's owner may remove any, a
/// builder their own project. `NotFound` when it is not in the chain.
#[tracing::instrument(skip(pool))]
pub async fn remove_project(
    pool: &PgPool,
    user_id: Uuid,
    chain_id: Uuid,
    project_id: Uuid,
) -> Result<(), Error> {
    let mut tx = pool.begin().await?;
    let (creator, _) = lock_visible(&mut tx, chain_id, user_id).await?;
    let owner = sqlx::query_scalar::<_, Uuid>(
        "SELECT p.user_id FROM chain_projects cp JOIN projects p ON p.id = cp.project_id \
         WHERE cp.chain_id = $1 AND cp.project_id = $2 FOR UPDATE OF cp",
    )
    .bind(chain_id)
    .bind(project_id)
    .fetch_optional(&mut *tx)
    .await?
    .ok_or(Error::NotFound)?;
    if creator != user_id && owner != user_id {
        return Err(Error::Forbidden);
    }
    sqlx::query("DELETE FROM chain_projects WHERE chain_id = $1 AND project_id = $2")
        .bind(chain_id)
        .bind(project_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(())
}
