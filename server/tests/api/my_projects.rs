//! `/me/projects`, `/me/projects/new`, `/me/projects/<id>/edit` and their
//! actions (create, update, delete, restore): authorization (signed out
//! 401 / log-in redirect, someone else's project 403, unknown or malformed
//! ids 404, nothing written), bad input (422 with the field's message,
//! nothing written; missing fields 400, never 500), and the owner seeing
//! their writes at once (project page, list, dashboard) with the views not
//! refreshed.

use crate::chains::{api_error, location, post};
use crate::feed::{get, log_in, new_client};
use crate::helpers::{spawn_app_with, TestApp};

pub const NIL: &str = "00000000-0000-0000-0000-000000000000";

/// A server without the background refresher: whatever a page shows that
/// the views do not hold was read live.
pub async fn app() -> TestApp {
    spawn_app_with(&["--refresher", "false"]).await
}

/// A new builder, and a client logged in as them.
pub async fn builder(app: &TestApp, name: &str) -> (uuid::Uuid, reqwest::Client) {
    let user = data::users::create(
        &app.pool,
        &data::users::NewUser {
            username: name.into(),
            email: format!("{name}@example.test"),
            password: data::seed::DEMO_PASSWORD.into(),
        },
        data::users::Role::Builder,
    )
    .await
    .expect("create user");
    let client = new_client();
    log_in(app, &client, name).await;
    (user.id, client)
}

pub const GOOD: &[(&str, &str)] = &[
    ("title", "Compiler in a weekend"),
    ("description", "A tiny compiler."),
    ("link", "https://github.com/example/compiler"),
    ("image_url", ""),
    ("category", "devtools"),
];

/// `GOOD` with one field replaced.
pub fn with<'a>(field: &str, value: &'a str) -> Vec<(&'a str, &'a str)> {
    GOOD.iter()
        .map(|(f, v)| if *f == field { (*f, value) } else { (*f, *v) })
        .collect()
}

/// Creates a project through the browser form; its id.
pub async fn create(app: &TestApp, client: &reqwest::Client, form: &[(&str, &str)]) -> String {
    let res = post(
        app,
        client,
        "/api/create_project",
        Some("/me/projects/new"),
        form,
    )
    .await;
    assert_eq!(res.status().as_u16(), 302);
    let loc = location(&res);
    assert!(loc.starts_with("/p/"), "{loc}");
    loc[3..].to_string()
}

async fn projects(app: &TestApp) -> i64 {
    app.count("select count(*) from projects").await
}

#[tokio::test]
async fn creating_shows_the_project_at_once_and_counts_it_on_the_dashboard() {
    let app = app().await;
    let (uid, me) = builder(&app, "maker").await;
    let (status, html) = get(&app, &me, "/dashboard").await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"dash-projects">0<"#), "0 projects");
    let id = create(&app, &me, GOOD).await;
    // The view does not hold it; the page reads it live.
    assert_eq!(
        app.count(&format!(
            "select count(*) from mv_project_details where id = '{id}'"
        ))
        .await,
        0
    );
    let (status, html) = get(&app, &me, &format!("/p/{id}")).await;
    assert_eq!(status, 200);
    assert!(html.contains("Compiler in a weekend"));
    // And for anyone else too.
    let (status, _) = get(&app, &new_client(), &format!("/p/{id}")).await;
    assert_eq!(status, 200);
    let (_, html) = get(&app, &me, "/dashboard").await;
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
    let app = app().await;
    let (_, me) = builder(&app, "maker").await;
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
        let res = post(&app, &me, "/api/create_project", None, &with(field, value)).await;
        assert_eq!(res.status().as_u16(), 422, "{field}={value:.40}");
        let err = api_error(res).await;
        let got = err.field_error(field).unwrap_or_default();
        assert!(got.contains(message), "{field}: {got}");
    }
    // Missing and malformed fields: 400, not 500.
    let res = post(&app, &me, "/api/create_project", None, &[("title", "x")]).await;
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(projects(&app).await, 0);

    // A browser gets the form back with the message next to the field.
    let res = post(
        &app,
        &me,
        "/api/create_project",
        Some("/me/projects/new"),
        &with("link", "javascript:alert(1)"),
    )
    .await;
    assert_eq!(res.status().as_u16(), 302);
    let back = location(&res).trim_start_matches(&app.base).to_string();
    assert!(back.starts_with("/me/projects/new"), "{back}");
    let (status, html) = get(&app, &me, &back).await;
    assert_eq!(status, 422);
    assert!(
        html.contains(r#"id="link-error""#),
        "error tied to the field"
    );
    assert!(html.contains("Compiler in a weekend"), "values kept");
    assert_eq!(projects(&app).await, 0);
}

#[tokio::test]
async fn signed_out_is_sent_to_log_in_and_nothing_is_written() {
    let app = app().await;
    let (_, me) = builder(&app, "maker").await;
    let id = create(&app, &me, GOOD).await;
    let anon = new_client();
    for page in ["/me/projects", "/me/projects/new", "/dashboard"] {
        let res = anon
            .get(app.url(page))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 302, "{page}");
        assert_eq!(location(&res), format!("/login?next={page}"));
    }
    let res = post(&app, &anon, "/api/create_project", None, GOOD).await;
    assert_eq!(res.status().as_u16(), 401);
    let res = post(
        &app,
        &anon,
        "/api/create_project",
        Some("/me/projects/new"),
        GOOD,
    )
    .await;
    assert_eq!(location(&res), "/login?next=/me/projects/new");
    for path in ["/api/delete_project", "/api/restore_project"] {
        let res = post(&app, &anon, path, None, &[("id", id.as_str())]).await;
        assert_eq!(res.status().as_u16(), 401, "{path}");
    }
    let mut form = GOOD.to_vec();
    form.push(("id", id.as_str()));
    let res = post(&app, &anon, "/api/update_project", None, &form).await;
    assert_eq!(res.status().as_u16(), 401);
    assert_eq!(projects(&app).await, 1);
    assert_eq!(
        app.count(
            "select count(*) from projects where is_deleted or title <> 'Compiler in a weekend'"
        )
        .await,
        0
    );
}

#[tokio::test]
async fn only_the_owner_may_edit_delete_or_restore() {
    let app = app().await;
    let (_, owner) = builder(&app, "owner").await;
    let (_, other) = builder(&app, "intruder").await;
    let id = create(&app, &owner, GOOD).await;
    let (status, _) = get(&app, &other, &format!("/me/projects/{id}/edit")).await;
    assert_eq!(status, 403);
    let (status, _) = get(&app, &other, &format!("/me/projects/{NIL}/edit")).await;
    assert_eq!(status, 404);
    let (status, _) = get(&app, &other, "/me/projects/not-a-uuid/edit").await;
    assert_eq!(status, 404);

    let mut form = with("title", "Stolen");
    form.push(("id", id.as_str()));
    let res = post(&app, &other, "/api/update_project", None, &form).await;
    assert_eq!(res.status().as_u16(), 403);
    for path in ["/api/delete_project", "/api/restore_project"] {
        let res = post(&app, &other, path, None, &[("id", id.as_str())]).await;
        assert_eq!(res.status().as_u16(), 403, "{path}");
        let res = post(&app, &other, path, None, &[("id", NIL)]).await;
        assert_eq!(res.status().as_u16(), 404, "{path}");
        let res = post(
            &app,
            &other,
            path,
            None,
            &[("id", "1; drop table projects")],
        )
        .await;
        assert_eq!(res.status().as_u16(), 404, "{path}");
    }
    assert_eq!(
        app.count(&format!(
            "select count(*) from projects where id = '{id}' and not is_deleted and title = 'Compiler in a weekend'"
        ))
        .await,
        1
    );
    // The other user's list does not show it.
    let (_, html) = get(&app, &other, "/me/projects").await;
    assert!(!html.contains(&id));
}

#[tokio::test]
async fn edit_delete_and_restore_change_the_list_page_and_dashboard_at_once() {
    let app = app().await;
    let (_, me) = builder(&app, "maker").await;
    let id = create(&app, &me, GOOD).await;

    let (status, html) = get(&app, &me, &format!("/me/projects/{id}/edit")).await;
    assert_eq!(status, 200);
    assert!(html.contains("https://github.com/example/compiler"));
    let mut form = with("title", "Compiler in a month");
    form.push(("id", id.as_str()));
    let res = post(
        &app,
        &me,
        "/api/update_project",
        Some(&format!("/me/projects/{id}/edit")),
        &form,
    )
    .await;
    assert_eq!(res.status().as_u16(), 302);
    assert_eq!(location(&res), format!("/me/projects#mp-{id}"));
    let (_, html) = get(&app, &me, &format!("/p/{id}")).await;
    assert!(html.contains("Compiler in a month"), "owner sees the edit");
    // A bad edit writes nothing.
    let mut bad = with("link", "ftp://example.com");
    bad.push(("id", id.as_str()));
    let res = post(&app, &me, "/api/update_project", None, &bad).await;
    assert_eq!(res.status().as_u16(), 422);
    assert_eq!(
        app.count("select count(*) from projects where proof_of_work_link like 'ftp%'")
            .await,
        0
    );

    let res = post(
        &app,
        &me,
        "/api/delete_project",
        Some("/me/projects"),
        &[("id", id.as_str())],
    )
    .await;
    assert_eq!(res.status().as_u16(), 302);
    let (status, _) = get(&app, &me, &format!("/p/{id}")).await;
    assert_eq!(status, 404);
    let (_, html) = get(&app, &me, "/me/projects").await;
    assert!(html.contains("Deleted"));
    assert!(html.contains("Restore Compiler in a month"));
    let (_, html) = get(&app, &me, "/dashboard").await;
    assert!(html.contains(r#"dash-projects">1<"#));
    assert!(html.contains(r#"dash-active-projects">0<"#));

    let res = post(
        &app,
        &me,
        "/api/restore_project",
        Some("/me/projects"),
        &[("id", id.as_str())],
    )
    .await;
    assert_eq!(res.status().as_u16(), 302);
    let (status, _) = get(&app, &me, &format!("/p/{id}")).await;
    assert_eq!(status, 200);
    let (_, html) = get(&app, &me, "/dashboard").await;
    assert!(html.contains(r#"dash-active-projects">1<"#));
    // Restoring twice is harmless.
    let res = post(
        &app,
        &me,
        "/api/restore_project",
        None,
        &[("id", id.as_str())],
    )
    .await;
    assert_eq!(res.status().as_u16(), 200);
    let report = data::reconcile::reconcile(&app.pool, false).await.unwrap();
    assert_eq!(report.total_differences(), 0);
}
