//! `/dashboard`: the signed-in user's row of `user_dashboard_stats`, with
//! the real column values shown (every counter, not just projects).

use crate::helpers::{quiet_app, TestUser};

#[tokio::test]
async fn shows_every_counter_of_the_users_row() {
    let app = quiet_app().await;
    let TestUser { id: me, client } = app.builder("counted").await;
    let other = app.builder("other").await.id;
    // Give the row distinct values through real writes (the triggers).
    let p: uuid::Uuid =
        sqlx::query_scalar("insert into projects (user_id, title) values ($1, 'P') returning id")
            .bind(me)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    for sql in [
        "insert into comments (project_id, user_id, content) values ($1, $2, 'mine')",
        "insert into comments (project_id, user_id, content) values ($1, $3, 'theirs')",
        "insert into direct_messages (sender_id, recipient_id, message) select $3, $2, 'hi' where $1 is not null",
        "insert into direct_messages (sender_id, recipient_id, message) select $3, $2, 'again' where $1 is not null",
        "insert into intro_requests (investor_id, builder_id) select $3, $2 where $1 is not null",
    ] {
        sqlx::query(sql)
            .bind(p)
            .bind(me)
            .bind(other)
            .execute(&app.pool)
            .await
            .unwrap();
    }
    let (status, html) = app.get(&client, "/dashboard").await;
    assert_eq!(status, 200);
    for (class, n) in [
        ("dash-projects", 1),
        ("dash-active-projects", 1),
        ("dash-comments", 1),
        ("dash-unread-messages", 2),
        // The comment and the intro request.
        ("dash-unread-notifications", 2),
        ("dash-intros-received", 1),
        ("dash-intros-pending", 1),
        ("dash-intros-sent", 0),
    ] {
        assert!(html.contains(&format!(r#"{class}">{n}<"#)), "{class} = {n}");
    }
    assert!(html.contains(r#"<th scope="row">"#));
}
