//! Attempt limits that every server instance shares: how many log-in
//! failures or sign-ups a key (a client address, a login name) may make in
//! a sliding window.
//!
//! One row per (bucket, key) in `attempt_limits` holds the times of the
//! attempts counted inside the window. [`attempt`] is one atomic statement:
//! an upsert that drops the hits older than the window and appends this one
//! only while fewer than the limit remain. `INSERT ... ON CONFLICT DO
//! UPDATE` locks the row and evaluates against its latest version, so
//! parallel attempts on any number of instances queue on that row and at
//! most `max` of them are ever allowed in one window. A refused attempt is
//! not stored, so a row never holds more than `max` times.
//!
//! An attempt is counted before the work it guards (a password check): a
//! caller whose attempt turns out not to count (a successful log-in) hands
//! it back with [`refund`]. Keys are stored as SHA-256 digests of the
//! lower-cased key, never as typed. Rows whose hits have all left the
//! window are deleted by [`purge_expired`].

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::PgPool;
use time::OffsetDateTime;

/// One kind of limited attempt: at most `max` per key in any `window`.
#[derive(Debug, Clone)]
pub struct Limit {
    /// Names the kind of attempt (`login_address`, `signup_address`, ...).
    pub bucket: &'static str,
    pub max: u32,
    pub window: Duration,
}

/// A counted attempt, for [`refund`].
#[derive(Debug, Clone)]
pub struct Attempt {
    bucket: &'static str,
    key: Vec<u8>,
    at: OffsetDateTime,
}

/// What the limit says about one attempt.
#[derive(Debug, Clone)]
pub enum Verdict {
    /// Counted; go ahead.
    Allowed(Attempt),
    /// The key has used up its window; the next attempt may succeed after
    /// `retry_after`.
    Refused { retry_after: Duration },
}

/// Counts one attempt of `key` against `limit`, unless the key already has
/// `limit.max` attempts inside the window. One atomic statement.
pub async fn attempt(pool: &PgPool, limit: &Limit, key: &str) -> Result<Verdict, sqlx::Error> {
    let (allowed, hits, digest, now): (bool, Vec<OffsetDateTime>, Vec<u8>, OffsetDateTime) =
        sqlx::query_as(
            "INSERT INTO attempt_limits AS l (bucket, key, hits, allowed, expires_at)
             VALUES ($1, sha256(convert_to(lower($2), 'UTF8')),
                     CASE WHEN $4 > 0 THEN ARRAY[statement_timestamp()] ELSE '{}' END,
                     $4 > 0, statement_timestamp() + $3 * interval '1 second')
             ON CONFLICT (bucket, key) DO UPDATE SET
               allowed = (SELECT count(*) FROM unnest(l.hits) h
                          WHERE h > statement_timestamp() - $3 * interval '1 second') < $4,
               hits = ARRAY(SELECT h FROM unnest(l.hits) h
                            WHERE h > statement_timestamp() - $3 * interval '1 second')
                      || CASE WHEN (SELECT count(*) FROM unnest(l.hits) h
                                    WHERE h > statement_timestamp() - $3 * interval '1 second') < $4
                              THEN ARRAY[statement_timestamp()]
                              ELSE '{}'::timestamptz[] END,
               expires_at = CASE WHEN (SELECT count(*) FROM unnest(l.hits) h
                                       WHERE h > statement_timestamp() - $3 * interval '1 second') < $4
                                 THEN statement_timestamp() + $3 * interval '1 second'
                                 ELSE l.expires_at END
             RETURNING allowed, hits, key, statement_timestamp()",
        )
        .bind(limit.bucket)
        .bind(key)
        .bind(limit.window.as_secs_f64())
        .bind(i64::from(limit.max))
        .fetch_one(pool)
        .await?;
    if allowed {
        return Ok(Verdict::Allowed(Attempt {
            bucket: limit.bucket,
            key: digest,
            at: now,
        }));
    }
    Ok(Verdict::Refused {
        retry_after: retry_after(hits, limit, now),
    })
}

/// Whether `key` has used up its window, without counting anything: the
/// wait when it has. A cheap read to refuse early; only [`attempt`] counts.
pub async fn peek(
    pool: &PgPool,
    limit: &Limit,
    key: &str,
) -> Result<Option<Duration>, sqlx::Error> {
    let row: Option<(Vec<OffsetDateTime>, OffsetDateTime)> = sqlx::query_as(
        "SELECT ARRAY(SELECT h FROM unnest(hits) h
                      WHERE h > statement_timestamp() - $3 * interval '1 second'),
                statement_timestamp()
         FROM attempt_limits WHERE bucket = $1 AND key = sha256(convert_to(lower($2), 'UTF8'))",
    )
    .bind(limit.bucket)
    .bind(key)
    .bind(limit.window.as_secs_f64())
    .fetch_optional(pool)
    .await?;
    Ok(match row {
        Some((hits, now)) if hits.len() >= limit.max as usize => {
            Some(retry_after(hits, limit, now))
        }
        _ => None,
    })
}

/// How long until fewer than `max` of `hits` are inside the window: the
/// `max`-th newest hit must leave it.
fn retry_after(mut hits: Vec<OffsetDateTime>, limit: &Limit, now: OffsetDateTime) -> Duration {
    hits.sort_unstable_by(|a, b| b.cmp(a));
    let Some(blocking) = hits.get(limit.max.saturating_sub(1) as usize) else {
        return limit.window;
    };
    let frees_at = *blocking + limit.window;
    Duration::try_from(frees_at - now).unwrap_or(Duration::ZERO)
}

/// Takes back an attempt that turned out not to count (a successful
/// log-in, or work that was never done). Removing a hit never lets more
/// than `max` attempts through: it only undoes this one.
pub async fn refund(pool: &PgPool, attempt: &Attempt) -> Result<(), sqlx::Error> {
    sqlx::query(
        "UPDATE attempt_limits
         SET hits = hits[:array_position(hits, $3) - 1] || hits[array_position(hits, $3) + 1:]
         WHERE bucket = $1 AND key = $2 AND $3 = ANY (hits)",
    )
    .bind(attempt.bucket)
    .bind(&attempt.key)
    .bind(attempt.at)
    .execute(pool)
    .await?;
    Ok(())
}

/// Deletes the rows whose every hit has left its window; returns how many.
pub async fn purge_expired(pool: &PgPool) -> Result<u64, sqlx::Error> {
    Ok(
        sqlx::query("DELETE FROM attempt_limits WHERE expires_at < now()")
            .execute(pool)
            .await?
            .rows_affected(),
    )
}

/// Runs [`purge_expired`] in the background at most once per `every`
/// (per instance; the first call purges).
pub struct Purger {
    every: Duration,
    last: AtomicU64,
}

impl Purger {
    pub fn new(every: Duration) -> Self {
        Purger {
            every,
            last: AtomicU64::new(0),
        }
    }

    /// Starts a purge when the last one is older than `every`.
    pub fn now_and_then(&self, pool: &PgPool) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or_default();
        let last = self.last.load(Ordering::Relaxed);
        if (last != 0 && now.saturating_sub(last) < self.every.as_secs())
            || self
                .last
                .compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed)
                .is_err()
        {
            return;
        }
        let pool = pool.clone();
        tokio::spawn(async move {
            match purge_expired(&pool).await {
                Ok(0) => {}
                Ok(rows) => tracing::debug!(rows, "expired attempt counters deleted"),
                Err(err) => tracing::warn!(%err, "could not delete expired attempt counters"),
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wait_ends_when_the_max_th_newest_hit_leaves_the_window() {
        let limit = Limit {
            bucket: "t",
            max: 2,
            window: Duration::from_secs(60),
        };
        let now = OffsetDateTime::UNIX_EPOCH + Duration::from_secs(1000);
        let ago = |s: u64| now - Duration::from_secs(s);
        assert_eq!(
            retry_after(vec![ago(50), ago(10)], &limit, now),
            Duration::from_secs(10)
        );
        // More hits than the limit (the limit was lowered): the second newest decides.
        assert_eq!(
            retry_after(vec![ago(5), ago(50), ago(20)], &limit, now),
            Duration::from_secs(40)
        );
        assert_eq!(retry_after(vec![], &limit, now), limit.window);
    }
}
