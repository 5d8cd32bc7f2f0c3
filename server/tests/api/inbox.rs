//! Direct messages: `/inbox`, `/inbox/<username>`, `send_message` and
//! `conversation_read`. Only the two participants ever read a
//! conversation; opening it (a GET) changes nothing, while a same-site
//! "Mark as read" post or a reply marks the viewer's incoming messages
//! read and the trigger-maintained counts (`message_conversations_denorm`,
//! `user_dashboard_stats`) go down exactly; bad input is 4xx with nothing
//! written; the sending limit holds exactly under parallel sends.

use std::time::Duration;

use crate::helpers::{location, new_client, next_href, spawn_app, TestApp};

/// The unread count `user` has from `other` in the conversation table.
async fn unread(app: &TestApp, user: &str, other: &str) -> i64 {
    app.count(&format!(
        "select coalesce((select unread_count::bigint from message_conversations_denorm c \
             join users u on u.id = c.user_id join users o on o.id = c.other_user_id \
             where u.username = '{user}' and o.username = '{other}'), -1)"
    ))
    .await
}

async fn dashboard_unread(app: &TestApp, user: &str) -> i64 {
    app.count(&format!(
        "select unread_messages::bigint from user_dashboard_stats s join users u \
             on u.id = s.user_id where u.username = '{user}'"
    ))
    .await
}

/// The unread count shown on a user's inbox row for `other`.
pub fn row_unread(html: &str, other: &str) -> i64 {
    let at = html
        .find(&format!(r#"id="conv-{other}""#))
        .unwrap_or_else(|| panic!("row for {other}"));
    let rest = &html[at..];
    let marker = r#"class="unread-count""#;
    let start = rest.find(marker).unwrap();
    let rest = &rest[start..];
    let gt = rest.find('>').unwrap() + 1;
    rest[gt..gt + rest[gt..].find('<').unwrap()]
        .parse()
        .unwrap()
}

/// The unread-messages count in the navigation of a page (0 when the
/// badge is hidden).
fn nav_unread(html: &str) -> i64 {
    let at = html
        .find(r#"data-unread="messages""#)
        .expect("the inbox badge in the navigation");
    let rest = &html[at..];
    let marker = r#"class="nav-badge-count">"#;
    let start = rest.find(marker).unwrap() + marker.len();
    rest[start..start + rest[start..].find('<').unwrap()]
        .parse()
        .unwrap()
}

/// Posts "Mark as read" for the conversation with `other` like a browser
/// on that page.
async fn mark_read(app: &TestApp, client: &reqwest::Client, other: &str) -> reqwest::Response {
    app.post(
        client,
        "/api/conversation_read",
        Some(&format!("/inbox/{other}")),
        &[("username", other)],
    )
    .await
}

async fn send(app: &TestApp, client: &reqwest::Client, to: &str, text: &str) -> reqwest::Response {
    app.post(
        client,
        "/api/send_message",
        Some(&format!("/inbox/{to}")),
        &[("to", to), ("message", text)],
    )
    .await
}

/// Sends a message as an API client; the status of the answer.
async fn send_status(app: &TestApp, client: &reqwest::Client, to: &str, text: &str) -> u16 {
    app.call(
        client,
        "/api/send_message",
        &[("to", to), ("message", text)],
    )
    .await
}

#[tokio::test]
async fn messages_flow_and_unread_counts_are_exact() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice_dm").await;
    let bob = app.sign_up("bob_dm").await;

    let res = send(&app, &alice, "bob_dm", "  Hello Bob  ").await;
    assert_eq!(res.status().as_u16(), 302);
    assert!(location(&res).starts_with("/inbox/bob_dm#m-"));
    let res = send(&app, &alice, "bob_dm", "Second note").await;
    assert_eq!(res.status().as_u16(), 302);
    assert_eq!(
        app.count("select count(*) from direct_messages where message = 'Hello Bob'")
            .await,
        1,
        "stored trimmed"
    );
    assert_eq!(unread(&app, "bob_dm", "alice_dm").await, 2);
    assert_eq!(unread(&app, "alice_dm", "bob_dm").await, 0);
    assert_eq!(dashboard_unread(&app, "bob_dm").await, 2);

    let (status, html) = app.get(&bob, "/inbox").await;
    assert_eq!(status, 200);
    assert_eq!(row_unread(&html, "alice_dm"), 2);
    assert!(html.contains("Second note"));
    let (_, html) = app.get(&alice, "/inbox").await;
    assert_eq!(row_unread(&html, "bob_dm"), 0);
    assert!(html.contains("You: "));

    // Opening the conversation shows both, new, and reads nothing.
    let (status, html) = app.get(&bob, "/inbox/alice_dm").await;
    assert_eq!(status, 200);
    assert!(html.contains("Hello Bob") && html.contains("Second note"));
    assert!(html.find("Hello Bob").unwrap() < html.find("Second note").unwrap());
    assert_eq!(html.matches("message theirs unread").count(), 2);
    assert!(html.contains(">Mark as read<"));
    assert_eq!(unread(&app, "bob_dm", "alice_dm").await, 2);
    // "Mark as read": exactly 2 down, to 0.
    let res = mark_read(&app, &bob, "alice_dm").await;
    assert_eq!(res.status().as_u16(), 302);
    assert!(location(&res).starts_with("/inbox/alice_dm"));
    assert_eq!(unread(&app, "bob_dm", "alice_dm").await, 0);
    assert_eq!(dashboard_unread(&app, "bob_dm").await, 0);
    let (_, html) = app.get(&bob, "/inbox").await;
    assert_eq!(row_unread(&html, "alice_dm"), 0);
    // Bob's reply is new to Alice; her reply marks it read, and leaves
    // Bob's count and her sent messages alone.
    let res = send(&app, &bob, "alice_dm", "Hi Alice").await;
    assert_eq!(res.status().as_u16(), 302);
    assert_eq!(dashboard_unread(&app, "alice_dm").await, 1);
    app.get(&alice, "/inbox/bob_dm").await;
    assert_eq!(dashboard_unread(&app, "alice_dm").await, 1);
    let res = send(&app, &alice, "bob_dm", "Thanks Bob").await;
    assert_eq!(res.status().as_u16(), 302);
    assert_eq!(dashboard_unread(&app, "alice_dm").await, 0);
    assert_eq!(dashboard_unread(&app, "bob_dm").await, 1);
    mark_read(&app, &bob, "alice_dm").await;
    assert_eq!(
        app.count("select count(*) from direct_messages where not is_read")
            .await,
        0
    );

    // Signed out: 401, nothing readable.
    let anon = new_client();
    assert_eq!(app.get(&anon, "/inbox").await.0, 401);
    let (status, html) = app.get(&anon, "/inbox/alice_dm").await;
    assert_eq!(status, 401);
    assert!(!html.contains("Hello Bob"));
    assert_eq!(send_status(&app, &anon, "bob_dm", "hi").await, 401);
    assert_eq!(app.count("select count(*) from direct_messages").await, 4);
}

#[tokio::test]
async fn a_third_user_never_reads_or_marks_the_pair_s_messages() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice_3p").await;
    let _bob = app.sign_up("bob_3p").await;
    let carol = app.sign_up("carol_3p").await;
    send(&app, &alice, "bob_3p", "secret for bob").await;
    let id: String = sqlx::query_scalar("select id::text from direct_messages limit 1")
        .fetch_one(&app.pool)
        .await
        .unwrap();

    // Carol's /inbox/alice is her own (empty) conversation with Alice.
    for path in ["/inbox/alice_3p", "/inbox/bob_3p", "/inbox"] {
        let (status, html) = app.get(&carol, path).await;
        assert_eq!(status, 200, "{path}");
        assert!(!html.contains("secret for bob"), "{path}");
    }
    // No route takes a message id.
    for path in [
        format!("/inbox/{id}"),
        format!("/inbox/alice_3p/{id}"),
        format!("/api/conversation?username={id}"),
    ] {
        let (status, html) = app.get(&carol, &path).await;
        assert!((400..500).contains(&status), "{path}: {status}");
        assert!(!html.contains("secret for bob"), "{path}");
    }
    // The server function answers for the caller only.
    let res = carol
        .post(app.url("/api/conversation"))
        .form(&[("username", "bob_3p")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(!res.text().await.unwrap().contains("secret for bob"));
    // Still unread for Bob: nothing Carol did marked it.
    assert_eq!(
        app.count("select count(*) from direct_messages where not is_read")
            .await,
        1
    );
    assert_eq!(unread(&app, "bob_3p", "alice_3p").await, 1);
    assert_eq!(unread(&app, "carol_3p", "alice_3p").await, -1);
}

#[tokio::test]
async fn bad_messages_are_refused_and_nothing_is_written() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice_bad").await;
    let _bob = app.sign_up("bob_bad").await;
    let gone = app.sign_up("gone_bad").await;
    drop(gone);
    app.exec("update users set is_active = false where username = 'gone_bad'")
        .await;
    let long = "x".repeat(5001);
    let cases: [(&str, &str, u16, &str); 6] = [
        ("bob_bad", "   ", 422, "Write a message."),
        ("bob_bad", &long, 422, "at most 5000 characters"),
        ("alice_bad", "me", 422, "yourself"),
        ("nobody_here", "hi", 422, "no active user"),
        ("gone_bad", "hi", 422, "no active user"),
        ("", "hi", 422, "no active user"),
    ];
    for (to, text, status, needle) in cases {
        // API client: the status.
        assert_eq!(send_status(&app, &alice, to, text).await, status, "{to}");
        if to.is_empty() {
            continue;
        }
        // Browser: back to the form, the message at the field, 4xx page.
        let (page_status, html) = app
            .refused_form(
                &alice,
                "/api/send_message",
                &format!("/inbox/{to}"),
                &[("to", to), ("message", text)],
            )
            .await;
        if to == "bob_bad" {
            assert_eq!(page_status, status, "{to}");
            assert!(
                html.contains("field-error") && html.contains(needle),
                "{to}: {needle}"
            );
        } else {
            assert!((400..500).contains(&page_status), "{to}");
        }
    }
    // A missing field is 400, not 500.
    assert_eq!(
        app.call(&alice, "/api/send_message", &[("to", "bob_bad")])
            .await,
        400
    );
    assert_eq!(app.count("select count(*) from direct_messages").await, 0);
    assert_eq!(
        app.count("select count(*) from message_conversations_denorm")
            .await,
        0
    );
    // Unknown user page and malformed cursor.
    assert_eq!(app.get(&alice, "/inbox/nobody_here").await.0, 404);
    assert_eq!(app.get(&alice, "/inbox/bob_bad?before=zzz").await.0, 400);
    assert_eq!(app.get(&alice, "/inbox?after=1_2").await.0, 400);
    assert_eq!(app.get(&alice, "/inbox/alice_bad").await.0, 400);
}

#[tokio::test]
async fn conversation_pages_walk_back_in_time() {
    let app = spawn_app().await;
    let _alice = app.sign_up("alice_pg").await;
    let bob = app.sign_up("bob_pg").await;
    // 35 messages inserted directly (the send limit is 30 a minute).
    app.exec(
        "insert into direct_messages (sender_id, recipient_id, message, created_at) \
         select case when g % 2 = 0 then a.id else b.id end, \
                case when g % 2 = 0 then b.id else a.id end, \
                'msg ' || lpad(g::text, 3, '0'), now() - (100 - g) * interval '1 second' \
         from generate_series(1, 35) g, users a, users b \
         where a.username = 'alice_pg' and b.username = 'bob_pg'",
    )
    .await;
    let (status, html) = app.get(&bob, "/inbox/alice_pg").await;
    assert_eq!(status, 200);
    assert!(html.contains("msg 035") && html.contains("msg 006"));
    assert!(!html.contains("msg 005"));
    assert!(html.find("msg 006").unwrap() < html.find("msg 035").unwrap());
    let href = next_href(&html, "Older messages").expect("older link");
    let (status, html) = app.get(&bob, &href).await;
    assert_eq!(status, 200);
    assert!(html.contains("msg 001") && html.contains("msg 005"));
    assert!(!html.contains("msg 006"));
    assert!(!html.contains(">Older messages<"));
    // Reading pages marks nothing: the counts say so exactly.
    assert_eq!(unread(&app, "bob_pg", "alice_pg").await, 17);
    assert_eq!(unread(&app, "alice_pg", "bob_pg").await, 18);
    assert_eq!(dashboard_unread(&app, "alice_pg").await, 18);
}

#[tokio::test]
async fn sending_is_limited_per_sender() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice_rl").await;
    let _bob = app.sign_up("bob_rl").await;
    // 30 messages in the last minute already (the limit).
    app.exec(
        "insert into direct_messages (sender_id, recipient_id, message) \
         select a.id, b.id, 'burst ' || g from generate_series(1, 30) g, users a, users b \
         where a.username = 'alice_rl' and b.username = 'bob_rl'",
    )
    .await;
    assert_eq!(send_status(&app, &alice, "bob_rl", "one more").await, 429);
    assert_eq!(app.count("select count(*) from direct_messages").await, 30);
    // A minute later it is fine again.
    app.exec("update direct_messages set created_at = created_at - interval '2 minutes'")
        .await;
    assert_eq!(send_status(&app, &alice, "bob_rl", "one more").await, 200);
    assert_eq!(app.count("select count(*) from direct_messages").await, 31);
    assert_eq!(unread(&app, "bob_rl", "alice_rl").await, 31);
}

#[tokio::test]
async fn opening_a_conversation_leaves_it_unread() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice_get").await;
    let bob = app.sign_up("bob_get").await;
    send(&app, &alice, "bob_get", "first").await;
    send(&app, &alice, "bob_get", "second").await;

    // A cross-site link or image is a plain GET: it must change nothing.
    for _ in 0..2 {
        let (status, html) = app.get(&bob, "/inbox/alice_get").await;
        assert_eq!(status, 200);
        assert!(html.contains("first") && html.contains("second"));
        assert_eq!(nav_unread(&html), 2, "the navigation still counts both");
    }
    let res = bob
        .get(app.url("/inbox/alice_get"))
        .header("sec-fetch-site", "cross-site")
        .header("sec-fetch-dest", "image")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        app.count("select count(*) from direct_messages where not is_read and read_at is null")
            .await,
        2
    );
    assert_eq!(unread(&app, "bob_get", "alice_get").await, 2);
    assert_eq!(dashboard_unread(&app, "bob_get").await, 2);
    let (_, html) = app.get(&bob, "/inbox").await;
    assert_eq!(row_unread(&html, "alice_get"), 2);
    assert_eq!(nav_unread(&html), 2);
}

#[tokio::test]
async fn mark_as_read_is_a_same_site_post_that_touches_only_the_viewer_s_incoming_messages() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice_mr").await;
    let bob = app.sign_up("bob_mr").await;
    let carol = app.sign_up("carol_mr").await;
    // Inserted directly: sending a reply would mark the other way read.
    app.exec(
        "insert into direct_messages (sender_id, recipient_id, message) \
         select s.id, r.id, m.text from (values \
           ('alice_mr', 'bob_mr', 'a to b 1'), ('alice_mr', 'bob_mr', 'a to b 2'), \
           ('bob_mr', 'alice_mr', 'b to a'), ('carol_mr', 'bob_mr', 'c to b'), \
           ('alice_mr', 'carol_mr', 'a to c')) m (sender, recipient, text) \
         join users s on s.username = m.sender join users r on r.username = m.recipient",
    )
    .await;
    let unread_total = "select count(*) from direct_messages where not is_read";
    assert_eq!(app.count(unread_total).await, 5);

    // A form on another site posting with Bob's cookies: 403, nothing marked.
    for headers in [
        vec![
            ("origin", "https://evil.example"),
            ("sec-fetch-site", "cross-site"),
        ],
        vec![("origin", "https://evil.example")],
        vec![("sec-fetch-site", "same-site")],
    ] {
        let mut req = bob
            .post(app.url("/api/conversation_read"))
            .form(&[("username", "alice_mr")]);
        for (name, value) in headers {
            req = req.header(name, value);
        }
        let res = req.send().await.unwrap();
        assert_eq!(res.status().as_u16(), 403);
    }
    assert_eq!(app.count(unread_total).await, 5);
    assert_eq!(unread(&app, "bob_mr", "alice_mr").await, 2);

    // Carol marking "alice" reads only her own message from Alice; Bob's
    // stay unread.
    let res = mark_read(&app, &carol, "alice_mr").await;
    assert_eq!(res.status().as_u16(), 302);
    assert_eq!(app.count(unread_total).await, 4);
    assert_eq!(unread(&app, "carol_mr", "alice_mr").await, 0);
    assert_eq!(unread(&app, "bob_mr", "alice_mr").await, 2);

    // Bob's own post from the page: back to the conversation, exactly his
    // two messages from Alice read.
    let res = mark_read(&app, &bob, "alice_mr").await;
    assert_eq!(res.status().as_u16(), 302);
    assert!(location(&res).starts_with("/inbox/alice_mr"));
    assert_eq!(
        app.count(
            "select count(*) from direct_messages d join users s on s.id = d.sender_id \
             join users r on r.id = d.recipient_id \
             where d.is_read and d.read_at is not null \
               and s.username = 'alice_mr' and r.username = 'bob_mr'"
        )
        .await,
        2
    );
    assert_eq!(app.count(unread_total).await, 2);
    assert_eq!(unread(&app, "bob_mr", "alice_mr").await, 0);
    assert_eq!(unread(&app, "bob_mr", "carol_mr").await, 1);
    assert_eq!(unread(&app, "alice_mr", "bob_mr").await, 1);
    assert_eq!(dashboard_unread(&app, "bob_mr").await, 1);
    let (status, html) = app.get(&bob, "/inbox/alice_mr").await;
    assert_eq!(status, 200);
    assert_eq!(nav_unread(&html), 1);
    assert!(!html.contains(">Mark as read<"));
    assert!(!html.contains("message theirs unread"));
    let (_, html) = app.get(&bob, "/inbox").await;
    assert_eq!(row_unread(&html, "alice_mr"), 0);
    assert_eq!(row_unread(&html, "carol_mr"), 1);
    // The sender sees them as seen.
    let (_, html) = app.get(&alice, "/inbox/bob_mr").await;
    assert_eq!(html.matches(r#"class="seen""#).count(), 2);

    // Again: nothing left, still fine. An API client gets 200.
    assert_eq!(
        app.call(&bob, "/api/conversation_read", &[("username", "alice_mr")])
            .await,
        200
    );
    assert_eq!(app.count(unread_total).await, 2);

    // Bad input: 4xx, nothing marked.
    for (name, status) in [("nobody_here", 404), ("bob_mr", 400), ("", 404)] {
        let res = app
            .post(&bob, "/api/conversation_read", None, &[("username", name)])
            .await;
        assert_eq!(res.status().as_u16(), status, "{name:?}");
    }
    assert_eq!(app.call(&bob, "/api/conversation_read", &[]).await, 400);
    let anon = new_client();
    assert_eq!(
        app.call(&anon, "/api/conversation_read", &[("username", "carol_mr")])
            .await,
        401
    );
    assert_eq!(app.count(unread_total).await, 2);
}

#[tokio::test]
async fn a_reply_marks_the_other_person_s_messages_read() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice_re").await;
    let bob = app.sign_up("bob_re").await;
    let carol = app.sign_up("carol_re").await;
    send(&app, &alice, "bob_re", "question 1").await;
    send(&app, &alice, "bob_re", "question 2").await;
    send(&app, &carol, "bob_re", "from carol").await;
    assert_eq!(dashboard_unread(&app, "bob_re").await, 3);

    let res = send(&app, &bob, "alice_re", "answer").await;
    assert_eq!(res.status().as_u16(), 302);
    assert_eq!(unread(&app, "bob_re", "alice_re").await, 0);
    assert_eq!(unread(&app, "bob_re", "carol_re").await, 1);
    assert_eq!(dashboard_unread(&app, "bob_re").await, 1);
    // The reply itself is new to Alice.
    assert_eq!(unread(&app, "alice_re", "bob_re").await, 1);
    assert_eq!(dashboard_unread(&app, "alice_re").await, 1);
    let (_, html) = app.get(&bob, "/inbox/alice_re").await;
    assert_eq!(nav_unread(&html), 1);
    // A refused reply marks nothing.
    send(&app, &carol, "bob_re", "more from carol").await;
    let res = send(&app, &bob, "carol_re", "   ").await;
    assert_eq!(res.status().as_u16(), 302);
    assert_eq!(unread(&app, "bob_re", "carol_re").await, 2);
}

/// Sends `n` messages from `client` to `to` at once, spread over `bases`
/// (server instances); the statuses and Retry-After values.
async fn parallel_sends(
    client: &reqwest::Client,
    bases: &[String],
    to: &str,
    n: usize,
) -> Vec<(u16, Option<String>)> {
    futures_util::future::join_all((0..n).map(|i| {
        let url = format!("{}/api/send_message", bases[i % bases.len()]);
        let text = format!("parallel {i}");
        async move {
            let res = client
                .post(url)
                .form(&[("to", to), ("message", text.as_str())])
                .send()
                .await
                .unwrap();
            let retry = res
                .headers()
                .get("retry-after")
                .map(|v| v.to_str().unwrap().to_string());
            (res.status().as_u16(), retry)
        }
    }))
    .await
}

#[tokio::test]
async fn parallel_sends_stop_exactly_at_the_limit_per_sender() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice_par").await;
    let _bob = app.sign_up("bob_par").await;
    let carol = app.sign_up("carol_par").await;
    // Two instances on one database, as behind a load balancer.
    let bases = vec![app.base.clone(), app.another_instance(&[]).await];

    // Alice and Carol each send 60 at once: each gets exactly 30 through.
    let (a, c) = tokio::join!(
        parallel_sends(&alice, &bases, "bob_par", 60),
        parallel_sends(&carol, &bases, "bob_par", 60),
    );
    for (who, answers) in [("alice", &a), ("carol", &c)] {
        let ok = answers.iter().filter(|(s, _)| *s == 200).count();
        let limited: Vec<_> = answers.iter().filter(|(s, _)| *s == 429).collect();
        assert_eq!(ok, 30, "{who}: {answers:?}");
        assert_eq!(limited.len(), 30, "{who}: {answers:?}");
        assert!(
            limited.iter().all(|(_, r)| r.as_deref() == Some("60")),
            "{who}: every 429 says when to retry: {answers:?}"
        );
    }
    for who in ["alice_par", "carol_par"] {
        assert_eq!(
            app.count(&format!(
                "select count(*) from direct_messages d join users u on u.id = d.sender_id \
                     where u.username = '{who}'"
            ))
            .await,
            30,
            "{who}"
        );
    }
    assert_eq!(unread(&app, "bob_par", "alice_par").await, 30);
    assert_eq!(unread(&app, "bob_par", "carol_par").await, 30);
}

#[tokio::test]
async fn a_sender_waits_only_for_their_own_earlier_send() {
    let app = spawn_app().await;
    let alice = app.sign_up("alice_wait").await;
    let _bob = app.sign_up("bob_wait").await;
    let carol = app.sign_up("carol_wait").await;
    let alice_id: uuid::Uuid =
        sqlx::query_scalar("select id from users where username = 'alice_wait'")
            .fetch_one(&app.pool)
            .await
            .unwrap();

    // A send of Alice's in progress elsewhere: her lock is held.
    let mut held = app.pool.begin().await.unwrap();
    data::messages::lock_sender(&mut held, alice_id)
        .await
        .unwrap();
    let url = app.url("/api/send_message");
    let waiting = tokio::spawn({
        let alice = alice.clone();
        let url = url.clone();
        async move {
            alice
                .post(url)
                .form(&[("to", "bob_wait"), ("message", "queued")])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    });
    // Carol is not held up by Alice's lock.
    let res = tokio::time::timeout(
        Duration::from_secs(10),
        carol
            .post(url.clone())
            .form(&[("to", "bob_wait"), ("message", "not queued")])
            .send(),
    )
    .await
    .expect("another sender does not wait")
    .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!waiting.is_finished(), "Alice's send waits for her lock");
    assert_eq!(
        app.count("select count(*) from direct_messages where message = 'queued'")
            .await,
        0
    );
    // The earlier send ends: hers goes through.
    held.commit().await.unwrap();
    assert_eq!(waiting.await.unwrap(), 200);
    assert_eq!(
        app.count("select count(*) from direct_messages where message = 'queued'")
            .await,
        1
    );
}
