//! data::overlays against real PostgreSQL and Redis: after randomized
//! concurrent upvotes and removals, follows and unfollows, and forum votes
//! (each followed by `Overlays::changed`, as the site does), with readers
//! filling the overlays all along, every overlay answers exactly what the
//! database says; a fill that read the database before a write committed is
//! never kept; without a usable Redis the answers come from PostgreSQL.
//!
//! Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test -p data --test overlays`
//! (Redis must answer at redis://127.0.0.1:6379, or at REDIS_URL.)

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::time::Duration;

use common::*;
use data::cache::RedisGate;
use data::overlays::{Kind, OverlayConfig, Overlays};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::PgPool;
use uuid::Uuid;

fn redis_url() -> String {
    std::env::var("REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379".into())
}

/// Overlays on the real Redis, under this database's namespace.
async fn overlays(pool: &PgPool, cfg: OverlayConfig) -> Res<Overlays> {
    let redis = data::db::redis(&redis_url(), Duration::from_secs(2)).await?;
    let ns = data::cache::namespace(pool).await?;
    let gate = RedisGate::new(Some(redis), &ns, Duration::from_millis(200));
    Ok(Overlays::new(gate, cfg))
}

struct World {
    users: Vec<Uuid>,
    projects: Vec<Uuid>,
    chains: Vec<Uuid>,
    posts: Vec<Uuid>,
}

async fn world(pool: &PgPool) -> Res<World> {
    let users = users(pool, 8).await?;
    let mut projects = Vec::new();
    for (i, u) in users.iter().enumerate().take(6) {
        projects.push(project(pool, *u).await?);
        if i % 2 == 0 {
            projects.push(project(pool, *u).await?);
        }
    }
    let mut chains = Vec::new();
    let mut posts = Vec::new();
    for (i, &creator) in users.iter().enumerate().take(4) {
        let chain = data::chains::create(
            pool,
            creator,
            &data::chains::NewChain {
                name: format!("Chain number {i}"),
                description: "A chain for the overlay test".into(),
                category: data::chains::CATEGORIES[0].into(),
                is_public: true,
            },
        )
        .await?;
        chains.push(chain);
        for j in 0..2 {
            let post = data::forum::create_post(
                pool,
                creator,
                chain,
                &data::forum::NewPost {
                    title: format!("Post {j} in chain {i}"),
                    content: "Something worth voting on".into(),
                    post_type: "discussion".into(),
                },
            )
            .await?;
            posts.push(post.id);
        }
    }
    Ok(World {
        users,
        projects,
        chains,
        posts,
    })
}

async fn true_upvotes(pool: &PgPool, user: Uuid) -> Res<BTreeSet<Uuid>> {
    let ids: Vec<Uuid> =
        sqlx::query_scalar("SELECT project_id FROM upvotes WHERE user_id = $1 AND is_upvote")
            .bind(user)
            .fetch_all(pool)
            .await?;
    Ok(ids.into_iter().collect())
}

async fn true_follows(pool: &PgPool, user: Uuid) -> Res<BTreeSet<Uuid>> {
    let ids: Vec<Uuid> =
        sqlx::query_scalar("SELECT chain_id FROM chain_followers WHERE user_id = $1")
            .bind(user)
            .fetch_all(pool)
            .await?;
    Ok(ids.into_iter().collect())
}

async fn true_post_votes(pool: &PgPool, user: Uuid) -> Res<BTreeMap<Uuid, bool>> {
    let rows: Vec<(Uuid, bool)> =
        sqlx::query_as("SELECT post_id, is_upvote FROM chain_post_votes WHERE user_id = $1")
            .bind(user)
            .fetch_all(pool)
            .await?;
    Ok(rows.into_iter().collect())
}

/// Every user's every overlay equals the database.
async fn assert_overlays_match(pool: &PgPool, ov: &Overlays, w: &World) -> Res {
    for &u in &w.users {
        let got: BTreeSet<Uuid> = ov
            .upvoted_among(pool, u, &w.projects)
            .await?
            .into_iter()
            .collect();
        anyhow::ensure!(got == true_upvotes(pool, u).await?, "upvotes of {u}");
        let got: BTreeSet<Uuid> = ov
            .following_among(pool, u, &w.chains)
            .await?
            .into_iter()
            .collect();
        anyhow::ensure!(got == true_follows(pool, u).await?, "follows of {u}");
        let got: BTreeMap<Uuid, bool> = ov
            .post_votes_among(pool, u, &w.posts)
            .await?
            .into_iter()
            .collect();
        anyhow::ensure!(got == true_post_votes(pool, u).await?, "post votes of {u}");
        for &p in &w.projects {
            anyhow::ensure!(
                ov.has_upvoted(pool, u, p).await? == true_upvotes(pool, u).await?.contains(&p),
                "has_upvoted({u}, {p})"
            );
        }
    }
    Ok(())
}

/// One writer: random writes, each followed by `changed` as the site
/// does, with reads in between that fill the overlays again.
async fn writer(
    pool: PgPool,
    ov: Overlays,
    w: std::sync::Arc<World>,
    seed: u64,
    ops: usize,
) -> Res {
    let mut rng = StdRng::seed_from_u64(seed);
    for _ in 0..ops {
        let u = w.users[rng.gen_range(0..w.users.len())];
        match rng.gen_range(0..7) {
            0 | 1 => {
                let p = w.projects[rng.gen_range(0..w.projects.len())];
                data::votes::upvote(&pool, u, p).await?;
                ov.changed(Kind::Upvotes, u).await;
            }
            2 => {
                let p = w.projects[rng.gen_range(0..w.projects.len())];
                data::votes::remove_upvote(&pool, u, p).await?;
                ov.changed(Kind::Upvotes, u).await;
            }
            3 => {
                let c = w.chains[rng.gen_range(0..w.chains.len())];
                if rng.gen_bool(0.6) {
                    data::chains::follow(&pool, u, c).await?;
                } else {
                    data::chains::unfollow(&pool, u, c).await?;
                }
                ov.changed(Kind::Follows, u).await;
            }
            4 => {
                let p = w.posts[rng.gen_range(0..w.posts.len())];
                let vote = match rng.gen_range(0..3) {
                    0 => Some(true),
                    1 => Some(false),
                    _ => None,
                };
                data::forum::vote(&pool, u, p, vote).await?;
                ov.changed(Kind::PostVotes, u).await;
            }
            _ => {
                // A page view: asks (and on a miss fills) an overlay.
                let _ = ov.upvoted_among(&pool, u, &w.projects).await?;
                let _ = ov.following_among(&pool, u, &w.chains).await?;
                let _ = ov.post_votes_among(&pool, u, &w.posts).await?;
            }
        }
    }
    Ok(())
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn overlays_equal_the_database_after_concurrent_random_writes(pool: PgPool) -> Res {
    let w = std::sync::Arc::new(world(&pool).await?);
    let ov = overlays(&pool, OverlayConfig::default()).await?;
    for round in 0..3u64 {
        let mut tasks = Vec::new();
        for t in 0..6u64 {
            tasks.push(tokio::spawn(writer(
                pool.clone(),
                ov.clone(),
                w.clone(),
                round * 100 + t,
                60,
            )));
        }
        for t in tasks {
            t.await??;
        }
        assert_overlays_match(&pool, &ov, &w).await?;
    }
    let stats = ov.stats();
    assert!(
        stats.fills > 0,
        "overlays were filled from PostgreSQL: {stats:?}"
    );
    assert!(stats.hits > 0, "and answered from Redis: {stats:?}");
    assert_eq!(stats.redis_errors, 0, "{stats:?}");
    // A second instance (its own connections) sees the same overlays.
    let other = overlays(&pool, OverlayConfig::default()).await?;
    assert_overlays_match(&pool, &other, &w).await?;
    assert!(other.stats().hits > 0, "{:?}", other.stats());
    Ok(())
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn a_change_after_commit_replaces_what_was_filled_before_it(pool: PgPool) -> Res {
    let w = world(&pool).await?;
    let ov = overlays(&pool, OverlayConfig::default()).await?;
    let (u, p) = (w.users[7], w.projects[0]);
    // Fill: the user has no upvotes.
    assert!(!ov.has_upvoted(&pool, u, p).await?);
    // Emulate the race on the same instance: a reader misses (version v0)
    // and reads the database; then a write commits and tells Redis; then the
    // reader's fill arrives. It must be refused.
    ov.changed(Kind::Upvotes, u).await; // drop the overlay: the next read misses
    let before = ov.stats();
    // Hold a transaction that will upvote; read (miss + fill) while it is
    // open, so the fill sees no upvote.
    let mut tx = pool.begin().await?;
    sqlx::query("INSERT INTO upvotes (user_id, project_id, is_upvote) VALUES ($1, $2, true)")
        .bind(u)
        .bind(p)
        .execute(&mut *tx)
        .await?;
    assert!(!ov.has_upvoted(&pool, u, p).await?, "not committed yet");
    assert_eq!(
        ov.stats().fills,
        before.fills + 1,
        "that read filled the overlay"
    );
    tx.commit().await?;
    ov.changed(Kind::Upvotes, u).await;
    assert!(
        ov.has_upvoted(&pool, u, p).await?,
        "after the write's change the overlay says what the database says"
    );
    Ok(())
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn a_stale_fill_racing_a_change_is_refused(pool: PgPool) -> Res {
    // Two instances: A reads while B writes; A's fill carries the version
    // it read with the miss, which B's change advanced.
    let w = world(&pool).await?;
    let a = overlays(&pool, OverlayConfig::default()).await?;
    let b = overlays(&pool, OverlayConfig::default()).await?;
    let (u, p) = (w.users[6], w.projects[1]);
    let mut refused = 0;
    for i in 0..40 {
        // Alternate between upvoted and not; A reads concurrently with B's
        // write and change.
        let up = i % 2 == 0;
        let reader = {
            let (a, pool) = (a.clone(), pool.clone());
            tokio::spawn(async move { a.has_upvoted(&pool, u, p).await })
        };
        if up {
            data::votes::upvote(&pool, u, p).await?;
        } else {
            data::votes::remove_upvote(&pool, u, p).await?;
        }
        b.changed(Kind::Upvotes, u).await;
        reader.await??;
        refused = a.stats().fills_refused;
        assert_eq!(
            a.has_upvoted(&pool, u, p).await?,
            up,
            "round {i}: the overlay must not keep a fill older than the write"
        );
    }
    eprintln!("fills refused in 40 races: {refused}");
    Ok(())
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn without_redis_every_answer_comes_from_postgres(pool: PgPool) -> Res {
    let w = world(&pool).await?;
    for (u, p) in w.users.iter().zip(&w.projects) {
        upvote(&pool, *u, *p, true).await?;
    }
    // A Redis nobody listens on: every command fails fast.
    let dead = data::db::redis("redis://127.0.0.1:1", Duration::from_millis(100)).await?;
    let ns = data::cache::namespace(&pool).await?;
    let ov = Overlays::new(
        RedisGate::new(Some(dead), &ns, Duration::from_millis(200)),
        OverlayConfig::default(),
    );
    let started = std::time::Instant::now();
    assert_overlays_match(&pool, &ov, &w).await?;
    ov.changed(Kind::Upvotes, w.users[0]).await;
    let stats = ov.stats();
    assert_eq!(stats.hits, 0);
    assert!(stats.fallbacks > 0, "{stats:?}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "a dead Redis costs no waits: {:?}",
        started.elapsed()
    );
    // Disabled overlays also answer from PostgreSQL.
    let off = Overlays::disabled();
    assert_overlays_match(&pool, &off, &w).await?;
    Ok(())
}
