//! Benchmark of the derived-data engine, PostgreSQL only, no web
//! layer. For each demo scale it measures, in one run on one machine:
//!
//! 1. per derived structure: a keyed structure's **step** cost for 10, 100
//!    and 1,000 keys (random existing keys logged by hand, then one
//!    `derived_step`, median of 3), per key; its **full rebuild** (the
//!    difference against the whole definition, nothing changed: what a
//!    timer or a repair costs); and, beside them, a **whole refresh of
//!    the same definition** as a materialized view (`REFRESH ...
//!    CONCURRENTLY` of a copy built for the benchmark: what every change
//!    cost before structures were kept per key). A materialized view that
//!    remains is timed by its own refresh;
//! 2. writes per second of the same write mix, `WRITERS` clients for
//!    `SECS` seconds each, with
//!    - **triggers off**: every logging and marking trigger of the
//!      derived structures disabled, no refresher (the Category A counter
//!      triggers stay on in every mode);
//!    - **logging only**: those triggers on, no refresher (what the
//!      writers pay by themselves);
//!    - **engine on**: those triggers on and a refresher stepping and
//!      refreshing in the same process (competing for the same cores);
//! 3. staleness under a steady write load (each of `RATES` writes/s in
//!    turn, engine on): a probe creates a project, then upvotes it, and
//!    times each change from its commit until `mv_feed_projects` shows it
//!    (polled every 5 ms); with the steps the refresher ran meanwhile;
//! 4. search: the first page for the most common word and a rare one.
//!
//! Run (a release build; it creates `proofwork_bench_<scale>` databases on
//! the server of `DATABASE_URL`, seeds them once and reuses them):
//!
//! ```sh
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!   cargo run --release -p data --example engine_bench
//! ```
//!
//! Settings (environment): `SCALES` (default `1,10`), `WRITERS` (8), `SECS`
//! (20), `RATES` (`50,500`), `STALENESS_SECS` (60), `STRUCTURES` (only
//! these structures' costs; all by default). It prints a markdown report;
//! docs/BENCHMARKS.md keeps the figures of a run.

use std::collections::BTreeMap;
use std::str::FromStr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use data::refresher::{refresh_now, Refresher, RefresherConfig, TriggeredBy};
use data::seed::{self, SeedOptions};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgPool};
use tokio::sync::oneshot;
use uuid::Uuid;

struct Settings {
    base: PgConnectOptions,
    scales: Vec<f64>,
    writers: usize,
    secs: u64,
    rates: Vec<f64>,
    staleness_secs: u64,
    /// Only these structures' costs (all when empty).
    only: Vec<String>,
}

fn env_or<T: FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A comma-separated list of numbers from the environment.
fn env_list(name: &str, default: &str) -> anyhow::Result<Vec<f64>> {
    std::env::var(name)
        .unwrap_or_else(|_| default.into())
        .split(',')
        .map(|s| s.trim().parse())
        .collect::<Result<_, _>>()
        .with_context(|| format!("{name}: a comma-separated list of numbers"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL").context("DATABASE_URL is not set")?;
    let settings = Settings {
        base: url.parse()?,
        scales: env_list("SCALES", "1,10")?,
        writers: env_or("WRITERS", 8),
        secs: env_or("SECS", 20),
        rates: env_list("RATES", "50,500")?,
        staleness_secs: env_or("STALENESS_SECS", 60),
        only: std::env::var("STRUCTURES")
            .unwrap_or_default()
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect(),
    };
    println!("# Derived-data engine benchmark\n");
    println!(
        "{} writers, {} s per mode, staleness at {:?} writes/s for {} s each; {} cores; started {}\n",
        settings.writers,
        settings.secs,
        settings.rates,
        settings.staleness_secs,
        std::thread::available_parallelism().map_or(0, |n| n.get()),
        time::OffsetDateTime::now_utc()
    );
    for &scale in &settings.scales {
        bench_scale(&settings, scale).await?;
    }
    Ok(())
}

async fn bench_scale(s: &Settings, scale: f64) -> anyhow::Result<()> {
    let db = format!("proofwork_bench_{}", scale.to_string().replace('.', "_"));
    let pool = prepare(s, &db, scale).await?;
    let ids = Ids::load(&pool).await?;
    println!(
        "## Scale {scale} (database {db}: {} users, {} live projects, {} upvotes)\n",
        ids.users.len(),
        ids.projects.len(),
        count(&pool, "upvotes").await?
    );

    // Every view populated and clean before anything is measured.
    let views: Vec<String> =
        sqlx::query_scalar("SELECT view_name FROM mv_registry ORDER BY view_name")
            .fetch_all(&pool)
            .await?;
    for v in &views {
        refresh_now(&pool, v, TriggeredBy::Manual).await?;
    }
    let costed: Vec<String> = views
        .iter()
        .filter(|v| s.only.is_empty() || s.only.contains(v))
        .cloned()
        .collect();
    structure_costs(&pool, &costed).await?;

    // Writes per second, both ways, the same mix and client count.
    set_marking(&pool, false).await?;
    let off = write_load(&pool, &ids, s.writers, secs(s.secs), None).await?;

    // What the writers pay by themselves: the triggers log, nobody steps.
    set_marking(&pool, true).await?;
    let logging = write_load(&pool, &ids, s.writers, secs(s.secs), None).await?;
    catch_up(&pool, &views).await?;

    let log_from = last_log_id(&pool).await?;
    let steps_from = steps_so_far(&pool).await?;
    let refresher = start_refresher(&pool);
    let on = write_load(&pool, &ids, s.writers, secs(s.secs), None).await?;
    refresher.stop().await;
    let (engine_refreshes, refresh_ms) = refreshes_since(&pool, log_from).await?;
    let steps_to = steps_so_far(&pool).await?;
    let (engine_steps, step_keys, step_ms) = (
        steps_to.0 - steps_from.0,
        steps_to.1 - steps_from.1,
        steps_to.2 - steps_from.2,
    );
    catch_up(&pool, &views).await?;

    println!(
        "### Writes per second ({} clients, mix: 45% upvote, 15% remove own upvote, 20% comment, 10% forum vote, 5% project, 5% badge)\n",
        s.writers
    );
    println!("| mode | writes | writes/s | vs triggers off | p50 ms | p95 ms | p99 ms | errors |");
    println!("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (name, r) in [
        ("triggers off (no logging, no refresher)", &off),
        ("logging only (triggers on, no refresher)", &logging),
        ("engine on (logging + refresher in process)", &on),
    ] {
        println!(
            "| {name} | {} | {:.1} | {:.0}% | {:.1} | {:.1} | {:.1} | {} |",
            r.writes,
            r.per_sec(),
            100.0 * r.per_sec() / off.per_sec(),
            r.pct(50.0),
            r.pct(95.0),
            r.pct(99.0),
            r.errors
        );
    }
    println!();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get()) as f64;
    let run_ms = on.elapsed.as_secs_f64() * 1000.0;
    println!(
        "During its {} s the engine ran {engine_steps} steps ({step_keys} keys, {step_ms} ms busy, \
         {:.3} ms per write) and {engine_refreshes} whole refreshes or rebuilds ({refresh_ms} ms): \
         {:.0}% of the {cores} cores' time for the run. A write cost {:.3} ms of the cores with \
         triggers off ({cores} cores / writes per second).\n",
        s.secs,
        step_ms as f64 / on.writes.max(1) as f64,
        100.0 * (step_ms + refresh_ms) as f64 / (run_ms * cores),
        1000.0 * cores / off.per_sec()
    );

    // Staleness: a steady load with the engine on, and a probe; once per
    // offered rate.
    for &rate in &s.rates {
        let log_from = last_log_id(&pool).await?;
        let minute_from: time::OffsetDateTime =
            sqlx::query_scalar("SELECT date_trunc('minute', now())")
                .fetch_one(&pool)
                .await?;
        let steps_before = step_totals(&pool).await?;
        let refresher = start_refresher(&pool);
        tokio::time::sleep(Duration::from_secs(2)).await;
        let load = {
            let (pool, ids, writers) = (pool.clone(), ids.clone(), s.writers);
            let duration = secs(s.staleness_secs);
            tokio::spawn(
                async move { write_load(&pool, &ids, writers, duration, Some(rate)).await },
            )
        };
        let probe = probe(&pool, &ids, secs(s.staleness_secs)).await?;
        let load = load.await??;
        refresher.stop().await;
        println!(
            "### Staleness: commit to visible in `mv_feed_projects` (engine on, steady load of {:.0} writes/s offered, {:.1} served)\n",
            rate,
            load.per_sec()
        );
        println!(
            "| change | samples | p50 ms | p95 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|"
        );
        for (name, samples) in &probe {
            let mut v = samples.clone();
            v.sort_by(f64::total_cmp);
            println!(
                "| {name} | {} | {:.0} | {:.0} | {:.0} | {:.0} |",
                v.len(),
                percentile(&v, 50.0),
                percentile(&v, 95.0),
                percentile(&v, 99.0),
                v.last().copied().unwrap_or(f64::NAN)
            );
        }
        println!();
        let per_view: Vec<(String, i64, f64, i32, i64)> = sqlx::query_as(
            "SELECT view_name, count(*),
                    percentile_cont(0.5) WITHIN GROUP (ORDER BY duration_ms)::float8,
                    max(duration_ms), sum(marks_coalesced)::bigint
               FROM mv_refresh_log WHERE id > $1 AND status = 'ok'
              GROUP BY view_name ORDER BY view_name",
        )
        .bind(log_from)
        .fetch_all(&pool)
        .await?;
        println!("Whole refreshes and rebuilds during the staleness run (on writes or timers):\n");
        println!(
            "| view | refreshes | median ms | max ms | marks coalesced |\n|---|---:|---:|---:|---:|"
        );
        for (v, n, med, max, marks) in per_view {
            println!("| `{v}` | {n} | {med:.0} | {max} | {marks} |");
        }
        println!();
        // The keyed structures' steps during the run: totals before and
        // after; the longest wait is the largest of the minutes that began
        // during the run (the minute it started in also holds the steps
        // that caught up with the previous runs).
        let steps_after = step_totals(&pool).await?;
        let longest: BTreeMap<String, i64> = sqlx::query_as(
            "SELECT view_name, max(max_lag_ms) FROM derived_step_stats WHERE minute > $1
              GROUP BY view_name",
        )
        .bind(minute_from)
        .fetch_all(&pool)
        .await?
        .into_iter()
        .collect();
        println!("Steps during the staleness run:\n");
        println!(
            "| structure | steps | keys | rows written | busy ms | ms per key | longest wait ms (minutes begun in the run) |\n|---|---:|---:|---:|---:|---:|---:|"
        );
        for (v, after) in &steps_after {
            let before = steps_before.get(v).copied().unwrap_or_default();
            let [steps, keys, rows, busy] = [0, 1, 2, 3].map(|i| after[i] - before[i]);
            println!(
                "| `{v}` | {steps} | {keys} | {rows} | {busy} | {:.3} | {} |",
                busy as f64 / keys.max(1) as f64,
                longest.get(v).copied().unwrap_or(0)
            );
        }
        println!();
    }
    search_times(&pool).await?;
    pool.close().await;
    Ok(())
}

fn secs(n: u64) -> Duration {
    Duration::from_secs(n)
}

/// Creates (once) and seeds (once) the scale's database.
async fn prepare(s: &Settings, db: &str, scale: f64) -> anyhow::Result<PgPool> {
    let mut admin = s.base.clone().connect().await?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(db)
            .fetch_one(&mut admin)
            .await?;
    if !exists {
        sqlx::query(&format!("CREATE DATABASE {db}"))
            .execute(&mut admin)
            .await?;
    }
    admin.close().await?;
    let pool = PgPoolOptions::new()
        .max_connections(s.writers as u32 + 8)
        .connect_with(s.base.clone().database(db).application_name("engine_bench"))
        .await?;
    data::db::migrate(&pool).await?;
    if seed::is_empty(&pool).await? {
        eprintln!("seeding {db} at scale {scale} (once; later runs reuse it)");
        let started = Instant::now();
        seed::seed(&pool, &SeedOptions { scale, seed: 42 }, &|_| {}).await?;
        println!(
            "Seeded {db} at scale {scale} in {:.0} s (`data::seed`, set-based).\n",
            started.elapsed().as_secs_f64()
        );
        sqlx::query("VACUUM ANALYZE").execute(&pool).await?;
    }
    Ok(pool)
}

async fn count(pool: &PgPool, table: &str) -> anyhow::Result<i64> {
    Ok(sqlx::query_scalar(&format!("SELECT count(*) FROM {table}"))
        .fetch_one(pool)
        .await?)
}

/// Ids the writers pick from.
#[derive(Clone)]
struct Ids {
    users: Arc<Vec<Uuid>>,
    validators: Arc<Vec<Uuid>>,
    projects: Arc<Vec<Uuid>>,
    posts: Arc<Vec<Uuid>>,
}

impl Ids {
    async fn load(pool: &PgPool) -> anyhow::Result<Ids> {
        let ids = |sql: &'static str| async move {
            anyhow::Ok(Arc::new(
                sqlx::query_scalar::<_, Uuid>(sql).fetch_all(pool).await?,
            ))
        };
        Ok(Ids {
            users: ids("SELECT id FROM users WHERE is_active").await?,
            validators: ids("SELECT id FROM users WHERE role = 'validator'").await?,
            projects: ids("SELECT id FROM projects WHERE NOT is_deleted").await?,
            posts: ids("SELECT id FROM chain_posts WHERE NOT is_deleted").await?,
        })
    }
}

fn pick(rng: &mut StdRng, v: &[Uuid]) -> Uuid {
    v[rng.gen_range(0..v.len())]
}

/// What one load produced.
struct LoadResult {
    writes: u64,
    errors: u64,
    elapsed: Duration,
    latencies_ms: Vec<f64>,
}

impl LoadResult {
    fn per_sec(&self) -> f64 {
        self.writes as f64 / self.elapsed.as_secs_f64()
    }
    fn pct(&self, p: f64) -> f64 {
        percentile(&self.latencies_ms, p)
    }
}

/// `p`-th percentile of sorted samples (nearest rank).
fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// `writers` clients run the write mix until `duration` has passed, as fast
/// as they can or paced to `rate` writes/s in total.
async fn write_load(
    pool: &PgPool,
    ids: &Ids,
    writers: usize,
    duration: Duration,
    rate: Option<f64>,
) -> anyhow::Result<LoadResult> {
    let started = Instant::now();
    let deadline = started + duration;
    let mut tasks = tokio::task::JoinSet::new();
    for w in 0..writers {
        let (pool, ids) = (pool.clone(), ids.clone());
        let gap = rate.map(|r| Duration::from_secs_f64(writers as f64 / r));
        tasks.spawn(async move {
            let mut rng = StdRng::seed_from_u64(w as u64 * 7919 + rand::random::<u32>() as u64);
            let mut mine: Vec<Uuid> = Vec::new();
            let (mut writes, mut errors, mut lat) = (0u64, 0u64, Vec::new());
            let mut next = Instant::now();
            while Instant::now() < deadline {
                if let Some(gap) = gap {
                    next += gap;
                    tokio::time::sleep_until(next.into()).await;
                }
                let t = Instant::now();
                match one_write(&pool, &ids, &mut rng, &mut mine).await {
                    Ok(()) => {
                        writes += 1;
                        lat.push(t.elapsed().as_secs_f64() * 1000.0);
                    }
                    Err(e) => {
                        errors += 1;
                        if errors <= 3 {
                            eprintln!("write failed: {e}");
                        }
                    }
                }
            }
            (writes, errors, lat)
        });
    }
    let mut out = LoadResult {
        writes: 0,
        errors: 0,
        elapsed: Duration::ZERO,
        latencies_ms: Vec::new(),
    };
    while let Some(r) = tasks.join_next().await {
        let (w, e, l) = r?;
        out.writes += w;
        out.errors += e;
        out.latencies_ms.extend(l);
    }
    out.elapsed = started.elapsed();
    out.latencies_ms.sort_by(f64::total_cmp);
    Ok(out)
}

/// One write of the mix, in its own transaction (a single statement).
async fn one_write(
    pool: &PgPool,
    ids: &Ids,
    rng: &mut StdRng,
    mine: &mut Vec<Uuid>,
) -> Result<(), sqlx::Error> {
    let roll = rng.gen_range(0..100);
    let user = pick(rng, &ids.users);
    let project = pick(rng, &ids.projects);
    match roll {
        45..=59 if !mine.is_empty() => {
            let id = mine.swap_remove(rng.gen_range(0..mine.len()));
            sqlx::query("DELETE FROM upvotes WHERE id = $1")
                .bind(id)
                .execute(pool)
                .await?;
        }
        0..=59 => {
            let id: Option<Uuid> = sqlx::query_scalar(
                "INSERT INTO upvotes (user_id, project_id) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(user)
            .bind(project)
            .fetch_optional(pool)
            .await?;
            mine.extend(id);
        }
        60..=79 => {
            sqlx::query(
                "INSERT INTO comments (project_id, user_id, content) VALUES ($1, $2, 'Nice work')",
            )
            .bind(project)
            .bind(user)
            .execute(pool)
            .await?;
        }
        80..=89 => {
            sqlx::query(
                "INSERT INTO chain_post_votes (post_id, user_id) VALUES ($1, $2)
                 ON CONFLICT DO NOTHING",
            )
            .bind(pick(rng, &ids.posts))
            .bind(user)
            .execute(pool)
            .await?;
        }
        90..=94 => {
            sqlx::query(
                "INSERT INTO projects (user_id, title, description, category)
                 VALUES ($1, 'Benchmark project', 'Written by engine_bench', 'devtools')",
            )
            .bind(user)
            .execute(pool)
            .await?;
        }
        _ => {
            let types = ["code_quality", "innovation", "impact", "design", "security"];
            sqlx::query(
                "INSERT INTO validation_badges (project_id, validator_id, badge_type)
                 VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
            )
            .bind(project)
            .bind(pick(rng, &ids.validators))
            .bind(types[rng.gen_range(0..types.len())])
            .execute(pool)
            .await?;
        }
    }
    Ok(())
}

/// Turns every trigger that records work for the derived structures on or
/// off: the keyed structures' logging triggers (`<name>_mark...`) and the
/// materialized views' marking trigger (`mv_mark_dirty`).
async fn set_marking(pool: &PgPool, on: bool) -> anyhow::Result<()> {
    let triggers: Vec<(String, String)> = sqlx::query_as(
        "SELECT c.relname::text, t.tgname::text
           FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
          WHERE NOT t.tgisinternal
            AND (t.tgname = 'mv_mark_dirty' OR t.tgname ~ '^mv_[a-z_]+_mark')
          ORDER BY 1, 2",
    )
    .fetch_all(pool)
    .await?;
    for (table, trigger) in triggers {
        sqlx::query(&format!(
            "ALTER TABLE {table} {} TRIGGER {trigger}",
            if on { "ENABLE" } else { "DISABLE" }
        ))
        .execute(pool)
        .await?;
    }
    Ok(())
}

/// Per keyed structure: steps, keys, rows written and busy milliseconds
/// so far (from the per-minute figures).
async fn step_totals(pool: &PgPool) -> anyhow::Result<BTreeMap<String, [i64; 4]>> {
    let rows: Vec<(String, i64, i64, i64, i64)> = sqlx::query_as(
        "SELECT view_name, sum(steps)::bigint, sum(keys)::bigint, sum(rows_written)::bigint,
                sum(busy_ms)::bigint
           FROM derived_step_stats GROUP BY view_name ORDER BY view_name",
    )
    .fetch_all(pool)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(v, a, b, c, d)| (v, [a, b, c, d]))
        .collect())
}

/// Steps, keys and busy milliseconds so far (from the per-minute figures).
async fn steps_so_far(pool: &PgPool) -> anyhow::Result<(i64, i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT coalesce(sum(steps), 0)::bigint, coalesce(sum(keys), 0)::bigint,
                coalesce(sum(busy_ms), 0)::bigint
           FROM derived_step_stats",
    )
    .fetch_one(pool)
    .await?)
}

/// Median of three timings of `sql` (ms), each in its own transaction
/// rolled back afterwards unless `keep`; one timing when the first took
/// over 5 s (whole refreshes at 100x: the run would last hours otherwise).
async fn timed(pool: &PgPool, setup: &str, sql: &str, keep: bool) -> anyhow::Result<f64> {
    let mut times = Vec::new();
    for _ in 0..3 {
        if times.first().is_some_and(|&ms| ms > 5_000.0) {
            return Ok(times[0]);
        }
        let mut tx = pool.begin().await?;
        sqlx::query("SET LOCAL jit = off").execute(&mut *tx).await?;
        if !setup.is_empty() {
            sqlx::raw_sql(setup).execute(&mut *tx).await?;
        }
        let started = Instant::now();
        sqlx::raw_sql(sql).execute(&mut *tx).await?;
        times.push(started.elapsed().as_secs_f64() * 1000.0);
        if keep {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
    }
    times.sort_by(f64::total_cmp);
    Ok(times[1])
}

/// Step, rebuild and whole-refresh costs of every registered structure.
async fn structure_costs(pool: &PgPool, views: &[String]) -> anyhow::Result<()> {
    println!("### Cost per structure (ms, median of 3)\n");
    println!(
        "Step N: one `derived_step` of N distinct existing keys (logged by hand, rolled back \
         afterwards); per key: the 1,000-key step / 1,000. Rebuild: the difference against the \
         whole definition (a timer or a repair). Whole refresh: `REFRESH MATERIALIZED VIEW \
         CONCURRENTLY` of the same definition, what every change cost when structures were \
         refreshed whole.\n"
    );
    println!(
        "| structure | kind | rows | step 10 | step 100 | step 1,000 | per key | rebuild | whole refresh |"
    );
    println!("|---|---|---:|---:|---:|---:|---:|---:|---:|");
    for v in views {
        let (kind, key, rows): (String, Option<String>, Option<i64>) = sqlx::query_as(
            "SELECT kind, key_column, row_count FROM mv_registry WHERE view_name = $1",
        )
        .bind(v)
        .fetch_one(pool)
        .await?;
        if kind != "keyed" {
            let whole = timed(
                pool,
                "",
                &format!("REFRESH MATERIALIZED VIEW CONCURRENTLY {v}"),
                true,
            )
            .await?;
            println!(
                "| `{v}` | whole | {} | | | | | | {whole:.1} |",
                rows.unwrap_or(0)
            );
            continue;
        }
        let key = key.unwrap_or_else(|| "id".into());
        let mut steps = Vec::new();
        for n in [10, 100, 1000] {
            let setup = format!(
                "INSERT INTO {v}_dirty (key) SELECT {key} FROM {v} ORDER BY random() LIMIT {n}"
            );
            steps.push(
                timed(
                    pool,
                    &setup,
                    &format!("SELECT derived_step('{v}', {n})"),
                    false,
                )
                .await?,
            );
        }
        let rebuild = timed(pool, "", &format!("SELECT derived_rebuild('{v}')"), false).await?;
        // The same definition as a materialized view, refreshed whole.
        let copy = format!("bench_whole_{v}");
        let conflict: Vec<String> = sqlx::query_scalar(
            "SELECT unnest(conflict_columns) FROM mv_registry WHERE view_name = $1",
        )
        .bind(v)
        .fetch_all(pool)
        .await?;
        sqlx::raw_sql(&format!(
            "DROP MATERIALIZED VIEW IF EXISTS {copy};
             CREATE MATERIALIZED VIEW {copy} AS SELECT * FROM {v}_def;
             CREATE UNIQUE INDEX ON {copy} ({});",
            conflict.join(", ")
        ))
        .execute(pool)
        .await?;
        let whole = timed(
            pool,
            "",
            &format!("REFRESH MATERIALIZED VIEW CONCURRENTLY {copy}"),
            true,
        )
        .await?;
        sqlx::query(&format!("DROP MATERIALIZED VIEW {copy}"))
            .execute(pool)
            .await?;
        println!(
            "| `{v}` | per key | {} | {:.1} | {:.1} | {:.1} | {:.3} | {rebuild:.0} | {whole:.0} |",
            rows.unwrap_or(0),
            steps[0],
            steps[1],
            steps[2],
            steps[2] / 1000.0
        );
    }
    println!();
    Ok(())
}

struct RunningRefresher {
    stop: oneshot::Sender<()>,
    handle: tokio::task::JoinHandle<()>,
}

impl RunningRefresher {
    async fn stop(self) {
        let _ = self.stop.send(());
        let _ = self.handle.await;
    }
}

/// The refresher as `server serve` runs it (default settings).
fn start_refresher(pool: &PgPool) -> RunningRefresher {
    let (stop, stopped) = oneshot::channel::<()>();
    let refresher = Refresher::new(pool.clone(), None, RefresherConfig::default());
    let handle = tokio::spawn(refresher.run(async move {
        let _ = stopped.await;
    }));
    RunningRefresher { stop, handle }
}

async fn last_log_id(pool: &PgPool) -> anyhow::Result<i64> {
    Ok(
        sqlx::query_scalar("SELECT coalesce(max(id), 0) FROM mv_refresh_log")
            .fetch_one(pool)
            .await?,
    )
}

/// Refreshes and rebuilds logged after `id`, and their summed duration (ms).
async fn refreshes_since(pool: &PgPool, id: i64) -> anyhow::Result<(i64, i64)> {
    Ok(sqlx::query_as(
        "SELECT count(*), coalesce(sum(duration_ms), 0)::bigint FROM mv_refresh_log WHERE id > $1",
    )
    .bind(id)
    .fetch_one(pool)
    .await?)
}

/// Refreshes whatever is dirty so the next mode starts clean.
async fn catch_up(pool: &PgPool, views: &[String]) -> anyhow::Result<()> {
    for v in views {
        let dirty: bool = sqlx::query_scalar("SELECT dirty FROM mv_status WHERE view_name = $1")
            .bind(v)
            .fetch_one(pool)
            .await?;
        if dirty {
            refresh_now(pool, v, TriggeredBy::Manual).await?;
        }
    }
    Ok(())
}

/// Creates a project, then upvotes it, and times each change from its
/// commit until the feed view shows it; repeats until `duration` is over.
async fn probe(
    pool: &PgPool,
    ids: &Ids,
    duration: Duration,
) -> anyhow::Result<BTreeMap<&'static str, Vec<f64>>> {
    let mut rng = StdRng::seed_from_u64(99);
    let mut out: BTreeMap<&'static str, Vec<f64>> = BTreeMap::new();
    let deadline = Instant::now() + duration;
    while Instant::now() < deadline {
        let owner = pick(&mut rng, &ids.users);
        let project: Uuid = sqlx::query_scalar(
            "INSERT INTO projects (user_id, title, category) VALUES ($1, 'Staleness probe', 'devtools')
             RETURNING id",
        )
        .bind(owner)
        .fetch_one(pool)
        .await?;
        let t = Instant::now();
        wait_visible(
            pool,
            "SELECT EXISTS (SELECT 1 FROM mv_feed_projects WHERE id = $1)",
            project,
        )
        .await?;
        out.entry("new project appears in the feed")
            .or_default()
            .push(t.elapsed().as_secs_f64() * 1000.0);

        let voter = pick(&mut rng, &ids.users);
        sqlx::query("INSERT INTO upvotes (user_id, project_id) VALUES ($1, $2)")
            .bind(voter)
            .bind(project)
            .execute(pool)
            .await?;
        let t = Instant::now();
        wait_visible(
            pool,
            "SELECT coalesce((SELECT upvote_count = 1 FROM mv_feed_projects WHERE id = $1), false)",
            project,
        )
        .await?;
        out.entry("upvote reaches the feed's count")
            .or_default()
            .push(t.elapsed().as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(rng.gen_range(0..300))).await;
    }
    Ok(out)
}

async fn wait_visible(pool: &PgPool, sql: &str, id: Uuid) -> anyhow::Result<()> {
    let limit = Instant::now() + Duration::from_secs(120);
    loop {
        let seen: bool = sqlx::query_scalar(sql).bind(id).fetch_one(pool).await?;
        if seen {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < limit, "{id} not visible after 120 s");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// First-page search times (the data function the search page calls,
/// without the page's Redis cache) for the most common word of the titles,
/// names and usernames and for a rare one: the first call, then the median
/// of five more.
async fn search_times(pool: &PgPool) -> anyhow::Result<()> {
    let common: (String, i64) = sqlx::query_as(
        "SELECT term, frequency FROM mv_search_terms WHERE length(term) >= 3
          ORDER BY frequency DESC, term LIMIT 1",
    )
    .fetch_one(pool)
    .await?;
    let rare: (String, i64) = sqlx::query_as(
        "SELECT term, frequency FROM mv_search_terms
          WHERE length(term) >= 5 AND frequency = 1 AND term ~ '^[a-z]+$'
          ORDER BY md5(term) LIMIT 1",
    )
    .fetch_one(pool)
    .await?;
    println!("### Search: first page (`data::search::search`, no cache)\n");
    println!(
        "| word | titles/names with it | matches (capped) | first call ms | median of 5 ms |\n|---|---:|---:|---:|---:|"
    );
    for (word, frequency) in [common, rare] {
        let mut times = Vec::new();
        let mut label = String::new();
        for _ in 0..6 {
            let started = Instant::now();
            let page =
                data::search::search(pool, &data::search::normalize(&word), None, None).await?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            label = page.counts.label("all");
        }
        let first = times.remove(0);
        times.sort_by(f64::total_cmp);
        println!(
            "| `{word}` | {frequency} | {label} | {first:.1} | {:.1} |",
            times[2]
        );
    }
    println!();
    Ok(())
}
