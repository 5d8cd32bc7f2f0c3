//! `/notifications` and the navigation's unread badges: a comment through
//! the real action makes one notification for the owner, shown in the nav
//! badge and the list, linking to the comment; mark one read and mark all
//! read are the owner's only (someone else's id is 404 and changes
//! nothing); signed out is a log-in redirect or 401; bad ids are 404 and
//! bad cursors 400, never 500.

use crate::chains::{location, post};
use crate::feed::{get, new_client};
use crate::my_projects::{app, builder, create, GOOD, NIL};

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
    let app = app().await;
    let (owner_id, owner) = builder(&app, "owner").await;
    let (_, fan) = builder(&app, "fan").await;
    let id = create(&app, &owner, GOOD).await;

    let (_, html) = get(&app, &owner, "/").await;
    assert_eq!(badge(&html, "notifications"), None, "no badge at zero");
    assert!(html.contains(r#"href="/inbox""#) && html.contains(r#"href="/intros""#));

    let res = post(
        &app,
        &fan,
        "/api/comment",
        Some(&format!("/p/{id}")),
        &[("project_id", id.as_str()), ("content", "Lovely work")],
    )
    .await;
    assert_eq!(res.status().as_u16(), 302);
    assert_eq!(
        app.count(&format!(
            "select count(*) from notifications where user_id = '{owner_id}' and kind = 'comment'"
        ))
        .await,
        1
    );
    let (_, html) = get(&app, &owner, "/dashboard").await;
    assert_eq!(badge(&html, "notifications"), Some(1));
    assert!(html.contains(r#"aria-label="Notifications, 1 unread""#));
    assert!(html.contains(r#"dash-unread-notifications">1<"#));
    // The commenter is not told about their own comment.
    let (_, html) = get(&app, &fan, "/").await;
    assert_eq!(badge(&html, "notifications"), None);

    let (status, html) = get(&app, &owner, "/notifications").await;
    assert_eq!(status, 200);
    assert!(html.contains("fan commented on your project"));
    assert!(html.contains(&format!("/p/{id}#comment-")));
    assert!(html.contains(r#"aria-current="page""#));
    let nid: String = sqlx::query_scalar("select id::text from notifications")
        .fetch_one(&app.pool)
        .await
        .unwrap();

    // Someone else cannot mark it read.
    let res = post(
        &app,
        &fan,
        "/api/notification_read",
        None,
        &[("id", nid.as_str())],
    )
    .await;
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(
        app.count("select count(*) from notifications where not is_read")
            .await,
        1
    );

    let res = post(
        &app,
        &owner,
        "/api/notification_read",
        Some("/notifications"),
        &[("id", nid.as_str())],
    )
    .await;
    assert_eq!(res.status().as_u16(), 302);
    assert_eq!(location(&res), format!("/notifications#n-{nid}"));
    let (_, html) = get(&app, &owner, "/notifications").await;
    assert_eq!(badge(&html, "notifications"), None);
    assert!(html.contains(r#"notifications-unread">0<"#));
}

#[tokio::test]
async fn mark_all_read_is_the_owners_only() {
    let app = app().await;
    let (a_id, a) = builder(&app, "alice").await;
    let (b_id, b) = builder(&app, "bob").await;
    for uid in [a_id, a_id, b_id] {
        sqlx::query(
            "insert into notifications (user_id, kind, message) values ($1, 'system', 'hi')",
        )
        .bind(uid)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    let (_, html) = get(&app, &a, "/").await;
    assert_eq!(badge(&html, "notifications"), Some(2));
    let res = post(
        &app,
        &a,
        "/api/notifications_read_all",
        Some("/notifications"),
        &[],
    )
    .await;
    assert_eq!(res.status().as_u16(), 302);
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
    let (_, html) = get(&app, &b, "/").await;
    assert_eq!(badge(&html, "notifications"), Some(1));
}

#[tokio::test]
async fn signed_out_and_bad_ids_are_4xx() {
    let app = app().await;
    let (_, me) = builder(&app, "reader").await;
    let anon = new_client();
    let res = anon
        .get(app.url("/notifications"))
        .header("accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 302);
    assert_eq!(location(&res), "/login?next=/notifications");
    let res = post(&app, &anon, "/api/notification_read", None, &[("id", NIL)]).await;
    assert_eq!(res.status().as_u16(), 401);
    let res = post(&app, &anon, "/api/notifications_read_all", None, &[]).await;
    assert_eq!(res.status().as_u16(), 401);
    // The signed-out navigation has no personal links.
    let (_, html) = get(&app, &anon, "/").await;
    assert!(!html.contains(r#"href="/notifications""#));

    for id in [NIL, "nope", ""] {
        let res = post(&app, &me, "/api/notification_read", None, &[("id", id)]).await;
        assert_eq!(res.status().as_u16(), 404, "{id:?}");
    }
    let res = post(&app, &me, "/api/notification_read", None, &[]).await;
    assert_eq!(res.status().as_u16(), 400);
    let (status, _) = get(&app, &me, "/notifications?after=garbage").await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn pages_are_keyset_newest_first() {
    let app = app().await;
    let (uid, me) = builder(&app, "reader").await;
    sqlx::query(
        "insert into notifications (user_id, kind, message, created_at) \
         select $1, 'system', 'note ' || i, now() - i * interval '1 minute' \
         from generate_series(1, 25) i",
    )
    .bind(uid)
    .execute(&app.pool)
    .await
    .unwrap();
    let (_, html) = get(&app, &me, "/notifications").await;
    assert!(html.contains(">note 1<") && html.contains(">note 20<"));
    assert!(!html.contains(">note 21<"));
    assert!(html.find(">note 1<").unwrap() < html.find(">note 2<").unwrap());
    let at = html.find("/notifications?after=").expect("next page link");
    let href = &html[at..at + html[at..].find('"').unwrap()];
    let (status, html) = get(&app, &me, href).await;
    assert_eq!(status, 200);
    assert!(html.contains(">note 21<") && html.contains(">note 25<"));
    assert!(!html.contains(">note 20<"));
}
