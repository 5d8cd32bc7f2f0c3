//! The Atom feed of the newest projects at `/feeds/projects.atom`: valid
//! XML in the Atom namespace with every element RFC 4287 requires, the 50
//! newest projects of the view in order, user text escaped (markup and
//! control characters cannot break the document), no email.

use crate::helpers::{browse_app, spawn_app_with, text_of, TestApp};

const ATOM: &str = "http://www.w3.org/2005/Atom";

async fn fetch(app: &TestApp) -> String {
    let res = app.get_plain(&app.client, "/feeds/projects.atom").await;
    assert_eq!(
        res.headers()["content-type"],
        "application/atom+xml; charset=utf-8"
    );
    res.text().await.unwrap()
}

fn child<'a, 'i>(node: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
    node.children().find(|c| {
        c.is_element() && c.tag_name().name() == name && c.tag_name().namespace() == Some(ATOM)
    })
}

fn text(node: roxmltree::Node, name: &str) -> String {
    child(node, name)
        .unwrap_or_else(|| panic!("<{name}> missing"))
        .text()
        .unwrap_or_default()
        .to_string()
}

fn is_rfc3339_utc(s: &str) -> bool {
    time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339).is_ok()
        && s.ends_with('Z')
}

#[tokio::test]
async fn the_newest_projects_feed_is_valid_atom_with_50_entries() {
    let app = browse_app().await;
    let body = fetch(&app).await;
    app.assert_no_email("/feeds/projects.atom", &body).await;
    let doc = roxmltree::Document::parse(&body).expect("well-formed XML");
    let feed = doc.root_element();
    assert_eq!(feed.tag_name().name(), "feed");
    assert_eq!(feed.tag_name().namespace(), Some(ATOM));
    assert!(text(feed, "id").starts_with("urn:uuid:"));
    assert!(!text(feed, "title").is_empty());
    assert!(is_rfc3339_utc(&text(feed, "updated")));
    let self_link = feed
        .children()
        .find(|c| c.tag_name().name() == "link" && c.attribute("rel") == Some("self"))
        .expect("self link");
    assert_eq!(
        self_link.attribute("href"),
        Some(app.url("/feeds/projects.atom").as_str())
    );
    assert_eq!(self_link.attribute("type"), Some("application/atom+xml"));

    let entries: Vec<_> = feed
        .children()
        .filter(|c| c.is_element() && c.tag_name().name() == "entry")
        .collect();
    assert_eq!(entries.len(), 50);
    let newest: Vec<(String, String, String)> = sqlx::query_as(
        "select id::text, title, username from mv_feed_projects \
         order by created_at desc, id desc limit 50",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let mut updated_max = String::new();
    for (entry, (id, title, username)) in entries.iter().zip(&newest) {
        assert_eq!(text(*entry, "id"), format!("urn:uuid:{id}"));
        assert_eq!(text(*entry, "title"), *title);
        let link = child(*entry, "link").expect("entry link");
        assert_eq!(
            link.attribute("href"),
            Some(app.url(&format!("/p/{id}")).as_str())
        );
        let updated = text(*entry, "updated");
        assert!(is_rfc3339_utc(&updated), "{updated}");
        updated_max = updated_max.max(updated);
        let author = child(*entry, "author").expect("author");
        assert_eq!(text(author, "name"), *username);
        assert!(child(*entry, "summary").is_some(), "summary");
    }
    // The feed changed when its newest entry did.
    assert_eq!(text(feed, "updated"), updated_max);

    // HEAD answers too (feed readers probe with it).
    let res = app
        .client
        .head(app.url("/feeds/projects.atom"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);

    // The feed is announced in the page head.
    let (_, html) = app.get_html("/").await;
    assert!(html.contains(r#"type="application/atom+xml""#));
    assert!(html.contains(r#"href="/feeds/projects.atom""#));
}

#[tokio::test]
async fn markup_and_control_characters_in_user_text_cannot_break_the_feed() {
    let app = browse_app().await;
    let title = "<b>Tom & \"Jerry\"</b> ]]> \u{1} done";
    let description = "<script>alert('x')</script> & \u{0b}more\u{7f}";
    sqlx::query(
        "insert into projects (user_id, title, description, category) \
         select id, $1, $2, 'web' from users where username = 'demo_builder'",
    )
    .bind(title)
    .bind(description)
    .execute(&app.pool)
    .await
    .unwrap();
    app.refresh(&["mv_feed_projects"]).await;
    let body = fetch(&app).await;
    assert!(!body.contains("<script>"), "markup is escaped");
    let doc = roxmltree::Document::parse(&body).expect("still well-formed XML");
    let entry = doc
        .root_element()
        .children()
        .find(|c| c.tag_name().name() == "entry")
        .unwrap();
    // Newest first; the control character is dropped, the rest is kept as text.
    assert_eq!(text(entry, "title"), "<b>Tom & \"Jerry\"</b> ]]>  done");
    assert_eq!(
        text(entry, "summary"),
        "<script>alert('x')</script> & more\u{7f}"
    );
}

/// Links in the feeds name the site's configured public address, never the
/// `Host` a client sent: a cache in front would otherwise keep and serve
/// an attacker's links to every reader.
#[tokio::test]
async fn feed_links_use_the_public_address_whatever_the_host_header() {
    let app = spawn_app_with(&[
        "--demo-data",
        "--demo-scale",
        "0.01",
        "--public-url",
        "https://proofwork.example/",
    ])
    .await;
    let chain: String = sqlx::query_scalar(
        "SELECT c.id::text FROM chains c JOIN chain_posts p ON p.chain_id = c.id LIMIT 1",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    for path in [
        "/feeds/projects.atom".to_string(),
        format!("/c/{chain}/feed.atom"),
    ] {
        let body = text_of(
            app.client
                .get(app.url(&path))
                .header("host", "evil.example"),
        )
        .await;
        assert!(!body.contains("evil.example"), "{path}: {body}");
        assert!(
            body.contains(&format!(r#"href="https://proofwork.example{path}""#))
                || body.contains(r#"rel="alternate" href="https://proofwork.example/"#),
            "{path}: {body}"
        );
        assert!(body.contains("<entry>"), "{path} has entries");
        assert!(
            !body.contains("http://localhost") && !body.contains("http://127.0.0.1"),
            "{path}: every link is the public address"
        );
    }
}
