//! Script injection through form values.
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

use data::users::Role;

use crate::helpers::{location, new_client, quiet_app, TestApp, PROJECT};

/// What an attacker would put in a textarea: it ends the element, runs a
/// script, adds markup, and holds an entity that must stay literal text.
fn payload(tag: &str) -> String {
    format!(
        "</textarea><script>document.title='pwned-{tag}'</script><b id=\"pwned\">&amp; {tag}</b>"
    )
}

/// `payload(tag)` made longer than `max` characters, so a form refuses it.
fn too_long_payload(tag: &str, max: usize) -> String {
    format!("{}{}", payload(tag), "x".repeat(max + 1))
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

/// One form with a textarea, as a test drives it: the page it is on, the
/// endpoint it posts to, the textarea's id, what a forged link would put
/// in it (`forged`, with its message on `field`), and a real post that
/// fails (`form`, holding `typed` for the textarea) with `error`.
struct FormCase<'a> {
    page: &'a str,
    endpoint: &'a str,
    textarea: &'a str,
    field: &'a str,
    forged: &'a [(&'a str, &'a str)],
    form: &'a [(&'a str, &'a str)],
    typed: &'a str,
    error: &'a str,
}

/// Both ways a value reaches the form again are safe for `case`: a forged
/// link shows nothing of what it carries, and a failed post comes back
/// escaped, once.
async fn assert_form_is_safe(app: &TestApp, client: &reqwest::Client, case: &FormCase<'_>) {
    assert_forged_link_shows_nothing(app, client, case).await;
    assert_failed_post_comes_back_escaped(app, client, case).await;
}

/// Following a forged link shows the page as if the parameters were not
/// there: no forged message, no forged values (escaped or not), 200.
async fn assert_forged_link_shows_nothing(
    app: &TestApp,
    client: &reqwest::Client,
    case: &FormCase<'_>,
) {
    for encoded_keys in [false, true] {
        let tag = format!("forged{}", u8::from(encoded_keys));
        let link = forged_link(
            case.page,
            case.endpoint,
            case.field,
            case.forged,
            &tag,
            encoded_keys,
        );
        let (status, html) = app.get(client, &link).await;
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
            textarea_value(&html, case.textarea).as_deref(),
            Some(""),
            "{link}: the form is empty"
        );
    }
}

/// A failed browser post of the case's form from its page: the redirect
/// goes back to the clean address, the page after it shows the error and
/// the text in the textarea exactly as typed (escaped, not markup), with a
/// 4xx status; a reload shows neither.
async fn assert_failed_post_comes_back_escaped(
    app: &TestApp,
    client: &reqwest::Client,
    case: &FormCase<'_>,
) {
    let FormCase {
        page,
        endpoint,
        textarea,
        typed,
        error,
        ..
    } = *case;
    let back = app.submit(client, endpoint, page, case.form).await;
    let back = back.trim_start_matches(&app.base).to_string();

    let (status, html) = app.get(client, &back).await;
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
    let (status, html) = app.get(client, &back).await;
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

/// A project by a new builder `owner`; its id.
async fn project_of(app: &TestApp, owner: &str) -> String {
    let client = app.builder(owner).await.client;
    app.create_project(&client, PROJECT).await
}

#[tokio::test]
async fn comment_form() {
    let app = quiet_app().await;
    let id = project_of(&app, "inj_owner").await;
    let bob = app.builder("inj_bob").await.client;
    let page = format!("/p/{id}");
    let p = payload("comment");
    let typed = too_long_payload("comment", 2000);
    assert_form_is_safe(
        &app,
        &bob,
        &FormCase {
            page: &page,
            endpoint: "/api/comment",
            textarea: "comment-new",
            field: "content",
            forged: &[("content", &p), ("target", &id)],
            form: &[("project_id", &id), ("content", &typed)],
            typed: &typed,
            error: "Use at most 2000 characters",
        },
    )
    .await;
}

#[tokio::test]
async fn direct_message_form() {
    let app = quiet_app().await;
    let alice = app.builder("inj_dm_alice").await.client;
    app.builder("inj_dm_bob").await;
    let page = "/inbox/inj_dm_bob";
    let p = payload("dm");
    let typed = too_long_payload("dm", 5000);
    assert_form_is_safe(
        &app,
        &alice,
        &FormCase {
            page,
            endpoint: "/api/send_message",
            textarea: "message",
            field: "message",
            forged: &[("message", &p)],
            form: &[("to", "inj_dm_bob"), ("message", &typed)],
            typed: &typed,
            error: "A message is at most 5000 characters",
        },
    )
    .await;
}

/// A public chain created by a new builder (who follows it, so may post);
/// its id and the builder's client.
async fn chain_of(app: &TestApp, owner: &str) -> (String, reqwest::Client) {
    let client = app.builder(owner).await.client;
    let loc = app
        .submit(
            &client,
            "/api/create_chain",
            "/chains",
            &[
                ("name", "Injection test chain"),
                ("description", ""),
                ("category", "other"),
                ("visibility", "public"),
            ],
        )
        .await;
    let id = loc
        .trim_start_matches(&app.base)
        .strip_prefix("/c/")
        .unwrap_or_else(|| panic!("{loc}"))
        .to_string();
    (id, client)
}

#[tokio::test]
async fn forum_post_form() {
    let app = quiet_app().await;
    let (chain, owner) = chain_of(&app, "inj_forum").await;
    let page = format!("/c/{chain}");
    let p = payload("post");
    assert_form_is_safe(
        &app,
        &owner,
        &FormCase {
            page: &page,
            endpoint: "/api/create_post",
            textarea: "post-content",
            field: "title",
            forged: &[("title", ""), ("content", &p), ("post_type", "discussion")],
            form: &[
                ("chain_id", &chain),
                ("title", ""),
                ("content", &p),
                ("post_type", "discussion"),
            ],
            typed: &p,
            error: "Give your post a title.",
        },
    )
    .await;
}

#[tokio::test]
async fn new_chain_form() {
    let app = quiet_app().await;
    let alice = app.builder("inj_chain").await.client;
    let p = payload("chain");
    assert_form_is_safe(
        &app,
        &alice,
        &FormCase {
            page: "/chains",
            endpoint: "/api/create_chain",
            textarea: "description",
            field: "name",
            forged: &[
                ("name", "x"),
                ("description", &p),
                ("category", "other"),
                ("visibility", "public"),
            ],
            form: &[
                ("name", "x"),
                ("description", &p),
                ("category", "other"),
                ("visibility", "public"),
            ],
            typed: &p,
            error: "Use at least 2 characters for the name.",
        },
    )
    .await;
}

#[tokio::test]
async fn badge_note_form() {
    let app = quiet_app().await;
    let id = project_of(&app, "inj_badge_owner").await;
    let validator = app.user("inj_validator", Role::Validator).await.client;
    let page = format!("/p/{id}");
    let p = payload("badge");
    assert_form_is_safe(
        &app,
        &validator,
        &FormCase {
            page: &page,
            endpoint: "/api/award_badge",
            textarea: "badge-note",
            field: "note",
            forged: &[("badge_type", ""), ("note", &p)],
            form: &[("project_id", &id), ("badge_type", ""), ("note", &p)],
            typed: &p,
            error: "Choose one of the badge types.",
        },
    )
    .await;
}

#[tokio::test]
async fn report_reason_form() {
    let app = quiet_app().await;
    let id = project_of(&app, "inj_report_owner").await;
    let bob = app.builder("inj_reporter").await.client;
    let page = format!("/p/{id}");
    let p = payload("report");
    let textarea = format!("report-reason-{id}");
    let typed = too_long_payload("report", 2000);
    assert_form_is_safe(
        &app,
        &bob,
        &FormCase {
            page: &page,
            endpoint: "/api/report",
            textarea: &textarea,
            field: "reason",
            forged: &[("reason", &p), ("target", &id)],
            form: &[
                ("target_type", "project"),
                ("target_id", &id),
                ("reason", &typed),
            ],
            typed: &typed,
            error: "Use at most 2000 characters",
        },
    )
    .await;
}

/// The project form with no title (a field error) and `description`.
fn untitled(description: &str) -> Vec<(&str, &str)> {
    PROJECT
        .iter()
        .map(|&(f, v)| match f {
            "title" => (f, ""),
            "description" => (f, description),
            _ => (f, v),
        })
        .collect()
}

#[tokio::test]
async fn new_project_form() {
    let app = quiet_app().await;
    let alice = app.builder("inj_new_project").await.client;
    let page = "/me/projects/new";
    let p = payload("new-project");
    let before = app.count("select count(*) from projects").await;
    assert_form_is_safe(
        &app,
        &alice,
        &FormCase {
            page,
            endpoint: "/api/create_project",
            textarea: "description",
            field: "title",
            forged: &untitled(&p),
            form: &untitled(&p),
            typed: &p,
            error: "Enter a title.",
        },
    )
    .await;
    assert_eq!(app.count("select count(*) from projects").await, before);
}

#[tokio::test]
async fn edit_project_form() {
    let app = quiet_app().await;
    let alice = app.builder("inj_edit_project").await.client;
    let id = app.create_project(&alice, PROJECT).await;
    let page = format!("/me/projects/{id}/edit");
    let p = payload("edit-project");
    // The edit form shows the stored description when there is no error.
    let (status, html) = app.get(&alice, &page).await;
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
    let (status, html) = app.get(&alice, &link).await;
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
    let back = app
        .submit(&alice, "/api/update_project", &page, &form)
        .await
        .trim_start_matches(&app.base)
        .to_string();
    let (status, html) = app.get(&alice, &back).await;
    assert_no_injection(&html, "update_project");
    assert_eq!(
        textarea_value(&html, "description").as_deref(),
        Some(p.as_str())
    );
    assert!(html.contains("Enter a title."));
    assert_eq!(status, 422);
    assert_eq!(back, page, "no error in the address");
    let (status, html) = app.get(&alice, &back).await;
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
    let app = quiet_app().await;
    let alice = app.builder("inj_stored").await.client;
    let stored = "</textarea><script>alert(1)</script> &amp; &lt;b&gt; \"quoted\" 'single' <b id=\"pwned\">x</b>\nline two";
    let id = app
        .create_project(
            &alice,
            &PROJECT
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
    let (status, html) = app.get(&alice, &page).await;
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
    let (_, html) = app.get(&alice, &page).await;
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
    let app = quiet_app().await;
    let alice = app.builder("inj_flash").await.client;
    let back = app
        .submit(
            &alice,
            "/api/create_project",
            "/me/projects/new",
            &untitled("kept text"),
        )
        .await;
    assert!(!back.contains("__err"), "{back}");
    // Another page, and the same page with another query, do not take it.
    for other in ["/me/projects", "/me/projects/new?x=1"] {
        let (status, html) = app.get(&alice, other).await;
        assert_eq!(status, 200, "{other}");
        assert!(!html.contains("Enter a title."), "{other}");
    }
    let (status, html) = app.get(&alice, "/me/projects/new").await;
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
    let (status, html) = app.get(&visitor, "/signup").await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="username-error""#));
    assert!(html.contains(r#"value="typed@example.test""#));
    // Someone else (no cookie) sees a blank form.
    let (status, html) = app.get(&new_client(), "/signup").await;
    assert_eq!(status, 200);
    assert!(!html.contains("typed@example.test"));
}

/// A failed post whose state is too big to keep is a 400 page, not a
/// huge session row (nor, before, a huge address).
#[tokio::test]
async fn a_huge_form_state_is_a_400() {
    let app = quiet_app().await;
    let alice = app.builder("inj_huge").await.client;
    // An unknown category is echoed in the message.
    let huge = "y".repeat(20_000);
    let res = app
        .post(&alice, "/api/feed", Some("/"), &[("category", &huge)])
        .await;
    assert_eq!(res.status().as_u16(), 400);
    assert!(res.headers().get("location").is_none());
    assert!(res.text().await.unwrap().contains("too long to show again"));
    let (status, _) = app.get(&alice, "/").await;
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
    let app = quiet_app().await;
    let id = project_of(&app, "inj_csp").await;
    let alice = app.builder("inj_csp_reader").await.client;
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
        let res = app.fetch(&alice, page).await;
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
