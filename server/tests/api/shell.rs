//! The app shell: pages render without JavaScript, unknown pages are 404,
//! health endpoints answer.

use crate::helpers::spawn_app;

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
    let res = app.client.get(app.url("/healthz")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(res.headers()["x-frame-options"], "DENY");
    let res = app
        .client
        .get(app.url("/pkg/proofwork.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(res.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/css"));
}
