//! What the simulated people do: one goose transaction is one click (a page
//! view or a form post followed to the page it lands on, as a browser
//! without JavaScript does), with 2–10 s of thinking between clicks.

use std::collections::{BTreeMap, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use goose::prelude::*;
use rand::seq::SliceRandom;
use rand::Rng;
use uuid::Uuid;

use crate::html::{self, Form};
use crate::record::Recorder;

/// Everything the users pick from, read from the database before the run.
pub struct Shared {
    pub base: String,
    pub recorder: Arc<Recorder>,
    pub projects: Vec<Uuid>,
    /// Projects without any badge: a validator awarding one never hits the
    /// one-badge-per-type rule of an earlier badge.
    pub unbadged: Vec<Uuid>,
    pub chains: Vec<Uuid>,
    pub posts: Vec<(Uuid, Uuid)>,
    pub usernames: Vec<String>,
    /// Builders with no pending intro request from anyone.
    pub intro_builders: Vec<String>,
    pub search_terms: Vec<String>,
    /// Accounts per role, handed out in turn; `taken` counts hand-outs.
    pub accounts: BTreeMap<String, Vec<String>>,
    pub taken: BTreeMap<String, AtomicUsize>,
    /// Chance that a builder's "new project" click really creates one.
    pub create_project_chance: f64,
}

static SHARED: OnceLock<Arc<Shared>> = OnceLock::new();

pub fn install(shared: Arc<Shared>) {
    let _ = SHARED.set(shared);
}

fn shared() -> &'static Arc<Shared> {
    SHARED.get().expect("site::install runs before the load")
}

/// Per simulated user.
#[derive(Clone, Default)]
pub struct Session {
    pub username: String,
    pub role: String,
    /// Forms of the project page seen last (its id).
    pub project: Option<(Uuid, Vec<Form>)>,
    /// Forms of the conversation page seen last.
    pub conversation: Option<(String, Vec<Form>)>,
    pub inbox_peers: Vec<String>,
    pub intros: HashSet<String>,
    pub badges: HashSet<(Uuid, String)>,
}

fn pick<T: Clone>(v: &[T]) -> Option<T> {
    v.choose(&mut rand::thread_rng()).cloned()
}

fn chance(p: f64) -> bool {
    rand::thread_rng().gen_bool(p.clamp(0.0, 1.0))
}

fn custom(msg: impl Into<String>) -> Box<TransactionError> {
    Box::new(TransactionError::Custom(msg.into()))
}

/// Marks the request failed in goose's metrics as well as ours.
fn fail(
    user: &mut GooseUser,
    name: &str,
    started: Instant,
    bytes: usize,
    request: &mut goose::metrics::GooseRequestMetric,
    why: String,
) -> Box<TransactionError> {
    shared().recorder.record(
        name,
        started.elapsed().as_micros() as u64,
        bytes,
        Some(why.clone()),
    );
    let _ = user.set_failure(&why, request, None, None);
    custom(why)
}

/// GET `path` as a browser would, reading the whole body. It must answer
/// 200 at that address (not be redirected, e.g. to /login) and, when
/// given, contain `marker`.
pub async fn page(
    user: &mut GooseUser,
    name: &str,
    path: &str,
    marker: Option<&str>,
) -> Result<String, Box<TransactionError>> {
    let rb = user
        .get_request_builder(&GooseMethod::Get, path)?
        .header("Accept", "text/html,application/xhtml+xml");
    let request = GooseRequest::builder()
        .method(GooseMethod::Get)
        .path(path)
        .name(name)
        .set_request_builder(rb)
        .build();
    let started = Instant::now();
    let mut goose = user.request(request).await?;
    let response = match goose.response {
        Ok(r) => r,
        Err(e) => {
            let why = format!("transport: {}", short(&e.to_string()));
            shared().recorder.record(
                name,
                started.elapsed().as_micros() as u64,
                0,
                Some(why.clone()),
            );
            return Err(custom(why));
        }
    };
    let status = response.status();
    let final_path = response.url().path().to_string();
    let body = match response.text().await {
        Ok(b) => b,
        Err(e) => {
            let why = format!("body: {}", short(&e.to_string()));
            return Err(fail(user, name, started, 0, &mut goose.request, why));
        }
    };
    let wanted = path.split(['?', '#']).next().unwrap_or(path);
    if !status.is_success() {
        let why = format!("status {}", status.as_u16());
        return Err(fail(
            user,
            name,
            started,
            body.len(),
            &mut goose.request,
            why,
        ));
    }
    if final_path != wanted {
        let why = format!("redirected to {final_path}");
        return Err(fail(
            user,
            name,
            started,
            body.len(),
            &mut goose.request,
            why,
        ));
    }
    if let Some(m) = marker {
        if !body.contains(m) {
            let why = format!("page lacks {m:?}");
            return Err(fail(
                user,
                name,
                started,
                body.len(),
                &mut goose.request,
                why,
            ));
        }
    }
    shared()
        .recorder
        .record(name, started.elapsed().as_micros() as u64, body.len(), None);
    Ok(body)
}

fn short(s: &str) -> String {
    s.chars().take(120).collect()
}

/// POST a form as a browser does (Origin and Referer of the page it is on,
/// `Accept: text/html`), following the redirect. It succeeded when the
/// page it lands on answers 200 and carries no `__err` (a failed server
/// function sends the browser back with its error in the address).
pub async fn post(
    user: &mut GooseUser,
    name: &str,
    action: &str,
    referer: &str,
    fields: &[(String, String)],
) -> Result<(String, String), Box<TransactionError>> {
    let base = shared().base.clone();
    let rb = user
        .get_request_builder(&GooseMethod::Post, action)?
        .header("Accept", "text/html,application/xhtml+xml")
        .header("Origin", base.clone())
        .header("Referer", format!("{base}{referer}"))
        .form(fields);
    let request = GooseRequest::builder()
        .method(GooseMethod::Post)
        .path(action)
        .name(name)
        .set_request_builder(rb)
        .build();
    let started = Instant::now();
    let mut goose = user.request(request).await?;
    let response = match goose.response {
        Ok(r) => r,
        Err(e) => {
            let why = format!("transport: {}", short(&e.to_string()));
            shared().recorder.record(
                name,
                started.elapsed().as_micros() as u64,
                0,
                Some(why.clone()),
            );
            return Err(custom(why));
        }
    };
    let status = response.status();
    let landed = response.url().clone();
    let body = response.text().await.unwrap_or_default();
    let landed_path = match landed.query() {
        Some(q) => format!("{}?{q}", landed.path()),
        None => landed.path().to_string(),
    };
    if !status.is_success() {
        let why = format!("status {} at {}", status.as_u16(), landed.path());
        return Err(fail(
            user,
            name,
            started,
            body.len(),
            &mut goose.request,
            why,
        ));
    }
    if landed.query().is_some_and(|q| q.contains("__err=")) {
        let why = format!("rejected, sent back to {}", landed.path());
        return Err(fail(
            user,
            name,
            started,
            body.len(),
            &mut goose.request,
            why,
        ));
    }
    shared()
        .recorder
        .record(name, started.elapsed().as_micros() as u64, body.len(), None);
    Ok((landed_path, body))
}

fn session(user: &mut GooseUser) -> &mut Session {
    if user.get_session_data::<Session>().is_none() {
        user.set_session_data(Session::default());
    }
    user.get_session_data_mut::<Session>()
        .expect("session data was just set")
}

/// The next account of `role` (wrapping around when there are more
/// simulated users of that role than accounts).
fn next_account(role: &str) -> Option<String> {
    let s = shared();
    let list = s.accounts.get(role)?;
    if list.is_empty() {
        return None;
    }
    let n = s.taken.get(role)?.fetch_add(1, Ordering::Relaxed);
    Some(list[n % list.len()].clone())
}

/// Sign in as a distinct demo account of `role`: the log-in page, then its
/// form posted with the demo password (the real argon2 check).
async fn sign_in(user: &mut GooseUser, role: &str) -> TransactionResult {
    let username = next_account(role).ok_or_else(|| custom(format!("no {role} accounts")))?;
    let body = page(user, "GET /login", "/login", None).await?;
    let forms = html::forms(&body);
    let form = forms
        .iter()
        .find(|f| f.has_field("login") && f.has_field("password"))
        .ok_or_else(|| custom("no log-in form on /login"))?;
    let fields = form.filled(&[("login", &username), ("password", "proofwork-demo")]);
    let action = form.action.clone();
    let (landed, body) = post(user, "POST /login (sign-in)", &action, "/login", &fields).await?;
    if landed.starts_with("/login") || !body.contains(&username) {
        return Err(custom(format!("sign-in as {username} landed on {landed}")));
    }
    let s = session(user);
    s.username = username;
    s.role = role.to_string();
    Ok(())
}

pub async fn sign_in_builder(user: &mut GooseUser) -> TransactionResult {
    sign_in(user, "builder").await
}
pub async fn sign_in_investor(user: &mut GooseUser) -> TransactionResult {
    sign_in(user, "investor").await
}
pub async fn sign_in_validator(user: &mut GooseUser) -> TransactionResult {
    sign_in(user, "validator").await
}
pub async fn sign_in_admin(user: &mut GooseUser) -> TransactionResult {
    sign_in(user, "admin").await
}

/// The marker a signed-in page must show: the user's name in the header.
fn me(user: &mut GooseUser) -> Option<String> {
    let name = session(user).username.clone();
    (!name.is_empty()).then_some(name)
}

async fn signed_in_page(user: &mut GooseUser, name: &str, path: &str) -> TransactionResult {
    let m = me(user);
    page(user, name, path, m.as_deref()).await.map(|_| ())
}

// ---- anonymous browsing (also part of every signed-in user's clicks) ----

pub async fn feed(user: &mut GooseUser) -> TransactionResult {
    page(user, "GET / (feed)", "/", Some("card-title"))
        .await
        .map(|_| ())
}

pub async fn feed_top(user: &mut GooseUser) -> TransactionResult {
    let period = pick(&["today", "week", "month", "all"]).unwrap_or("week");
    let name = format!("GET /?tab=top&period={period}");
    let path = format!("/?tab=top&period={period}");
    page(user, &name, &path, None).await.map(|_| ())
}

pub async fn feed_newest(user: &mut GooseUser) -> TransactionResult {
    page(user, "GET /?tab=newest", "/?tab=newest", Some("card-title"))
        .await
        .map(|_| ())
}

pub async fn feed_featured(user: &mut GooseUser) -> TransactionResult {
    page(user, "GET /?tab=featured", "/?tab=featured", None)
        .await
        .map(|_| ())
}

pub async fn feed_category(user: &mut GooseUser) -> TransactionResult {
    let cat = pick(&[
        "ai", "web", "mobile", "devtools", "data", "infra", "security", "hardware", "games",
        "fintech", "other",
    ])
    .unwrap_or("ai");
    let path = format!("/?category={cat}");
    page(user, "GET /?category=<c>", &path, None)
        .await
        .map(|_| ())
}

pub async fn project(user: &mut GooseUser) -> TransactionResult {
    let Some(id) = pick(&shared().projects) else {
        return Ok(());
    };
    let path = format!("/p/{id}");
    let body = page(user, "GET /p/<id>", &path, Some("upvote-count")).await?;
    session(user).project = Some((id, html::forms(&body)));
    Ok(())
}

pub async fn leaderboard(user: &mut GooseUser) -> TransactionResult {
    let tab = pick(&["projects", "builders"]).unwrap_or("projects");
    let name = format!("GET /leaderboard?tab={tab}");
    let path = format!("/leaderboard?tab={tab}");
    page(user, &name, &path, None).await.map(|_| ())
}

pub async fn chains(user: &mut GooseUser) -> TransactionResult {
    page(user, "GET /chains", "/chains", None).await.map(|_| ())
}

pub async fn chain(user: &mut GooseUser) -> TransactionResult {
    let Some(id) = pick(&shared().chains) else {
        return Ok(());
    };
    if chance(0.3) {
        let path = format!("/c/{id}?tab=newest");
        return page(user, "GET /c/<id>?tab=newest", &path, None)
            .await
            .map(|_| ());
    }
    page(user, "GET /c/<id>", &format!("/c/{id}"), None)
        .await
        .map(|_| ())
}

pub async fn chain_post(user: &mut GooseUser) -> TransactionResult {
    let Some((c, p)) = pick(&shared().posts) else {
        return Ok(());
    };
    page(
        user,
        "GET /c/<id>/posts/<id>",
        &format!("/c/{c}/posts/{p}"),
        None,
    )
    .await
    .map(|_| ())
}

pub async fn investors(user: &mut GooseUser) -> TransactionResult {
    page(user, "GET /investors", "/investors", None)
        .await
        .map(|_| ())
}

pub async fn search(user: &mut GooseUser) -> TransactionResult {
    let Some(term) = pick(&shared().search_terms) else {
        return Ok(());
    };
    let q: String = term
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '+' })
        .collect();
    page(user, "GET /search?q=<q>", &format!("/search?q={q}"), None)
        .await
        .map(|_| ())
}

pub async fn profile(user: &mut GooseUser) -> TransactionResult {
    let Some(name) = pick(&shared().usernames) else {
        return Ok(());
    };
    page(
        user,
        "GET /u/<username>",
        &format!("/u/{name}"),
        Some(&name),
    )
    .await
    .map(|_| ())
}

pub async fn atom(user: &mut GooseUser) -> TransactionResult {
    page(
        user,
        "GET /feeds/projects.atom",
        "/feeds/projects.atom",
        Some("<feed"),
    )
    .await
    .map(|_| ())
}

// ---- builders ----

pub async fn dashboard(user: &mut GooseUser) -> TransactionResult {
    signed_in_page(user, "GET /dashboard", "/dashboard").await
}

pub async fn inbox(user: &mut GooseUser) -> TransactionResult {
    let m = me(user);
    let body = page(user, "GET /inbox", "/inbox", m.as_deref()).await?;
    // Conversations listed: links to /inbox/<name>.
    let mut peers = Vec::new();
    let mut rest = body.as_str();
    while let Some(i) = rest.find("href=\"/inbox/") {
        let t = &rest[i + 13..];
        let end = t.find(['"', '?', '#']).unwrap_or(0);
        if end > 0 {
            peers.push(t[..end].to_string());
        }
        rest = &t[end..];
    }
    session(user).inbox_peers = peers;
    Ok(())
}

pub async fn conversation(user: &mut GooseUser) -> TransactionResult {
    let me_name = me(user).unwrap_or_default();
    let peers = session(user).inbox_peers.clone();
    let peer = match pick(&peers) {
        Some(p) if chance(0.8) => p,
        _ => pick(&shared().usernames).unwrap_or_default(),
    };
    if peer.is_empty() || peer == me_name {
        return Ok(());
    }
    let path = format!("/inbox/{peer}");
    let body = page(user, "GET /inbox/<username>", &path, Some(&me_name)).await?;
    session(user).conversation = Some((peer, html::forms(&body)));
    Ok(())
}

pub async fn send_message(user: &mut GooseUser) -> TransactionResult {
    if session(user).conversation.is_none() {
        return conversation(user).await;
    }
    let Some((peer, forms)) = session(user).conversation.take() else {
        return Ok(());
    };
    let Some(form) = html::form_for(&forms, "send_message") else {
        return Err(custom(format!("no send form on /inbox/{peer}")));
    };
    let text = format!("Load test message {}", Uuid::new_v4().simple());
    let fields = form.filled(&[("to", &peer), ("message", &text)]);
    let action = form.action.clone();
    post(
        user,
        "POST send_message",
        &action,
        &format!("/inbox/{peer}"),
        &fields,
    )
    .await
    .map(|_| ())
}

pub async fn notifications(user: &mut GooseUser) -> TransactionResult {
    signed_in_page(user, "GET /notifications", "/notifications").await
}

pub async fn my_projects(user: &mut GooseUser) -> TransactionResult {
    signed_in_page(user, "GET /me/projects", "/me/projects").await
}

/// Upvote the project seen last (or comment on it when already upvoted).
pub async fn upvote(user: &mut GooseUser) -> TransactionResult {
    let Some((id, forms)) = session(user).project.take() else {
        return project(user).await;
    };
    let Some(form) = html::form_for(&forms, "upvote") else {
        session(user).project = Some((id, forms));
        return comment(user).await;
    };
    let fields = form.filled(&[]);
    let action = form.action.clone();
    post(user, "POST upvote", &action, &format!("/p/{id}"), &fields)
        .await
        .map(|_| ())
}

pub async fn comment(user: &mut GooseUser) -> TransactionResult {
    let Some((id, forms)) = session(user).project.take() else {
        return project(user).await;
    };
    let Some(form) = html::form_for(&forms, "comment") else {
        return Err(custom(format!("no comment form on /p/{id}")));
    };
    let text = format!(
        "Load test comment {}: nice proof of work.",
        Uuid::new_v4().simple()
    );
    let fields = form.filled(&[("content", &text)]);
    let action = form.action.clone();
    post(user, "POST comment", &action, &format!("/p/{id}"), &fields)
        .await
        .map(|_| ())
}

/// Now and then a builder publishes a project; otherwise this click looks
/// at their own projects.
pub async fn create_project(user: &mut GooseUser) -> TransactionResult {
    if !chance(shared().create_project_chance) {
        return my_projects(user).await;
    }
    let m = me(user);
    let body = page(
        user,
        "GET /me/projects/new",
        "/me/projects/new",
        m.as_deref(),
    )
    .await?;
    let forms = html::forms(&body);
    let Some(form) = html::form_for(&forms, "create_project") else {
        return Err(custom("no create_project form on /me/projects/new"));
    };
    let title = format!(
        "Load test project {}",
        &Uuid::new_v4().simple().to_string()[..8]
    );
    let fields = form.filled(&[
        ("title", &title),
        ("description", "Made by the load test."),
        ("link", "https://example.com/proof"),
        ("category", "devtools"),
    ]);
    let action = form.action.clone();
    post(
        user,
        "POST create_project",
        &action,
        "/me/projects/new",
        &fields,
    )
    .await
    .map(|_| ())
}

// ---- investors ----

pub async fn investor_dashboard(user: &mut GooseUser) -> TransactionResult {
    signed_in_page(user, "GET /investor", "/investor").await
}

pub async fn intros(user: &mut GooseUser) -> TransactionResult {
    signed_in_page(user, "GET /intros", "/intros").await
}

/// An investor opens a builder's profile and asks for an intro (a builder
/// this investor has no pending request with).
pub async fn request_intro(user: &mut GooseUser) -> TransactionResult {
    let done = session(user).intros.clone();
    let candidates: Vec<String> = shared()
        .intro_builders
        .iter()
        .filter(|b| !done.contains(*b))
        .cloned()
        .collect();
    let Some(builder) = pick(&candidates) else {
        return intros(user).await;
    };
    let path = format!("/u/{builder}");
    let body = page(user, "GET /u/<username>", &path, Some(&builder)).await?;
    let forms = html::forms(&body);
    let Some(form) = html::form_for(&forms, "request_intro") else {
        return Err(custom(format!("no intro form on {path}")));
    };
    let fields = form.filled(&[("message", "Hello from the load test.")]);
    let action = form.action.clone();
    session(user).intros.insert(builder);
    post(user, "POST request_intro", &action, &path, &fields)
        .await
        .map(|_| ())
}

// ---- validators ----

pub async fn validator_dashboard(user: &mut GooseUser) -> TransactionResult {
    signed_in_page(user, "GET /validator", "/validator").await
}

/// A validator opens a project and awards it a badge type they have not
/// given it yet.
pub async fn award_badge(user: &mut GooseUser) -> TransactionResult {
    let Some(id) = pick(&shared().unbadged) else {
        return validator_dashboard(user).await;
    };
    let done = session(user).badges.clone();
    let types = ["code_quality", "innovation", "impact", "design", "security"];
    let free: Vec<&str> = types
        .iter()
        .copied()
        .filter(|t| !done.contains(&(id, t.to_string())))
        .collect();
    let Some(kind) = pick(&free) else {
        return Ok(());
    };
    let path = format!("/p/{id}");
    let body = page(user, "GET /p/<id>", &path, Some("upvote-count")).await?;
    let forms = html::forms(&body);
    let Some(form) = html::form_for(&forms, "award_badge") else {
        return Err(custom(format!("no badge form on {path}")));
    };
    let fields = form.filled(&[("badge_type", kind), ("note", "Checked by the load test.")]);
    let action = form.action.clone();
    session(user).badges.insert((id, kind.to_string()));
    post(user, "POST award_badge", &action, &path, &fields)
        .await
        .map(|_| ())
}

// ---- admins ----

pub async fn admin(user: &mut GooseUser) -> TransactionResult {
    signed_in_page(user, "GET /admin", "/admin").await
}

pub async fn admin_health(user: &mut GooseUser) -> TransactionResult {
    signed_in_page(user, "GET /admin/health", "/admin/health").await
}

/// One click of an anonymous reader (also half of everyone else's).
#[derive(Clone, Copy)]
enum Click {
    Feed,
    FeedTop,
    FeedNewest,
    FeedFeatured,
    FeedCategory,
    Project,
    Leaderboard,
    Chains,
    Chain,
    ChainPost,
    Investors,
    Search,
    Profile,
    Atom,
    Dashboard,
    Inbox,
    Conversation,
    SendMessage,
    Notifications,
    Upvote,
    Comment,
    CreateProject,
    InvestorDashboard,
    Intros,
    RequestIntro,
    ValidatorDashboard,
    AwardBadge,
    Admin,
    AdminHealth,
}

/// What an anonymous reader clicks, with weights.
const BROWSE: &[(Click, u32)] = &[
    (Click::Feed, 10),
    (Click::FeedTop, 6),
    (Click::FeedNewest, 3),
    (Click::FeedFeatured, 2),
    (Click::FeedCategory, 3),
    (Click::Project, 14),
    (Click::Leaderboard, 4),
    (Click::Chains, 3),
    (Click::Chain, 4),
    (Click::ChainPost, 3),
    (Click::Investors, 2),
    (Click::Search, 4),
    (Click::Profile, 5),
    (Click::Atom, 1),
];
const BUILDER: &[(Click, u32)] = &[
    (Click::Dashboard, 10),
    (Click::Inbox, 8),
    (Click::Conversation, 6),
    (Click::SendMessage, 3),
    (Click::Notifications, 8),
    (Click::Project, 6),
    (Click::Upvote, 6),
    (Click::Comment, 3),
    (Click::CreateProject, 3),
];
const INVESTOR: &[(Click, u32)] = &[
    (Click::InvestorDashboard, 15),
    (Click::Intros, 10),
    (Click::RequestIntro, 4),
];
const VALIDATOR: &[(Click, u32)] = &[(Click::ValidatorDashboard, 15), (Click::AwardBadge, 5)];
const ADMIN: &[(Click, u32)] = &[(Click::Admin, 20), (Click::AdminHealth, 20)];

/// A weighted random click: the role's own clicks or, half the time for
/// signed-in users, browsing.
fn choose(own: &[(Click, u32)]) -> Click {
    let mut rng = rand::thread_rng();
    let list = if own.is_empty() || rng.gen_bool(0.5) {
        BROWSE
    } else {
        own
    };
    let total: u32 = list.iter().map(|(_, w)| w).sum();
    let mut at = rng.gen_range(0..total);
    for (c, w) in list {
        if at < *w {
            return *c;
        }
        at -= w;
    }
    list[0].0
}

async fn run(user: &mut GooseUser, click: Click) -> TransactionResult {
    match click {
        Click::Feed => feed(user).await,
        Click::FeedTop => feed_top(user).await,
        Click::FeedNewest => feed_newest(user).await,
        Click::FeedFeatured => feed_featured(user).await,
        Click::FeedCategory => feed_category(user).await,
        Click::Project => project(user).await,
        Click::Leaderboard => leaderboard(user).await,
        Click::Chains => chains(user).await,
        Click::Chain => chain(user).await,
        Click::ChainPost => chain_post(user).await,
        Click::Investors => investors(user).await,
        Click::Search => search(user).await,
        Click::Profile => profile(user).await,
        Click::Atom => atom(user).await,
        Click::Dashboard => dashboard(user).await,
        Click::Inbox => inbox(user).await,
        Click::Conversation => conversation(user).await,
        Click::SendMessage => send_message(user).await,
        Click::Notifications => notifications(user).await,
        Click::Upvote => upvote(user).await,
        Click::Comment => comment(user).await,
        Click::CreateProject => create_project(user).await,
        Click::InvestorDashboard => investor_dashboard(user).await,
        Click::Intros => intros(user).await,
        Click::RequestIntro => request_intro(user).await,
        Click::ValidatorDashboard => validator_dashboard(user).await,
        Click::AwardBadge => award_badge(user).await,
        Click::Admin => admin(user).await,
        Click::AdminHealth => admin_health(user).await,
    }
}

async fn anonymous_click(user: &mut GooseUser) -> TransactionResult {
    run(user, choose(&[])).await
}
async fn builder_click(user: &mut GooseUser) -> TransactionResult {
    run(user, choose(BUILDER)).await
}
async fn investor_click(user: &mut GooseUser) -> TransactionResult {
    run(user, choose(INVESTOR)).await
}
async fn validator_click(user: &mut GooseUser) -> TransactionResult {
    run(user, choose(VALIDATOR)).await
}
async fn admin_click(user: &mut GooseUser) -> TransactionResult {
    run(user, choose(ADMIN)).await
}

/// The five kinds of visitor: one goose transaction, "click", repeated
/// with the think time between (each click drawn at random with the weights
/// above), after signing in for all but the anonymous.
pub fn scenarios(cfg: &crate::Config) -> anyhow::Result<Vec<Scenario>> {
    let (min, max) = (
        Duration::from_millis(cfg.think_min_ms),
        Duration::from_millis(cfg.think_max_ms),
    );
    let weight = |name: &str| {
        crate::MIX
            .iter()
            .find(|(n, _)| *n == name)
            .map_or(1, |(_, w)| *w)
    };
    Ok(vec![
        scenario!("anonymous")
            .set_weight(weight("anonymous"))?
            .set_wait_time(min, max)?
            .register_transaction(transaction!(anonymous_click).set_name("click")),
        scenario!("builder")
            .set_weight(weight("builder"))?
            .set_wait_time(min, max)?
            .register_transaction(transaction!(sign_in_builder).set_on_start())
            .register_transaction(transaction!(builder_click).set_name("click")),
        scenario!("investor")
            .set_weight(weight("investor"))?
            .set_wait_time(min, max)?
            .register_transaction(transaction!(sign_in_investor).set_on_start())
            .register_transaction(transaction!(investor_click).set_name("click")),
        scenario!("validator")
            .set_weight(weight("validator"))?
            .set_wait_time(min, max)?
            .register_transaction(transaction!(sign_in_validator).set_on_start())
            .register_transaction(transaction!(validator_click).set_name("click")),
        scenario!("admin")
            .set_weight(weight("admin"))?
            .set_wait_time(min, max)?
            .register_transaction(transaction!(sign_in_admin).set_on_start())
            .register_transaction(transaction!(admin_click).set_name("click")),
    ])
}
