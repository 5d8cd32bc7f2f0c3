//! Redis on the hot path (docs/CACHE.md), with real Redis servers:
//!
//! - a refresh the refresher publishes drops the cached page on a second
//!   instance, which then shows the new rows;
//! - with Redis stopped every page renders and every action succeeds (from
//!   PostgreSQL, without waiting on Redis), and once Redis is back the
//!   cache and the overlays fill again;
//! - a cached page is read from cache (the counters move) and, for a
//!   signed-in reader, still carries their own marks.
//!
//! The tests that stop Redis run their own `redis-server` on a free port.

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use data::fred::prelude::*;

use crate::helpers::{location, new_client, spawn_app_with, TestApp, PROJECT};

const TOKEN: &str = "cache-test-token";

/// The `hot_cache` and `overlays` counters of the instance at `base`.
async fn counters(base: &str) -> serde_json::Value {
    let res = reqwest::Client::new()
        .get(format!("{base}/denormalization-health"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    serde_json::json!({ "hot": body["hot_cache"], "ov": body["overlays"] })
}

fn n(v: &serde_json::Value, path: &str) -> u64 {
    let mut v = v;
    for part in path.split('.') {
        v = &v[part];
    }
    v.as_u64()
        .unwrap_or_else(|| panic!("{path} is a number: {v}"))
}

/// Waits until `cond` holds, for at most `limit`.
async fn eventually<F, Fut>(limit: Duration, what: &str, mut cond: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let started = Instant::now();
    while !cond().await {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn wait_listening(base: &str) {
    eventually(
        Duration::from_secs(20),
        "hears refresh notifications",
        || async { counters(base).await["hot"]["listening"] == serde_json::json!(true) },
    )
    .await;
}

async fn get_at(client: &reqwest::Client, base: &str, path: &str) -> (u16, String) {
    let res = client
        .get(format!("{base}{path}"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

async fn refresh_all_views(app: &TestApp) {
    let views: Vec<String> = sqlx::query_scalar("select view_name from mv_registry")
        .fetch_all(&app.pool)
        .await
        .unwrap();
    let views: Vec<&str> = views.iter().map(String::as_str).collect();
    app.refresh(&views).await;
}

/// Demo data with every view fresh.
async fn seed(app: &TestApp) {
    app.seed_demo().await;
    refresh_all_views(app).await;
}

/// A server without the refresher on `redis`, with the demo data and every
/// view fresh, once it hears refresh notifications.
async fn seeded_on(redis: &OwnRedis) -> TestApp {
    let app = spawn_app_with(&[
        "--refresher",
        "false",
        "--redis-url",
        &redis.url(),
        "--health-token",
        TOKEN,
    ])
    .await;
    seed(&app).await;
    wait_listening(&app.base).await;
    app
}

/// A `redis-server` of this test's own, on a free port, keeping nothing
/// on disk; killed when dropped.
struct OwnRedis {
    port: u16,
    child: Option<Child>,
}

impl OwnRedis {
    fn free_port() -> u16 {
        std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port()
    }

    async fn start_on(port: u16) -> OwnRedis {
        let child = Command::new("redis-server")
            .args([
                "--port",
                &port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("redis-server is installed (scripts/services installs it)");
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "redis-server on {port} started"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        OwnRedis {
            port,
            child: Some(child),
        }
    }

    fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    fn stop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    async fn client(&self) -> Client {
        let c = Builder::from_config(Config::from_url(&self.url()).unwrap())
            .build()
            .unwrap();
        c.init().await.unwrap();
        c
    }

    /// Keys matching `pattern`.
    async fn keys(&self, pattern: &str) -> Vec<String> {
        let c = self.client().await;
        let keys: Vec<String> = c
            .custom(
                data::fred::types::CustomCommand::new_static("KEYS", None, false),
                vec![pattern.to_string()],
            )
            .await
            .unwrap();
        let _ = c.quit().await;
        keys
    }
}

impl Drop for OwnRedis {
    fn drop(&mut self) {
        self.stop();
    }
}

#[tokio::test]
async fn anonymous_first_pages_come_from_the_cache_and_signed_in_marks_stay_personal() {
    let redis = OwnRedis::start_on(OwnRedis::free_port()).await;
    let app = seeded_on(&redis).await;
    let anon = new_client();
    for path in [
        "/",
        "/?tab=newest",
        "/leaderboard",
        "/chains",
        "/investors",
        "/search?q=rust",
    ] {
        let before = counters(&app.base).await;
        let (s1, first) = app.get(&anon, path).await;
        let (s2, second) = app.get(&anon, path).await;
        assert_eq!((s1, s2), (200, 200), "{path}");
        let after = counters(&app.base).await;
        assert!(
            n(&after, "hot.local_hits") > n(&before, "hot.local_hits"),
            "{path}: the second read is a hit: {before} -> {after}"
        );
        // The same page but for the per-response script nonce.
        let body = |html: &str| {
            html.split("<script nonce=")
                .next()
                .unwrap_or_default()
                .to_string()
        };
        assert_eq!(
            body(&first),
            body(&second),
            "{path}: the cached page is the same page"
        );
    }
    let keys = redis.keys("pw:*:hot:*").await;
    // The leaderboard's first page is filed under the feed's table it reads.
    assert!(
        keys.iter()
            .any(|k| k.contains(":hot:mv_feed_projects:leaderboard:first")),
        "leaderboard cached under the feed: {keys:?}"
    );
    for view in [
        "mv_feed_projects",
        "mv_chains_discovery",
        "mv_investors_directory",
        "mv_search_index",
    ] {
        assert!(
            keys.iter().any(|k| k.contains(&format!(":hot:{view}:"))),
            "{view} cached in Redis: {keys:?}"
        );
    }

    // demo_builder upvotes a card: their feed marks it at once (overlay),
    // an anonymous reader's cached feed does not.
    let me = new_client();
    app.log_in(&me, "demo_builder").await;
    let (_, html) = app.get(&me, "/?tab=newest").await;
    let id = html
        .split(r#"id="p-"#)
        .skip(1)
        .map(|rest| rest[..36].to_string())
        .find(|id| {
            html.contains(&format!(
                "value=\"{id}\"><button type=\"submit\" aria-label=\"Upvote "
            ))
        })
        .expect("a card not upvoted yet");
    app.submit(&me, "/api/upvote", "/?tab=newest", &[("project_id", &id)])
        .await;
    let (_, mine) = app.get(&me, "/?tab=newest").await;
    assert!(
        mine.contains(&format!(
            "value=\"{id}\"><button type=\"submit\" aria-label=\"Remove upvote from "
        )),
        "the voter sees their upvote"
    );
    let (_, theirs) = app.get(&anon, "/?tab=newest").await;
    assert!(!theirs.contains("Remove upvote from"), "nobody else does");
    let ov = counters(&app.base).await;
    assert!(n(&ov, "ov.fills") >= 1, "{ov}");
    // The project page asks the overlay again: a Redis hit now.
    let before = n(&ov, "ov.hits");
    let (status, page) = app.get(&me, &format!("/p/{id}")).await;
    assert_eq!(status, 200);
    assert!(
        page.contains("Remove upvote from"),
        "the project page agrees"
    );
    assert!(n(&counters(&app.base).await, "ov.hits") > before);
}

#[tokio::test]
async fn a_published_refresh_drops_the_cached_page_on_another_instance() {
    // Instance A runs the refresher; B does not, and hears of refreshes
    // only through Redis.
    let app = spawn_app_with(&["--health-token", TOKEN]).await;
    let b = app
        .another_instance(&["--refresher", "false", "--health-token", TOKEN])
        .await;
    wait_listening(&b).await;
    let builder = app.sign_up("cache_builder").await;
    let anon = new_client();
    // Whatever the feed still had to catch up with (keys logged by the
    // demo data or the sign-up) is done first: once A has stepped it, B's
    // entry can only be dropped by the step that the new project causes.
    // Otherwise that earlier step may drop the entry right after B warms
    // it, and the project's step finds nothing to drop.
    eventually(
        Duration::from_secs(20),
        "the feed has caught up",
        || async {
            app.count(
                "select count(*) from mv_status where view_name = 'mv_feed_projects' and dirty",
            )
            .await
                == 0
        },
    )
    .await;

    // B caches the newest tab (twice: the second read is a hit).
    let (status, html) = get_at(&anon, &b, "/?tab=newest").await;
    assert_eq!(status, 200);
    assert!(!html.contains("Compiler in a weekend"));
    let before = counters(&b).await;
    get_at(&anon, &b, "/?tab=newest").await;
    let warmed = counters(&b).await;
    assert!(n(&warmed, "hot.local_hits") > n(&before, "hot.local_hits"));
    let cached_at = Instant::now();

    // A project is created through A; A's refresher refreshes the feed view.
    app.create_project(&builder, PROJECT).await;
    eventually(
        Duration::from_secs(20),
        "the feed view holds the project",
        || async {
            app.count("select count(*) from mv_feed_projects where title = 'Compiler in a weekend'")
                .await
                == 1
        },
    )
    .await;
    // B drops its entry on the notification and reads the new rows: long
    // before its entry would have expired on its own (10 s).
    eventually(
        Duration::from_secs(5),
        "B shows the new project",
        || async {
            get_at(&anon, &b, "/?tab=newest")
                .await
                .1
                .contains("Compiler in a weekend")
        },
    )
    .await;
    assert!(
        cached_at.elapsed() < Duration::from_secs(10),
        "the test ran before the entry's own expiry, so the drop did it"
    );
    let after = counters(&b).await;
    assert!(
        n(&after, "hot.invalidations") > n(&warmed, "hot.invalidations"),
        "B dropped entries on hearing the refresh: {warmed} -> {after}"
    );
}

#[tokio::test]
async fn with_redis_stopped_every_page_and_action_works_and_the_cache_fills_again_after() {
    let port = OwnRedis::free_port();
    let mut redis = OwnRedis::start_on(port).await;
    let app = seeded_on(&redis).await;
    let me = new_client();
    app.log_in(&me, "demo_builder").await;
    let project: String = sqlx::query_scalar(
        "select p.id::text from projects p join users u on u.id = p.user_id \
         where u.username <> 'demo_builder' and not p.is_deleted order by p.created_at limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let (chain, post_id): (String, String) = sqlx::query_as(
        "select c.id::text, p.id::text from chains c join chain_posts p on p.chain_id = c.id \
         where c.is_public and c.is_active and not p.is_deleted \
           and c.creator_id <> (select id from users where username = 'demo_builder') \
         order by p.created_at limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let pages = [
        "/".to_string(),
        "/?tab=newest".into(),
        "/?tab=top&period=week".into(),
        "/leaderboard".into(),
        "/chains".into(),
        "/investors".into(),
        "/search?q=rust".into(),
        format!("/p/{project}"),
        format!("/c/{chain}"),
        format!("/c/{chain}/posts/{post_id}"),
        "/u/demo_builder".into(),
        "/dashboard".into(),
        "/inbox".into(),
        "/notifications".into(),
        "/me/projects".into(),
    ];
    // Warm everything while Redis is up.
    for path in &pages {
        assert_eq!(app.get(&me, path).await.0, 200, "{path}");
    }
    assert!(!redis.keys("pw:*").await.is_empty(), "entries in Redis");

    redis.stop();
    for round in 0..2 {
        for path in &pages {
            let started = Instant::now();
            let (status, _) = app.get(&me, path).await;
            assert_eq!(status, 200, "{path} with Redis stopped (round {round})");
            assert!(
                started.elapsed() < Duration::from_secs(2),
                "{path} did not wait on the dead Redis: {:?}",
                started.elapsed()
            );
        }
    }
    // Every kind of action still succeeds, and is written.
    let referer = format!("/p/{project}");
    type Action<'a> = (&'a str, String, Vec<(&'a str, &'a str)>);
    let actions: Vec<Action> = vec![
        (
            "/api/upvote",
            referer.clone(),
            vec![("project_id", project.as_str())],
        ),
        (
            "/api/comment",
            referer.clone(),
            vec![
                ("project_id", project.as_str()),
                ("content", "Works without Redis"),
            ],
        ),
        (
            "/api/unfollow_chain",
            format!("/c/{chain}"),
            vec![("chain_id", chain.as_str())],
        ),
        (
            "/api/follow_chain",
            format!("/c/{chain}"),
            vec![("chain_id", chain.as_str())],
        ),
        (
            "/api/vote_post",
            format!("/c/{chain}/posts/{post_id}"),
            vec![("post_id", post_id.as_str()), ("vote", "down")],
        ),
        (
            "/api/send_message",
            "/inbox/demo_investor".into(),
            vec![
                ("to", "demo_investor"),
                ("message", "Hello while Redis is away"),
            ],
        ),
    ];
    for (path, referer, form) in &actions {
        let started = Instant::now();
        let res = app.post(&me, path, Some(referer), form).await;
        assert_eq!(res.status().as_u16(), 302, "{path} with Redis stopped");
        assert!(
            !location(&res).contains("__err="),
            "{path}: {}",
            location(&res)
        );
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "{path} did not wait"
        );
    }
    let me_id = "(select id from users where username = 'demo_builder')";
    for (sql, want) in [
        (format!("select count(*) from upvotes where user_id = {me_id} and project_id = '{project}' and is_upvote"), 1),
        (format!("select count(*) from comments where user_id = {me_id} and content = 'Works without Redis'"), 1),
        (format!("select count(*) from chain_followers where user_id = {me_id} and chain_id = '{chain}'"), 1),
        (format!("select count(*) from chain_post_votes where user_id = {me_id} and post_id = '{post_id}' and not is_upvote"), 1),
        ("select count(*) from direct_messages where message = 'Hello while Redis is away'".to_string(), 1),
    ] {
        assert_eq!(app.count(&sql).await, want, "{sql}");
    }
    // The pages show those writes (marks come from PostgreSQL now).
    let (_, page) = app.get(&me, &format!("/p/{project}")).await;
    assert!(page.contains("Remove upvote from"), "the upvote shows");
    assert!(page.contains("Works without Redis"));
    let stopped = counters(&app.base).await;
    assert!(n(&stopped, "ov.fallbacks") > 0, "{stopped}");

    // Redis comes back (empty: it kept nothing). The cache fills again.
    let redis = OwnRedis::start_on(port).await;
    wait_listening(&app.base).await;
    eventually(
        Duration::from_secs(15),
        "feed entries in Redis again",
        || async {
            app.get(&me, "/?tab=newest").await;
            redis
                .keys("pw:*:hot:mv_feed_projects:*")
                .await
                .iter()
                .any(|k| k.ends_with(":Newest:all"))
        },
    )
    .await;
    let before = counters(&app.base).await;
    app.get(&me, "/?tab=newest").await;
    app.get(&me, &format!("/p/{project}")).await;
    app.get(&me, &format!("/p/{project}")).await;
    let after = counters(&app.base).await;
    assert!(
        n(&after, "hot.local_hits") + n(&after, "hot.redis_hits")
            > n(&before, "hot.local_hits") + n(&before, "hot.redis_hits"),
        "hits again: {before} -> {after}"
    );
    assert!(
        n(&after, "ov.hits") > n(&before, "ov.hits"),
        "overlays answer again: {after}"
    );
    let (_, page) = app.get(&me, &format!("/p/{project}")).await;
    assert!(
        page.contains("Remove upvote from"),
        "and still say what the database says"
    );
}
