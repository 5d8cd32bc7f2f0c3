//! Who may call what: one table of every `/api/*` server function, walked
//! as a signed-out visitor, as a signed-in user of the wrong role, and as
//! a signed-in user who does not own the row (or is not a member of the
//! private chain) the call names. Each refusal has its status (401, 403 or
//! 404) and writes nothing: every table of the database is the same before
//! and after. Endpoints open to everyone are listed as public. The table
//! must name every registered server function, so a new endpoint without
//! a row fails here. The pages behind the sign-in are checked the same way.

use std::collections::BTreeSet;

use crate::helpers::{chains_app, location, new_client, TestApp, NIL, PROJECT};

/// Who may call an endpoint.
enum Access {
    /// Anyone, signed in or not.
    Public,
    /// Only signed-in users: a signed-out call is 401 (a browser's form
    /// post is sent to log in and comes back to the page it was on).
    SignedIn,
    /// A signed-out call is 401; these refusals to signed-in users follow.
    Refused(Vec<Refusal>),
    /// The row is a private chain's: whoever is not a member, signed in
    /// (demo_builder) or not, is told it does not exist (404).
    MembersOnly,
}

/// A signed-in user who is refused: who, why, and the status they get.
struct Refusal {
    user: &'static str,
    why: &'static str,
    /// What they send, when it is not the endpoint's form.
    form: Option<Vec<(&'static str, String)>>,
    status: u16,
}

impl Refusal {
    fn with(self, fields: &[(&'static str, &str)]) -> Refusal {
        Refusal {
            form: Some(form(fields)),
            ..self
        }
    }
}

/// `user` sends the endpoint's form and gets `status`.
fn by(user: &'static str, why: &'static str, status: u16) -> Refusal {
    Refusal {
        user,
        why,
        form: None,
        status,
    }
}

struct Endpoint {
    path: &'static str,
    /// Where a signed-out browser's form post is sent.
    browser: SignedOutBrowser,
    /// A well-formed form (a malformed one is refused before anyone is
    /// asked who they are).
    form: Vec<(&'static str, String)>,
    access: Access,
}

/// Where a signed-out browser's form post to an endpoint is sent.
enum SignedOutBrowser {
    /// To log in, and then back to the page it posted from (an action).
    LogIn,
    /// To log in, and then to this page (the data of a page behind the
    /// sign-in leads back to that page).
    LogInTo(String),
    /// Back to the page it posted from, the refusal waiting in its session
    /// (the data of a page that is only read signed in).
    BackToPage,
}

impl Endpoint {
    fn browser(self, browser: SignedOutBrowser) -> Endpoint {
        Endpoint { browser, ..self }
    }
}

fn form(fields: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    fields.iter().map(|(k, v)| (*k, v.to_string())).collect()
}

/// A fingerprint of every row of every table (the rate-limit counters
/// aside: a refused log-in is what they count).
async fn database_state(app: &TestApp) -> Vec<(String, String)> {
    let tables: Vec<String> = sqlx::query_scalar(
        "select tablename::text from pg_tables where schemaname = 'public' \
         and tablename not in ('attempt_limits', '_sqlx_migrations') order by 1",
    )
    .fetch_all(&app.pool)
    .await
    .unwrap();
    let mut state = Vec::new();
    for table in tables {
        let digest: String = sqlx::query_scalar(&format!(
            "select md5(coalesce(string_agg(t::text, '|' order by t::text), '')) from {table} t"
        ))
        .fetch_one(&app.pool)
        .await
        .unwrap();
        state.push((table, digest));
    }
    state
}

/// The rows the table's calls name: each belongs to someone other than
/// the user who is refused.
struct Rows {
    /// A live project, not demo_builder's, on a public chain not theirs.
    project: String,
    /// A comment on a live project, not demo_builder's.
    comment: String,
    /// A public chain demo_builder neither created nor follows.
    chain: String,
    /// A post of `chain`, not demo_builder's.
    post: String,
    /// A comment on a chain post, not demo_builder's.
    post_comment: String,
    /// A private chain demo_builder is not a member of, and its post.
    private_chain: String,
    private_post: String,
    /// A badge given by a validator other than demo_validator.
    badge: String,
    /// A notification of someone other than demo_builder.
    notification: String,
    /// An intro request neither from demo_investor nor to demo_builder.
    intro: String,
}

async fn rows(app: &TestApp) -> Rows {
    let (private_chain, _, _) = app.private_chain().await;
    let chain = app
        .pick(
            "select c.id::text from chains c join users u on u.id = c.creator_id \
             where c.is_public and c.is_active and u.username <> 'demo_builder' \
             and exists (select 1 from chain_posts p join users a on a.id = p.author_id \
                         where p.chain_id = c.id and a.username <> 'demo_builder') \
             and exists (select 1 from chain_projects cp join projects p on p.id = cp.project_id \
                         join users o on o.id = p.user_id \
                         where cp.chain_id = c.id and not p.is_deleted \
                           and o.username <> 'demo_builder') \
             and not exists (select 1 from chain_followers f join users m on m.id = f.user_id \
                             where f.chain_id = c.id and m.username = 'demo_builder') \
             order by c.id limit 1",
        )
        .await;
    let project = app
        .pick(&format!(
            "select p.id::text from chain_projects cp join projects p on p.id = cp.project_id \
             join users o on o.id = p.user_id where cp.chain_id = '{chain}' \
             and not p.is_deleted and o.username <> 'demo_builder' order by p.id limit 1"
        ))
        .await;
    let post = app
        .pick(&format!(
            "select p.id::text from chain_posts p join users a on a.id = p.author_id \
             where p.chain_id = '{chain}' and a.username <> 'demo_builder' \
             and not p.is_deleted order by p.id limit 1"
        ))
        .await;
    Rows {
        project,
        comment: app
            .pick(
                "select c.id::text from comments c join users u on u.id = c.user_id \
                 join projects p on p.id = c.project_id \
                 where u.username <> 'demo_builder' and not p.is_deleted order by c.id limit 1",
            )
            .await,
        post_comment: app
            .pick(
                "select c.id::text from chain_post_comments c join users u on u.id = c.author_id \
                 where u.username <> 'demo_builder' order by c.id limit 1",
            )
            .await,
        private_post: app
            .pick(&format!(
                "select id::text from chain_posts where chain_id = '{private_chain}'"
            ))
            .await,
        badge: app
            .pick(
                "select b.id::text from validation_badges b join users v on v.id = b.validator_id \
                 where v.username <> 'demo_validator' order by b.id limit 1",
            )
            .await,
        notification: app
            .pick(
                "select n.id::text from notifications n join users u on u.id = n.user_id \
                 where u.username <> 'demo_builder' order by n.id limit 1",
            )
            .await,
        intro: app
            .pick(
                "select r.id::text from intro_requests r join users i on i.id = r.investor_id \
                 join users b on b.id = r.builder_id \
                 where i.username <> 'demo_investor' and b.username <> 'demo_builder' \
                 order by r.id limit 1",
            )
            .await,
        chain,
        post,
        private_chain,
    }
}

/// Every server function, who may call it, and who is refused.
fn endpoints(r: &Rows) -> Vec<Endpoint> {
    use Access::{MembersOnly, Public, Refused, SignedIn};
    let project = r.project.as_str();
    let comment = r.comment.as_str();
    let chain = r.chain.as_str();
    let post = r.post.as_str();
    let post_comment = r.post_comment.as_str();
    let private_chain = r.private_chain.as_str();
    let private_post = r.private_post.as_str();
    let mut edit_project = PROJECT.to_vec();
    edit_project.push(("id", project));
    let admin_only = || {
        Refused(
            ["demo_builder", "demo_validator", "demo_investor"]
                .into_iter()
                .map(|user| by(user, "not an admin", 403))
                .collect(),
        )
    };
    let decide = [("application_id", NIL), ("decision", "approve")];
    let report_action = [("report_id", NIL), ("action", "dismiss")];
    let row = |path, fields: &[(&'static str, &str)], access| Endpoint {
        path,
        browser: SignedOutBrowser::LogIn,
        form: form(fields),
        access,
    };
    vec![
        // Signing in and out, and who is signed in.
        row("/api/me", &[], Public),
        row(
            "/api/signup",
            &[("username", "x"), ("email", "x"), ("password", "x")],
            Public,
        ),
        row("/api/login", &[("login", "x"), ("password", "x")], Public),
        row("/api/logout", &[], Public),
        row("/api/unread", &[], Public),
        // The public pages' data.
        row("/api/feed", &[], Public),
        row("/api/project", &[("id", project)], Public),
        row("/api/chains", &[], Public),
        row("/api/chain", &[("id", private_chain)], MembersOnly),
        row(
            "/api/chain_post",
            &[("chain_id", private_chain), ("post_id", private_post)],
            MembersOnly,
        ),
        row("/api/profile", &[("username", "demo_builder")], Public),
        row("/api/leaderboard", &[], Public),
        row("/api/search", &[("q", "x")], Public),
        row("/api/investors", &[], Public),
        // The signed-in user's own pages.
        row("/api/dashboard", &[], SignedIn)
            .browser(SignedOutBrowser::LogInTo("/dashboard".into())),
        row("/api/my_projects", &[], SignedIn)
            .browser(SignedOutBrowser::LogInTo("/me/projects".into())),
        row("/api/my_projects_new", &[], SignedIn)
            .browser(SignedOutBrowser::LogInTo("/me/projects/new".into())),
        row(
            "/api/my_project",
            &[("id", project)],
            Refused(vec![by("demo_builder", "not the owner", 403)]),
        )
        .browser(SignedOutBrowser::LogInTo(format!(
            "/me/projects/{project}/edit"
        ))),
        row("/api/notifications", &[], SignedIn)
            .browser(SignedOutBrowser::LogInTo("/notifications".into())),
        row("/api/inbox", &[], SignedIn).browser(SignedOutBrowser::BackToPage),
        row(
            "/api/conversation",
            &[("username", "demo_investor")],
            SignedIn,
        )
        .browser(SignedOutBrowser::BackToPage),
        row("/api/intros", &[], SignedIn).browser(SignedOutBrowser::BackToPage),
        row("/api/investor_application", &[], SignedIn).browser(SignedOutBrowser::BackToPage),
        row(
            "/api/investor_dashboard",
            &[],
            Refused(vec![by("demo_builder", "not an investor", 403)]),
        )
        .browser(SignedOutBrowser::BackToPage),
        row(
            "/api/validator_dashboard",
            &[],
            Refused(vec![by("demo_builder", "not a validator", 403)]),
        ),
        // Projects and their comments.
        row("/api/create_project", PROJECT, SignedIn),
        row(
            "/api/update_project",
            &edit_project,
            Refused(vec![by("demo_builder", "not the owner", 403)]),
        ),
        row(
            "/api/delete_project",
            &[("id", project)],
            Refused(vec![by("demo_builder", "not the owner", 403)]),
        ),
        row(
            "/api/restore_project",
            &[("id", project)],
            Refused(vec![by("demo_builder", "not the owner", 403)]),
        ),
        row("/api/upvote", &[("project_id", project)], SignedIn),
        row("/api/remove_upvote", &[("project_id", project)], SignedIn),
        row(
            "/api/comment",
            &[("project_id", project), ("content", "hi")],
            SignedIn,
        ),
        row(
            "/api/reply",
            &[("comment_id", comment), ("content", "hi")],
            SignedIn,
        ),
        row(
            "/api/edit_comment",
            &[("comment_id", comment), ("content", "hi")],
            Refused(vec![by("demo_builder", "not the writer", 403)]),
        ),
        row(
            "/api/delete_comment",
            &[("comment_id", comment)],
            Refused(vec![by("demo_builder", "not the writer", 403)]),
        ),
        row(
            "/api/award_badge",
            &[
                ("project_id", project),
                ("badge_type", "design"),
                ("note", ""),
            ],
            Refused(vec![by("demo_builder", "not a validator", 403)]),
        ),
        row(
            "/api/revoke_badge",
            &[("badge_id", &r.badge)],
            Refused(vec![
                by("demo_builder", "not a validator", 403),
                by("demo_validator", "not the badge's validator", 403),
            ]),
        ),
        row(
            "/api/report",
            &[
                ("target_type", "project"),
                ("target_id", project),
                ("reason", "spam"),
            ],
            SignedIn,
        ),
        // Chains and their forums.
        row(
            "/api/create_chain",
            &[
                ("name", "Signed out chain"),
                ("description", ""),
                ("category", "ai"),
                ("visibility", "public"),
            ],
            SignedIn,
        ),
        row(
            "/api/follow_chain",
            &[("chain_id", chain)],
            Refused(vec![by("demo_builder", "the chain is private", 404)
                .with(&[("chain_id", private_chain)])]),
        ),
        row("/api/unfollow_chain", &[("chain_id", chain)], SignedIn),
        row(
            "/api/chain_add_project",
            &[("chain_id", chain), ("project", project)],
            Refused(vec![by(
                "demo_builder",
                "owns neither the chain nor the project",
                403,
            )]),
        ),
        row(
            "/api/chain_remove_project",
            &[("chain_id", chain), ("project_id", project)],
            Refused(vec![by(
                "demo_builder",
                "owns neither the chain nor the project",
                403,
            )]),
        ),
        row(
            "/api/create_post",
            &[
                ("chain_id", chain),
                ("title", "t"),
                ("content", "c"),
                ("post_type", "discussion"),
            ],
            Refused(vec![by("demo_builder", "not a member", 403)]),
        ),
        row(
            "/api/pin_post",
            &[("post_id", post)],
            Refused(vec![by("demo_builder", "not the chain's owner", 403)]),
        ),
        row(
            "/api/unpin_post",
            &[("post_id", post)],
            Refused(vec![by("demo_builder", "not the chain's owner", 403)]),
        ),
        row(
            "/api/vote_post",
            &[("post_id", post), ("vote", "up")],
            Refused(vec![by(
                "demo_builder",
                "not a member of the private chain",
                404,
            )
            .with(&[("post_id", private_post), ("vote", "up")])]),
        ),
        row(
            "/api/comment_post",
            &[("post_id", post), ("content", "hi")],
            Refused(vec![by(
                "demo_builder",
                "not a member of the private chain",
                404,
            )
            .with(&[("post_id", private_post), ("content", "hi")])]),
        ),
        row(
            "/api/delete_post",
            &[("post_id", post)],
            Refused(vec![by(
                "demo_builder",
                "neither the writer nor the chain's owner",
                403,
            )]),
        ),
        row(
            "/api/delete_post_comment",
            &[("comment_id", post_comment)],
            Refused(vec![by("demo_builder", "not the writer", 403)]),
        ),
        // Messages, intros and investor applications.
        row(
            "/api/send_message",
            &[("to", "demo_investor"), ("message", "hi")],
            SignedIn,
        ),
        row(
            "/api/conversation_read",
            &[("username", "demo_investor")],
            SignedIn,
        ),
        row(
            "/api/notification_read",
            &[("id", &r.notification)],
            Refused(vec![by("demo_builder", "not theirs", 404)]),
        ),
        row("/api/notifications_read_all", &[], SignedIn),
        row(
            "/api/request_intro",
            &[("builder", "demo_builder"), ("message", "hi")],
            Refused(vec![by("demo_validator", "not an investor", 403)]),
        ),
        row(
            "/api/respond_intro",
            &[("request_id", &r.intro), ("decision", "approve")],
            Refused(vec![by("demo_builder", "not the builder asked", 404)]),
        ),
        row(
            "/api/withdraw_intro",
            &[("request_id", &r.intro)],
            Refused(vec![by("demo_investor", "not the investor who asked", 404)]),
        ),
        row(
            "/api/apply_investor",
            &[
                ("company_name", "Fund"),
                ("investment_focus", "Tools"),
                ("ticket_size", "$50k"),
                ("portfolio_url", ""),
                ("linkedin_url", ""),
            ],
            Refused(vec![by("demo_investor", "already an investor", 403)]),
        ),
        // The operator's.
        row("/api/admin_overview", &[], admin_only()),
        row("/api/admin_health", &[], admin_only()),
        row("/api/admin_reconcile", &[], admin_only()),
        row("/api/admin_decide_application", &decide, admin_only()),
        row("/api/admin_report_action", &report_action, admin_only()),
    ]
}

fn pairs<'a>(form: &'a [(&'static str, String)]) -> Vec<(&'static str, &'a str)> {
    form.iter().map(|(k, v)| (*k, v.as_str())).collect()
}

#[tokio::test]
async fn every_endpoint_refuses_whoever_may_not_call_it_and_writes_nothing() {
    let app = chains_app().await;
    let rows = rows(&app).await;
    let table = endpoints(&rows);

    // The table names every registered server function, once.
    let listed: BTreeSet<&str> = table.iter().map(|e| e.path).collect();
    assert_eq!(listed.len(), table.len(), "an endpoint is listed twice");
    let registered: BTreeSet<&str> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .collect();
    assert_eq!(
        listed, registered,
        "the table and the registered server functions differ: give every endpoint a row"
    );

    let mut clients = std::collections::HashMap::new();
    for user in ["demo_builder", "demo_validator", "demo_investor"] {
        clients.insert(user, app.client_for(user).await);
    }
    // Every difference is collected, so that one run names them all.
    let mut wrong = Vec::new();
    let page = "/chains";
    for endpoint in &table {
        let path = endpoint.path;
        let form = pairs(&endpoint.form);
        let anon = new_client();
        let before = database_state(&app).await;
        let refusals = match &endpoint.access {
            Access::Public => continue,
            Access::MembersOnly => {
                for (who, client) in [
                    ("signed out", &anon),
                    ("demo_builder", &clients["demo_builder"]),
                ] {
                    let status = app.call(client, path, &form).await;
                    expect(&mut wrong, format!("{path} {who}"), status, 404);
                }
                &[][..]
            }
            Access::SignedIn | Access::Refused(_) => {
                let status = app.call(&anon, path, &form).await;
                expect(&mut wrong, format!("{path} signed out"), status, 401);
                let res = app.post(&anon, path, Some(page), &form).await;
                let to = res
                    .headers()
                    .get("location")
                    .map(|l| l.to_str().unwrap().to_string());
                let sent_to = match &endpoint.browser {
                    SignedOutBrowser::LogIn => format!("/login?next={page}"),
                    SignedOutBrowser::LogInTo(next) => format!("/login?next={next}"),
                    SignedOutBrowser::BackToPage => app.url(page),
                };
                expect(
                    &mut wrong,
                    format!("{path} signed out, from {page}"),
                    (res.status().as_u16(), to),
                    (302, Some(sent_to)),
                );
                match &endpoint.access {
                    Access::Refused(refusals) => &refusals[..],
                    _ => &[][..],
                }
            }
        };
        for refusal in refusals {
            let form = pairs(refusal.form.as_ref().unwrap_or(&endpoint.form));
            let status = app.call(&clients[refusal.user], path, &form).await;
            let what = format!("{path} as {} ({})", refusal.user, refusal.why);
            expect(&mut wrong, what, status, refusal.status);
        }
        if database_state(&app).await != before {
            wrong.push(format!("{path}: a refused call wrote something"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Notes `what` in `wrong` unless it got what it should.
fn expect<G, W>(wrong: &mut Vec<String>, what: String, got: G, want: W)
where
    G: PartialEq<W> + std::fmt::Debug,
    W: std::fmt::Debug,
{
    if got != want {
        wrong.push(format!("{what}: {got:?}, not {want:?}"));
    }
}

/// The pages behind the sign-in send a signed-out visitor to log in and
/// back; the unread-count stream is 401; the signed-out navigation has no
/// personal links, and a chain post's page is public with a way to log in.
#[tokio::test]
async fn signed_out_pages_send_to_log_in() {
    let app = chains_app().await;
    let anon = new_client();
    for page in [
        "/me/projects",
        "/me/projects/new",
        "/dashboard",
        "/notifications",
    ] {
        let res = app.fetch(&anon, page).await;
        assert_eq!(res.status().as_u16(), 302, "{page}");
        assert_eq!(location(&res), format!("/login?next={page}"), "{page}");
    }
    let res = anon.get(app.url("/events/unread")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 401);

    let (_, html) = app.get(&anon, "/").await;
    assert!(!html.contains(r#"href="/notifications""#));

    let (chain, _) = app.busy_chain().await;
    let post = app
        .pick(&format!(
            "select id::text from chain_posts where chain_id = '{chain}' and not is_deleted \
             order by id limit 1"
        ))
        .await;
    let page = format!("/c/{chain}/posts/{post}");
    let (status, html) = app.get(&anon, &page).await;
    assert_eq!(status, 200);
    assert_eq!(html.matches("<h1").count(), 1);
    assert!(html.contains(&format!("/login?next={page}")));
}
