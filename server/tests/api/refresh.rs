//! The server runs the view refresher: a write made through the site shows
//! up in the views within the staleness target, and the refresh is logged.

use std::time::{Duration, Instant};

use crate::helpers::spawn_app;

#[tokio::test]
async fn a_signup_reaches_the_profile_and_search_views_within_seconds() {
    let app = spawn_app().await;
    let res = app
        .post_api(
            "/api/signup",
            &[
                ("username", "fresh_face"),
                ("email", "fresh@example.com"),
                ("password", "a good long password"),
            ],
        )
        .await;
    assert_eq!(res.status().as_u16(), 200);
    let started = Instant::now();
    loop {
        let in_profiles = app
            .count("select count(*) from mv_user_profiles where username = 'fresh_face'")
            .await;
        let in_search = app
            .count("select count(*) from mv_search_index where result_type = 'user' and name = 'fresh_face'")
            .await;
        if in_profiles == 1 && in_search == 1 {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "views not refreshed after 20 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let logged = app
        .count("select count(*) from mv_refresh_log where view_name = 'mv_user_profiles' and status = 'ok'")
        .await;
    assert!(logged >= 1, "the refresh is recorded in mv_refresh_log");
}
