//! Hot cache and overlays on vs off (issue 6): the same pages asked of two
//! server instances on one database, one with the cache on and one with
//! it off (`PROOFWORK_HOT_CACHE=false PROOFWORK_OVERLAYS=false`), in one
//! run, the modes alternating so the machine's noise falls on both.
//!
//! Closed loop: `concurrency` clients each send the next request as soon
//! as the last one answered, for `BENCH_SECS` per page, mode and round.
//! Requests per second is what was served; p50/p95/p99 are of every
//! answer in that page and mode.
//!
//! Environment (scripts/bench-cache sets it):
//!
//! | variable | default | |
//! |---|---|---|
//! | `BENCH_ON` | (required) | base URL of the instance with the cache on |
//! | `BENCH_OFF` | (required) | base URL of the instance with the cache off |
//! | `DATABASE_URL` | (required) | their database (for project ids) |
//! | `BENCH_SECS` | 10 | per page, mode, concurrency and round |
//! | `BENCH_ROUNDS` | 2 | on/off alternations |
//! | `BENCH_CONCURRENCY` | `1 32` | client counts to run |
//! | `BENCH_ACCOUNT` | demo_builder | the signed-in reader |

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{bail, Context, Result};
use rand::Rng;

fn env(name: &str, default: &str) -> String {
    std::env::var(name)
        .ok()
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| default.to_string())
}

/// Which page, as whom.
#[derive(Clone)]
struct Page {
    name: &'static str,
    signed_in: bool,
    /// Paths to pick from at random for each request.
    paths: Arc<Vec<String>>,
}

#[derive(Default, Clone)]
struct Sample {
    latencies_us: Vec<u64>,
    served: u64,
    errors: u64,
    secs: f64,
}

impl Sample {
    fn merge(&mut self, other: Sample) {
        self.latencies_us.extend(other.latencies_us);
        self.served += other.served;
        self.errors += other.errors;
        self.secs += other.secs;
    }

    fn pct(&self, p: f64) -> f64 {
        if self.latencies_us.is_empty() {
            return f64::NAN;
        }
        let mut v = self.latencies_us.clone();
        v.sort_unstable();
        let i = ((p / 100.0) * (v.len() as f64 - 1.0)).round() as usize;
        v[i] as f64 / 1000.0
    }

    fn rps(&self) -> f64 {
        self.served as f64 / self.secs.max(1e-9)
    }
}

fn client() -> Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(256)
        .timeout(Duration::from_secs(30))
        .build()?)
}

async fn sign_in(base: &str, account: &str) -> Result<reqwest::Client> {
    let c = client()?;
    let res = c
        .post(format!("{base}/api/login"))
        .header("origin", base)
        .header("referer", format!("{base}/login"))
        .header("accept", "text/html")
        .form(&[("login", account), ("password", "proofwork-demo")])
        .send()
        .await?;
    if res.status().as_u16() != 302 {
        bail!("signing in as {account} at {base}: HTTP {}", res.status());
    }
    Ok(c)
}

/// One closed-loop run of `page` against `base` for `secs`.
async fn run(
    base: &str,
    signed_in: &reqwest::Client,
    anonymous: &reqwest::Client,
    page: &Page,
    concurrency: usize,
    secs: u64,
) -> Sample {
    let until = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let c = if page.signed_in {
            signed_in.clone()
        } else {
            anonymous.clone()
        };
        let paths = page.paths.clone();
        let base = base.to_string();
        tasks.push(tokio::spawn(async move {
            let mut s = Sample::default();
            while Instant::now() < until {
                let path = &paths[rand::thread_rng().gen_range(0..paths.len())];
                let t = Instant::now();
                let ok = match c
                    .get(format!("{base}{path}"))
                    .header("accept", "text/html")
                    .send()
                    .await
                {
                    Ok(r) => r.status().as_u16() == 200 && r.bytes().await.is_ok(),
                    Err(_) => false,
                };
                if ok {
                    s.latencies_us.push(t.elapsed().as_micros() as u64);
                    s.served += 1;
                } else {
                    s.errors += 1;
                }
            }
            s
        }));
    }
    let mut all = Sample::default();
    for t in tasks {
        if let Ok(s) = t.await {
            all.merge(s);
        }
    }
    all.secs = started.elapsed().as_secs_f64();
    all
}

async fn counters(base: &str, token: &str) -> Option<serde_json::Value> {
    if token.is_empty() {
        return None;
    }
    let body: serde_json::Value = reqwest::Client::new()
        .get(format!("{base}/denormalization-health"))
        .bearer_auth(token)
        .send()
        .await
        .ok()?
        .json()
        .await
        .ok()?;
    Some(serde_json::json!({ "hot_cache": body["hot_cache"], "overlays": body["overlays"] }))
}

#[tokio::main]
async fn main() -> Result<()> {
    let on = env("BENCH_ON", "");
    let off = env("BENCH_OFF", "");
    if on.is_empty() || off.is_empty() {
        bail!("BENCH_ON and BENCH_OFF (base URLs) are required");
    }
    let db = std::env::var("DATABASE_URL").context("DATABASE_URL is required")?;
    let secs: u64 = env("BENCH_SECS", "10").parse()?;
    let rounds: usize = env("BENCH_ROUNDS", "2").parse()?;
    let concurrencies: Vec<usize> = env("BENCH_CONCURRENCY", "1 32")
        .split_whitespace()
        .map(str::parse)
        .collect::<Result<_, _>>()?;
    let account = env("BENCH_ACCOUNT", "demo_builder");
    let token = env("BENCH_HEALTH_TOKEN", "");

    let pool = sqlx::PgPool::connect(&db).await?;
    // The project pages people open: the 200 best-scored live projects.
    let ids: Vec<uuid::Uuid> = sqlx::query_scalar(
        "SELECT id FROM projects WHERE NOT is_deleted ORDER BY proof_score DESC, id LIMIT 200",
    )
    .fetch_all(&pool)
    .await?;
    if ids.is_empty() {
        bail!("no projects in the database");
    }
    let projects: Arc<Vec<String>> = Arc::new(ids.iter().map(|id| format!("/p/{id}")).collect());
    let one = |p: &str| Arc::new(vec![p.to_string()]);
    let pages = [
        Page {
            name: "feed `/` (anonymous)",
            signed_in: false,
            paths: one("/"),
        },
        Page {
            name: "feed `/` (signed in)",
            signed_in: true,
            paths: one("/"),
        },
        Page {
            name: "leaderboard `/leaderboard` (anonymous)",
            signed_in: false,
            paths: one("/leaderboard"),
        },
        Page {
            name: "project `/p/<id>` (anonymous, 200 projects)",
            signed_in: false,
            paths: projects.clone(),
        },
        Page {
            name: "project `/p/<id>` (signed in, 200 projects)",
            signed_in: true,
            paths: projects,
        },
    ];

    let signed = [
        sign_in(&on, &account).await?,
        sign_in(&off, &account).await?,
    ];
    let anon = [client()?, client()?];
    let bases = [on.as_str(), off.as_str()];

    // Warm both (connections, caches, PostgreSQL's buffers).
    for page in &pages {
        for m in 0..2 {
            run(bases[m], &signed[m], &anon[m], page, 4, 1).await;
        }
    }
    let before = counters(&on, &token).await;

    // results[(page, concurrency)][mode]
    let mut results: BTreeMap<(usize, usize), [Sample; 2]> = BTreeMap::new();
    for round in 0..rounds {
        for (pi, page) in pages.iter().enumerate() {
            for &c in &concurrencies {
                // Alternate which mode goes first.
                let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
                for m in order {
                    let s = run(bases[m], &signed[m], &anon[m], page, c, secs).await;
                    eprintln!(
                        "[cache-bench] round {round} {} c={c} {}: {:.0} rps, p95 {:.1} ms, {} errors",
                        page.name,
                        ["on", "off"][m],
                        s.rps(),
                        s.pct(95.0),
                        s.errors
                    );
                    results.entry((pi, c)).or_default()[m].merge(s);
                }
            }
        }
    }
    let after = counters(&on, &token).await;

    println!("| page | clients | cache | requests/s | p50 ms | p95 ms | p99 ms | errors | on/off rps | off/on p95 |");
    println!("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|");
    let mut failed = 0;
    for ((pi, c), [on_s, off_s]) in &results {
        for (m, s) in [on_s, off_s].iter().enumerate() {
            failed += s.errors;
            let ratios = if m == 0 {
                format!(
                    "**{:.2}×** | **{:.2}×**",
                    on_s.rps() / off_s.rps().max(1e-9),
                    off_s.pct(95.0) / on_s.pct(95.0).max(1e-9)
                )
            } else {
                " | ".to_string()
            };
            println!(
                "| {} | {c} | {} | {:.0} | {:.2} | {:.2} | {:.2} | {} | {ratios} |",
                pages[*pi].name,
                ["on", "off"][m],
                s.rps(),
                s.pct(50.0),
                s.pct(95.0),
                s.pct(99.0),
                s.errors,
            );
        }
    }
    if let (Some(b), Some(a)) = (before, after) {
        println!();
        println!("Cache counters of the \"on\" instance before the measured runs: `{b}`");
        println!();
        println!("and after: `{a}`");
    }
    if failed > 0 {
        bail!("{failed} requests failed");
    }
    Ok(())
}
