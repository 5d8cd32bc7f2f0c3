//! Demo data: a realistic, deterministic Proofwork community, bulk-loaded.
//!
//! Every table is filled by one or two set-based `INSERT ... SELECT` over
//! `generate_series`, never row by row from Rust, and the whole load runs in
//! ONE transaction: a failure leaves the database exactly as it was (empty).
//!
//! Determinism: the transaction starts with `setseed()` (derived from
//! [`SeedOptions::seed`]) and parallel plans are switched off. Each statement
//! draws its random numbers from a single `MATERIALIZED` source whose rows
//! come in a fixed order (`generate_series`, or a scan with `ORDER BY`;
//! PostgreSQL evaluates volatile select-list functions after the sort), and
//! every `LIMIT`, `DISTINCT ON` and `row_number()` has a total order. Row ids
//! are `md5('<seed>:<kind>:<n>')::uuid`, so one seed always gives the same
//! ids. Timestamps are offsets from the transaction's `now()`, spread over
//! the last ~180 days: the same seed gives the same content, only the anchor
//! moves.
//!
//! Each step's SQL is built by a method of [`StepSql`] in the file of its
//! area (`people`, `projects`, `chains`, `messages`, `reports`), from the
//! word lists in `words`.
//!
//! Helper temp tables (`seed_users`, `seed_projects`, ...; `ON COMMIT DROP`)
//! number the rows so later steps can pick "the k-th validator" or "the
//! project at popularity rank r" with an integer join.
//!
//! `projects.proof_score` is not written here: triggers on the tables keep
//! derived columns and counters right while the rows go in (they are most
//! of the run time). Trigger-heavy inserts are ordered by the row their
//! triggers touch (an upvote's project, a comment's author, a message's
//! conversation), which keeps those rows hot; ids and content do not
//! depend on that order. The keyed page structures' logging triggers are
//! off during the load (`derived_logging`): those structures are rebuilt
//! whole once it commits.

use std::time::{Duration, Instant};

use sqlx::{PgConnection, PgPool};

mod chains;
mod messages;
mod people;
mod projects;
mod reports;
mod sql;
mod words;

/// The password of every seeded account (demo accounts included).
pub const DEMO_PASSWORD: &str = "proofwork-demo";

/// How much data to load, and from which seed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SeedOptions {
    /// 1.0 = 5,000 users and 10,000 projects; every count scales linearly
    /// (with sensible minimums at tiny scales).
    pub scale: f64,
    /// The same seed always produces the same content and ids.
    pub seed: u64,
}

impl Default for SeedOptions {
    fn default() -> Self {
        SeedOptions {
            scale: 1.0,
            seed: 42,
        }
    }
}

/// A well-known account for trying the app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DemoAccount {
    pub username: &'static str,
    pub role: &'static str,
}

/// Always seeded (users 1-4), all with [`DEMO_PASSWORD`]. `demo_investor` has
/// an approved investor application.
pub const DEMO_ACCOUNTS: &[DemoAccount] = &[
    DemoAccount {
        username: "demo_builder",
        role: "builder",
    },
    DemoAccount {
        username: "demo_validator",
        role: "validator",
    },
    DemoAccount {
        username: "demo_investor",
        role: "investor",
    },
    DemoAccount {
        username: "demo_admin",
        role: "admin",
    },
];

/// Progress: reported before each step starts. `index` is 0-based (= steps
/// already done), so `index / total` is the fraction complete.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SeedStep {
    pub index: usize,
    pub total: usize,
    pub name: &'static str,
}

/// What was loaded: rows per table (counted after the load) and wall time.
#[derive(Debug, Clone)]
pub struct SeedReport {
    pub counts: Vec<(&'static str, i64)>,
    pub elapsed: Duration,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error("the database already has users; seed only loads an empty database")]
    NotEmpty,
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("{0}")]
    Other(String),
}

/// The tables the seed fills, in the order it fills them (one step each,
/// named after its table), counted in [`SeedReport::counts`].
pub const TABLES: &[&str] = &[
    "users",
    "investor_requests",
    "projects",
    "upvotes",
    "comments",
    "validation_badges",
    "chains",
    "chain_followers",
    "chain_projects",
    "chain_posts",
    "chain_post_votes",
    "chain_post_comments",
    "direct_messages",
    "intro_requests",
    "notifications",
    "reports",
];

/// The last step, after the commit: refreshes planner statistics.
const ANALYZE_STEP: &str = "analyze";

/// Largest accepted scale (500k users); beyond that a demo load is a mistake.
const MAX_SCALE: f64 = 100.0;

/// Serializes concurrent seeds of the same database.
const SEED_LOCK_KEY: i64 = 0x5052_4f4f_4653_4545; // "PROOFSEE"

/// True when the database has no users (the only state seed loads into).
pub async fn is_empty(pool: &PgPool) -> Result<bool, sqlx::Error> {
    sqlx::query_scalar::<_, bool>("select not exists (select 1 from users)")
        .fetch_one(pool)
        .await
}

/// Loads demo data into an empty database, in one transaction.
pub async fn seed(
    pool: &PgPool,
    opts: &SeedOptions,
    on_step: &(dyn Fn(SeedStep) + Send + Sync),
) -> Result<SeedReport, SeedError> {
    let started = Instant::now();
    if !opts.scale.is_finite() || opts.scale <= 0.0 || opts.scale > MAX_SCALE {
        return Err(SeedError::Other(format!(
            "scale must be greater than 0 and at most {MAX_SCALE} (got {})",
            opts.scale
        )));
    }
    let sizes = Sizes::new(opts.scale);
    // One argon2id hash for everyone: hashing 5,000 passwords would take
    // minutes and buy nothing for demo data.
    let hash = crate::users::hash_password(DEMO_PASSWORD.to_string())
        .await
        .map_err(|e| SeedError::Other(format!("password hashing failed: {e}")))?;

    let total = TABLES.len() + 1;
    let mut step = 0;
    let mut next_step = |name: &'static str| {
        debug_assert_eq!(TABLES.get(step).copied().unwrap_or(ANALYZE_STEP), name);
        on_step(SeedStep {
            index: step,
            total,
            name,
        });
        step += 1;
    };

    let mut tx = pool.begin().await?;
    sqlx::query("select pg_advisory_xact_lock($1)")
        .bind(SEED_LOCK_KEY)
        .execute(&mut *tx)
        .await?;
    let has_users: bool = sqlx::query_scalar("select exists (select 1 from users)")
        .fetch_one(&mut *tx)
        .await?;
    if has_users {
        tx.rollback().await?;
        return Err(SeedError::NotEmpty);
    }
    sqlx::raw_sql(
        "set local timezone = 'UTC';
         set local max_parallel_workers_per_gather = 0;
         set local jit = off;
         set local work_mem = '64MB';
         set local synchronous_commit = off;
         set local statement_timeout = 0;
         set local proofwork.skip_notifications = on;",
    )
    .execute(&mut *tx)
    .await?;
    // The keyed structures' logging is off during the load: they are
    // rebuilt whole afterwards (the refresher does that before the server
    // serves), which is cheaper than logging every inserted row's keys.
    sqlx::query("select derived_logging(false)")
        .execute(&mut *tx)
        .await?;
    sqlx::query("select setseed($1)")
        .bind(setseed_value(opts.seed))
        .execute(&mut *tx)
        .await?;

    let g = StepSql {
        seed: opts.seed.to_string(),
        sizes,
    };
    let conn: &mut PgConnection = &mut tx;

    next_step("users");
    g.users(conn, &hash).await?;
    let roles = RoleCounts::load(conn).await?;

    next_step("investor_requests");
    exec(conn, &g.investor_requests(&roles)).await?;

    next_step("projects");
    exec(conn, &g.projects(&roles)).await?;

    next_step("upvotes");
    exec(conn, &g.upvotes()).await?;

    next_step("comments");
    exec(conn, &g.comments()).await?;

    next_step("validation_badges");
    exec(conn, &g.validation_badges(&roles)).await?;

    next_step("chains");
    exec(conn, &g.chains()).await?;

    next_step("chain_followers");
    exec(conn, &g.chain_followers()).await?;
    let followers = count(conn, "seed_followers").await?;

    next_step("chain_projects");
    exec(conn, &g.chain_projects()).await?;

    next_step("chain_posts");
    exec(conn, &g.chain_posts(followers)).await?;

    next_step("chain_post_votes");
    exec(conn, &g.chain_post_votes()).await?;

    next_step("chain_post_comments");
    exec(conn, &g.chain_post_comments()).await?;

    next_step("direct_messages");
    exec(conn, &g.dm_pairs()).await?;
    let pairs = count(conn, "seed_dm_pairs").await?;
    exec(conn, &g.direct_messages(pairs)).await?;

    next_step("intro_requests");
    exec(conn, &g.intro_requests(&roles)).await?;

    next_step("notifications");
    exec(conn, &g.notifications()).await?;

    next_step("reports");
    exec(conn, &g.reports(&roles)).await?;

    let mut counts = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        counts.push((*table, count(conn, table).await?));
    }
    sqlx::query("select derived_logging(true)")
        .execute(&mut *conn)
        .await?;
    tx.commit().await?;

    next_step(ANALYZE_STEP);
    sqlx::raw_sql("analyze").execute(pool).await?;

    Ok(SeedReport {
        counts,
        elapsed: started.elapsed(),
    })
}

/// Maps the seed onto setseed's range [-1, 1] (splitmix64, then 53 bits).
fn setseed_value(seed: u64) -> f64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    let unit = (z >> 11) as f64 / (1u64 << 53) as f64; // [0, 1)
    unit * 2.0 - 1.0
}

async fn exec(conn: &mut PgConnection, sql: &str) -> Result<(), sqlx::Error> {
    sqlx::raw_sql(sql).execute(conn).await.map(|_| ())
}

async fn count(conn: &mut PgConnection, table: &str) -> Result<i64, sqlx::Error> {
    sqlx::query_scalar::<_, i64>(&format!("select count(*) from {table}"))
        .fetch_one(conn)
        .await
}

/// Row counts for one scale.
#[derive(Debug, Clone, Copy)]
struct Sizes {
    users: i64,
    admins: i64,
    validators: i64,
    investors: i64,
    projects: i64,
    upvotes: i64,
    top_comments: i64,
    replies: i64,
    badges: i64,
    chains: i64,
    followers: i64,
    chain_projects: i64,
    posts: i64,
    post_votes: i64,
    post_comments: i64,
    dm_pairs: i64,
    dms: i64,
    notifications: i64,
    intros: i64,
    inv_pending: i64,
    inv_rejected: i64,
    reports: i64,
}

impl Sizes {
    fn new(scale: f64) -> Sizes {
        let n = |base: f64, min: i64| ((base * scale).round() as i64).max(min);
        let users = n(5000.0, 50);
        let others = (users - DEMO_ACCOUNTS.len() as i64) as f64;
        let comments = n(30_000.0, 100);
        let replies = (comments as f64 * 0.25).round() as i64;
        Sizes {
            users,
            admins: (others * 0.002).round() as i64,
            validators: (others * 0.05).round() as i64,
            investors: (others * 0.05).round() as i64,
            projects: n(10_000.0, 100),
            upvotes: n(100_000.0, 300),
            top_comments: comments - replies,
            replies,
            badges: n(8_000.0, 40),
            chains: n(60.0, 6),
            followers: n(15_000.0, 100),
            chain_projects: n(3_000.0, 30),
            posts: n(3_000.0, 30),
            post_votes: n(20_000.0, 100),
            post_comments: n(8_000.0, 50),
            dm_pairs: n(2_000.0, 20),
            dms: n(20_000.0, 100),
            notifications: n(25_000.0, 200),
            intros: n(2_500.0, 20),
            inv_pending: n(40.0, 2),
            inv_rejected: n(60.0, 2),
            reports: n(300.0, 10),
        }
    }
}

/// How many seeded users hold each role (read back after the users step).
#[derive(Debug, Clone, Copy)]
struct RoleCounts {
    builders: i64,
    validators: i64,
    investors: i64,
    admins: i64,
}

impl RoleCounts {
    async fn load(conn: &mut PgConnection) -> Result<RoleCounts, SeedError> {
        let rows: Vec<(String, i64)> =
            sqlx::query_as("select role, count(*) from seed_users group by role")
                .fetch_all(conn)
                .await?;
        let get = |role: &str| rows.iter().find(|(r, _)| r == role).map_or(0, |(_, c)| *c);
        let counts = RoleCounts {
            builders: get("builder"),
            validators: get("validator"),
            investors: get("investor"),
            admins: get("admin"),
        };
        if counts.builders < 2 || counts.validators < 1 || counts.investors < 1 || counts.admins < 1
        {
            return Err(SeedError::Other(format!("unexpected role mix: {counts:?}")));
        }
        Ok(counts)
    }
}
/// Builds the SQL of each step (one method per step, in the file of its
/// area).
struct StepSql {
    seed: String,
    sizes: Sizes,
}

impl StepSql {
    /// The deterministic id of the `kind` row numbered by `expr`.
    fn id(&self, kind: &str, expr: &str) -> String {
        sql::seeded_id(&self.seed, kind, expr)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn setseed_value_is_in_range_and_seed_dependent() {
        for seed in [0, 1, 42, u64::MAX] {
            let x = setseed_value(seed);
            assert!((-1.0..=1.0).contains(&x), "{x}");
        }
        assert_ne!(setseed_value(1), setseed_value(2));
    }

    #[test]
    fn sizes_scale_with_minimums() {
        let one = Sizes::new(1.0);
        assert_eq!(one.users, 5000);
        assert_eq!(one.projects, 10_000);
        assert_eq!(one.top_comments + one.replies, 30_000);
        let tiny = Sizes::new(0.001);
        assert!(tiny.users >= 50);
        assert!(tiny.chains >= 6);
    }
}
