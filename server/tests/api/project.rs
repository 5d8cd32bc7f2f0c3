//! The project page `/p/<id>` and its actions: 404s, authorization, bad
//! input (422 with the field's message, nothing written), other people's
//! comments (403), and the actor seeing their own writes at once.

use crate::helpers::{error_at, location, new_client, seeded_app, shown, TestApp, NIL};

/// A live project with a proof-of-work link, badges and comments.
async fn rich_project(app: &TestApp) -> (String, String) {
    sqlx::query_as(
        "select id::text, title from mv_project_details \
         where proof_of_work_link is not null and badge_count > 0 and total_comment_count > 0 \
         order by id limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// A comment on `project` written by someone other than `username`.
async fn someone_elses_comment(app: &TestApp, username: &str) -> (String, String) {
    sqlx::query_as(
        "select c.id::text, c.project_id::text from comments c join users u on u.id = c.user_id \
         join projects p on p.id = c.project_id \
         where u.username <> $1 and not p.is_deleted order by c.id limit 1",
    )
    .bind(username)
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

async fn comments(app: &TestApp) -> i64 {
    app.count("select count(*) from comments").await
}

#[tokio::test]
async fn the_project_page_shows_details_badges_chains_and_the_thread() {
    let app = seeded_app().await;
    let (id, title) = rich_project(&app).await;
    let (status, html) = app.get_html(&format!("/p/{id}")).await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("<h1").count(), 1);
    assert!(html.contains(&format!("<h1>{title}</h1>")) || html.contains(&title));
    assert!(html.contains(r#"rel="nofollow noopener ugc""#));
    let validator: String = sqlx::query_scalar(
        "select u.username from validation_badges b join users u on u.id = b.validator_id \
         where b.project_id = $1::uuid limit 1",
    )
    .bind(&id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(
        html.contains(&format!(r#"href="/u/{validator}""#)),
        "badge validator"
    );
    let comment: String = sqlx::query_scalar(
        "select id::text from comments where project_id = $1::uuid and parent_id is null limit 1",
    )
    .bind(&id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(html.contains(&format!(r#"id="comment-{comment}""#)));
    assert!(!html.contains("@example"), "no email on a public page");
    // Signed out: no comment form, a way to log in instead.
    assert!(!html.contains(r#"action="/api/comment""#));
    assert!(html.contains(&format!("/login?next=/p/{id}")));
}

#[tokio::test]
async fn unknown_malformed_and_deleted_projects_are_404() {
    let app = seeded_app().await;
    let deleted: String =
        sqlx::query_scalar("select id::text from projects where is_deleted limit 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    // Deleted a moment ago: still in the (unrefreshed) view.
    let (live, _) = rich_project(&app).await;
    sqlx::query("update projects set is_deleted = true, deleted_at = now() where id = $1::uuid")
        .bind(&live)
        .execute(&app.pool)
        .await
        .unwrap();
    for path in [
        format!("/p/{NIL}"),
        "/p/not-a-uuid".to_string(),
        "/p/".to_string(),
        format!("/p/{deleted}"),
        format!("/p/{live}"),
    ] {
        let (status, html) = app.get_html(&path).await;
        assert_eq!(status, 404, "{path}");
        assert!(html.contains("Page not found") || html.contains("does not exist"));
    }
    let (status, _) = app
        .get_html(&format!("/p/{}?after=nonsense", rich_project(&app).await.0))
        .await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn bad_comments_are_422_with_the_field_message_and_write_nothing() {
    let app = seeded_app().await;
    let client = new_client();
    app.log_in(&client, "demo_builder").await;
    let (id, _) = rich_project(&app).await;
    let (other, _) = someone_elses_comment(&app, "demo_builder").await;
    let before = comments(&app).await;
    let too_long = "x".repeat(data::comments::CONTENT_MAX + 1);
    let just_right = format!("  {}  ", "y".repeat(data::comments::CONTENT_MAX));
    for content in ["", "   \n\t ", too_long.as_str()] {
        for (path, form) in [
            (
                "/api/comment",
                vec![("project_id", id.as_str()), ("content", content)],
            ),
            (
                "/api/reply",
                vec![("comment_id", other.as_str()), ("content", content)],
            ),
        ] {
            let res = app.post(&client, path, None, &form).await;
            assert_eq!(res.status().as_u16(), 422, "{path} {}", content.len());
            error_at(res, "content").await;
        }
    }
    assert_eq!(comments(&app).await, before, "nothing written");

    // A browser comes back to the form: 422, the message tied to the field,
    // the text kept.
    let page = format!("/p/{id}");
    let (status, html) = app
        .refused_form(
            &client,
            "/api/comment",
            &page,
            &[("project_id", &id), ("content", &too_long)],
        )
        .await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="comment-new-error""#));
    assert!(html.contains("Use at most 2000 characters"));
    assert!(html.contains(r#"aria-describedby="comment-new-hint comment-new-error""#));

    // Exactly the limit (after trimming) is fine.
    assert_eq!(
        app.call(
            &client,
            "/api/comment",
            &[("project_id", &id), ("content", &just_right)]
        )
        .await,
        200
    );
    assert_eq!(comments(&app).await, before + 1);

    // Missing fields are 400, not 500.
    assert_eq!(
        app.call(&client, "/api/comment", &[("project_id", &id)])
            .await,
        400
    );
    assert_eq!(app.call(&client, "/api/upvote", &[]).await, 400);
}

#[tokio::test]
async fn unknown_or_malformed_ids_are_404_and_write_nothing() {
    let app = seeded_app().await;
    let client = new_client();
    app.log_in(&client, "demo_builder").await;
    let deleted: String =
        sqlx::query_scalar("select id::text from projects where is_deleted limit 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let before = (
        comments(&app).await,
        app.count("select count(*) from upvotes").await,
    );
    for bad in [NIL, "nope", deleted.as_str()] {
        for (path, form) in [
            ("/api/upvote", vec![("project_id", bad)]),
            ("/api/remove_upvote", vec![("project_id", bad)]),
            ("/api/comment", vec![("project_id", bad), ("content", "hi")]),
            ("/api/reply", vec![("comment_id", bad), ("content", "hi")]),
            (
                "/api/edit_comment",
                vec![("comment_id", bad), ("content", "hi")],
            ),
            ("/api/delete_comment", vec![("comment_id", bad)]),
        ] {
            assert_eq!(app.call(&client, path, &form).await, 404, "{path} {bad}");
        }
    }
    let after = (
        comments(&app).await,
        app.count("select count(*) from upvotes").await,
    );
    assert_eq!(before, after);
}

#[tokio::test]
async fn nobody_edits_or_deletes_someone_elses_comment() {
    let app = seeded_app().await;
    let client = new_client();
    app.log_in(&client, "demo_builder").await;
    let (comment, project) = someone_elses_comment(&app, "demo_builder").await;
    let text = |app: &TestApp| {
        let pool = app.pool.clone();
        let comment = comment.clone();
        async move {
            sqlx::query_scalar::<_, String>("select content from comments where id = $1::uuid")
                .bind(&comment)
                .fetch_optional(&pool)
                .await
                .unwrap()
        }
    };
    let original = text(&app).await.expect("comment exists");
    assert_eq!(
        app.call(
            &client,
            "/api/edit_comment",
            &[("comment_id", &comment), ("content", "hijacked")]
        )
        .await,
        403
    );
    assert_eq!(
        app.call(&client, "/api/delete_comment", &[("comment_id", &comment)])
            .await,
        403
    );
    assert_eq!(text(&app).await.as_deref(), Some(original.as_str()));

    // In a browser: back to the page with a 403 and a message.
    let page = format!("/p/{project}");
    let res = app
        .post(
            &client,
            "/api/delete_comment",
            Some(&page),
            &[("comment_id", &comment)],
        )
        .await;
    assert_eq!(res.status().as_u16(), 302);
    let (status, html) = app
        .get(&client, location(&res).trim_start_matches(&app.base))
        .await;
    assert_eq!(status, 403);
    assert!(html.contains("You are not allowed to do that."));
    assert_eq!(text(&app).await.as_deref(), Some(original.as_str()));

    // The page offers no edit or delete for it either.
    let (_, html) = app.get(&client, &page).await;
    let block = &html[html.find(&format!(r#"id="comment-{comment}""#)).unwrap()..];
    let block = &block[..block.find("</article>").unwrap()];
    assert!(!block.contains("edit_comment") && !block.contains("delete_comment"));
}

#[tokio::test]
async fn upvote_comment_reply_edit_delete_show_at_once_on_the_page() {
    let app = seeded_app().await;
    let client = new_client();
    app.log_in(&client, "demo_builder").await;
    let (id, _) = rich_project(&app).await;
    let page = format!("/p/{id}");
    let (_, html) = app.get(&client, &page).await;
    let upvotes = shown(&html, "upvote-count");
    let total = shown(&html, "comment-count");
    let upvoted = html.contains("Remove upvote from");

    // Upvote (or remove and re-add): the count follows at once.
    if upvoted {
        app.submit(&client, "/api/remove_upvote", &page, &[("project_id", &id)])
            .await;
    }
    let base = if upvoted { upvotes - 1 } else { upvotes };
    assert_eq!(
        app.submit(&client, "/api/upvote", &page, &[("project_id", &id)])
            .await,
        format!("{page}#p-{id}")
    );
    let (_, html) = app.get(&client, &page).await;
    assert_eq!(shown(&html, "upvote-count"), base + 1);
    assert!(html.contains("Remove upvote from"));

    // Comment: the redirect lands on it, first on the page, counted.
    let loc = app
        .submit(
            &client,
            "/api/comment",
            &page,
            &[
                ("project_id", &id),
                ("content", "  First light from the test  "),
            ],
        )
        .await;
    let cid = loc
        .rsplit_once("#comment-")
        .expect("lands on the comment")
        .1
        .to_string();
    let (_, html) = app.get(&client, &page).await;
    assert_eq!(shown(&html, "comment-count"), total + 1);
    let first = html.find(r#"class="comment""#).unwrap();
    assert!(
        html[first..].starts_with(&format!(r#"class="comment" id="comment-{cid}""#))
            || html[..first + 200].contains(&format!("comment-{cid}"))
    );
    assert!(
        html.contains(">First light from the test<"),
        "trimmed text shown"
    );

    // Reply: nested under it.
    let rid = app
        .submit(
            &client,
            "/api/reply",
            &page,
            &[("comment_id", &cid), ("content", "A reply to myself")],
        )
        .await
        .rsplit_once("#comment-")
        .unwrap()
        .1
        .to_string();
    let (_, html) = app.get(&client, &page).await;
    assert_eq!(shown(&html, "comment-count"), total + 2);
    let parent = html.find(&format!(r#"id="comment-{cid}""#)).unwrap();
    let child = html.find(&format!(r#"id="comment-{rid}""#)).unwrap();
    assert!(child > parent);
    assert!(
        html[parent..child].contains(r#"class="thread replies""#),
        "reply is nested"
    );

    // Edit: new text, marked edited.
    assert_eq!(
        app.submit(
            &client,
            "/api/edit_comment",
            &page,
            &[("comment_id", &rid), ("content", "An edited reply")]
        )
        .await,
        format!("{page}#comment-{rid}")
    );
    let (_, html) = app.get(&client, &page).await;
    assert!(html.contains(">An edited reply<"));
    assert!(!html.contains(">A reply to myself<"));
    assert!(html.contains(" · edited"));

    // Delete: gone with its reply, counts follow.
    app.submit(
        &client,
        "/api/delete_comment",
        &page,
        &[("comment_id", &cid)],
    )
    .await;
    let (_, html) = app.get(&client, &page).await;
    assert!(!html.contains(&format!("comment-{cid}")));
    assert!(!html.contains(&format!("comment-{rid}")));
    assert_eq!(shown(&html, "comment-count"), total);
    assert_eq!(
        app.count(&format!(
            "select count(*) from comments where id in ('{cid}', '{rid}')"
        ))
        .await,
        0
    );
}
