//! The investors directory at `/investors`: approved investors of active
//! users only, newest approval first, keyset pages without repeats, only
//! http(s) links (marked nofollow), never an email; bad cursors are 400.

use std::collections::HashSet;

use crate::helpers::{browse_app, next_href, TestApp};

/// Adds `n` approved investors (one with a `javascript:` portfolio link,
/// one deactivated) and refreshes the directory.
async fn more_investors(app: &TestApp, n: i32) {
    sqlx::query(
        "insert into users (username, email, password_hash, role) \
         select 'vc_test_' || n, 'vc_test_' || n || '@example.com', 'x', 'investor' \
         from generate_series(1, $1) n",
    )
    .bind(n)
    .execute(&app.pool)
    .await
    .unwrap();
    app.exec(
        "insert into investor_requests (user_id, status, company_name, investment_focus, \
             ticket_size, portfolio_url, linkedin_url, approved_at, decided_at) \
         select u.id, 'approved', 'Test Capital ' || substr(u.username, 9), 'Developer tools', \
             '$25k-$100k', \
             case when u.username = 'vc_test_1' then 'javascript:alert(1)' \
                  else 'https://vc' || substr(u.username, 9) || '.example.org' end, \
             'https://www.linkedin.com/in/' || u.username, \
             now() - (substr(u.username, 9)::int * interval '1 minute'), now() \
         from users u where u.username like 'vc\\_test\\_%'",
    )
    .await;
    app.exec("update users set is_active = false where username = 'vc_test_2'")
        .await;
    app.refresh(&["mv_investors_directory"]).await;
}

/// The company names shown, in page order.
fn companies(html: &str) -> Vec<String> {
    html.split(r#"<h2 class="investor-company">"#)
        .skip(1)
        .map(|rest| rest[..rest.find('<').unwrap()].to_string())
        .collect()
}

#[tokio::test]
async fn the_directory_lists_approved_investors_by_keyset_pages_without_emails() {
    let app = browse_app().await;
    more_investors(&app, 45).await;
    let expected: Vec<String> = sqlx::query_scalar(
        "select company_name from mv_investors_directory order by approved_at desc, id desc",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    assert!(expected.len() > 40, "more than two pages");
    assert!(expected.iter().any(|c| c == "Test Capital 1"));
    assert!(
        !expected.iter().any(|c| c == "Test Capital 2"),
        "deactivated investors are not in the directory"
    );

    let mut shown = Vec::new();
    let mut seen = HashSet::new();
    let mut path = Some("/investors".to_string());
    let mut pages = 0;
    while let Some(p) = path {
        let (status, html) = app.get_html(&p).await;
        assert_eq!(status, 200, "{p}");
        assert_eq!(html.matches("<h1").count(), 1, "{p}: one h1");
        app.assert_no_email(&p, &html).await;
        let page = companies(&html);
        assert!(page.len() <= 20, "{p}: 20 a page");
        for c in &page {
            assert!(seen.insert(c.clone()), "{p} repeats {c}");
        }
        shown.extend(page);
        path = next_href(&html, "Next page");
        pages += 1;
        assert!(pages < 20);
    }
    assert!(pages >= 3);
    assert_eq!(
        shown, expected,
        "every approved investor once, newest approval first"
    );

    // Links: http(s) only, never `javascript:`, always nofollow.
    let (_, html) = app.get_html("/investors").await;
    assert!(html.contains(r#"href="https://www.linkedin.com/in/vc_test_3""#));
    assert!(html.contains(r#"rel="nofollow noopener ugc""#));
    let mut all = String::new();
    let mut path = Some("/investors".to_string());
    while let Some(p) = path {
        let (_, html) = app.get_html(&p).await;
        path = next_href(&html, "Next page");
        all.push_str(&html);
    }
    assert!(all.contains("Test Capital 1"));
    assert!(!all.contains("javascript:"), "no javascript: link");
    for link in all.split("<a href=\"http").skip(1) {
        let tag_end = link.find('>').unwrap();
        assert!(
            link[..tag_end].contains(r#"rel="nofollow noopener ugc""#),
            "external link without nofollow: {}",
            &link[..tag_end]
        );
    }
    // Profile links for each investor.
    assert!(all.contains(r#"href="/u/vc_test_3""#));
    assert!(
        !all.contains(r#"href="/u/vc_test_2""#),
        "deactivated investor"
    );
}

#[tokio::test]
async fn bad_directory_cursors_are_a_400_page() {
    let app = browse_app().await;
    for path in [
        "/investors?after=garbage",
        "/investors?after=12_not-a-uuid",
        "/investors?after=1.5_00000000-0000-0000-0000-000000000000",
        "/investors?after=99999999999999999999_00000000-0000-0000-0000-000000000000",
        "/investors?after=-999999999999999999_00000000-0000-0000-0000-000000000000",
    ] {
        let (status, html) = app.get_html(path).await;
        assert_eq!(status, 400, "{path}");
        assert!(html.contains("Bad request"), "{path}");
        assert_eq!(html.matches("<h1").count(), 1);
    }
    // A well-formed cursor past the end is an empty page.
    let (status, html) = app
        .get_html("/investors?after=0_00000000-0000-0000-0000-000000000000")
        .await;
    assert_eq!(status, 200);
    assert!(html.contains("No approved investors yet."));
}
