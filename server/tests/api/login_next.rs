//! Logging in returns to where you were: `/login?next=<path>` keeps `next`
//! in the form and a successful log-in redirects there, but only to a path
//! on this site; anything else (other hosts, schemes, `//`, `/\`, control
//! characters) goes to `/`.

use crate::helpers::{new_client, seeded_app, TestApp};

async fn log_in_with_next(app: &TestApp, next: Option<&str>) -> (u16, String) {
    let client = new_client();
    let mut form = vec![
        ("login", "demo_builder"),
        ("password", data::seed::DEMO_PASSWORD),
    ];
    if let Some(next) = next {
        form.push(("next", next));
    }
    let res = app.post(&client, "/api/login", Some("/login"), &form).await;
    let status = res.status().as_u16();
    let location = res
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default();
    (status, location)
}

#[tokio::test]
async fn a_signed_out_upvote_logs_in_and_comes_back_to_the_project() {
    let app = seeded_app().await;
    let id: String =
        sqlx::query_scalar("select id::text from mv_project_details order by id limit 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let client = new_client();
    let project = format!("/p/{id}");
    let login = app
        .submit(
            &client,
            "/api/upvote",
            &project,
            &[("project_id", id.as_str())],
        )
        .await;
    assert_eq!(login, format!("/login?next={project}"));

    // The log-in page keeps `next` in the form.
    let res = app.fetch(&client, &login).await;
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    assert!(
        html.contains(&format!(
            r#"<input type="hidden" name="next" value="{project}""#
        )),
        "hidden next field"
    );

    // A failed attempt comes back to the form, still with `next`.
    let mut form = [
        ("login", "demo_builder"),
        ("password", "wrong"),
        ("next", project.as_str()),
    ];
    let back = app.submit(&client, "/api/login", &login, &form).await;
    assert!(back.contains(&login), "{back}");

    form[1].1 = data::seed::DEMO_PASSWORD;
    assert_eq!(
        app.submit(&client, "/api/login", &login, &form).await,
        project
    );
    // Signed in on arrival: the page offers the comment form.
    let res = app.fetch(&client, &project).await;
    assert_eq!(res.status().as_u16(), 200);
    let html = res.text().await.unwrap();
    assert!(html.contains("demo_builder"));
    assert!(
        html.contains(r#"name="content""#),
        "signed in: the comment form"
    );
}

#[tokio::test]
async fn next_goes_only_to_paths_on_this_site() {
    let app = seeded_app().await;
    for ok in ["/", "/leaderboard?tab=builders", "/u/demo_builder#projects"] {
        assert_eq!(
            log_in_with_next(&app, Some(ok)).await,
            (302, ok.to_string()),
            "{ok}"
        );
    }
    for bad in [
        "",
        "//evil.example/",
        "///evil.example/",
        "/\\evil.example/",
        "\\\\evil.example",
        "https://evil.example/",
        "http:/evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/\t/evil.example",
        "/\r\n/evil.example",
        "/%0d%0aSet-Cookie:x=y",
        "/é",
    ] {
        let (status, location) = log_in_with_next(&app, Some(bad)).await;
        assert_eq!(status, 302, "{bad:?}");
        if bad == "/%0d%0aSet-Cookie:x=y" {
            // Percent-encoded: a harmless path on this site, kept as is.
            assert_eq!(location, bad);
        } else {
            assert_eq!(location, "/", "{bad:?} must not be followed");
        }
    }
    assert_eq!(log_in_with_next(&app, None).await, (302, "/".to_string()));
}
