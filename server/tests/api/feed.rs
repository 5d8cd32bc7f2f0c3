//! The feed at `/`: renders from the view with demo data, tabs and keyset
//! pages, bad parameters are 400, and an upvote shows at once for the
//! person who made it although the view is not refreshed.

use std::collections::HashSet;

use crate::helpers::{new_client, seeded_app};

/// The project ids of the cards of the main list (not the featured strip), in order.
fn card_ids(html: &str) -> Vec<String> {
    html.split(r#"id="p-"#)
        .skip(1)
        .map(|rest| rest[..36].to_string())
        .collect()
}

/// The upvote count shown on the card of `id` in the main list.
fn card_upvotes(html: &str, id: &str) -> i64 {
    let card = &html[html.find(&format!(r#"id="p-{id}""#)).expect("card shown")..];
    let at = card.find(r#"upvote-count">"#).unwrap() + r#"upvote-count">"#.len();
    card[at..card[at..].find('<').unwrap() + at]
        .parse()
        .unwrap()
}

#[tokio::test]
async fn the_feed_renders_demo_projects_with_tabs_and_keyset_pages() {
    let app = seeded_app().await;
    let (status, html) = app.get_html("/").await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("<h1").count(), 1, "one h1");
    assert!(html.contains("Show the work"), "intro for visitors");
    for tab in ["Trending", "Top", "Newest", "Featured"] {
        assert!(html.contains(&format!(">{tab}</a>")), "tab {tab}");
    }
    assert!(
        html.contains(r#"aria-labelledby="featured-heading""#),
        "featured strip"
    );
    // The first card is the view's most trending project.
    let top: (String, String) = sqlx::query_as(
        "select id::text, title from mv_feed_projects order by trending_score desc, id desc limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let ids = card_ids(&html);
    assert_eq!(ids.len(), 20);
    assert_eq!(ids[0], top.0);
    assert!(html.contains(&format!(r#"href="/p/{}""#, top.0)));
    assert!(html.contains("/u/"), "builder links");
    assert!(!html.contains("@example"), "no email on a public page");

    // Every tab walks the whole view by keyset pages, without repeats.
    let live = app.count("select count(*) from mv_feed_projects").await as usize;
    let featured = app
        .count("select count(*) from mv_feed_projects where is_featured")
        .await as usize;
    for (start, expected) in [
        ("/?tab=newest", live),
        ("/?tab=top&period=all", live),
        ("/", live),
        ("/?tab=featured", featured),
    ] {
        let seen = app.walk_pages(start, "Next page", 100, card_ids).await;
        assert_eq!(seen.len(), expected, "{start} lists every project once");
    }

    // Newest really is newest first.
    let (_, html) = app.get_html("/?tab=newest").await;
    let newest: Vec<String> = sqlx::query_scalar(
        "select id::text from mv_feed_projects order by created_at desc, id desc limit 20",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(card_ids(&html), newest);

    // A category shows only that category.
    let (status, html) = app.get_html("/?category=ai").await;
    assert_eq!(status, 200);
    let ai: HashSet<String> =
        sqlx::query_scalar("select id::text from mv_feed_projects where category = 'ai'")
            .fetch_all(&app.pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    let shown = card_ids(&html);
    assert!(!shown.is_empty());
    assert!(shown.iter().all(|id| ai.contains(id)));

    for path in [
        "/?tab=top&period=today",
        "/?tab=top&period=week",
        "/?tab=top&period=month",
        "/?tab=top",
        "/?tab=newest&category=web",
        "/?tab=trending&period=week",
        "/?utm_source=x",
    ] {
        let (status, _) = app.get_html(path).await;
        assert_eq!(status, 200, "{path}");
    }
}

#[tokio::test]
async fn bad_query_parameters_are_a_400_page() {
    let app = seeded_app().await;
    for path in [
        "/?tab=bogus",
        "/?tab=top&period=year",
        "/?category=cooking",
        "/?after=garbage",
        "/?after=12_not-a-uuid",
        "/?tab=newest&after=1.5_00000000-0000-0000-0000-000000000000",
        "/?tab=top&after=NaN_00000000-0000-0000-0000-000000000000",
        "/?after=NaN_00000000-0000-0000-0000-000000000000",
        "/?after=inf_00000000-0000-0000-0000-000000000000",
        "/?tab=newest&after=99999999999999999999_00000000-0000-0000-0000-000000000000",
        "/?tab=newest&after=-999999999999999999_00000000-0000-0000-0000-000000000000",
    ] {
        let (status, html) = app.get_html(path).await;
        assert_eq!(status, 400, "{path}");
        assert!(html.contains("Bad request"), "{path}: a clear message");
        assert_eq!(html.matches("<h1").count(), 1);
    }
}

#[tokio::test]
async fn an_upvote_from_the_feed_shows_at_once_and_can_be_removed() {
    let app = seeded_app().await;
    let client = new_client();
    app.log_in(&client, "demo_builder").await;
    let (_, html) = app.get(&client, "/?tab=newest").await;
    // A card demo_builder has not upvoted.
    let ids = card_ids(&html);
    let id = ids
        .iter()
        .find(|id| {
            html.contains(&format!(
                "value=\"{id}\"><button type=\"submit\" aria-label=\"Upvote "
            ))
        })
        .expect("a project not upvoted yet")
        .clone();
    let before = card_upvotes(&html, &id);

    let vote = [("project_id", id.as_str())];
    assert_eq!(
        app.submit(&client, "/api/upvote", "/?tab=newest", &vote)
            .await,
        format!("/?tab=newest#p-{id}")
    );

    // The view is not refreshed (no refresher in this test) ...
    let in_view: i64 = sqlx::query_scalar(&format!(
        "select upvote_count from mv_feed_projects where id = '{id}'"
    ))
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(in_view, before);
    // ... yet the voter sees the vote and the new count.
    let (status, html) = app.get(&client, "/?tab=newest").await;
    assert_eq!(status, 200);
    assert_eq!(card_upvotes(&html, &id), before + 1);
    assert!(html.contains(&format!(
        "value=\"{id}\"><button type=\"submit\" aria-label=\"Remove upvote from "
    )));
    // A second upvote changes nothing.
    assert_eq!(app.call(&client, "/api/upvote", &vote).await, 200);
    assert_eq!(
        app.count(&format!(
            "select count(*) from upvotes where project_id = '{id}' and is_upvote"
        ))
        .await,
        before + 1
    );

    app.submit(&client, "/api/remove_upvote", "/?tab=newest", &vote)
        .await;
    let (_, html) = app.get(&client, "/?tab=newest").await;
    assert_eq!(card_upvotes(&html, &id), before);
    assert!(html.contains(&format!(
        "value=\"{id}\"><button type=\"submit\" aria-label=\"Upvote "
    )));
}
