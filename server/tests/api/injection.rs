//! Script injection through form values (issue 14, finding 1).
//!
//! A textarea's content is raw text to the HTML parser up to the first
//! `</textarea>`, so a value holding `</textarea><script>` must be written
//! escaped. And a failed form's state (its messages and typed values) must
//! not come from the address: a link carrying a forged `__err` would put
//! anything into the page of whoever follows it. Here, for every form with
//! a textarea:
//! - a forged `__err`/`__path` link shows nothing of what it carries;
//! - a real failed post of a `</textarea><script>` value comes back, after
//!   the redirect, as text inside the textarea (decoded as a browser does,
//!   it equals what was typed), with the error shown, once;
//! - the redirect's address carries neither `__err` nor `__path`.
//!
//! Also: a stored description with `</textarea><script>` on its edit page,
//! the one-time flash (reload, another page first, signed-out visitors, the
//! size bound) and the Content-Security-Policy of HTML responses.

use crate::chains::{location, post};
use crate::feed::{get, log_in, new_client};
use crate::helpers::{spawn_app_with, TestApp};
use crate::my_projects::{builder, create, GOOD};

/// What an attacker would put in a textarea: it ends the element, runs a
/// script, adds markup, and holds an entity that must stay literal text.
fn payload(tag: &str) -> String {
    format!(
        "</textarea><script>document.title='pwned-{tag}'</script><b id=\"pwned\">&amp; {tag}</b>"
    )
}

/// No markup from `payload` made it into the page as markup.
fn assert_no_injection(html: &str, what: &str) {
    assert!(
        !html.contains("<script>document.title"),
        "{what}: the injected script is in the page as markup"
    );
    assert!(
        !html.contains(r#"<b id="pwned">"#),
        "{what}: injected markup is in the page"
    );
}

/// The value of the textarea with this `id` as a browser's HTML parser
/// reads it: the content is raw text up to the first `</textarea` (any
/// case), character references are decoded, line breaks normalized, and
/// one line break right after the start tag is dropped. `None` when there
/// is no such textarea.
fn textarea_value(html: &str, id: &str) -> Option<String> {
    let marker = format!(r#"id="{id}""#);
    let mut from = 0;
    let start = loop {
        let at = from + html[from..].find("<textarea")?;
        let end = at + html[at..].find('>')?;
        if html[at..end].contains(&marker) {
            break end + 1;
        }
        from = end;
    };
    let lower = html[start..].to_ascii_lowercase();
    let len = lower.find("</textarea")?;
    let raw = html[start..start + len]
        .replace("\r\n", "\n")
        .replace('\r', "\n");
    let raw = raw.strip_prefix('\n').unwrap_or(&raw);
    Some(decode_entities(raw))
}

/// Decodes the character references our pages can contain.
fn decode_entities(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('&') {
        out.push_str(&rest[..at]);
        rest = &rest[at..];
        let Some(semi) = rest[..rest.len().min(12)].find(';') else {
            out.push('&');
            rest = &rest[1..];
            continue;
        };
        let name = &rest[1..semi];
        let decoded = match name {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            _ if name.starts_with("#x") || name.starts_with("#X") => {
                u32::from_str_radix(&name[2..], 16)
                    .ok()
                    .and_then(char::from_u32)
            }
            _ if name.starts_with('#') => name[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &rest[semi + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// Standard base64 with the URL-safe alphabet and padding, as server_fn
/// encodes `__err`.
fn base64_url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A link to `page` carrying a forged failed-form state for `endpoint`:
/// the message `FORGED-<tag>` on `field`, and `values` to put back in the
/// form. `encoded_keys` spells the parameter names percent-encoded.
fn forged_link(
    page: &str,
    endpoint: &str,
    field: &str,
    values: &[(&str, &str)],
    tag: &str,
    encoded_keys: bool,
) -> String {
    let err = app::error::AppError::Invalid(app::error::Invalid {
        errors: vec![(field.to_string(), format!("FORGED-{tag}"))],
        values: values
            .iter()
            .map(|(f, v)| (f.to_string(), v.to_string()))
            .collect(),
    });
    let err = base64_url(serde_json::to_string(&err).unwrap().as_bytes()).replace('=', "%3D");
    let endpoint = endpoint.replace('/', "%2F");
    let (path_key, err_key) = if encoded_keys {
        ("%5F%5Fpath", "%5f%5Ferr")
    } else {
        ("__path", "__err")
    };
    let sep = if page.contains('?') { '&' } else { '?' };
    format!("{page}{sep}{path_key}={endpoint}&{err_key}={err}")
}

/// Following a forged link shows the page as if the parameters were not
/// there: no forged message, no forged values (escaped or not), 200.
async fn assert_forged_link_shows_nothing(
    app: &TestApp,
    client: &reqwest::Client,
    page: &str,
    endpoint: &str,
    field: &str,
    values: &[(&str, &str)],
    textarea: &str,
) {
    for encoded_keys in [false, true] {
        let tag = format!("forged{}", u8::from(encoded_keys));
        let link = forged_link(page, endpoint, field, values, &tag, encoded_keys);
        let (status, html) = get(app, client, &link).await;
        assert_no_injection(&html, &link);
        assert!(
            !html.contains(&format!("FORGED-{tag}")),
            "{link}: the forged message is shown"
        );
        assert!(
            !html.contains("pwned"),
            "{link}: the forged values are shown"
        );
        assert_eq!(status, 200, "{link}");
        assert_eq!(
            textarea_value(&html, textarea).as_deref(),
            Some(""),
            "{link}: the form is empty"
        );
    }
}

/// A failed browser post of `form` (holding `typed` for the textarea)
/// from `page`: the redirect goes back to the clean address, the page
/// after it shows `error` and the text in the textarea exactly as typed
/// (escaped, not markup), with a 4xx status; a reload shows neither.
#[allow(clippy::too_many_arguments)]
async fn assert_failed_post_comes_back_escaped(
    app: &TestApp,
    client: &reqwest::Client,
    page: &str,
    endpoint: &str,
    form: &[(&str, &str)],
    textarea: &str,
    typed: &str,
    error: &str,
) {
    let res = post(app, client, endpoint, Some(page), form).await;
    assert_eq!(res.status().as_u16(), 302, "{endpoint}");
    let back = location(&res);
    let back = back.trim_start_matches(&app.base).to_string();

    let (status, html) = get(app, client, &back).await;
    assert_no_injection(&html, endpoint);
    assert_eq!(
        textarea_value(&html, textarea).as_deref(),
        Some(typed),
        "{endpoint}: the textarea holds the typed text"
    );
    assert!(html.contains(error), "{endpoint}: the error is shown");
    assert!(
        (400..500).contains(&status),
        "{endpoint}: the page after a failed post is {status}"
    );

    assert!(
        !back.contains("__err") && !back.contains("__path"),
        "{endpoint}: the redirect carries the error in the address: {back}"
    );
    assert_eq!(back, page, "{endpoint}: back to the page as it was");

    // Shown once: a reload is the plain page.
    let (status, html) = get(app, client, &back).await;
    assert_eq!(status, 200, "{endpoint}: reload");
    assert!(
        !html.contains(error),
        "{endpoint}: the error is shown again"
    );
    assert_eq!(
        textarea_value(&html, textarea).as_deref(),
        Some(""),
        "{endpoint}: reload keeps the typed text"
    );
}

async fn app() -> TestApp {
    spawn_app_with(&["--refresher", "false"]).await
}

/// A project by a new builder `owner`; its id.
async fn project_of(app: &TestApp, owner: &str) -> String {
    let (_, client) = builder(app, owner).await;
    create(app, &client, GOOD).await
}

#[tokio::test]
async fn comment_form() {
    let app = app().await;
    let id = project_of(&app, "inj_owner").await;
    let (_, bob) = builder(&app, "inj_bob").await;
    let page = format!("/p/{id}");
    let p = payload("comment");
    assert_forged_link_shows_nothing(
        &app,
        &bob,
        &page,
        "/api/comment",
        "content",
        &[("content", &p), ("target", &id)],
        "comment-new",
    )
    .await;
    let typed = format!("{p}{}", "x".repeat(2001));
    assert_failed_post_comes_back_escaped(
        &app,
        &bob,
        &page,
        "/api/comment",
        &[("project_id", &id), ("content", &typed)],
        "comment-new",
        &typed,
        "Use at most 2000 characters",
    )
    .await;
}

#[tokio::test]
async fn direct_message_form() {
    let app = app().await;
    let (_, alice) = builder(&app, "inj_dm_alice").await;
    builder(&app, "inj_dm_bob").await;
    let page = "/inbox/inj_dm_bob";
    let p = payload("dm");
    assert_forged_link_shows_nothing(
        &app,
        &alice,
        page,
        "/api/send_message",
        "message",
        &[("message", &p)],
        "message",
    )
    .await;
    let typed = format!("{p}{}", "x".repeat(5001));
    assert_failed_post_comes_back_escaped(
        &app,
        &alice,
        page,
        "/api/send_message",
        &[("to", "inj_dm_bob"), ("message", &typed)],
        "message",
        &typed,
        "A message is at most 5000 characters",
    )
    .await;
}

/// A public chain created by a new builder (who follows it, so may post);
/// its id and the builder's client.
async fn chain_of(app: &TestApp, owner: &str) -> (String, reqwest::Client) {
    let (_, client) = builder(app, owner).await;
    let res = post(
        app,
        &client,
        "/api/create_chain",
        Some("/chains"),
        &[
            ("name", "Injection test chain"),
            ("description", ""),
            ("category", "other"),
            ("visibility", "public"),
        ],
    )
    .await;
    assert_eq!(res.status().as_u16(), 302);
    let loc = location(&res);
    let id = loc
        .trim_start_matches(&app.base)
        .strip_prefix("/c/")
        .unwrap_or_else(|| panic!("{loc}"))
        .to_string();
    (id, client)
}

#[tokio::test]
async fn forum_post_form() {
    let app = app().await;
    let (chain, owner) = chain_of(&app, "inj_forum").await;
    let page = format!("/c/{chain}");
    let p = payload("post");
    assert_forged_link_shows_nothing(
        &app,
        &owner,
        &page,
        "/api/create_post",
        "title",
        &[("title", ""), ("content", &p), ("post_type", "discussion")],
        "post-content",
    )
    .await;
    assert_failed_post_comes_back_escaped(
        &app,
        &owner,
        &page,
        "/api/create_post",
        &[
            ("chain_id", &chain),
            ("title", ""),
            ("content", &p),
            ("post_type", "discussion"),
        ],
        "post-content",
        &p,
        "Give your post a title.",
    )
    .await;
}

#[tokio::test]
async fn new_chain_form() {
    let app = app().await;
    let (_, alice) = builder(&app, "inj_chain").await;
    let p = payload("chain");
    assert_forged_link_shows_nothing(
        &app,
        &alice,
        "/chains",
        "/api/create_chain",
        "name",
        &[
            ("name", "x"),
            ("description", &p),
            ("category", "other"),
            ("visibility", "public"),
        ],
        "description",
    )
    .await;
    assert_failed_post_comes_back_escaped(
        &app,
        &alice,
        "/chains",
        "/api/create_chain",
        &[
            ("name", "x"),
            ("description", &p),
            ("category", "other"),
            ("visibility", "public"),
        ],
        "description",
        &p,
        "Use at least 2 characters for the name.",
    )
    .await;
}

#[tokio::test]
async fn badge_note_form() {
    let app = app().await;
    let id = project_of(&app, "inj_badge_owner").await;
    data::users::create(
        &app.pool,
        &data::users::NewUser {
            username: "inj_validator".into(),
            email: "inj_validator@example.test".into(),
            password: data::seed::DEMO_PASSWORD.into(),
        },
        data::users::Role::Validator,
    )
    .await
    .unwrap();
    let validator = new_client();
    log_in(&app, &validator, "inj_validator").await;
    let page = format!("/p/{id}");
    let p = payload("badge");
    assert_forged_link_shows_nothing(
        &app,
        &validator,
        &page,
        "/api/award_badge",
        "note",
        &[("badge_type", ""), ("note", &p)],
        "badge-note",
    )
    .await;
    assert_failed_post_comes_back_escaped(
        &app,
        &validator,
        &page,
        "/api/award_badge",
        &[("project_id", &id), ("badge_type", ""), ("note", &p)],
        "badge-note",
        &p,
        "Choose one of the badge types.",
    )
    .await;
}

#[tokio::test]
async fn report_reason_form() {
    let app = app().await;
    let id = project_of(&app, "inj_report_owner").await;
    let (_, bob) = builder(&app, "inj_reporter").await;
    let page = format!("/p/{id}");
    let p = payload("report");
    let textarea = format!("report-reason-{id}");
    assert_forged_link_shows_nothing(
        &app,
        &bob,
        &page,
        "/api/report",
        "reason",
        &[("reason", &p), ("target", &id)],
        &textarea,
    )
    .await;
    let typed = format!("{p}{}", "x".repeat(2001));
    assert_failed_post_comes_back_escaped(
        &app,
        &bob,
        &page,
        "/api/report",
        &[
            ("target_type", "project"),
            ("target_id", &id),
            ("reason", &typed),
        ],
        &textarea,
        &typed,
        "Use at most 2000 characters",
    )
    .await;
}

/// The project form with no title (a field error) and `description`.
fn untitled(description: &str) -> Vec<(&str, &str)> {
    GOOD.iter()
        .map(|&(f, v)| match f {
            "title" => (f, ""),
            "description" => (f, description),
            _ => (f, v),
        })
        .collect()
}

#[tokio::test]
async fn new_project_form() {
    let app = app().await;
    let (_, alice) = builder(&app, "inj_new_project").await;
    let page = "/me/projects/new";
    let p = payload("new-project");
    assert_forged_link_shows_nothing(
        &app,
        &alice,
        page,
        "/api/create_project",
        "title",
        &untitled(&p),
        "description",
    )
    .await;
    let before = app.count("select count(*) from projects").await;
    assert_failed_post_comes_back_escaped(
        &app,
        &alice,
        page,
        "/api/create_project",
        &untitled(&p),
        "description",
        &p,
        "Enter a title.",
    )
    .await;
    assert_eq!(app.count("select count(*) from projects").await, before);
}

#[tokio::test]
async fn edit_project_form() {
    let app = app().await;
    let (_, alice) = builder(&app, "inj_edit_project").await;
    let id = create(&app, &alice, GOOD).await;
    let page = format!("/me/projects/{id}/edit");
    let p = payload("edit-project");
    // The edit form shows the stored description when there is no error.
    let (status, html) = get(&app, &alice, &page).await;
    assert_eq!(status, 200);
    assert_eq!(
        textarea_value(&html, "description").as_deref(),
        Some("A tiny compiler.")
    );
    let link = forged_link(
        &page,
        "/api/update_project",
        "title",
        &untitled(&p),
        "e",
        false,
    );
    let (status, html) = get(&app, &alice, &link).await;
    assert_no_injection(&html, &link);
    assert!(
        !html.contains("FORGED-e") && !html.contains("pwned"),
        "{link}"
    );
    assert_eq!(status, 200);
    assert_eq!(
        textarea_value(&html, "description").as_deref(),
        Some("A tiny compiler."),
        "{link}"
    );

    let mut form = untitled(&p);
    form.push(("id", &id));
    let res = post(&app, &alice, "/api/update_project", Some(&page), &form).await;
    assert_eq!(res.status().as_u16(), 302);
    let back = location(&res).trim_start_matches(&app.base).to_string();
    let (status, html) = get(&app, &alice, &back).await;
    assert_no_injection(&html, "update_project");
    assert_eq!(
        textarea_value(&html, "description").as_deref(),
        Some(p.as_str())
    );
    assert!(html.contains("Enter a title."));
    assert_eq!(status, 422);
    assert_eq!(back, page, "no error in the address");
    let (status, html) = get(&app, &alice, &back).await;
    assert_eq!(status, 200);
    assert!(!html.contains("Enter a title."));
    assert_eq!(
        textarea_value(&html, "description").as_deref(),
        Some("A tiny compiler."),
        "a reload shows the stored text again"
    );
}

/// The stored variant: a description holding `</textarea><script>` is
/// text on its edit page, and the textarea's value is the stored text
/// exactly (entities, quotes, a leading line break and all).
#[tokio::test]
async fn a_stored_description_is_text_in_its_edit_form() {
    let app = app().await;
    let (_, alice) = builder(&app, "inj_stored").await;
    let stored = "</textarea><script>alert(1)</script> &amp; &lt;b&gt; \"quoted\" 'single' <b id=\"pwned\">x</b>\nline two";
    let id = create(
        &app,
        &alice,
        &GOOD
            .iter()
            .map(|&(f, v)| {
                if f == "description" {
                    (f, stored)
                } else {
                    (f, v)
                }
            })
            .collect::<Vec<_>>(),
    )
    .await;
    let description: String =
        sqlx::query_scalar("select description from projects where id = $1::uuid")
            .bind(&id)
            .fetch_one(&app.pool)
            .await
            .unwrap();
    assert_eq!(description, stored);
    let page = format!("/me/projects/{id}/edit");
    let (status, html) = get(&app, &alice, &page).await;
    assert_eq!(status, 200);
    assert!(!html.contains("<script>alert(1)</script>"));
    assert!(!html.contains(r#"<b id="pwned">"#));
    assert_eq!(
        textarea_value(&html, "description").as_deref(),
        Some(stored)
    );

    // A text starting with a line break (the parser drops one right after
    // `<textarea>`) keeps it.
    let leading = format!("\n\n{stored}");
    sqlx::query("update projects set description = $2 where id = $1::uuid")
        .bind(&id)
        .bind(&leading)
        .execute(&app.pool)
        .await
        .unwrap();
    let (_, html) = get(&app, &alice, &page).await;
    assert_eq!(
        textarea_value(&html, "description").as_deref(),
        Some(leading.as_str())
    );
}

/// The flash is tied to the page it was made for: another page first does
/// not take it, and a signed-out visitor's failed post gets a session
/// cookie with the redirect so the next page can show the error.
#[tokio::test]
async fn the_form_state_waits_for_its_own_page_and_works_signed_out() {
    let app = app().await;
    let (_, alice) = builder(&app, "inj_flash").await;
    let res = post(
        &app,
        &alice,
        "/api/create_project",
        Some("/me/projects/new"),
        &untitled("kept text"),
    )
    .await;
    assert_eq!(res.status().as_u16(), 302);
    let back = location(&res);
    assert!(!back.contains("__err"), "{back}");
    // Another page, and the same page with another query, do not take it.
    for other in ["/me/projects", "/me/projects/new?x=1"] {
        let (status, html) = get(&app, &alice, other).await;
        assert_eq!(status, 200, "{other}");
        assert!(!html.contains("Enter a title."), "{other}");
    }
    let (status, html) = get(&app, &alice, "/me/projects/new").await;
    assert_eq!(status, 422);
    assert!(html.contains("Enter a title."));
    assert_eq!(
        textarea_value(&html, "description").as_deref(),
        Some("kept text")
    );

    // Signed out: sign-up with a bad name. The redirect sets the session
    // cookie; the address holds neither the error nor the typed email.
    let visitor = new_client();
    let res = visitor
        .post(app.url("/api/signup"))
        .headers(app.browser_headers())
        .header("referer", app.url("/signup"))
        .form(&[
            ("username", "x"),
            ("email", "typed@example.test"),
            ("password", data::seed::DEMO_PASSWORD),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 302);
    let back = location(&res);
    assert!(!back.contains("__err") && !back.contains("typed"), "{back}");
    assert!(
        res.headers()
            .get_all("set-cookie")
            .iter()
            .any(|c| c.to_str().unwrap().starts_with("proofwork_session=")),
        "the redirect sets the session cookie"
    );
    let (status, html) = get(&app, &visitor, "/signup").await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="username-error""#));
    assert!(html.contains(r#"value="typed@example.test""#));
    // Someone else (no cookie) sees a blank form.
    let (status, html) = get(&app, &new_client(), "/signup").await;
    assert_eq!(status, 200);
    assert!(!html.contains("typed@example.test"));
}

/// A failed post whose state is too big to keep is a 400 page, not a
/// huge session row (nor, before, a huge address).
#[tokio::test]
async fn a_huge_form_state_is_a_400() {
    let app = app().await;
    let (_, alice) = builder(&app, "inj_huge").await;
    // An unknown category is echoed in the message.
    let huge = "y".repeat(20_000);
    let res = post(&app, &alice, "/api/feed", Some("/"), &[("category", &huge)]).await;
    assert_eq!(res.status().as_u16(), 400);
    assert!(res.headers().get("location").is_none());
    assert!(res.text().await.unwrap().contains("too long to show again"));
    let (status, _) = get(&app, &alice, "/").await;
    assert_eq!(status, 200);
}

/// The `script-src` (and `style-src`) of a response's policy.
fn directive<'a>(csp: &'a str, name: &str) -> &'a str {
    csp.split(';')
        .map(str::trim)
        .find(|d| d.split_whitespace().next() == Some(name))
        .unwrap_or_else(|| panic!("no {name} in {csp}"))
}

/// Every HTML response's Content-Security-Policy allows no inline script
/// but the page's own (a nonce, fresh per response, on every inline
/// script the page has), and no inline style.
#[tokio::test]
async fn html_responses_allow_no_injected_inline_script() {
    let app = app().await;
    let id = project_of(&app, "inj_csp").await;
    let (_, alice) = builder(&app, "inj_csp_reader").await;
    let pages = [
        "/".to_string(),
        "/login".into(),
        "/signup".into(),
        format!("/p/{id}"),
        format!("/me/projects/{id}/edit"),
        "/me/projects/new".into(),
        "/chains".into(),
        "/no/such/page".into(),
    ];
    let mut nonces = Vec::new();
    for page in &pages {
        let res = alice
            .get(app.url(page))
            .header("accept", "text/html")
            .send()
            .await
            .unwrap();
        let csp = res.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .to_string();
        let html = res.text().await.unwrap();
        let script = directive(&csp, "script-src");
        assert!(!script.contains("'unsafe-inline'"), "{page}: {csp}");
        assert!(
            !directive(&csp, "style-src").contains("'unsafe-inline'"),
            "{page}: {csp}"
        );
        let nonce = script
            .split_whitespace()
            .find_map(|s| s.strip_prefix("'nonce-")?.strip_suffix('\''))
            .unwrap_or_else(|| panic!("{page}: no nonce in {csp}"));
        assert!(nonce.len() >= 16, "{page}: {nonce}");
        // Any inline script of the page carries the nonce.
        for tag in html.split("<script").skip(1) {
            let tag = &tag[..tag.find('>').unwrap()];
            if !tag.contains("src=") {
                assert!(
                    tag.contains(&format!(r#"nonce="{nonce}""#)),
                    "{page}: inline script without the nonce: {tag}"
                );
            }
        }
        nonces.push(nonce.to_string());
    }
    let mut unique = nonces.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), nonces.len(), "a fresh nonce per response");

    // Responses made outside Leptos (a rejected cross-site post) too.
    let res = reqwest::Client::new()
        .post(app.url("/api/comment"))
        .header("sec-fetch-site", "cross-site")
        .form(&[("project_id", id.as_str()), ("content", "hi")])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 403);
    let csp = res.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        !directive(csp, "script-src").contains("'unsafe-inline'"),
        "{csp}"
    );
}
