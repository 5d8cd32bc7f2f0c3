//! Hardening that applies to every page: signed-in pages are never kept by
//! a shared cache, text cannot carry bidirectional overrides that make it
//! display as something else, and an instance that is shutting down tells
//! its balancer at once while it finishes what it serves.

use std::time::Duration;

use crate::helpers::{new_client, spawn_app_with, TestApp};

async fn demo_app(extra: &[&str]) -> TestApp {
    let mut args = vec![
        "--demo-data",
        "--demo-scale",
        "0.01",
        "--refresher",
        "false",
    ];
    args.extend_from_slice(extra);
    spawn_app_with(&args).await
}

#[tokio::test]
async fn every_signed_in_page_is_private_and_never_stored() {
    let app = demo_app(&[]).await;
    let project: String = sqlx::query_scalar(
        "SELECT id::text FROM projects WHERE NOT is_deleted ORDER BY created_at LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let client = new_client();
    app.log_in(&client, "demo_builder").await;
    for path in [
        "/".to_string(),
        format!("/p/{project}"),
        "/dashboard".into(),
        "/inbox".into(),
        "/notifications".into(),
        "/me/projects".into(),
        "/intros".into(),
        "/leaderboard".into(),
        "/chains".into(),
        "/search?q=demo".into(),
        "/u/demo_builder".into(),
        "/no-such-page".into(),
    ] {
        let res = app.fetch(&client, &path).await;
        let cache = res
            .headers()
            .get("cache-control")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        assert!(
            cache.contains("private") && cache.contains("no-store"),
            "{path}: cache-control {cache:?}"
        );
    }
    // Signed out, the public pages may be cached.
    let (status, _) = app.get(&app.client, "/").await;
    assert_eq!(status, 200);
    let res = app.client.get(app.url("/")).send().await.unwrap();
    assert!(res
        .headers()
        .get("cache-control")
        .is_none_or(|v| !v.to_str().unwrap().contains("private")));
}

/// U+202E (right-to-left override) makes "\u{202E}gnp.exe" display as
/// "exe.png". Overrides and isolates are removed from every posted form
/// field before any action reads it.
#[tokio::test]
async fn bidirectional_overrides_are_removed_from_what_is_posted() {
    let app = demo_app(&[]).await;
    let client = new_client();
    app.log_in(&client, "demo_builder").await;
    let res = client
        .post(app.url("/api/create_project"))
        .headers(app.browser_headers())
        .header("referer", app.url("/me/projects/new"))
        .form(&[
            ("title", "\u{202E}gnp.exe report"),
            (
                "description",
                "left \u{2067}right\u{2069} \u{202D}end\u{202C}",
            ),
            ("link", "https://example.org/x"),
            ("category", "other"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 302, "created");
    let (title, description): (String, String) = sqlx::query_as(
        "SELECT title, description FROM projects WHERE title LIKE '%gnp.exe report' LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .expect("the project was written");
    assert_eq!(title, "gnp.exe report");
    assert_eq!(description, "left right end");
}

/// Once shutdown begins, `/readyz` answers 503 at once so a balancer stops
/// sending new requests, while the instance keeps serving for the drain
/// period; then it stops.
#[tokio::test]
async fn readyz_says_503_as_soon_as_shutdown_begins_and_pages_still_answer() {
    let app = demo_app(&["--shutdown-drain-secs", "2"]).await;
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    app.shutdown.begin();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 503);
    assert_eq!(res.text().await.unwrap(), "shutting down");
    let res = app.client.get(app.url("/login")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200, "still serving while draining");
    // After the drain the listener is closed.
    let mut stopped = false;
    for _ in 0..50 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        if new_client().get(app.url("/livez")).send().await.is_err() {
            stopped = true;
            break;
        }
    }
    assert!(stopped, "the server stopped after draining");
}
