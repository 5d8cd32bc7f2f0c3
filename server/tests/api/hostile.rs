//! Hostile input that passes our own validation but not PostgreSQL's: a
//! NUL character is valid UTF-8 yet no `text` value can hold it. It must be
//! a 400 with nothing written, never a 500 (found by hand: `/inbox/%00`
//! and a message holding "\0" both answered 500).

use crate::helpers::{project_with, spawn_app};

#[tokio::test]
async fn a_nul_character_is_a_bad_request_and_nothing_is_written() {
    let app = spawn_app().await;
    let alice = app.builder("nul_alice").await.client;
    app.builder("nul_bob").await;

    // In the address (search strips it instead: see its own test).
    for path in ["/inbox/%00", "/inbox/nul_bob%00"] {
        let (status, body) = app.get(&alice, path).await;
        assert_eq!(status, 400, "{path}");
        assert!(
            body.contains("NUL"),
            "{path}: the message says what was wrong"
        );
    }

    // In a form field that reaches the database: 400, nothing stored.
    let messages = app.count("select count(*) from direct_messages").await;
    let res = app
        .post(
            &alice,
            "/api/send_message",
            None,
            &[("to", "nul_bob"), ("message", "hello\0there")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 400);
    assert!(res.text().await.unwrap().contains("NUL"));
    assert_eq!(
        app.count("select count(*) from direct_messages").await,
        messages
    );

    let projects = app.count("select count(*) from projects").await;
    assert_eq!(
        app.call(
            &alice,
            "/api/create_project",
            &project_with("title", "a\0b")
        )
        .await,
        400
    );
    assert_eq!(app.count("select count(*) from projects").await, projects);

    // The same input without the NUL goes through.
    let res = app
        .post(
            &alice,
            "/api/send_message",
            None,
            &[("to", "nul_bob"), ("message", "hello there")],
        )
        .await;
    assert!(
        res.status().is_success() || res.status().is_redirection(),
        "{}",
        res.status()
    );
    assert_eq!(
        app.count("select count(*) from direct_messages").await,
        messages + 1
    );
}

/// A failed browser post goes back to its page with the error in the
/// address; a direct post of huge values must not make an address of
/// hundreds of kilobytes (found by posting 200,000 characters to the page
/// loaders: response headers over 64 KiB).
#[tokio::test]
async fn a_huge_value_never_becomes_a_huge_redirect() {
    let app = spawn_app().await;
    let alice = app.builder("huge_alice").await.client;
    let huge = "y".repeat(200_000);
    for (path, form) in [
        (
            "/api/feed",
            vec![
                ("tab", huge.as_str()),
                ("period", "x"),
                ("category", "x"),
                ("after", "x"),
            ],
        ),
        ("/api/notifications", vec![("after", huge.as_str())]),
        ("/api/inbox", vec![("after", huge.as_str())]),
    ] {
        let res = app.post(&alice, path, Some("/"), &form).await;
        let status = res.status().as_u16();
        let location = res.headers().get("location").map(|l| l.len()).unwrap_or(0);
        assert!(location <= 8 * 1024, "{path}: a {location}-byte address");
        assert!(
            (400..500).contains(&status) || status == 302,
            "{path}: {status}"
        );
    }
    // A normal failed post still goes back to its page (the error waits
    // in the session, not in the address).
    let res = app
        .post(
            &alice,
            "/api/send_message",
            Some("/inbox/nobody"),
            &[("to", "nobody"), ("message", "hi")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 302);
    assert_eq!(res.headers()["location"], app.url("/inbox/nobody"));
}
