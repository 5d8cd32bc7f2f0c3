//! Load test of the whole site (issue 7), driven by goose: anonymous
//! readers, builders, investors, validators and admins (each signed-in user
//! a distinct demo account, really signed in), 2–10 s of thinking between
//! clicks, a ramp-up then a hold; beside them a staleness probe, and
//! samples of the server's, PostgreSQL's and our own CPU and memory.
//!
//! Configured by environment variables (scripts/loadtest sets them):
//!
//! | variable | default | |
//! |---|---|---|
//! | `LOADTEST_HOST` | (required) | base URL of the server |
//! | `DATABASE_URL` | (required) | the server's database, read for ids and accounts |
//! | `LOADTEST_USERS` | 5000 | concurrent users |
//! | `LOADTEST_RAMP_SECS` | 300 | ramp-up (sign-ins spread over it) |
//! | `LOADTEST_HOLD_SECS` | 180 | hold at full load (what the tables measure) |
//! | `LOADTEST_THINK_MIN_MS` / `_MAX_MS` | 2000 / 10000 | think time between clicks |
//! | `LOADTEST_REPORT` | (stdout) | markdown report, appended |
//! | `LOADTEST_TITLE` | | the report section's title |
//! | `LOADTEST_SUMMARY` | | key=value summary for scripts |
//! | `LOADTEST_GOOSE_REPORT` | | goose's own HTML report |
//! | `LOADTEST_SERVER_PID` | | the server's pid (CPU and memory) |
//! | `LOADTEST_PROBE` | 1 | run the staleness probe |
//! | `LOADTEST_PROBE_ACCOUNT` | demo_builder | the probe's writer |
//! | `LOADTEST_CREATE_PROJECT_CHANCE` | 0.1 | of a builder's "new project" click |
//! | `LOADTEST_HEALTH_TOKEN` | | bearer token for /denormalization-health |
//! | `LOADTEST_STRICT` | 0 | exit 1 on any failed request (the smoke test) |

mod html;
mod probe;
mod record;
mod report;
mod sampler;
mod site;

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{bail, Context, Result};
use goose::config::GooseConfiguration;
use goose::prelude::*;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use uuid::Uuid;

use crate::record::{Phase, Recorder};

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> Result<T> {
    match std::env::var(name) {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse()
            .map_err(|_| anyhow::anyhow!("{name}: cannot parse {v:?}")),
        _ => Ok(default),
    }
}

fn env_opt(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

pub struct Config {
    pub host: String,
    pub users: usize,
    pub ramp_secs: u64,
    pub hold_secs: u64,
    pub think_min_ms: u64,
    pub think_max_ms: u64,
    pub probe: bool,
    pub probe_account: String,
    pub create_chance: f64,
    pub strict: bool,
    pub title: String,
    pub server_pid: Option<u32>,
}

impl Config {
    fn from_env() -> Result<Config> {
        let host = env_opt("LOADTEST_HOST").context("LOADTEST_HOST is required")?;
        let c = Config {
            host: host.trim_end_matches('/').to_string(),
            users: env_or("LOADTEST_USERS", 5000)?,
            ramp_secs: env_or("LOADTEST_RAMP_SECS", 300)?,
            hold_secs: env_or("LOADTEST_HOLD_SECS", 180)?,
            think_min_ms: env_or("LOADTEST_THINK_MIN_MS", 2000)?,
            think_max_ms: env_or("LOADTEST_THINK_MAX_MS", 10000)?,
            probe: env_or("LOADTEST_PROBE", 1u8)? != 0,
            probe_account: env_opt("LOADTEST_PROBE_ACCOUNT").unwrap_or("demo_builder".into()),
            create_chance: env_or("LOADTEST_CREATE_PROJECT_CHANCE", 0.1)?,
            strict: env_or("LOADTEST_STRICT", 0u8)? != 0,
            title: env_opt("LOADTEST_TITLE").unwrap_or_default(),
            server_pid: env_opt("LOADTEST_SERVER_PID").and_then(|p| p.parse().ok()),
        };
        if c.users == 0 || c.hold_secs == 0 || c.think_max_ms < c.think_min_ms {
            bail!("need LOADTEST_USERS > 0, LOADTEST_HOLD_SECS > 0 and think min <= max");
        }
        Ok(c)
    }
}

/// Scenario weights (of 100 users): who visits.
pub const MIX: &[(&str, usize)] = &[
    ("anonymous", 60),
    ("builder", 30),
    ("investor", 4),
    ("validator", 5),
    ("admin", 1),
];

async fn load_shared(pool: &PgPool, cfg: &Config, recorder: Arc<Recorder>) -> Result<site::Shared> {
    let rows: Vec<(String, String)> =
        sqlx::query_as("select username, role from users where is_active order by username")
            .fetch_all(pool)
            .await?;
    let mut accounts: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut usernames = Vec::new();
    for (name, role) in rows {
        usernames.push(name.clone());
        if name != cfg.probe_account {
            accounts.entry(role).or_default().push(name);
        }
    }
    let taken = accounts
        .keys()
        .map(|r| (r.clone(), AtomicUsize::new(0)))
        .collect();
    let projects: Vec<Uuid> =
        sqlx::query_scalar("select id from projects where not is_deleted order by id")
            .fetch_all(pool)
            .await?;
    let unbadged: Vec<Uuid> = sqlx::query_scalar(
        "select p.id from projects p where not p.is_deleted and not exists \
         (select 1 from validation_badges b where b.project_id = p.id) order by p.id limit 5000",
    )
    .fetch_all(pool)
    .await?;
    let chains: Vec<Uuid> =
        sqlx::query_scalar("select id from chains where is_public and is_active order by id")
            .fetch_all(pool)
            .await?;
    let posts: Vec<(Uuid, Uuid)> = sqlx::query_as(
        "select p.chain_id, p.id from chain_posts p join chains c on c.id = p.chain_id \
         where not p.is_deleted and c.is_public and c.is_active order by p.id limit 5000",
    )
    .fetch_all(pool)
    .await?;
    let intro_builders: Vec<String> = sqlx::query_scalar(
        "select u.username from users u where u.role = 'builder' and u.is_active \
         and exists (select 1 from projects p where p.user_id = u.id and not p.is_deleted) \
         and not exists (select 1 from intro_requests i where i.builder_id = u.id and i.status = 'pending') \
         order by u.username",
    )
    .fetch_all(pool)
    .await?;
    let search_terms: Vec<String> = sqlx::query_scalar(
        "select distinct lower(w) from (select title from projects where not is_deleted limit 3000) p, \
         regexp_split_to_table(p.title, '[^A-Za-z0-9]+') w where length(w) >= 4 order by 1 limit 400",
    )
    .fetch_all(pool)
    .await?;
    if projects.is_empty() || usernames.is_empty() {
        bail!("the database has no demo data (run the server with --demo-data first)");
    }
    Ok(site::Shared {
        base: cfg.host.clone(),
        recorder,
        projects,
        unbadged,
        chains,
        posts,
        usernames,
        intro_builders,
        search_terms,
        accounts,
        taken,
        create_project_chance: cfg.create_chance,
    })
}

/// Active backends by wait event, sampled every 500 ms.
type Counts = Arc<Mutex<BTreeMap<(Phase, String), u64>>>;

fn spawn_waits(
    pool: PgPool,
    recorder: Arc<Recorder>,
    out: Counts,
    queries: Counts,
    samples: Arc<Mutex<BTreeMap<Phase, u64>>>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_millis(500));
        loop {
            tick.tick().await;
            let rows: Vec<(String, String, i64)> = match sqlx::query_as(
                "select coalesce(wait_event_type || ': ' || wait_event, 'on CPU (no wait event)'), \
                 left(regexp_replace(query, '\\s+', ' ', 'g'), 90), count(*)::int8 \
                 from pg_stat_activity where datname = current_database() and state = 'active' \
                 and pid <> pg_backend_pid() group by 1, 2",
            )
            .fetch_all(&pool)
            .await
            {
                Ok(r) => r,
                Err(_) => continue,
            };
            let phase = recorder.phase_now();
            *samples
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .entry(phase)
                .or_default() += 1;
            let mut o = out.lock().unwrap_or_else(|e| e.into_inner());
            let mut q = queries.lock().unwrap_or_else(|e| e.into_inner());
            for (wait, query, n) in rows {
                *o.entry((phase, wait)).or_default() += n as u64;
                *q.entry((phase, query)).or_default() += n as u64;
            }
        }
    })
}

/// `/denormalization-health` as JSON, if it answers.
pub async fn health(host: &str) -> Option<serde_json::Value> {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .ok()?;
    let mut req = client.get(format!("{host}/denormalization-health"));
    if let Some(t) = env_opt("LOADTEST_HEALTH_TOKEN") {
        req = req.bearer_auth(t);
    }
    req.send().await.ok()?.json().await.ok()
}

static RECORDER: std::sync::OnceLock<Arc<Recorder>> = std::sync::OnceLock::new();

/// Runs once when goose starts launching users: the ramp starts now.
async fn start_clock(_user: &mut GooseUser) -> TransactionResult {
    if let Some(r) = RECORDER.get() {
        r.restart();
    }
    Ok(())
}

#[tokio::main]
async fn main() -> Result<()> {
    let cfg = Config::from_env()?;
    let database_url = env_opt("DATABASE_URL").context("DATABASE_URL is required")?;
    let pool = PgPoolOptions::new()
        .max_connections(3)
        .connect(&database_url)
        .await
        .context("connect to DATABASE_URL")?;
    let recorder = Arc::new(Recorder::new(cfg.ramp_secs * 1000));
    let _ = RECORDER.set(recorder.clone());
    let shared = Arc::new(load_shared(&pool, &cfg, recorder.clone()).await?);
    site::install(shared.clone());
    let probe_chain = shared.chains.first().copied();

    let health_before = health(&cfg.host).await;
    let pg_before = report::pg_counters(&pool).await.ok();
    let samples = Arc::new(Mutex::new(sampler::Samples::default()));
    let sampler_task = sampler::spawn(recorder.clone(), cfg.server_pid, samples.clone());
    let waits = Arc::new(Mutex::new(BTreeMap::new()));
    let queries = Arc::new(Mutex::new(BTreeMap::new()));
    let wait_samples = Arc::new(Mutex::new(BTreeMap::new()));
    let waits_task = spawn_waits(
        pool.clone(),
        recorder.clone(),
        waits.clone(),
        queries.clone(),
        wait_samples.clone(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let probe_out = Arc::new(Mutex::new(probe::Probe::default()));
    let probe_task = match (cfg.probe, probe_chain) {
        (true, Some(chain)) => Some(probe::spawn(
            cfg.host.clone(),
            cfg.probe_account.clone(),
            chain,
            recorder.clone(),
            stop.clone(),
            probe_out.clone(),
        )),
        _ => None,
    };

    let rate = cfg.users as f64 / cfg.ramp_secs.max(1) as f64;
    let mut attack = GooseAttack::initialize_with_config(GooseConfiguration::default())?
        .test_start(transaction!(start_clock));
    for s in site::scenarios(&cfg)? {
        attack = attack.register_scenario(s);
    }
    attack = *attack
        .set_default(GooseDefault::Host, cfg.host.as_str())?
        .set_default(GooseDefault::Users, cfg.users)?
        .set_default(GooseDefault::IncreaseRate, format!("{rate:.4}").as_str())?
        .set_default(GooseDefault::RunTime, cfg.hold_secs as usize)?
        .set_default(GooseDefault::NoTelnet, true)?
        .set_default(GooseDefault::Quiet, 1)?
        .set_default(GooseDefault::NoPrintMetrics, true)?
        .set_default(GooseDefault::NoErrorSummary, true)?;
    let goose_report = env_opt("LOADTEST_GOOSE_REPORT");
    if let Some(path) = &goose_report {
        attack = *attack.set_default(GooseDefault::ReportFile, path.as_str())?;
    }
    eprintln!(
        "[loadtest] {} users, ramp {} s ({rate:.2} users/s), hold {} s, think {}-{} ms, against {}",
        cfg.users, cfg.ramp_secs, cfg.hold_secs, cfg.think_min_ms, cfg.think_max_ms, cfg.host
    );
    let metrics = attack.execute().await?;
    let ended = recorder.elapsed_secs();

    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    if let Some(t) = probe_task {
        let _ = tokio::time::timeout(Duration::from_secs(70), t).await;
    }
    sampler_task.abort();
    waits_task.abort();
    let health_after = health(&cfg.host).await;
    let pg_after = report::pg_counters(&pool).await.ok();

    let input = report::Input {
        cfg: &cfg,
        shared: &shared,
        recorder: &recorder,
        metrics: &metrics,
        samples: &samples.lock().unwrap_or_else(|e| e.into_inner()),
        waits: &waits.lock().unwrap_or_else(|e| e.into_inner()),
        wait_samples: &wait_samples.lock().unwrap_or_else(|e| e.into_inner()),
        queries: &queries.lock().unwrap_or_else(|e| e.into_inner()),
        probe: &probe_out.lock().unwrap_or_else(|e| e.into_inner()).clone(),
        health_before: health_before.as_ref(),
        health_after: health_after.as_ref(),
        pg_before,
        pg_after,
        elapsed_secs: ended,
        goose_report: goose_report.as_deref(),
    };
    let out = report::render(&input);
    match env_opt("LOADTEST_REPORT") {
        Some(path) => {
            use std::io::Write;
            let mut f = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&path)
                .with_context(|| format!("open {path}"))?;
            f.write_all(out.markdown.as_bytes())?;
            eprintln!("[loadtest] report appended to {path}");
        }
        None => println!("{}", out.markdown),
    }
    if let Some(path) = env_opt("LOADTEST_SUMMARY") {
        std::fs::write(&path, &out.summary).with_context(|| format!("write {path}"))?;
    }
    eprint!("{}", out.summary);
    if cfg.strict && out.failures > 0 {
        eprintln!(
            "[loadtest] FAILED: {} failed requests or probe errors (strict mode)",
            out.failures
        );
        std::process::exit(1);
    }
    Ok(())
}
