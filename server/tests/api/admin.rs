//! The admin pages and server functions: only admins read or write
//! (signed out 401 / sent to log in, every other role 403, nothing
//! written); deciding investor applications (approval makes an investor
//! listed in the directory, a decided application is 409); the reports
//! queue (resolve, dismiss, deactivate, delete content; a closed report is
//! 409, an admin cannot be deactivated); the health page and "Reconcile now".

use uuid::Uuid;

use data::users::Role;

use crate::helpers::{api_error, error_at, location, new_client, seeded_app, TestApp, NIL};

/// A pending investor application of `user_id`.
async fn application(app: &TestApp, user_id: Uuid, company: &str) -> Uuid {
    sqlx::query_scalar(
        "insert into investor_requests (user_id, company_name, investment_focus, ticket_size) \
         values ($1, $2, 'Developer tools', '$50k') returning id",
    )
    .bind(user_id)
    .bind(company)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// An open report by `reporter` about (`kind`, `target`).
async fn report(app: &TestApp, reporter: Uuid, kind: &str, target: Uuid, reason: &str) -> Uuid {
    sqlx::query_scalar(
        "insert into reports (reporter_id, target_type, target_id, reason) \
         values ($1, $2, $3, $4) returning id",
    )
    .bind(reporter)
    .bind(kind)
    .bind(target)
    .bind(reason)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

async fn id_of(app: &TestApp, username: &str) -> Uuid {
    sqlx::query_scalar("select id from users where username = $1")
        .bind(username)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

async fn status_of(app: &TestApp, table: &str, id: Uuid) -> String {
    sqlx::query_scalar(&format!("select status from {table} where id = $1"))
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

/// A project of `owner`.
async fn project(app: &TestApp, owner: Uuid, title: &str) -> Uuid {
    sqlx::query_scalar("insert into projects (user_id, title) values ($1, $2) returning id")
        .bind(owner)
        .bind(title)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn only_admins_see_the_admin_pages_or_call_their_functions() {
    let app = seeded_app().await;
    let applicant = app.create_user("applicant_one", Role::Builder).await;
    let app_id = application(&app, applicant, "One Capital")
        .await
        .to_string();
    let builder = id_of(&app, "demo_builder").await;
    let target = project(&app, builder, "Reported thing").await;
    let report_id = report(&app, applicant, "project", target, "Spam")
        .await
        .to_string();
    let reconciles = app.count("select count(*) from reconcile_log").await;

    let calls: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "/api/admin_decide_application",
            vec![("application_id", &app_id), ("decision", "approve")],
        ),
        (
            "/api/admin_decide_application",
            vec![("application_id", &app_id), ("decision", "reject")],
        ),
        (
            "/api/admin_report_action",
            vec![("report_id", &report_id), ("action", "resolve")],
        ),
        (
            "/api/admin_report_action",
            vec![("report_id", &report_id), ("action", "deactivate")],
        ),
        (
            "/api/admin_report_action",
            vec![("report_id", &report_id), ("action", "delete")],
        ),
        ("/api/admin_reconcile", vec![]),
        ("/api/admin_overview", vec![]),
        ("/api/admin_health", vec![]),
    ];

    // Signed out: 401 for a client, a browser is sent to log in.
    for (path, form) in &calls {
        assert_eq!(app.call(&app.client, path, form).await, 401, "{path}");
    }
    assert_eq!(
        app.submit(&app.client, calls[0].0, "/admin", &calls[0].1)
            .await,
        "/login?next=/admin"
    );
    for page in ["/admin", "/admin/health"] {
        let (status, _) = app.get_html(page).await;
        assert_eq!(status, 302, "{page}");
        let res = app.fetch(&app.client, page).await;
        assert_eq!(location(&res), format!("/login?next={page}"));
    }

    // Every other role: 403, and the pages are 403 pages.
    for who in ["demo_builder", "demo_validator", "demo_investor"] {
        let client = new_client();
        app.log_in(&client, who).await;
        for (path, form) in &calls {
            let res = app.post(&client, path, None, form).await;
            assert_eq!(res.status().as_u16(), 403, "{who} {path}");
            assert_eq!(
                api_error(&res.text().await.unwrap()),
                app::error::AppError::Forbidden
            );
        }
        for page in ["/admin", "/admin/health"] {
            let (status, html) = app.get(&client, page).await;
            assert_eq!(status, 403, "{who} {page}");
            assert!(html.contains("Not allowed"));
            assert!(!html.contains("One Capital"));
        }
    }

    // Nothing was written.
    assert_eq!(
        status_of(&app, "investor_requests", app_id.parse().unwrap()).await,
        "pending"
    );
    assert_eq!(
        status_of(&app, "reports", report_id.parse().unwrap()).await,
        "open"
    );
    let (role, active): (String, bool) =
        sqlx::query_as("select role, is_active from users where id = $1")
            .bind(builder)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!((role.as_str(), active), ("builder", true));
    let deleted: bool = sqlx::query_scalar("select is_deleted from projects where id = $1")
        .bind(target)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(!deleted);
    assert_eq!(
        app.count("select count(*) from reconcile_log").await,
        reconciles
    );

    // The admin sees both.
    let admin = new_client();
    app.log_in(&admin, "demo_admin").await;
    let (status, html) = app.get(&admin, "/admin").await;
    assert_eq!(status, 200);
    assert!(html.contains("One Capital"));
    assert!(html.contains("Reported thing"));
    assert!(html.contains(r#"aria-current="page""#));
    assert!(html.contains("Site totals"));
}

#[tokio::test]
async fn approving_makes_an_investor_in_the_directory_and_a_decision_is_final() {
    let app = seeded_app().await;
    let admin_id = id_of(&app, "demo_admin").await;
    let applicant = app.create_user("future_investor", Role::Builder).await;
    let to_approve = application(&app, applicant, "Future Fund").await;
    let other = app.create_user("not_an_investor", Role::Builder).await;
    let to_reject = application(&app, other, "Nope Partners").await;
    let admin = new_client();
    app.log_in(&admin, "demo_admin").await;

    // Bad input: 4xx, nothing written.
    for (id, decision, status) in [
        (to_approve.to_string(), "maybe", 422),
        ("nope".to_string(), "approve", 404),
        (NIL.to_string(), "approve", 404),
        (Uuid::new_v4().to_string(), "reject", 404),
    ] {
        let res = app
            .post(
                &admin,
                "/api/admin_decide_application",
                None,
                &[("application_id", &id), ("decision", decision)],
            )
            .await;
        assert_eq!(res.status().as_u16(), status, "{id} {decision}");
    }
    assert_eq!(
        app.call(
            &admin,
            "/api/admin_decide_application",
            &[("application_id", &to_approve.to_string())]
        )
        .await,
        400,
        "missing decision"
    );
    assert_eq!(
        status_of(&app, "investor_requests", to_approve).await,
        "pending"
    );

    // Approve like a browser: back to the queue.
    assert_eq!(
        app.submit(
            &admin,
            "/api/admin_decide_application",
            "/admin",
            &[
                ("application_id", &to_approve.to_string()),
                ("decision", "approve"),
            ]
        )
        .await,
        "/admin#applications"
    );
    let row: (String, bool, bool, Option<Uuid>, String) = sqlx::query_as(
        "select ir.status, ir.approved_at is not null, ir.decided_at is not null, ir.reviewed_by, u.role \
         from investor_requests ir join users u on u.id = ir.user_id where ir.id = $1",
    )
    .bind(to_approve)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        row,
        (
            "approved".into(),
            true,
            true,
            Some(admin_id),
            "investor".into()
        )
    );

    // In the directory after the view's refresh.
    app.refresh(&["mv_investors_directory"]).await;
    let (status, html) = app.get_html("/investors").await;
    assert_eq!(status, 200);
    assert!(html.contains("Future Fund"), "approved investor listed");
    assert!(html.contains("future_investor"));

    // Reject the other: rejected, still a builder, not listed.
    assert_eq!(
        app.call(
            &admin,
            "/api/admin_decide_application",
            &[
                ("application_id", &to_reject.to_string()),
                ("decision", "reject"),
            ]
        )
        .await,
        200
    );
    let row: (String, bool, bool, String) = sqlx::query_as(
        "select ir.status, ir.approved_at is null, ir.decided_at is not null, u.role \
         from investor_requests ir join users u on u.id = ir.user_id where ir.id = $1",
    )
    .bind(to_reject)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(row, ("rejected".into(), true, true, "builder".into()));

    // A decided application cannot be decided again: 409, unchanged.
    for (id, decision) in [
        (to_approve, "reject"),
        (to_approve, "approve"),
        (to_reject, "approve"),
    ] {
        assert_eq!(
            app.call(
                &admin,
                "/api/admin_decide_application",
                &[("application_id", &id.to_string()), ("decision", decision)]
            )
            .await,
            409,
            "{id} {decision}"
        );
    }
    assert_eq!(
        status_of(&app, "investor_requests", to_approve).await,
        "approved"
    );
    assert_eq!(
        status_of(&app, "investor_requests", to_reject).await,
        "rejected"
    );

    // A browser's second decision comes back to the page with the message and 409.
    let back = app
        .submit(
            &admin,
            "/api/admin_decide_application",
            "/admin",
            &[
                ("application_id", &to_reject.to_string()),
                ("decision", "approve"),
            ],
        )
        .await
        .replace(&app.base, "");
    assert_eq!(
        back, "/admin",
        "the error waits in the session, not the address"
    );
    let (status, html) = app.get(&admin, &back).await;
    assert_eq!(status, 409);
    assert!(html.contains("already rejected"));

    // An admin who applies stays an admin when approved.
    let admin_app = application(&app, admin_id, "Admin Angels").await;
    assert_eq!(
        app.call(
            &admin,
            "/api/admin_decide_application",
            &[
                ("application_id", &admin_app.to_string()),
                ("decision", "approve"),
            ]
        )
        .await,
        200
    );
    let role: String = sqlx::query_scalar("select role from users where id = $1")
        .bind(admin_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert_eq!(role, "admin");
}

#[tokio::test]
async fn the_reports_queue_resolves_dismisses_deactivates_and_deletes() {
    let app = seeded_app().await;
    let admin_id = id_of(&app, "demo_admin").await;
    let reporter = app.create_user("the_reporter", Role::Builder).await;
    let spammer = app.create_user("the_spammer", Role::Builder).await;
    let spam = project(&app, spammer, "Buy followers now").await;
    let comment: Uuid = sqlx::query_scalar(
        "insert into comments (project_id, user_id, content) values ($1, $2, 'rude words') returning id",
    )
    .bind(spam)
    .bind(spammer)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let r_project = report(&app, reporter, "project", spam, "Spam project").await;
    let r_project_2 = report(&app, admin_id, "project", spam, "Also spam").await;
    let r_comment = report(&app, reporter, "comment", comment, "Rude comment").await;
    let r_user = report(&app, reporter, "user", spammer, "Spammer account").await;
    let r_admin = report(&app, reporter, "user", admin_id, "I dislike the admin").await;
    let r_dismiss = report(&app, reporter, "project", spam, "Not sure").await;
    let admin = new_client();
    app.log_in(&admin, "demo_admin").await;

    // The queue shows each with its target.
    let (status, html) = app.get(&admin, "/admin").await;
    assert_eq!(status, 200);
    for text in [
        "Spam project",
        "Rude comment",
        "Spammer account",
        "Buy followers now",
    ] {
        assert!(html.contains(text), "{text}");
    }
    assert!(html.contains(&format!("/p/{spam}")));

    let act = |id: String, action: &'static str| {
        let admin = admin.clone();
        let app = &app;
        async move {
            app.post(
                &admin,
                "/api/admin_report_action",
                None,
                &[("report_id", &id), ("action", action)],
            )
            .await
        }
    };

    // Bad input: 4xx, nothing written.
    assert_eq!(
        act(r_project.to_string(), "burn").await.status().as_u16(),
        422
    );
    assert_eq!(act("nope".into(), "resolve").await.status().as_u16(), 404);
    assert_eq!(act(NIL.into(), "resolve").await.status().as_u16(), 404);
    // An admin cannot be deactivated; a user report has no content to delete.
    let res = act(r_admin.to_string(), "deactivate").await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(error_at(res, "action")
        .await
        .contains("Admins cannot be deactivated"));
    assert_eq!(
        act(r_user.to_string(), "delete").await.status().as_u16(),
        422
    );
    assert_eq!(status_of(&app, "reports", r_admin).await, "open");
    assert_eq!(status_of(&app, "reports", r_user).await, "open");
    let active: bool = sqlx::query_scalar("select is_active from users where id = $1")
        .bind(admin_id)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(active);

    // Delete the comment: gone, report resolved by the admin.
    assert_eq!(
        act(r_comment.to_string(), "delete").await.status().as_u16(),
        200
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from comments where id = '{comment}'"
        ))
        .await,
        0
    );
    let (st, by, at): (String, Option<Uuid>, bool) = sqlx::query_as(
        "select status, resolved_by, resolved_at is not null from reports where id = $1",
    )
    .bind(r_comment)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((st.as_str(), by, at), ("resolved", Some(admin_id), true));

    // Dismiss one report on the project; delete the project through
    // another: every open report on it is closed.
    assert_eq!(
        act(r_dismiss.to_string(), "dismiss")
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(status_of(&app, "reports", r_dismiss).await, "dismissed");
    assert_eq!(
        act(r_project.to_string(), "delete").await.status().as_u16(),
        200
    );
    let deleted: bool = sqlx::query_scalar("select is_deleted from projects where id = $1")
        .bind(spam)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(deleted);
    assert_eq!(status_of(&app, "reports", r_project).await, "resolved");
    assert_eq!(status_of(&app, "reports", r_project_2).await, "resolved");
    assert_eq!(status_of(&app, "reports", r_dismiss).await, "dismissed");

    // Closed reports cannot be acted on again: 409.
    for (id, action) in [
        (r_project, "resolve"),
        (r_dismiss, "delete"),
        (r_comment, "dismiss"),
    ] {
        assert_eq!(act(id.to_string(), action).await.status().as_u16(), 409);
    }

    // Deactivate the spammer like a browser: back to the queue; their
    // session ends (they can no longer log in).
    let spammer_client = new_client();
    app.log_in(&spammer_client, "the_spammer").await;
    assert_eq!(
        app.submit(
            &admin,
            "/api/admin_report_action",
            "/admin",
            &[("report_id", &r_user.to_string()), ("action", "deactivate")]
        )
        .await,
        "/admin#reports"
    );
    let active: bool = sqlx::query_scalar("select is_active from users where id = $1")
        .bind(spammer)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    assert!(!active);
    assert_eq!(status_of(&app, "reports", r_user).await, "resolved");
    assert_eq!(
        app.call(
            &spammer_client,
            "/api/report",
            &[
                ("target_type", "project"),
                ("target_id", &spam.to_string()),
                ("reason", "x"),
            ]
        )
        .await,
        401,
        "deactivated session ended"
    );

    // The closed reports left the queue.
    let (_, html) = app.get(&admin, "/admin").await;
    assert!(!html.contains("Rude comment"));
    assert!(!html.contains("Spammer account"));
    assert!(html.contains("I dislike the admin"));
}

#[tokio::test]
async fn the_health_page_shows_every_view_and_reconciles_on_request() {
    let app = seeded_app().await;
    // One refresh logged for every view, so the chart has bars.
    let admin = new_client();
    app.log_in(&admin, "demo_admin").await;
    let views: Vec<String> =
        sqlx::query_scalar("select view_name from mv_registry order by view_name")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert!(views.len() >= 5);
    // A write the feed shows, so that its step has a wait to chart.
    app.exec(
        "insert into upvotes (user_id, project_id, is_upvote)
         select u.id, p.id, true from users u, projects p
          where u.username = 'demo_admin' and not p.is_deleted and p.user_id <> u.id
            and not exists (select 1 from upvotes x where x.user_id = u.id and x.project_id = p.id)
          limit 1",
    )
    .await;
    for v in &views {
        data::refresher::refresh_now(&app.pool, v, data::refresher::TriggeredBy::Manual)
            .await
            .unwrap();
    }
    let keyed: Vec<String> =
        sqlx::query_scalar("select view_name from mv_registry where kind = 'keyed'")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    let (status, html) = app.get(&admin, "/admin/health").await;
    assert_eq!(status, 200);
    for v in &views {
        assert!(html.contains(&format!("<code>{v}</code>")), "{v}");
        assert!(html.contains(&format!("chart-{v}-title")), "chart of {v}");
    }
    assert!(html.contains(r#"role="img""#));
    // One bar per logged refresh of a view refreshed whole (each was
    // refreshed once above), one per minute of steps of a keyed one.
    assert!(html.matches("<rect").count() > views.len() - keyed.len());
    for v in views.iter().filter(|v| !keyed.contains(v)) {
        assert!(
            html.contains(&format!("{v}: durations of the last ")),
            "bars of {v}"
        );
    }
    assert!(
        html.contains("mv_feed_projects: longest wait from a write to the page, per minute"),
        "the feed's staleness chart"
    );
    assert!(!html.contains("keys waiting"), "everything was stepped");
    // A write not stepped yet: the feed's row says how many keys wait.
    app.exec(
        "update projects set title = title || '!' where id = (select id from projects where not is_deleted limit 1)",
    )
    .await;
    let (_, html) = app.get(&admin, "/admin/health").await;
    assert!(
        html.contains("keys waiting, oldest"),
        "the backlog is shown"
    );
    assert!(html.contains("Reconcile now"));

    let before = app
        .count("select count(*) from reconcile_log where triggered_by = 'admin'")
        .await;
    assert_eq!(
        app.submit(&admin, "/api/admin_reconcile", "/admin/health", &[])
            .await,
        "/admin/health?reconciled=1#reconcile"
    );
    let (run_by, id): (String, i64) = sqlx::query_as(
        "select run_by, id from reconcile_log where triggered_by = 'admin' order by id desc limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(run_by, "demo_admin");
    assert_eq!(
        app.count("select count(*) from reconcile_log where triggered_by = 'admin'")
            .await,
        before + 1
    );
    let (status, html) = app.get(&admin, "/admin/health?reconciled=1").await;
    assert_eq!(status, 200);
    assert!(html.contains(&format!("Report #{id}")));
    assert!(html.contains("Reconciliation finished"));
}
