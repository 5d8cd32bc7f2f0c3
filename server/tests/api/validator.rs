//! `/validator`: validators and admins only; badges by type and per week,
//! recent awards (live) and projects awaiting review (live, own projects
//! and already-badged ones excluded).

use crate::helpers::{new_client, seeded_app};

#[tokio::test]
async fn the_validator_dashboard_is_for_validators_and_lists_what_to_review() {
    let app = seeded_app().await;
    app.refresh(&["mv_validator_dashboard"]).await;

    // Signed out: to log in. Builders and investors: 403.
    let res = app.fetch(&app.client, "/validator").await;
    assert_eq!(res.status().as_u16(), 302);
    assert_eq!(res.headers()["location"], "/login?next=/validator");
    for who in ["demo_builder", "demo_investor"] {
        let client = new_client();
        app.log_in(&client, who).await;
        let (status, html) = app.get(&client, "/validator").await;
        assert_eq!(status, 403, "{who}");
        assert!(!html.contains("Projects awaiting your review"));
        let res = client
            .post(app.url("/api/validator_dashboard"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status().as_u16(), 403, "{who}");
    }

    let validator: uuid::Uuid =
        sqlx::query_scalar("select id from users where username = 'demo_validator'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    // A project of the validator's own, and a fresh project they badge
    // now: neither awaits review; the badge shows at once in recent awards.
    let own: uuid::Uuid = sqlx::query_scalar(
        "insert into projects (user_id, title) values ($1, 'My own tool') returning id",
    )
    .bind(validator)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let builder: uuid::Uuid =
        sqlx::query_scalar("select id from users where username = 'demo_builder'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    let badged: uuid::Uuid = sqlx::query_scalar(
        "insert into projects (user_id, title) values ($1, 'Freshly badged') returning id",
    )
    .bind(builder)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let waiting: uuid::Uuid = sqlx::query_scalar(
        "insert into projects (user_id, title) values ($1, 'Waiting for review') returning id",
    )
    .bind(builder)
    .fetch_one(&app.pool)
    .await
    .unwrap();
    sqlx::query(
        "insert into validation_badges (project_id, validator_id, badge_type) values ($1, $2, 'design')",
    )
    .bind(badged)
    .bind(validator)
    .execute(&app.pool)
    .await
    .unwrap();

    let client = new_client();
    app.log_in(&client, "demo_validator").await;
    let (status, html) = app.get(&client, "/validator").await;
    assert_eq!(status, 200);
    assert!(html.contains("Badges given by type"));
    assert!(html.contains(r#"role="img""#), "weekly chart");
    let awaiting = html
        .split("Projects awaiting your review")
        .nth(1)
        .unwrap()
        .to_string();
    let recent = html
        .split("Your recent awards")
        .nth(1)
        .unwrap()
        .split("Projects awaiting your review")
        .next()
        .unwrap()
        .to_string();
    assert!(
        awaiting.contains(&format!("/p/{waiting}")),
        "newest unbadged project first"
    );
    assert!(
        !awaiting.contains(&format!("/p/{own}")),
        "own project excluded"
    );
    assert!(
        !awaiting.contains(&format!("/p/{badged}")),
        "badged project excluded"
    );
    assert!(
        recent.contains(&format!("/p/{badged}")),
        "award shown at once"
    );

    // Admins see their own dashboard too.
    let admin = new_client();
    app.log_in(&admin, "demo_admin").await;
    let (status, _) = app.get(&admin, "/validator").await;
    assert_eq!(status, 200);
}
