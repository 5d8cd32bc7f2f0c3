//! Chain forums: keyset pages of `mv_chain_posts` (pinned strip, trending
//! and newest), one post and its comments read live, and the writes:
//! create, pin and unpin, vote, comment (with a notification for the
//! post's author in the same transaction), delete your own post (soft) or
//! comment. Every write checks the chain's visibility (`crate::chains`)
//! and permission inside its transaction and writes nothing when a check
//! fails.

use crate::cursor::{self, Cursor, KeyKind};
use crate::error::Error;
use sqlx::{PgPool, Postgres, QueryBuilder};
use time::OffsetDateTime;
use uuid::Uuid;

/// Posts per page.
pub const PAGE_SIZE: i64 = 20;
/// Pinned posts shown above the list.
pub const PINNED_MAX: i64 = 20;
/// Comments per page of a post.
pub const COMMENTS_PAGE_SIZE: i64 = 50;
pub const TITLE_MAX: usize = 200;
pub const CONTENT_MAX: usize = 10_000;
pub const COMMENT_MAX: usize = 2000;
/// Post types (`chain_posts_type_check`).
pub const POST_TYPES: &[&str] = &["discussion", "question", "announcement", "showcase"];

/// Forum order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tab {
    Trending,
    Newest,
}

impl Tab {
    pub fn parse(s: Option<&str>) -> Result<Tab, String> {
        match s {
            None | Some("") | Some("trending") => Ok(Tab::Trending),
            Some("newest") => Ok(Tab::Newest),
            Some(other) => Err(format!(
                "unknown forum tab \"{other}\" (use trending or newest)"
            )),
        }
    }

    /// What the tab is ordered by (its page cursor's key).
    pub fn kind(self) -> KeyKind {
        match self {
            Tab::Trending => KeyKind::Score,
            Tab::Newest => KeyKind::Time,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Tab::Trending => "trending",
            Tab::Newest => "newest",
        }
    }
}

/// A post as `mv_chain_posts` holds it (or as [`live_posts`] computes it).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PostCard {
    pub id: Uuid,
    pub chain_id: Uuid,
    pub title: String,
    pub content: String,
    pub post_type: String,
    pub created_at: OffsetDateTime,
    pub is_pinned: bool,
    pub author_id: Uuid,
    pub author_username: String,
    pub upvote_count: i64,
    pub downvote_count: i64,
    pub comment_count: i64,
    pub trending_score: f64,
}

const COLUMNS: &str = "id, chain_id, title, left(content, 300) AS content, post_type, \
    created_at, is_pinned, author_id, author_username, upvote_count, downvote_count, \
    comment_count, trending_score";

#[derive(Debug, Clone)]
pub struct PostsPage {
    pub posts: Vec<PostCard>,
    pub next: Option<Cursor>,
}

/// The chain's pinned posts, trending first (`mv_chain_posts_chain` with
/// the prefix `chain_id, is_pinned = true`).
pub async fn pinned(pool: &PgPool, chain_id: Uuid) -> Result<Vec<PostCard>, sqlx::Error> {
    sqlx::query_as::<_, PostCard>(&format!(
        "SELECT {COLUMNS} FROM mv_chain_posts WHERE chain_id = $1 AND is_pinned \
         ORDER BY is_pinned DESC, trending_score DESC, id DESC LIMIT $2"
    ))
    .bind(chain_id)
    .bind(PINNED_MAX)
    .fetch_all(pool)
    .await
}

/// One page of the chain's unpinned posts: trending (`mv_chain_posts_chain`
/// with `is_pinned = false`) or newest (`mv_chain_posts_created`).
pub async fn page(
    pool: &PgPool,
    chain_id: Uuid,
    tab: Tab,
    after: Option<Cursor>,
) -> Result<PostsPage, sqlx::Error> {
    // No `$2 IS NULL OR ...`: the row comparison must be an index
    // condition, so the first page is a statement without it.
    let (filter, key, order) = match tab {
        Tab::Trending => (
            "is_pinned = false",
            "trending_score",
            "is_pinned DESC, trending_score DESC, id DESC",
        ),
        Tab::Newest => ("NOT is_pinned", "created_at", "created_at DESC, id DESC"),
    };
    let mut b: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "SELECT {COLUMNS} FROM mv_chain_posts WHERE chain_id = "
    ));
    b.push_bind(chain_id).push(format!(" AND {filter}"));
    if let Some(after) = &after {
        cursor::push_after(&mut b, key, tab.kind(), after)?;
    }
    b.push(format!(" ORDER BY {order} LIMIT "))
        .push_bind(PAGE_SIZE + 1);
    let mut posts = b.build_query_as::<PostCard>().fetch_all(pool).await?;
    let next = cursor::next_page(&mut posts, PAGE_SIZE, |p| match tab {
        Tab::Trending => Cursor::score(p.trending_score, p.id),
        Tab::Newest => Cursor::time(p.created_at, p.id),
    });
    Ok(PostsPage { posts, next })
}

/// A post read live, with whether it is deleted and whether the view
/// holds it yet (for read-your-own-writes merging).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LivePost {
    #[sqlx(flatten)]
    pub post: PostCard,
    pub is_deleted: bool,
    pub in_view: bool,
}

/// The given posts of a chain computed from the base tables (primary-key
/// reads and index range counts; meant for the handful the reader acted
/// on recently).
pub async fn live_posts(
    pool: &PgPool,
    chain_id: Uuid,
    ids: &[Uuid],
) -> Result<Vec<LivePost>, sqlx::Error> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    sqlx::query_as::<_, LivePost>(
        "SELECT p.id, p.chain_id, p.title, left(p.content, 300) AS content, p.post_type, \
                p.created_at, p.is_pinned, p.author_id, u.username AS author_username, \
                v.up AS upvote_count, v.down AS downvote_count, cc.n AS comment_count, \
                forum_trending_score(v.up, cc.n, p.created_at) AS trending_score, \
                p.is_deleted, \
                EXISTS (SELECT 1 FROM mv_chain_posts m WHERE m.id = p.id) AS in_view \
         FROM chain_posts p JOIN users u ON u.id = p.author_id \
         CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE is_upvote) AS up, \
                                    count(*) FILTER (WHERE NOT is_upvote) AS down \
                             FROM chain_post_votes WHERE post_id = p.id) v \
         CROSS JOIN LATERAL (SELECT count(*) AS n FROM chain_post_comments \
                             WHERE post_id = p.id) cc \
         WHERE p.id = ANY($2) AND p.chain_id = $1",
    )
    .bind(chain_id)
    .bind(ids)
    .fetch_all(pool)
    .await
}

/// One post of an active chain, live, with its full text.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PostDetail {
    pub id: Uuid,
    pub chain_id: Uuid,
    pub title: String,
    pub content: String,
    pub post_type: String,
    pub created_at: OffsetDateTime,
    pub is_pinned: bool,
    pub author_id: Uuid,
    pub author_username: String,
    pub upvote_count: i64,
    pub downvote_count: i64,
    pub comment_count: i64,
}

/// A live (not deleted) post of the chain, counts read live.
pub async fn post(
    pool: &PgPool,
    chain_id: Uuid,
    post_id: Uuid,
) -> Result<Option<PostDetail>, sqlx::Error> {
    sqlx::query_as::<_, PostDetail>(
        "SELECT p.id, p.chain_id, p.title, p.content, p.post_type, p.created_at, p.is_pinned, \
                p.author_id, u.username AS author_username, \
                (SELECT count(*) FROM chain_post_votes v WHERE v.post_id = p.id AND v.is_upvote) \
                    AS upvote_count, \
                (SELECT count(*) FROM chain_post_votes v WHERE v.post_id = p.id AND NOT v.is_upvote) \
                    AS downvote_count, \
                (SELECT count(*) FROM chain_post_comments c WHERE c.post_id = p.id) AS comment_count \
         FROM chain_posts p JOIN users u ON u.id = p.author_id \
         WHERE p.id = $1 AND p.chain_id = $2 AND NOT p.is_deleted",
    )
    .bind(post_id)
    .bind(chain_id)
    .fetch_optional(pool)
    .await
}

/// The user's vote on the post: `Some(true)` up, `Some(false)` down.
pub async fn my_vote(
    pool: &PgPool,
    user_id: Uuid,
    post_id: Uuid,
) -> Result<Option<bool>, sqlx::Error> {
    sqlx::query_scalar::<_, bool>(
        "SELECT is_upvote FROM chain_post_votes WHERE post_id = $1 AND user_id = $2",
    )
    .bind(post_id)
    .bind(user_id)
    .fetch_optional(pool)
    .await
}

/// A comment on a post.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct PostComment {
    pub id: Uuid,
    pub author_id: Uuid,
    pub author_username: String,
    pub content: String,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct Comments {
    pub comments: Vec<PostComment>,
    pub next: Option<Cursor>,
}

/// One page of a post's comments, newest first (so a new comment is on
/// the first page), read live (`idx_chain_post_comments_post`).
pub async fn comments(
    pool: &PgPool,
    post_id: Uuid,
    before: Option<Cursor>,
) -> Result<Comments, sqlx::Error> {
    let (at, id) = cursor::time_bound(before)?;
    let mut comments = sqlx::query_as::<_, PostComment>(
        "SELECT c.id, c.author_id, u.username AS author_username, c.content, c.created_at \
         FROM chain_post_comments c JOIN users u ON u.id = c.author_id \
         WHERE c.post_id = $1 AND ($2::timestamptz IS NULL OR (c.created_at, c.id) < ($2, $3)) \
         ORDER BY c.created_at DESC, c.id DESC LIMIT $4",
    )
    .bind(post_id)
    .bind(at)
    .bind(id)
    .bind(COMMENTS_PAGE_SIZE + 1)
    .fetch_all(pool)
    .await?;
    let next = cursor::next_page(&mut comments, COMMENTS_PAGE_SIZE, |c| {
        Cursor::time(c.created_at, c.id)
    });
    Ok(Comments { comments, next })
}

/// A post to write (as typed).
#[derive(Debug, Clone)]
pub struct NewPost {
    pub title: String,
    pub content: String,
    pub post_type: String,
}

/// Checks a post's fields; title and content come back trimmed.
pub fn validate(new: &NewPost) -> Result<NewPost, Error> {
    let mut errors = Vec::new();
    let title = new.title.trim().to_string();
    let tlen = title.chars().count();
    if tlen == 0 {
        errors.push(("title", "Give your post a title.".to_string()));
    } else if tlen > TITLE_MAX {
        errors.push((
            "title",
            format!("Use at most {TITLE_MAX} characters for the title (you used {tlen})."),
        ));
    }
    let content = new.content.trim().to_string();
    let clen = content.chars().count();
    if clen == 0 {
        errors.push(("content", "Write something first.".to_string()));
    } else if clen > CONTENT_MAX {
        errors.push((
            "content",
            format!("Use at most {CONTENT_MAX} characters (you used {clen})."),
        ));
    }
    if !POST_TYPES.contains(&new.post_type.as_str()) {
        errors.push((
            "post_type",
            "Choose discussion, question, announcement or showcase.".to_string(),
        ));
    }
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    Ok(NewPost {
        title,
        content,
        post_type: new.post_type.clone(),
    })
}

/// Checks a comment's text (trimmed, 1..=2000 characters).
pub fn validate_comment(content: &str) -> Result<String, Error> {
    let text = content.trim();
    let len = text.chars().count();
    if len == 0 {
        return Err(Error::Invalid(vec![(
            "content",
            "Write something first.".into(),
        )]));
    }
    if len > COMMENT_MAX {
        return Err(Error::Invalid(vec![(
            "content",
            format!("Use at most {COMMENT_MAX} characters (you used {len})."),
        )]));
    }
    Ok(text.to_string())
}

/// The chain's creator and whether the user follows it, the chain locked
/// `FOR SHARE`; `NotFound` when the user may not see it.
async fn lock_chain(
    tx: &mut sqlx::Transaction<'_, Postgres>,
    chain_id: Uuid,
    user_id: Uuid,
) -> Result<(Uuid, bool), Error> {
    let chain = crate::chains::lock_if_visible(tx, chain_id, user_id)
        .await?
        .ok_or(Error::NotFound)?;
    Ok((chain.creator_id, chain.following))
}

/// A live post's chain, author and title, locked as asked, if its chain
/// is visible to the user. Returns (chain id, chain creator, author, title).
async fn lock_post(
    tx: &mut sqlx::Transaction<'_, Postgres>,
    post_id: Uuid,
    user_id: Uuid,
    lock: &str,
) -> Result<(Uuid, Uuid, Uuid, String), Error> {
    let row = sqlx::query_as::<_, (Uuid, Uuid, String)>(&format!(
        "SELECT chain_id, author_id, title FROM chain_posts \
         WHERE id = $1 AND NOT is_deleted {lock}"
    ))
    .bind(post_id)
    .fetch_optional(&mut **tx)
    .await?;
    let (chain_id, author, title) = row.ok_or(Error::NotFound)?;
    let (creator, _) = lock_chain(tx, chain_id, user_id).await?;
    Ok((chain_id, creator, author, title))
}

/// A post's ids, for redirects.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PostRef {
    pub id: Uuid,
    pub chain_id: Uuid,
}

/// Writes a post. Members only (the chain's creator or a follower);
/// announcements only by the chain's owner.
#[tracing::instrument(skip(pool, new))]
pub async fn create_post(
    pool: &PgPool,
    user_id: Uuid,
    chain_id: Uuid,
    new: &NewPost,
) -> Result<PostRef, Error> {
    let new = validate(new)?;
    let mut tx = pool.begin().await?;
    let (creator, following) = lock_chain(&mut tx, chain_id, user_id).await?;
    let owner = creator == user_id;
    let member = owner || following;
    let may_announce = owner;
    if !member || (new.post_type == "announcement" && !may_announce) {
        return Err(Error::Forbidden);
    }
    let id = sqlx::query_scalar::<_, Uuid>(
        "INSERT INTO chain_posts (chain_id, author_id, title, content, post_type) \
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(chain_id)
    .bind(user_id)
    .bind(&new.title)
    .bind(&new.content)
    .bind(&new.post_type)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(PostRef { id, chain_id })
}

/// Pins or unpins a post: the chain's owner only.
#[tracing::instrument(skip(pool))]
pub async fn set_pinned(
    pool: &PgPool,
    user_id: Uuid,
    post_id: Uuid,
    pinned: bool,
) -> Result<PostRef, Error> {
    let mut tx = pool.begin().await?;
    let (chain_id, creator, _, _) = lock_post(&mut tx, post_id, user_id, "FOR UPDATE").await?;
    if creator != user_id {
        return Err(Error::Forbidden);
    }
    sqlx::query("UPDATE chain_posts SET is_pinned = $2, updated_at = now() WHERE id = $1")
        .bind(post_id)
        .bind(pinned)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(PostRef {
        id: post_id,
        chain_id,
    })
}

/// Sets the user's vote on a post: `Some(true)` up, `Some(false)` down,
/// `None` removes it. Idempotent.
#[tracing::instrument(skip(pool))]
pub async fn vote(
    pool: &PgPool,
    user_id: Uuid,
    post_id: Uuid,
    vote: Option<bool>,
) -> Result<PostRef, Error> {
    let mut tx = pool.begin().await?;
    let (chain_id, _, _, _) = lock_post(&mut tx, post_id, user_id, "FOR SHARE").await?;
    match vote {
        Some(up) => {
            sqlx::query(
                "INSERT INTO chain_post_votes (post_id, user_id, is_upvote) VALUES ($1, $2, $3) \
                 ON CONFLICT (post_id, user_id) DO UPDATE SET is_upvote = EXCLUDED.is_upvote \
                 WHERE chain_post_votes.is_upvote <> EXCLUDED.is_upvote",
            )
            .bind(post_id)
            .bind(user_id)
            .bind(up)
            .execute(&mut *tx)
            .await?;
        }
        None => {
            sqlx::query("DELETE FROM chain_post_votes WHERE post_id = $1 AND user_id = $2")
                .bind(post_id)
                .bind(user_id)
                .execute(&mut *tx)
                .await?;
        }
    }
    tx.commit().await?;
    Ok(PostRef {
        id: post_id,
        chain_id,
    })
}

/// A new comment's ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CommentRef {
    pub id: Uuid,
    pub post_id: Uuid,
    pub chain_id: Uuid,
}

/// Comments on a post; the post's author gets a `forum_reply`
/// notification (unless they wrote the comment), in the same transaction.
#[tracing::instrument(skip(pool, content))]
pub async fn comment(
    pool: &PgPool,
    user_id: Uuid,
    post_id: Uuid,
    content: &str,
) -> Result<CommentRef, Error> {
    let text = validate_comment(content)?;
    let mut tx = pool.begin().await?;
    let (chain_id, _, _, _) = lock_post(&mut tx, post_id, user_id, "FOR SHARE").await?;
    let id = sqlx::query_scalar::<_, Uuid>(
        "INSERT INTO chain_post_comments (post_id, author_id, content) VALUES ($1, $2, $3) \
         RETURNING id",
    )
    .bind(post_id)
    .bind(user_id)
    .bind(&text)
    .fetch_one(&mut *tx)
    .await?;
    // The post author's notification is written by a trigger in this
    // transaction (data/derived/notifications.sql).
    tx.commit().await?;
    Ok(CommentRef {
        id,
        post_id,
        chain_id,
    })
}

/// Soft-deletes the user's own post.
#[tracing::instrument(skip(pool))]
pub async fn delete_post(pool: &PgPool, user_id: Uuid, post_id: Uuid) -> Result<PostRef, Error> {
    let mut tx = pool.begin().await?;
    let (chain_id, _, author, _) = lock_post(&mut tx, post_id, user_id, "FOR UPDATE").await?;
    if author != user_id {
        return Err(Error::Forbidden);
    }
    sqlx::query(
        "UPDATE chain_posts SET is_deleted = true, is_pinned = false, updated_at = now() \
         WHERE id = $1",
    )
    .bind(post_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(PostRef {
        id: post_id,
        chain_id,
    })
}

/// Deletes the user's own comment (the schema has no soft delete for them).
#[tracing::instrument(skip(pool))]
pub async fn delete_comment(
    pool: &PgPool,
    user_id: Uuid,
    comment_id: Uuid,
) -> Result<CommentRef, Error> {
    let mut tx = pool.begin().await?;
    let row = sqlx::query_as::<_, (Uuid, Uuid)>(
        "SELECT post_id, author_id FROM chain_post_comments WHERE id = $1 FOR UPDATE",
    )
    .bind(comment_id)
    .fetch_optional(&mut *tx)
    .await?;
    let (post_id, author) = row.ok_or(Error::NotFound)?;
    let (chain_id, _, _, _) = lock_post(&mut tx, post_id, user_id, "FOR SHARE").await?;
    if author != user_id {
        return Err(Error::Forbidden);
    }
    sqlx::query("DELETE FROM chain_post_comments WHERE id = $1")
        .bind(comment_id)
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(CommentRef {
        id: comment_id,
        post_id,
        chain_id,
    })
}

/// A post as the forum's Atom feed shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FeedPost {
    pub id: Uuid,
    pub title: String,
    pub content: String,
    pub post_type: String,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
    pub author_username: String,
}

/// Posts in a chain's Atom feed.
pub const FEED_POSTS: i64 = 50;

/// The name of a public active chain (the only chains with a feed).
pub async fn public_chain_name(
    pool: &PgPool,
    chain_id: Uuid,
) -> Result<Option<String>, sqlx::Error> {
    sqlx::query_scalar::<_, String>(
        "SELECT name FROM chains WHERE id = $1 AND is_active AND is_public",
    )
    .bind(chain_id)
    .fetch_optional(pool)
    .await
}

/// The chain's newest posts (not deleted), from `mv_chain_posts` (one range
/// scan on `mv_chain_posts_created`).
pub async fn feed_posts(
    pool: &PgPool,
    chain_id: Uuid,
    limit: i64,
) -> Result<Vec<FeedPost>, sqlx::Error> {
    sqlx::query_as::<_, FeedPost>(
        "SELECT id, title, content, post_type, created_at, updated_at, author_username \
         FROM mv_chain_posts WHERE chain_id = $1 \
         ORDER BY created_at DESC, id DESC LIMIT $2",
    )
    .bind(chain_id)
    .bind(limit.clamp(1, 200))
    .fetch_all(pool)
    .await
}
