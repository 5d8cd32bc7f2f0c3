//! Public profiles at `/u/<username>`: the numbers of `mv_user_profiles`,
//! the user's projects newest first by keyset pages, the public chains they
//! follow (never a private one), 404 for unknown and deactivated users, 400
//! for a bad cursor, and no email or other private data.

use std::collections::HashSet;

use data::users::Role;

use crate::helpers::{browse_app, next_href, TestApp};

/// The project ids listed, in order (`<li id="p-..." class="profile-project">`).
fn project_ids(html: &str) -> Vec<String> {
    html.split(r#"<li id="p-"#)
        .skip(1)
        .map(|rest| rest[..36].to_string())
        .collect()
}

async fn user_id(app: &TestApp, username: &str) -> String {
    sqlx::query_scalar("select id::text from users where username = $1")
        .bind(username)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn a_profile_shows_numbers_projects_by_pages_and_public_chains_followed() {
    let app = browse_app().await;
    let me = user_id(&app, "demo_builder").await;
    // Enough projects for two pages.
    sqlx::query(
        "insert into projects (user_id, title, description, category, created_at) \
         select $1::uuid, 'Profile test ' || n, 'A test project.', 'web', \
                now() - n * interval '1 minute' \
         from generate_series(1, 25) n",
    )
    .bind(&me)
    .execute(&app.pool)
    .await
    .unwrap();
    // A public and a private chain, both followed.
    let admin = user_id(&app, "demo_admin").await;
    for (name, public) in [("Open Test Chain", true), ("Secret Test Chain", false)] {
        sqlx::query(
            "with c as (insert into chains (creator_id, name, is_public) values ($1::uuid, $2, $3) \
                        returning id) \
             insert into chain_followers (chain_id, user_id) select id, $4::uuid from c",
        )
        .bind(&admin)
        .bind(name)
        .bind(public)
        .bind(&me)
        .execute(&app.pool)
        .await
        .unwrap();
    }
    app.refresh(&[
        "mv_feed_projects",
        "mv_user_profiles",
        "mv_chains_discovery",
    ])
    .await;

    let (status, html) = app.get_html("/u/demo_builder").await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("<h1").count(), 1, "one h1");
    assert!(html.contains("<h1>demo_builder"));
    app.assert_no_email("/u/demo_builder", &html).await;
    assert!(!html.contains("password"), "nothing private");

    // The numbers are the view's.
    let (karma, received, given, followed, projects): (i64, i64, i64, i64, i64) = sqlx::query_as(
        "select karma, badges_received, badges_given, chains_followed, project_count \
         from mv_user_profiles where username = 'demo_builder'",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert!(projects >= 25);
    let stat =
        |value: i64, label: &str| format!(r#"<span class="stat-value">{value}</span> {label}"#);
    // (Leptos may put `<!>` markers between text nodes.)
    let plain = html.replace("<!>", "");
    let stats = &plain[plain.find("profile-stats").unwrap()..];
    let stats = &stats[..stats.find("</ul>").unwrap()];
    assert!(
        stats.contains(&stat(karma, "karma")),
        "karma {karma} in {stats}"
    );
    assert!(stats.contains(&stat(
        received,
        if received == 1 {
            "badge received"
        } else {
            "badges received"
        }
    )));
    assert!(stats.contains(&stat(
        given,
        if given == 1 {
            "badge given"
        } else {
            "badges given"
        }
    )));
    assert!(stats.contains(&stat(
        followed,
        if followed == 1 {
            "chain followed"
        } else {
            "chains followed"
        }
    )));
    assert!(plain.contains(&format!("Projects ({projects})")));

    // Chains: the public one is listed and linked; the private one never.
    let open: String =
        sqlx::query_scalar("select id::text from chains where name = 'Open Test Chain'")
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert!(html.contains(&format!(r#"href="/c/{open}""#)));
    assert!(html.contains("Open Test Chain"));
    assert!(
        !html.contains("Secret Test Chain"),
        "a private chain on a public page"
    );

    // Projects: newest first, 20 a page, every one once.
    let expected: Vec<String> = sqlx::query_scalar(
        "select id::text from mv_feed_projects where user_id = $1::uuid \
         order by created_at desc, id desc",
    )
    .bind(&me)
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert_eq!(expected.len() as i64, projects);
    let first = project_ids(&html);
    assert_eq!(first.len(), 20);
    let mut shown = first;
    let mut seen: HashSet<String> = shown.iter().cloned().collect();
    let mut next = next_href(&html, "Older projects");
    let mut pages = 1;
    while let Some(p) = next {
        let (status, html) = app.get_html(&p).await;
        assert_eq!(status, 200, "{p}");
        app.assert_no_email(&p, &html).await;
        for id in project_ids(&html) {
            assert!(seen.insert(id.clone()), "{p} repeats {id}");
            shown.push(id);
        }
        assert!(html.contains(">Newest projects<"));
        next = next_href(&html, "Older projects");
        pages += 1;
        assert!(pages < 20);
    }
    assert_eq!(shown, expected);

    // Any case finds the user.
    let (status, html) = app.get_html("/u/DEMO_Builder").await;
    assert_eq!(status, 200);
    assert!(html.contains("<h1>demo_builder"));
}

#[tokio::test]
async fn unknown_and_deactivated_users_are_404_and_bad_cursors_400() {
    let app = browse_app().await;
    // Deactivated a moment ago: still in the (unrefreshed) view.
    let gone: String = sqlx::query_scalar(
        "select username from mv_user_profiles where username not like 'demo%' \
         order by username limit 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let (status, _) = app.get_html(&format!("/u/{gone}")).await;
    assert_eq!(status, 200, "shown while active");
    sqlx::query("update users set is_active = false where username = $1")
        .bind(&gone)
        .execute(&app.pool)
        .await
        .unwrap();
    for path in [
        format!("/u/{gone}"),
        "/u/nobody_here_at_all".to_string(),
        "/u/ab".to_string(),
        "/u/a%20b".to_string(),
        "/u/%3Cscript%3E".to_string(),
        format!("/u/{}", "x".repeat(200)),
        "/u/".to_string(),
    ] {
        let (status, html) = app.get_html(&path).await;
        assert_eq!(status, 404, "{path}");
        assert!(html.contains("Page not found"), "{path}");
        assert_eq!(html.matches("<h1").count(), 1, "{path}");
    }
    for path in [
        "/u/demo_builder?after=garbage",
        "/u/demo_builder?after=1_not-a-uuid",
        "/u/demo_builder?after=99999999999999999999_00000000-0000-0000-0000-000000000000",
    ] {
        let (status, html) = app.get_html(path).await;
        assert_eq!(status, 400, "{path}");
        assert!(html.contains("Bad request"), "{path}");
    }
}

/// A user who signed up a moment ago has a profile at once, though the
/// view does not hold them until its next refresh (read live, as the
/// people they just sent their link to would expect); deactivated, gone at
/// once.
#[tokio::test]
async fn a_new_user_has_a_profile_before_the_view_refreshes() {
    let app = browse_app().await;
    let user = data::users::create(
        &app.pool,
        &data::users::NewUser {
            username: "Fresh_Face".into(),
            email: "fresh_face@example.test".into(),
            password: data::seed::DEMO_PASSWORD.into(),
        },
        Role::Builder,
    )
    .await
    .unwrap();
    let in_view = app
        .count(&format!(
            "select count(*) from mv_user_profiles where id = '{}'",
            user.id
        ))
        .await;
    assert_eq!(in_view, 0, "the view has not been refreshed");

    let (status, html) = app.get_html("/u/fresh_face").await;
    assert_eq!(status, 200);
    assert!(html.contains("Fresh_Face"));
    app.assert_no_email("/u/fresh_face", &html).await;
    assert!(!html.contains("fresh_face@example.test"));

    sqlx::query("update users set is_active = false where id = $1")
        .bind(user.id)
        .execute(&app.pool)
        .await
        .unwrap();
    let (status, _) = app.get_html("/u/fresh_face").await;
    assert_eq!(status, 404);
}
