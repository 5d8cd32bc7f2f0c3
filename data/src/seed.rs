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
//! Helper temp tables (`seed_users`, `seed_projects`, ...; `ON COMMIT DROP`)
//! number the rows so later steps can pick "the k-th validator" or "the
//! project at popularity rank r" with an integer join.
//!
//! `projects.proof_score` is not written here: triggers on the tables keep
//! derived columns and counters right while the rows go in (they are most
//! of the run time). Trigger-heavy inserts are ordered by the row their
//! triggers touch (an upvote's project, a comment's author, a message's
//! conversation), which keeps those rows hot; ids and content do not
//! depend on that order.

use std::time::{Duration, Instant};

use sqlx::{PgConnection, PgPool};

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

/// The steps, in order; each fills the table it is named after (the last
/// one refreshes planner statistics after the commit).
const STEPS: &[&str] = &[
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
    "analyze",
];

/// The tables the seed fills, counted in [`SeedReport::counts`].
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

    let total = STEPS.len();
    let mut step = 0;
    let mut next_step = |name: &'static str| {
        debug_assert_eq!(STEPS[step], name);
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
    sqlx::query("select setseed($1)")
        .bind(setseed_value(opts.seed))
        .execute(&mut *tx)
        .await?;

    let g = Gen {
        seed: opts.seed.to_string(),
        s: sizes,
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
    exec(conn, &g.badges(&roles)).await?;

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
    tx.commit().await?;

    next_step("analyze");
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

/// Builds the SQL of each step.
struct Gen {
    seed: String,
    s: Sizes,
}

/// `md5('<seed>:<kind>:' || expr)::uuid`.
fn id_expr(seed: &str, kind: &str, expr: &str) -> String {
    format!("md5('{seed}:{kind}:' || ({expr}))::uuid")
}

fn lit(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn arr(list: &[&str]) -> String {
    let items: Vec<String> = list.iter().map(|s| lit(s)).collect();
    format!("ARRAY[{}]::text[]", items.join(", "))
}

/// One element of `list`, chosen by `r` (an expression in [0, 1)).
fn pick(list: &[&str], r: &str) -> String {
    format!("({})[1 + floor(({r}) * {})::int]", arr(list), list.len())
}

/// A uniformly random integer in 1..=n from `r` in [0, 1).
fn idx(r: &str, n: i64) -> String {
    format!("(1 + floor(({r}) * {n})::int)")
}

/// A skewed integer in 1..=n (small values far more likely): popularity.
fn skewed(r: &str, power: f64, n: i64) -> String {
    format!("(1 + floor(power({r}, {power}) * {n})::int)")
}

impl Gen {
    fn id(&self, kind: &str, expr: &str) -> String {
        id_expr(&self.seed, kind, expr)
    }

    async fn users(&self, conn: &mut PgConnection, hash: &str) -> Result<(), sqlx::Error> {
        let s = &self.s;
        let (a, v, i) = (s.admins, s.validators, s.investors);
        let sql = format!(
            "create temp table seed_users on commit drop as
            with r as materialized (
                select n, random() as r_role, random() as r_pat, random() as r_a, random() as r_b,
                       random() as r_c, random() as r_age, random() as r_upd, random() as r_bio1,
                       random() as r_bio2, random() as r_bio3, random() as r_ver, random() as r_act,
                       random() as r_pick
                from generate_series(1, {users}) as n
            ),
            ranked as (
                select r.*, row_number() over (order by n <= 4, r_role, n) as role_rank from r
            ),
            roled as (
                select ranked.*,
                    case n when 1 then 'builder' when 2 then 'validator' when 3 then 'investor'
                           when 4 then 'admin'
                    else case when role_rank <= {a} then 'admin'
                              when role_rank <= {av} then 'validator'
                              when role_rank <= {avi} then 'investor'
                              else 'builder' end
                    end as role,
                    case n when 1 then 'demo_builder' when 2 then 'demo_validator'
                           when 3 then 'demo_investor' when 4 then 'demo_admin'
                    else case when r_pat < 0.35 then {first} || '_' || {last}
                              when r_pat < 0.7 then {adj} || '_' || {animal}
                              else {adj} || '_' || {animal} || '_' || (10 + floor(r_c * 90)::int)
                         end
                    end as base
                from ranked
            ),
            named as (
                select roled.*,
                    case when row_number() over (partition by base order by n) > 1
                         then base || '_' || (n + 100) else base end as username,
                    case when n <= 4 then now() - interval '170 days'
                         else now() - interval '1 day' * (1 + 179 * r_age) end as created_at
                from roled
            )
            select n, {id} as id, username, role,
                row_number() over (partition by role order by n)::int as ridx,
                case when n <= 4 then 'Demo ' || role || ' account for exploring Proofwork.'
                     when role = 'investor' then {inv_bio1} || {inv_bio2}
                     when role = 'validator' then {val_bio1} || {val_bio2}
                     else {bio1} || ' who loves ' || {bio_tech} || '.' || {bio3}
                end as bio,
                role <> 'builder' or r_ver < 0.3 as is_verified,
                n <= 4 or r_act >= 0.02 as is_active,
                created_at,
                created_at + (now() - created_at) * (r_upd * r_upd) as updated_at,
                r_pick
            from named;
            alter table seed_users add primary key (n);
            create unique index on seed_users (role, ridx);
            analyze seed_users;",
            users = s.users,
            av = a + v,
            avi = a + v + i,
            first = pick(FIRST_NAMES, "r_a"),
            last = pick(LAST_NAMES, "r_b"),
            adj = pick(NAME_ADJECTIVES, "r_a"),
            animal = pick(ANIMALS, "r_b"),
            id = self.id("user", "n"),
            inv_bio1 = pick(INVESTOR_BIO_1, "r_bio1"),
            inv_bio2 = pick(INVESTOR_BIO_2, "r_bio2"),
            val_bio1 = pick(VALIDATOR_BIO_1, "r_bio1"),
            val_bio2 = pick(VALIDATOR_BIO_2, "r_bio2"),
            bio1 = pick(BIO_ROLES, "r_bio1"),
            bio_tech = pick(LANGUAGES, "r_bio2"),
            bio3 = pick(BIO_TAILS, "r_bio3"),
        );
        exec(conn, &sql).await?;
        sqlx::query(
            "insert into users (id, username, email, password_hash, bio, is_verified, is_active,
                                role, created_at, updated_at)
             select id, username, username || '@example.com', $1, bio, is_verified, is_active,
                    role, created_at, updated_at
             from seed_users order by n",
        )
        .bind(hash)
        .execute(conn)
        .await?;
        Ok(())
    }

    fn investor_requests(&self, roles: &RoleCounts) -> String {
        let s = &self.s;
        format!(
            "insert into investor_requests (id, user_id, status, company_name, investment_focus,
                ticket_size, portfolio_url, linkedin_url, reviewed_by, approved_at, decided_at,
                created_at, updated_at)
            with cand as (
                select 1 as kind, n, id, username, created_at from seed_users where role = 'investor'
                union all
                select case when rn <= {pending} then 2 else 3 end, n, id, username, created_at
                from (
                    select n, id, username, created_at, row_number() over (order by r_pick, n) as rn
                    from seed_users where role = 'builder' and n > 4
                    order by r_pick, n limit {applicants}
                ) b
            ),
            r as materialized (
                select cand.*, random() as r_co1, random() as r_co2, random() as r_focus,
                       random() as r_ticket, random() as r_time, random() as r_decide,
                       random() as r_admin, random() as r_links
                from cand order by kind, n
            ),
            c as (
                select r.*,
                    case kind when 1 then 'approved' when 2 then 'pending' else 'rejected' end as status,
                    {co1} || ' ' || {co2} as company,
                    r.created_at + (now() - r.created_at) * (0.1 + 0.4 * r_time) as applied_at
                from r
            )
            select {id}, c.id, status, company, {focus}, {ticket},
                case when r_links < 0.8
                     then 'https://' || lower(replace(company, ' ', '')) || '.example.com' end,
                case when r_links < 0.6 then 'https://www.linkedin.com/in/' || c.username end,
                case when status = 'pending' then null else adm.id end,
                case when status = 'approved' then applied_at + (now() - applied_at) * 0.2 * r_decide end,
                case when status = 'pending' then null
                     else applied_at + (now() - applied_at) * 0.2 * r_decide end,
                applied_at,
                case when status = 'pending' then applied_at
                     else applied_at + (now() - applied_at) * 0.2 * r_decide end
            from c
            join seed_users adm on adm.role = 'admin' and adm.ridx = {admin}
            order by c.kind, c.n",
            pending = s.inv_pending,
            applicants = s.inv_pending + s.inv_rejected,
            co1 = pick(COMPANY_WORDS, "r_co1"),
            co2 = pick(COMPANY_KINDS, "r_co2"),
            id = self.id("investor_request", "kind || ':' || c.n"),
            focus = pick(INVESTMENT_FOCUS, "r_focus"),
            ticket = pick(TICKET_SIZES, "r_ticket"),
            admin = idx("r_admin", roles.admins),
        )
    }

    fn projects(&self, roles: &RoleCounts) -> String {
        let s = &self.s;
        let nouns: Vec<&str> = PROJECT_NOUNS.iter().map(|(n, _)| *n).collect();
        let cats: Vec<&str> = PROJECT_NOUNS.iter().map(|(_, c)| *c).collect();
        format!(
            "create temp table seed_projects on commit drop as
            with r as materialized (
                select n, random() as r_owner, random() as r_pat, random() as r_adj,
                       random() as r_tech, random() as r_noun, random() as r_brand,
                       random() as r_aud, random() as r_d1, random() as r_d2, random() as r_d3,
                       random() as r_age, random() as r_feat, random() as r_del,
                       random() as r_delt, random() as r_link, random() as r_pop, random() as r_upd
                from generate_series(1, {projects}) as n
            ),
            c as (
                select r.*, {noun_i} as ni,
                    case when r_tech < 0.18 then 'Rust'
                         else {lang} end as tech,
                    {adj} as adj, {brand} as brand, {aud} as aud,
                    u.id as user_id, u.username, u.created_at as uc
                from r
                join seed_users u on u.role = 'builder'
                    and u.ridx = case when r.n <= 5 then 1
                                      else 2 + floor(power(r_owner, 1.3) * {others})::int end
            ),
            t as (
                select c.*, ({nouns})[ni] as noun, ({cats})[ni] as category,
                    case when r_pat < 0.6 then adj || ' ' || tech || ' ' || ({nouns})[ni]
                         when r_pat < 0.85 then brand || ': ' || adj || ' ' || ({nouns})[ni]
                                                || ' in ' || tech
                         else brand || ' - ' || ({nouns})[ni] || ' for ' || aud
                    end as title,
                    uc + (now() - uc) * r_age as created_at,
                    n > 5 and r_del < 0.03 as is_deleted
                from c
            ),
            d as (
                select t.*,
                    case when is_deleted then created_at + (now() - created_at) * r_delt end
                        as deleted_at
                from t
            )
            select n, {id} as id, user_id, username, title, category,
                'A ' || lower(adj) || ' ' || lower(noun) || ' written in ' || tech || '. '
                    || {feature} || ' ' || {status}
                    || case when tech <> 'Rust' and r_d3 < 0.12
                            then ' Planning a Rust rewrite of the hot path.' else '' end
                    as description,
                case when r_link >= 0.05 then 'https://github.com/' || username || '/'
                    || trim(both '-' from lower(regexp_replace(title, '[^A-Za-z0-9]+', '-', 'g')))
                end as proof_of_work_link,
                n = 1 or (r_feat < 0.02 and not is_deleted) as is_featured,
                is_deleted, deleted_at, created_at,
                coalesce(deleted_at, created_at + (now() - created_at) * (r_upd * r_upd))
                    as updated_at,
                row_number() over (order by r_pop, n)::int as pop
            from d;
            alter table seed_projects add primary key (n);
            create unique index on seed_projects (pop);
            analyze seed_projects;
            insert into projects (id, user_id, title, description, proof_of_work_link, image_url,
                category, is_featured, is_deleted, deleted_at, created_at, updated_at)
            select id, user_id, title, description, proof_of_work_link, null, category,
                is_featured, is_deleted, deleted_at, created_at, updated_at
            from seed_projects order by n;",
            projects = s.projects,
            noun_i = idx("r_noun", nouns.len() as i64),
            lang = pick(LANGUAGES, "(r_tech - 0.18) / 0.82"),
            adj = pick(TITLE_ADJECTIVES, "r_adj"),
            brand = pick(BRANDS, "r_brand"),
            aud = pick(AUDIENCES, "r_aud"),
            others = roles.builders - 1,
            nouns = arr(&nouns),
            cats = arr(&cats),
            id = self.id("project", "n"),
            feature = pick(PROJECT_FEATURES, "r_d1"),
            status = pick(PROJECT_STATUS, "r_d2"),
        )
    }

    fn upvotes(&self) -> String {
        let s = &self.s;
        format!(
            "insert into upvotes (id, user_id, project_id, is_upvote, created_at)
            with r as materialized (
                select g, random() as r_user, random() as r_proj, random() as r_dir,
                       random() as r_time
                from generate_series(1, {cand}) as g
            ),
            c as (
                select r.g, u.id as user_id, p.id as project_id, r.r_dir, r.r_time,
                       greatest(u.created_at, p.created_at) as t0
                from r
                join seed_users u on u.n = {user}
                join seed_projects p on p.pop = {proj}
                where u.id <> p.user_id
            ),
            d as (
                select distinct on (user_id, project_id) * from c order by user_id, project_id, g
            ),
            lim as (select * from d order by g limit {upvotes})
            select {id}, user_id, project_id, r_dir >= 0.07, t0 + (now() - t0) * r_time
            from lim order by project_id, g",
            cand = s.upvotes + s.upvotes / 4,
            user = idx("r.r_user", s.users),
            proj = skewed("r.r_proj", 2.0, s.projects),
            upvotes = s.upvotes,
            id = self.id("upvote", "g"),
        )
    }

    fn comments(&self) -> String {
        let s = &self.s;
        format!(
            "create temp table seed_comments on commit drop as
            with r as materialized (
                select g, random() as r_user, random() as r_proj, random() as r_c1,
                       random() as r_c2, random() as r_c3, random() as r_time, random() as r_edit
                from generate_series(1, {top}) as g
            ),
            c as (
                select r.*, u.n as un, u.id as user_id, u.username, p.id as project_id,
                       greatest(u.created_at, p.created_at) as t0
                from r
                join seed_users u on u.n = {user}
                join seed_projects p on p.pop = {proj}
            )
            select g, {id} as id, project_id, un, user_id, username,
                {c1} || {c2} || {c3} as content,
                r_edit < 0.05 as is_edited,
                t0 + (now() - t0) * (r_time * r_time) as created_at
            from c;
            alter table seed_comments add primary key (g);
            analyze seed_comments;
            insert into comments (id, project_id, user_id, parent_id, content, is_edited,
                created_at, updated_at)
            select id, project_id, user_id, null, content, is_edited, created_at,
                case when is_edited then created_at + (now() - created_at) * 0.05 else created_at end
            from seed_comments order by user_id, g;

            insert into comments (id, project_id, user_id, parent_id, content, is_edited,
                created_at, updated_at)
            with r as materialized (
                select g, random() as r_parent, random() as r_user, random() as r_c1,
                       random() as r_c2, random() as r_mention, random() as r_time,
                       random() as r_edit
                from generate_series(1, {replies}) as g
            ),
            c as (
                select r.*, pc.id as parent_id, pc.project_id, pc.username as parent_name,
                       pc.created_at as pt,
                       case when {user} = pc.un then {user} % {users} + 1 else {user} end as un
                from r join seed_comments pc on pc.g = {parent}
            ),
            t as (
                select c.*, u.id as user_id, greatest(pt, u.created_at) as t0
                from c join seed_users u on u.n = c.un
            ),
            x as (
                select t.*, t0 + (now() - t0) * (r_time * r_time) as created_at from t
            )
            select {reply_id}, project_id, user_id, parent_id,
                case when r_mention < 0.3 then '@' || parent_name || ' ' else '' end
                    || {r1} || {r2},
                r_edit < 0.04, created_at,
                case when r_edit < 0.04 then created_at + (now() - created_at) * 0.05
                     else created_at end
            from x order by user_id, g",
            top = s.top_comments,
            user = idx("r_user", s.users),
            users = s.users,
            proj = skewed("r_proj", 1.8, s.projects),
            id = self.id("comment", "g"),
            c1 = pick(COMMENT_OPENERS, "r_c1"),
            c2 = pick(COMMENT_MIDDLES, "r_c2"),
            c3 = pick(COMMENT_CLOSERS, "r_c3"),
            replies = s.replies,
            parent = skewed("r_parent", 1.3, s.top_comments),
            reply_id = self.id("comment", &format!("{} + g", s.top_comments)),
            r1 = pick(REPLY_OPENERS, "r_c1"),
            r2 = pick(REPLY_BODIES, "r_c2"),
        )
    }

    fn badges(&self, roles: &RoleCounts) -> String {
        let s = &self.s;
        format!(
            "insert into validation_badges (id, project_id, validator_id, badge_type, note, created_at)
            with r as materialized (
                select g, random() as r_val, random() as r_proj, random() as r_type,
                       random() as r_note, random() as r_time
                from generate_series(1, {cand}) as g
            ),
            c as (
                select r.g, p.id as project_id, v.id as validator_id, {btype} as badge_type,
                       r.r_note, r.r_time, greatest(v.created_at, p.created_at) as t0
                from r
                join seed_users v on v.role = 'validator' and v.ridx = {val}
                join seed_projects p on p.pop = {proj}
                where not p.is_deleted
            ),
            d as (
                select distinct on (project_id, validator_id, badge_type) * from c
                order by project_id, validator_id, badge_type, g
            ),
            lim as (select * from d order by g limit {badges})
            select {id}, project_id, validator_id, badge_type,
                case when r_note < 0.2 then ''
                     else case badge_type
                        when 'code_quality' then {n_code}
                        when 'innovation' then {n_innov}
                        when 'impact' then {n_impact}
                        when 'design' then {n_design}
                        else {n_sec} end
                end,
                t0 + (now() - t0) * r_time
            from lim order by project_id, g",
            cand = s.badges + s.badges / 4,
            btype = pick(BADGE_TYPES, "r.r_type"),
            val = idx("r.r_val", roles.validators),
            proj = skewed("r.r_proj", 1.6, s.projects),
            badges = s.badges,
            id = self.id("badge", "g"),
            n_code = pick(NOTES_CODE, "(r_note - 0.2) / 0.8"),
            n_innov = pick(NOTES_INNOVATION, "(r_note - 0.2) / 0.8"),
            n_impact = pick(NOTES_IMPACT, "(r_note - 0.2) / 0.8"),
            n_design = pick(NOTES_DESIGN, "(r_note - 0.2) / 0.8"),
            n_sec = pick(NOTES_SECURITY, "(r_note - 0.2) / 0.8"),
        )
    }

    fn chains(&self) -> String {
        let s = &self.s;
        let names: Vec<&str> = CHAIN_NAMES.iter().map(|(n, _)| *n).collect();
        let cats: Vec<&str> = CHAIN_NAMES.iter().map(|(_, c)| *c).collect();
        let len = names.len();
        format!(
            "create temp table seed_chain_names on commit drop as
            select ord::int as ord, name, category,
                case when ord <= 2 then ord - 10.0 else random() end as shuffle
            from unnest({names}, {cats}) with ordinality as t(name, category, ord)
            order by ord;

            create temp table seed_chains on commit drop as
            with nm as (
                select row_number() over (order by shuffle, ord)::int as pos, name, category
                from seed_chain_names
            ),
            r as materialized (
                select k, random() as r_creator, random() as r_d1, random() as r_d2,
                       random() as r_pub, random() as r_act, random() as r_feat, random() as r_time,
                       random() as r_pop
                from generate_series(1, {chains}) as k
            ),
            c as (
                select r.*, nm.name as base, nm.category, u.id as creator_id,
                       u.created_at + (now() - u.created_at) * (0.5 * r_time) as created_at
                from r
                join nm on nm.pos = (k - 1) % {len} + 1
                join seed_users u on u.n = {creator}
            )
            select k, {id} as id,
                base || case when k > {len} then ' ' || ((k - 1) / {len} + 1) else '' end as name,
                category, creator_id,
                {d1} || base || '. ' || {d2} as description,
                k <= 2 or r_pub >= 0.1 as is_public,
                k <= 2 or r_act >= 0.05 as is_active,
                k <= 2 or r_feat < 0.1 as is_featured,
                created_at,
                created_at + (now() - created_at) * (r_time * r_time) as updated_at,
                row_number() over (order by r_pop, k)::int as pop,
                row_number() over (partition by category order by k)::int as cat_idx
            from c;
            alter table seed_chains add primary key (k);
            create unique index on seed_chains (pop);
            analyze seed_chains;
            insert into chains (id, creator_id, name, description, image_url, category, is_public,
                is_active, is_featured, created_at, updated_at)
            select id, creator_id, name, description, null, category, is_public, is_active,
                is_featured, created_at, updated_at
            from seed_chains order by k;",
            names = arr(&names),
            cats = arr(&cats),
            chains = s.chains,
            creator = idx("r_creator", s.users),
            id = self.id("chain", "k"),
            d1 = pick(CHAIN_DESC_1, "r_d1"),
            d2 = pick(CHAIN_DESC_2, "r_d2"),
        )
    }

    fn chain_followers(&self) -> String {
        let s = &self.s;
        format!(
            "create temp table seed_followers on commit drop as
            with r as materialized (
                select g, random() as r_chain, random() as r_user, random() as r_time
                from generate_series(1, {cand}) as g
            ),
            cand as (
                select 0 as prio, c.k::bigint as g, c.id as chain_id, c.creator_id as user_id,
                       c.created_at as t
                from seed_chains c
                union all
                select 0, {chains} + (c.k - 1) * 3 + u.n, c.id, u.id,
                       greatest(c.created_at, u.created_at)
                           + (now() - greatest(c.created_at, u.created_at)) * 0.3
                from seed_chains c join seed_users u on u.n in (1, 2, 3)
                where c.k <= 3
                union all
                select 1, r.g, c.id, u.id,
                       greatest(c.created_at, u.created_at)
                           + (now() - greatest(c.created_at, u.created_at)) * r.r_time
                from r
                join seed_chains c on c.pop = {chain}
                join seed_users u on u.n = {user}
            ),
            d as (
                select distinct on (chain_id, user_id) * from cand
                order by chain_id, user_id, prio, g
            ),
            lim as (select * from d order by prio, g limit {followers})
            select row_number() over (order by prio, g)::int as k, chain_id, user_id,
                t as created_at
            from lim;
            alter table seed_followers add primary key (k);
            analyze seed_followers;
            insert into chain_followers (chain_id, user_id, created_at)
            select chain_id, user_id, created_at from seed_followers order by k;",
            cand = s.followers + s.followers / 5,
            chains = s.chains,
            chain = skewed("r.r_chain", 1.8, s.chains),
            user = idx("r.r_user", s.users),
            followers = s.followers,
        )
    }

    fn chain_projects(&self) -> String {
        let s = &self.s;
        format!(
            "insert into chain_projects (chain_id, project_id, added_by, created_at)
            with cc as (
                select category, count(*)::int as cnt from seed_chains group by category
            ),
            r as materialized (
                select g, random() as r_proj, random() as r_mode, random() as r_chain,
                       random() as r_by, random() as r_time
                from generate_series(1, {cand}) as g
            ),
            c as (
                select r.g, r.r_by, r.r_time, p.id as project_id, p.user_id as owner_id,
                       p.created_at as pc, coalesce(chc.k, cha.k) as chain_k
                from r
                join seed_projects p on p.n = {proj}
                left join cc on cc.category = p.category and r.r_mode < 0.7
                left join seed_chains chc on chc.category = cc.category
                    and chc.cat_idx = 1 + floor(r.r_chain * cc.cnt)::int
                join seed_chains cha on cha.pop = {chain}
                where not p.is_deleted
            ),
            t as (
                select c.*, ch.id as chain_id, ch.creator_id,
                       greatest(ch.created_at, c.pc) as t0
                from c join seed_chains ch on ch.k = c.chain_k
            ),
            d as (
                select distinct on (chain_id, project_id) * from t
                order by chain_id, project_id, g
            ),
            lim as (select * from d order by g limit {n})
            select chain_id, project_id,
                case when r_by < 0.8 then owner_id else creator_id end,
                t0 + (now() - t0) * r_time
            from lim order by g",
            cand = s.chain_projects + s.chain_projects / 4,
            proj = idx("r.r_proj", s.projects),
            chain = skewed("r.r_chain", 1.5, s.chains),
            n = s.chain_projects,
        )
    }

    fn chain_posts(&self, followers: i64) -> String {
        let s = &self.s;
        format!(
            "create temp table seed_posts on commit drop as
            with r as materialized (
                select g, random() as r_f, random() as r_type, random() as r_t1,
                       random() as r_t2, random() as r_t3, random() as r_c1, random() as r_c2,
                       random() as r_c3, random() as r_pin, random() as r_del, random() as r_time,
                       random() as r_pop, random() as r_upd
                from generate_series(1, {posts}) as g
            ),
            c as (
                select r.*, f.chain_id, f.user_id as author_id,
                    case when r_type < 0.5 then 'discussion' when r_type < 0.8 then 'question'
                         when r_type < 0.95 then 'showcase' else 'announcement' end as post_type,
                    f.created_at + (now() - f.created_at) * r_time as created_at
                from r join seed_followers f on f.k = {follower}
            ),
            t as (
                select c.*,
                    case post_type
                        when 'question' then {q} || {topic} || '?'
                        when 'discussion' then {d} || {topic}
                        when 'showcase' then {sh} || lower({noun}) || ' in ' || {lang}
                        else {ann}
                    end as title,
                    case when post_type = 'announcement' then r_pin < 0.5 else r_pin < 0.02 end
                        as is_pinned
                from c
            )
            select g, {id} as id, chain_id, author_id, title,
                {c1} || {c2} || {c3} as content,
                post_type, is_pinned,
                not is_pinned and r_del < 0.02 as is_deleted,
                created_at,
                created_at + (now() - created_at) * (r_upd * r_upd * r_upd) as updated_at,
                row_number() over (order by r_pop, g)::int as pop
            from t;
            alter table seed_posts add primary key (g);
            create unique index on seed_posts (pop);
            analyze seed_posts;
            insert into chain_posts (id, chain_id, author_id, title, content, post_type, is_pinned,
                is_deleted, created_at, updated_at)
            select id, chain_id, author_id, title, content, post_type, is_pinned, is_deleted,
                created_at, updated_at
            from seed_posts order by g;",
            posts = s.posts,
            follower = idx("r_f", followers),
            q = pick(POST_QUESTION, "r_t1"),
            d = pick(POST_DISCUSSION, "r_t1"),
            sh = pick(POST_SHOWCASE, "r_t1"),
            ann = pick(POST_ANNOUNCEMENT, "r_t1"),
            topic = pick(POST_TOPICS, "r_t2"),
            noun = pick(
                &PROJECT_NOUNS.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
                "r_t2"
            ),
            lang = pick(LANGUAGES, "r_t3"),
            id = self.id("post", "g"),
            c1 = pick(POST_BODY_1, "r_c1"),
            c2 = pick(POST_BODY_2, "r_c2"),
            c3 = pick(POST_BODY_3, "r_c3"),
        )
    }

    fn chain_post_votes(&self) -> String {
        let s = &self.s;
        format!(
            "insert into chain_post_votes (post_id, user_id, is_upvote, created_at)
            with r as materialized (
                select g, random() as r_post, random() as r_user, random() as r_dir,
                       random() as r_time
                from generate_series(1, {cand}) as g
            ),
            c as (
                select r.g, r.r_dir, r.r_time, p.id as post_id, u.id as user_id,
                       greatest(p.created_at, u.created_at) as t0
                from r
                join seed_posts p on p.pop = {post}
                join seed_users u on u.n = {user}
                where not p.is_deleted
            ),
            d as (
                select distinct on (post_id, user_id) * from c order by post_id, user_id, g
            ),
            lim as (select * from d order by g limit {n})
            select post_id, user_id, r_dir >= 0.1, t0 + (now() - t0) * r_time
            from lim order by g",
            cand = s.post_votes + s.post_votes / 5,
            post = skewed("r.r_post", 1.7, s.posts),
            user = idx("r.r_user", s.users),
            n = s.post_votes,
        )
    }

    fn chain_post_comments(&self) -> String {
        let s = &self.s;
        format!(
            "insert into chain_post_comments (id, post_id, author_id, content, created_at)
            with r as materialized (
                select g, random() as r_post, random() as r_user, random() as r_c1,
                       random() as r_c2, random() as r_time
                from generate_series(1, {n}) as g
            ),
            c as (
                select r.*, p.id as post_id, u.id as author_id,
                       greatest(p.created_at, u.created_at) as t0
                from r
                join seed_posts p on p.pop = {post}
                join seed_users u on u.n = {user}
            )
            select {id}, post_id, author_id, {c1} || {c2}, t0 + (now() - t0) * (r_time * r_time)
            from c order by g",
            n = s.post_comments,
            post = skewed("r.r_post", 1.6, s.posts),
            user = idx("r.r_user", s.users),
            id = self.id("post_comment", "g"),
            c1 = pick(FORUM_REPLY_1, "r_c1"),
            c2 = pick(FORUM_REPLY_2, "r_c2"),
        )
    }

    fn dm_pairs(&self) -> String {
        let s = &self.s;
        format!(
            "create temp table seed_dm_pairs on commit drop as
            with r as materialized (
                select g, random() as r_a, random() as r_b, random() as r_t
                from generate_series(1, {cand}) as g
            ),
            cand as (
                select 0 as prio, v.g, v.a, v.b, 0.3::float8 as r_t
                from (values (1, 1, 3), (2, 1, 2), (3, 3, 4), (4, 2, 4)) as v(g, a, b)
                union all
                select 1, g, {a}, {b}, r_t from r
            ),
            d as (
                select distinct on (least(a, b), greatest(a, b)) * from cand where a <> b
                order by least(a, b), greatest(a, b), prio, g
            ),
            lim as (select * from d order by prio, g limit {pairs})
            select row_number() over (order by prio, g)::int as k, ua.id as a_id, ub.id as b_id,
                greatest(ua.created_at, ub.created_at)
                    + (now() - greatest(ua.created_at, ub.created_at)) * (0.7 * r_t) as t0
            from lim
            join seed_users ua on ua.n = lim.a
            join seed_users ub on ub.n = lim.b;
            alter table seed_dm_pairs add primary key (k);
            analyze seed_dm_pairs;",
            cand = s.dm_pairs + s.dm_pairs / 5,
            a = idx("r_a", s.users),
            b = idx("r_b", s.users),
            pairs = s.dm_pairs,
        )
    }

    fn direct_messages(&self, pairs: i64) -> String {
        let s = &self.s;
        format!(
            "insert into direct_messages (id, sender_id, recipient_id, message, is_read, read_at,
                created_at)
            with r as materialized (
                select g, random() as r_pair, random() as r_dir, random() as r_m1,
                       random() as r_m2, random() as r_m3, random() as r_time, random() as r_read,
                       random() as r_readt
                from generate_series(1, {n}) as g
            ),
            c as (
                select r.*, p.k as pair_k, p.a_id, p.b_id,
                    p.t0 + (now() - p.t0) * r_time as created_at
                from r join seed_dm_pairs p
                    on p.k = case when g <= {pairs} then g::int else {pair} end
            ),
            t as (
                select c.*,
                    case when created_at < now() - interval '2 days' then r_read < 0.92
                         else r_read < 0.4 end as is_read
                from c
            )
            select {id},
                case when r_dir < 0.5 then a_id else b_id end,
                case when r_dir < 0.5 then b_id else a_id end,
                {m1} || {m2} || {m3},
                is_read,
                case when is_read then created_at + (now() - created_at) * (0.1 * r_readt) end,
                created_at
            from t order by pair_k, g",
            n = s.dms,
            pairs = pairs,
            pair = skewed("r_pair", 1.5, pairs),
            id = self.id("dm", "g"),
            m1 = pick(DM_OPENERS, "r_m1"),
            m2 = pick(DM_BODIES, "r_m2"),
            m3 = pick(DM_CLOSERS, "r_m3"),
        )
    }

    fn intro_requests(&self, roles: &RoleCounts) -> String {
        let s = &self.s;
        format!(
            "insert into intro_requests (id, investor_id, builder_id, project_id, message, status,
                responded_at, created_at, updated_at)
            with r as materialized (
                select g, random() as r_inv, random() as r_proj, random() as r_status,
                       random() as r_m, random() as r_time, random() as r_resp
                from generate_series(1, {cand}) as g
            ),
            demo as (
                select 0 as prio, v.g::bigint as g, inv.id as investor_id, p.user_id as builder_id,
                       p.id as project_id, v.status, 0.5::float8 as r_m, 0.4::float8 as r_time,
                       0.5::float8 as r_resp, p.n as pn
                from (values (1, 1, 1, 'pending'), (2, 2, 2, 'approved'), (3, 3, 3, 'rejected'),
                             (4, 1, 0, 'withdrawn')) as v(g, ir, pn, status)
                join seed_users inv on inv.role = 'investor' and inv.ridx = least(v.ir, {ni})
                join seed_projects p on p.n = case when v.pn > 0 then v.pn else
                    (select min(n) from seed_projects where n > 5 and not is_deleted) end
            ),
            rnd as (
                select 1, r.g, inv.id, p.user_id, p.id,
                    case when r.r_status < 0.35 then 'pending' when r.r_status < 0.7 then 'approved'
                         when r.r_status < 0.9 then 'rejected' else 'withdrawn' end,
                    r.r_m, r.r_time, r.r_resp, p.n
                from r
                join seed_users inv on inv.role = 'investor' and inv.ridx = {inv}
                join seed_projects p on p.pop = {proj}
                where not p.is_deleted
            ),
            d as (
                select distinct on (investor_id, builder_id) *
                from (select * from demo union all select * from rnd) a
                order by investor_id, builder_id, prio, g
            ),
            lim as (select * from d order by prio, g limit {n}),
            t as (
                select lim.*, p.title, b.username as builder_name, i.username as investor_name,
                    ir.company_name, ir.investment_focus,
                    greatest(ir.approved_at, p.created_at) as t0
                from lim
                join seed_projects p on p.n = lim.pn
                join seed_users b on b.id = lim.builder_id
                join seed_users i on i.id = lim.investor_id
                join investor_requests ir on ir.user_id = lim.investor_id and ir.status = 'approved'
            ),
            x as (
                select t.*, t0 + (now() - t0) * r_time as created_at from t
            )
            select {id}, investor_id, builder_id, project_id,
                'Hi ' || builder_name || ', I''m ' || investor_name || ' from ' || company_name
                    || '. We back ' || lower(investment_focus) || ' teams and \"' || title
                    || '\" caught my eye. ' || {close},
                status,
                case when status in ('approved', 'rejected')
                     then created_at + (now() - created_at) * (0.5 * r_resp) end,
                created_at,
                case when status = 'pending' then created_at
                     else created_at + (now() - created_at) * (0.5 * r_resp) end
            from x order by prio, g",
            cand = s.intros + s.intros / 4,
            ni = roles.investors,
            inv = idx("r.r_inv", roles.investors),
            proj = skewed("r.r_proj", 1.5, s.projects),
            n = s.intros,
            id = self.id("intro", "prio || ':' || g"),
            close = pick(INTRO_CLOSERS, "r_m"),
        )
    }

    fn notifications(&self) -> String {
        let s = &self.s;
        format!(
            "insert into notifications (id, user_id, actor_id, kind, message, link, is_read,
                created_at)
            with ev as (
                select 1 as src, c.id as eid, p.user_id as uid, c.user_id as actor,
                    'comment' as kind, a.username || ' commented on \"' || p.title || '\"' as message,
                    '/projects/' || p.id as link, c.created_at as t, false as rare
                from comments c
                join projects p on p.id = c.project_id
                join users a on a.id = c.user_id
                where c.parent_id is null and c.user_id <> p.user_id
                union all
                select 2, c.id, pc.user_id, c.user_id, 'reply',
                    a.username || ' replied to your comment on \"' || p.title || '\"',
                    '/projects/' || p.id, c.created_at, false
                from comments c
                join comments pc on pc.id = c.parent_id
                join projects p on p.id = c.project_id
                join users a on a.id = c.user_id
                where c.user_id <> pc.user_id
                union all
                select 3, b.id, p.user_id, b.validator_id, 'badge',
                    a.username || ' awarded \"' || p.title || '\" a '
                        || replace(b.badge_type, '_', ' ') || ' badge',
                    '/projects/' || p.id, b.created_at, false
                from validation_badges b
                join projects p on p.id = b.project_id
                join users a on a.id = b.validator_id
                union all
                select 4, i.id, i.builder_id, i.investor_id, 'intro_request',
                    a.username || ' would like an intro'
                        || coalesce(' about \"' || p.title || '\"', ''),
                    '/intros', i.created_at, true
                from intro_requests i
                join users a on a.id = i.investor_id
                left join projects p on p.id = i.project_id
                union all
                select 5, i.id, i.investor_id, i.builder_id, 'intro_answer',
                    a.username || case i.status when 'approved' then ' accepted your intro request'
                                                else ' declined your intro request' end,
                    '/intros', i.responded_at, true
                from intro_requests i
                join users a on a.id = i.builder_id
                where i.status in ('approved', 'rejected')
                union all
                select 6, pc.id, cp.author_id, pc.author_id, 'forum_reply',
                    a.username || ' replied to your post \"' || cp.title || '\"',
                    '/chains/' || cp.chain_id || '/posts/' || cp.id, pc.created_at, false
                from chain_post_comments pc
                join chain_posts cp on cp.id = pc.post_id
                join users a on a.id = pc.author_id
                where pc.author_id <> cp.author_id
                union all
                select 7, ir.id, ir.user_id, ir.reviewed_by, 'investor_decision',
                    case ir.status
                        when 'approved' then 'Your investor application was approved. You can now request intros to builders.'
                        else 'Your investor application was not approved this time. You are welcome to apply again.'
                    end,
                    '/investors/apply', ir.decided_at, true
                from investor_requests ir
                where ir.status in ('approved', 'rejected')
                union all
                select 8, u.id, u.id, null, 'system',
                    'Welcome to Proofwork! Add your first project to start building your proof of work.',
                    '/projects/new', u.created_at, false
                from users u
            ),
            r as materialized (
                select ev.*, random() as r_pick, random() as r_read, random() as r_delay
                from ev order by src, eid
            ),
            chosen as (
                select * from r order by rare desc, r_pick, src, eid limit {n}
            ),
            t as (
                select chosen.*,
                    least(now(), t + interval '1 second' * (1 + floor(r_delay * 90))) as created_at
                from chosen
            )
            select {id}, uid, actor, kind, message, link,
                case when created_at < now() - interval '3 days' then r_read < 0.85
                     else r_read < 0.3 end,
                created_at
            from t order by uid, src, eid",
            n = s.notifications,
            id = self.id("notification", "src || ':' || eid"),
        )
    }

    fn reports(&self, roles: &RoleCounts) -> String {
        let s = &self.s;
        format!(
            "insert into reports (id, reporter_id, target_type, target_id, reason, status,
                resolved_by, resolved_at, created_at)
            with r as materialized (
                select g, random() as r_type, random() as r_target, random() as r_reporter,
                       random() as r_reason, random() as r_status, random() as r_admin,
                       random() as r_time, random() as r_res
                from generate_series(1, {n}) as g
            ),
            c as (
                select r.*,
                    case when r_type < 0.4 then 'project' when r_type < 0.65 then 'comment'
                         when r_type < 0.75 then 'user' when r_type < 0.85 then 'chain_post'
                         else 'feedback' end as target_type,
                    case when r_status < 0.5 then 'open' when r_status < 0.8 then 'resolved'
                         else 'dismissed' end as status
                from r
            ),
            t as (
                select c.*, rep.id as reporter_id,
                    coalesce(sp.id, sc.id, su.id, spo.id) as target_id,
                    greatest(rep.created_at, coalesce(sp.created_at, sc.created_at, su.created_at,
                                                      spo.created_at, rep.created_at)) as t0,
                    adm.id as admin_id
                from c
                join seed_users rep on rep.n = {reporter}
                left join seed_projects sp on c.target_type = 'project' and sp.n = {project}
                left join seed_comments sc on c.target_type = 'comment' and sc.g = {comment}
                left join seed_users su on c.target_type = 'user' and su.n = 4 + {user}
                left join seed_posts spo on c.target_type = 'chain_post' and spo.g = {post}
                left join seed_users adm on c.status <> 'open' and adm.role = 'admin'
                    and adm.ridx = {admin}
            ),
            x as (
                select t.*, t0 + (now() - t0) * r_time as created_at from t
            )
            select {id}, reporter_id, target_type, target_id,
                case target_type
                    when 'project' then {why_project}
                    when 'comment' then {why_comment}
                    when 'user' then {why_user}
                    when 'chain_post' then {why_post}
                    else {why_feedback} end,
                status,
                admin_id,
                case when status <> 'open' then created_at + (now() - created_at) * r_res end,
                created_at
            from x order by g",
            n = s.reports,
            reporter = idx("r_reporter", s.users),
            project = idx("r_target", s.projects),
            comment = idx("r_target", s.top_comments),
            user = idx("r_target", s.users - 4),
            post = idx("r_target", s.posts),
            admin = idx("r_admin", roles.admins),
            id = self.id("report", "g"),
            why_project = pick(REPORT_PROJECT, "r_reason"),
            why_comment = pick(REPORT_COMMENT, "r_reason"),
            why_user = pick(REPORT_USER, "r_reason"),
            why_post = pick(REPORT_POST, "r_reason"),
            why_feedback = pick(REPORT_FEEDBACK, "r_reason"),
        )
    }
}

// ---------------------------------------------------------------------------
// Word lists. Username parts are at most 9 characters so that even a
// de-duplicated name (`adj_animal_42_123456`) fits the 30-character limit.
// ---------------------------------------------------------------------------

const FIRST_NAMES: &[&str] = &[
    "ada",
    "grace",
    "alan",
    "linus",
    "barbara",
    "margaret",
    "dennis",
    "ken",
    "katherine",
    "edsger",
    "donald",
    "john",
    "radia",
    "frances",
    "hedy",
    "annie",
    "tim",
    "vint",
    "bjarne",
    "guido",
    "yukihiro",
    "rob",
    "joan",
    "sophie",
    "maya",
    "omar",
    "priya",
    "kenji",
    "lena",
    "mateo",
    "amara",
    "diego",
    "noor",
    "felix",
    "ingrid",
    "tariq",
    "wei",
    "chen",
    "aisha",
    "lucas",
    "elena",
    "nikolai",
    "sven",
    "hana",
    "ravi",
    "zoe",
    "leo",
    "iris",
];

const LAST_NAMES: &[&str] = &[
    "lovelace",
    "hopper",
    "turing",
    "torvalds",
    "liskov",
    "hamilton",
    "ritchie",
    "thompson",
    "johnson",
    "dijkstra",
    "knuth",
    "mccarthy",
    "perlman",
    "allen",
    "lamarr",
    "easley",
    "lee",
    "cerf",
    "vanrossum",
    "matsumoto",
    "pike",
    "clarke",
    "wilson",
    "okafor",
    "patel",
    "tanaka",
    "novak",
    "garcia",
    "haddad",
    "fischer",
    "berg",
    "nakamura",
    "kim",
    "silva",
    "mensah",
    "kowalski",
    "ivanova",
    "larsen",
    "moreau",
    "santos",
    "reyes",
    "schmidt",
    "ahmed",
    "nguyen",
    "olsen",
    "costa",
    "weber",
    "dubois",
];

const NAME_ADJECTIVES: &[&str] = &[
    "quiet", "brave", "swift", "clever", "sunny", "lucky", "curious", "bold", "gentle", "rapid",
    "cosmic", "silent", "happy", "mighty", "nimble", "witty", "calm", "eager", "fuzzy", "jolly",
    "keen", "lively", "merry", "noble", "proud", "shy", "wild", "zesty", "amber", "azure",
    "crimson", "golden", "misty", "rustic", "steady", "tiny", "vivid", "electric", "hidden",
    "frosty",
];

const ANIMALS: &[&str] = &[
    "otter", "falcon", "panda", "koala", "lynx", "heron", "badger", "beaver", "dolphin", "gecko",
    "hedgehog", "ibis", "jaguar", "kestrel", "lemur", "marmot", "narwhal", "ocelot", "pelican",
    "quokka", "raven", "salmon", "tapir", "urchin", "walrus", "yak", "zebra", "fox", "owl", "wolf",
    "crab", "moose", "puffin", "sparrow", "tiger", "bison", "cobra", "ferret", "llama", "orca",
];

const BIO_ROLES: &[&str] = &[
    "Backend engineer",
    "Full-stack developer",
    "Indie hacker",
    "ML engineer",
    "CS student",
    "Designer who codes",
    "Embedded engineer",
    "Data engineer",
    "Security researcher",
    "Game developer",
    "Founder",
    "Open-source maintainer",
    "Mobile developer",
    "SRE",
];

const BIO_TAILS: &[&str] = &[
    " Shipping one small project a month.",
    " Currently learning distributed systems.",
    " Open to collaborations.",
    " Building in public.",
    " Previously at a fintech startup.",
    " Coffee, keyboards and clean APIs.",
    "",
    " Based in Berlin.",
    " Based in Lagos.",
    " Based in Bangalore.",
    " Based in Toronto.",
    " Based in Lisbon.",
    " Writing about Rust and Postgres on my blog.",
];

const INVESTOR_BIO_1: &[&str] = &[
    "Early-stage investor backing technical founders.",
    "Angel investor and former CTO.",
    "Partner at a seed fund.",
    "Operator turned investor.",
];

const INVESTOR_BIO_2: &[&str] = &[
    " Interested in developer tools and infrastructure.",
    " Looking for builders with real proof of work.",
    " Happy to help with hiring and go-to-market.",
    " Writes first checks, fast.",
];

const VALIDATOR_BIO_1: &[&str] = &[
    "Staff engineer reviewing projects in my spare time.",
    "Principal engineer and long-time code reviewer.",
    "Security engineer.",
    "Design lead with a soft spot for great UX.",
];

const VALIDATOR_BIO_2: &[&str] = &[
    " I award badges for clean code and real impact.",
    " Feedback is always constructive.",
    " Rust, Go and Postgres are my home turf.",
    " I read every README.",
];

const LANGUAGES: &[&str] = &[
    "Rust",
    "Go",
    "Python",
    "TypeScript",
    "Zig",
    "Elixir",
    "Kotlin",
    "Swift",
    "C++",
    "Haskell",
    "OCaml",
    "Java",
    "Ruby",
    "Dart",
    "Julia",
    "Clojure",
];

const TITLE_ADJECTIVES: &[&str] = &[
    "Realtime",
    "Tiny",
    "Blazing-Fast",
    "Minimal",
    "Distributed",
    "Async",
    "Serverless",
    "Offline-First",
    "Privacy-Focused",
    "Open-Source",
    "Self-Hosted",
    "Lightweight",
    "Collaborative",
    "Embeddable",
    "Zero-Config",
    "Type-Safe",
    "Modular",
    "Portable",
    "Incremental",
    "Reactive",
];

/// (noun phrase, category from the projects CHECK list)
const PROJECT_NOUNS: &[(&str, &str)] = &[
    ("Log Shipper", "infra"),
    ("Task Queue", "infra"),
    ("Rate Limiter", "infra"),
    ("Load Balancer", "infra"),
    ("Container Scheduler", "infra"),
    ("Service Mesh", "infra"),
    ("Static Site Generator", "web"),
    ("Markdown Editor", "web"),
    ("URL Shortener", "web"),
    ("Blog Engine", "web"),
    ("Link Preview API", "web"),
    ("Form Builder", "web"),
    ("Habit Tracker", "mobile"),
    ("Workout Logger", "mobile"),
    ("Recipe Planner", "mobile"),
    ("Offline Notes App", "mobile"),
    ("CLI Toolkit", "devtools"),
    ("Code Formatter", "devtools"),
    ("Test Runner", "devtools"),
    ("Git Hook Manager", "devtools"),
    ("Dependency Auditor", "devtools"),
    ("Language Server", "devtools"),
    ("Build Cache", "devtools"),
    ("ETL Pipeline", "data"),
    ("Time-Series Database", "data"),
    ("CSV Explorer", "data"),
    ("Query Engine", "data"),
    ("Dashboard Builder", "data"),
    ("Chatbot", "ai"),
    ("Image Classifier", "ai"),
    ("Embedding Search", "ai"),
    ("Speech Transcriber", "ai"),
    ("Code Review Assistant", "ai"),
    ("Recommendation Engine", "ai"),
    ("Password Manager", "security"),
    ("Secrets Scanner", "security"),
    ("Fuzzing Harness", "security"),
    ("2FA Authenticator", "security"),
    ("Weather Station", "hardware"),
    ("Keyboard Firmware", "hardware"),
    ("Drone Controller", "hardware"),
    ("Home Automation Hub", "hardware"),
    ("Roguelike Game", "games"),
    ("Voxel Engine", "games"),
    ("Multiplayer Chess Server", "games"),
    ("Pixel Art Editor", "games"),
    ("Budget Tracker", "fintech"),
    ("Invoice Generator", "fintech"),
    ("Payment Gateway", "fintech"),
    ("Portfolio Tracker", "fintech"),
    ("Personal Wiki", "other"),
    ("Book Tracker", "other"),
    ("Podcast Player", "other"),
];

const BRANDS: &[&str] = &[
    "Ferrite", "Lumen", "Quill", "Nimbus", "Kestrel", "Orbit", "Tinker", "Sprocket", "Beacon",
    "Pylon", "Helix", "Cobalt", "Marble", "Juniper", "Vector", "Prism", "Anvil", "Basalt",
    "Cinder", "Drift",
];

const AUDIENCES: &[&str] = &[
    "Freelancers",
    "Small Teams",
    "Students",
    "Researchers",
    "Homelabs",
    "Indie Hackers",
    "Open-Source Maintainers",
    "Remote Teams",
];

const PROJECT_FEATURES: &[&str] = &[
    "It streams structured events over WebSockets and survives restarts without losing data.",
    "Ships as a single static binary with zero runtime dependencies.",
    "Includes a CLI, a small web UI and a test suite with 90% coverage.",
    "Benchmarks show a 4x throughput improvement over the previous version.",
    "Designed for low memory usage on a Raspberry Pi.",
    "Uses Postgres for storage and Redis for caching.",
    "Everything is documented, with a getting-started guide and examples.",
    "Handles 10k requests per second on a single core.",
    "Comes with a plugin API and three example plugins.",
    "Works offline and syncs when the network comes back.",
];

const PROJECT_STATUS: &[&str] = &[
    "Built over three weekends.",
    "Currently used by a handful of teams in production.",
    "Looking for contributors and feedback!",
    "Next up: plugin support and better error messages.",
    "MIT licensed.",
    "Started as a hackathon project and kept growing.",
    "Version 1.0 just landed.",
];

const COMMENT_OPENERS: &[&str] = &[
    "Really impressive work!",
    "Love this.",
    "Nice project!",
    "This is neat.",
    "Great write-up.",
    "Solid execution.",
    "Clean code, easy to follow.",
    "Starred!",
    "Interesting approach.",
];

const COMMENT_MIDDLES: &[&str] = &[
    " How does it handle backpressure?",
    " Did you consider using Postgres for storage?",
    " The README made it easy to get started.",
    " Would love to see benchmarks against the alternatives.",
    " What was the hardest part to build?",
    " Is there a roadmap somewhere?",
    " The Rust version is impressively fast.",
    " I tried it on my laptop and it just worked.",
    " Any plans for a plugin system?",
    " How are you testing the concurrency bits?",
];

const COMMENT_CLOSERS: &[&str] = &[
    "",
    " Keep shipping!",
    " Following for updates.",
    " Happy to help with docs.",
    " Great job.",
];

const REPLY_OPENERS: &[&str] = &[
    "Thanks!",
    "Good question.",
    "Appreciate it!",
    "Agreed.",
    "+1.",
];

const REPLY_BODIES: &[&str] = &[
    " I'll add benchmarks this week.",
    " It uses a bounded channel, so producers slow down.",
    " Not yet, but it's on the roadmap.",
    " PRs welcome!",
    " I had the same question.",
    " Check the docs folder, there's a guide.",
    " Rewriting that part in Rust made a big difference.",
];

const BADGE_TYPES: &[&str] = &["code_quality", "innovation", "impact", "design", "security"];

const NOTES_CODE: &[&str] = &[
    "Clean module boundaries and thorough tests.",
    "Idiomatic code with great error handling.",
    "Easy to read, well documented.",
];

const NOTES_INNOVATION: &[&str] = &[
    "A fresh take on an old problem.",
    "Clever use of incremental computation.",
    "Haven't seen this approach before.",
];

const NOTES_IMPACT: &[&str] = &[
    "Already used by real teams.",
    "Solves a painful problem for many developers.",
    "Measurable performance wins.",
];

const NOTES_DESIGN: &[&str] = &[
    "Polished, accessible interface.",
    "Thoughtful onboarding and empty states.",
    "Consistent and calm visual design.",
];

const NOTES_SECURITY: &[&str] = &[
    "Careful input validation and safe defaults.",
    "Secrets handled properly; dependencies audited.",
    "Threat model documented in the README.",
];

/// (name, category); the first two are always present, the rest shuffled.
const CHAIN_NAMES: &[(&str, &str)] = &[
    ("Rust Builders", "devtools"),
    ("AI Tinkerers", "ai"),
    ("Indie Hackers Guild", "other"),
    ("Web Performance Club", "web"),
    ("Postgres Enthusiasts", "data"),
    ("Open Source Maintainers", "devtools"),
    ("Hardware Hackers", "hardware"),
    ("Game Jam Crew", "games"),
    ("Fintech Founders", "fintech"),
    ("Security Researchers", "security"),
    ("Mobile Makers", "mobile"),
    ("Data Engineering Circle", "data"),
    ("Kubernetes Operators", "infra"),
    ("WebAssembly Pioneers", "web"),
    ("LLM Builders", "ai"),
    ("Functional Programmers", "devtools"),
    ("Elixir Alchemists", "web"),
    ("Go Gophers", "infra"),
    ("Python Pros", "data"),
    ("TypeScript Crafters", "web"),
    ("Zig Zealots", "devtools"),
    ("Embedded Rustaceans", "hardware"),
    ("Self-Hosting Homelab", "infra"),
    ("DevOps Dojo", "infra"),
    ("Frontend Artisans", "web"),
    ("Design Engineers", "web"),
    ("Computer Vision Lab", "ai"),
    ("Robotics Garage", "hardware"),
    ("Climate Tech Builders", "other"),
    ("Edtech Makers", "other"),
    ("Privacy First", "security"),
    ("CTF Players", "security"),
    ("Cryptography Corner", "security"),
    ("Indie Game Devs", "games"),
    ("Procedural Generation", "games"),
    ("Retro Computing", "hardware"),
    ("Keyboard Builders", "hardware"),
    ("Open Data Collective", "data"),
    ("Analytics Engineers", "data"),
    ("MLOps Guild", "ai"),
    ("Prompt Engineers", "ai"),
    ("Startup Founders", "fintech"),
    ("Bootstrappers", "other"),
    ("Solo SaaS", "web"),
    ("No-Code Hackers", "other"),
    ("iOS Developers", "mobile"),
    ("Android Developers", "mobile"),
    ("Flutter Friends", "mobile"),
    ("React Native Crew", "mobile"),
    ("Payments Engineers", "fintech"),
    ("DeFi Builders", "fintech"),
    ("Quant Coders", "fintech"),
    ("Compiler Nerds", "devtools"),
    ("Database Internals", "data"),
    ("Distributed Systems Reading Group", "infra"),
    ("SRE Stories", "infra"),
    ("Accessibility Advocates", "web"),
    ("Technical Writers", "other"),
    ("Hackathon Winners", "other"),
    ("First-Time Contributors", "devtools"),
    ("CLI Craft", "devtools"),
    ("Audio Programming", "other"),
    ("Creative Coding", "other"),
    ("Bioinformatics Builders", "data"),
    ("Space Tech", "hardware"),
    ("IoT Makers", "hardware"),
    ("Browser Extension Builders", "web"),
    ("API Designers", "web"),
    ("Observability Nerds", "infra"),
    ("Edge Computing", "infra"),
];

const CHAIN_DESC_1: &[&str] = &[
    "A community for ",
    "The home of ",
    "A friendly place for ",
    "A chain for ",
];

const CHAIN_DESC_2: &[&str] = &[
    "Share what you are building, ask questions and find collaborators.",
    "Weekly demo threads, code reviews and honest feedback.",
    "Post your projects, get badges from validators and meet investors.",
    "Beginners welcome: ask anything, show everything.",
];

const POST_QUESTION: &[&str] = &[
    "How do you handle ",
    "Best resources for ",
    "Anyone experienced with ",
    "Struggling with ",
];

const POST_DISCUSSION: &[&str] = &[
    "Thoughts on ",
    "Hot take: we overthink ",
    "Lessons learned from ",
    "Weekly thread: ",
];

const POST_SHOWCASE: &[&str] = &["Show: I built a ", "Launched: a ", "Feedback wanted on my "];

const POST_ANNOUNCEMENT: &[&str] = &[
    "Welcome! Read this before posting",
    "Monthly demo day: sign-ups open",
    "Community guidelines update",
    "New moderators joining the team",
];

const POST_TOPICS: &[&str] = &[
    "error handling",
    "async runtimes",
    "deploying to the edge",
    "database migrations",
    "testing strategies",
    "pricing a side project",
    "finding first users",
    "writing good docs",
    "observability",
    "memory leaks",
    "CI pipelines",
    "onboarding contributors",
    "fine-tuning small models",
    "vector search",
    "state management",
    "learning Rust",
];

const POST_BODY_1: &[&str] = &[
    "I've been thinking about this for a while.",
    "Context: small team, tight deadlines.",
    "Long-time lurker, first post here.",
    "Sharing in case it helps someone.",
    "Quick one today.",
];

const POST_BODY_2: &[&str] = &[
    " We tried two approaches and both had trade-offs.",
    " The Rust ecosystem has great tooling for this, but the learning curve is real.",
    " Our current setup works but feels fragile.",
    " I wrote up notes in the README.",
    " Benchmarks are in the repo if you want to dig in.",
];

const POST_BODY_3: &[&str] = &[
    " What has worked for you?",
    " Would love feedback.",
    " Links and resources welcome.",
    " Happy to answer questions.",
    " Let's discuss below.",
];

const FORUM_REPLY_1: &[&str] = &[
    "Great point.",
    "We had the same problem.",
    "Thanks for sharing!",
    "Interesting.",
    "Hard agree.",
    "I respectfully disagree.",
];

const FORUM_REPLY_2: &[&str] = &[
    " We ended up using a queue and it fixed most issues.",
    " Have you looked at the official docs on this?",
    " Bookmarking this thread.",
    " A small benchmark would settle it.",
    " I can share our config if useful.",
    " This is why I love this chain.",
];

const DM_OPENERS: &[&str] = &[
    "Hey!",
    "Hi there,",
    "Hello!",
    "Thanks for the follow!",
    "Quick question:",
];

const DM_BODIES: &[&str] = &[
    " I saw your project on the feed and loved it.",
    " Would you be up for a quick call this week?",
    " Are you open to collaborating on the next version?",
    " How did you set up your CI for the Rust crate?",
    " Thanks for the feedback on my project, I pushed a fix.",
    " Do you have a demo link I could share with my team?",
    " Let me know if you want an intro to the folks in our chain.",
];

const DM_CLOSERS: &[&str] = &["", " Cheers!", " Thanks!", " Talk soon.", " No rush."];

const COMPANY_WORDS: &[&str] = &[
    "Northwind",
    "Bluebird",
    "Granite",
    "Lighthouse",
    "Maple",
    "Harbor",
    "Summit",
    "Foundry",
    "Orbit",
    "Cedar",
    "Atlas",
    "Beacon",
    "Compass",
    "Keystone",
    "Redwood",
    "Tidal",
];

const COMPANY_KINDS: &[&str] = &[
    "Capital",
    "Ventures",
    "Partners",
    "Seed Fund",
    "Labs",
    "Angels",
];

const INVESTMENT_FOCUS: &[&str] = &[
    "Developer tools",
    "AI infrastructure",
    "Fintech",
    "Climate tech",
    "Open-source companies",
    "B2B SaaS",
    "Security",
    "Consumer mobile",
    "Data platforms",
    "Hardware",
];

const TICKET_SIZES: &[&str] = &[
    "$25k-$100k",
    "$50k-$250k",
    "$100k-$500k",
    "$250k-$1M",
    "$1M-$3M",
];

const INTRO_CLOSERS: &[&str] = &[
    "Would you be open to a 20-minute intro call?",
    "Could we set up a quick chat next week?",
    "I'd love to hear what you're planning next.",
    "Happy to share how we usually help founders at this stage.",
];

const REPORT_PROJECT: &[&str] = &[
    "Spam: the link points to an unrelated commercial site.",
    "This looks copied from another repository without credit.",
    "The proof-of-work link is broken.",
    "Misleading title; the project does something else.",
    "Duplicate of an existing project by the same user.",
];

const REPORT_COMMENT: &[&str] = &[
    "Rude and off-topic comment.",
    "Spam link in the comment.",
    "Harassment towards the project author.",
    "Self-promotion unrelated to the project.",
];

const REPORT_USER: &[&str] = &[
    "Impersonating a well-known developer.",
    "Creates spam projects repeatedly.",
    "Sends unsolicited promotional messages.",
];

const REPORT_POST: &[&str] = &[
    "Off-topic for this chain.",
    "Recruiting spam.",
    "Contains a phishing link.",
    "Duplicate post.",
];

const REPORT_FEEDBACK: &[&str] = &[
    "The search page could use filters by category.",
    "Love the new chains feature!",
    "Dark mode please.",
    "Notifications sometimes arrive late.",
    "It would be great to export my projects as JSON.",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn username_parts_fit_the_limit() {
        for list in [FIRST_NAMES, LAST_NAMES, NAME_ADJECTIVES, ANIMALS] {
            for word in list {
                assert!(word.len() <= 9, "{word} is too long for a username part");
                assert!(word.chars().all(|c| c.is_ascii_lowercase()), "{word}");
            }
        }
    }

    #[test]
    fn setseed_value_is_in_range_and_seed_dependent() {
        for seed in [0, 1, 42, u64::MAX] {
            let x = setseed_value(seed);
            assert!((-1.0..=1.0).contains(&x), "{x}");
        }
        assert_ne!(setseed_value(1), setseed_value(2));
    }

    #[test]
    fn chain_names_are_unique_case_insensitively() {
        let mut names: Vec<String> = CHAIN_NAMES.iter().map(|(n, _)| n.to_lowercase()).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), CHAIN_NAMES.len());
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
