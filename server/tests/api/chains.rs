//! Chains: the discovery page `/chains`, the chain page `/c/<id>`, and the
//! chain actions (create, follow, unfollow, add and remove projects):
//! authorization (403, private chains are 404; signed-out calls are in
//! `authorization.rs`),
//! bad input (422 with the field's message, nothing written), and the
//! actor seeing their own writes although the views are not refreshed.

use std::collections::HashSet;

use crate::helpers::{chains_app, error_at, shown, TestApp, NIL};

/// The chain ids of the main list's cards, in order.
fn card_ids(html: &str) -> Vec<String> {
    html.split(r#"id="c-"#)
        .skip(1)
        .map(|rest| rest[..36].to_string())
        .collect()
}

async fn chain_rows(app: &TestApp) -> (i64, i64, i64) {
    (
        app.count("select count(*) from chains").await,
        app.count("select count(*) from chain_followers").await,
        app.count("select count(*) from chain_projects").await,
    )
}

#[tokio::test]
async fn discovery_lists_public_chains_with_tabs_categories_and_keyset_pages() {
    let app = chains_app().await;
    // A private chain in the view: never listed.
    let (private, _, _) = app.private_chain().await;
    app.refresh(&["mv_chains_discovery"]).await;
    let (status, html) = app.get_html("/chains").await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("<h1").count(), 1, "one h1");
    assert!(html.contains("Trending chains"));
    for tab in ["Trending", "Most followed", "Newest"] {
        assert!(html.contains(&format!(">{tab}</a>")), "tab {tab}");
    }
    assert!(html.contains(r#"aria-labelledby="featured-chains-heading""#));
    assert!(html.contains(r#"href="/chains">Chains</a>"#), "nav link");
    // Signed out: a way to log in instead of the form.
    assert!(html.contains("/login?next=/chains"));
    assert!(!html.contains(r#"action="/api/create_chain""#));
    let top = app
        .pick(
            "select id::text from mv_chains_discovery where is_public \
         order by trending_score desc, id desc limit 1",
        )
        .await;
    assert_eq!(card_ids(&html)[0], top);

    let public: HashSet<String> =
        sqlx::query_scalar("select id::text from mv_chains_discovery where is_public")
            .fetch_all(&app.pool)
            .await
            .unwrap()
            .into_iter()
            .collect();
    for start in ["/chains", "/chains?tab=followed", "/chains?tab=newest"] {
        let seen = app.walk_pages(start, "Next page", 50, card_ids).await;
        assert_eq!(seen, public, "{start} lists every public chain once");
        assert!(!seen.contains(&private));
    }
    // Newest really is newest first; most followed by followers.
    let (_, html) = app.get_html("/chains?tab=newest").await;
    let newest: Vec<String> = sqlx::query_scalar(
        "select id::text from mv_chains_discovery where is_public \
         order by created_at desc, id desc limit 20",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(card_ids(&html), newest);
    let (_, html) = app.get_html("/chains?tab=followed").await;
    let followed: Vec<String> = sqlx::query_scalar(
        "select id::text from mv_chains_discovery where is_public \
         order by follower_count desc, id desc limit 20",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(card_ids(&html), followed);

    // A category shows only its public chains.
    let category = app
        .pick(
            "select category from mv_chains_discovery where is_public \
         group by category order by count(*) desc, category limit 1",
        )
        .await;
    let (status, html) = app.get_html(&format!("/chains?category={category}")).await;
    assert_eq!(status, 200);
    let wanted: HashSet<String> = sqlx::query_scalar(
        "select id::text from mv_chains_discovery where is_public and category = $1",
    )
    .bind(&category)
    .fetch_all(&app.pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    let shown_ids: HashSet<String> = card_ids(&html).into_iter().collect();
    assert_eq!(shown_ids, wanted);
}

#[tokio::test]
async fn bad_query_parameters_are_a_400_page() {
    let app = chains_app().await;
    let (chain, _) = app.busy_chain().await;
    for path in [
        "/chains?tab=bogus".to_string(),
        "/chains?category=cooking".to_string(),
        "/chains?after=garbage".to_string(),
        format!("/chains?after=NaN_{NIL}"),
        format!("/chains?tab=followed&after=1.5_{NIL}"),
        format!("/chains?tab=newest&after=99999999999999999999_{NIL}"),
        format!("/chains?tab=newest&after=-999999999999999999_{NIL}"),
        format!("/c/{chain}?tab=bogus"),
        format!("/c/{chain}?after=garbage"),
        format!("/c/{chain}?tab=newest&after=inf_{NIL}"),
        format!("/c/{chain}?pafter=nope"),
        format!("/c/{chain}?pafter=99999999999999999999_{NIL}"),
    ] {
        let (status, html) = app.get_html(&path).await;
        assert_eq!(status, 400, "{path}");
        assert!(html.contains("Bad request"), "{path}");
        assert_eq!(html.matches("<h1").count(), 1);
    }
}

#[tokio::test]
async fn the_chain_page_shows_header_forum_and_projects() {
    let app = chains_app().await;
    let (chain, creator) = app.busy_chain().await;
    let (status, html) = app.get_html(&format!("/c/{chain}")).await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("<h1").count(), 1);
    let name = app
        .pick(&format!("select name from chains where id = '{chain}'"))
        .await;
    assert!(html.contains(&format!("<h1>{name}</h1>")));
    assert!(html.contains(&format!(r#"href="/u/{creator}""#)));
    let followers = app
        .count(&format!(
            "select follower_count from mv_chains_discovery where id = '{chain}'"
        ))
        .await;
    assert_eq!(shown(&html, "follower-count"), followers);
    // Its projects (live) and posts (the view).
    let project = app
        .pick(&format!(
            "select p.id::text from chain_projects cp join projects p on p.id = cp.project_id \
             where cp.chain_id = '{chain}' and not p.is_deleted \
             order by cp.created_at desc, cp.project_id desc limit 1"
        ))
        .await;
    assert!(html.contains(&format!(r#"id="cp-{project}""#)));
    let first_post = app
        .pick(&format!(
            "select id::text from mv_chain_posts where chain_id = '{chain}' \
             order by is_pinned desc, trending_score desc, id desc limit 1"
        ))
        .await;
    assert!(html.contains(&format!(r#"id="post-{first_post}""#)));
    assert!(html.contains(&format!(r#"href="/c/{chain}/feed.atom""#)));
    // Signed out: the follow form (it leads to log in), no post form, no pins.
    assert!(html.contains("/api/follow_chain"));
    assert!(!html.contains("/api/create_post"));
    assert!(!html.contains("/api/pin_post"));
    assert!(!html.contains("@example"), "no email on a public page");

    // The forum pages through every post once, pinned first, per tab.
    let all: HashSet<String> = sqlx::query_scalar(&format!(
        "select id::text from mv_chain_posts where chain_id = '{chain}'"
    ))
    .fetch_all(&app.pool)
    .await
    .unwrap()
    .into_iter()
    .collect();
    for start in [format!("/c/{chain}"), format!("/c/{chain}?tab=newest")] {
        let seen = app
            .walk_pages(&start, "Older posts", 100, |html| {
                html.split(r#"<li id="post-"#)
                    .skip(1)
                    .map(|r| r[..36].to_string())
                    .collect()
            })
            .await;
        assert_eq!(seen, all, "{start}");
    }
}

#[tokio::test]
async fn unknown_inactive_and_private_chains_are_404_except_for_members() {
    let app = chains_app().await;
    let (private, creator, follower) = app.private_chain().await;
    let stranger = app.outsider(&private).await;
    let (busy, _) = app.busy_chain().await;
    app.exec(&format!(
        "update chains set is_active = false where id = '{busy}'"
    ))
    .await;
    for path in [
        format!("/c/{NIL}"),
        "/c/not-a-uuid".to_string(),
        format!("/c/{busy}"),
        format!("/c/{private}"),
        format!("/c/{private}/posts/{NIL}"),
        format!("/c/{busy}/posts/{NIL}"),
    ] {
        let (status, html) = app.get_html(&path).await;
        assert_eq!(status, 404, "{path}");
        assert!(html.contains("Page not found"));
    }
    let stranger = app.client_for(&stranger).await;
    let (status, _) = app.get(&stranger, &format!("/c/{private}")).await;
    assert_eq!(status, 404, "a stranger does not see a private chain");
    for member in [creator, follower] {
        let client = app.client_for(&member).await;
        let (status, html) = app.get(&client, &format!("/c/{private}")).await;
        assert_eq!(status, 200, "{member} sees the private chain");
        assert!(html.contains("Private"));
        assert!(!html.contains("feed.atom"), "no public feed link");
    }
    // Private chains are never listed.
    let (_, html) = app.get_html("/chains?tab=newest").await;
    assert!(!html.contains(&private));
}

#[tokio::test]
async fn creating_a_chain_checks_every_field_and_refuses_a_taken_name() {
    let app = chains_app().await;
    let client = app.client_for("demo_builder").await;
    let taken = app
        .pick("select upper(name) from chains order by id limit 1")
        .await;
    let long_name = "n".repeat(81);
    let long_description = "d".repeat(2001);
    let before = chain_rows(&app).await;
    for (field, name, description, category, visibility) in [
        ("name", "", "", "ai", "public"),
        ("name", "  x  ", "", "ai", "public"),
        ("name", long_name.as_str(), "", "ai", "public"),
        ("name", taken.as_str(), "", "ai", "public"),
        (
            "description",
            "Fine name one",
            long_description.as_str(),
            "ai",
            "public",
        ),
        ("category", "Fine name two", "", "cooking", "public"),
        ("category", "Fine name three", "", "", "public"),
        ("visibility", "Fine name four", "", "ai", "secret"),
    ] {
        let res = app
            .post(
                &client,
                "/api/create_chain",
                None,
                &[
                    ("name", name),
                    ("description", description),
                    ("category", category),
                    ("visibility", visibility),
                ],
            )
            .await;
        assert_eq!(res.status().as_u16(), 422, "{field} {name}");
        error_at(res, field).await;
    }
    assert_eq!(chain_rows(&app).await, before, "nothing written");

    // Missing fields are 400.
    assert_eq!(
        app.call(&client, "/api/create_chain", &[("name", "No category")])
            .await,
        400
    );

    // In a browser: back to the form, 422, the message at the field, the
    // values kept.
    let (status, html) = app
        .refused_form(
            &client,
            "/api/create_chain",
            "/chains",
            &[
                ("name", &taken.to_lowercase()),
                ("description", "Kept text"),
                ("category", "web"),
                ("visibility", "private"),
            ],
        )
        .await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="name-error""#));
    assert!(html.contains("already exists"));
    assert!(html.contains("Kept text"));
    let web = html.find(r#"<option value="web""#).unwrap();
    assert!(html[web..web + 40].contains("selected"), "category kept");
    assert_eq!(chain_rows(&app).await, before);
}

#[tokio::test]
async fn a_new_chain_shows_at_once_and_its_creator_follows_it() {
    let app = chains_app().await;
    let client = app.client_for("demo_builder").await;
    let loc = app
        .submit(
            &client,
            "/api/create_chain",
            "/chains",
            &[
                ("name", "  Rust Embedded Builders  "),
                ("description", "Firmware, boards and the tools around them."),
                ("category", "hardware"),
                ("visibility", "public"),
            ],
        )
        .await;
    let id = loc
        .strip_prefix("/c/")
        .expect("to the new chain")
        .to_string();
    assert_eq!(
        app.pick(&format!("select name from chains where id = '{id}'"))
            .await,
        "Rust Embedded Builders"
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from mv_chains_discovery where id = '{id}'"
        ))
        .await,
        0,
        "not in the view yet"
    );
    let (status, html) = app.get(&client, &loc).await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>Rust Embedded Builders</h1>"));
    assert_eq!(shown(&html, "follower-count"), 1);
    assert!(html.contains("Unfollow Rust Embedded Builders"));
    // The owner can post announcements and add any project.
    assert!(html.contains(r#"value="announcement""#));
    assert!(html.contains("Paste the project"));
    // Anyone can see a public chain.
    let (status, _) = app.get_html(&loc).await;
    assert_eq!(status, 200);

    // Same name in another case: refused.
    assert_eq!(
        app.call(
            &client,
            "/api/create_chain",
            &[
                ("name", "rust embedded BUILDERS"),
                ("description", ""),
                ("category", "hardware"),
                ("visibility", "private"),
            ]
        )
        .await,
        422
    );

    // A private chain: visible to its creator only.
    assert_eq!(
        app.call(
            &client,
            "/api/create_chain",
            &[
                ("name", "Quiet room"),
                ("description", ""),
                ("category", "other"),
                ("visibility", "private"),
            ]
        )
        .await,
        200
    );
    let quiet = app
        .pick("select id::text from chains where name = 'Quiet room'")
        .await;
    let (status, _) = app.get(&client, &format!("/c/{quiet}")).await;
    assert_eq!(status, 200);
    let (status, _) = app.get_html(&format!("/c/{quiet}")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn follow_and_unfollow_show_at_once_and_private_chains_are_404() {
    let app = chains_app().await;
    let (chain, _) = app.busy_chain().await;
    let reader = app.outsider(&chain).await;
    let client = app.client_for(&reader).await;
    let page = format!("/c/{chain}");
    let (_, html) = app.get(&client, &page).await;
    let followers = shown(&html, "follower-count");
    assert!(html.contains("/api/follow_chain"));

    assert_eq!(
        app.submit(&client, "/api/follow_chain", &page, &[("chain_id", &chain)])
            .await,
        format!("{page}#chain-header")
    );
    let in_view = app
        .count(&format!(
            "select follower_count from mv_chains_discovery where id = '{chain}'"
        ))
        .await;
    assert_eq!(in_view, followers, "the view is not refreshed ...");
    let (_, html) = app.get(&client, &page).await;
    assert_eq!(
        shown(&html, "follower-count"),
        followers + 1,
        "... yet it shows"
    );
    assert!(html.contains("/api/unfollow_chain"));
    // On the discovery page too.
    let (_, html) = app.get(&client, "/chains?tab=followed").await;
    if let Some(at) = html.find(&format!(r#"id="c-{chain}""#)) {
        assert_eq!(shown(&html[at..], "follower-count"), followers + 1);
    }
    // Following twice changes nothing.
    assert_eq!(
        app.call(&client, "/api/follow_chain", &[("chain_id", &chain)])
            .await,
        200
    );
    assert_eq!(
        app.count(&format!(
            "select count(*) from chain_followers where chain_id = '{chain}'"
        ))
        .await,
        followers + 1
    );

    app.submit(
        &client,
        "/api/unfollow_chain",
        &page,
        &[("chain_id", &chain)],
    )
    .await;
    let (_, html) = app.get(&client, &page).await;
    assert_eq!(shown(&html, "follower-count"), followers);
    assert!(html.contains("/api/follow_chain"));

    // Unknown, malformed, inactive, or private to someone else: 404.
    let (private, _, _) = app.private_chain().await;
    let stranger = app.outsider(&private).await;
    let stranger = app.client_for(&stranger).await;
    let before = chain_rows(&app).await;
    for bad in [NIL, "nope", private.as_str()] {
        for path in ["/api/follow_chain", "/api/unfollow_chain"] {
            assert_eq!(
                app.call(&stranger, path, &[("chain_id", bad)]).await,
                404,
                "{path} {bad}"
            );
        }
    }
    assert_eq!(chain_rows(&app).await, before);
}

#[tokio::test]
async fn projects_are_added_by_the_owner_or_by_their_builder_on_public_chains() {
    let app = chains_app().await;
    let (chain, owner) = app.busy_chain().await;
    let page = format!("/c/{chain}");
    // A builder who is not the owner, with a live project outside the chain.
    let (builder, own): (String, String) = sqlx::query_as(&format!(
        "select u.username, p.id::text from projects p join users u on u.id = p.user_id \
         where not p.is_deleted and u.is_active and u.username <> '{owner}' \
           and not exists (select 1 from chain_projects cp \
                           where cp.chain_id = '{chain}' and cp.project_id = p.id) \
         order by p.id limit 1"
    ))
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let someone_elses = app
        .pick(&format!(
            "select p.id::text from projects p join users u on u.id = p.user_id \
             where not p.is_deleted and u.username not in ('{owner}', '{builder}') \
               and not exists (select 1 from chain_projects cp \
                               where cp.chain_id = '{chain}' and cp.project_id = p.id) \
             order by p.id limit 1"
        ))
        .await;
    let deleted = app
        .pick("select id::text from projects where is_deleted limit 1")
        .await;
    let b = app.client_for(&builder).await;
    let before = chain_rows(&app).await;

    // Someone else's project: 403; nothing written.
    assert_eq!(
        app.call(
            &b,
            "/api/chain_add_project",
            &[("chain_id", &chain), ("project", &someone_elses)]
        )
        .await,
        403
    );
    // Unknown or deleted project, unknown chain: 404; malformed: 422.
    for (c, p, status) in [
        (chain.as_str(), NIL, 404),
        (chain.as_str(), deleted.as_str(), 404),
        (NIL, own.as_str(), 404),
        ("nope", own.as_str(), 404),
        (chain.as_str(), "not a project", 422),
        (chain.as_str(), "", 422),
    ] {
        let res = app
            .post(
                &b,
                "/api/chain_add_project",
                None,
                &[("chain_id", c), ("project", p)],
            )
            .await;
        assert_eq!(res.status().as_u16(), status, "{c} {p}");
        if status == 422 {
            error_at(res, "project").await;
        }
    }
    assert_eq!(chain_rows(&app).await, before);

    // Their own project, by link, from the page: added, shown at once.
    let (_, html) = app.get(&b, &page).await;
    assert!(html.contains("Add one of your projects"));
    assert_eq!(
        app.submit(
            &b,
            "/api/chain_add_project",
            &page,
            &[
                ("chain_id", &chain),
                ("project", &format!("{}/p/{own}", app.base)),
            ]
        )
        .await,
        format!("{page}#chain-projects")
    );
    let (_, html) = app.get(&b, &page).await;
    assert!(html.contains(&format!(r#"id="cp-{own}""#)));
    // They may take their own project out; not someone else's.
    let other_in_chain = app
        .pick(&format!(
            "select p.id::text from chain_projects cp join projects p on p.id = cp.project_id \
             join users u on u.id = p.user_id \
             where cp.chain_id = '{chain}' and u.username <> '{builder}' limit 1"
        ))
        .await;
    assert_eq!(
        app.call(
            &b,
            "/api/chain_remove_project",
            &[("chain_id", &chain), ("project_id", &other_in_chain)]
        )
        .await,
        403
    );
    assert_eq!(
        app.call(
            &b,
            "/api/chain_remove_project",
            &[("chain_id", &chain), ("project_id", NIL)]
        )
        .await,
        404
    );
    app.submit(
        &b,
        "/api/chain_remove_project",
        &page,
        &[("chain_id", &chain), ("project_id", &own)],
    )
    .await;
    let (_, html) = app.get(&b, &page).await;
    assert!(!html.contains(&format!(r#"id="cp-{own}""#)));

    // The owner adds anyone's project and removes any.
    let o = app.client_for(&owner).await;
    app.submit(
        &o,
        "/api/chain_add_project",
        &page,
        &[("chain_id", &chain), ("project", &someone_elses)],
    )
    .await;
    let (_, html) = app.get(&o, &page).await;
    assert!(html.contains(&format!(r#"id="cp-{someone_elses}""#)));
    assert_eq!(
        app.call(
            &o,
            "/api/chain_remove_project",
            &[("chain_id", &chain), ("project_id", &someone_elses)]
        )
        .await,
        200
    );
    assert_eq!(chain_rows(&app).await, before);

    // A private chain: a follower may not add their own project (403).
    let (private, _, follower) = app.private_chain().await;
    let f = app.client_for(&follower).await;
    let theirs = app
        .pick(&format!(
            "select p.id::text from projects p join users u on u.id = p.user_id \
             where u.username = '{follower}' and not p.is_deleted limit 1"
        ))
        .await;
    let rows = chain_rows(&app).await;
    assert_eq!(
        app.call(
            &f,
            "/api/chain_add_project",
            &[("chain_id", &private), ("project", &theirs)]
        )
        .await,
        403
    );
    // And to a stranger the private chain does not exist.
    let stranger = app.outsider(&private).await;
    let stranger = app.client_for(&stranger).await;
    assert_eq!(
        app.call(
            &stranger,
            "/api/chain_add_project",
            &[("chain_id", &private), ("project", &own)]
        )
        .await,
        404
    );
    assert_eq!(chain_rows(&app).await, rows);
}
