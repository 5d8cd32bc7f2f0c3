//! `/notifications` and the navigation's unread badges: a comment through
//! the real action makes one notification for the owner, shown in the nav
//! badge and the list, linking to the comment; mark one read and mark all
//! read are the owner's only (someone else's id is 404 and changes
//! nothing); bad ids are 404 and bad cursors 400, never 500.

use crate::helpers::{quiet_app, TestUser, NIL, PROJECT};

/// The number in the navigation badge of `kind`, `None` when hidden.
fn badge(html: &str, kind: &str) -> Option<i64> {
    let at = html.find(&format!(r#"data-unread="{kind}""#))?;
    let tag_start = html[..at].rfind('<')?;
    let tag = &html[tag_start..at + html[at..].find('>')?];
    if tag.contains(" hidden") {
        return None;
    }
    let marker = r#"nav-badge-count">"#;
    let start = at + html[at..].find(marker)? + marker.len();
    html[start..start + html[start..].find('<')?].parse().ok()
}

#[tokio::test]
async fn a_comment_notifies_the_owner_in_the_nav_and_the_list() {
    let app = quiet_app().await;
    let TestUser {
        id: owner_id,
        client: owner,
    } = app.builder("owner").await;
    let fan = app.builder("fan").await.client;
    let id = app.create_project(&owner, PROJECT).await;

    let (_, html) = app.get(&owner, "/").await;
    assert_eq!(badge(&html, "notifications"), None, "no badge at zero");
    assert!(html.contains(r#"href="/inbox""#) && html.contains(r#"href="/intros""#));

    app.submit(
        &fan,
        "/api/comment",
        &format!("/p/{id}"),
        &[("project_id", id.as_str()), ("content", "Lovely work")],
    )
    .await;
    assert_eq!(
        app.count(&format!(
            "select count(*) from notifications where user_id = '{owner_id}' and kind = 'comment'"
        ))
        .await,
        1
    );
    let (_, html) = app.get(&owner, "/dashboard").await;
    assert_eq!(badge(&html, "notifications"), Some(1));
    assert!(html.contains(r#"aria-label="Notifications, 1 unread""#));
    assert!(html.contains(r#"dash-unread-notifications">1<"#));
    // The commenter is not told about their own comment.
    let (_, html) = app.get(&fan, "/").await;
    assert_eq!(badge(&html, "notifications"), None);

    let (status, html) = app.get(&owner, "/notifications").await;
    assert_eq!(status, 200);
    assert!(html.contains("fan commented on your project"));
    assert!(html.contains(&format!("/p/{id}#comment-")));
    assert!(html.contains(r#"aria-current="page""#));
    let nid: String = sqlx::query_scalar("select id::text from notifications")
        .fetch_one(&app.pool)
        .await
        .unwrap();

    // Someone else cannot mark it read.
    assert_eq!(
        app.call(&fan, "/api/notification_read", &[("id", nid.as_str())])
            .await,
        404
    );
    assert_eq!(
        app.count("select count(*) from notifications where not is_read")
            .await,
        1
    );

    assert_eq!(
        app.submit(
            &owner,
            "/api/notification_read",
            "/notifications",
            &[("id", nid.as_str())]
        )
        .await,
        format!("/notifications#n-{nid}")
    );
    let (_, html) = app.get(&owner, "/notifications").await;
    assert_eq!(badge(&html, "notifications"), None);
    assert!(html.contains(r#"notifications-unread">0<"#));
}

#[tokio::test]
async fn mark_all_read_is_the_owners_only() {
    let app = quiet_app().await;
    let TestUser {
        id: a_id,
        client: a,
    } = app.builder("alice").await;
    let TestUser {
        id: b_id,
        client: b,
    } = app.builder("bob").await;
    for uid in [a_id, a_id, b_id] {
        sqlx::query(
            "insert into notifications (user_id, kind, message) values ($1, 'system', 'hi')",
        )
        .bind(uid)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    let (_, html) = app.get(&a, "/").await;
    assert_eq!(badge(&html, "notifications"), Some(2));
    app.submit(&a, "/api/notifications_read_all", "/notifications", &[])
        .await;
    assert_eq!(
        app.count(&format!(
            "select count(*) from notifications where user_id = '{a_id}' and not is_read"
        ))
        .await,
        0
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from notifications where user_id = '{b_id}' and not is_read"
        ))
        .await,
        1
    );
    let (_, html) = app.get(&b, "/").await;
    assert_eq!(badge(&html, "notifications"), Some(1));
}

#[tokio::test]
async fn bad_ids_are_404_and_bad_cursors_400() {
    let app = quiet_app().await;
    let me = app.builder("reader").await.client;
    for id in [NIL, "nope", ""] {
        assert_eq!(
            app.call(&me, "/api/notification_read", &[("id", id)]).await,
            404,
            "{id:?}"
        );
    }
    assert_eq!(app.call(&me, "/api/notification_read", &[]).await, 400);
    let (status, _) = app.get(&me, "/notifications?after=garbage").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn pages_are_keyset_newest_first() {
    let app = quiet_app().await;
    let TestUser {
        id: uid,
        client: me,
    } = app.builder("reader").await;
    sqlx::query(
        "insert into notifications (user_id, kind, message, created_at) \
         select $1, 'system', 'note ' || i, now() - i * interval '1 minute' \
         from generate_series(1, 25) i",
    )
    .bind(uid)
    .execute(&app.pool)
    .await
    .unwrap();
    let (_, html) = app.get(&me, "/notifications").await;
    assert!(html.contains(">note 1<") && html.contains(">note 20<"));
    assert!(!html.contains(">note 21<"));
    assert!(html.find(">note 1<").unwrap() < html.find(">note 2<").unwrap());
    let at = html.find("/notifications?after=").expect("next page link");
    let href = &html[at..at + html[at..].find('"').unwrap()];
    let (status, html) = app.get(&me, href).await;
    assert_eq!(status, 200);
    assert!(html.contains(">note 21<") && html.contains(">note 25<"));
    assert!(!html.contains(">note 20<"));
}
