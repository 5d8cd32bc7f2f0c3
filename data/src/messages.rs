//! Direct messages: the inbox list (one indexed read of
//! `message_conversations_denorm`), one conversation between two users
//! (keyset pages, newest page first), sending, and marking a conversation
//! read. The conversation and unread counters are trigger-maintained
//! (`docs/DERIVED-DATA.md`); nothing here writes them.
//!
//! Reading a conversation never writes: messages become read only by an
//! explicit [`mark_read`] (a post) or by the reader replying ([`send`]),
//! so a link or an image pointing at a conversation changes nothing.
//!
//! A conversation is always addressed as (viewer, other user): there is no
//! read of a message by its id, so only the two participants ever see it.

use crate::cursor::{self, Cursor};
use crate::error::Error;
use sqlx::{PgConnection, PgPool};
use time::OffsetDateTime;
use uuid::Uuid;

/// Conversations per inbox page.
pub const INBOX_PAGE_SIZE: i64 = 20;
/// Messages per conversation page.
pub const PAGE_SIZE: i64 = 30;
/// Message length after trimming (`direct_messages_length`).
pub const MESSAGE_MAX: usize = 5000;
/// Sending limit: at most this many messages per sender per minute.
pub const SEND_PER_MINUTE: i64 = 30;

/// One row of the inbox list.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Conversation {
    pub id: Uuid,
    pub other_user_id: Uuid,
    pub other_username: String,
    pub last_message_text: String,
    pub last_message_time: OffsetDateTime,
    pub last_sender_id: Uuid,
    pub unread_count: i32,
    pub total_messages: i32,
}

#[derive(Debug, Clone)]
pub struct InboxPage {
    pub conversations: Vec<Conversation>,
    pub next: Option<Cursor>,
}

/// The user's conversations, latest first: one range scan on
/// `idx_conversations_user (user_id, last_message_time DESC)`.
pub async fn inbox(
    pool: &PgPool,
    user_id: Uuid,
    after: Option<Cursor>,
    limit: i64,
) -> Result<InboxPage, sqlx::Error> {
    let limit = limit.clamp(1, 100);
    let (at, id) = cursor::time_bound(after)?;
    let mut conversations = sqlx::query_as::<_, Conversation>(
        "SELECT c.id, c.other_user_id, u.username AS other_username, c.last_message_text,
                c.last_message_time, c.last_sender_id, c.unread_count, c.total_messages
         FROM message_conversations_denorm c
         JOIN users u ON u.id = c.other_user_id
         WHERE c.user_id = $1
           AND ($2::timestamptz IS NULL OR (c.last_message_time, c.id) < ($2, $3))
         ORDER BY c.last_message_time DESC, c.id DESC
         LIMIT $4",
    )
    .bind(user_id)
    .bind(at)
    .bind(id)
    .bind(limit + 1)
    .fetch_all(pool)
    .await?;
    let next = cursor::next_page(&mut conversations, limit, |c| {
        Cursor::time(c.last_message_time, c.id)
    });
    Ok(InboxPage {
        conversations,
        next,
    })
}

/// A user as the conversation page needs them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Participant {
    pub id: Uuid,
    pub username: String,
    pub is_active: bool,
}

/// A user by username (case-insensitive), active or not.
pub async fn user_by_username(
    pool: &PgPool,
    username: &str,
) -> Result<Option<Participant>, sqlx::Error> {
    sqlx::query_as::<_, Participant>(
        "SELECT id, username, is_active FROM users WHERE lower(username) = lower($1)",
    )
    .bind(username)
    .fetch_optional(pool)
    .await
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Message {
    pub id: Uuid,
    pub sender_id: Uuid,
    pub message: String,
    pub is_read: bool,
    pub created_at: OffsetDateTime,
}

#[derive(Debug, Clone)]
pub struct MessagePage {
    /// Oldest first within the page.
    pub messages: Vec<Message>,
    /// The cursor of the older page, if any.
    pub older: Option<Cursor>,
}

/// One page of the conversation between `a` and `b`, newest page first
/// (`before` = the oldest message of the newer page). Two range scans on
/// `idx_messages_conversation`, one per direction.
pub async fn conversation(
    pool: &PgPool,
    a: Uuid,
    b: Uuid,
    before: Option<Cursor>,
    limit: i64,
) -> Result<MessagePage, sqlx::Error> {
    let limit = limit.clamp(1, 100);
    let (at, id) = cursor::time_bound(before)?;
    let mut messages = sqlx::query_as::<_, Message>(
        "SELECT d.id, d.sender_id, d.message, d.is_read, d.created_at FROM (
            (SELECT * FROM direct_messages
             WHERE sender_id = $1 AND recipient_id = $2
               AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4))
             ORDER BY created_at DESC, id DESC LIMIT $5)
            UNION ALL
            (SELECT * FROM direct_messages
             WHERE sender_id = $2 AND recipient_id = $1
               AND ($3::timestamptz IS NULL OR (created_at, id) < ($3, $4))
             ORDER BY created_at DESC, id DESC LIMIT $5)
         ) d
         ORDER BY d.created_at DESC, d.id DESC
         LIMIT $5",
    )
    .bind(a)
    .bind(b)
    .bind(at)
    .bind(id)
    .bind(limit + 1)
    .fetch_all(pool)
    .await?;
    let older = cursor::next_page(&mut messages, limit, |m| Cursor::time(m.created_at, m.id));
    messages.reverse();
    Ok(MessagePage { messages, older })
}

/// How many messages from `from` to `reader` are unread: one key read of
/// the trigger-maintained conversation row (0 without one).
pub async fn unread_from(pool: &PgPool, reader: Uuid, from: Uuid) -> Result<i32, sqlx::Error> {
    let n: Option<i32> = sqlx::query_scalar(
        "SELECT unread_count FROM message_conversations_denorm
         WHERE user_id = $1 AND other_user_id = $2",
    )
    .bind(reader)
    .bind(from)
    .fetch_optional(pool)
    .await?;
    Ok(n.unwrap_or(0))
}

/// Marks every unread message from `from` to `reader` read; returns how
/// many. Only the reader's own incoming messages can be touched. The
/// unread counters follow by trigger in the same statement.
pub async fn mark_read(pool: &PgPool, reader: Uuid, from: Uuid) -> Result<u64, sqlx::Error> {
    let mut conn = pool.acquire().await?;
    mark_read_on(&mut conn, reader, from).await
}

async fn mark_read_on(
    conn: &mut PgConnection,
    reader: Uuid,
    from: Uuid,
) -> Result<u64, sqlx::Error> {
    let done = sqlx::query(
        "UPDATE direct_messages SET is_read = TRUE, read_at = now()
         WHERE recipient_id = $1 AND sender_id = $2 AND is_read = FALSE",
    )
    .bind(reader)
    .bind(from)
    .execute(conn)
    .await?;
    Ok(done.rows_affected())
}

/// The first key of the two-key advisory locks that serialize one
/// sender's sends ("dm"). PostgreSQL keeps two-key advisory locks apart
/// from single-key ones, so this never meets the project's other locks.
pub const SENDER_LOCK_CLASS: i32 = 0x646d;

/// The second key of a sender's advisory lock: the sender id folded to
/// 32 bits. Two senders share a key only by a 1-in-2^32 chance, and then
/// merely take turns; the limit stays exact either way.
pub fn sender_lock_key(sender: Uuid) -> i32 {
    let (hi, lo) = sender.as_u64_pair();
    let folded = hi ^ lo;
    ((folded >> 32) ^ (folded & 0xffff_ffff)) as u32 as i32
}

/// Takes the sender's lock until the end of the caller's transaction:
/// every send by the same sender, on any server instance, waits here for
/// the one before it to commit or roll back, so its count of recent
/// messages includes them. Different senders never wait on each other.
pub async fn lock_sender(conn: &mut PgConnection, sender: Uuid) -> Result<(), sqlx::Error> {
    sqlx::query("SELECT pg_advisory_xact_lock($1, $2)")
        .bind(SENDER_LOCK_CLASS)
        .bind(sender_lock_key(sender))
        .execute(conn)
        .await?;
    Ok(())
}

/// Checks a message: 1–5000 characters after trimming.
pub fn validate(text: &str) -> Result<String, Error> {
    let text = text.trim();
    let n = text.chars().count();
    if n == 0 {
        return Err(Error::Invalid(vec![("message", "Write a message.".into())]));
    }
    if n > MESSAGE_MAX {
        return Err(Error::Invalid(vec![(
            "message",
            format!("A message is at most {MESSAGE_MAX} characters (this one has {n})."),
        )]));
    }
    Ok(text.to_string())
}

/// Sends a message from `sender` to the active user `recipient`. Refused:
/// to yourself, to an unknown or deactivated user, empty or over-long
/// text, more than [`SEND_PER_MINUTE`] messages in the last minute. The
/// limit is exact under parallel sends: the sender's lock
/// ([`lock_sender`]) is taken before the count and held to the commit.
/// Sending is a reply: the recipient's unread messages to the sender are
/// marked read in the same transaction.
pub async fn send(pool: &PgPool, sender: Uuid, recipient: Uuid, text: &str) -> Result<Uuid, Error> {
    if sender == recipient {
        return Err(Error::Invalid(vec![(
            "message",
            "You cannot send a message to yourself.".into(),
        )]));
    }
    let text = validate(text)?;
    let mut tx = pool.begin().await?;
    let active: Option<bool> = sqlx::query_scalar("SELECT is_active FROM users WHERE id = $1")
        .bind(recipient)
        .fetch_optional(&mut *tx)
        .await?;
    if active != Some(true) {
        return Err(Error::NotFound);
    }
    // Serialize this sender's sends; the count below (a new snapshot per
    // statement) then sees every earlier send of theirs committed.
    lock_sender(&mut tx, sender).await?;
    // Prefix scan on idx_messages_conversation (sender_id, ...).
    let recent: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM direct_messages
         WHERE sender_id = $1 AND created_at > now() - interval '1 minute'",
    )
    .bind(sender)
    .fetch_one(&mut *tx)
    .await?;
    if recent >= SEND_PER_MINUTE {
        return Err(Error::RateLimited {
            retry_after_secs: 60,
        });
    }
    let id: Uuid = sqlx::query_scalar(
        "INSERT INTO direct_messages (sender_id, recipient_id, message)
         VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(sender)
    .bind(recipient)
    .bind(&text)
    .fetch_one(&mut *tx)
    .await?;
    // Replying means the sender has read what the recipient wrote to them.
    mark_read_on(&mut tx, sender, recipient).await?;
    tx.commit().await?;
    Ok(id)
}
