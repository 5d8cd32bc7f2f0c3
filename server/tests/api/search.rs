//! `/search`: typo correction ("Showing results for"), trigram matches on
//! names, type filter with counts, bounded rank-cursor pages, 400 for an
//! over-long query or a bad parameter, the empty state, and hostile input
//! answered with 200 and escaped highlights.

use crate::helpers::{next_href, seeded_app, TestApp, FEED_VIEWS};

/// Refreshes the search views (the test app runs no refresher).
pub async fn refresh_search(app: &TestApp) {
    app.refresh(FEED_VIEWS).await;
    app.refresh(&["mv_search_index", "mv_search_terms"]).await;
}

/// Percent-encodes a query value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The `href`s of the results, in order.
fn result_links(html: &str) -> Vec<String> {
    html.split(r#"class="result-title"><a href=""#)
        .skip(1)
        .map(|rest| rest[..rest.find('"').unwrap()].to_string())
        .collect()
}

#[tokio::test]
async fn a_misspelled_word_finds_the_project_and_says_what_was_searched() {
    let app = seeded_app().await;
    let id = app
        .add_project(
            "demo_builder",
            "Zephyrine Ledger",
            "Double-entry bookkeeping for tiny teams.",
        )
        .await;
    refresh_search(&app).await;

    // As typed: found, highlighted, no correction note.
    let (status, html) = app.get_html("/search?q=zephyrine").await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("<h1").count(), 1);
    assert!(result_links(&html).contains(&format!("/p/{id}")));
    assert!(html.contains("<mark>Zephyrine</mark> Ledger"), "{html}");
    assert!(!html.contains("Showing results for"));

    // Two letters swapped: close enough as trigrams to be found, and the
    // correction is offered.
    let (status, html) = app.get_html("/search?q=zephyrnie").await;
    assert_eq!(status, 200);
    assert!(result_links(&html).contains(&format!("/p/{id}")), "{html}");
    assert!(html.contains(r#"Did you mean <a href="/search?q=zephyrine">zephyrine</a>"#));
    // Two words, one misspelled: nothing as typed, so corrected; said so.
    let (status, html) = app.get_html("/search?q=zehpyrine+bookkeeping").await;
    assert_eq!(status, 200);
    assert!(result_links(&html).contains(&format!("/p/{id}")), "{html}");
    assert!(html.contains("Showing results for"));
    assert!(html.contains(r#"<strong class="corrected">zephyrine bookkeeping</strong>"#));

    // "rsut" finds "rust" (docs/VIEWS.md, "Fuzzy search").
    let (status, html) = app.get_html("/search?q=rsut").await;
    assert_eq!(status, 200);
    assert!(
        html.contains(r#"<strong class="corrected">rust</strong>"#),
        "{html}"
    );
    assert!(!result_links(&html).is_empty());
    assert!(html.contains("<mark>Rust</mark>"));

    // A typo inside a longer name matches by trigrams, without correction.
    let (status, html) = app.get_html("/search?q=Zephyrine+Ledgr").await;
    assert_eq!(status, 200);
    assert!(result_links(&html).contains(&format!("/p/{id}")), "{html}");

    // Nothing close at all: the no-result state with suggestions.
    let (status, html) = app.get_html("/search?q=qqqxxjjj").await;
    assert_eq!(status, 200);
    assert!(html.contains("No results for"));
    assert!(html.contains("Try one of these:"));
    assert!(result_links(&html).is_empty());
}

#[tokio::test]
async fn the_type_filter_narrows_results_and_tabs_show_counts() {
    let app = seeded_app().await;
    app.add_project("demo_builder", "Demo Builder's Notebook", "")
        .await;
    refresh_search(&app).await;
    let (status, html) = app.get_html("/search?q=demo_builder").await;
    assert_eq!(status, 200);
    let all = result_links(&html);
    assert!(all.contains(&"/u/demo_builder".to_string()), "{all:?}");
    assert!(all.iter().any(|l| l.starts_with("/p/")), "{all:?}");
    assert!(html.contains(r#"aria-label="Result type""#));
    assert!(html.contains(r#"aria-current="page">All"#));

    let (status, html) = app.get_html("/search?q=demo_builder&type=user").await;
    assert_eq!(status, 200);
    let users = result_links(&html);
    assert!(!users.is_empty());
    assert!(users.iter().all(|l| l.starts_with("/u/")), "{users:?}");
    assert!(html.contains(r#"aria-current="page">People"#));
    let (_, html) = app.get_html("/search?q=demo_builder&type=project").await;
    let projects = result_links(&html);
    assert!(!projects.is_empty());
    assert!(
        projects.iter().all(|l| l.starts_with("/p/")),
        "{projects:?}"
    );
    let (_, html) = app.get_html("/search?q=demo_builder&type=chain").await;
    assert!(result_links(&html).iter().all(|l| l.starts_with("/c/")));

    // The tab counts are the matches of each type, up to a bound
    // ("100+" beyond it).
    let (_, html) = app.get_html("/search?q=rust").await;
    let n: i64 = sqlx::query_scalar(
        "select count(*) from mv_search_index \
         where result_type = 'project' and search_vector @@ websearch_to_tsquery('english', 'rust')",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    let tab = &html[html.find(">Projects (").expect("projects tab") + ">Projects (".len()..];
    let shown = &tab[..tab.find(')').unwrap()];
    let cap = data::search::COUNT_CAP;
    if n > cap {
        assert_eq!(shown, format!("{cap}+"), "full-text matches {n}");
    } else {
        let shown: i64 = shown.parse().unwrap();
        assert!(shown >= n && n > 0, "shown {shown}, full-text matches {n}");
    }

    for bad in ["/search?q=x&type=nope", "/search?q=x&after=garbage"] {
        let (status, html) = app.get_html(bad).await;
        assert_eq!(status, 400, "{bad}");
        assert!(html.contains("Search"));
    }
}

#[tokio::test]
async fn results_page_by_rank_cursor_up_to_five_pages() {
    let app = seeded_app().await;
    refresh_search(&app).await;
    let matches = app
        .count(
            "select count(*) from mv_search_index \
             where search_vector @@ websearch_to_tsquery('english', 'rust')",
        )
        .await;
    assert!(matches > 20, "enough demo results for two pages: {matches}");
    let mut seen = std::collections::HashSet::new();
    let mut path = Some("/search?q=rust".to_string());
    let mut pages = 0;
    while let Some(p) = path {
        let (status, html) = app.get_html(&p).await;
        assert_eq!(status, 200, "{p}");
        let links = result_links(&html);
        assert!(!links.is_empty());
        for l in links {
            assert!(seen.insert(l), "{p} repeats a result");
        }
        path = next_href(&html, "More results");
        pages += 1;
        assert!(pages <= 5, "at most five pages");
    }
    assert!(pages >= 2, "more than one page");
}

#[tokio::test]
async fn long_empty_and_hostile_queries_are_answered_without_errors() {
    let app = seeded_app().await;
    let id = app
        .add_project(
            "demo_builder",
            "Zephyr <script>alert(1)</script> & \"Quotes\"",
            "Tagline with <b>bold</b> & ampersands, 'quotes' and \u{E000}marks\u{E001}.",
        )
        .await;
    refresh_search(&app).await;

    // Too long: 400 with the message, the box still there.
    let long = "a".repeat(201);
    let (status, html) = app.get_html(&format!("/search?q={long}")).await;
    assert_eq!(status, 400);
    assert!(html.contains("Search for at most 200 characters"));
    assert!(html.contains(r#"id="search-q""#));
    let (status, _) = app
        .get_html(&format!("/search?q={}", "a".repeat(200)))
        .await;
    assert_eq!(status, 200);
    let (status, _) = app
        .get_html(&format!("/search?q={}", enc(&"é".repeat(200))))
        .await;
    assert_eq!(status, 200, "the limit counts characters, not bytes");

    // Empty: the empty state.
    for empty in ["/search", "/search?q=", "/search?q=+++", "/search?q=%00"] {
        let (status, html) = app.get_html(empty).await;
        assert_eq!(status, 200, "{empty}");
        assert!(html.contains("Find projects, people and chains"), "{empty}");
    }

    // Hostile input: 200, and nothing of it unescaped.
    for q in [
        "<script>alert(1)</script>",
        "</title><script>alert(1)</script>",
        "\"zephyr",
        "zephyr\"",
        "a & b",
        "zephyr:*",
        ":*",
        "!!",
        "'",
        "( ) | & ! <-> <2>",
        "-zephyr",
        "zephyr OR",
        "日本語 ÄÖÜ ß",
        "\u{E000}zephyr\u{E001}",
        "%",
        "\\",
        "zephyr\0quotes",
    ] {
        let path = format!("/search?q={}", enc(q));
        let (status, html) = app.get_html(&path).await;
        assert_eq!(status, 200, "{q:?}");
        if let Some(at) = html.find("<script>alert(1)") {
            panic!(
                "{q:?} unescaped: {}",
                &html[at.saturating_sub(300)..(at + 100).min(html.len())]
            );
        }
        assert!(!html.contains("<b>bold"), "{q:?} escaped");
        assert!(
            !html.contains('\u{E000}') && !html.contains('\u{E001}'),
            "{q:?}"
        );
    }
    for path in [
        "/search?q=%FF%FE",
        "/search?q=zephyr&type=%00",
        "/search?after=%FF",
    ] {
        let (status, _) = app.get_html(path).await;
        assert!(status == 200 || status == 400, "{path}: {status}");
    }

    // The project itself: found, its markup escaped inside the highlight.
    let (status, html) = app.get_html("/search?q=zephyr+quotes").await;
    assert_eq!(status, 200);
    assert!(result_links(&html).contains(&format!("/p/{id}")), "{html}");
    assert!(html.contains("<mark>Zephyr</mark> &lt;"), "{html}");
    assert!(html.contains("&amp; ampersands"));
    let (_, html) = app.get_html("/search?q=quotes").await;
    assert!(result_links(&html).contains(&format!("/p/{id}")));
    assert!(html.contains("<mark>Quotes</mark>"));
}
