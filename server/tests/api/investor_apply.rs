//! `/investor/apply` and `apply_investor`: field checks matching the
//! table's CHECKs (422 at the field, nothing written), one open
//! application per user (409), status shown with its date, a new
//! application after a rejection, investors and signed-out users refused.

use crate::helpers::{error_at, location, new_client, spawn_app, TestApp};

async fn apply(app: &TestApp, client: &reqwest::Client, fields: [&str; 5]) -> reqwest::Response {
    app.post(
        client,
        "/api/apply_investor",
        None,
        &[
            ("company_name", fields[0]),
            ("investment_focus", fields[1]),
            ("ticket_size", fields[2]),
            ("portfolio_url", fields[3]),
            ("linkedin_url", fields[4]),
        ],
    )
    .await
}

async fn rows(app: &TestApp) -> i64 {
    app.count("select count(*) from investor_requests").await
}

#[tokio::test]
async fn applying_rejection_and_reapplying() {
    let app = spawn_app().await;
    let user = app.sign_up("applicant").await;
    let (status, html) = app.get(&user, "/investor/apply").await;
    assert_eq!(status, 200);
    assert!(html.contains(r#"name="company_name""#));

    // Like a browser: back to the page, which shows the pending status.
    assert_eq!(
        app.submit(
            &user,
            "/api/apply_investor",
            "/investor/apply",
            &[
                ("company_name", "  Acme Ventures "),
                ("investment_focus", "Dev tools"),
                ("ticket_size", "$50k"),
                ("portfolio_url", "https://acme.example/portfolio"),
                ("linkedin_url", ""),
            ]
        )
        .await,
        "/investor/apply#application"
    );
    assert_eq!(
        app.count(
            "select count(*) from investor_requests where company_name = 'Acme Ventures' \
             and linkedin_url is null and status = 'pending'"
        )
        .await,
        1
    );
    let (_, html) = app.get(&user, "/investor/apply").await;
    assert!(html.contains("is pending review"));
    assert!(!html.contains(r#"name="company_name""#), "no second form");

    // A second open application: 409, nothing written.
    let res = apply(&app, &user, ["Other", "", "", "", ""]).await;
    assert_eq!(res.status().as_u16(), 409);
    assert_eq!(rows(&app).await, 1);

    // Rejected: the date is shown and they may apply again.
    app.exec(
        "update investor_requests set status = 'rejected', \
         decided_at = '2026-11-30T10:00:00Z' where status = 'pending'",
    )
    .await;
    let (_, html) = app.get(&user, "/investor/apply").await;
    assert!(html.contains("was rejected on 2026-11-30"));
    assert!(html.contains(r#"name="company_name""#));
    assert_eq!(
        apply(&app, &user, ["Acme II", "", "", "", ""])
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(rows(&app).await, 2);

    // Approved (the admin's side): the page says so; applying is 403.
    app.exec(
        "update investor_requests set status = 'approved', approved_at = now(), \
         decided_at = now() where status = 'pending'",
    )
    .await;
    app.exec("update users set role = 'investor' where username = 'applicant'")
        .await;
    let (_, html) = app.get(&user, "/investor/apply").await;
    assert!(html.contains("was approved on"));
    assert!(html.contains(r#"href="/investor""#));
    assert_eq!(
        apply(&app, &user, ["Acme III", "", "", "", ""])
            .await
            .status()
            .as_u16(),
        403
    );
    assert_eq!(rows(&app).await, 2);

    // Signed out.
    let anon = new_client();
    assert_eq!(app.get(&anon, "/investor/apply").await.0, 401);
    assert_eq!(
        apply(&app, &anon, ["X", "", "", "", ""])
            .await
            .status()
            .as_u16(),
        401
    );
    assert_eq!(rows(&app).await, 2);
}

#[tokio::test]
async fn bad_applications_are_field_errors_and_write_nothing() {
    let app = spawn_app().await;
    let user = app.sign_up("bad_applicant").await;
    let c121 = "c".repeat(121);
    let f201 = "f".repeat(201);
    let t61 = "t".repeat(61);
    let u501 = format!("https://example.com/{}", "u".repeat(481));
    let cases: Vec<([&str; 5], &str, &str)> = vec![
        (
            ["   ", "", "", "", ""],
            "company_name",
            "Enter your company",
        ),
        ([&c121, "", "", "", ""], "company_name", "At most 120"),
        (["Co", &f201, "", "", ""], "investment_focus", "At most 200"),
        (["Co", "", &t61, "", ""], "ticket_size", "At most 60"),
        (
            ["Co", "", "", "ftp://x.example", ""],
            "portfolio_url",
            "https://",
        ),
        (
            ["Co", "", "", "", "javascript:alert(1)"],
            "linkedin_url",
            "https://",
        ),
        (["Co", "", "", "https://", ""], "portfolio_url", "https://"),
        (["Co", "", "", &u501, ""], "portfolio_url", "At most 500"),
    ];
    for (fields, field, needle) in cases {
        let res = apply(&app, &user, fields).await;
        assert_eq!(res.status().as_u16(), 422, "{field}");
        let msg = error_at(res, field).await;
        assert!(msg.contains(needle), "{field}: {msg}");
    }
    // The browser gets the message next to the field on a 422 page.
    let res = app
        .post(
            &user,
            "/api/apply_investor",
            Some("/investor/apply"),
            &[
                ("company_name", "Co"),
                ("investment_focus", ""),
                ("ticket_size", ""),
                ("portfolio_url", "not a url"),
                ("linkedin_url", ""),
            ],
        )
        .await;
    let back = location(&res).replace(&app.base, "");
    let (status, html) = app.get(&user, &back).await;
    assert_eq!(status, 422);
    assert!(html.contains(r#"id="portfolio_url-error""#));
    assert!(html.contains(r#"value="not a url""#));
    // Missing fields: 400.
    assert_eq!(
        app.call(&user, "/api/apply_investor", &[("company_name", "Co")])
            .await,
        400
    );
    assert_eq!(rows(&app).await, 0);
}
