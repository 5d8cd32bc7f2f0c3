//! `/livez`, `/readyz` (503 once PostgreSQL is gone) and the JSON
//! `/denormalization-health` (admins' sessions or the bearer token).

use std::time::{Duration, Instant};

use data::users::Role;

use crate::helpers::{admin_url, new_client, spawn_app, spawn_app_with, TestApp};

async fn get_json(
    app: &TestApp,
    client: &reqwest::Client,
    bearer: Option<&str>,
) -> (u16, serde_json::Value) {
    let mut req = client.get(app.url("/denormalization-health"));
    if let Some(token) = bearer {
        req = req.bearer_auth(token);
    }
    let res = req.send().await.unwrap();
    let status = res.status().as_u16();
    (status, res.json().await.unwrap())
}

#[tokio::test]
async fn livez_and_readyz_answer_while_postgres_is_up_and_readyz_fails_without_it() {
    let app = spawn_app().await;
    for path in ["/livez", "/readyz", "/healthz"] {
        let res = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(res.status().as_u16(), 200, "{path}");
    }

    // Make PostgreSQL unreachable for this app: its database disappears
    // (FORCE ends the pool's connections).
    let db: String = sqlx::query_scalar("select current_database()")
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let admin = data::db::connect(&admin_url(), 1, std::time::Duration::from_secs(30))
        .await
        .unwrap();
    sqlx::query(&format!("drop database {db} with (force)"))
        .execute(&admin)
        .await
        .unwrap();
    admin.close().await;

    let started = Instant::now();
    let res = app.client.get(app.url("/readyz")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 503);
    assert_eq!(res.text().await.unwrap(), "database unreachable");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "answers within about 1 s"
    );
    // Still live: the process serves.
    let res = app.client.get(app.url("/livez")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
}

#[tokio::test]
async fn denormalization_health_is_for_admins_and_the_token() {
    let app = spawn_app_with(&["--health-token", "monitor-s3cret", "--refresher", "false"]).await;
    app.create_user("demo_admin", Role::Admin).await;
    app.create_user("demo_builder", Role::Builder).await;
    for v in ["mv_admin_dashboard", "mv_investors_directory"] {
        data::refresher::refresh_now(&app.pool, v, data::refresher::TriggeredBy::Manual)
            .await
            .unwrap();
    }

    let (status, body) = get_json(&app, &app.client, None).await;
    assert_eq!(status, 401);
    assert!(body["error"].is_string());
    let (status, _) = get_json(&app, &app.client, Some("wrong")).await;
    assert_eq!(status, 401);
    let (status, _) = get_json(&app, &app.client, Some("monitor-s3cret-but-longer")).await;
    assert_eq!(status, 401);

    let builder = new_client();
    app.log_in(&builder, "demo_builder").await;
    let (status, body) = get_json(&app, &builder, None).await;
    assert_eq!(status, 403);
    assert!(!body.to_string().contains("mv_"));

    let registered = app.count("select count(*) from mv_registry").await;
    let admin = new_client();
    app.log_in(&admin, "demo_admin").await;
    for (client, bearer) in [(&admin, None), (&app.client, Some("monitor-s3cret"))] {
        let (status, body) = get_json(&app, client, bearer).await;
        assert_eq!(status, 200);
        let views = body["views"].as_array().unwrap();
        assert_eq!(views.len() as i64, registered);
        assert_eq!(body["views_total"].as_i64(), Some(registered));
        for v in views {
            assert!(v["view_name"].as_str().unwrap().starts_with("mv_"));
            assert!(v["target_secs"].as_f64().unwrap() > 0.0);
            assert!(v["dirty"].is_boolean());
            assert!(v["failures_24h"].is_i64());
        }
        let dash = views
            .iter()
            .find(|v| v["view_name"] == "mv_admin_dashboard")
            .unwrap();
        assert_eq!(dash["last_ok"]["triggered_by"], "manual");
        assert!(dash["last_ok"]["duration_ms"].is_i64());
        assert!(dash["row_count"].as_i64() == Some(1));
        assert!(body["generated_at"].is_string());
        assert!(body.get("reconcile").is_some());
    }
}
