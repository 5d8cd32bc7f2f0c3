//! Reports to the admins: signed-in users report a project or a comment;
//! 401 signed out, 422 for an empty or over-long reason, 404 for an
//! unknown target, 400 for a bad target type, the per-user limit, a
//! confirmation on the page, and nothing written when a check fails.

use crate::helpers::{api_error, error_at, new_client, seeded_app, TestApp, NIL};

async fn reports(app: &TestApp) -> i64 {
    app.count("select count(*) from reports").await
}

/// A live project and a comment on it by someone other than demo_builder.
async fn targets(app: &TestApp) -> (String, String) {
    sqlx::query_as(
        "select p.id::text, c.id::text from comments c join projects p on p.id = c.project_id \
         join users u on u.id = c.user_id \
         where not p.is_deleted and u.username <> 'demo_builder' and c.parent_id is null \
         order by c.created_at desc, c.id limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// Reports `project` with `reason` from the form on `page`, as a browser;
/// where the redirect goes.
async fn report_project(
    app: &TestApp,
    client: &reqwest::Client,
    page: &str,
    project: &str,
    reason: &str,
) -> String {
    let form = [
        ("target_type", "project"),
        ("target_id", project),
        ("reason", reason),
    ];
    app.submit(client, "/api/report", page, &form).await
}

#[tokio::test]
async fn reports_need_a_signed_in_user_a_reason_and_a_real_target() {
    let app = seeded_app().await;
    let (project, comment) = targets(&app).await;
    let page = format!("/p/{project}");
    let before = reports(&app).await;
    let form = [
        ("target_type", "project"),
        ("target_id", project.as_str()),
        ("reason", "Spam"),
    ];

    // Signed out: 401, or a browser is sent to log in; no report form shown.
    assert_eq!(app.call(&app.client, "/api/report", &form).await, 401);
    assert_eq!(
        app.submit(&app.client, "/api/report", &page, &form).await,
        format!("/login?next={page}")
    );
    let (_, html) = app.get_html(&page).await;
    assert!(!html.contains("/api/report"));

    let client = new_client();
    app.log_in(&client, "demo_builder").await;
    let long = "r".repeat(2001);
    for reason in ["", "  \n ", long.as_str()] {
        for (kind, id) in [("project", project.as_str()), ("comment", comment.as_str())] {
            let res = app
                .post(
                    &client,
                    "/api/report",
                    None,
                    &[("target_type", kind), ("target_id", id), ("reason", reason)],
                )
                .await;
            assert_eq!(res.status().as_u16(), 422, "{kind} {}", reason.len());
            error_at(res, "reason").await;
        }
    }
    for (kind, id) in [
        ("project", NIL),
        ("comment", NIL),
        ("project", "nope"),
        ("comment", project.as_str()),
        ("project", comment.as_str()),
    ] {
        assert_eq!(
            app.call(
                &client,
                "/api/report",
                &[("target_type", kind), ("target_id", id), ("reason", "Spam")]
            )
            .await,
            404,
            "{kind} {id}"
        );
    }
    for kind in ["user", "", "PROJECT"] {
        assert_eq!(
            app.call(
                &client,
                "/api/report",
                &[
                    ("target_type", kind),
                    ("target_id", &project),
                    ("reason", "Spam"),
                ]
            )
            .await,
            400,
            "{kind}"
        );
    }
    assert_eq!(
        app.call(
            &client,
            "/api/report",
            &[("target_type", "project"), ("target_id", &project)]
        )
        .await,
        400,
        "missing reason"
    );

    // In a browser: back to the form with the message and the text kept.
    let back = report_project(&app, &client, &page, &project, &long).await;
    let (status, html) = app.get(&client, back.trim_start_matches(&app.base)).await;
    assert_eq!(status, 422);
    assert!(html.contains(&format!(r#"id="report-reason-{project}-error""#)));
    assert!(html.contains("Use at most 2000 characters"));
    let form = &html[..html
        .find(&format!(r#"id="report-reason-{project}""#))
        .unwrap()];
    let details = &form[form.rfind("<details").unwrap()..];
    assert!(details.contains(" open"), "the form is open: {details}");
    assert_eq!(reports(&app).await, before, "nothing written");
}

#[tokio::test]
async fn a_report_is_filed_once_confirmed_and_limited_per_user() {
    let app = seeded_app().await;
    let (project, comment) = targets(&app).await;
    let page = format!("/p/{project}");
    let client = new_client();
    app.log_in(&client, "demo_builder").await;
    let (_, html) = app.get(&client, &page).await;
    assert!(html.contains("Report this project"));
    assert!(
        html.contains(&format!(r#"id="report-{comment}""#)),
        "comment report form"
    );
    let before = reports(&app).await;

    let reason = "  Copies <someone>'s repository & claims it  ";
    let back = report_project(&app, &client, &page, &project, reason).await;
    assert_eq!(back, format!("{page}?reported={project}#report-{project}"));
    let (status, html) = app.get(&client, &back).await;
    assert_eq!(status, 200);
    assert!(html.contains("Your report was sent to the admins."));
    let (kind, stored, status, reporter): (String, String, String, String) = sqlx::query_as(
        "select r.target_type, r.reason, r.status, u.username from reports r \
         join users u on u.id = r.reporter_id where r.target_id = $1::uuid \
         order by r.created_at desc limit 1",
    )
    .bind(&project)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(
        (
            kind.as_str(),
            stored.as_str(),
            status.as_str(),
            reporter.as_str()
        ),
        ("project", reason.trim(), "open", "demo_builder")
    );
    assert_eq!(reports(&app).await, before + 1);

    // The same project again while the report is open: no second row.
    assert_eq!(
        app.call(
            &client,
            "/api/report",
            &[
                ("target_type", "project"),
                ("target_id", &project),
                ("reason", "again"),
            ]
        )
        .await,
        200
    );
    assert_eq!(reports(&app).await, before + 1);

    // A comment.
    assert_eq!(
        app.submit(
            &client,
            "/api/report",
            &page,
            &[
                ("target_type", "comment"),
                ("target_id", &comment),
                ("reason", "Abusive"),
            ]
        )
        .await,
        format!("{page}?reported={comment}#report-{comment}")
    );
    assert_eq!(reports(&app).await, before + 2);

    // At the limit of open reports: 422 with a message, nothing written.
    app.exec(
        "insert into reports (reporter_id, target_type, target_id, reason) \
         select u.id, 'project', p.id, 'filler' from users u \
         cross join lateral (select id from projects where not is_deleted \
                             order by id offset 5 limit 20) p \
         where u.username = 'demo_builder'",
    )
    .await;
    let limited = reports(&app).await;
    let other: String = sqlx::query_scalar(
        "select id::text from projects p where not is_deleted and not exists \
         (select 1 from reports r where r.target_id = p.id) order by id desc limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let res = app
        .post(
            &client,
            "/api/report",
            None,
            &[
                ("target_type", "project"),
                ("target_id", &other),
                ("reason", "One more"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    assert!(api_error(&res.text().await.unwrap())
        .field_error("reason")
        .unwrap()
        .contains("open reports"));
    assert_eq!(reports(&app).await, limited);
}
