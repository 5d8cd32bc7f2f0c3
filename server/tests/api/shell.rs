//! The app shell: pages render without JavaScript, unknown pages are 404,
//! health endpoints answer.

use crate::helpers::{content_type, spawn_app};

#[tokio::test]
async fn pages_render_complete_html_without_javascript() {
    let app = spawn_app().await;
    for (path, marker) in [
        ("/", "Show the work"),
        ("/login", "name=\"login\""),
        ("/signup", "name=\"username\""),
    ] {
        let (status, html) = app.get_html(path).await;
        assert_eq!(status, 200, "{path}");
        assert!(html.contains(marker), "{path} is rendered on the server");
        assert!(
            !html.contains("Loading"),
            "{path} must not stream placeholders"
        );
        assert!(html.contains("<html lang=\"en\""), "{path}");
    }
    let (_, html) = app.get_html("/signup").await;
    assert!(
        html.contains(r#"<label for="username""#),
        "inputs are labelled"
    );
}

#[tokio::test]
async fn unknown_pages_are_404_with_a_page() {
    let app = spawn_app().await;
    let (status, html) = app.get_html("/no-such-page").await;
    assert_eq!(status, 404);
    assert!(html.contains("Page not found"));
}

#[tokio::test]
async fn health_endpoints_and_security_headers() {
    let app = spawn_app().await;
    app.get_plain(&app.client, "/healthz").await;
    let res = app.get_plain(&app.client, "/readyz").await;
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    let res = app.get_plain(&app.client, "/pkg/proofwork.css").await;
    assert!(content_type(&res).starts_with("text/css"));
}
