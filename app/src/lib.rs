//! Proofwork's user interface: the HTML shell, the routes, and one module
//! per feature (`pages`), over the shared layers `web` (the request-side
//! toolkit), `format` and `components`. Every page renders completely on the server (`SsrMode::Async`)
//! and every action is a plain form post, so nothing needs JavaScript.

// The largest pages' view types nest deeper than rustc's default limit of
// 128 when built for the browser (`hydrate`), where views are not erased.
#![recursion_limit = "512"]

pub mod auth;
pub mod components;
pub mod error;
pub mod format;
pub mod pages;
#[cfg(feature = "ssr")]
pub mod rate_limit;
#[cfg(feature = "ssr")]
pub mod state;
pub mod web;

use std::sync::atomic::{AtomicBool, Ordering};

use crate::web::{action, page_data};
use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::auth::{CurrentUser, Logout};
use crate::components::ErrorPage;
use crate::error::AppError;
use crate::pages::admin::{AdminHealthPage, AdminPage};
use crate::pages::chains::{ChainPage, ChainsPage, PostPage};
use crate::pages::dashboard::DashboardPage;
use crate::pages::my_projects::{EditProjectPage, MyProjectsPage, NewProjectPage};
use crate::pages::notifications::{get_unread, NotificationsPage};
use crate::pages::search::SearchPage;
use crate::pages::validator_dashboard::ValidatorDashboardPage;
use crate::pages::{conversation::ConversationPage, inbox::InboxPage, intros::IntrosPage};
use crate::pages::{feed::FeedPage, login::LoginPage, project::ProjectPage, signup::SignupPage};
use crate::pages::{investor_apply::InvestorApplyPage, investor_dashboard::InvestorDashboardPage};
use crate::pages::{investors::InvestorsPage, leaderboard::LeaderboardPage, profile::ProfilePage};

/// Set by the server when a compiled client (`/pkg/<name>.js`) exists, so
/// pages ask for hydration only when there is something to hydrate with.
pub static CLIENT_BUILT: AtomicBool = AtomicBool::new(false);

/// The document around every page.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    let hydrate = CLIENT_BUILT.load(Ordering::Relaxed) && !shows_a_failed_post();
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <link rel="icon" href="/favicon.svg" type="image/svg+xml" />
                <link rel="stylesheet" href="/pkg/proofwork.css" />
                <link rel="alternate" type="application/atom+xml" title="Newest projects" href="/feeds/projects.atom" />
                <script src="/unread.js" defer></script>
                {hydrate.then(|| view! { <HydrationScripts options /> })}
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// True when this page shows the errors of a form post sent without the
/// client (the server keeps them in the session and hands them to the
/// router as `__path`/`__err`; the browser's address never has them). The
/// client would read the address and render the page without them, so
/// such a page is served as plain HTML: it works fully, and the next page
/// the reader opens has the client again.
fn shows_a_failed_post() -> bool {
    #[cfg(feature = "ssr")]
    {
        use_context::<http::request::Parts>()
            .and_then(|parts| {
                parts
                    .uri
                    .query()
                    .map(|q| q.split('&').any(|kv| kv.starts_with("__err=")))
            })
            .unwrap_or(false)
    }
    #[cfg(not(feature = "ssr"))]
    false
}

/// A page title as the server writes it into `<title>`: leptos_meta 0.8
/// writes the text unescaped, so a title made from user content (a project
/// title, a search query with `</title><script>`) must be escaped here. In
/// the browser the text is set through the DOM and needs no escaping.
pub fn title_text(text: &str) -> String {
    if cfg!(feature = "ssr") {
        text.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
    } else {
        text.to_string()
    }
}

/// The signed-in user for this request, shared by the navigation and pages.
pub fn me() -> Resource<Option<CurrentUser>> {
    expect_context::<Resource<Option<CurrentUser>>>()
}

#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    web::provide_writes();
    let me = page_data(|| (), |_| async { auth::get_me().await.ok().flatten() });
    provide_context(me);
    view! {
        <Title formatter=|text: String| format!("{} · Proofwork", title_text(&text)) />
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <Nav />
            <main id="main" tabindex="-1" aria-busy=move || web::reloading().then_some("true")>
                <Routes fallback=|| view! { <ErrorPage error=AppError::NotFound /> }>
                    <Route path=path!("/") view=FeedPage ssr=SsrMode::Async />
                    <Route path=path!("/p/:id") view=ProjectPage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/signup") view=SignupPage ssr=SsrMode::Async />
                    <Route path=path!("/chains") view=ChainsPage ssr=SsrMode::Async />
                    <Route path=path!("/c/:id") view=ChainPage ssr=SsrMode::Async />
                    <Route path=path!("/c/:id/posts/:post") view=PostPage ssr=SsrMode::Async />
                    <Route path=path!("/search") view=SearchPage ssr=SsrMode::Async />
                    <Route path=path!("/leaderboard") view=LeaderboardPage ssr=SsrMode::Async />
                    <Route path=path!("/investors") view=InvestorsPage ssr=SsrMode::Async />
                    <Route path=path!("/u/:username") view=ProfilePage ssr=SsrMode::Async />
                    <Route path=path!("/inbox") view=InboxPage ssr=SsrMode::Async />
                    <Route path=path!("/inbox/:username") view=ConversationPage ssr=SsrMode::Async />
                    <Route path=path!("/intros") view=IntrosPage ssr=SsrMode::Async />
                    <Route path=path!("/investor") view=InvestorDashboardPage ssr=SsrMode::Async />
                    <Route path=path!("/investor/apply") view=InvestorApplyPage ssr=SsrMode::Async />
                    <Route path=path!("/admin") view=AdminPage ssr=SsrMode::Async />
                    <Route path=path!("/admin/health") view=AdminHealthPage ssr=SsrMode::Async />
                    <Route path=path!("/validator") view=ValidatorDashboardPage ssr=SsrMode::Async />
                    <Route path=path!("/dashboard") view=DashboardPage ssr=SsrMode::Async />
                    <Route path=path!("/me/projects") view=MyProjectsPage ssr=SsrMode::Async />
                    <Route path=path!("/me/projects/new") view=NewProjectPage ssr=SsrMode::Async />
                    <Route path=path!("/me/projects/:id/edit") view=EditProjectPage ssr=SsrMode::Async />
                    <Route path=path!("/notifications") view=NotificationsPage ssr=SsrMode::Async />
                </Routes>
            </main>
            <footer class="site-footer">
                <p>"Proofwork: proof over pitch."</p>
            </footer>
        </Router>
    }
}

/// The top bar: the brand, and either the signed-in user (their pages,
/// with unread badges, role links and a log-out button) or the log-in and
/// sign-up links. The unread counts are one primary-key read of
/// `user_dashboard_stats`; `/unread.js` keeps them live when JavaScript runs.
#[component]
fn Nav() -> impl IntoView {
    let me = me();
    let logout = action::<Logout>();
    let unread = page_data(|| (), |_| async { get_unread().await.ok().flatten() });
    let location = leptos_router::hooks::use_location();
    view! {
        <header class="site-header">
            <nav aria-label="Main">
                <a class="brand" href="/">"Proofwork"</a>
                <ul class="nav-links">
                    <li><a href="/chains">"Chains"</a></li>
                    <li><a href="/leaderboard">"Leaderboard"</a></li>
                    <li><a href="/investors">"Investors"</a></li>
                </ul>
                <form class="nav-search" role="search" aria-label="Site search" method="get" action="/search">
                    <label for="nav-q" class="visually-hidden">"Search"</label>
                    <input id="nav-q" name="q" type="search" placeholder="Search" maxlength="200" />
                    <button type="submit" class="button small">"Search"</button>
                </form>
                <div class="nav-account">
                    <Transition>
                        {move || Suspend::new(async move {
                            let path = location.pathname;
                            match me.await {
                                Some(user) => {
                                    let (messages, notifications) = unread.await.unwrap_or((0, 0));
                                    view! { <PersonalLinks user path messages notifications logout /> }.into_any()
                                }
                                None => view! {
                                    <a href="/login">"Log in"</a>
                                    <a class="button primary small" href="/signup">"Sign up"</a>
                                }
                                .into_any(),
                            }
                        })}
                    </Transition>
                </div>
            </nav>
        </header>
    }
}

/// A navigation link, `aria-current="page"` on the page it names (kept
/// current when the client navigates).
fn nav_link(path: Memo<String>, href: &'static str, text: &'static str) -> impl IntoView {
    let current = move || path.with(|p| p == href).then_some("page");
    view! { <li><a href=href aria-current=current>{text}</a></li> }
}

/// The signed-in user's links. A link with unread items is named "Inbox,
/// 3 unread" (its `aria-label`; the badge itself is decoration) and the
/// badge is hidden at zero; `unread.js` updates both.
#[component]
fn PersonalLinks(
    user: CurrentUser,
    path: Memo<String>,
    messages: i32,
    notifications: i32,
    logout: ServerAction<Logout>,
) -> impl IntoView {
    let badge_link = |href: &'static str, text: &'static str, kind: &'static str, n: i32| {
        let current = move || path.with(|p| p == href).then_some("page");
        view! {
            <li>
                <a
                    href=href
                    aria-current=current
                    aria-label=(n > 0).then(|| format!("{text}, {n} unread"))
                    data-label=text
                >
                    {text}
                    <span class="nav-badge" data-unread=kind hidden=n == 0 aria-hidden="true">
                        <span class="nav-badge-count">{n}</span>
                    </span>
                </a>
            </li>
        }
    };
    let role = user.role.as_str();
    let validator =
        matches!(role, "validator" | "admin").then(|| nav_link(path, "/validator", "Validator"));
    let investor = (role == "investor").then(|| nav_link(path, "/investor", "Investor"));
    let admin = (role == "admin").then(|| nav_link(path, "/admin", "Admin"));
    view! {
        <ul class="nav-personal" aria-label="Your pages">
            {nav_link(path, "/dashboard", "Dashboard")}
            {nav_link(path, "/me/projects", "My projects")}
            {badge_link("/inbox", "Inbox", "messages", messages)}
            {badge_link("/notifications", "Notifications", "notifications", notifications)}
            {nav_link(path, "/intros", "Intros")}
            {validator}
            {investor}
            {admin}
        </ul>
        <span class="nav-user" title="Signed in">{user.username}</span>
        <ActionForm action=logout attr:class="inline-form">
            <button type="submit" class="link-button">"Log out"</button>
        </ActionForm>
    }
}

#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    // A form's errors never come from the address (the server ignores
    // `__path`/`__err` there, see `shows_a_failed_post`): a link carrying
    // them must render here as it did on the server, without them.
    forget_errors_in_address();
    leptos::mount::hydrate_body(App);
    // The page is live from here on: `<html data-hydrated>` tells a test
    // (or a curious reader) that the client took over.
    if let Some(root) = document().document_element() {
        let _ = root.set_attribute("data-hydrated", "");
    }
}

#[cfg(feature = "hydrate")]
fn forget_errors_in_address() {
    let Some(window) = web_sys::window() else {
        return;
    };
    let location = window.location();
    let Ok(search) = location.search() else {
        return;
    };
    if !search.contains("__err=") && !search.contains("__path=") {
        return;
    }
    let kept: Vec<&str> = search
        .trim_start_matches('?')
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("__err=") && !kv.starts_with("__path="))
        .collect();
    let path = location.pathname().unwrap_or_default();
    let hash = location.hash().unwrap_or_default();
    let query = if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    };
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("{path}{query}{hash}")),
        );
    }
}
