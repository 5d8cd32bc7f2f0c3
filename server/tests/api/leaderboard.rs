//! The leaderboards at `/leaderboard`: both tabs render from the views with
//! demo data, ranks ascend without gaps across keyset pages, links go to
//! the project and profile pages, bad parameters are 400, and no email is
//! shown.

use crate::helpers::{browse_app, next_href};

/// The ranks shown, in page order (`<tr id="rank-N">`).
fn ranks(html: &str) -> Vec<i64> {
    html.split(r#"<tr id="rank-"#)
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].parse().unwrap())
        .collect()
}

#[tokio::test]
async fn both_leaderboards_rank_continuously_over_keyset_pages() {
    let app = browse_app().await;
    for (tab, first, view) in [
        ("projects", "/leaderboard", "mv_leaderboard_projects"),
        (
            "builders",
            "/leaderboard?tab=builders",
            "mv_leaderboard_builders",
        ),
    ] {
        let total = app.count(&format!("select count(*) from {view}")).await;
        assert!(total > 50, "{view} holds more than one page ({total})");

        let (status, html) = app.get_html(first).await;
        assert_eq!(status, 200, "{first}");
        assert_eq!(html.matches("<h1").count(), 1, "{first}: one h1");
        assert!(
            html.contains(r#"<th scope="col""#),
            "{first}: column headers"
        );
        assert!(html.contains(r#"<th scope="row""#), "{first}: row headers");
        assert!(
            html.contains(r#"aria-current="page""#),
            "{first}: current tab"
        );
        let page1 = ranks(&html);
        assert_eq!(page1, (1..=50).collect::<Vec<_>>(), "{tab}: first page");
        app.assert_no_email(first, &html).await;

        // Rank 1 is the view's rank 1, linked to its page.
        let (id, name): (String, String) = sqlx::query_as(&format!(
            "select id::text, username from {view} where rank = 1"
        ))
        .fetch_one(&app.pool)
        .await
        .unwrap();
        if tab == "projects" {
            assert!(html.contains(&format!(r#"href="/p/{id}""#)), "project link");
        }
        assert!(
            html.contains(&format!(r#"href="/u/{name}""#)),
            "profile link"
        );

        let next = next_href(&html, "Next page").expect("a next page");
        let query = if tab == "projects" {
            ""
        } else {
            "tab=builders&"
        };
        assert_eq!(next, format!("/leaderboard?{query}after=50"));
        let (status, html) = app.get_html(&next).await;
        assert_eq!(status, 200, "{next}");
        let page2 = ranks(&html);
        let expected_end = total.min(100);
        assert_eq!(
            page2,
            (51..=expected_end).collect::<Vec<_>>(),
            "{tab}: second page goes on without a gap"
        );
        assert!(html.contains(">First page<"));
        app.assert_no_email(&next, &html).await;

        // Past the end: an empty page, not an error.
        let (status, html) = app
            .get_html(&format!("/leaderboard?{query}after=100000"))
            .await;
        assert_eq!(status, 200);
        assert!(ranks(&html).is_empty());
        assert!(html.contains("Nobody is ranked here yet."));
        assert!(next_href(&html, "Next page").is_none());
    }

    // The order is the view's: scores never increase down the page.
    let scores: Vec<i32> =
        sqlx::query_scalar("select proof_score from mv_leaderboard_projects order by rank")
            .fetch_all(&app.pool)
            .await
            .unwrap();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]));
}

#[tokio::test]
async fn bad_leaderboard_parameters_are_a_400_page() {
    let app = browse_app().await;
    for path in [
        "/leaderboard?tab=bogus",
        "/leaderboard?tab=Projects",
        "/leaderboard?after=abc",
        "/leaderboard?after=-1",
        "/leaderboard?after=1.5",
        "/leaderboard?after=99999999999999999999",
        "/leaderboard?tab=builders&after=%00",
    ] {
        let (status, html) = app.get_html(path).await;
        assert_eq!(status, 400, "{path}");
        assert!(html.contains("Bad request"), "{path}: a clear message");
        assert_eq!(html.matches("<h1").count(), 1, "{path}");
    }
    for path in [
        "/leaderboard?tab=",
        "/leaderboard?after=",
        "/leaderboard?after=0&x=1",
    ] {
        let (status, _) = app.get_html(path).await;
        assert_eq!(status, 200, "{path}");
    }
}
