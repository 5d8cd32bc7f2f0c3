//! Validation badges from the project page: who may award (validators,
//! not on their own project, one per type), bad input, nothing written on
//! failure, the owner's notification, and the validator seeing the badge
//! at once although `mv_project_details` is not refreshed; revoking.

use crate::helpers::{api_error, error_at, new_client, seeded_app, TestApp, NIL};

/// A live project of someone else than demo_validator, and a badge type
/// demo_validator has not given it.
async fn target(app: &TestApp) -> (String, String) {
    sqlx::query_as(
        "select p.id::text, t.badge_type from projects p \
         cross join unnest(array['code_quality','innovation','impact','design','security']) \
             as t(badge_type) \
         join users u on u.id = p.user_id \
         where not p.is_deleted and u.username <> 'demo_validator' \
           and not exists (select 1 from validation_badges b join users v on v.id = b.validator_id \
                           where b.project_id = p.id and v.username = 'demo_validator' \
                             and b.badge_type = t.badge_type) \
         order by p.id, t.badge_type limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// An award of `badge_type` (no note) to `project` by `validator` as an
/// API client, which the server refuses with 422; the message at the badge
/// type.
async fn refused_award(
    app: &TestApp,
    validator: &reqwest::Client,
    project: &str,
    badge_type: &str,
) -> String {
    let form = [
        ("project_id", project),
        ("badge_type", badge_type),
        ("note", ""),
    ];
    let res = app.post(validator, "/api/award_badge", None, &form).await;
    assert_eq!(res.status().as_u16(), 422, "{project} {badge_type}");
    error_at(res, "badge_type").await
}

async fn written(app: &TestApp) -> (i64, i64) {
    (
        app.count("select count(*) from validation_badges").await,
        app.count("select count(*) from notifications").await,
    )
}

#[tokio::test]
async fn only_signed_in_validators_award_badges_and_failures_write_nothing() {
    let app = seeded_app().await;
    let (id, badge_type) = target(&app).await;
    let page = format!("/p/{id}");
    let form = [
        ("project_id", id.as_str()),
        ("badge_type", badge_type.as_str()),
        ("note", "Solid work"),
    ];
    let before = written(&app).await;

    // Signed out: 401, or a browser is sent to log in.
    assert_eq!(app.call(&app.client, "/api/award_badge", &form).await, 401);
    assert_eq!(
        app.submit(&app.client, "/api/award_badge", &page, &form)
            .await,
        format!("/login?next={page}")
    );
    assert_eq!(
        app.call(&app.client, "/api/revoke_badge", &[("badge_id", NIL)])
            .await,
        401
    );

    // A builder: 403, and the page offers no award form.
    let builder = new_client();
    app.log_in(&builder, "demo_builder").await;
    let res = app.post(&builder, "/api/award_badge", None, &form).await;
    assert_eq!(res.status().as_u16(), 403);
    assert_eq!(
        api_error(&res.text().await.unwrap()),
        app::error::AppError::Forbidden
    );
    let back = app.submit(&builder, "/api/award_badge", &page, &form).await;
    let (status, html) = app.get(&builder, back.trim_start_matches(&app.base)).await;
    assert_eq!(status, 403);
    assert!(html.contains("You are not allowed to do that."));
    let (_, html) = app.get(&builder, &page).await;
    assert!(!html.contains("Award a badge"));
    assert!(!html.contains("/api/award_badge"));

    let validator = new_client();
    app.log_in(&validator, "demo_validator").await;
    let (_, html) = app.get(&validator, &page).await;
    assert!(html.contains("Award a badge"));
    assert!(html.contains(r#"<label for="badge-type">Badge type</label>"#));

    // Bad input: 422 tied to the field, or 400 when a field is missing.
    let long = "n".repeat(501);
    for (form, field) in [
        (
            vec![
                ("project_id", id.as_str()),
                ("badge_type", "gold"),
                ("note", ""),
            ],
            "badge_type",
        ),
        (
            vec![
                ("project_id", id.as_str()),
                ("badge_type", ""),
                ("note", ""),
            ],
            "badge_type",
        ),
        (
            vec![
                ("project_id", id.as_str()),
                ("badge_type", badge_type.as_str()),
                ("note", long.as_str()),
            ],
            "note",
        ),
    ] {
        let res = app.post(&validator, "/api/award_badge", None, &form).await;
        assert_eq!(res.status().as_u16(), 422, "{form:?}");
        error_at(res, field).await;
    }
    assert_eq!(
        app.call(
            &validator,
            "/api/award_badge",
            &[("project_id", id.as_str())]
        )
        .await,
        400
    );

    // Unknown, malformed or deleted project: 404.
    let deleted: String =
        sqlx::query_scalar("select id::text from projects where is_deleted limit 1")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    for bad in [NIL, "nope", deleted.as_str()] {
        assert_eq!(
            app.call(
                &validator,
                "/api/award_badge",
                &[("project_id", bad), ("badge_type", "design"), ("note", "")]
            )
            .await,
            404,
            "{bad}"
        );
    }

    // Their own project: 422 with the reason, in the browser too.
    let own = app
        .add_project("demo_validator", "Validator's Side Project", "")
        .await;
    assert!(refused_award(&app, &validator, &own, "design")
        .await
        .contains("your own project"));
    let (_, html) = app.get(&validator, &format!("/p/{own}")).await;
    assert!(
        !html.contains("Award a badge"),
        "no form on one's own project"
    );

    assert_eq!(written(&app).await, before, "nothing written");
}

#[tokio::test]
async fn a_validator_awards_a_badge_sees_it_at_once_and_cannot_award_it_twice() {
    let app = seeded_app().await;
    let (id, badge_type) = target(&app).await;
    let page = format!("/p/{id}");
    let validator = new_client();
    app.log_in(&validator, "demo_validator").await;
    let view_badges = format!("select badge_count from mv_project_details where id = '{id}'");
    let in_view = app.count(&view_badges).await;
    let before = written(&app).await;

    let note = "Clean <b>code</b> & tests";
    assert_eq!(
        app.submit(
            &validator,
            "/api/award_badge",
            &page,
            &[
                ("project_id", &id),
                ("badge_type", &badge_type),
                ("note", note),
            ]
        )
        .await,
        format!("{page}#badges-heading")
    );
    assert_eq!(written(&app).await, (before.0 + 1, before.1 + 1));

    // The view is not refreshed, yet the page shows the badge, escaped.
    assert_eq!(app.count(&view_badges).await, in_view, "view unchanged");
    let (status, html) = app.get(&validator, &page).await;
    assert_eq!(status, 200);
    let badge_id: String = sqlx::query_scalar(
        "select b.id::text from validation_badges b join users v on v.id = b.validator_id \
         where b.project_id = $1::uuid and v.username = 'demo_validator' and b.badge_type = $2",
    )
    .bind(&id)
    .bind(&badge_type)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let item = &html[html
        .find(&format!(r#"id="badge-{badge_id}""#))
        .expect("badge listed")..];
    let item = &item[..item.find("</li>").unwrap()];
    assert!(item.contains(r#"href="/u/demo_validator""#));
    assert!(
        item.contains("Clean &lt;b&gt;code&lt;/b&gt; &amp; tests"),
        "{item}"
    );
    assert!(item.contains(">Revoke<"));
    // The proof score shown is the live one (a badge moves it).
    let score = app
        .count(&format!(
            "select proof_score::bigint from projects where id = '{id}'"
        ))
        .await;
    assert!(html.contains(&format!(r#"<span class="stat-value">{score}</span>"#)));
    // The form no longer offers that type.
    assert!(html.contains("(already awarded)"));

    // The owner is notified, with a link to the project.
    let (kind, link, message): (String, String, String) = sqlx::query_as(
        "select n.kind, n.link, n.message from notifications n \
         join projects p on p.user_id = n.user_id \
         where p.id = $1::uuid order by n.created_at desc limit 1",
    )
    .bind(&id)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!((kind.as_str(), link.as_str()), ("badge", page.as_str()));
    assert!(message.starts_with("demo_validator awarded"), "{message}");

    // The same type again: 422 with the message, nothing written.
    let after = written(&app).await;
    assert!(refused_award(&app, &validator, &id, &badge_type)
        .await
        .contains("You already awarded this badge"));
    let back = app
        .submit(
            &validator,
            "/api/award_badge",
            &page,
            &[
                ("project_id", &id),
                ("badge_type", &badge_type),
                ("note", "again"),
            ],
        )
        .await;
    let (status, html) = app
        .get(&validator, back.trim_start_matches(&app.base))
        .await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="badge-type-error""#));
    assert!(html.contains("You already awarded this badge"));
    assert!(html.contains(">again</textarea>"), "the note is kept");
    assert_eq!(written(&app).await, after);
}

#[tokio::test]
async fn validators_revoke_only_their_own_badges() {
    let app = seeded_app().await;
    let (id, badge_type) = target(&app).await;
    let page = format!("/p/{id}");
    let validator = new_client();
    app.log_in(&validator, "demo_validator").await;
    assert_eq!(
        app.call(
            &validator,
            "/api/award_badge",
            &[
                ("project_id", &id),
                ("badge_type", &badge_type),
                ("note", ""),
            ]
        )
        .await,
        200
    );
    let mine: String = sqlx::query_scalar(
        "select b.id::text from validation_badges b join users v on v.id = b.validator_id \
         where v.username = 'demo_validator' and b.project_id = $1::uuid and b.badge_type = $2",
    )
    .bind(&id)
    .bind(&badge_type)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let theirs: String = sqlx::query_scalar(
        "select b.id::text from validation_badges b join users v on v.id = b.validator_id \
         join projects p on p.id = b.project_id \
         where v.username <> 'demo_validator' and not p.is_deleted limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let badges = || app.count("select count(*) from validation_badges");
    let before = badges().await;

    // Someone else's badge: 403; unknown: 404; a builder cannot revoke either.
    assert_eq!(
        app.call(&validator, "/api/revoke_badge", &[("badge_id", &theirs)])
            .await,
        403
    );
    for bad in [NIL, "nope"] {
        assert_eq!(
            app.call(&validator, "/api/revoke_badge", &[("badge_id", bad)])
                .await,
            404
        );
    }
    let builder = new_client();
    app.log_in(&builder, "demo_builder").await;
    assert_eq!(
        app.call(&builder, "/api/revoke_badge", &[("badge_id", &mine)])
            .await,
        403
    );
    assert_eq!(badges().await, before);

    // Their own: gone at once, back on the page.
    assert_eq!(
        app.submit(
            &validator,
            "/api/revoke_badge",
            &page,
            &[("badge_id", &mine)]
        )
        .await,
        format!("{page}#badges-heading")
    );
    assert_eq!(badges().await, before - 1);
    let (_, html) = app.get(&validator, &page).await;
    assert!(!html.contains(&format!("badge-{mine}")));
}
