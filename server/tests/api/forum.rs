//! Chain forums: posts (create, pin, unpin, vote, delete), comments (with
//! the author's notification), the post page: authorization, bad input
//! (422 with the field's message, nothing written), unknown ids (404), and
//! the actor seeing their own writes although the views are not refreshed.

use crate::helpers::{chains_app, content_type, error_at, location, shown, TestApp, NIL};

async fn forum_rows(app: &TestApp) -> (i64, i64, i64, i64, i64) {
    (
        app.count("select count(*) from chain_posts").await,
        app.count("select count(*) from chain_posts where is_deleted or is_pinned")
            .await,
        app.count("select count(*) from chain_post_votes").await,
        app.count("select count(*) from chain_post_comments").await,
        app.count("select count(*) from notifications").await,
    )
}

/// A post of the chain written by someone other than `not_by`.
async fn post_in(app: &TestApp, chain: &str, not_by: &str) -> String {
    app.pick(&format!(
        "select p.id::text from chain_posts p join users u on u.id = p.author_id \
             where p.chain_id = '{chain}' and not p.is_deleted and not p.is_pinned \
               and u.username <> '{not_by}' and u.is_active \
             order by p.id limit 1"
    ))
    .await
}

/// A follower of the chain who is not its creator.
async fn member(app: &TestApp, chain: &str, owner: &str) -> String {
    app.pick(&format!(
        "select u.username from chain_followers f join users u on u.id = f.user_id \
             where f.chain_id = '{chain}' and u.is_active and u.username <> '{owner}' \
             order by u.username limit 1"
    ))
    .await
}

fn post_ids(html: &str) -> Vec<String> {
    html.split(r#"<li id="post-"#)
        .skip(1)
        .map(|r| r[..36].to_string())
        .collect()
}

#[tokio::test]
async fn the_forum_shows_pinned_posts_first() {
    let app = chains_app().await;
    let (chain, _) = app.busy_chain().await;
    let pinned: Vec<String> = sqlx::query_scalar(&format!(
        "select id::text from mv_chain_posts where chain_id = '{chain}' and is_pinned \
         order by trending_score desc, id desc"
    ))
    .fetch_all(&app.pool)
    .await
    .unwrap();
    for path in [format!("/c/{chain}"), format!("/c/{chain}?tab=newest")] {
        let (status, html) = app.get_html(&path).await;
        assert_eq!(status, 200);
        let ids = post_ids(&html);
        assert_eq!(ids[..pinned.len()], pinned[..], "{path}: pinned first");
    }
    let (_, html) = app.get_html(&format!("/c/{chain}?tab=newest")).await;
    let newest: Vec<String> = sqlx::query_scalar(&format!(
        "select id::text from mv_chain_posts where chain_id = '{chain}' and not is_pinned \
         order by created_at desc, id desc limit 20"
    ))
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(post_ids(&html)[pinned.len()..], newest[..]);
}

#[tokio::test]
async fn posting_needs_membership_and_valid_fields() {
    let app = chains_app().await;
    let (chain, owner) = app.busy_chain().await;
    let stranger = app.outsider(&chain).await;
    let s = app.client_for(&stranger).await;
    let m = app.client_for(&member(&app, &chain, &owner).await).await;
    let before = forum_rows(&app).await;
    let form = |title: &'static str, content: &'static str, kind: &'static str| {
        vec![
            ("chain_id", chain.clone()),
            ("title", title.to_string()),
            ("content", content.to_string()),
            ("post_type", kind.to_string()),
        ]
    };
    let send = |client: &reqwest::Client, form: Vec<(&'static str, String)>| {
        let req = client.post(app.url("/api/create_post")).form(&form);
        async move { req.send().await.unwrap() }
    };
    // Not a follower: 403. Announcements are the owner's: 403.
    let res = send(&s, form("Hello", "Body", "discussion")).await;
    assert_eq!(res.status().as_u16(), 403);
    let res = send(&m, form("Hello", "Body", "announcement")).await;
    assert_eq!(res.status().as_u16(), 403);
    // Bad fields: 422 at the field.
    let long_title: &'static str = Box::leak("t".repeat(201).into_boxed_str());
    let long_content: &'static str = Box::leak("c".repeat(10_001).into_boxed_str());
    for (field, title, content, kind) in [
        ("title", "", "Body", "discussion"),
        ("title", "   ", "Body", "discussion"),
        ("title", long_title, "Body", "discussion"),
        ("content", "Title", "", "discussion"),
        ("content", "Title", " \n ", "question"),
        ("content", "Title", long_content, "showcase"),
        ("post_type", "Title", "Body", "rant"),
        ("post_type", "Title", "Body", ""),
    ] {
        let res = send(&m, form(title, content, kind)).await;
        assert_eq!(res.status().as_u16(), 422, "{field}");
        error_at(res, field).await;
    }
    // Unknown or malformed chain: 404.
    for bad in [NIL, "nope"] {
        let mut f = form("Hello", "Body", "discussion");
        f[0].1 = bad.to_string();
        let res = send(&m, f).await;
        assert_eq!(res.status().as_u16(), 404, "{bad}");
    }
    // Missing field: 400.
    let res = m
        .post(app.url("/api/create_post"))
        .form(&[("chain_id", chain.as_str()), ("title", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 400);
    assert_eq!(forum_rows(&app).await, before, "nothing written");

    // In a browser: back to the form with the message and the text kept.
    let page = format!("/c/{chain}");
    let res = m
        .post(app.url("/api/create_post"))
        .headers(app.browser_headers())
        .header("referer", app.url(&page))
        .form(&[
            ("chain_id", chain.as_str()),
            ("title", ""),
            ("content", "Draft kept"),
            ("post_type", "question"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 302);
    let (status, html) = app
        .get(&m, location(&res).trim_start_matches(&app.base))
        .await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="title-error""#));
    assert!(html.contains("Give your post a title."));
    assert!(html.contains("Draft kept"));
    assert!(
        !html.contains(r#"value="announcement""#),
        "members see no announcements"
    );
}

#[tokio::test]
async fn a_new_post_shows_at_once_on_the_chain_page_and_can_be_deleted() {
    let app = chains_app().await;
    let (chain, owner) = app.busy_chain().await;
    let name = member(&app, &chain, &owner).await;
    let m = app.client_for(&name).await;
    let page = format!("/c/{chain}");
    let (_, html) = app.get(&m, &page).await;
    let posts = shown(&html, "post-count");
    let loc = app
        .submit(
            &m,
            "/api/create_post",
            &page,
            &[
                ("chain_id", &chain),
                ("title", "  How do you test without mocks?  "),
                ("content", "Real databases, real HTTP."),
                ("post_type", "question"),
            ],
        )
        .await;
    let id = loc
        .strip_prefix(&format!("/c/{chain}/posts/"))
        .expect("to the new post")
        .to_string();
    let (status, html) = app.get(&m, &loc).await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>How do you test without mocks?</h1>"));
    assert!(html.contains("Delete post"));
    // Not in the view, yet first on the chain page for its author, counted.
    assert_eq!(
        app.count(&format!(
            "select count(*) from mv_chain_posts where id = '{id}'"
        ))
        .await,
        0
    );
    for path in [page.clone(), format!("{page}?tab=newest")] {
        let (_, html) = app.get(&m, &path).await;
        let pinned = app
            .count(&format!(
                "select count(*) from mv_chain_posts where chain_id = '{chain}' and is_pinned"
            ))
            .await as usize;
        assert_eq!(post_ids(&html)[pinned], id, "{path}");
        assert_eq!(shown(&html, "post-count"), posts + 1);
    }

    // Nobody else deletes it.
    let other = app.client_for(&owner).await;
    assert_eq!(
        app.call(&other, "/api/delete_post", &[("post_id", &id)])
            .await,
        403
    );
    for bad in [NIL, "nope"] {
        assert_eq!(
            app.call(&m, "/api/delete_post", &[("post_id", bad)]).await,
            404
        );
    }
    // Its author does: soft-deleted, gone at once, its page a 404.
    assert_eq!(
        app.submit(&m, "/api/delete_post", &loc, &[("post_id", &id)])
            .await,
        format!("{page}#forum")
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from chain_posts where id = '{id}' and is_deleted"
        ))
        .await,
        1
    );
    let (_, html) = app.get(&m, &page).await;
    assert!(!post_ids(&html).contains(&id));
    assert_eq!(shown(&html, "post-count"), posts);
    let (status, _) = app.get(&m, &loc).await;
    assert_eq!(status, 404);
    assert_eq!(
        app.call(&m, "/api/delete_post", &[("post_id", &id)]).await,
        404,
        "already deleted"
    );
}

#[tokio::test]
async fn only_the_owner_pins_and_a_pin_shows_at_once() {
    let app = chains_app().await;
    let (chain, owner) = app.busy_chain().await;
    let target = post_in(&app, &chain, &owner).await;
    let m = app.client_for(&member(&app, &chain, &owner).await).await;
    let page = format!("/c/{chain}");
    let (_, html) = app.get(&m, &page).await;
    assert!(
        !html.contains("/api/pin_post"),
        "no pin control for a member"
    );
    let before = forum_rows(&app).await;
    for path in ["/api/pin_post", "/api/unpin_post"] {
        assert_eq!(
            app.call(&m, path, &[("post_id", &target)]).await,
            403,
            "{path}"
        );
        // In a browser: back with a 403 page state and a message.
        let res = app
            .post(&m, path, Some(&page), &[("post_id", &target)])
            .await;
        assert_eq!(res.status().as_u16(), 302);
        let (status, html) = app
            .get(&m, location(&res).trim_start_matches(&app.base))
            .await;
        assert_eq!(status, 403);
        assert!(html.contains("You are not allowed to do that."));
    }
    let o = app.client_for(&owner).await;
    for bad in [NIL, "nope"] {
        assert_eq!(
            app.call(&o, "/api/pin_post", &[("post_id", bad)]).await,
            404
        );
    }
    assert_eq!(forum_rows(&app).await, before);

    assert_eq!(
        app.submit(&o, "/api/pin_post", &page, &[("post_id", &target)])
            .await,
        format!("{page}#post-{target}")
    );
    let (_, html) = app.get(&o, &page).await;
    let pinned = &html[html.find(r#"id="pinned-heading""#).expect("pinned strip")..];
    let pinned = &pinned[..pinned.find("</section>").unwrap()];
    assert!(
        pinned.contains(&format!(r#"id="post-{target}""#)),
        "in the strip at once"
    );
    assert!(html.contains("Unpin "));
    assert_eq!(post_ids(&html).iter().filter(|i| **i == target).count(), 1);

    app.submit(&o, "/api/unpin_post", &page, &[("post_id", &target)])
        .await;
    let (_, html) = app.get(&o, &page).await;
    if let Some(at) = html.find(r#"id="pinned-heading""#) {
        let strip = &html[at..];
        let strip = &strip[..strip.find("</section>").unwrap()];
        assert!(!strip.contains(&format!(r#"id="post-{target}""#)));
    }
    assert!(post_ids(&html).iter().filter(|i| **i == target).count() <= 1);
    assert_eq!(
        app.count(&format!(
            "select count(*) from chain_posts where id = '{target}' and is_pinned"
        ))
        .await,
        0
    );
}

#[tokio::test]
async fn votes_show_at_once_and_bad_votes_are_refused() {
    let app = chains_app().await;
    let (chain, owner) = app.busy_chain().await;
    let target = post_in(&app, &chain, &owner).await;
    let reader = app.outsider(&chain).await;
    let c = app.client_for(&reader).await;
    let page = format!("/c/{chain}/posts/{target}");
    let before = forum_rows(&app).await;
    let res = app
        .post(
            &c,
            "/api/vote_post",
            None,
            &[("post_id", &target), ("vote", "sideways")],
        )
        .await;
    assert_eq!(res.status().as_u16(), 422);
    error_at(res, "vote").await;
    for bad in [NIL, "nope"] {
        assert_eq!(
            app.call(&c, "/api/vote_post", &[("post_id", bad), ("vote", "up")])
                .await,
            404
        );
    }
    assert_eq!(forum_rows(&app).await, before);

    let (_, html) = app.get(&c, &page).await;
    let (up, down) = (shown(&html, "post-upvotes"), shown(&html, "post-downvotes"));
    let vote = |v: &'static str| {
        let c = c.clone();
        let app = &app;
        let (target, page) = (target.clone(), page.clone());
        async move {
            assert_eq!(
                app.submit(
                    &c,
                    "/api/vote_post",
                    &page,
                    &[("post_id", &target), ("vote", v)]
                )
                .await,
                format!("{page}#post-{target}")
            );
            app.get(&c, &page).await.1
        }
    };
    let html = vote("up").await;
    assert_eq!(
        (shown(&html, "post-upvotes"), shown(&html, "post-downvotes")),
        (up + 1, down)
    );
    assert!(html.contains("Remove upvote from"));
    let html = vote("down").await;
    assert_eq!(
        (shown(&html, "post-upvotes"), shown(&html, "post-downvotes")),
        (up, down + 1)
    );
    assert!(html.contains("Remove downvote from"));
    // The chain page shows the reader's vote at once too.
    let (_, chain_html) = app.get(&c, &format!("/c/{chain}?tab=newest")).await;
    if let Some(at) = chain_html.find(&format!(r#"id="post-{target}""#)) {
        assert_eq!(shown(&chain_html[at..], "post-downvotes"), down + 1);
    }
    let html = vote("remove").await;
    assert_eq!(
        (shown(&html, "post-upvotes"), shown(&html, "post-downvotes")),
        (up, down)
    );
    assert_eq!(forum_rows(&app).await, before);
}

#[tokio::test]
async fn comments_show_at_once_notify_the_author_and_only_their_writer_deletes_them() {
    let app = chains_app().await;
    let (chain, owner) = app.busy_chain().await;
    let target = post_in(&app, &chain, &owner).await;
    let author = app
        .pick(&format!(
            "select u.username from chain_posts p join users u on u.id = p.author_id \
             where p.id = '{target}'"
        ))
        .await;
    let reader = app.outsider(&chain).await;
    let c = app.client_for(&reader).await;
    let page = format!("/c/{chain}/posts/{target}");
    let before = forum_rows(&app).await;
    let long = "x".repeat(2001);
    for content in ["", "  \n ", long.as_str()] {
        let res = app
            .post(
                &c,
                "/api/comment_post",
                None,
                &[("post_id", &target), ("content", content)],
            )
            .await;
        assert_eq!(res.status().as_u16(), 422);
        error_at(res, "content").await;
    }
    for bad in [NIL, "nope"] {
        assert_eq!(
            app.call(
                &c,
                "/api/comment_post",
                &[("post_id", bad), ("content", "hi")]
            )
            .await,
            404
        );
    }
    assert_eq!(forum_rows(&app).await, before, "nothing written");
    // A browser gets the message at the field.
    let res = app
        .post(
            &c,
            "/api/comment_post",
            Some(&page),
            &[("post_id", &target), ("content", "   ")],
        )
        .await;
    let (status, html) = app
        .get(&c, location(&res).trim_start_matches(&app.base))
        .await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="comment-new-error""#));

    let (_, html) = app.get(&c, &page).await;
    let count = shown(&html, "comment-count");
    let loc = app
        .submit(
            &c,
            "/api/comment_post",
            &page,
            &[("post_id", &target), ("content", "  Nice write-up  ")],
        )
        .await;
    let cid = loc
        .rsplit_once("#comment-")
        .expect("lands on it")
        .1
        .to_string();
    let (_, html) = app.get(&c, &page).await;
    assert_eq!(shown(&html, "comment-count"), count + 1);
    assert!(html.contains(">Nice write-up<"));
    let first = html.find(r#"<li id="comment-"#).unwrap();
    assert!(
        html[first..].starts_with(&format!(r#"<li id="comment-{cid}""#)),
        "newest first"
    );
    // The post's author is notified, in the same transaction.
    let (kind, link, message): (String, String, String) = sqlx::query_as(&format!(
        "select n.kind, n.link, n.message from notifications n join users u on u.id = n.user_id \
         where u.username = '{author}' order by n.created_at desc limit 1"
    ))
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(kind, "forum_reply");
    assert_eq!(link, format!("{page}#comment-{cid}"));
    assert!(message.starts_with(&reader), "{message}");

    // Nobody else deletes the comment.
    let other = app.client_for(&author).await;
    assert_eq!(
        app.call(&other, "/api/delete_post_comment", &[("comment_id", &cid)])
            .await,
        403
    );
    assert_eq!(
        app.call(&other, "/api/delete_post_comment", &[("comment_id", NIL)])
            .await,
        404
    );
    // The author commenting on their own post gets no notification.
    let notes = app.count("select count(*) from notifications").await;
    assert_eq!(
        app.call(
            &other,
            "/api/comment_post",
            &[("post_id", &target), ("content", "Thanks!")]
        )
        .await,
        200
    );
    assert_eq!(app.count("select count(*) from notifications").await, notes);

    // Its writer deletes it: gone at once.
    app.submit(
        &c,
        "/api/delete_post_comment",
        &page,
        &[("comment_id", &cid)],
    )
    .await;
    let (_, html) = app.get(&c, &page).await;
    assert!(!html.contains(&format!("comment-{cid}")));
    assert_eq!(
        shown(&html, "comment-count"),
        count + 1,
        "the author's own comment"
    );
}

#[tokio::test]
async fn private_chain_posts_are_404_to_strangers() {
    let app = chains_app().await;
    let (chain, _, _) = app.private_chain().await;
    let target = app
        .pick(&format!(
            "select id::text from chain_posts where chain_id = '{chain}' limit 1"
        ))
        .await;
    let stranger = app.client_for(&app.outsider(&chain).await).await;
    let before = forum_rows(&app).await;
    let (status, _) = app
        .get(&stranger, &format!("/c/{chain}/posts/{target}"))
        .await;
    assert_eq!(status, 404);
    for (path, form) in [
        (
            "/api/vote_post",
            vec![("post_id", target.as_str()), ("vote", "up")],
        ),
        (
            "/api/comment_post",
            vec![("post_id", target.as_str()), ("content", "hi")],
        ),
        ("/api/pin_post", vec![("post_id", target.as_str())]),
        ("/api/delete_post", vec![("post_id", target.as_str())]),
        (
            "/api/create_post",
            vec![
                ("chain_id", chain.as_str()),
                ("title", "t"),
                ("content", "c"),
                ("post_type", "discussion"),
            ],
        ),
    ] {
        assert_eq!(app.call(&stranger, path, &form).await, 404, "{path}");
    }
    assert_eq!(forum_rows(&app).await, before);
}

#[tokio::test]
async fn the_forum_atom_feed_lists_the_newest_posts_of_public_chains_only() {
    let app = chains_app().await;
    let (chain, _) = app.busy_chain().await;
    let res = app
        .get_plain(&app.client, &format!("/c/{chain}/feed.atom"))
        .await;
    assert!(content_type(&res).starts_with("application/atom+xml"));
    let xml = res.text().await.unwrap();
    assert!(xml.starts_with("<?xml"));
    assert!(xml.contains(r#"<feed xmlns="http://www.w3.org/2005/Atom">"#));
    assert!(xml.contains(&format!("<id>urn:uuid:{chain}</id>")));
    assert!(xml.contains(&format!("/c/{chain}/feed.atom")));
    let newest: Vec<String> = sqlx::query_scalar(&format!(
        "select id::text from mv_chain_posts where chain_id = '{chain}' \
         order by created_at desc, id desc limit 50"
    ))
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(xml.matches("<entry>").count(), newest.len());
    let first = xml
        .find(&format!("<id>urn:uuid:{}</id>", newest[0]))
        .unwrap();
    if newest.len() > 1 {
        assert!(
            first
                < xml
                    .find(&format!("<id>urn:uuid:{}</id>", newest[1]))
                    .unwrap()
        );
    }
    assert!(xml.contains(&format!("/c/{chain}/posts/{}", newest[0])));

    let (private, _, _) = app.private_chain().await;
    for path in [
        format!("/c/{private}/feed.atom"),
        format!("/c/{NIL}/feed.atom"),
        "/c/nope/feed.atom".to_string(),
    ] {
        let res = app.client.get(app.url(&path)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 404, "{path}");
    }
}
