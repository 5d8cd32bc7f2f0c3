//! data::cache::HotCache: a value loaded while its view was refreshed is
//! not kept; entries are shared between instances through Redis and a
//! refresh drops them there; many keys of one view cannot push out
//! another view's entries; a disabled cache always loads.
//!
//! Run: `cargo test -p data --test hot_cache` (Redis at
//! redis://127.0.0.1:6379, or REDIS_URL; no PostgreSQL needed).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use data::cache::{HotCache, HotCacheConfig, RedisGate};

type Res = Result<(), std::convert::Infallible>;

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Instances sharing one Redis namespace, as servers on one database do.
async fn instance(namespace: &str, cfg: HotCacheConfig) -> HotCache {
    let redis = data::db::redis(&redis_url(), Duration::from_secs(2))
        .await
        .expect("redis");
    HotCache::new(
        RedisGate::new(Some(redis), namespace, Duration::from_millis(200)),
        cfg,
    )
}

fn fresh_namespace() -> String {
    format!("test{}", uuid::Uuid::new_v4().simple())
}

/// A loader that counts its calls and returns `value`.
async fn load(calls: &AtomicUsize, value: &str) -> Result<String, std::convert::Infallible> {
    calls.fetch_add(1, Ordering::SeqCst);
    Ok(value.to_string())
}

#[tokio::test]
async fn a_value_loaded_across_a_refresh_is_returned_but_not_kept() -> Res {
    let cache = HotCache::new(
        RedisGate::none(),
        HotCacheConfig {
            deaf_local_ttl: Duration::from_secs(60),
            ..Default::default()
        },
    );
    let calls = AtomicUsize::new(0);
    // The view is refreshed while the load runs.
    let v = cache
        .get_or_load("mv_a", "k", || async {
            cache.drop_local("mv_a");
            load(&calls, "old rows").await
        })
        .await?;
    assert_eq!(v, "old rows");
    let v = cache
        .get_or_load("mv_a", "k", || load(&calls, "new rows"))
        .await?;
    assert_eq!(v, "new rows", "the old rows were not kept");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    assert_eq!(cache.stats().stale_loads_dropped, 1);
    // Now it is kept.
    let v = cache
        .get_or_load("mv_a", "k", || load(&calls, "newer"))
        .await?;
    assert_eq!(v, "new rows");
    assert_eq!(calls.load(Ordering::SeqCst), 2);
    // Another view's refresh does not touch it.
    cache.drop_local("mv_b");
    let v = cache.get_or_load("mv_a", "k", || load(&calls, "x")).await?;
    assert_eq!(v, "new rows");
    Ok(())
}

#[tokio::test]
async fn instances_share_entries_through_redis_and_a_refresh_drops_them_there() -> Res {
    let ns = fresh_namespace();
    let a = instance(&ns, HotCacheConfig::default()).await;
    let b = instance(&ns, HotCacheConfig::default()).await;
    let calls = AtomicUsize::new(0);
    let v = a
        .get_or_load("mv_feed", "first", || load(&calls, "page 1"))
        .await?;
    assert_eq!(v, "page 1");
    let v = b
        .get_or_load("mv_feed", "first", || load(&calls, "never"))
        .await?;
    assert_eq!(v, "page 1", "b read a's entry from Redis");
    assert_eq!(calls.load(Ordering::SeqCst), 1);
    assert_eq!(b.stats().redis_hits, 1);

    // Another namespace (another database) does not see it.
    let other = instance(&fresh_namespace(), HotCacheConfig::default()).await;
    let v = other
        .get_or_load("mv_feed", "first", || load(&calls, "other db"))
        .await?;
    assert_eq!(v, "other db");

    // The refresher's instance drops the view here and in Redis.
    a.view_refreshed("mv_feed").await;
    let c = instance(&ns, HotCacheConfig::default()).await;
    let v = c
        .get_or_load("mv_feed", "first", || load(&calls, "page 1, refreshed"))
        .await?;
    assert_eq!(v, "page 1, refreshed", "gone from Redis");
    let v = a
        .get_or_load("mv_feed", "first", || load(&calls, "page 1, refreshed"))
        .await?;
    assert_eq!(v, "page 1, refreshed", "gone from a's process");
    Ok(())
}

#[tokio::test]
async fn many_keys_of_one_view_do_not_push_out_another_views_entries() -> Res {
    let cache = HotCache::new(
        RedisGate::none(),
        HotCacheConfig {
            local_capacity: 10,
            deaf_local_ttl: Duration::from_secs(60),
            ..Default::default()
        },
    );
    let calls = AtomicUsize::new(0);
    cache
        .get_or_load("mv_feed", "first", || load(&calls, "feed"))
        .await?;
    for i in 0..100 {
        cache
            .get_or_load("mv_search", &format!("q{i}"), || load(&calls, "hits"))
            .await?;
    }
    assert!(cache.stats().local_entries <= 10);
    let before = calls.load(Ordering::SeqCst);
    let v = cache
        .get_or_load("mv_feed", "first", || load(&calls, "reloaded"))
        .await?;
    assert_eq!(v, "feed", "the feed's entry survived the spray of queries");
    assert_eq!(calls.load(Ordering::SeqCst), before);
    Ok(())
}

#[tokio::test]
async fn a_disabled_cache_always_loads() -> Res {
    let cache = HotCache::disabled();
    let calls = Arc::new(AtomicUsize::new(0));
    for _ in 0..3 {
        cache.get_or_load("mv", "k", || load(&calls, "v")).await?;
    }
    assert_eq!(calls.load(Ordering::SeqCst), 3);
    assert_eq!(cache.stats().local_hits, 0);
    Ok(())
}
