//! The staleness probe: during the load, a signed-in writer changes what a
//! page shows (a new project, an upvote, a forum post) and an ANONYMOUS
//! reader (another client, no session: not the writer's read-your-own-
//! writes path) polls the page that shows it; the time from the write's
//! answer to the first page showing the change is the view's staleness.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{anyhow, bail, Context, Result};
use reqwest::redirect::Policy;
use reqwest::Client;
use uuid::Uuid;

use crate::html;
use crate::record::{Phase, Recorder};

const POLL: Duration = Duration::from_millis(100);
const GIVE_UP: Duration = Duration::from_secs(30);

pub const NEW_PROJECT: &str = "new project -> GET /?tab=newest (feed, target 2 s)";
pub const UPVOTE_FEED: &str = "upvote -> its card on /?tab=newest (feed, target 2 s)";
pub const UPVOTE_PAGE: &str = "upvote -> GET /p/<id> count (project details, target 5 s)";
pub const NEW_POST: &str = "new forum post -> GET /c/<id>?tab=newest (chain posts, target 2 s)";

#[derive(Default, Clone)]
pub struct Probe {
    /// Milliseconds per (phase, change); a change never seen within 30 s
    /// counts as 30 s and in `timeouts`.
    pub samples: BTreeMap<(Phase, String), Vec<f64>>,
    pub timeouts: BTreeMap<String, u64>,
    /// The first few errors, and how many there were.
    pub errors: Vec<String>,
    pub error_count: u64,
}

struct Clients {
    base: String,
    writer: Client,
    reader: Client,
}

impl Clients {
    async fn get(&self, client: &Client, path: &str) -> Result<String> {
        let res = client
            .get(format!("{}{path}", self.base))
            .header("Accept", "text/html")
            .send()
            .await?;
        let status = res.status();
        let body = res.text().await?;
        if !status.is_success() {
            bail!("GET {path}: {status}");
        }
        Ok(body)
    }

    /// Posts a form like a browser; returns the redirect's Location.
    async fn post(
        &self,
        action: &str,
        referer: &str,
        fields: &[(String, String)],
    ) -> Result<String> {
        let res = self
            .writer
            .post(format!("{}{action}", self.base))
            .header("Accept", "text/html")
            .header("Origin", &self.base)
            .header("Referer", format!("{}{referer}", self.base))
            .form(fields)
            .send()
            .await?;
        let status = res.status();
        let location = res
            .headers()
            .get("location")
            .and_then(|l| l.to_str().ok())
            .unwrap_or("")
            .to_string();
        if !status.is_redirection() || location.contains("__err=") {
            bail!("POST {action}: {status} to {location:?}");
        }
        Ok(location)
    }

    async fn form(&self, page: &str, endpoint: &str) -> Result<html::Form> {
        let body = self.get(&self.writer, page).await?;
        html::form_for(&html::forms(&body), endpoint)
            .cloned()
            .ok_or_else(|| anyhow!("no {endpoint} form on {page}"))
    }
}

fn uuid_after(location: &str, marker: &str) -> Result<Uuid> {
    let at = location
        .rfind(marker)
        .ok_or_else(|| anyhow!("unexpected redirect {location}"))?;
    let rest = &location[at + marker.len()..];
    let end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    Ok(Uuid::parse_str(&rest[..end])?)
}

/// Polls `path` as the anonymous reader until `seen(body)`; the elapsed
/// milliseconds since `since`, or None after 30 s.
async fn until(
    c: &Clients,
    path: &str,
    since: Instant,
    mut seen: impl FnMut(&str) -> bool,
) -> Option<f64> {
    loop {
        if let Ok(body) = c.get(&c.reader, path).await {
            if seen(&body) {
                return Some(since.elapsed().as_secs_f64() * 1000.0);
            }
        }
        if since.elapsed() > GIVE_UP {
            return None;
        }
        tokio::time::sleep(POLL).await;
    }
}

pub fn spawn(
    base: String,
    account: String,
    chain: Uuid,
    recorder: Arc<Recorder>,
    stop: Arc<AtomicBool>,
    out: Arc<Mutex<Probe>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        if let Err(e) = run(base, account, chain, recorder, stop, out.clone()).await {
            out.lock()
                .unwrap_or_else(|e| e.into_inner())
                .errors
                .push(format!("probe stopped: {e:#}"));
        }
    })
}

async fn run(
    base: String,
    account: String,
    chain: Uuid,
    recorder: Arc<Recorder>,
    stop: Arc<AtomicBool>,
    out: Arc<Mutex<Probe>>,
) -> Result<()> {
    let c = Clients {
        base,
        writer: Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .timeout(Duration::from_secs(30))
            .build()?,
        reader: Client::builder().timeout(Duration::from_secs(30)).build()?,
    };
    // Sign in (the real password check).
    let login = c.form("/login", "login").await.context("log-in form")?;
    let fields = login.filled(&[("login", &account), ("password", "proofwork-demo")]);
    c.post(&login.action, "/login", &fields)
        .await
        .context("probe sign-in")?;
    // Only followers may post in a chain.
    let chain_page = format!("/c/{chain}");
    if let Ok(follow) = c.form(&chain_page, "follow_chain").await {
        c.post(&follow.action, &chain_page, &follow.filled(&[]))
            .await
            .context("follow the probe's chain")?;
    }
    let save = |phase: Phase, what: &str, ms: Option<f64>| {
        let mut o = out.lock().unwrap_or_else(|e| e.into_inner());
        o.samples
            .entry((phase, what.to_string()))
            .or_default()
            .push(ms.unwrap_or(GIVE_UP.as_secs_f64() * 1000.0));
        if ms.is_none() {
            *o.timeouts.entry(what.to_string()).or_default() += 1;
        }
    };
    let mut n = 0u64;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let step = async {
            // 1. A new project, then the newest tab of the feed.
            let form = c.form("/me/projects/new", "create_project").await?;
            let title = format!(
                "Staleness probe {n} {}",
                &Uuid::new_v4().simple().to_string()[..6]
            );
            let fields = form.filled(&[
                ("title", &title),
                ("description", "Written by the load test's staleness probe."),
                ("link", "https://example.com/probe"),
                ("category", "devtools"),
            ]);
            let phase = recorder.phase_now();
            let location = c.post(&form.action, "/me/projects/new", &fields).await?;
            let t0 = Instant::now();
            let id = uuid_after(&location, "/p/")?;
            let card = format!("id=\"p-{id}\"");
            let ms = until(&c, "/?tab=newest", t0, |b| b.contains(&card)).await;
            save(phase, NEW_PROJECT, ms);

            // 2. Upvote it: its count on the project page and on its card.
            let page = format!("/p/{id}");
            let form = c.form(&page, "upvote").await?;
            let phase = recorder.phase_now();
            c.post(&form.action, &page, &form.filled(&[])).await?;
            let t0 = Instant::now();
            let lost = AtomicBool::new(false);
            let (on_page, on_card) = tokio::join!(
                until(&c, &page, t0, |b| html::upvote_count_after(b, 0)
                    .unwrap_or(0)
                    >= 1),
                until(&c, "/?tab=newest", t0, |b| match b.find(&card) {
                    Some(at) => html::upvote_count_after(b, at).unwrap_or(0) >= 1,
                    // Pushed off the first page by newer projects: no sample.
                    None => {
                        lost.store(true, Ordering::Relaxed);
                        true
                    }
                }),
            );
            save(phase, UPVOTE_PAGE, on_page);
            if !lost.load(Ordering::Relaxed) {
                save(phase, UPVOTE_FEED, on_card);
            }

            // 3. A forum post, then the chain's page.
            let form = c.form(&chain_page, "create_post").await?;
            let fields = form.filled(&[
                ("title", &format!("Probe post {n}")),
                ("content", "Written by the load test's staleness probe."),
                ("post_type", "discussion"),
            ]);
            let phase = recorder.phase_now();
            let location = c.post(&form.action, &chain_page, &fields).await?;
            let t0 = Instant::now();
            let post = uuid_after(&location, "/posts/")?;
            let link = format!("/posts/{post}");
            let newest = format!("{chain_page}?tab=newest");
            let ms = until(&c, &newest, t0, |b| b.contains(&link)).await;
            save(phase, NEW_POST, ms);
            anyhow::Ok(())
        };
        if let Err(e) = step.await {
            // A failed write or page (e.g. a 503 under overload) is
            // counted; the probe goes on with its next change.
            let mut o = out.lock().unwrap_or_else(|e| e.into_inner());
            o.error_count += 1;
            if o.errors.len() < 10 {
                o.errors.push(format!("{e:#}"));
            }
        }
        tokio::time::sleep(Duration::from_millis(1500)).await;
    }
    Ok(())
}
