//! Per-user overlays: what the signed-in reader
//! did to the rows a page shows — which projects they upvoted, which chains
//! they follow, how they voted on forum posts. Views are shared by everyone,
//! so these facts are laid over them at read time.
//!
//! Each user's overlay of a kind is one Redis structure, filled whole from
//! PostgreSQL on a miss and asked with one command per page:
//!
//! | kind | key | type | members |
//! |---|---|---|---|
//! | upvoted projects | `pw:<ns>:ov:up:<user>` | set | project ids |
//! | followed chains | `pw:<ns>:ov:fol:<user>` | set | chain ids |
//! | forum votes | `pw:<ns>:ov:pv:<user>` | hash | post id → `1` up / `0` down |
//!
//! A member `_` marks a filled structure (Redis deletes empty ones; an
//! empty overlay is still an answer). Lifetime [`OverlayConfig::ttl`] from
//! the fill; users with more than [`OverlayConfig::max_members`] items are
//! never cached (their pages ask PostgreSQL for the few ids shown).
//!
//! Writes: after the write commits, [`Overlays::changed`] increments the
//! overlay's version (`...:v`) and deletes it, in one script; the next read
//! fills it again. A fill stores only if the version is still the one read
//! before PostgreSQL was asked, so a fill that read the database before a
//! concurrent write committed can never store what that write changed
//! (the write's increment comes after its commit, and either precedes the
//! fill's check — refused — or follows the fill — deleted). If Redis
//! cannot be told (down, timeout), the delete is retried in the background
//! for a while.
//!
//! Without a usable Redis (see [`RedisGate`]) every question goes to
//! PostgreSQL for just the ids the page shows, as it would without
//! overlays.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use fred::prelude::*;
use serde::Serialize;
use sqlx::PgPool;
use uuid::Uuid;

use crate::cache::RedisGate;

/// Which overlay.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Projects the user upvoted (`upvotes.is_upvote`).
    Upvotes,
    /// Chains the user follows (`chain_followers`).
    Follows,
    /// The user's votes on forum posts (`chain_post_votes`).
    PostVotes,
}

impl Kind {
    fn tag(self) -> &'static str {
        match self {
            Kind::Upvotes => "up",
            Kind::Follows => "fol",
            Kind::PostVotes => "pv",
        }
    }
}

/// Lifetimes and bounds.
#[derive(Debug, Clone)]
pub struct OverlayConfig {
    /// Off: every question goes to PostgreSQL.
    pub enabled: bool,
    /// Lifetime of a filled overlay.
    pub ttl: Duration,
    /// Users with more items than this are not cached.
    pub max_members: usize,
}

impl Default for OverlayConfig {
    fn default() -> Self {
        OverlayConfig {
            enabled: true,
            ttl: Duration::from_secs(15 * 60),
            max_members: 5_000,
        }
    }
}

/// Counters since start.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct OverlayStats {
    pub enabled: bool,
    /// Answered by Redis.
    pub hits: u64,
    /// Filled from PostgreSQL (then answered from the fill).
    pub fills: u64,
    /// Fills not stored: a write changed the overlay meanwhile.
    pub fills_refused: u64,
    /// Answered by PostgreSQL alone (no usable Redis, too many items).
    pub fallbacks: u64,
    pub redis_errors: u64,
}

#[derive(Default)]
struct Counters {
    hits: AtomicU64,
    fills: AtomicU64,
    fills_refused: AtomicU64,
    fallbacks: AtomicU64,
    redis_errors: AtomicU64,
}

/// Per-user overlays (cheap to clone; one per instance).
#[derive(Clone)]
pub struct Overlays {
    gate: RedisGate,
    cfg: OverlayConfig,
    counters: Arc<Counters>,
}

/// `SMISMEMBER`/`HMGET` of the sentinel and the asked members; on a miss,
/// the version instead (read in the same atomic step).
const READ_SET: &str = r#"
local r = redis.call('SMISMEMBER', KEYS[1], '_', unpack(ARGV))
if r[1] == 0 then return {'miss', redis.call('GET', KEYS[2]) or ''} end
return r
"#;
const READ_HASH: &str = r#"
local r = redis.call('HMGET', KEYS[1], '_', unpack(ARGV))
if not r[1] then return {'miss', redis.call('GET', KEYS[2]) or ''} end
for i = 1, #r do if not r[i] then r[i] = '' end end
return r
"#;
/// Stores a fill if the version is still ARGV[1]. ARGV[2] = ttl seconds,
/// ARGV[3..] = members (sets) or field, value pairs (hashes).
const FILL_SET: &str = r#"
if (redis.call('GET', KEYS[2]) or '') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SADD', KEYS[1], '_', unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"#;
const FILL_HASH: &str = r#"
if (redis.call('GET', KEYS[2]) or '') ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], '_', '', unpack(ARGV, 3))
redis.call('EXPIRE', KEYS[1], ARGV[2])
return 1
"#;
/// After a write committed: new version (kept a while), overlay gone.
const CHANGED: &str = r#"
redis.call('INCR', KEYS[2])
redis.call('EXPIRE', KEYS[2], ARGV[1])
redis.call('DEL', KEYS[1])
return 1
"#;

/// What Redis said.
enum Read {
    /// Per asked member: present (sets) or its value, '' when absent (hashes).
    Hit(Vec<String>),
    /// Not filled; the version read with the miss.
    Miss(String),
}

impl Overlays {
    pub fn new(gate: RedisGate, cfg: OverlayConfig) -> Overlays {
        Overlays {
            gate,
            cfg,
            counters: Arc::new(Counters::default()),
        }
    }

    /// Overlays that always ask PostgreSQL.
    pub fn disabled() -> Overlays {
        Overlays::new(
            RedisGate::none(),
            OverlayConfig {
                enabled: false,
                ..Default::default()
            },
        )
    }

    fn keys(&self, kind: Kind, user: Uuid) -> (String, String) {
        let key = self
            .gate
            .key(format_args!("ov:{}:{}", kind.tag(), user.simple()));
        let version = format!("{key}:v");
        (key, version)
    }

    /// The Redis client to use now, if any.
    fn client(&self) -> Option<&Client> {
        if !self.cfg.enabled {
            return None;
        }
        self.gate.client()
    }

    fn error(&self, what: &str, e: &fred::error::Error) {
        self.counters.redis_errors.fetch_add(1, Ordering::Relaxed);
        self.gate.failed(what, e);
    }

    async fn read(&self, kind: Kind, user: Uuid, members: &[String]) -> Option<Read> {
        let client = self.client()?;
        let (key, version) = self.keys(kind, user);
        let script = if kind == Kind::PostVotes {
            READ_HASH
        } else {
            READ_SET
        };
        let reply: Vec<Value> = match client
            .eval(script, vec![key, version], members.to_vec())
            .await
        {
            Ok(r) => r,
            Err(e) => {
                self.error("overlay read", &e);
                return None;
            }
        };
        if reply.first().and_then(|v| v.as_str()).as_deref() == Some("miss") {
            let version = reply.get(1).and_then(|v| v.as_string()).unwrap_or_default();
            return Some(Read::Miss(version));
        }
        // Skip the sentinel.
        let answers = reply
            .iter()
            .skip(1)
            .map(|v| match v {
                Value::Integer(0) => String::new(),
                Value::Integer(_) => "1".to_string(),
                other => other.as_string().unwrap_or_default(),
            })
            .collect::<Vec<_>>();
        if answers.len() != members.len() {
            return None;
        }
        Some(Read::Hit(answers))
    }

    /// Stores a fill read at `version`; false if refused or failed.
    async fn fill(&self, kind: Kind, user: Uuid, version: String, args: Vec<String>) {
        let Some(client) = self.client() else {
            return;
        };
        let (key, version_key) = self.keys(kind, user);
        let script = if kind == Kind::PostVotes {
            FILL_HASH
        } else {
            FILL_SET
        };
        let mut argv = Vec::with_capacity(args.len() + 2);
        argv.push(version);
        argv.push(self.cfg.ttl.as_secs().max(1).to_string());
        argv.extend(args);
        match client
            .eval::<i64, _, _, _>(script, vec![key, version_key], argv)
            .await
        {
            Ok(1) => {}
            Ok(_) => {
                self.counters.fills_refused.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => self.error("overlay fill", &e),
        }
    }

    /// Tells the overlay that `user`'s `kind` changed; call it after the
    /// write committed. Never fails the caller: if Redis cannot be told
    /// now, it is retried in the background for about a minute.
    pub async fn changed(&self, kind: Kind, user: Uuid) {
        if !self.cfg.enabled || !self.gate.configured() {
            return;
        }
        if self.try_changed(kind, user).await {
            return;
        }
        let this = self.clone();
        tokio::spawn(async move {
            let mut delay = Duration::from_millis(500);
            for _ in 0..8 {
                tokio::time::sleep(delay).await;
                if this.try_changed(kind, user).await {
                    return;
                }
                delay = (delay * 2).min(Duration::from_secs(15));
            }
            tracing::warn!(%user, ?kind, "could not drop a changed overlay; it expires on its own");
        });
    }

    async fn try_changed(&self, kind: Kind, user: Uuid) -> bool {
        let Some(client) = self.gate.client() else {
            return false;
        };
        let (key, version) = self.keys(kind, user);
        // The version outlives every overlay filled under it.
        let keep = (self.cfg.ttl.as_secs().max(1) * 4).to_string();
        match client
            .eval::<i64, _, _, _>(CHANGED, vec![key, version], vec![keep])
            .await
        {
            Ok(_) => true,
            Err(e) => {
                self.error("overlay change", &e);
                false
            }
        }
    }

    /// All of a set overlay's members from PostgreSQL (`None` when over
    /// the bound).
    async fn load_set(
        &self,
        pool: &PgPool,
        kind: Kind,
        user: Uuid,
    ) -> Result<Option<Vec<Uuid>>, sqlx::Error> {
        let sql = match kind {
            Kind::Upvotes => {
                "SELECT project_id FROM upvotes WHERE user_id = $1 AND is_upvote LIMIT $2"
            }
            Kind::Follows => "SELECT chain_id FROM chain_followers WHERE user_id = $1 LIMIT $2",
            Kind::PostVotes => unreachable!("post votes are a hash"),
        };
        let limit = self.cfg.max_members as i64 + 1;
        let ids: Vec<Uuid> = sqlx::query_scalar(sql)
            .bind(user)
            .bind(limit)
            .fetch_all(pool)
            .await?;
        Ok((ids.len() <= self.cfg.max_members).then_some(ids))
    }

    /// Which of `ids` are in the user's set overlay `kind`.
    async fn set_among(
        &self,
        pool: &PgPool,
        kind: Kind,
        user: Uuid,
        ids: &[Uuid],
    ) -> Result<Vec<Uuid>, sqlx::Error> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let members: Vec<String> = ids.iter().map(|id| id.to_string()).collect();
        match self.read(kind, user, &members).await {
            Some(Read::Hit(answers)) => {
                self.counters.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(ids
                    .iter()
                    .zip(answers)
                    .filter(|(_, a)| !a.is_empty())
                    .map(|(id, _)| *id)
                    .collect());
            }
            Some(Read::Miss(version)) => {
                if let Some(all) = self.load_set(pool, kind, user).await? {
                    self.counters.fills.fetch_add(1, Ordering::Relaxed);
                    let found = ids.iter().copied().filter(|id| all.contains(id)).collect();
                    let args = all.iter().map(|id| id.to_string()).collect();
                    self.fill(kind, user, version, args).await;
                    return Ok(found);
                }
            }
            None => {}
        }
        self.counters.fallbacks.fetch_add(1, Ordering::Relaxed);
        let sql = match kind {
            Kind::Upvotes => {
                "SELECT project_id FROM upvotes \
                 WHERE user_id = $1 AND is_upvote AND project_id = ANY($2)"
            }
            Kind::Follows => {
                "SELECT chain_id FROM chain_followers WHERE user_id = $1 AND chain_id = ANY($2)"
            }
            Kind::PostVotes => unreachable!("post votes are a hash"),
        };
        sqlx::query_scalar(sql)
            .bind(user)
            .bind(ids)
            .fetch_all(pool)
            .await
    }

    /// Which of `project_ids` the user has upvoted.
    pub async fn upvoted_among(
        &self,
        pool: &PgPool,
        user: Uuid,
        project_ids: &[Uuid],
    ) -> Result<Vec<Uuid>, sqlx::Error> {
        self.set_among(pool, Kind::Upvotes, user, project_ids).await
    }

    /// Whether the user has upvoted the project.
    pub async fn has_upvoted(
        &self,
        pool: &PgPool,
        user: Uuid,
        project_id: Uuid,
    ) -> Result<bool, sqlx::Error> {
        Ok(!self
            .set_among(pool, Kind::Upvotes, user, &[project_id])
            .await?
            .is_empty())
    }

    /// Which of `chain_ids` the user follows.
    pub async fn following_among(
        &self,
        pool: &PgPool,
        user: Uuid,
        chain_ids: &[Uuid],
    ) -> Result<Vec<Uuid>, sqlx::Error> {
        self.set_among(pool, Kind::Follows, user, chain_ids).await
    }

    /// Whether the user follows the chain.
    pub async fn follows(
        &self,
        pool: &PgPool,
        user: Uuid,
        chain_id: Uuid,
    ) -> Result<bool, sqlx::Error> {
        Ok(!self
            .set_among(pool, Kind::Follows, user, &[chain_id])
            .await?
            .is_empty())
    }

    /// The user's votes on `post_ids`: `(post, true)` up, `(post, false)`
    /// down; posts without a vote are left out.
    pub async fn post_votes_among(
        &self,
        pool: &PgPool,
        user: Uuid,
        post_ids: &[Uuid],
    ) -> Result<Vec<(Uuid, bool)>, sqlx::Error> {
        if post_ids.is_empty() {
            return Ok(Vec::new());
        }
        let members: Vec<String> = post_ids.iter().map(|id| id.to_string()).collect();
        match self.read(Kind::PostVotes, user, &members).await {
            Some(Read::Hit(answers)) => {
                self.counters.hits.fetch_add(1, Ordering::Relaxed);
                return Ok(post_ids
                    .iter()
                    .zip(answers)
                    .filter_map(|(id, a)| match a.as_str() {
                        "1" => Some((*id, true)),
                        "0" => Some((*id, false)),
                        _ => None,
                    })
                    .collect());
            }
            Some(Read::Miss(version)) => {
                let limit = self.cfg.max_members as i64 + 1;
                let all: Vec<(Uuid, bool)> = sqlx::query_as(
                    "SELECT post_id, is_upvote FROM chain_post_votes WHERE user_id = $1 LIMIT $2",
                )
                .bind(user)
                .bind(limit)
                .fetch_all(pool)
                .await?;
                if all.len() <= self.cfg.max_members {
                    self.counters.fills.fetch_add(1, Ordering::Relaxed);
                    let found = all
                        .iter()
                        .copied()
                        .filter(|(id, _)| post_ids.contains(id))
                        .collect();
                    let args = all
                        .iter()
                        .flat_map(|(id, up)| [id.to_string(), if *up { "1" } else { "0" }.into()])
                        .collect();
                    self.fill(Kind::PostVotes, user, version, args).await;
                    return Ok(found);
                }
            }
            None => {}
        }
        self.counters.fallbacks.fetch_add(1, Ordering::Relaxed);
        sqlx::query_as(
            "SELECT post_id, is_upvote FROM chain_post_votes \
             WHERE user_id = $1 AND post_id = ANY($2)",
        )
        .bind(user)
        .bind(post_ids)
        .fetch_all(pool)
        .await
    }

    /// The user's vote on one post: `Some(true)` up, `Some(false)` down.
    pub async fn post_vote(
        &self,
        pool: &PgPool,
        user: Uuid,
        post_id: Uuid,
    ) -> Result<Option<bool>, sqlx::Error> {
        Ok(self
            .post_votes_among(pool, user, &[post_id])
            .await?
            .first()
            .map(|(_, up)| *up))
    }

    /// Counters since start.
    pub fn stats(&self) -> OverlayStats {
        let c = &self.counters;
        OverlayStats {
            enabled: self.cfg.enabled,
            hits: c.hits.load(Ordering::Relaxed),
            fills: c.fills.load(Ordering::Relaxed),
            fills_refused: c.fills_refused.load(Ordering::Relaxed),
            fallbacks: c.fallbacks.load(Ordering::Relaxed),
            redis_errors: c.redis_errors.load(Ordering::Relaxed),
        }
    }
}
