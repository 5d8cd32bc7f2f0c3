//! No request waits forever: pages keep answering while another server
//! instance starts in the same process (as in this test suite, where every
//! test starts its own), and a request that cannot finish is cut off with a
//! 503 instead of holding its connection open.

use std::time::Duration;

use crate::helpers::spawn_app;

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
                let cfg = crate::helpers::serve_config(&extra);
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
