//! `spawn_app()`: a freshly migrated database and a running server.

use clap::Parser;
use reqwest::header::{HeaderMap, HeaderValue};
use server::config::ServeConfig;
use server::startup::Application;

#[derive(Parser)]
struct Flags {
    #[command(flatten)]
    serve: ServeConfig,
}

/// `serve`'s configuration on port 0 with `extra` flags (and the
/// environment, as the binary reads it).
pub fn serve_config(extra: &[&str]) -> ServeConfig {
    let mut args = vec!["serve", "--addr", "127.0.0.1:0"];
    args.extend_from_slice(extra);
    Flags::parse_from(args).serve
}

pub struct TestApp {
    pub base: String,
    pub pool: data::PgPool,
    /// A client with a cookie jar that does not follow redirects.
    pub client: reqwest::Client,
    /// Begins this instance's shutdown (as SIGTERM would).
    pub shutdown: server::startup::ShutdownHandle,
    db_name: String,
    admin_url: String,
}

pub fn admin_url() -> String {
    let url = std::env::var("DATABASE_URL")
        .expect("DATABASE_URL must point at a PostgreSQL server for tests");
    // Swap the database for the maintenance one.
    match url.rfind('/') {
        Some(i) if !url[i..].contains('@') => format!("{}/postgres", &url[..i]),
        _ => url,
    }
}

/// Starts the app; `extra` are extra `serve` flags (e.g. tighter limits).
pub async fn spawn_app_with(extra: &[&str]) -> TestApp {
    let admin_url = admin_url();
    let db_name = format!("pw_test_{}", uuid::Uuid::new_v4().simple());
    let admin = data::db::connect(&admin_url, 1, std::time::Duration::from_secs(30))
        .await
        .expect("connect to maintenance db");
    sqlx::query(&format!("create database {db_name}"))
        .execute(&admin)
        .await
        .expect("create test db");
    admin.close().await;
    let url = format!(
        "{}/{}",
        &admin_url[..admin_url.rfind('/').unwrap()],
        db_name
    );
    let db = server::config::DbConfig {
        database_url: server::config::Secret(url),
        db_pool_size: 5,
        statement_timeout_ms: 30_000,
    };
    let pool = server::startup::connect_and_migrate(&db)
        .await
        .expect("migrate");

    let serve = serve_config(extra);
    // What `serve` does before it listens (demo data with `--demo-data`).
    server::cli::prepare_database(&pool, &serve)
        .await
        .expect("prepare the database");
    let app = Application::build(pool.clone(), &serve)
        .await
        .expect("build app");
    let base = format!("http://{}", app.addr);
    let shutdown = app.shutdown_handle();
    tokio::spawn(app.run());

    let client = reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        base,
        pool,
        client,
        shutdown,
        db_name,
        admin_url,
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(&[]).await
}

impl TestApp {
    /// Starts another server instance on the same database (as a second
    /// machine behind a load balancer would be); its base URL. It lives
    /// until the test's runtime ends.
    pub async fn another_instance(&self, extra: &[&str]) -> String {
        let serve = serve_config(extra);
        let app = Application::build(self.pool.clone(), &serve)
            .await
            .expect("build second instance");
        let base = format!("http://{}", app.addr);
        tokio::spawn(app.run());
        base
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// Headers a browser sends with a same-origin form post.
    pub fn browser_headers(&self) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(
            "accept",
            HeaderValue::from_static("text/html,application/xhtml+xml"),
        );
        h.insert("origin", HeaderValue::from_str(&self.base).unwrap());
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        h
    }

    /// Posts a form like a browser without JavaScript would.
    pub async fn post_form(
        &self,
        path: &str,
        referer: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .headers(self.browser_headers())
            .header("referer", self.url(referer))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    /// Posts a form as an API client would (no redirect dance).
    pub async fn post_api(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .form(form)
            .send()
            .await
            .unwrap()
    }

    pub async fn get_html(&self, path: &str) -> (u16, String) {
        let res = self
            .client
            .get(self.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        (status, res.text().await.unwrap())
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let admin_url = self.admin_url.clone();
        let db_name = self.db_name.clone();
        // Drop the database on a thread with its own runtime: Drop cannot
        // await. Never wait for the app's pool here: its connections belong
        // to the test's runtime, which this thread blocks; FORCE ends them.
        let _ = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            rt.block_on(async move {
                if let Ok(admin) =
                    data::db::connect(&admin_url, 1, std::time::Duration::from_secs(30)).await
                {
                    let _ = sqlx::query(&format!("drop database if exists {db_name} with (force)"))
                        .execute(&admin)
                        .await;
                }
            });
        })
        .join();
    }
}
