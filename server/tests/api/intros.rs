//! Intro requests: `request_intro` (approved investors only), the
//! builder's `respond_intro`, the investor's `withdraw_intro`, the
//! `/intros` lists and the `/investor` dashboard. Authorization and bad
//! input are 4xx with nothing written; the trigger-maintained counters
//! (`intro_request_stats`, `user_dashboard_stats`) are exact after every
//! transition.

use crate::helpers::{location, new_client, shown, spawn_app, TestApp, NIL};

async fn make_investor(app: &TestApp, name: &str) {
    sqlx::query("update users set role = 'investor' where username = $1")
        .bind(name)
        .execute(&app.pool)
        .await
        .unwrap();
}

async fn project_of(app: &TestApp, name: &str, title: &str) -> String {
    sqlx::query_scalar(
        "insert into projects (user_id, title) select id, $2 from users where username = $1 \
         returning id::text",
    )
    .bind(name)
    .bind(title)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// (pending, approved, rejected, withdrawn) received, and (sent, pending,
/// approved, rejected, withdrawn) sent, from `intro_request_stats`.
async fn stats(app: &TestApp, name: &str) -> (Vec<i32>, Vec<i32>) {
    let row: (i32, i32, i32, i32, i32, i32, i32, i32, i32) = sqlx::query_as(
        "select pending_requests, approved_requests, rejected_requests, withdrawn_requests, \
         sent_requests, sent_pending_requests, sent_approved_requests, sent_rejected_requests, \
         sent_withdrawn_requests from intro_request_stats s join users u on u.id = s.user_id \
         where u.username = $1",
    )
    .bind(name)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    (
        vec![row.0, row.1, row.2, row.3],
        vec![row.4, row.5, row.6, row.7, row.8],
    )
}

/// Every user's dashboard intro counters equal a recount of the rows.
async fn dashboard_exact(app: &TestApp) {
    let drift = app.count("select count(*) from user_dashboard_stats s where \
           s.intros_sent <> (select count(*) from intro_requests r where r.investor_id = s.user_id) \
        or s.intros_received <> (select count(*) from intro_requests r where r.builder_id = s.user_id) \
        or s.intro_requests_pending <> (select count(*) from intro_requests r \
             where r.builder_id = s.user_id and r.status = 'pending')",
    )
    .await;
    assert_eq!(drift, 0, "user_dashboard_stats intro counters drifted");
}

async fn request(
    app: &TestApp,
    client: &reqwest::Client,
    builder: &str,
    project: &str,
    message: &str,
) -> reqwest::Response {
    app.post(
        client,
        "/api/request_intro",
        None,
        &[
            ("builder", builder),
            ("project", project),
            ("message", message),
        ],
    )
    .await
}

async fn latest_id(app: &TestApp) -> String {
    sqlx::query_scalar("select id::text from intro_requests order by created_at desc limit 1")
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// `name`'s `stats` are `received` and `sent`.
async fn assert_stats(app: &TestApp, name: &str, received: &[i32], sent: &[i32]) {
    assert_eq!(
        stats(app, name).await,
        (received.to_vec(), sent.to_vec()),
        "{name}"
    );
}

/// A new request from `investor` to `builder` (no project) that succeeds;
/// its id.
async fn request_ok(
    app: &TestApp,
    investor: &reqwest::Client,
    builder: &str,
    message: &str,
) -> String {
    assert_eq!(
        request(app, investor, builder, "", message)
            .await
            .status()
            .as_u16(),
        200
    );
    latest_id(app).await
}

async fn rows(app: &TestApp) -> i64 {
    app.count("select count(*) from intro_requests").await
}

#[tokio::test]
async fn intro_lifecycle_keeps_every_counter_exact() {
    let app = spawn_app().await;
    let inv = app.sign_up("inv_life").await;
    make_investor(&app, "inv_life").await;
    let bld = app.sign_up("bld_life").await;
    let project = project_of(&app, "bld_life", "Rocket").await;
    let plain = app.sign_up("plain_life").await;
    app.refresh(&["mv_user_profiles"]).await;

    // The profile: an investor gets Message and the intro form with the
    // builder's projects; another user only Message; the owner neither.
    let (status, html) = app.get(&inv, "/u/bld_life").await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"href="/inbox/bld_life""#));
    assert!(html.contains(r#"action="/api/request_intro""#));
    assert!(html.contains(&format!(r#"<option value="{project}">Rocket</option>"#)));
    let (_, html) = app.get(&plain, "/u/bld_life").await;
    assert!(html.contains(r#"href="/inbox/bld_life""#));
    assert!(!html.contains("/api/request_intro"));
    let (_, html) = app.get(&bld, "/u/bld_life").await;
    assert!(!html.contains(r#"href="/inbox/bld_life""#));
    assert!(!html.contains("/api/request_intro"));
    let (_, html) = app.get(&new_client(), "/u/bld_life").await;
    assert!(!html.contains(r#"href="/inbox/bld_life""#));

    // Request from the profile, like a browser: to /intros.
    assert!(app
        .submit(
            &inv,
            "/api/request_intro",
            "/u/bld_life",
            &[
                ("builder", "bld_life"),
                ("project", &project),
                ("message", "Let's talk"),
            ]
        )
        .await
        .starts_with("/intros#intro-"));
    let first = latest_id(&app).await;
    assert_stats(&app, "bld_life", &[1, 0, 0, 0], &[0; 5]).await;
    assert_stats(&app, "inv_life", &[0; 4], &[1, 1, 0, 0, 0]).await;
    dashboard_exact(&app).await;

    // A second pending request to the same builder: 409, nothing written.
    let res = request(&app, &inv, "bld_life", "", "again").await;
    assert_eq!(res.status().as_u16(), 409);
    assert_eq!(rows(&app).await, 1);

    // The builder sees it (with its project) and approves it.
    let (status, html) = app.get(&bld, "/intros?status=pending").await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("intro-{first}")) && html.contains("Rocket"));
    assert!(html.contains("Let&#x27;s talk") || html.contains("Let's talk"));
    assert!(html.contains(r#"href="/intros?status=pending" aria-current="page""#));
    assert_eq!(
        app.submit(
            &bld,
            "/api/respond_intro",
            "/intros",
            &[("request_id", &first), ("decision", "approve")]
        )
        .await,
        format!("/intros#intro-{first}")
    );
    assert_stats(&app, "bld_life", &[0, 1, 0, 0], &[0; 5]).await;
    assert_stats(&app, "inv_life", &[0; 4], &[1, 0, 1, 0, 0]).await;
    dashboard_exact(&app).await;
    // Both sides get a Message link to the pair's conversation.
    let (_, html) = app.get(&bld, "/intros?status=approved").await;
    assert!(html.contains(r#"href="/inbox/inv_life""#));
    let (_, html) = app.get(&inv, "/intros").await;
    assert!(html.contains(r#"href="/inbox/bld_life""#));
    // Deciding again: 409, nothing changes.
    for decision in ["approve", "reject"] {
        assert_eq!(
            app.call(
                &bld,
                "/api/respond_intro",
                &[("request_id", &first), ("decision", decision)]
            )
            .await,
            409
        );
    }
    assert_eq!(
        app.call(&inv, "/api/withdraw_intro", &[("request_id", &first)])
            .await,
        409
    );
    assert_stats(&app, "bld_life", &[0, 1, 0, 0], &[0; 5]).await;

    // Another request, withdrawn by the investor.
    let second = request_ok(&app, &inv, "bld_life", "").await;
    assert_eq!(
        app.call(&inv, "/api/withdraw_intro", &[("request_id", &second)])
            .await,
        200
    );
    assert_stats(&app, "bld_life", &[0, 1, 0, 1], &[0; 5]).await;
    assert_stats(&app, "inv_life", &[0; 4], &[2, 0, 1, 0, 1]).await;

    // And one rejected by the builder.
    let third = request_ok(&app, &inv, "bld_life", "").await;
    assert_eq!(
        app.call(
            &bld,
            "/api/respond_intro",
            &[("request_id", &third), ("decision", "reject")]
        )
        .await,
        200
    );
    assert_stats(&app, "bld_life", &[0, 1, 1, 1], &[0; 5]).await;
    assert_stats(&app, "inv_life", &[0; 4], &[3, 0, 1, 1, 1]).await;
    dashboard_exact(&app).await;

    // The investor's dashboard reads the same numbers at once.
    let (status, html) = app.get(&inv, "/investor").await;
    assert_eq!(status, 200);
    assert_eq!(shown(&html, "sent-count"), 3);
    assert_eq!(shown(&html, "approved-count"), 1);
    assert_eq!(shown(&html, "rejected-count"), 1);
    assert_eq!(shown(&html, "withdrawn-count"), 1);
    assert!(html.contains(r#"approval-rate">50%<"#));
    assert!(
        html.contains(r#"<a href="/u/bld_life">bld_life</a>"#),
        "builders met"
    );
    // The status filter narrows the lists.
    let (_, html) = app.get(&inv, "/intros?status=withdrawn").await;
    assert!(html.contains(&format!("intro-{second}")));
    assert!(!html.contains(&format!("intro-{third}")));
    assert_eq!(app.get(&inv, "/intros?status=bogus").await.0, 400);
}

#[tokio::test]
async fn intro_authorization_and_bad_input_write_nothing() {
    let app = spawn_app().await;
    let inv = app.sign_up("inv_auth").await;
    make_investor(&app, "inv_auth").await;
    let bld = app.sign_up("bld_auth").await;
    let other = app.sign_up("other_auth").await;
    let other_project = project_of(&app, "other_auth", "Not yours").await;
    let anon = new_client();

    // Signed out: 401 everywhere, and a browser goes to log in.
    for (path, form) in [
        (
            "/api/request_intro",
            vec![("builder", "bld_auth"), ("message", "")],
        ),
        (
            "/api/respond_intro",
            vec![("request_id", NIL), ("decision", "approve")],
        ),
        ("/api/withdraw_intro", vec![("request_id", NIL)]),
    ] {
        assert_eq!(app.call(&anon, path, &form).await, 401, "{path}");
        let res = app.post(&anon, path, Some("/intros"), &form).await;
        assert!(location(&res).starts_with("/login?next="), "{path}");
    }
    for page in ["/intros", "/investor"] {
        assert_eq!(app.get(&anon, page).await.0, 401, "{page}");
    }
    // Not an investor: 403 (and no dashboard).
    let res = request(&app, &bld, "other_auth", "", "hi").await;
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(app.get(&bld, "/investor").await.0, 403);
    assert_eq!(rows(&app).await, 0);

    // Bad input from an investor.
    let long = "m".repeat(2001);
    let cases: [(&str, &str, &str, u16); 6] = [
        ("bld_auth", "", &long, 422),
        ("nobody_at_all", "", "hi", 404),
        ("inv_auth", "", "hi", 422),
        ("bld_auth", "not-a-uuid", "hi", 422),
        ("bld_auth", &other_project, "hi", 422),
        ("bld_auth", NIL, "hi", 422),
    ];
    for (builder, project, message, status) in cases {
        let res = request(&app, &inv, builder, project, message).await;
        assert_eq!(res.status().as_u16(), status, "{builder} {project}");
    }
    // A deactivated builder does not exist.
    app.exec("update users set is_active = false where username = 'other_auth'")
        .await;
    assert_eq!(
        request(&app, &inv, "other_auth", "", "")
            .await
            .status()
            .as_u16(),
        404
    );
    assert_eq!(rows(&app).await, 0);
    // The browser sees the field's message on the profile's form.
    let res = app
        .post(
            &inv,
            "/api/request_intro",
            Some("/u/bld_auth"),
            &[("builder", "bld_auth"), ("project", ""), ("message", &long)],
        )
        .await;
    // (The form's state waits in the session, not in the address.)
    let back = location(&res).replace(&app.base, "");
    assert_eq!(back, "/u/bld_auth");
    let (status, html) = app.get(&inv, &back).await;
    assert_eq!(status, 422);
    assert!(html.contains("field-error"), "the message is shown");

    // A pending request: only its builder decides, only its investor withdraws.
    let id = request_ok(&app, &inv, "bld_auth", "hello").await;
    let approve = [("request_id", id.as_str()), ("decision", "approve")];
    assert_eq!(
        app.call(&inv, "/api/respond_intro", &approve).await,
        403,
        "the investor cannot approve"
    );
    assert_eq!(
        app.call(&bld, "/api/withdraw_intro", &[("request_id", &id)])
            .await,
        403,
        "the builder cannot withdraw"
    );
    app.exec("update users set is_active = true where username = 'other_auth'")
        .await;
    assert_eq!(
        app.call(&other, "/api/respond_intro", &approve).await,
        404,
        "a third user does not see it"
    );
    assert_eq!(
        app.call(&other, "/api/withdraw_intro", &[("request_id", &id)])
            .await,
        404
    );
    let (_, html) = app.get(&other, "/intros").await;
    assert!(!html.contains(&id));
    // Unknown, malformed ids and decisions.
    for (rid, decision, status) in [
        (NIL, "approve", 404),
        ("nope", "approve", 404),
        (id.as_str(), "maybe", 400),
    ] {
        let res = app
            .post(
                &bld,
                "/api/respond_intro",
                None,
                &[("request_id", rid), ("decision", decision)],
            )
            .await;
        assert_eq!(res.status().as_u16(), status, "{rid} {decision}");
    }
    assert_eq!(
        app.call(&bld, "/api/respond_intro", &[("request_id", &id)])
            .await,
        400,
        "missing field"
    );
    assert_eq!(
        app.count("select count(*) from intro_requests where status = 'pending'")
            .await,
        1
    );
    assert_stats(&app, "bld_auth", &[1, 0, 0, 0], &[0; 5]).await;
    dashboard_exact(&app).await;
}
