//! `/me/projects`, `/me/projects/new`, `/me/projects/<id>/edit` and their
//! actions (create, update, delete, restore): authorization (someone
//! else's project 403, unknown or malformed ids 404, nothing written), bad
//! input (422 with the field's message,
//! nothing written; missing fields 400, never 500), and the owner seeing
//! their writes at once (project page, list, dashboard) with the views not
//! refreshed.

use crate::helpers::{
    error_at, new_client, project_with, quiet_app, TestApp, TestUser, NIL, PROJECT,
};

async fn projects(app: &TestApp) -> i64 {
    app.count("select count(*) from projects").await
}

#[tokio::test]
async fn creating_shows_the_project_at_once_and_counts_it_on_the_dashboard() {
    let app = quiet_app().await;
    let TestUser {
        id: uid,
        client: me,
    } = app.builder("maker").await;
    let (status, html) = app.get(&me, "/dashboard").await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"dash-projects">0<"#), "0 projects");
    let id = app.create_project(&me, PROJECT).await;
    // The view does not hold it; the page reads it live.
    assert_eq!(
        app.count(&format!(
            "select count(*) from mv_project_details where id = '{id}'"
        ))
        .await,
        0
    );
    let (status, html) = app.get(&me, &format!("/p/{id}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Compiler in a weekend"));
    // And for anyone else too.
    let (status, _) = app.get(&new_client(), &format!("/p/{id}")).await;
    assert_eq!(status, 200);
    let (_, html) = app.get(&me, "/dashboard").await;
    assert!(html.contains(r#"dash-projects">1<"#));
    assert!(html.contains(r#"dash-active-projects">1<"#));
    let owner: uuid::Uuid =
        sqlx::query_scalar(&format!("select user_id from projects where id = '{id}'"))
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(owner, uid);
}

#[tokio::test]
async fn bad_input_is_422_on_its_field_and_writes_nothing() {
    let app = quiet_app().await;
    let me = app.builder("maker").await.client;
    let long_title = "x".repeat(121);
    let long_description = "y".repeat(5001);
    let long_link = format!("https://example.com/{}", "z".repeat(500));
    let cases: Vec<(&str, &str, &str)> = vec![
        ("title", "   ", "Enter a title"),
        ("title", &long_title, "at most 120"),
        ("description", &long_description, "at most 5000"),
        ("link", "", "Enter a link"),
        ("link", "javascript:alert(1)", "http://"),
        ("link", "https://", "http://"),
        ("link", "example.com", "http://"),
        ("link", &long_link, "at most 500"),
        ("image_url", "data:image/png;base64,AAAA", "http://"),
        ("category", "space", "Choose a category"),
    ];
    for (field, value, message) in cases {
        let res = app
            .post(
                &me,
                "/api/create_project",
                None,
                &project_with(field, value),
            )
            .await;
        assert_eq!(res.status().as_u16(), 422, "{field}={value:.40}");
        let got = error_at(res, field).await;
        assert!(got.contains(message), "{field}: {got}");
    }
    // Missing and malformed fields: 400, not 500.
    assert_eq!(
        app.call(&me, "/api/create_project", &[("title", "x")])
            .await,
        400
    );
    assert_eq!(projects(&app).await, 0);

    // A browser gets the form back with the message next to the field.
    let back = app
        .submit(
            &me,
            "/api/create_project",
            "/me/projects/new",
            &project_with("link", "javascript:alert(1)"),
        )
        .await
        .trim_start_matches(&app.base)
        .to_string();
    assert!(back.starts_with("/me/projects/new"), "{back}");
    let (status, html) = app.get(&me, &back).await;
    assert_eq!(status, 422);
    assert!(
        html.contains(r#"id="link-error""#),
        "error tied to the field"
    );
    assert!(html.contains("Compiler in a weekend"), "values kept");
    assert_eq!(projects(&app).await, 0);
}

#[tokio::test]
async fn only_the_owner_may_edit_delete_or_restore() {
    let app = quiet_app().await;
    let owner = app.builder("owner").await.client;
    let other = app.builder("intruder").await.client;
    let id = app.create_project(&owner, PROJECT).await;
    let (status, _) = app.get(&other, &format!("/me/projects/{id}/edit")).await;
    assert_eq!(status, 403);
    let (status, _) = app.get(&other, &format!("/me/projects/{NIL}/edit")).await;
    assert_eq!(status, 404);
    let (status, _) = app.get(&other, "/me/projects/not-a-uuid/edit").await;
    assert_eq!(status, 404);

    let mut form = project_with("title", "Stolen");
    form.push(("id", id.as_str()));
    assert_eq!(app.call(&other, "/api/update_project", &form).await, 403);
    for path in ["/api/delete_project", "/api/restore_project"] {
        assert_eq!(
            app.call(&other, path, &[("id", id.as_str())]).await,
            403,
            "{path}"
        );
        assert_eq!(app.call(&other, path, &[("id", NIL)]).await, 404, "{path}");
        assert_eq!(
            app.call(&other, path, &[("id", "1; drop table projects")])
                .await,
            404,
            "{path}"
        );
    }
    assert_eq!(
        app.count(&format!(
            "select count(*) from projects where id = '{id}' and not is_deleted and title = 'Compiler in a weekend'"
        ))
        .await,
        1
    );
    // The other user's list does not show it.
    let (_, html) = app.get(&other, "/me/projects").await;
    assert!(!html.contains(&id));
}

#[tokio::test]
async fn edit_delete_and_restore_change_the_list_page_and_dashboard_at_once() {
    let app = quiet_app().await;
    let me = app.builder("maker").await.client;
    let id = app.create_project(&me, PROJECT).await;

    let (status, html) = app.get(&me, &format!("/me/projects/{id}/edit")).await;
    assert_eq!(status, 200);
    assert!(html.contains("https://github.com/example/compiler"));
    let mut form = project_with("title", "Compiler in a month");
    form.push(("id", id.as_str()));
    assert_eq!(
        app.submit(
            &me,
            "/api/update_project",
            &format!("/me/projects/{id}/edit"),
            &form
        )
        .await,
        format!("/me/projects#mp-{id}")
    );
    let (_, html) = app.get(&me, &format!("/p/{id}")).await;
    assert!(html.contains("Compiler in a month"), "owner sees the edit");
    // A bad edit writes nothing.
    let mut bad = project_with("link", "ftp://example.com");
    bad.push(("id", id.as_str()));
    assert_eq!(app.call(&me, "/api/update_project", &bad).await, 422);
    assert_eq!(
        app.count("select count(*) from projects where proof_of_work_link like 'ftp%'")
            .await,
        0
    );

    app.submit(
        &me,
        "/api/delete_project",
        "/me/projects",
        &[("id", id.as_str())],
    )
    .await;
    let (status, _) = app.get(&me, &format!("/p/{id}")).await;
    assert_eq!(status, 404);
    let (_, html) = app.get(&me, "/me/projects").await;
    assert!(html.contains("Deleted"));
    assert!(html.contains("Restore Compiler in a month"));
    let (_, html) = app.get(&me, "/dashboard").await;
    assert!(html.contains(r#"dash-projects">1<"#));
    assert!(html.contains(r#"dash-active-projects">0<"#));

    app.submit(
        &me,
        "/api/restore_project",
        "/me/projects",
        &[("id", id.as_str())],
    )
    .await;
    let (status, _) = app.get(&me, &format!("/p/{id}")).await;
    assert_eq!(status, 200);
    let (_, html) = app.get(&me, "/dashboard").await;
    assert!(html.contains(r#"dash-active-projects">1<"#));
    // Restoring twice is harmless.
    assert_eq!(
        app.call(&me, "/api/restore_project", &[("id", id.as_str())])
            .await,
        200
    );
    let report = data::reconcile::reconcile(&app.pool, false).await.unwrap();
    assert_eq!(report.total_differences(), 0);
}
