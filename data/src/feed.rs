//! The feed: keyset pages of `mv_feed_projects` (trending, top of a period,
//! newest, featured; optionally one category) and the reader's "did I
//! upvote" overlay, read live from `upvotes`.
//!
//! Pages never use `OFFSET`: the cursor is the last row's sort key and id,
//! and the next page is a row comparison in the index's direction
//! (`docs/VIEWS.md`, "Keyset pagination").

use sqlx::{PgPool, Postgres, QueryBuilder};

use crate::cursor::{self, Cursor, KeyKind};
use time::OffsetDateTime;
use uuid::Uuid;

/// The view this module reads, and the hot cache's name for its pages
/// (the refresher drops them when it refreshes the view).
pub const VIEW: &str = "mv_feed_projects";

/// Cards per page.
pub const PAGE_SIZE: i64 = 20;

/// The categories a project can have (`projects_category_check`).
pub const CATEGORIES: &[&str] = &[
    "ai", "web", "mobile", "devtools", "data", "infra", "security", "hardware", "games", "fintech",
    "other",
];

/// How the feed is ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    /// `trending_score DESC, id DESC`.
    Trending,
    /// Most upvoted created within the period: `upvote_count DESC, id DESC`.
    Top(Period),
    /// `created_at DESC, id DESC`.
    Newest,
    /// Featured projects, trending first.
    Featured,
}

/// The window of the "top" tab.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Today,
    Week,
    Month,
    All,
}

impl Period {
    pub fn parse(s: &str) -> Option<Period> {
        Some(match s {
            "today" => Period::Today,
            "week" => Period::Week,
            "month" => Period::Month,
            "all" => Period::All,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Period::Today => "today",
            Period::Week => "week",
            Period::Month => "month",
            Period::All => "all",
        }
    }

    /// The SQL condition on `created_at` (static text, no input in it).
    fn condition(self) -> Option<&'static str> {
        match self {
            Period::Today => Some("created_at >= now() - interval '1 day'"),
            Period::Week => Some("created_at >= now() - interval '7 days'"),
            Period::Month => Some("created_at >= now() - interval '30 days'"),
            Period::All => None,
        }
    }
}

impl Tab {
    pub fn name(self) -> &'static str {
        match self {
            Tab::Trending => "trending",
            Tab::Top(_) => "top",
            Tab::Newest => "newest",
            Tab::Featured => "featured",
        }
    }

    /// Parses the tab and, for "top", its period (default: week). A period
    /// given with another tab is ignored.
    pub fn parse(tab: Option<&str>, period: Option<&str>) -> Result<Tab, String> {
        let period = match period {
            None | Some("") => None,
            Some(p) => Some(Period::parse(p).ok_or_else(|| {
                format!("unknown period \"{p}\" (use today, week, month or all)")
            })?),
        };
        Ok(match tab {
            None | Some("") | Some("trending") => Tab::Trending,
            Some("top") => Tab::Top(period.unwrap_or(Period::Week)),
            Some("newest") => Tab::Newest,
            Some("featured") => Tab::Featured,
            Some(other) => {
                return Err(format!(
                    "unknown tab \"{other}\" (use trending, top, newest or featured)"
                ))
            }
        })
    }

    /// What the tab is ordered by (its page cursor's key).
    pub fn kind(self) -> KeyKind {
        match self {
            Tab::Trending | Tab::Featured => KeyKind::Score,
            Tab::Top(_) => KeyKind::Count,
            Tab::Newest => KeyKind::Time,
        }
    }
}

/// One feed card as the view stores it.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, sqlx::FromRow)]
pub struct FeedCard {
    pub id: Uuid,
    pub title: String,
    pub image_url: Option<String>,
    pub category: String,
    pub is_featured: bool,
    pub created_at: OffsetDateTime,
    pub user_id: Uuid,
    pub username: String,
    pub proof_score: i32,
    pub comment_count: i64,
    pub total_comment_count: i64,
    pub upvote_count: i64,
    pub badge_count: i64,
    pub badge_types: Vec<String>,
    pub trending_score: f64,
}

impl FeedCard {
    fn cursor(&self, tab: Tab) -> Cursor {
        match tab.kind() {
            KeyKind::Score => Cursor::score(self.trending_score, self.id),
            KeyKind::Count => Cursor::count(self.upvote_count, self.id),
            KeyKind::Time => Cursor::time(self.created_at, self.id),
        }
    }
}

/// What to show.
#[derive(Debug, Clone, PartialEq)]
pub struct FeedQuery {
    pub tab: Tab,
    /// One of [`CATEGORIES`].
    pub category: Option<String>,
    pub after: Option<Cursor>,
    pub limit: i64,
}

/// One page and the cursor of the next one, if there is more.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone)]
pub struct FeedPage {
    pub cards: Vec<FeedCard>,
    pub next: Option<Cursor>,
}

const COLUMNS: &str = "id, title, image_url, category, is_featured, created_at, user_id, \
    username, proof_score, comment_count, total_comment_count, upvote_count, badge_count, \
    badge_types, trending_score";

/// One page of the feed: a single index range scan on the tab's index
/// (`mv_feed_projects_trending`, `_top`, `_newest`, `_featured`,
/// `_category`).
#[tracing::instrument(skip(pool))]
pub async fn page(pool: &PgPool, q: &FeedQuery) -> Result<FeedPage, sqlx::Error> {
    let limit = q.limit.clamp(1, 100);
    let mut b: QueryBuilder<Postgres> =
        QueryBuilder::new(format!("SELECT {COLUMNS} FROM mv_feed_projects WHERE true"));
    if q.tab == Tab::Featured {
        b.push(" AND is_featured");
    }
    if let Some(category) = &q.category {
        b.push(" AND category = ").push_bind(category.clone());
    }
    if let Tab::Top(period) = q.tab {
        if let Some(cond) = period.condition() {
            b.push(" AND ").push(cond);
        }
    }
    let key = match q.tab.kind() {
        KeyKind::Score => "trending_score",
        KeyKind::Count => "upvote_count",
        KeyKind::Time => "created_at",
    };
    if let Some(after) = &q.after {
        cursor::push_after(&mut b, key, q.tab.kind(), after)?;
    }
    b.push(format!(" ORDER BY {key} DESC, id DESC LIMIT "))
        .push_bind(limit + 1);
    let mut cards = b.build_query_as::<FeedCard>().fetch_all(pool).await?;
    let next = cursor::next_page(&mut cards, limit, |c| c.cursor(q.tab));
    Ok(FeedPage { cards, next })
}

/// A few featured projects for the strip above the feed.
pub async fn featured(pool: &PgPool, limit: i64) -> Result<Vec<FeedCard>, sqlx::Error> {
    sqlx::query_as::<_, FeedCard>(&format!(
        "SELECT {COLUMNS} FROM mv_feed_projects WHERE is_featured \
         ORDER BY trending_score DESC, id DESC LIMIT $1"
    ))
    .bind(limit.clamp(1, 50))
    .fetch_all(pool)
    .await
}

/// Which of `project_ids` the user has upvoted (live, not from a view).
pub async fn upvoted_among(
    pool: &PgPool,
    user_id: Uuid,
    project_ids: &[Uuid],
) -> Result<Vec<Uuid>, sqlx::Error> {
    if project_ids.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_scalar::<_, Uuid>(
        "SELECT project_id FROM upvotes \
         WHERE user_id = $1 AND is_upvote AND project_id = ANY($2)",
    )
    .bind(user_id)
    .bind(project_ids)
    .fetch_all(pool)
    .await
}
