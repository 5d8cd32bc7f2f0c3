//! The markdown report of one run, and a key=value summary for scripts.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use goose::metrics::GooseMetrics;
use sqlx::PgPool;

use crate::probe::Probe;
use crate::record::{percentile, Phase, Recorder, Stats};
use crate::sampler::Samples;
use crate::site::Shared;
use crate::{Config, MIX};

/// Counters of `pg_stat_database` for the server's database.
#[derive(Debug, Clone, Copy)]
pub struct PgCounters {
    pub commits: i64,
    pub rollbacks: i64,
    pub blks_read: i64,
    pub blks_hit: i64,
    pub tup_returned: i64,
    pub temp_bytes: i64,
    pub deadlocks: i64,
}

pub async fn pg_counters(pool: &PgPool) -> sqlx::Result<PgCounters> {
    let r: (i64, i64, i64, i64, i64, i64, i64) = sqlx::query_as(
        "select xact_commit, xact_rollback, blks_read, blks_hit, tup_returned, temp_bytes, deadlocks \
         from pg_stat_database where datname = current_database()",
    )
    .fetch_one(pool)
    .await?;
    Ok(PgCounters {
        commits: r.0,
        rollbacks: r.1,
        blks_read: r.2,
        blks_hit: r.3,
        tup_returned: r.4,
        temp_bytes: r.5,
        deadlocks: r.6,
    })
}

pub struct Input<'a> {
    pub cfg: &'a Config,
    pub shared: &'a Shared,
    pub recorder: &'a Recorder,
    pub metrics: &'a GooseMetrics,
    pub samples: &'a Samples,
    pub waits: &'a BTreeMap<(Phase, String), u64>,
    pub wait_samples: &'a BTreeMap<Phase, u64>,
    pub queries: &'a BTreeMap<(Phase, String), u64>,
    pub probe: &'a Probe,
    pub health_before: Option<&'a serde_json::Value>,
    pub health_after: Option<&'a serde_json::Value>,
    pub pg_before: Option<PgCounters>,
    pub pg_after: Option<PgCounters>,
    pub elapsed_secs: f64,
    pub goose_report: Option<&'a str>,
}

pub struct Output {
    pub markdown: String,
    pub summary: String,
    /// Failed requests + transaction errors + probe errors.
    pub failures: u64,
}

fn is_page(name: &str) -> bool {
    name.starts_with("GET ")
}

fn is_sign_in(name: &str) -> bool {
    name.contains("sign-in") || name == "GET /login"
}

fn row(out: &mut String, name: &str, s: &Stats, secs: f64) {
    let _ = writeln!(
        out,
        "| `{name}` | {} | {:.1} | {} | {:.1} | {:.1} | {:.1} | {:.0} | {:.0} |",
        s.count,
        s.count as f64 / secs.max(1e-9),
        s.errors,
        s.p50_ms,
        s.p95_ms,
        s.p99_ms,
        s.max_ms,
        s.mean_bytes as f64 / 1024.0
    );
}

const HEAD: &str = "| request | count | per s | errors | p50 ms | p95 ms | p99 ms | max ms | KiB |\n|---|---:|---:|---:|---:|---:|---:|---:|---:|\n";

fn hot_cache(v: Option<&serde_json::Value>) -> Option<(f64, f64, f64)> {
    let h = v?.get("hot_cache")?;
    let n = |k: &str| h.get(k).and_then(|x| x.as_f64()).unwrap_or(0.0);
    Some((n("local_hits"), n("redis_hits"), n("misses")))
}

pub fn render(i: &Input) -> Output {
    let cfg = i.cfg;
    let mut md = String::new();
    let hold = i.recorder.stats(Phase::Hold);
    let ramp = i.recorder.stats(Phase::Ramp);
    let hold_secs = (i.elapsed_secs - cfg.ramp_secs as f64).max(1.0);
    let now = time::OffsetDateTime::now_utc();
    let when = now
        .format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());

    let _ = writeln!(
        md,
        "\n## {}{} concurrent users (ended {when})\n",
        if cfg.title.is_empty() {
            String::new()
        } else {
            format!("{}: ", cfg.title)
        },
        cfg.users
    );
    let mean_think = (cfg.think_min_ms + cfg.think_max_ms) as f64 / 2000.0;
    let _ = writeln!(
        md,
        "{} users against {}, ramp-up {} s ({:.1} users/s; every signed-in user signs in when it starts), \
         hold {} s (measured {:.0} s), think time {:.1}-{:.1} s (mean {mean_think:.1} s), {cores} cores.",
        cfg.users,
        cfg.host,
        cfg.ramp_secs,
        cfg.users as f64 / cfg.ramp_secs.max(1) as f64,
        cfg.hold_secs,
        hold_secs,
        cfg.think_min_ms as f64 / 1000.0,
        cfg.think_max_ms as f64 / 1000.0,
    );
    let total_w: usize = MIX.iter().map(|(_, w)| w).sum();
    let mut mix = Vec::new();
    for (role, w) in MIX {
        let users = cfg.users * w / total_w;
        let accts = i.shared.accounts.get(*role).map_or(0, |a| a.len());
        if *role == "anonymous" {
            mix.push(format!("{role} {w}% (~{users})"));
        } else {
            mix.push(format!(
                "{role} {w}% (~{users} on {accts} accounts{})",
                if users > accts { ", some shared" } else { "" }
            ));
        }
    }
    let _ = writeln!(md, "Mix: {}.\n", mix.join(", "));

    // Offered vs served.
    let hold_total: u64 = hold.iter().map(|(_, s)| s.count).sum();
    let hold_pages: u64 = hold
        .iter()
        .filter(|(n, _)| is_page(n))
        .map(|(_, s)| s.count)
        .sum();
    let hold_errors: u64 = hold.iter().map(|(_, s)| s.errors).sum();
    let ramp_errors: u64 = ramp.iter().map(|(_, s)| s.errors).sum();
    let offered = cfg.users as f64 / mean_think;
    let _ = writeln!(
        md,
        "**Rate**: offered about {offered:.0} clicks/s (users / mean think time); served during the hold \
         {:.1} requests/s ({:.1} page GETs/s), {hold_errors} errors during the hold, {ramp_errors} during the ramp-up.\n",
        hold_total as f64 / hold_secs,
        hold_pages as f64 / hold_secs,
    );

    // Pages.
    let _ = writeln!(md, "### Pages during the hold\n");
    md.push_str(HEAD);
    for (n, s) in hold.iter().filter(|(n, _)| is_page(n) && !is_sign_in(n)) {
        row(&mut md, n, s, hold_secs);
    }
    let _ = writeln!(
        md,
        "\n### Actions during the hold (form post + the page it redirects to)\n"
    );
    md.push_str(HEAD);
    for (n, s) in hold.iter().filter(|(n, _)| !is_page(n) && !is_sign_in(n)) {
        row(&mut md, n, s, hold_secs);
    }
    // Sign-ins: over the whole run (they happen during the ramp-up).
    let _ = writeln!(md, "\n### Sign-ins (whole run; argon2 as in production)\n");
    md.push_str(HEAD);
    let all_secs = i.elapsed_secs.max(1.0);
    let mut sign_names: Vec<&String> = ramp
        .iter()
        .chain(hold.iter())
        .filter(|(n, _)| is_sign_in(n))
        .map(|(n, _)| n)
        .collect();
    sign_names.sort();
    sign_names.dedup();
    for n in sign_names {
        let s = Stats::of(&i.recorder.merged(n));
        row(&mut md, n, &s, all_secs);
    }
    let mut rp = i
        .recorder
        .phase_micros(Phase::Ramp, |n| is_page(n) && !is_sign_in(n));
    rp.sort_unstable();
    let _ = writeln!(
        md,
        "\nAll pages during the ramp-up: {} requests, p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms.\n",
        rp.len(),
        percentile(&rp, 50.0),
        percentile(&rp, 95.0),
        percentile(&rp, 99.0)
    );

    // Errors.
    let kinds = i.recorder.error_kinds();
    let tx_errors: usize = i
        .metrics
        .transaction_errors
        .values()
        .map(|e| e.occurrences)
        .sum();
    if !kinds.is_empty() {
        let _ = writeln!(md, "### Errors\n");
        for (k, n) in kinds.iter().take(20) {
            let _ = writeln!(md, "- {n} × {k}");
        }
        md.push('\n');
    }

    // Staleness.
    let _ = writeln!(
        md,
        "### Staleness (write answered -> first anonymous page showing it, polled every 100 ms)\n"
    );
    let _ = writeln!(
        md,
        "| change | samples (hold) | p50 ms | p95 ms | p99 ms | max ms | not seen in 30 s |\n|---|---:|---:|---:|---:|---:|---:|"
    );
    let mut worst_staleness_p99 = 0.0f64;
    for what in [
        crate::probe::NEW_PROJECT,
        crate::probe::UPVOTE_FEED,
        crate::probe::UPVOTE_PAGE,
        crate::probe::NEW_POST,
    ] {
        let mut all: Vec<u32> = Vec::new();
        let mut in_hold = 0;
        for phase in [Phase::Ramp, Phase::Hold] {
            if let Some(v) = i.probe.samples.get(&(phase, what.to_string())) {
                all.extend(v.iter().map(|ms| (ms * 1000.0) as u32));
                if phase == Phase::Hold {
                    in_hold = v.len();
                }
            }
        }
        all.sort_unstable();
        let p99 = percentile(&all, 99.0);
        worst_staleness_p99 = worst_staleness_p99.max(p99);
        let _ = writeln!(
            md,
            "| {what} | {} ({in_hold}) | {:.0} | {:.0} | {p99:.0} | {:.0} | {} |",
            all.len(),
            percentile(&all, 50.0),
            percentile(&all, 95.0),
            percentile(&all, 100.0),
            i.probe.timeouts.get(what).copied().unwrap_or(0)
        );
    }
    if !i.probe.errors.is_empty() {
        let _ = writeln!(
            md,
            "\n{} probe cycles failed (a change not written or a page not served); the first:",
            i.probe.error_count
        );
        for e in i.probe.errors.iter().take(10) {
            let _ = writeln!(md, "- {e}");
        }
    }
    md.push('\n');

    // Resources.
    let _ = writeln!(md, "### CPU and memory (sampled every second from /proc)\n");
    let _ = writeln!(
        md,
        "| process | cores, ramp (mean) | cores, hold (mean) | cores, hold (max) | MiB, hold (max) |\n|---|---:|---:|---:|---:|"
    );
    let mut names: Vec<&String> = i.samples.groups.keys().map(|(_, g)| g).collect();
    names.sort();
    names.dedup();
    for g in names {
        let r = i.samples.groups.get(&(Phase::Ramp, g.clone()));
        let h = i.samples.groups.get(&(Phase::Hold, g.clone()));
        let mem = h.map_or(0.0, |u| u.max_rss());
        let _ = writeln!(
            md,
            "| {g} | {:.2} | {:.2} | {:.2} | {} |",
            r.map_or(0.0, |u| u.mean_cores()),
            h.map_or(0.0, |u| u.mean_cores()),
            h.map_or(0.0, |u| u.max_cores()),
            if mem > 0.0 {
                format!("{mem:.0}")
            } else {
                "".into()
            }
        );
    }
    let _ = writeln!(
        md,
        "\n(PostgreSQL memory: private resident memory of all backends, shared_buffers not counted; \
         PostgreSQL and Redis are the machine's, shared with whatever else ran.)\n"
    );

    // PostgreSQL.
    let hold_wait_samples = i
        .wait_samples
        .get(&Phase::Hold)
        .copied()
        .unwrap_or(0)
        .max(1);
    let mut waits: Vec<(&String, u64)> = i
        .waits
        .iter()
        .filter(|((p, _), _)| *p == Phase::Hold)
        .map(|((_, k), n)| (k, *n))
        .collect();
    waits.sort_by_key(|b| std::cmp::Reverse(b.1));
    if !waits.is_empty() {
        let _ = writeln!(
            md,
            "### PostgreSQL during the hold: active backends by wait event (pg_stat_activity every 500 ms)\n"
        );
        let _ = writeln!(md, "| wait event | mean active backends |\n|---|---:|");
        for (k, n) in waits.iter().take(10) {
            let _ = writeln!(md, "| {k} | {:.2} |", *n as f64 / hold_wait_samples as f64);
        }
        md.push('\n');
    }
    let mut queries: Vec<(&String, u64)> = i
        .queries
        .iter()
        .filter(|((p, _), _)| *p == Phase::Hold)
        .map(|((_, k), n)| (k, *n))
        .collect();
    queries.sort_by_key(|b| std::cmp::Reverse(b.1));
    if !queries.is_empty() {
        let _ = writeln!(
            md,
            "Statements seen running (same samples; no pg_stat_statements on this server):\n"
        );
        let _ = writeln!(md, "| statement (start) | mean active |\n|---|---:|");
        for (k, n) in queries.iter().take(8) {
            let _ = writeln!(
                md,
                "| `{}` | {:.2} |",
                k.replace('|', "/").replace('`', "'"),
                *n as f64 / hold_wait_samples as f64
            );
        }
        md.push('\n');
    }
    if let (Some(a), Some(b)) = (i.pg_before, i.pg_after) {
        let secs = i.elapsed_secs.max(1.0);
        let hits = (b.blks_hit - a.blks_hit) as f64;
        let reads = (b.blks_read - a.blks_read) as f64;
        let _ = writeln!(
            md,
            "pg_stat_database over the run: {:.0} commits/s, {} rollbacks, {:.0} tuples returned/s, \
             buffer hit ratio {:.2}%, {} MiB temp files, {} deadlocks.\n",
            (b.commits - a.commits) as f64 / secs,
            b.rollbacks - a.rollbacks,
            (b.tup_returned - a.tup_returned) as f64 / secs,
            if hits + reads > 0.0 {
                100.0 * hits / (hits + reads)
            } else {
                100.0
            },
            (b.temp_bytes - a.temp_bytes) / (1024 * 1024),
            b.deadlocks - a.deadlocks
        );
    }
    match (hot_cache(i.health_before), hot_cache(i.health_after)) {
        (before, Some((l1, r1, m1))) => {
            let (l0, r0, m0) = before.unwrap_or((0.0, 0.0, 0.0));
            let (l, r, m) = (l1 - l0, r1 - r0, m1 - m0);
            let total = (l + r + m).max(1.0);
            let _ = writeln!(
                md,
                "Hot-page cache over the run: {:.1}% hits ({l:.0} local, {r:.0} Redis, {m:.0} misses).\n",
                100.0 * (l + r) / total
            );
        }
        _ => {
            let _ = writeln!(
                md,
                "Hot-page cache: /denormalization-health reports no `hot_cache` counters.\n"
            );
        }
    }
    if let Some(p) = i.goose_report {
        let _ = writeln!(
            md,
            "goose's own report (times to the response headers, hold only): `{p}`.\n"
        );
    }

    // Verdict.
    let pages: Vec<&(String, Stats)> = hold
        .iter()
        .filter(|(n, _)| is_page(n) && !is_sign_in(n))
        .collect();
    let worst95 = pages
        .iter()
        .max_by(|a, b| a.1.p95_ms.total_cmp(&b.1.p95_ms));
    let worst99 = pages
        .iter()
        .max_by(|a, b| a.1.p99_ms.total_cmp(&b.1.p99_ms));
    let (w95n, w95) = worst95.map_or(("-".to_string(), 0.0), |(n, s)| (n.clone(), s.p95_ms));
    let (w99n, w99) = worst99.map_or(("-".to_string(), 0.0), |(n, s)| (n.clone(), s.p99_ms));
    let _ = writeln!(
        md,
        "**Against the targets**: worst page p95 {w95:.1} ms (`{w95n}`; target <= 50), worst page p99 {w99:.1} ms \
         (`{w99n}`; target <= 150), errors {} (target 0), staleness p99 {:.0} ms (target <= 2000 for the 2 s views).\n",
        hold_errors + ramp_errors,
        worst_staleness_p99
    );

    let failures = hold_errors + ramp_errors + tx_errors as u64 + i.probe.error_count;
    let requests: u64 = hold_total + ramp.iter().map(|(_, s)| s.count).sum::<u64>();
    let mut summary = String::new();
    let _ = writeln!(summary, "users={}", cfg.users);
    let _ = writeln!(summary, "requests={requests}");
    let _ = writeln!(summary, "hold_rps={:.1}", hold_total as f64 / hold_secs);
    let _ = writeln!(summary, "offered_rps={offered:.0}");
    let _ = writeln!(summary, "errors={}", hold_errors + ramp_errors);
    let _ = writeln!(summary, "transaction_errors={tx_errors}");
    let _ = writeln!(summary, "probe_errors={}", i.probe.error_count);
    let _ = writeln!(summary, "worst_p95_ms={w95:.1}");
    let _ = writeln!(summary, "worst_p95_page='{w95n}'");
    let _ = writeln!(summary, "worst_p99_ms={w99:.1}");
    let _ = writeln!(summary, "worst_p99_page='{w99n}'");
    let _ = writeln!(summary, "staleness_p99_ms={worst_staleness_p99:.0}");
    let cpu = |g: &str| {
        i.samples
            .groups
            .get(&(Phase::Hold, g.to_string()))
            .map_or(0.0, |u| u.mean_cores())
    };
    let _ = writeln!(summary, "server_cores={:.2}", cpu("server"));
    let _ = writeln!(
        summary,
        "postgres_cores={:.2}",
        cpu("postgres (all backends)")
    );
    let _ = writeln!(summary, "goose_cores={:.2}", cpu("load generator (goose)"));
    let _ = writeln!(summary, "machine_cores={:.2}", cpu("whole machine"));
    let _ = writeln!(summary, "failures={failures}");
    if requests == 0 {
        return Output {
            markdown: md,
            summary,
            failures: failures.max(1),
        };
    }
    Output {
        markdown: md,
        summary,
        failures,
    }
}
