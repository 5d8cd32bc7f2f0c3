//! The hot page cache: what anonymous visitors read most (first pages of
//! the feed tabs, the leaderboards, chain discovery, the investors
//! directory), kept in process and in Redis for a short while, and dropped
//! everywhere when the view it came from is refreshed.
//!
//! Two layers, read in order, filled on the way back:
//!
//! 1. **in process**: a bounded map of typed values (no decoding on a hit),
//!    [`HotCacheConfig::local_ttl`] long while this instance hears refresh
//!    notifications, [`HotCacheConfig::deaf_local_ttl`] while it does not
//!    (Redis down: nobody can tell it a view changed);
//! 2. **Redis**: JSON under `pw:<namespace>:hot:<view>:<key>` for
//!    [`HotCacheConfig::redis_ttl`], shared by every instance.
//!
//! Invalidation: after the refresher commits a view's refresh, its
//! [`bus::Publisher`] calls [`HotCache::view_refreshed`] (this cache is its
//! [`bus::LocalCopy`]), which drops the view's entries here and in Redis
//! (the keys are indexed in the set `pw:<namespace>:hotkeys:<view>`); then
//! it publishes the refresh, every instance's [`HotCache::listen`] hears it
//! and drops its own in-process entries (and the view's Redis entries once
//! more, so that publishing a refresh is always enough to invalidate it).
//! A read that started before a refresh
//! and ends after it must not store its old rows: each view has an epoch
//! that every drop advances, and a loaded value is stored only if the epoch
//! did not move while it was read. A second drop of the Redis entries a
//! moment later ([`HotCacheConfig::second_drop_after`]) covers another
//! instance's read that was still in flight when the first drop ran.
//!
//! Redis is never required: a missing, disconnected, slow or failing Redis
//! only means misses (see [`RedisGate`]). Keys and lifetimes are listed in
//! `docs/CACHE.md`.

use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fred::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::bus::{self, RefreshEvent};

// -------------------------------------------------------------- the gate --

/// This database's name for its Redis keys (migration
/// `20261202000600_cache_namespace`).
pub async fn namespace(pool: &sqlx::PgPool) -> Result<String, sqlx::Error> {
    sqlx::query_scalar::<_, String>("SELECT name FROM cache_namespace")
        .fetch_one(pool)
        .await
}

/// Redis as the hot path may use it: `None` when there is no Redis, when
/// its connection is down, or for a short while after a command failed or
/// timed out (so a dead or slow Redis costs one timeout per pause, not one
/// per request).
#[derive(Clone)]
pub struct RedisGate {
    pool: Option<Pool>,
    /// This database's [`namespace`], in front of every key.
    namespace: Arc<str>,
    /// Milliseconds since `epoch` until which Redis is skipped.
    paused_until_ms: Arc<AtomicU64>,
    epoch: Instant,
    pause: Duration,
}

impl RedisGate {
    /// A gate over `pool` for the database named `namespace` (see
    /// [`namespace`]); after a failure Redis is skipped for `pause`.
    pub fn new(pool: Option<Pool>, namespace: &str, pause: Duration) -> RedisGate {
        RedisGate {
            pool,
            namespace: Arc::from(namespace),
            paused_until_ms: Arc::new(AtomicU64::new(0)),
            epoch: Instant::now(),
            pause,
        }
    }

    /// No Redis at all.
    pub fn none() -> RedisGate {
        RedisGate::new(None, "none", Duration::from_secs(1))
    }

    /// `pw:<namespace>:<rest>`: every key the app writes.
    pub fn key(&self, rest: std::fmt::Arguments<'_>) -> String {
        format!("pw:{}:{rest}", self.namespace)
    }

    fn now_ms(&self) -> u64 {
        self.epoch.elapsed().as_millis() as u64
    }

    /// A connected client, unless Redis is absent, down or paused.
    pub fn client(&self) -> Option<&Client> {
        let pool = self.pool.as_ref()?;
        if self.now_ms() < self.paused_until_ms.load(Ordering::Relaxed) {
            return None;
        }
        let client = pool.next_connected();
        client.is_connected().then_some(client)
    }

    /// Records a failed command: Redis is skipped for the pause.
    pub fn failed(&self, what: &str, error: &fred::error::Error) {
        let until = self.now_ms() + self.pause.as_millis() as u64;
        let before = self.paused_until_ms.swap(until, Ordering::Relaxed);
        if before <= self.now_ms() {
            tracing::warn!(%error, what, pause_ms = self.pause.as_millis() as u64,
                "redis failed; serving from PostgreSQL for a moment");
        }
    }

    /// True when a Redis URL was configured.
    pub fn configured(&self) -> bool {
        self.pool.is_some()
    }
}

// ---------------------------------------------------------- configuration --

/// Lifetimes and bounds of the hot cache.
#[derive(Debug, Clone)]
pub struct HotCacheConfig {
    /// Off: every read goes to PostgreSQL (for benchmarks and debugging).
    pub enabled: bool,
    /// In-process lifetime while refresh notifications are heard.
    pub local_ttl: Duration,
    /// In-process lifetime while they are not (Redis down or not
    /// configured): bounds what a missed refresh can cost.
    pub deaf_local_ttl: Duration,
    /// Lifetime in Redis (entries are dropped on refresh before that).
    pub redis_ttl: Duration,
    /// Most in-process entries kept.
    pub local_capacity: usize,
    /// Delay of the second drop of a view's Redis entries after a refresh.
    pub second_drop_after: Duration,
}

impl Default for HotCacheConfig {
    fn default() -> Self {
        HotCacheConfig {
            enabled: true,
            local_ttl: Duration::from_secs(10),
            deaf_local_ttl: Duration::from_secs(1),
            redis_ttl: Duration::from_secs(60),
            local_capacity: 2_000,
            second_drop_after: Duration::from_millis(500),
        }
    }
}

// ----------------------------------------------------------------- stats --

/// Counters since start, for `/denormalization-health` and the admin page.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct HotCacheStats {
    pub enabled: bool,
    /// This instance hears refresh notifications now.
    pub listening: bool,
    pub local_hits: u64,
    pub redis_hits: u64,
    pub misses: u64,
    /// Loaded values not stored because their view was refreshed meanwhile.
    pub stale_loads_dropped: u64,
    pub redis_errors: u64,
    /// In-process entries dropped because their view was refreshed.
    pub invalidations: u64,
    pub local_entries: u64,
}

impl HotCacheStats {
    /// Hits of either layer over all reads (0 when nothing was read).
    pub fn hit_ratio(&self) -> f64 {
        let hits = self.local_hits + self.redis_hits;
        let all = hits + self.misses;
        if all == 0 {
            0.0
        } else {
            hits as f64 / all as f64
        }
    }
}

#[derive(Default)]
struct Counters {
    local_hits: AtomicU64,
    redis_hits: AtomicU64,
    misses: AtomicU64,
    stale_loads_dropped: AtomicU64,
    redis_errors: AtomicU64,
    invalidations: AtomicU64,
}

// ------------------------------------------------------------- the cache --

struct Entry {
    view: String,
    expires: Instant,
    value: Arc<dyn Any + Send + Sync>,
}

#[derive(Default)]
struct Local {
    entries: HashMap<String, Entry>,
    /// Per view, advanced by every drop of that view.
    epochs: HashMap<String, u64>,
    /// Every view something was cached from (to drop them all in Redis
    /// after notifications may have been missed).
    views: std::collections::BTreeSet<String>,
    /// Advanced by every drop of everything.
    global_epoch: u64,
}

impl Local {
    fn epoch(&self, view: &str) -> (u64, u64) {
        (
            self.global_epoch,
            self.epochs.get(view).copied().unwrap_or(0),
        )
    }
}

struct Inner {
    cfg: HotCacheConfig,
    gate: RedisGate,
    local: Mutex<Local>,
    listening: AtomicBool,
    counters: Counters,
}

/// The hot page cache (cheap to clone; one per instance).
#[derive(Clone)]
pub struct HotCache {
    inner: Arc<Inner>,
}

impl HotCache {
    pub fn new(gate: RedisGate, cfg: HotCacheConfig) -> HotCache {
        HotCache {
            inner: Arc::new(Inner {
                cfg,
                gate,
                local: Mutex::new(Local::default()),
                listening: AtomicBool::new(false),
                counters: Counters::default(),
            }),
        }
    }

    /// A cache that never stores anything.
    pub fn disabled() -> HotCache {
        HotCache::new(
            RedisGate::none(),
            HotCacheConfig {
                enabled: false,
                ..Default::default()
            },
        )
    }

    fn local(&self) -> std::sync::MutexGuard<'_, Local> {
        // A panic while holding the lock cannot leave the map inconsistent
        // in a way that matters for a cache: keep going.
        self.inner.local.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn redis_key(&self, view: &str, key: &str) -> String {
        self.inner.gate.key(format_args!("hot:{view}:{key}"))
    }

    fn index_key(&self, view: &str) -> String {
        self.inner.gate.key(format_args!("hotkeys:{view}"))
    }

    /// The value cached for `key` of `view`, or `load()`'s, stored on the
    /// way back unless `view` was refreshed while it was being loaded.
    pub async fn get_or_load<T, E, F, Fut>(&self, view: &str, key: &str, load: F) -> Result<T, E>
    where
        T: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<T, E>>,
    {
        let cfg = &self.inner.cfg;
        if !cfg.enabled {
            return load().await;
        }
        let c = &self.inner.counters;
        let full = format!("{view}:{key}");
        let epoch = {
            let local = self.local();
            if let Some(e) = local.entries.get(&full) {
                if e.expires > Instant::now() {
                    if let Some(v) = e.value.downcast_ref::<T>() {
                        c.local_hits.fetch_add(1, Ordering::Relaxed);
                        return Ok(v.clone());
                    }
                }
            }
            local.epoch(view)
        };

        let redis_key = self.redis_key(view, key);
        if let Some(client) = self.inner.gate.client() {
            match client.get::<Option<String>, _>(&redis_key).await {
                Ok(Some(json)) => match serde_json::from_str::<T>(&json) {
                    Ok(value) => {
                        c.redis_hits.fetch_add(1, Ordering::Relaxed);
                        self.store_local(view, full, epoch, &value);
                        return Ok(value);
                    }
                    Err(e) => {
                        // Written by another version of the code: a miss.
                        tracing::debug!(error = %e, key = %redis_key, "undecodable cache entry");
                    }
                },
                Ok(None) => {}
                Err(e) => {
                    c.redis_errors.fetch_add(1, Ordering::Relaxed);
                    self.inner.gate.failed("hot cache read", &e);
                }
            }
        }

        c.misses.fetch_add(1, Ordering::Relaxed);
        let value = load().await?;
        if self.local().epoch(view) != epoch {
            c.stale_loads_dropped.fetch_add(1, Ordering::Relaxed);
            return Ok(value);
        }
        self.store_local(view, full, epoch, &value);
        if let Some(client) = self.inner.gate.client() {
            match serde_json::to_string(&value) {
                Ok(json) => {
                    let ttl = cfg.redis_ttl.as_secs().max(1) as i64;
                    let index = self.index_key(view);
                    let pipe = client.pipeline();
                    let _: Result<(), _> = pipe
                        .set::<(), _, _>(&redis_key, json, Some(Expiration::EX(ttl)), None, false)
                        .await;
                    let _: Result<(), _> = pipe.sadd::<(), _, _>(&index, &redis_key).await;
                    let _: Result<(), _> = pipe.expire::<(), _>(&index, ttl * 2, None).await;
                    if let Err(e) = pipe.all::<Vec<Value>>().await {
                        c.redis_errors.fetch_add(1, Ordering::Relaxed);
                        self.inner.gate.failed("hot cache write", &e);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "hot cache value not serializable"),
            }
        }
        Ok(value)
    }

    fn store_local<T: Clone + Send + Sync + 'static>(
        &self,
        view: &str,
        full: String,
        epoch: (u64, u64),
        value: &T,
    ) {
        let cfg = &self.inner.cfg;
        // The subscription can lag behind a dead connection: trust it only
        // while the command connections are up too.
        let heard =
            self.inner.listening.load(Ordering::Relaxed) && self.inner.gate.client().is_some();
        let ttl = if heard {
            cfg.local_ttl
        } else {
            cfg.deaf_local_ttl
        };
        let now = Instant::now();
        let mut local = self.local();
        if local.epoch(view) != epoch {
            self.inner
                .counters
                .stale_loads_dropped
                .fetch_add(1, Ordering::Relaxed);
            return;
        }
        if local.entries.len() >= cfg.local_capacity {
            local.entries.retain(|_, e| e.expires > now);
            if local.entries.len() >= cfg.local_capacity {
                // Still full of live entries: drop this view's (rather than
                // track recency on every hit), so that many distinct keys
                // of one view — search queries — cannot push out the few
                // first pages everyone reads; everything if that is not
                // enough.
                local.entries.retain(|_, e| e.view != view);
                if local.entries.len() >= cfg.local_capacity {
                    local.entries.clear();
                }
            }
        }
        if !local.views.contains(view) {
            local.views.insert(view.to_string());
        }
        local.entries.insert(
            full,
            Entry {
                view: view.to_string(),
                expires: now + ttl,
                value: Arc::new(value.clone()),
            },
        );
    }

    /// Drops this instance's entries of `view` (a refresh was heard).
    pub fn drop_local(&self, view: &str) {
        let mut local = self.local();
        *local.epochs.entry(view.to_string()).or_insert(0) += 1;
        let before = local.entries.len();
        local.entries.retain(|_, e| e.view != view);
        let dropped = (before - local.entries.len()) as u64;
        self.inner
            .counters
            .invalidations
            .fetch_add(dropped, Ordering::Relaxed);
    }

    /// Drops every entry here and, in the background, in Redis: refresh
    /// notifications may have been missed (after a reconnection).
    pub fn resync(&self) {
        self.drop_all_local();
        let views: Vec<String> = self.local().views.iter().cloned().collect();
        let this = self.clone();
        tokio::spawn(async move {
            for view in views {
                let _ = this.drop_redis(&view).await;
            }
        });
    }

    /// Drops every in-process entry (notifications may have been missed).
    pub fn drop_all_local(&self) {
        let mut local = self.local();
        local.global_epoch += 1;
        let dropped = local.entries.len() as u64;
        local.entries.clear();
        self.inner
            .counters
            .invalidations
            .fetch_add(dropped, Ordering::Relaxed);
    }

    /// Drops `view`'s entries in Redis: pops its index and deletes what it
    /// named (keys added meanwhile stay indexed for the next drop).
    pub async fn drop_redis(&self, view: &str) -> Result<(), fred::error::Error> {
        let Some(client) = self.inner.gate.client() else {
            return Ok(());
        };
        let index = self.index_key(view);
        loop {
            let keys: Vec<String> = match client.spop(&index, Some(500)).await {
                Ok(k) => k,
                Err(e) => {
                    self.inner.gate.failed("hot cache drop", &e);
                    return Err(e);
                }
            };
            if keys.is_empty() {
                return Ok(());
            }
            let n = keys.len();
            if let Err(e) = client.del::<i64, _>(keys).await {
                self.inner.gate.failed("hot cache drop", &e);
                return Err(e);
            }
            if n < 500 {
                return Ok(());
            }
        }
    }

    /// Called by the refresher once `view`'s refresh committed, before it
    /// publishes: drops the view here and in Redis, and once more in Redis
    /// a moment later (see the module notes).
    pub async fn view_refreshed(&self, view: &str) {
        if !self.inner.cfg.enabled {
            return;
        }
        self.drop_local(view);
        if let Err(e) = self.drop_redis(view).await {
            tracing::warn!(view, error = %e, "dropping cached entries in redis failed");
        }
        let again = self.clone();
        let view = view.to_string();
        tokio::spawn(async move {
            tokio::time::sleep(again.inner.cfg.second_drop_after).await;
            let _ = again.drop_redis(&view).await;
        });
    }

    /// Applies one refresh notification: drops the view here and, in the
    /// background, in Redis (the publisher normally did that already; doing
    /// it again costs one `SPOP` of an empty set, and makes any publisher
    /// of the channel — `refresh_now` callers too — enough to invalidate).
    pub fn apply(&self, event: &RefreshEvent) {
        match event {
            RefreshEvent::View(v) => {
                self.drop_local(v);
                let this = self.clone();
                let view = v.clone();
                tokio::spawn(async move {
                    let _ = this.drop_redis(&view).await;
                });
            }
            RefreshEvent::Resync => self.resync(),
        }
    }

    /// Listens to refresh notifications on Redis until `shutdown`,
    /// resubscribing after failures; while it cannot hear them, in-process
    /// entries live only [`HotCacheConfig::deaf_local_ttl`].
    pub async fn listen(self, redis_url: String, shutdown: impl Future<Output = ()> + Send) {
        if !self.inner.cfg.enabled {
            return;
        }
        tokio::pin!(shutdown);
        loop {
            let sub = tokio::select! {
                s = bus::subscribe(&redis_url) => s,
                _ = &mut shutdown => return,
            };
            match sub {
                Ok(mut sub) => {
                    // Whatever was cached before now may have missed a refresh.
                    self.resync();
                    self.inner.listening.store(true, Ordering::Relaxed);
                    loop {
                        let event = tokio::select! {
                            e = sub.recv() => e,
                            _ = &mut shutdown => {
                                self.inner.listening.store(false, Ordering::Relaxed);
                                sub.close().await;
                                return;
                            }
                        };
                        match event {
                            Some(e) => self.apply(&e),
                            None => break,
                        }
                    }
                    self.inner.listening.store(false, Ordering::Relaxed);
                }
                Err(e) => {
                    self.inner.listening.store(false, Ordering::Relaxed);
                    tracing::debug!(error = %e, "refresh notifications unavailable; retrying");
                }
            }
            tokio::select! {
                _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                _ = &mut shutdown => return,
            }
        }
    }

    /// Counters since start.
    pub fn stats(&self) -> HotCacheStats {
        let c = &self.inner.counters;
        HotCacheStats {
            enabled: self.inner.cfg.enabled,
            listening: self.inner.listening.load(Ordering::Relaxed),
            local_hits: c.local_hits.load(Ordering::Relaxed),
            redis_hits: c.redis_hits.load(Ordering::Relaxed),
            misses: c.misses.load(Ordering::Relaxed),
            stale_loads_dropped: c.stale_loads_dropped.load(Ordering::Relaxed),
            redis_errors: c.redis_errors.load(Ordering::Relaxed),
            invalidations: c.invalidations.load(Ordering::Relaxed),
            local_entries: self.local().entries.len() as u64,
        }
    }

    /// True while refresh notifications are heard.
    pub fn listening(&self) -> bool {
        self.inner.listening.load(Ordering::Relaxed)
    }
}

impl bus::LocalCopy for HotCache {
    fn drop_view(&self, view: String) -> std::pin::Pin<Box<dyn Future<Output = ()> + Send + '_>> {
        Box::pin(async move { self.view_refreshed(&view).await })
    }
}
