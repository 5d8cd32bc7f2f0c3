//! Chains: the discovery page `/chains`, the chain page `/c/<id>`, and the
//! chain actions (create, follow, unfollow, add and remove projects):
//! authorization (401 / login redirect, 403, private chains are 404),
//! bad input (422 with the field's message, nothing written), and the
//! actor seeing their own writes although the views are not refreshed.

use std::collections::HashSet;

use crate::feed::{get, log_in, new_client, seeded_app as feed_app};
use crate::helpers::TestApp;

pub const NIL: &str = "00000000-0000-0000-0000-000000000000";

/// Demo data with every view the chain pages read refreshed, and no
/// background refresher: whatever the pages show beyond the views was
/// read live.
pub async fn seeded_app() -> TestApp {
    let app = feed_app().await;
    for view in ["mv_chains_discovery", "mv_chain_posts"] {
        sqlx::query(&format!("refresh materialized view {view}"))
            .execute(&app.pool)
            .await
            .unwrap();
    }
    app
}

/// One text value from a query.
pub async fn pick(app: &TestApp, sql: &str) -> String {
    sqlx::query_scalar::<_, String>(sql)
        .fetch_one(&app.pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// A client logged in as `username` (every demo user has the demo password).
pub async fn client_for(app: &TestApp, username: &str) -> reqwest::Client {
    let client = new_client();
    log_in(app, &client, username).await;
    client
}

/// Posts a form: like a browser (with a referer: 302s) or an API client.
pub async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    referer: Option<&str>,
    form: &[(&str, &str)],
) -> reqwest::Response {
    let mut req = client.post(app.url(path)).form(form);
    if let Some(referer) = referer {
        req = req
            .headers(app.browser_headers())
            .header("referer", app.url(referer));
    }
    req.send().await.unwrap()
}

pub fn location(res: &reqwest::Response) -> String {
    res.headers()["location"].to_str().unwrap().to_string()
}

/// The number shown in the first element with this class.
pub fn shown(html: &str, class: &str) -> i64 {
    let marker = format!(r#"{class}">"#);
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("{class} shown"))
        + marker.len();
    html[at..at + html[at..].find('<').unwrap()]
        .parse()
        .unwrap()
}

/// The chain ids of the main list's cards, in order.
fn card_ids(html: &str) -> Vec<String> {
    html.split(r#"id="c-"#)
        .skip(1)
        .map(|rest| rest[..36].to_string())
        .collect()
}

fn next_href(html: &str, text: &str) -> Option<String> {
    let at = html.find(&format!(">{text}<"))?;
    let start = html[..at].rfind("href=\"")? + 6;
    let end = start + html[start..].find('"')?;
    Some(html[start..end].replace("&amp;", "&"))
}

/// The API error of a non-browser post.
pub async fn api_error(res: reqwest::Response) -> app::error::AppError {
    serde_json::from_str(&res.text().await.unwrap()).unwrap()
}

/// A public active chain with projects and posts, and its creator.
pub async fn busy_chain(app: &TestApp) -> (String, String) {
    sqlx::query_as(
        "select d.id::text, d.creator_username from mv_chains_discovery d \
         join users u on u.id = d.creator_id and u.is_active \
         where d.is_public and d.project_count > 0 and d.post_count > 2 \
         order by d.post_count desc, d.id limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap()
}

/// An active user who neither created nor follows `chain`.
pub async fn outsider(app: &TestApp, chain: &str) -> String {
    pick(
        app,
        &format!(
            "select u.username from users u where u.is_active and u.id <> \
               (select creator_id from chains where id = '{chain}') \
             and not exists (select 1 from chain_followers f \
               where f.chain_id = '{chain}' and f.user_id = u.id) \
             order by u.username limit 1"
        ),
    )
    .await
}

/// A private active chain made for the test (with one post by its
/// creator), its creator, and a follower who is not the creator but has a
/// live project of their own.
pub async fn private_chain(app: &TestApp) -> (String, String, String) {
    let creator = pick(
        app,
        "select username from users where is_active and username <> 'demo_builder' \
         order by username desc limit 1",
    )
    .await;
    let id = pick(
        app,
        &format!(
            "insert into chains (creator_id, name, description, category, is_public) \
             select id, 'Private test room', 'Members only.', 'other', false \
             from users where username = '{creator}' returning id::text"
        ),
    )
    .await;
    sqlx::query(&format!(
        "insert into chain_posts (chain_id, author_id, title, content) \
         select '{id}', id, 'Members only post', 'Hello members' from users \
         where username = '{creator}'"
    ))
    .execute(&app.pool)
    .await
    .unwrap();
    let follower = pick(
        app,
        &format!(
            "select u.username from users u where u.is_active and u.username <> '{creator}' \
               and u.username <> 'demo_builder' \
               and exists (select 1 from projects p where p.user_id = u.id and not p.is_deleted) \
             order by u.username limit 1"
        ),
    )
    .await;
    sqlx::query(&format!(
        "insert into chain_followers (chain_id, user_id) \
         select '{id}', id from users where username in ('{creator}', '{follower}')"
    ))
    .execute(&app.pool)
    .await
    .unwrap();
    (id, creator, follower)
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
    let app = seeded_app().await;
    // A private chain in the view: never listed.
    let (private, _, _) = private_chain(&app).await;
    sqlx::query("refresh materialized view mv_chains_discovery")
        .execute(&app.pool)
        .await
        .unwrap();
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
    let top = pick(
        &app,
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
        let mut seen = HashSet::new();
        let mut path = Some(start.to_string());
        let mut pages = 0;
        while let Some(p) = path {
            let (status, html) = app.get_html(&p).await;
            assert_eq!(status, 200, "{p}");
            for id in card_ids(&html) {
                assert!(seen.insert(id), "{p} repeats a chain");
            }
            path = next_href(&html, "Next page");
            pages += 1;
            assert!(pages < 50);
        }
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
    let category = pick(
        &app,
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
    let app = seeded_app().await;
    let (chain, _) = busy_chain(&app).await;
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
    let app = seeded_app().await;
    let (chain, creator) = busy_chain(&app).await;
    let (status, html) = app.get_html(&format!("/c/{chain}")).await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("<h1").count(), 1);
    let name = pick(
        &app,
        &format!("select name from chains where id = '{chain}'"),
    )
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
    let project = pick(
        &app,
        &format!(
            "select p.id::text from chain_projects cp join projects p on p.id = cp.project_id \
             where cp.chain_id = '{chain}' and not p.is_deleted \
             order by cp.created_at desc, cp.project_id desc limit 1"
        ),
    )
    .await;
    assert!(html.contains(&format!(r#"id="cp-{project}""#)));
    let first_post = pick(
        &app,
        &format!(
            "select id::text from mv_chain_posts where chain_id = '{chain}' \
             order by is_pinned desc, trending_score desc, id desc limit 1"
        ),
    )
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
        let mut seen = HashSet::new();
        let mut path = Some(start.clone());
        let mut pages = 0;
        while let Some(p) = path {
            let (status, html) = app.get_html(&p).await;
            assert_eq!(status, 200, "{p}");
            for id in html
                .split(r#"<li id="post-"#)
                .skip(1)
                .map(|r| r[..36].to_string())
            {
                assert!(seen.insert(id), "{p} repeats a post");
            }
            path = next_href(&html, "Older posts").map(|h| h.replace("#forum", ""));
            pages += 1;
            assert!(pages < 100);
        }
        assert_eq!(seen, all, "{start}");
    }
}

#[tokio::test]
async fn unknown_inactive_and_private_chains_are_404_except_for_members() {
    let app = seeded_app().await;
    let (private, creator, follower) = private_chain(&app).await;
    let stranger = outsider(&app, &private).await;
    let (busy, _) = busy_chain(&app).await;
    sqlx::query(&format!(
        "update chains set is_active = false where id = '{busy}'"
    ))
    .execute(&app.pool)
    .await
    .unwrap();
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
    let stranger = client_for(&app, &stranger).await;
    let (status, _) = get(&app, &stranger, &format!("/c/{private}")).await;
    assert_eq!(status, 404, "a stranger does not see a private chain");
    for member in [creator, follower] {
        let client = client_for(&app, &member).await;
        let (status, html) = get(&app, &client, &format!("/c/{private}")).await;
        assert_eq!(status, 200, "{member} sees the private chain");
        assert!(html.contains("Private"));
        assert!(!html.contains("feed.atom"), "no public feed link");
    }
    // Private chains are never listed.
    let (_, html) = app.get_html("/chains?tab=newest").await;
    assert!(!html.contains(&private));
}

#[tokio::test]
async fn signed_out_chain_actions_are_401_or_a_login_redirect_and_write_nothing() {
    let app = seeded_app().await;
    let (chain, _) = busy_chain(&app).await;
    let project = pick(
        &app,
        "select id::text from projects where not is_deleted limit 1",
    )
    .await;
    let before = chain_rows(&app).await;
    let cases: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            "/api/create_chain",
            vec![
                ("name", "Signed out chain"),
                ("description", ""),
                ("category", "ai"),
                ("visibility", "public"),
            ],
        ),
        ("/api/follow_chain", vec![("chain_id", &chain)]),
        ("/api/unfollow_chain", vec![("chain_id", &chain)]),
        (
            "/api/chain_add_project",
            vec![("chain_id", &chain), ("project", &project)],
        ),
        (
            "/api/chain_remove_project",
            vec![("chain_id", &chain), ("project_id", &project)],
        ),
    ];
    let page = format!("/c/{chain}");
    for (path, form) in &cases {
        let res = post(&app, &app.client, path, None, form).await;
        assert_eq!(res.status().as_u16(), 401, "{path}");
        let res = post(&app, &app.client, path, Some(&page), form).await;
        assert_eq!(res.status().as_u16(), 302, "{path}");
        assert_eq!(location(&res), format!("/login?next={page}"), "{path}");
    }
    assert_eq!(chain_rows(&app).await, before);
}

#[tokio::test]
async fn creating_a_chain_checks_every_field_and_refuses_a_taken_name() {
    let app = seeded_app().await;
    let client = client_for(&app, "demo_builder").await;
    let taken = pick(&app, "select upper(name) from chains order by id limit 1").await;
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
        let res = post(
            &app,
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
        let err = api_error(res).await;
        assert!(err.field_error(field).is_some(), "{field}: {err:?}");
    }
    assert_eq!(chain_rows(&app).await, before, "nothing written");

    // Missing fields are 400.
    let res = post(
        &app,
        &client,
        "/api/create_chain",
        None,
        &[("name", "No category")],
    )
    .await;
    assert_eq!(res.status().as_u16(), 400);

    // In a browser: back to the form, 422, the message at the field, the
    // values kept.
    let res = post(
        &app,
        &client,
        "/api/create_chain",
        Some("/chains"),
        &[
            ("name", &taken.to_lowercase()),
            ("description", "Kept text"),
            ("category", "web"),
            ("visibility", "private"),
        ],
    )
    .await;
    assert_eq!(res.status().as_u16(), 302);
    let back = location(&res);
    assert!(
        !back.contains("__err="),
        "the error is not in the address: {back}"
    );
    let (status, html) = get(&app, &client, back.trim_start_matches(&app.base)).await;
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
    let app = seeded_app().await;
    let client = client_for(&app, "demo_builder").await;
    let res = post(
        &app,
        &client,
        "/api/create_chain",
        Some("/chains"),
        &[
            ("name", "  Rust Embedded Builders  "),
            ("description", "Firmware, boards and the tools around them."),
            ("category", "hardware"),
            ("visibility", "public"),
        ],
    )
    .await;
    assert_eq!(res.status().as_u16(), 302);
    let loc = location(&res);
    let id = loc
        .strip_prefix("/c/")
        .expect("to the new chain")
        .to_string();
    assert_eq!(
        pick(&app, &format!("select name from chains where id = '{id}'")).await,
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
    let (status, html) = get(&app, &client, &loc).await;
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
    let res = post(
        &app,
        &client,
        "/api/create_chain",
        None,
        &[
            ("name", "rust embedded BUILDERS"),
            ("description", ""),
            ("category", "hardware"),
            ("visibility", "private"),
        ],
    )
    .await;
    assert_eq!(res.status().as_u16(), 422);

    // A private chain: visible to its creator only.
    let res = post(
        &app,
        &client,
        "/api/create_chain",
        None,
        &[
            ("name", "Quiet room"),
            ("description", ""),
            ("category", "other"),
            ("visibility", "private"),
        ],
    )
    .await;
    assert_eq!(res.status().as_u16(), 200);
    let quiet = pick(
        &app,
        "select id::text from chains where name = 'Quiet room'",
    )
    .await;
    let (status, _) = get(&app, &client, &format!("/c/{quiet}")).await;
    assert_eq!(status, 200);
    let (status, _) = app.get_html(&format!("/c/{quiet}")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn follow_and_unfollow_show_at_once_and_private_chains_are_404() {
    let app = seeded_app().await;
    let (chain, _) = busy_chain(&app).await;
    let reader = outsider(&app, &chain).await;
    let client = client_for(&app, &reader).await;
    let page = format!("/c/{chain}");
    let (_, html) = get(&app, &client, &page).await;
    let followers = shown(&html, "follower-count");
    assert!(html.contains("/api/follow_chain"));

    let res = post(
        &app,
        &client,
        "/api/follow_chain",
        Some(&page),
        &[("chain_id", &chain)],
    )
    .await;
    assert_eq!(res.status().as_u16(), 302);
    assert_eq!(location(&res), format!("{page}#chain-header"));
    let in_view = app
        .count(&format!(
            "select follower_count from mv_chains_discovery where id = '{chain}'"
        ))
        .await;
    assert_eq!(in_view, followers, "the view is not refreshed ...");
    let (_, html) = get(&app, &client, &page).await;
    assert_eq!(
        shown(&html, "follower-count"),
        followers + 1,
        "... yet it shows"
    );
    assert!(html.contains("/api/unfollow_chain"));
    // On the discovery page too.
    let (_, html) = get(&app, &client, "/chains?tab=followed").await;
    if let Some(at) = html.find(&format!(r#"id="c-{chain}""#)) {
        assert_eq!(shown(&html[at..], "follower-count"), followers + 1);
    }
    // Following twice changes nothing.
    let res = post(
        &app,
        &client,
        "/api/follow_chain",
        None,
        &[("chain_id", &chain)],
    )
    .await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        app.count(&format!(
            "select count(*) from chain_followers where chain_id = '{chain}'"
        ))
        .await,
        followers + 1
    );

    let res = post(
        &app,
        &client,
        "/api/unfollow_chain",
        Some(&page),
        &[("chain_id", &chain)],
    )
    .await;
    assert_eq!(res.status().as_u16(), 302);
    let (_, html) = get(&app, &client, &page).await;
    assert_eq!(shown(&html, "follower-count"), followers);
    assert!(html.contains("/api/follow_chain"));

    // Unknown, malformed, inactive, or private to someone else: 404.
    let (private, _, _) = private_chain(&app).await;
    let stranger = outsider(&app, &private).await;
    let stranger = client_for(&app, &stranger).await;
    let before = chain_rows(&app).await;
    for bad in [NIL, "nope", private.as_str()] {
        for path in ["/api/follow_chain", "/api/unfollow_chain"] {
            let res = post(&app, &stranger, path, None, &[("chain_id", bad)]).await;
            assert_eq!(res.status().as_u16(), 404, "{path} {bad}");
        }
    }
    assert_eq!(chain_rows(&app).await, before);
}

#[tokio::test]
async fn projects_are_added_by_the_owner_or_by_their_builder_on_public_chains() {
    let app = seeded_app().await;
    let (chain, owner) = busy_chain(&app).await;
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
    let someone_elses = pick(
        &app,
        &format!(
            "select p.id::text from projects p join users u on u.id = p.user_id \
             where not p.is_deleted and u.username not in ('{owner}', '{builder}') \
               and not exists (select 1 from chain_projects cp \
                               where cp.chain_id = '{chain}' and cp.project_id = p.id) \
             order by p.id limit 1"
        ),
    )
    .await;
    let deleted = pick(
        &app,
        "select id::text from projects where is_deleted limit 1",
    )
    .await;
    let b = client_for(&app, &builder).await;
    let before = chain_rows(&app).await;

    // Someone else's project: 403; nothing written.
    let res = post(
        &app,
        &b,
        "/api/chain_add_project",
        None,
        &[("chain_id", &chain), ("project", &someone_elses)],
    )
    .await;
    assert_eq!(res.status().as_u16(), 403);
    // Unknown or deleted project, unknown chain: 404; malformed: 422.
    for (c, p, status) in [
        (chain.as_str(), NIL, 404),
        (chain.as_str(), deleted.as_str(), 404),
        (NIL, own.as_str(), 404),
        ("nope", own.as_str(), 404),
        (chain.as_str(), "not a project", 422),
        (chain.as_str(), "", 422),
    ] {
        let res = post(
            &app,
            &b,
            "/api/chain_add_project",
            None,
            &[("chain_id", c), ("project", p)],
        )
        .await;
        assert_eq!(res.status().as_u16(), status, "{c} {p}");
        if status == 422 {
            assert!(api_error(res).await.field_error("project").is_some());
        }
    }
    assert_eq!(chain_rows(&app).await, before);

    // Their own project, by link, from the page: added, shown at once.
    let (_, html) = get(&app, &b, &page).await;
    assert!(html.contains("Add one of your projects"));
    let res = post(
        &app,
        &b,
        "/api/chain_add_project",
        Some(&page),
        &[
            ("chain_id", &chain),
            ("project", &format!("{}/p/{own}", app.base)),
        ],
    )
    .await;
    assert_eq!(res.status().as_u16(), 302);
    assert_eq!(location(&res), format!("{page}#chain-projects"));
    let (_, html) = get(&app, &b, &page).await;
    assert!(html.contains(&format!(r#"id="cp-{own}""#)));
    // They may take their own project out; not someone else's.
    let other_in_chain = pick(
        &app,
        &format!(
            "select p.id::text from chain_projects cp join projects p on p.id = cp.project_id \
             join users u on u.id = p.user_id \
             where cp.chain_id = '{chain}' and u.username <> '{builder}' limit 1"
        ),
    )
    .await;
    let res = post(
        &app,
        &b,
        "/api/chain_remove_project",
        None,
        &[("chain_id", &chain), ("project_id", &other_in_chain)],
    )
    .await;
    assert_eq!(res.status().as_u16(), 403);
    let res = post(
        &app,
        &b,
        "/api/chain_remove_project",
        None,
        &[("chain_id", &chain), ("project_id", NIL)],
    )
    .await;
    assert_eq!(res.status().as_u16(), 404);
    let res = post(
        &app,
        &b,
        "/api/chain_remove_project",
        Some(&page),
        &[("chain_id", &chain), ("project_id", &own)],
    )
    .await;
    assert_eq!(res.status().as_u16(), 302);
    let (_, html) = get(&app, &b, &page).await;
    assert!(!html.contains(&format!(r#"id="cp-{own}""#)));

    // The owner adds anyone's project and removes any.
    let o = client_for(&app, &owner).await;
    let res = post(
        &app,
        &o,
        "/api/chain_add_project",
        Some(&page),
        &[("chain_id", &chain), ("project", &someone_elses)],
    )
    .await;
    assert_eq!(res.status().as_u16(), 302);
    let (_, html) = get(&app, &o, &page).await;
    assert!(html.contains(&format!(r#"id="cp-{someone_elses}""#)));
    let res = post(
        &app,
        &o,
        "/api/chain_remove_project",
        None,
        &[("chain_id", &chain), ("project_id", &someone_elses)],
    )
    .await;
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(chain_rows(&app).await, before);

    // A private chain: a follower may not add their own project (403).
    let (private, _, follower) = private_chain(&app).await;
    let f = client_for(&app, &follower).await;
    let theirs = pick(
        &app,
        &format!(
            "select p.id::text from projects p join users u on u.id = p.user_id \
             where u.username = '{follower}' and not p.is_deleted limit 1"
        ),
    )
    .await;
    let rows = chain_rows(&app).await;
    let res = post(
        &app,
        &f,
        "/api/chain_add_project",
        None,
        &[("chain_id", &private), ("project", &theirs)],
    )
    .await;
    assert_eq!(res.status().as_u16(), 403);
    // And to a stranger the private chain does not exist.
    let stranger = outsider(&app, &private).await;
    let stranger = client_for(&app, &stranger).await;
    let res = post(
        &app,
        &stranger,
        "/api/chain_add_project",
        None,
        &[("chain_id", &private), ("project", &own)],
    )
    .await;
    assert_eq!(res.status().as_u16(), 404);
    assert_eq!(chain_rows(&app).await, rows);
}
