//! Log-in and sign-up limits: counted before any password work, per
//! address and per account, in PostgreSQL (so every instance sees them),
//! with the client address taken from what the trusted proxy appended, and
//! a cap on concurrent password checks.

use reqwest::redirect::Policy;

use data::users::Role;

use crate::helpers::{location, new_client, spawn_app_with, TestApp};

/// The password of the users `create_user` makes.
const PW: &str = data::seed::DEMO_PASSWORD;

/// A client without cookies or redirects: every request stands alone.
fn plain_client() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// An API log-in (JSON answers) from `xff` when given.
async fn login_from(
    base: &str,
    client: &reqwest::Client,
    login: &str,
    password: &str,
    xff: Option<&str>,
) -> reqwest::Response {
    let mut req = client
        .post(format!("{base}/api/login"))
        .form(&[("login", login), ("password", password)]);
    if let Some(xff) = xff {
        req = req.header("x-forwarded-for", xff);
    }
    req.send().await.unwrap()
}

async fn signup_on(
    base: &str,
    client: &reqwest::Client,
    username: &str,
    email: &str,
) -> reqwest::Response {
    client
        .post(format!("{base}/api/signup"))
        .form(&[("username", username), ("email", email), ("password", PW)])
        .send()
        .await
        .unwrap()
}

fn retry_after(res: &reqwest::Response) -> Option<u64> {
    res.headers()
        .get("retry-after")?
        .to_str()
        .ok()?
        .parse()
        .ok()
}

/// A browser's form post that sends no Referer; where its redirect goes.
async fn post_without_referer(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    form: &[(&str, &str)],
) -> String {
    let res = client
        .post(app.url(path))
        .headers(app.browser_headers())
        .form(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 302, "{path}");
    location(&res)
}

/// A wrong-password API log-in as `login` from `xff`; its status.
async fn wrong_login(base: &str, client: &reqwest::Client, login: &str, xff: Option<&str>) -> u16 {
    login_from(base, client, login, "wrong!", xff)
        .await
        .status()
        .as_u16()
}

/// `n` API log-ins at once, the `i`th with `attempt(i)` (login,
/// password, forwarded-for); each answer's status and Retry-After.
async fn parallel_logins(
    app: &TestApp,
    client: &reqwest::Client,
    n: usize,
    attempt: impl Fn(usize) -> (String, String, Option<String>),
) -> Vec<(u16, Option<u64>)> {
    futures_util::future::join_all((0..n).map(|i| {
        let (login, password, xff) = attempt(i);
        let (base, client) = (app.base.clone(), client.clone());
        async move {
            let res = login_from(&base, &client, &login, &password, xff.as_deref()).await;
            (res.status().as_u16(), retry_after(&res))
        }
    }))
    .await
}

/// Parallel wrong passwords for one account run at most the account's
/// limit of password checks (10). Every answer after a check is a 401 and
/// every refusal before one a 429, so counting the 401s counts the checks.
/// Each post comes from its own address, so only the per-account limit
/// (default 10) can stop them.
#[tokio::test]
async fn parallel_wrong_passwords_for_one_account_run_at_most_the_limit_of_checks() {
    let app = spawn_app_with(&["--trust-proxy"]).await;
    app.create_user("victim", Role::Builder).await;
    app.create_user("bystander", Role::Builder).await;
    let client = plain_client();
    let n = 200;
    let answers = parallel_logins(&app, &client, n, |i| {
        let xff = format!("10.1.{}.{}", i / 200, i % 200 + 1);
        ("victim".into(), format!("wrong password {i}"), Some(xff))
    })
    .await;
    let checked = answers.iter().filter(|(s, _)| *s == 401).count();
    let refused: Vec<_> = answers.iter().filter(|(s, _)| *s == 429).collect();
    assert!(
        answers.iter().all(|(s, _)| *s == 401 || *s == 429),
        "only 401 and 429: {answers:?}"
    );
    assert!(
        (1..=10).contains(&checked),
        "{checked} password checks ran for one account (limit 10)"
    );
    assert_eq!(checked + refused.len(), n);
    for (_, wait) in &refused {
        let wait = wait.expect("a 429 says when to retry");
        assert!((1..=300).contains(&wait), "Retry-After {wait}");
    }
    // The right password is refused too while the account is throttled,
    // from an address that never failed.
    let res = login_from(&app.base, &client, "victim", PW, Some("10.9.9.9")).await;
    assert_eq!(res.status().as_u16(), 429);
    assert!(retry_after(&res).is_some());
    assert!(res.text().await.unwrap().contains("RateLimited"));
    // Another account from another address is not affected.
    let res = login_from(&app.base, &client, "bystander", PW, Some("10.9.9.10")).await;
    assert_eq!(res.status().as_u16(), 200);
}

#[tokio::test]
async fn the_account_limit_ends_with_its_window() {
    // The window is long and its end is reached by ageing the recorded
    // failures in the database, not by sleeping: with a window of seconds,
    // two slow password checks on a loaded machine outlast it and the
    // third attempt is (rightly) allowed.
    let app = spawn_app_with(&[
        "--trust-proxy",
        "--login-failures-per-account",
        "2",
        "--login-window-secs",
        "300",
    ])
    .await;
    app.create_user("patient", Role::Builder).await;
    let client = plain_client();
    for i in 0..2 {
        let xff = format!("10.2.0.{i}");
        let res = login_from(&app.base, &client, "patient", "wrong password!", Some(&xff)).await;
        assert_eq!(res.status().as_u16(), 401);
    }
    let res = login_from(&app.base, &client, "patient", PW, Some("10.2.0.9")).await;
    assert_eq!(res.status().as_u16(), 429);
    let wait = retry_after(&res).unwrap();
    assert!((1..=300).contains(&wait), "Retry-After {wait}");
    // The window passes for every recorded attempt.
    let aged = sqlx::query(
        "UPDATE attempt_limits SET hits = ARRAY(SELECT h - interval '301 seconds' FROM unnest(hits) h), \
         expires_at = expires_at - interval '301 seconds'",
    )
    .execute(&app.pool)
    .await
    .unwrap()
    .rows_affected();
    assert!(aged > 0, "the failures were recorded in attempt_limits");
    let res = login_from(&app.base, &client, "patient", PW, Some("10.2.0.9")).await;
    assert_eq!(res.status().as_u16(), 200);
    // A success does not use up the allowance: log in again and again.
    for _ in 0..3 {
        let res = login_from(&app.base, &client, "patient", PW, Some("10.2.0.9")).await;
        assert_eq!(res.status().as_u16(), 200);
    }
}

/// With the proxy trusted, the client's address is the one the proxy
/// appended (the last `X-Forwarded-For` entry), never the first, which the
/// client chooses: rotating the first entry does not escape the limit.
#[tokio::test]
async fn rotating_the_first_forwarded_entry_does_not_escape_the_limit() {
    let app = spawn_app_with(&["--trust-proxy", "--login-failures-per-window", "3"]).await;
    let client = plain_client();
    for i in 0..3 {
        let xff = format!("198.51.100.{i}, 203.0.113.7");
        assert_eq!(
            wrong_login(&app.base, &client, &format!("nobody{i}"), Some(&xff)).await,
            401,
            "attempt {i}"
        );
    }
    assert_eq!(
        wrong_login(
            &app.base,
            &client,
            "nobody9",
            Some("198.51.100.99, 203.0.113.7")
        )
        .await,
        429
    );
    // The same address sent as a second header line is still the last.
    let res = client
        .post(app.url("/api/login"))
        .header("x-forwarded-for", "192.0.2.1")
        .header("x-forwarded-for", "203.0.113.7")
        .form(&[("login", "nobody10"), ("password", "wrong!")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 429);
    // Another client behind the same proxy is not affected.
    assert_eq!(
        wrong_login(
            &app.base,
            &client,
            "nobody0",
            Some("198.51.100.1, 203.0.113.8")
        )
        .await,
        401
    );
}

#[tokio::test]
async fn with_two_trusted_hops_the_second_last_entry_is_the_client() {
    let app = spawn_app_with(&[
        "--trust-proxy",
        "--trusted-proxy-hops",
        "2",
        "--login-failures-per-window",
        "2",
    ])
    .await;
    let client = plain_client();
    for i in 0..2 {
        let xff = format!("192.0.2.{i}, 203.0.113.9, 10.0.0.1");
        assert_eq!(
            wrong_login(&app.base, &client, &format!("nobody{i}"), Some(&xff)).await,
            401
        );
    }
    // Same client, another spoofed first entry and another inner proxy.
    assert_eq!(
        wrong_login(
            &app.base,
            &client,
            "nobody7",
            Some("192.0.2.77, 203.0.113.9, 10.0.0.2")
        )
        .await,
        429
    );
    // The same client without a header of its own: still the same one.
    assert_eq!(
        wrong_login(&app.base, &client, "nobody8", Some("203.0.113.9, 10.0.0.2")).await,
        429
    );
    // Another client behind the same proxies is not affected.
    assert_eq!(
        wrong_login(
            &app.base,
            &client,
            "nobody8",
            Some("192.0.2.1, 203.0.113.10, 10.0.0.1")
        )
        .await,
        401
    );
}

/// Every sign-up attempt counts, failed ones too: otherwise attempts with
/// an existing email would be free (and each could cost an argon2 hash).
#[tokio::test]
async fn failed_sign_ups_count_against_the_limit() {
    let app = spawn_app_with(&["--signup-per-hour", "4"]).await;
    app.create_user("taken", Role::Builder).await;
    let client = plain_client();
    for i in 0..4 {
        let res = signup_on(
            &app.base,
            &client,
            &format!("fresh{i}"),
            "Taken@Example.test",
        )
        .await;
        assert_eq!(res.status().as_u16(), 422, "attempt {i}");
    }
    let res = signup_on(&app.base, &client, "brand_new", "new@example.com").await;
    assert_eq!(res.status().as_u16(), 429);
    let wait = retry_after(&res).expect("Retry-After");
    assert!((3000..=3600).contains(&wait), "Retry-After {wait}");
    assert_eq!(app.count("select count(*) from users").await, 1);
}

/// What a refused sign-up tells an anonymous client: a taken username is
/// named (usernames are public on profiles); an email is never confirmed
/// when the username is taken too, and the email answer points to log-in.
#[tokio::test]
async fn sign_up_answers_name_the_username_but_do_not_confirm_emails() {
    let app = spawn_app_with(&[]).await;
    app.create_user("taken", Role::Builder).await;
    let client = plain_client();
    let errors = |body: String| {
        let err: app::error::AppError = serde_json::from_str(&body).unwrap();
        match err {
            app::error::AppError::Invalid(inv) => inv.errors,
            other => panic!("expected field errors, got {other:?}"),
        }
    };
    // A taken username: the same answer whether or not the email exists.
    let a = signup_on(&app.base, &client, "TAKEN", "taken@example.test").await;
    let b = signup_on(&app.base, &client, "TAKEN", "someone.else@example.com").await;
    assert_eq!(a.status().as_u16(), 422);
    assert_eq!(b.status().as_u16(), 422);
    let (a, b) = (
        errors(a.text().await.unwrap()),
        errors(b.text().await.unwrap()),
    );
    assert_eq!(a, b);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].0, "username");
    // An existing email with a free username: tied to the email field, it
    // says what to do (log in) without stating that an account exists.
    let res = signup_on(&app.base, &client, "free_name", "TAKEN@example.test").await;
    assert_eq!(res.status().as_u16(), 422);
    let errs = errors(res.text().await.unwrap());
    assert_eq!(errs.len(), 1);
    assert_eq!(errs[0].0, "email");
    let msg = errs[0].1.to_lowercase();
    assert!(msg.contains("log in"), "{msg}");
    assert!(!msg.contains("exists"), "{msg}");
    // The form says the same to everyone, before any attempt.
    let (_, html) = app.get_html("/signup").await;
    assert!(html.contains("If you already have an account"), "{html}");
}

/// With one password check at a time and no queue, any parallel hashing
/// shows up as 503s: attempts with an existing email get none (no hash is
/// spent on them), new accounts do (sign-up shares the cap).
#[tokio::test]
async fn sign_ups_that_will_fail_spend_no_hash_and_sign_ups_share_the_cap() {
    let app = spawn_app_with(&[
        "--signup-per-hour",
        "1000",
        "--password-checks",
        "1",
        "--password-check-queue",
        "0",
    ])
    .await;
    app.create_user("taken", Role::Builder).await;
    let client = plain_client();
    let answers = futures_util::future::join_all((0..30).map(|i| {
        let (base, client) = (app.base.clone(), client.clone());
        async move {
            signup_on(&base, &client, &format!("fresh{i}"), "taken@example.test")
                .await
                .status()
                .as_u16()
        }
    }))
    .await;
    assert!(answers.iter().all(|s| *s == 422), "{answers:?}");

    let answers = futures_util::future::join_all((0..30).map(|i| {
        let (base, client) = (app.base.clone(), client.clone());
        async move {
            let res = signup_on(
                &base,
                &client,
                &format!("new{i}"),
                &format!("new{i}@example.com"),
            )
            .await;
            (res.status().as_u16(), retry_after(&res))
        }
    }))
    .await;
    let created = answers.iter().filter(|(s, _)| *s == 200).count();
    let busy: Vec<_> = answers.iter().filter(|(s, _)| *s == 503).collect();
    assert_eq!(created + busy.len(), 30, "{answers:?}");
    assert!(created >= 1, "{answers:?}");
    assert!(
        !busy.is_empty(),
        "30 parallel hashes on one slot: {answers:?}"
    );
    assert!(busy.iter().all(|(_, wait)| wait.is_some()), "{answers:?}");
    assert_eq!(
        app.count("select count(*) from users").await,
        1 + created as i64
    );
}

#[tokio::test]
async fn parallel_log_ins_beyond_the_check_cap_get_503_at_once() {
    let app = spawn_app_with(&[
        "--trust-proxy",
        "--password-checks",
        "1",
        "--password-check-queue",
        "0",
    ])
    .await;
    let client = plain_client();
    let answers = parallel_logins(&app, &client, 30, |i| {
        (
            format!("nobody{i}"),
            "wrong!".into(),
            Some(format!("10.3.0.{i}")),
        )
    })
    .await;
    let busy = answers.iter().filter(|(s, _)| *s == 503).count();
    assert!(
        answers
            .iter()
            .all(|(s, w)| *s == 401 || (*s == 503 && w.is_some())),
        "{answers:?}"
    );
    assert!(busy > 0, "{answers:?}");
    // A refused check is not a failure: the same client may try again.
    assert_eq!(
        wrong_login(&app.base, &client, "nobody0", Some("10.3.0.0")).await,
        401
    );
}

/// Limits are counted in the database, not per process, so N instances
/// do not allow N times the limit. Both instances here share one database.
#[tokio::test]
async fn limits_hold_across_instances() {
    let flags = ["--login-failures-per-window", "4", "--signup-per-hour", "2"];
    let app = spawn_app_with(&flags).await;
    let b = app.another_instance(&flags).await;
    let a = app.base.clone();
    let client = plain_client();
    // Per address: two failures on each instance.
    for (i, base) in [&a, &b, &a, &b].into_iter().enumerate() {
        assert_eq!(
            wrong_login(base, &client, &format!("nobody{i}"), None).await,
            401,
            "attempt {i}"
        );
    }
    for base in [&a, &b] {
        assert_eq!(
            wrong_login(base, &client, "nobody9", None).await,
            429,
            "{base}"
        );
    }
    // Sign-up: one attempt on each, then neither takes more.
    assert_eq!(
        signup_on(&a, &client, "first_one", "first@example.com")
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        signup_on(&b, &client, "x", "bad").await.status().as_u16(),
        422
    );
    for base in [&a, &b] {
        let res = signup_on(base, &client, "third_one", "third@example.com").await;
        assert_eq!(res.status().as_u16(), 429, "{base}");
    }
}

#[tokio::test]
async fn the_account_limit_holds_across_instances() {
    let flags = ["--trust-proxy", "--login-failures-per-account", "3"];
    let app = spawn_app_with(&flags).await;
    let b = app.another_instance(&flags).await;
    app.create_user("shared", Role::Builder).await;
    let client = plain_client();
    for (i, base) in [&app.base, &b, &app.base].into_iter().enumerate() {
        let xff = format!("10.4.0.{i}");
        assert_eq!(
            wrong_login(base, &client, "shared", Some(&xff)).await,
            401,
            "attempt {i}"
        );
    }
    let res = login_from(&b, &client, "shared", PW, Some("10.4.0.9")).await;
    assert_eq!(res.status().as_u16(), 429);
}

/// A browser that sends no Referer lands on the form it posted, with the
/// message (not on `/` without one).
#[tokio::test]
async fn a_refused_browser_post_without_referer_lands_on_its_form_with_the_message() {
    let app = spawn_app_with(&["--login-failures-per-window", "2", "--signup-per-hour", "1"]).await;
    // A browser: the failed form's state waits in its session.
    let client = new_client();
    for i in 0..2 {
        assert_eq!(
            wrong_login(&app.base, &client, &format!("nobody{i}"), None).await,
            401
        );
    }
    let to = post_without_referer(
        &app,
        &client,
        "/api/login",
        &[
            ("login", "nobody"),
            ("password", "wrong!"),
            ("next", "/p/abc"),
        ],
    )
    .await;
    assert!(to.starts_with("/login"), "{to}");
    assert!(
        !to.contains("__err"),
        "the state is not in the address: {to}"
    );
    let (status, html) = app.get(&client, &to).await;
    assert_eq!(status, 429);
    assert!(html.contains("Too many attempts"), "{html}");
    assert!(
        html.contains(r#"name="next" value="/p/abc""#),
        "next is kept: {html}"
    );

    // Sign-up: one attempt allowed, the second is refused.
    assert_eq!(
        signup_on(&app.base, &client, "x", "bad")
            .await
            .status()
            .as_u16(),
        422
    );
    let to = post_without_referer(
        &app,
        &client,
        "/api/signup",
        &[
            ("username", "someone"),
            ("email", "someone@example.com"),
            ("password", PW),
        ],
    )
    .await;
    assert!(to.starts_with("/signup"), "{to}");
    let (status, html) = app.get(&client, &to).await;
    assert_eq!(status, 429);
    assert!(html.contains("Too many attempts"), "{html}");
}

#[tokio::test]
async fn a_wrong_password_from_a_browser_without_referer_shows_on_the_login_page() {
    let app = spawn_app_with(&[]).await;
    // A browser: the failed form's state waits in its session.
    let client = new_client();
    let to = post_without_referer(
        &app,
        &client,
        "/api/login",
        &[("login", "nobody"), ("password", "wrong!")],
    )
    .await;
    assert!(to.starts_with("/login"), "{to}");
    let (status, html) = app.get(&client, &to).await;
    assert_eq!(status, 401);
    assert!(html.contains("Wrong username or password."), "{html}");
}

/// The counter itself, on PostgreSQL: parallel attempts never get more
/// than the limit, a refund frees exactly one place, the window slides,
/// and expired rows are deleted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_counter_is_atomic_refundable_and_purged() {
    use data::limits::{attempt, peek, purge_expired, refund, Limit, Verdict};
    use std::time::Duration;

    let app = spawn_app_with(&[]).await;
    let limit = Limit {
        bucket: "test",
        max: 10,
        window: Duration::from_secs(2),
    };
    let verdicts = futures_util::future::join_all((0..100).map(|_| {
        let (pool, limit) = (app.pool.clone(), limit.clone());
        tokio::spawn(async move { attempt(&pool, &limit, "Some Key").await.unwrap() })
    }))
    .await;
    let mut allowed = Vec::new();
    for verdict in verdicts {
        match verdict.unwrap() {
            Verdict::Allowed(a) => allowed.push(a),
            Verdict::Refused { retry_after } => {
                assert!(retry_after <= limit.window, "{retry_after:?}")
            }
        }
    }
    assert_eq!(allowed.len(), 10, "exactly the limit, in parallel");
    // Peeking sees the full window and counts nothing.
    let wait = peek(&app.pool, &limit, "some key").await.unwrap();
    assert!(wait.is_some_and(|w| w <= limit.window), "{wait:?}");
    assert_eq!(peek(&app.pool, &limit, "other key").await.unwrap(), None);
    assert_eq!(peek(&app.pool, &limit, "other key").await.unwrap(), None);
    // Keys are compared lower-cased, and stored only as digests.
    assert!(matches!(
        attempt(&app.pool, &limit, "some key").await.unwrap(),
        Verdict::Refused { .. }
    ));
    assert_eq!(
        app.count("select count(*) from attempt_limits where key = convert_to('some key', 'UTF8')")
            .await,
        0
    );
    assert_eq!(
        app.count("select cardinality(hits)::bigint from attempt_limits")
            .await,
        10
    );
    // A refund frees one place, no more.
    refund(&app.pool, &allowed[0]).await.unwrap();
    assert!(matches!(
        attempt(&app.pool, &limit, "some key").await.unwrap(),
        Verdict::Allowed(_)
    ));
    assert!(matches!(
        attempt(&app.pool, &limit, "some key").await.unwrap(),
        Verdict::Refused { .. }
    ));
    // Another key and another bucket are separate.
    assert!(matches!(
        attempt(&app.pool, &limit, "other key").await.unwrap(),
        Verdict::Allowed(_)
    ));
    let other_bucket = Limit {
        bucket: "test2",
        ..limit.clone()
    };
    assert!(matches!(
        attempt(&app.pool, &other_bucket, "some key").await.unwrap(),
        Verdict::Allowed(_)
    ));
    // Nothing is deleted before the window has passed; everything after.
    assert_eq!(purge_expired(&app.pool).await.unwrap(), 0);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert!(matches!(
        attempt(&app.pool, &limit, "some key").await.unwrap(),
        Verdict::Allowed(_)
    ));
    assert_eq!(
        app.count("select cardinality(hits)::bigint from attempt_limits where bucket = 'test' and cardinality(hits) = 1")
            .await,
        1,
        "the window slid: old hits are dropped on the next attempt"
    );
    assert_eq!(purge_expired(&app.pool).await.unwrap(), 2);
    assert_eq!(app.count("select count(*) from attempt_limits").await, 1);
}

/// Spraying: 200 parallel wrong passwords for 200 accounts from one
/// address run at most the address's limit of checks; the rest are refused
/// at once (429, or 503 when the password gate's queue is full), never 5xx
/// otherwise.
#[tokio::test]
async fn parallel_wrong_passwords_from_one_address_run_at_most_its_limit_of_checks() {
    let app = spawn_app_with(&[]).await;
    let client = plain_client();
    let n = 200;
    let answers = parallel_logins(&app, &client, n, |i| {
        (format!("nobody{i}"), "wrong!".into(), None)
    })
    .await;
    let checked = answers.iter().filter(|(s, _)| *s == 401).count();
    assert!(
        (1..=10).contains(&checked),
        "{checked} password checks ran for one address (limit 10)"
    );
    assert!(
        answers
            .iter()
            .all(|(s, w)| *s == 401 || ((*s == 429 || *s == 503) && w.is_some())),
        "{answers:?}"
    );
    // Now the address is refused before it waits for anything.
    assert_eq!(wrong_login(&app.base, &client, "nobody", None).await, 429);
}
