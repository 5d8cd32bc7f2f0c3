//! Sign-up, log-in, log-out: authorization, bad input, sessions, limits.

use crate::helpers::{error_at, spawn_app, spawn_app_with, text_of, TestApp};

const PW: &str = "a good long password";

async fn signup(app: &TestApp, username: &str, email: &str, password: &str) -> reqwest::Response {
    app.post_api(
        "/api/signup",
        &[
            ("username", username),
            ("email", email),
            ("password", password),
        ],
    )
    .await
}

fn session_cookie(res: &reqwest::Response) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|c| c.starts_with("proofwork_session="))
        .map(str::to_string)
}

fn cookie_value(set_cookie: &str) -> String {
    set_cookie
        .split(';')
        .next()
        .unwrap()
        .trim_start_matches("proofwork_session=")
        .to_string()
}

#[tokio::test]
async fn signup_creates_a_user_and_signs_in() {
    let app = spawn_app().await;
    let res = app
        .post_form(
            "/api/signup",
            "/signup",
            &[
                ("username", "ada_l"),
                ("email", "ada@example.com"),
                ("password", PW),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 302);
    assert_eq!(res.headers()["location"], "/");
    let cookie = session_cookie(&res).expect("session cookie set at sign-up");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert_eq!(
        app.count("select count(*) from users where username = 'ada_l'")
            .await,
        1
    );
    let role: String = sqlx::query_scalar("select role from users where username = 'ada_l'")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(role, "builder");
    let (status, html) = app.get_html("/").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"class="nav-user""#) && html.contains("ada_l"),
        "nav shows the user"
    );
}

#[tokio::test]
async fn duplicate_username_and_email_are_field_errors_and_create_nothing() {
    let app = spawn_app().await;
    assert_eq!(
        signup(&app, "grace", "grace@example.com", PW)
            .await
            .status()
            .as_u16(),
        200
    );
    // Case-insensitive duplicates.
    let res = signup(&app, "GRACE", "other@example.com", PW).await;
    assert_eq!(res.status().as_u16(), 422);
    let body = res.text().await.unwrap();
    assert!(
        body.contains("username") && body.contains("taken"),
        "{body}"
    );
    // An email in use is refused on its field without saying an account
    // exists (see limits.rs for what anonymous clients are told).
    let res = signup(&app, "grace2", "Grace@Example.com", PW).await;
    assert_eq!(res.status().as_u16(), 422);
    assert_eq!(error_at(res, "email").await, data::users::EMAIL_UNAVAILABLE);
    assert_eq!(app.count("select count(*) from users").await, 1);
}

#[tokio::test]
async fn bad_input_names_the_field_and_writes_nothing() {
    let app = spawn_app().await;
    let long_name = "n".repeat(31);
    let long_email = format!("{}@example.com", "e".repeat(250));
    let cases: [(&str, &str, &str, &str); 5] = [
        ("bob", "bob@example.com", "short", "password"),
        (&long_name, "x@example.com", PW, "username"),
        ("bobby", &long_email, PW, "email"),
        ("bo b", "b@example.com", PW, "username"),
        ("bobby", "not-an-email", PW, "email"),
    ];
    for (username, email, password, field) in cases {
        let res = signup(&app, username, email, password).await;
        assert_eq!(res.status().as_u16(), 422, "{username} {email}");
        error_at(res, field).await;
    }
    assert_eq!(app.count("select count(*) from users").await, 0);
}

#[tokio::test]
async fn browser_form_errors_come_back_on_the_page_with_422() {
    let app = spawn_app().await;
    let res = app
        .post_form(
            "/api/signup",
            "/signup",
            &[
                ("username", "x"),
                ("email", "x@example.com"),
                ("password", PW),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 302);
    let location = res.headers()["location"].to_str().unwrap().to_string();
    assert!(
        !location.contains("__err=") && !location.contains("example.com"),
        "neither the error nor the typed email is in the address: {location}"
    );
    let path = location.trim_start_matches(&app.base);
    let (status, html) = app.get_html(path).await;
    assert_eq!(status, 422);
    assert!(
        html.contains(r#"id="username-error""#),
        "field error tied to its input"
    );
    assert!(
        html.contains(r#"value="x@example.com""#),
        "entered email is kept"
    );
}

#[tokio::test]
async fn missing_or_malformed_fields_are_400_not_500() {
    let app = spawn_app().await;
    let res = app.post_api("/api/signup", &[("username", "abc")]).await;
    assert_eq!(res.status().as_u16(), 400);
    let res = app.post_api("/api/login", &[]).await;
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(app.count("select count(*) from users").await, 0);
}

#[tokio::test]
async fn login_rotates_the_session_and_logout_ends_it() {
    let app = spawn_app().await;
    signup(&app, "linus", "linus@example.com", PW).await;
    let first = app
        .post_form(
            "/api/login",
            "/login",
            &[("login", "linus"), ("password", PW)],
        )
        .await;
    assert_eq!(first.status().as_u16(), 302);
    let first_id = cookie_value(&session_cookie(&first).expect("cookie at first login"));
    // Logging in again from a client that already holds a session gives a new id.
    let second = app
        .post_form(
            "/api/login",
            "/login",
            &[("login", "LINUS@example.com"), ("password", PW)],
        )
        .await;
    let second_id = cookie_value(&session_cookie(&second).expect("cookie at second login"));
    assert_ne!(first_id, second_id, "session id must change at login");
    // The old id no longer signs anyone in.
    let stale = text_of(
        reqwest::Client::new()
            .get(app.url("/"))
            .header("cookie", format!("proofwork_session={first_id}")),
    )
    .await;
    assert!(
        !stale.contains("nav-user"),
        "an old session id must be dead"
    );
    let (_, html) = app.get_html("/").await;
    assert!(html.contains("nav-user"));
    let res = app.post_form("/api/logout", "/", &[]).await;
    assert_eq!(res.status().as_u16(), 302);
    let (_, html) = app.get_html("/").await;
    assert!(!html.contains("nav-user"), "logged out");
}

#[tokio::test]
async fn wrong_password_is_401_and_does_not_sign_in() {
    let app = spawn_app().await;
    signup(&app, "margaret", "m@example.com", PW).await;
    let client = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let res = client
        .post(app.url("/api/login"))
        .form(&[("login", "margaret"), ("password", "not the password")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
    let res = client
        .post(app.url("/api/login"))
        .form(&[("login", "nobody"), ("password", PW)])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 401);
}

#[tokio::test]
async fn deactivated_users_cannot_log_in_and_lose_their_session() {
    let app = spawn_app().await;
    app.post_form(
        "/api/signup",
        "/signup",
        &[
            ("username", "temp_user"),
            ("email", "t@example.com"),
            ("password", PW),
        ],
    )
    .await;
    assert!(app.get_html("/").await.1.contains("nav-user"));
    app.exec("update users set is_active = false where username = 'temp_user'")
        .await;
    assert!(
        !app.get_html("/").await.1.contains("nav-user"),
        "session ends for a deactivated user"
    );
    let res = app
        .post_api("/api/login", &[("login", "temp_user"), ("password", PW)])
        .await;
    assert_eq!(res.status().as_u16(), 401);
}

#[tokio::test]
async fn login_failures_are_rate_limited_per_ip() {
    let app = spawn_app_with(&["--login-failures-per-window", "3"]).await;
    signup(&app, "rate_me", "r@example.com", PW).await;
    for _ in 0..3 {
        let res = app
            .post_api(
                "/api/login",
                &[("login", "rate_me"), ("password", "wrong password!")],
            )
            .await;
        assert_eq!(res.status().as_u16(), 401);
    }
    // Even the right password is refused while the address is throttled.
    let res = app
        .post_api("/api/login", &[("login", "rate_me"), ("password", PW)])
        .await;
    assert_eq!(res.status().as_u16(), 429);
    let body = res.text().await.unwrap();
    assert!(body.contains("RateLimited"), "{body}");
}

#[tokio::test]
async fn cross_site_posts_are_rejected_and_change_nothing() {
    let app = spawn_app().await;
    let form = [
        ("username", "evil_made"),
        ("email", "evil@example.com"),
        ("password", PW),
    ];
    // A cross-site form; older browsers send only Origin; a sibling site.
    for headers in [
        &[
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ][..],
        &[("origin", "https://evil.example")],
        &[("sec-fetch-site", "same-site")],
    ] {
        let mut req = app.client.post(app.url("/api/signup")).form(&form);
        for (name, value) in headers {
            req = req.header(*name, *value);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), 403, "{headers:?}");
    }
    assert_eq!(app.count("select count(*) from users").await, 0);
    // The same post from the site itself works.
    let res = app.post_form("/api/signup", "/signup", &form).await;
    assert_eq!(res.status().as_u16(), 302);
}

#[tokio::test]
async fn create_admin_makes_an_admin_that_can_log_in() {
    let app = spawn_app().await;
    let new = data::users::NewUser {
        username: "root_admin".into(),
        email: "admin@example.com".into(),
        password: PW.into(),
    };
    let user = data::users::create_or_promote_admin(&app.pool, &new)
        .await
        .unwrap();
    assert_eq!(user.role, "admin");
    // Running it again promotes/keeps the same account instead of failing.
    let again = data::users::create_or_promote_admin(&app.pool, &new)
        .await
        .unwrap();
    assert_eq!(again.id, user.id);
    let res = app
        .post_api("/api/login", &[("login", "root_admin"), ("password", PW)])
        .await;
    assert_eq!(res.status().as_u16(), 200);
}
