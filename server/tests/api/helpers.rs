//! The one toolkit every API test uses: `spawn_app()` (a freshly migrated
//! database and a running server) and the apps with demo data, the HTTP
//! helpers on `TestApp` (get, post, log in, sign up, a signed-in `TestUser`
//! per user), the fixtures several test files share, and the readers of
//! what a page shows. Test files import this module and never each other.

use std::collections::HashSet;

use clap::Parser;
use data::users::Role;
use reqwest::header::{HeaderMap, HeaderValue};
use server::config::ServeConfig;
use server::startup::Application;
use uuid::Uuid;

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

/// A signed-in user: their id and a client holding their session.
pub struct TestUser {
    pub id: Uuid,
    pub client: reqwest::Client,
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

    let client = new_client();
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

/// A server without the background refresher: the views stay as they are
/// unless a test refreshes them, so whatever a page shows that the views
/// do not hold was read live.
pub async fn quiet_app() -> TestApp {
    spawn_app_with(&["--refresher", "false"]).await
}

/// The views the feed and the project page read.
pub const FEED_VIEWS: &[&str] = &["mv_feed_projects", "mv_project_details"];

/// `quiet_app` with demo data and fresh feed and project views.
pub async fn seeded_app() -> TestApp {
    let app = quiet_app().await;
    app.seed_demo().await;
    app.refresh(FEED_VIEWS).await;
    app
}

/// `seeded_app` with the chain views fresh too.
pub async fn chains_app() -> TestApp {
    let app = seeded_app().await;
    app.refresh(&["mv_chains_discovery", "mv_chain_posts"])
        .await;
    app
}

/// `seeded_app` with every view the browsing pages (leaderboards,
/// investors, profiles, chains) read fresh too.
pub async fn browse_app() -> TestApp {
    let app = seeded_app().await;
    app.refresh(&[
        "mv_investors_directory",
        "mv_user_profiles",
        "mv_chains_discovery",
    ])
    .await;
    app
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

    /// The response to a page request as a browser makes it.
    pub async fn fetch(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        client
            .get(self.url(path))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap()
    }

    /// A plain GET of `path` (no `accept` header, as a feed reader or a
    /// script tag asks) that answers 200; the response.
    pub async fn get_plain(&self, client: &reqwest::Client, path: &str) -> reqwest::Response {
        let res = client.get(self.url(path)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200, "{path}");
        res
    }

    /// A page as a browser asks for it: (status, body).
    pub async fn get(&self, client: &reqwest::Client, path: &str) -> (u16, String) {
        let res = self.fetch(client, path).await;
        (res.status().as_u16(), res.text().await.unwrap())
    }

    /// Posts a form: like a browser on `referer` (which follows the 302
    /// dance of a form without JavaScript) or, without one, like an API
    /// client (JSON answers and real statuses).
    pub async fn post(
        &self,
        client: &reqwest::Client,
        path: &str,
        referer: Option<&str>,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        let mut req = client.post(self.url(path)).form(form);
        if let Some(referer) = referer {
            req = req
                .headers(self.browser_headers())
                .header("referer", self.url(referer));
        }
        req.send().await.unwrap()
    }

    /// Posts a form as an API client; the status of the answer.
    pub async fn call(&self, client: &reqwest::Client, path: &str, form: &[(&str, &str)]) -> u16 {
        self.post(client, path, None, form).await.status().as_u16()
    }

    /// Posts a form like a browser on `page` and expects the redirect a
    /// form post without JavaScript gets; where it goes.
    pub async fn submit(
        &self,
        client: &reqwest::Client,
        path: &str,
        page: &str,
        form: &[(&str, &str)],
    ) -> String {
        let res = self.post(client, path, Some(page), form).await;
        assert_eq!(res.status().as_u16(), 302, "{path} from {page}");
        location(&res)
    }

    /// Posts a form like a browser on `page` that the server refuses and
    /// follows the redirect back to the form, whose address does not carry
    /// the error; that page: (status, body).
    pub async fn refused_form(
        &self,
        client: &reqwest::Client,
        path: &str,
        page: &str,
        form: &[(&str, &str)],
    ) -> (u16, String) {
        let back = self.submit(client, path, page, form).await;
        assert!(
            !back.contains("__err="),
            "the error is not in the address: {back}"
        );
        self.get(client, back.trim_start_matches(&self.base)).await
    }

    /// `post` with the app's own client, like a browser on `referer`.
    pub async fn post_form(
        &self,
        path: &str,
        referer: &str,
        form: &[(&str, &str)],
    ) -> reqwest::Response {
        self.post(&self.client, path, Some(referer), form).await
    }

    /// `post` with the app's own client, as an API client.
    pub async fn post_api(&self, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
        self.post(&self.client, path, None, form).await
    }

    /// `get` with the app's own client.
    pub async fn get_html(&self, path: &str) -> (u16, String) {
        self.get(&self.client, path).await
    }

    /// Logs `client` in as `login` (with the demo password) from the log-in
    /// page, as a browser does.
    pub async fn log_in(&self, client: &reqwest::Client, login: &str) {
        let res = self
            .post(
                client,
                "/api/login",
                Some("/login"),
                &[("login", login), ("password", data::seed::DEMO_PASSWORD)],
            )
            .await;
        assert_eq!(res.status().as_u16(), 302, "log in as {login}");
        assert_eq!(res.headers()["location"], "/");
    }

    /// A fresh client logged in as `username` (every demo user and every
    /// user of `create_user` has the demo password).
    pub async fn client_for(&self, username: &str) -> reqwest::Client {
        let client = new_client();
        self.log_in(&client, username).await;
        client
    }

    /// A fresh active user with the demo password, made in the database.
    pub async fn create_user(&self, name: &str, role: Role) -> Uuid {
        let new = data::users::NewUser {
            username: name.into(),
            email: format!("{name}@example.test"),
            password: data::seed::DEMO_PASSWORD.into(),
        };
        data::users::create(&self.pool, &new, role)
            .await
            .unwrap_or_else(|e| panic!("create {name}: {e:?}"))
            .id
    }

    /// A new user with `role`, signed in on a client of their own.
    pub async fn user(&self, name: &str, role: Role) -> TestUser {
        let id = self.create_user(name, role).await;
        let client = self.client_for(name).await;
        TestUser { id, client }
    }

    /// A new builder, signed in.
    pub async fn builder(&self, name: &str) -> TestUser {
        self.user(name, Role::Builder).await
    }

    /// Signs `name` up through the sign-up form (password `PASSWORD`); the
    /// client, which is then signed in.
    pub async fn sign_up(&self, name: &str) -> reqwest::Client {
        let client = new_client();
        let email = format!("{name}@example.com");
        let res = self
            .post(
                &client,
                "/api/signup",
                Some("/signup"),
                &[
                    ("username", name),
                    ("email", email.as_str()),
                    ("password", PASSWORD),
                ],
            )
            .await;
        assert_eq!(res.status().as_u16(), 302, "sign up {name}");
        client
    }

    /// Creates a project through the browser form; its id.
    pub async fn create_project(&self, client: &reqwest::Client, form: &[(&str, &str)]) -> String {
        let loc = self
            .submit(client, "/api/create_project", "/me/projects/new", form)
            .await;
        assert!(loc.starts_with("/p/"), "{loc}");
        loc[3..].to_string()
    }

    /// Adds a live project by `username` in the database; its id.
    pub async fn add_project(&self, username: &str, title: &str, description: &str) -> String {
        sqlx::query_scalar(
            "insert into projects (user_id, title, description, category) \
             select id, $2, $3, 'other' from users where username = $1 returning id::text",
        )
        .bind(username)
        .bind(title)
        .bind(description)
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }

    /// Fills the database with the demo data (small and always the same).
    pub async fn seed_demo(&self) {
        data::seed::seed(
            &self.pool,
            &data::seed::SeedOptions {
                scale: 0.02,
                seed: 42,
            },
            &|_| {},
        )
        .await
        .expect("seed demo data");
    }

    /// Brings these derived structures up to date, in order, as the
    /// refresher would (a materialized view is refreshed, a keyed
    /// structure stepped until its log is empty).
    pub async fn refresh(&self, views: &[&str]) {
        for view in views {
            let out = data::refresher::refresh_now(
                &self.pool,
                view,
                data::refresher::TriggeredBy::Manual,
            )
            .await
            .unwrap_or_else(|e| panic!("refreshing {view}: {e}"));
            assert!(out.ok, "refreshing {view}: {:?}", out.error);
        }
    }

    /// Runs one statement that returns no rows.
    pub async fn exec(&self, sql: &str) {
        sqlx::query(sql)
            .execute(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    /// One text value from a query.
    pub async fn pick(&self, sql: &str) -> String {
        sqlx::query_scalar::<_, String>(sql)
            .fetch_one(&self.pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    pub async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&self.pool)
            .await
            .unwrap()
    }

    /// Walks keyset pages from `start` by the link named `next` (its
    /// fragment dropped): every page is 200, there are fewer than
    /// `max_pages`, and no item (`items` reads a page's) shows twice; the
    /// items seen.
    pub async fn walk_pages(
        &self,
        start: &str,
        next: &str,
        max_pages: usize,
        items: impl Fn(&str) -> Vec<String>,
    ) -> HashSet<String> {
        let mut seen = HashSet::new();
        let mut path = Some(start.to_string());
        let mut pages = 0;
        while let Some(p) = path {
            let (status, html) = self.get_html(&p).await;
            assert_eq!(status, 200, "{p}");
            for item in items(&html) {
                assert!(seen.insert(item.clone()), "{p} repeats {item}");
            }
            path = next_href(&html, next).map(|h| h.split('#').next().unwrap().to_string());
            pages += 1;
            assert!(pages < max_pages, "{start}: {pages} pages");
        }
        seen
    }

    /// Every seeded email (and the demo domain) must be absent from `html`.
    pub async fn assert_no_email(&self, path: &str, html: &str) {
        let emails: Vec<String> = sqlx::query_scalar("select lower(email) from users")
            .fetch_all(&self.pool)
            .await
            .unwrap();
        assert!(emails.len() > 50, "seeded users have emails");
        let lower = html.to_lowercase();
        assert!(!lower.contains("@example.com"), "{path}: no email domain");
        for email in emails {
            assert!(!lower.contains(&email), "{path} shows the email {email}");
        }
    }

    /// A public active chain of the demo data with projects and posts, and
    /// its creator.
    pub async fn busy_chain(&self) -> (String, String) {
        sqlx::query_as(
            "select d.id::text, d.creator_username from mv_chains_discovery d \
             join users u on u.id = d.creator_id and u.is_active \
             where d.is_public and d.project_count > 0 and d.post_count > 2 \
             order by d.post_count desc, d.id limit 1",
        )
        .fetch_one(&self.pool)
        .await
        .unwrap()
    }

    /// An active user who neither created nor follows `chain`.
    pub async fn outsider(&self, chain: &str) -> String {
        self.pick(&format!(
            "select u.username from users u where u.is_active and u.id <> \
               (select creator_id from chains where id = '{chain}') \
             and not exists (select 1 from chain_followers f \
               where f.chain_id = '{chain}' and f.user_id = u.id) \
             order by u.username limit 1"
        ))
        .await
    }

    /// A private active chain made for the test (with one post by its
    /// creator), its creator, and a follower who is not the creator but has a
    /// live project of their own.
    pub async fn private_chain(&self) -> (String, String, String) {
        let creator = self
            .pick(
                "select username from users where is_active and username <> 'demo_builder' \
                 order by username desc limit 1",
            )
            .await;
        let id = self
            .pick(&format!(
                "insert into chains (creator_id, name, description, category, is_public) \
                 select id, 'Private test room', 'Members only.', 'other', false \
                 from users where username = '{creator}' returning id::text"
            ))
            .await;
        self.exec(&format!(
            "insert into chain_posts (chain_id, author_id, title, content) \
             select '{id}', id, 'Members only post', 'Hello members' from users \
             where username = '{creator}'"
        ))
        .await;
        let follower = self
            .pick(&format!(
                "select u.username from users u where u.is_active and u.username <> '{creator}' \
                   and u.username <> 'demo_builder' \
                   and exists (select 1 from projects p where p.user_id = u.id and not p.is_deleted) \
                 order by u.username limit 1"
            ))
            .await;
        self.exec(&format!(
            "insert into chain_followers (chain_id, user_id) \
             select '{id}', id from users where username in ('{creator}', '{follower}')"
        ))
        .await;
        (id, creator, follower)
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

/// An id no row has.
pub const NIL: &str = "00000000-0000-0000-0000-000000000000";

/// The password `TestApp::sign_up` gives its users.
pub const PASSWORD: &str = "correct horse battery";

/// A valid new-project form.
pub const PROJECT: &[(&str, &str)] = &[
    ("title", "Compiler in a weekend"),
    ("description", "A tiny compiler."),
    ("link", "https://github.com/example/compiler"),
    ("image_url", ""),
    ("category", "devtools"),
];

/// `PROJECT` with one field replaced.
pub fn project_with<'a>(field: &str, value: &'a str) -> Vec<(&'a str, &'a str)> {
    PROJECT
        .iter()
        .map(|(f, v)| if *f == field { (*f, value) } else { (*f, *v) })
        .collect()
}

/// A browser-like client with its own cookie jar that does not follow
/// redirects.
pub fn new_client() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// The `Location` of a redirect.
pub fn location(res: &reqwest::Response) -> String {
    res.headers()["location"].to_str().unwrap().to_string()
}

/// The `Content-Type` of a response.
pub fn content_type(res: &reqwest::Response) -> &str {
    res.headers()["content-type"].to_str().unwrap()
}

/// Sends `req`; the body of the answer.
pub async fn text_of(req: reqwest::RequestBuilder) -> String {
    req.send().await.unwrap().text().await.unwrap()
}

/// The error an API client gets in the body of a refused call.
pub fn api_error(body: &str) -> app::error::AppError {
    serde_json::from_str(body).unwrap_or_else(|e| panic!("{e}: {body}"))
}

/// The message an API client is given at `field` in the body of a refused
/// call.
pub async fn error_at(res: reqwest::Response, field: &str) -> String {
    let body = res.text().await.unwrap();
    api_error(&body)
        .field_error(field)
        .unwrap_or_else(|| panic!("no message at {field}: {body}"))
}

/// The number shown in the first element with this class.
pub fn shown(html: &str, class: &str) -> i64 {
    let marker = format!(r#"{class}">"#);
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("{class} shown"))
        + marker.len();
    html[at..at + html[at..].find('<').unwrap()]
        .parse()
        .unwrap()
}

/// The `href` of the link whose text is `text` ("Next page", "More
/// results"...), if the page has one.
pub fn next_href(html: &str, text: &str) -> Option<String> {
    let at = html.find(&format!(">{text}<"))?;
    let start = html[..at].rfind("href=\"")? + 6;
    let end = start + html[start..].find('"')?;
    Some(html[start..end].replace("&amp;", "&"))
}
