//! `GET /events/unread`: a server-sent event stream that sends the unread counts at once and again when a message
//! or a notification arrives (through the trigger's NOTIFY, the server's
//! one LISTEN connection and the user's watch channel), read with a real
//! HTTP client.

use std::time::Duration;

use uuid::Uuid;

use crate::helpers::{content_type, new_client, quiet_app, TestApp, TestUser};

/// Reads the stream until the next `unread` event; its data.
async fn next_event(res: &mut reqwest::Response, buf: &mut String) -> String {
    loop {
        if let Some(end) = buf.find("\n\n") {
            let block: String = buf.drain(..end + 2).collect();
            if let Some(data) = block
                .lines()
                .find_map(|l| l.strip_prefix("data: ").or_else(|| l.strip_prefix("data:")))
            {
                assert!(block.contains("event: unread"), "{block}");
                return data.trim().to_string();
            }
            continue; // a keep-alive comment
        }
        let chunk = tokio::time::timeout(Duration::from_secs(10), res.chunk())
            .await
            .expect("an event within 10 s")
            .unwrap()
            .expect("stream open");
        buf.push_str(std::str::from_utf8(&chunk).unwrap());
    }
}

/// A direct message from `from` to `to`, written in the database.
async fn message(app: &TestApp, from: Uuid, to: Uuid, text: &str) {
    app.exec(&format!(
        "insert into direct_messages (sender_id, recipient_id, message) \
         values ('{from}', '{to}', '{text}')"
    ))
    .await;
}

#[tokio::test]
async fn counts_arrive_on_connect_and_on_every_change() {
    let app = quiet_app().await;
    let TestUser { id: me, client } = app.builder("listener").await;
    let other = app.builder("sender").await.id;
    let mut res = client
        .get(app.url("/events/unread"))
        .header("accept", "text/event-stream")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(content_type(&res).starts_with("text/event-stream"));
    let mut buf = String::new();
    assert_eq!(
        next_event(&mut res, &mut buf).await,
        r#"{"messages":0,"notifications":0}"#
    );

    message(&app, other, me, "hi").await;
    assert_eq!(
        next_event(&mut res, &mut buf).await,
        r#"{"messages":1,"notifications":0}"#
    );

    let project: Uuid = sqlx::query_scalar(
        "insert into projects (user_id, title) values ($1, 'Mine') returning id",
    )
    .bind(me)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    sqlx::query("insert into comments (project_id, user_id, content) values ($1, $2, 'nice')")
        .bind(project)
        .bind(other)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        next_event(&mut res, &mut buf).await,
        r#"{"messages":1,"notifications":1}"#
    );

    // Someone else's changes send nothing to this stream.
    message(&app, me, other, "back").await;
    sqlx::query("update direct_messages set is_read = true where recipient_id = $1")
        .bind(me)
        .execute(&app.pool)
        .await
        .unwrap();
    assert_eq!(
        next_event(&mut res, &mut buf).await,
        r#"{"messages":0,"notifications":1}"#
    );
}

#[tokio::test]
async fn the_script_is_served() {
    let app = quiet_app().await;
    let res = app.get_plain(&new_client(), "/unread.js").await;
    assert!(content_type(&res).contains("javascript"));
    assert!(res.text().await.unwrap().contains("/events/unread"));
}
