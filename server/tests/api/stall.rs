//! No request waits forever: pages keep answering while another server
//! instance starts in the same process (as in this test suite, where every
//! test starts its own), and a request that cannot finish is cut off with a
//! 503 instead of holding its connection open.

use std::time::Duration;

use crate::helpers::{serve_config, spawn_app, spawn_app_with};

/// Starting an application used to render the whole app once with
/// resource loading switched off by a process-wide flag; a page whose data
/// was first asked for in that instant waited forever (the API suite hung
/// about one run in two). Pages are asked for from several tasks while
/// other instances start, and each must answer within seconds.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn pages_keep_answering_while_other_instances_start() {
    let app = spawn_app().await;
    let starts = {
        let extra = ["--refresher", "false", "--reconcile-every-secs", "0"];
        let options = app.pool.connect_options().as_ref().clone();
        tokio::spawn(async move {
            for _ in 0..25 {
                // Each instance keeps a listening connection: its own pool.
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect_with(options.clone())
                    .await
                    .expect("pool");
                let cfg = serve_config(&extra);
                server::startup::Application::build(pool, &cfg)
                    .await
                    .expect("build another instance");
            }
        })
    };
    let mut readers = Vec::new();
    for reader in 0..6 {
        let client = app.client.clone();
        let base = app.base.clone();
        readers.push(tokio::spawn(async move {
            let mut pages = 0;
            let path = ["/", "/leaderboard", "/chains", "/search?q=rust"][reader % 4];
            while pages < 60 {
                let res = tokio::time::timeout(
                    Duration::from_secs(10),
                    client
                        .get(format!("{base}{path}"))
                        .header("accept", "text/html")
                        .send(),
                )
                .await
                .unwrap_or_else(|_| panic!("GET {path} got no answer in 10 s"))
                .expect("request");
                assert_eq!(res.status().as_u16(), 200, "GET {path}");
                tokio::time::timeout(Duration::from_secs(10), res.text())
                    .await
                    .unwrap_or_else(|_| panic!("GET {path}: the page never ended"))
                    .expect("body");
                pages += 1;
            }
        }));
    }
    for r in readers {
        r.await.expect("reader");
    }
    starts.await.expect("starts");
}

/// A request that cannot finish within the request timeout (here: the
/// feed's table is locked by another transaction) is answered 503 with
/// `Retry-After` in about that time, and the server keeps serving.
#[tokio::test]
async fn a_request_that_cannot_finish_is_cut_off_with_503() {
    let app = spawn_app_with(&["--request-timeout-ms", "500", "--hot-cache", "false"]).await;
    let mut lock = app.pool.begin().await.unwrap();
    sqlx::query("LOCK TABLE mv_feed_projects IN ACCESS EXCLUSIVE MODE")
        .execute(&mut *lock)
        .await
        .unwrap();
    let started = std::time::Instant::now();
    let res = tokio::time::timeout(
        Duration::from_secs(10),
        app.client
            .get(app.url("/"))
            .header("accept", "text/html")
            .send(),
    )
    .await
    .expect("the server answered within 10 s")
    .unwrap();
    let took = started.elapsed();
    assert_eq!(res.status().as_u16(), 503);
    assert!(took < Duration::from_secs(3), "cut off after {took:?}");
    assert!(res.headers().contains_key("retry-after"));
    assert!(res.text().await.unwrap().contains("try again"));
    // Other pages answer meanwhile, and the feed once the lock is gone.
    let (status, _) = app.get_html("/login").await;
    assert_eq!(status, 200);
    lock.rollback().await.unwrap();
    let (status, _) = app.get_html("/").await;
    assert_eq!(status, 200);
}

/// `serve --demo-data` says it serves only once every view reflects the
/// demo data: the first leaderboard, feed and search pages are full even
/// with no refresher running (a load test starting right away met an
/// empty feed).
#[tokio::test]
async fn demo_data_is_on_every_page_as_soon_as_the_server_listens() {
    let app = spawn_app_with(&[
        "--demo-data",
        "--demo-scale",
        "0.01",
        "--refresher",
        "false",
    ])
    .await;
    let stale = app
        .count("SELECT count(*) FROM mv_status WHERE NOT populated OR mark > refreshed_upto")
        .await;
    assert_eq!(stale, 0, "every view is up to date");
    let (status, html) = app.get_html("/").await;
    assert_eq!(status, 200);
    assert!(html.contains("card-title"), "the feed lists projects");
    let (_, html) = app.get_html("/leaderboard").await;
    assert!(!html.contains("Nobody is ranked here yet"));
    let (_, html) = app.get_html("/search?q=demo").await;
    assert!(!html.contains("No results"), "search finds the demo data");
}
