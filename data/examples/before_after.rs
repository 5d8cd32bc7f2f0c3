//! A before/after table of the derived data, measured at the
//! data layer: for each page's main query, the read the app runs today from
//! a materialized view or a trigger-maintained table ("after") against the
//! equivalent live join over the base tables ("before"), in the same run,
//! on the same database, with the same cache state.
//!
//! * "after" is timed by calling the `data::` functions the pages call
//!   (`feed::page`, `leaderboard::projects` / `builders`,
//!   `dashboard::stats`, `chains::discovery`, `search::search`,
//!   `projects::details` + `live_counts` + `thread`), so the figures are the
//!   app's, including sqlx's decoding;
//! * "before" is the view's own defining SELECT (migration
//!   `20261125000021_views.sql`), restricted, ordered and limited the way
//!   the page reads the view; for the dashboard, `count(*)` subqueries over
//!   the base tables for one user (the definitions of docs/DERIVED-DATA.md);
//!   for search, `to_tsvector` over the base rows at query time and the
//!   app's own ranking;
//! * before measuring, every view is refreshed and nothing writes; each
//!   page then asserts that both variants return the same rows (ids in the
//!   same order, the same counts). A mismatch stops the run with an error:
//!   that assertion is what makes the comparison honest, and it is the
//!   test of this program;
//! * the two variants are interleaved (A B, then B A, ...) after a warm-up,
//!   for `ITERS` iterations or `BUDGET_SECS` seconds per page (at least
//!   `MIN_ITERS`); it prints the median and p95 of each, their ratio, the
//!   number of statements, and from `EXPLAIN (ANALYZE, BUFFERS)` of one
//!   execution of each statement the rows its scans read and the shared
//!   buffers (hit + read) it touched.
//!
//! Run (a release build; it creates `proofwork_bench_<scale>` databases on
//! the server of `DATABASE_URL`, seeds them once and reuses them, as
//! `engine_bench` does):
//!
//! ```sh
//! DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
//!   cargo run --release -p data --example before_after
//! ```
//!
//! Settings (environment): `SCALES` (default `1,10`), `ITERS` (40),
//! `MIN_ITERS` (5), `BUDGET_SECS` (40), `PREPARE_ONLY` (seed and exit).

use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{ensure, Context};
use data::refresher::{refresh_now, TriggeredBy};
use data::seed::{self, SeedOptions};
use serde_json::Value;
use sqlx::postgres::{PgArguments, PgConnectOptions, PgPoolOptions, PgRow};
use sqlx::query::Query;
use sqlx::{ConnectOptions, Connection, PgPool, Postgres, Row};
use uuid::Uuid;

struct Settings {
    base: PgConnectOptions,
    scales: Vec<f64>,
    iters: usize,
    min_iters: usize,
    budget: Duration,
    prepare_only: bool,
}

fn env_or<T: FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let url = std::env::var("DATABASE_URL").context("DATABASE_URL is not set")?;
    let s = Settings {
        base: url.parse()?,
        scales: std::env::var("SCALES")
            .unwrap_or_else(|_| "1,10".into())
            .split(',')
            .map(|s| s.trim().parse())
            .collect::<Result<_, _>>()
            .context("SCALES: a comma-separated list of numbers")?,
        iters: env_or("ITERS", 40),
        min_iters: env_or("MIN_ITERS", 5),
        budget: Duration::from_secs(env_or("BUDGET_SECS", 40)),
        prepare_only: std::env::var("PREPARE_ONLY").is_ok_and(|v| v == "1"),
    };
    if !s.prepare_only {
        println!("# Before/after: views and trigger tables vs live joins\n");
        println!(
            "{} iterations per page (at most {} s, at least {}), interleaved, after a warm-up; {} cores; started {}\n",
            s.iters,
            s.budget.as_secs(),
            s.min_iters,
            std::thread::available_parallelism().map_or(0, |n| n.get()),
            time::OffsetDateTime::now_utc()
        );
    }
    for &scale in &s.scales {
        let db = format!("proofwork_bench_{}", scale.to_string().replace('.', "_"));
        let pool = prepare(&s.base, &db, scale).await?;
        if !s.prepare_only {
            bench_scale(&s, &pool, &db, scale).await?;
        }
        pool.close().await;
    }
    Ok(())
}

async fn prepare(base: &PgConnectOptions, db: &str, scale: f64) -> anyhow::Result<PgPool> {
    let mut admin = base.clone().connect().await?;
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
        .max_connections(4)
        .connect_with(base.clone().database(db).application_name("before_after"))
        .await?;
    data::db::migrate(&pool).await?;
    if seed::is_empty(&pool).await? {
        eprintln!("seeding {db} at scale {scale} (once; later runs reuse it)");
        let started = Instant::now();
        seed::seed(&pool, &SeedOptions { scale, seed: 42 }, &|_| {}).await?;
        eprintln!("seeded in {:.0} s", started.elapsed().as_secs_f64());
        sqlx::query("VACUUM ANALYZE").execute(&pool).await?;
    }
    Ok(pool)
}

// ------------------------------------------------------------ statements --

/// A bound parameter of a statement.
#[derive(Clone, Debug)]
enum P {
    Uuid(Uuid),
    UuidArray(Vec<Uuid>),
    Text(String),
    Int(i64),
    NullText,
    NullFloat,
    NullInt,
    NullUuid,
    NullTime,
}

/// One SQL statement with its parameters.
#[derive(Clone, Debug)]
struct Stmt {
    sql: String,
    params: Vec<P>,
}

fn stmt(sql: impl Into<String>, params: Vec<P>) -> Stmt {
    Stmt {
        sql: sql.into(),
        params,
    }
}

fn bind_all<'q>(
    mut q: Query<'q, Postgres, PgArguments>,
    params: &'q [P],
) -> Query<'q, Postgres, PgArguments> {
    for p in params {
        q = match p {
            P::Uuid(v) => q.bind(*v),
            P::UuidArray(v) => q.bind(v.as_slice()),
            P::Text(v) => q.bind(v.as_str()),
            P::Int(v) => q.bind(*v),
            P::NullText => q.bind(None::<String>),
            P::NullFloat => q.bind(None::<f64>),
            P::NullInt => q.bind(None::<i64>),
            P::NullUuid => q.bind(None::<Uuid>),
            P::NullTime => q.bind(None::<time::OffsetDateTime>),
        };
    }
    q
}

async fn run(pool: &PgPool, s: &Stmt) -> anyhow::Result<Vec<PgRow>> {
    bind_all(sqlx::query(&s.sql), &s.params)
        .fetch_all(pool)
        .await
        .with_context(|| format!("running {}", s.sql))
}

/// Rows the scans of one execution read (actual rows x loops of every scan
/// node) and shared buffers touched (hit + read), from
/// `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)`.
#[derive(Clone, Copy, Default, Debug)]
struct Cost {
    rows_read: f64,
    buffers: i64,
}

async fn explain(pool: &PgPool, s: &Stmt) -> anyhow::Result<Cost> {
    let sql = format!("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {}", s.sql);
    let row = bind_all(sqlx::query(&sql), &s.params)
        .fetch_one(pool)
        .await
        .with_context(|| format!("explaining {}", s.sql))?;
    let json: Value = row.try_get(0)?;
    let plan = &json[0]["Plan"];
    let mut rows_read = 0.0;
    scan_rows(plan, &mut rows_read);
    let buffers = plan["Shared Hit Blocks"].as_i64().unwrap_or(0)
        + plan["Shared Read Blocks"].as_i64().unwrap_or(0);
    Ok(Cost { rows_read, buffers })
}

fn scan_rows(node: &Value, total: &mut f64) {
    let kind = node["Node Type"].as_str().unwrap_or("");
    if kind.ends_with("Scan") && !matches!(kind, "Subquery Scan" | "CTE Scan" | "Function Scan") {
        let rows = node["Actual Rows"].as_f64().unwrap_or(0.0);
        let loops = node["Actual Loops"].as_f64().unwrap_or(1.0);
        // A bitmap index scan's rows are fetched again by its heap scan.
        if kind != "Bitmap Index Scan" {
            *total += rows * loops;
        }
    }
    if let Some(children) = node["Plans"].as_array() {
        for c in children {
            scan_rows(c, total);
        }
    }
}

// ------------------------------------------------------- live-join SQL --

/// Feed, live: the defining SELECT of `mv_feed_projects` (same columns,
/// same trending expression), filtered, ordered and limited as
/// `feed::page` reads the view. `{where}` and `{order}` are filled in.
const FEED_LIVE: &str = "\
SELECT p.id, p.title, p.image_url, p.category, p.is_featured, p.created_at, p.user_id,
       u.username, p.proof_score,
       COALESCE(c.top_level, 0) AS comment_count,
       COALESCE(c.total, 0) AS total_comment_count,
       COALESCE(v.upvotes, 0) AS upvote_count,
       COALESCE(b.badges, 0) AS badge_count,
       COALESCE(b.types, '{}'::text[]) AS badge_types,
       (p.proof_score * 0.5
           + COALESCE(c.total, 0) * 2
           + COALESCE(v.upvotes, 0) * 1.5
           + extract(epoch FROM p.created_at - timestamptz '2026-01-01 00:00:00+00') / 3600 * 0.1
       )::double precision AS trending_score
FROM projects p
JOIN users u ON u.id = p.user_id
LEFT JOIN (
    SELECT project_id, count(*) AS total, count(*) FILTER (WHERE parent_id IS NULL) AS top_level
    FROM comments GROUP BY project_id
) c ON c.project_id = p.id
LEFT JOIN (
    SELECT project_id, count(*) AS upvotes FROM upvotes WHERE is_upvote GROUP BY project_id
) v ON v.project_id = p.id
LEFT JOIN (
    SELECT project_id, count(*) AS badges, array_agg(DISTINCT badge_type ORDER BY badge_type) AS types
    FROM validation_badges GROUP BY project_id
) b ON b.project_id = p.id
WHERE NOT p.is_deleted {where}
ORDER BY {order} LIMIT $1";

/// Projects leaderboard, live: the defining SELECT of
/// `mv_leaderboard_projects`, first page as `leaderboard::projects` reads it.
const LEADERBOARD_PROJECTS_LIVE: &str = "\
SELECT rank, id, title, category, proof_score, username, badge_count, comment_count, upvote_count
FROM (
    SELECT
        row_number() OVER (ORDER BY p.proof_score DESC, p.created_at, p.id) AS rank,
        p.id, p.title, p.category, p.proof_score, u.username,
        COALESCE(b.badges, 0) AS badge_count,
        COALESCE(c.total, 0) AS comment_count,
        COALESCE(v.upvotes, 0) AS upvote_count
    FROM projects p
    JOIN users u ON u.id = p.user_id
    LEFT JOIN (SELECT project_id, count(*) AS badges FROM validation_badges GROUP BY project_id) b
        ON b.project_id = p.id
    LEFT JOIN (SELECT project_id, count(*) AS total FROM comments GROUP BY project_id) c
        ON c.project_id = p.id
    LEFT JOIN (SELECT project_id, count(*) AS upvotes FROM upvotes WHERE is_upvote GROUP BY project_id) v
        ON v.project_id = p.id
    WHERE NOT p.is_deleted AND p.proof_score > 0
) ranked
WHERE rank > $1 ORDER BY rank LIMIT $2";

/// Builders leaderboard, live: the defining SELECT of
/// `mv_leaderboard_builders`, first page as `leaderboard::builders` reads it.
const LEADERBOARD_BUILDERS_LIVE: &str = "\
SELECT rank, id, username, is_verified, role, total_karma, total_proof_score,
       upvotes_received, project_count, badges_received, badges_given
FROM (
    SELECT row_number() OVER (ORDER BY s.total_karma DESC, s.created_at, s.id) AS rank, s.*
    FROM (
        SELECT u.id, u.username, u.is_verified, u.role, u.created_at,
               COALESCE(lp.proof_score, 0) + COALESCE(lp.upvotes, 0) AS total_karma,
               COALESCE(lp.proof_score, 0) AS total_proof_score,
               COALESCE(lp.upvotes, 0) AS upvotes_received,
               COALESCE(lp.projects, 0) AS project_count,
               COALESCE(lp.badges, 0) AS badges_received,
               COALESCE(bg.badges, 0) AS badges_given,
               COALESCE(cm.comments, 0) AS comment_count
        FROM users u
        LEFT JOIN (
            SELECT p.user_id,
                   count(*) AS projects,
                   sum(p.proof_score)::bigint AS proof_score,
                   sum(COALESCE(v.upvotes, 0))::bigint AS upvotes,
                   sum(COALESCE(b.badges, 0))::bigint AS badges
            FROM projects p
            LEFT JOIN (SELECT project_id, count(*) AS upvotes FROM upvotes WHERE is_upvote GROUP BY project_id) v
                ON v.project_id = p.id
            LEFT JOIN (SELECT project_id, count(*) AS badges FROM validation_badges GROUP BY project_id) b
                ON b.project_id = p.id
            WHERE NOT p.is_deleted
            GROUP BY p.user_id
        ) lp ON lp.user_id = u.id
        LEFT JOIN (SELECT validator_id, count(*) AS badges FROM validation_badges GROUP BY validator_id) bg
            ON bg.validator_id = u.id
        LEFT JOIN (SELECT user_id, count(*) AS comments FROM comments GROUP BY user_id) cm
            ON cm.user_id = u.id
        WHERE u.is_active
    ) s
) ranked
WHERE rank > $1 ORDER BY rank LIMIT $2";

/// Dashboard, live: every counter of `user_dashboard_stats` for one user as
/// a `count(*)` (or sum) subquery over the base tables, by the definitions
/// of docs/DERIVED-DATA.md (proof score from the badge weights, as the
/// reconciler computes it).
const DASHBOARD_LIVE: &str = "\
SELECT
    (SELECT count(*) FROM projects WHERE user_id = $1)::int AS project_count,
    (SELECT count(*) FROM projects WHERE user_id = $1 AND NOT is_deleted)::int AS active_projects,
    (SELECT COALESCE(sum(badge_weight(b.badge_type)), 0) FROM validation_badges b
        JOIN projects p ON p.id = b.project_id
        WHERE p.user_id = $1 AND NOT p.is_deleted)::int AS total_proof_score,
    (SELECT COALESCE(sum(badge_weight(b.badge_type)), 0) FROM validation_badges b
        JOIN projects p ON p.id = b.project_id
        WHERE p.user_id = $1 AND NOT p.is_deleted)::int
      + (SELECT count(*) FROM upvotes v JOIN projects p ON p.id = v.project_id
        WHERE p.user_id = $1 AND NOT p.is_deleted AND v.is_upvote)::int AS karma_score,
    (SELECT count(*) FROM comments WHERE user_id = $1)::int AS comment_count,
    (SELECT count(*) FROM validation_badges WHERE validator_id = $1)::int AS badges_given,
    (SELECT count(*) FROM validation_badges b JOIN projects p ON p.id = b.project_id
        WHERE p.user_id = $1 AND NOT p.is_deleted)::int AS badges_received,
    (SELECT count(*) FROM intro_requests WHERE investor_id = $1)::int AS intros_sent,
    (SELECT count(*) FROM intro_requests WHERE builder_id = $1)::int AS intros_received,
    (SELECT count(*) FROM intro_requests WHERE builder_id = $1 AND status = 'pending')::int
        AS intro_requests_pending,
    (SELECT count(*) FROM direct_messages WHERE recipient_id = $1 AND NOT is_read)::int
        AS unread_messages,
    (SELECT count(*) FROM notifications WHERE user_id = $1 AND NOT is_read)::int
        AS unread_notifications";

/// The app's read of the dashboard (`dashboard::stats`), for EXPLAIN.
const DASHBOARD_VIEW: &str = "\
SELECT project_count, active_projects, total_proof_score, karma_score, comment_count,
       badges_given, badges_received, intros_sent, intros_received, intro_requests_pending,
       unread_messages, unread_notifications
FROM user_dashboard_stats WHERE user_id = $1";

/// Chains discovery, live: the defining SELECT of `mv_chains_discovery`,
/// public chains, trending first, as `chains::discovery` reads the view.
const CHAINS_LIVE: &str = "\
SELECT c.id, c.name, c.description, c.image_url, c.category, c.is_public, c.is_featured,
       c.created_at, c.creator_id, u.username AS creator_username,
       COALESCE(f.followers, 0) AS follower_count,
       COALESCE(pj.projects, 0) AS project_count,
       COALESCE(ps.posts, 0) AS post_count,
       (COALESCE(f.followers, 0) * 0.3
           + COALESCE(pj.projects, 0) * 0.6
           + COALESCE(ps.recent, 0) * 0.1
       )::double precision AS trending_score
FROM chains c
JOIN users u ON u.id = c.creator_id
LEFT JOIN (SELECT chain_id, count(*) AS followers FROM chain_followers GROUP BY chain_id) f
    ON f.chain_id = c.id
LEFT JOIN (
    SELECT cp.chain_id, count(*) AS projects
    FROM chain_projects cp JOIN projects p ON p.id = cp.project_id
    WHERE NOT p.is_deleted
    GROUP BY cp.chain_id
) pj ON pj.chain_id = c.id
LEFT JOIN (
    SELECT chain_id, count(*) AS posts,
           count(*) FILTER (WHERE created_at > now() - interval '7 days') AS recent
    FROM chain_posts WHERE NOT is_deleted GROUP BY chain_id
) ps ON ps.chain_id = c.id
WHERE c.is_active AND c.is_public
ORDER BY trending_score DESC, c.id DESC LIMIT $1";

/// The defining SELECT of `mv_search_index`: vectors computed at query time.
const SEARCH_INDEX_LIVE: &str = "(
SELECT 'project'::text AS result_type, p.id, p.title AS name, p.description,
       u.username AS creator_username, p.proof_score::bigint AS relevance_score,
       setweight(to_tsvector('english', p.title), 'A')
           || setweight(to_tsvector('english', p.description), 'B')
           || setweight(to_tsvector('english', u.username), 'C') AS search_vector
FROM projects p JOIN users u ON u.id = p.user_id
WHERE NOT p.is_deleted
UNION ALL
SELECT 'user'::text, u.id, u.username, u.bio, u.username, COALESCE(pc.projects, 0),
       setweight(to_tsvector('english', u.username), 'A')
           || setweight(to_tsvector('english', u.bio), 'B')
FROM users u
LEFT JOIN (SELECT user_id, count(*) AS projects FROM projects WHERE NOT is_deleted GROUP BY user_id) pc
    ON pc.user_id = u.id
WHERE u.is_active
UNION ALL
SELECT 'chain'::text, c.id, c.name, c.description, u.username, COALESCE(f.followers, 0),
       setweight(to_tsvector('english', c.name), 'A')
           || setweight(to_tsvector('english', c.description), 'B')
FROM chains c
JOIN users u ON u.id = c.creator_id
LEFT JOIN (SELECT chain_id, count(*) AS followers FROM chain_followers GROUP BY chain_id) f
    ON f.chain_id = c.id
WHERE c.is_active AND c.is_public
)";

/// `search::search`'s statement (first page, no type filter), with the
/// searched relation left open: `mv_search_index` for the app's read (for
/// EXPLAIN), [`SEARCH_INDEX_LIVE`] for the live one.
fn search_sql(source: &str) -> String {
    format!(
        "WITH q AS MATERIALIZED (SELECT websearch_to_tsquery('english', $1) AS tsq), \
        m AS ( \
            SELECT s.result_type, s.id, s.name, s.description, s.creator_username, \
                   s.relevance_score, \
                   ts_rank(s.search_vector, q.tsq)::float8 \
                     + CASE WHEN $1 <% s.name THEN word_similarity($1, s.name)::float8 * 0.5 \
                            ELSE 0 END AS score \
            FROM {source} s, q \
            WHERE s.search_vector @@ q.tsq OR $1 <% s.name \
        ), \
        f AS ( \
            SELECT m.*, \
                count(*) FILTER (WHERE m.result_type = 'project') OVER () AS n_project, \
                count(*) FILTER (WHERE m.result_type = 'user') OVER () AS n_user, \
                count(*) FILTER (WHERE m.result_type = 'chain') OVER () AS n_chain \
            FROM m \
        ), \
        page AS ( \
            SELECT * FROM f \
            WHERE ($2::text IS NULL OR f.result_type = $2) \
              AND ($3::float8 IS NULL \
                   OR (f.score, f.relevance_score, f.result_type, f.id) < ($3, $4, $5, $6)) \
            ORDER BY f.score DESC, f.relevance_score DESC, f.result_type DESC, f.id DESC \
            LIMIT $7 \
        ) \
        SELECT page.result_type, page.id, page.name, page.creator_username, \
               page.relevance_score, page.score, page.n_project, page.n_user, page.n_chain, \
               ts_headline('english', translate(page.name, $8, ''), q.tsq, $9) AS name_marked, \
               ts_headline('english', translate(page.description, $8, ''), q.tsq, $10) \
                   AS snippet \
        FROM page, q \
        ORDER BY page.score DESC, page.relevance_score DESC, page.result_type DESC, page.id DESC"
    )
}

fn search_params(text: &str) -> Vec<P> {
    let marks: String = [data::search::MARK_START, data::search::MARK_END]
        .iter()
        .collect();
    vec![
        P::Text(text.into()),
        P::NullText,
        P::NullFloat,
        P::NullInt,
        P::NullText,
        P::NullUuid,
        P::Int(data::search::PAGE_SIZE + 1),
        P::Text(marks),
        P::Text(format!(
            "StartSel=\"{}\", StopSel=\"{}\", HighlightAll=true",
            data::search::MARK_START,
            data::search::MARK_END
        )),
        P::Text(format!(
            "StartSel=\"{}\", StopSel=\"{}\", MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=\" … \"",
            data::search::MARK_START,
            data::search::MARK_END
        )),
    ]
}

/// Project page, live: the defining SELECT of `mv_project_details` for one
/// project (the page's counts come with it, so no separate live count).
const PROJECT_LIVE: &str = "\
SELECT p.id, p.title, p.description, p.proof_of_work_link, p.image_url, p.category,
       p.is_featured, p.created_at, p.proof_score, p.user_id, u.username, u.profile_image,
       u.bio AS creator_bio, u.is_verified,
       COALESCE(c.top_level, 0) AS comment_count,
       COALESCE(c.total, 0) AS total_comment_count,
       COALESCE(v.upvotes, 0) AS upvote_count,
       COALESCE(b.badges, 0) AS badge_count,
       COALESCE(b.badges_json, '[]'::jsonb) AS badges_json,
       COALESCE(ch.chains_json, '[]'::jsonb) AS chains_json
FROM projects p
JOIN users u ON u.id = p.user_id
LEFT JOIN (
    SELECT project_id, count(*) AS total, count(*) FILTER (WHERE parent_id IS NULL) AS top_level
    FROM comments GROUP BY project_id
) c ON c.project_id = p.id
LEFT JOIN (
    SELECT project_id, count(*) AS votes, count(*) FILTER (WHERE is_upvote) AS upvotes
    FROM upvotes GROUP BY project_id
) v ON v.project_id = p.id
LEFT JOIN (
    SELECT vb.project_id, count(*) AS badges,
           jsonb_agg(jsonb_build_object(
               'id', vb.id, 'badge_type', vb.badge_type, 'note', vb.note,
               'validator_id', vb.validator_id, 'validator_username', val.username,
               'created_at', to_char(vb.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')
           ) ORDER BY vb.created_at, vb.id) AS badges_json
    FROM validation_badges vb JOIN users val ON val.id = vb.validator_id
    GROUP BY vb.project_id
) b ON b.project_id = p.id
LEFT JOIN (
    SELECT cp.project_id,
           jsonb_agg(jsonb_build_object('id', ch.id, 'name', ch.name, 'image_url', ch.image_url)
                     ORDER BY ch.name, ch.id) AS chains_json
    FROM chain_projects cp JOIN chains ch ON ch.id = cp.chain_id
    WHERE ch.is_public AND ch.is_active
    GROUP BY cp.project_id
) ch ON ch.project_id = p.id
WHERE p.id = $1 AND NOT p.is_deleted";

/// The app's reads of the project page, for EXPLAIN (`projects::details`,
/// `projects::live_counts`, the two statements of `projects::thread`).
const PROJECT_VIEW: &str = "\
SELECT d.id, d.title, d.description, d.proof_of_work_link, d.image_url, d.category,
       d.is_featured, d.created_at, d.proof_score, d.user_id, d.username,
       d.profile_image, d.creator_bio, d.is_verified, d.comment_count,
       d.total_comment_count, d.upvote_count, d.badge_count, d.badges_json, d.chains_json
FROM mv_project_details d
WHERE d.id = $1 AND EXISTS (SELECT 1 FROM projects p WHERE p.id = d.id AND NOT p.is_deleted)";

const PROJECT_LIVE_COUNTS: &str = "\
SELECT p.id,
    (SELECT count(*) FROM upvotes u WHERE u.project_id = p.id AND u.is_upvote) AS upvote_count,
    (SELECT count(*) FROM comments c WHERE c.project_id = p.id AND c.parent_id IS NULL)
        AS comment_count,
    (SELECT count(*) FROM comments c WHERE c.project_id = p.id) AS total_comment_count
FROM unnest($1::uuid[]) AS p(id)";

const THREAD_TOP: &str = "\
SELECT c.id, c.parent_id, c.user_id, u.username, c.content, c.is_edited, c.created_at
FROM comments c JOIN users u ON u.id = c.user_id
WHERE c.project_id = $1 AND c.parent_id IS NULL
  AND ($2::timestamptz IS NULL OR (c.created_at, c.id) < ($2, $3))
ORDER BY c.created_at DESC, c.id DESC LIMIT $4";

const THREAD_REPLIES: &str = "\
WITH RECURSIVE t AS (
    SELECT c.id, c.parent_id, c.user_id, c.content, c.is_edited, c.created_at, 1 AS depth
    FROM comments c WHERE c.parent_id = ANY($1)
    UNION ALL
    SELECT c.id, c.parent_id, c.user_id, c.content, c.is_edited, c.created_at, t.depth + 1
    FROM comments c JOIN t ON c.parent_id = t.id WHERE t.depth < 50
)
SELECT t.id, t.parent_id, t.user_id, u.username, t.content, t.is_edited, t.created_at
FROM t JOIN users u ON u.id = t.user_id
ORDER BY t.created_at, t.id LIMIT $2";

// ----------------------------------------------------------------- pages --

/// What a page's read returned, reduced to what must be equal: ids in
/// order and the counts shown.
type Fingerprint = Vec<String>;

#[derive(Clone, Copy, Debug)]
enum PageKind {
    FeedTrending,
    FeedTopWeek,
    LeaderboardProjects,
    LeaderboardBuilders,
    Dashboard(Uuid),
    Chains,
    Search,
    /// The project, and whether the first page of its thread is read too.
    Project(Uuid, bool),
}

struct Page {
    name: String,
    kind: PageKind,
    /// Search text, for `PageKind::Search`.
    text: String,
    /// The live statements ("before").
    before: Vec<Stmt>,
    /// The app's statements ("after"), for EXPLAIN and to check that they
    /// are what the data:: functions run.
    after: Vec<Stmt>,
}

fn feed_fp_row(r: &PgRow) -> anyhow::Result<String> {
    Ok(format!(
        "{} up={} c={}/{} b={}",
        r.try_get::<Uuid, _>("id")?,
        r.try_get::<i64, _>("upvote_count")?,
        r.try_get::<i64, _>("comment_count")?,
        r.try_get::<i64, _>("total_comment_count")?,
        r.try_get::<i64, _>("badge_count")?
    ))
}

fn lb_projects_fp_row(r: &PgRow) -> anyhow::Result<String> {
    Ok(format!(
        "#{} {} ps={} b={} c={} up={}",
        r.try_get::<i64, _>("rank")?,
        r.try_get::<Uuid, _>("id")?,
        r.try_get::<i32, _>("proof_score")?,
        r.try_get::<i64, _>("badge_count")?,
        r.try_get::<i64, _>("comment_count")?,
        r.try_get::<i64, _>("upvote_count")?
    ))
}

fn lb_builders_fp_row(r: &PgRow) -> anyhow::Result<String> {
    Ok(format!(
        "#{} {} k={} ps={} up={} p={} br={} bg={}",
        r.try_get::<i64, _>("rank")?,
        r.try_get::<Uuid, _>("id")?,
        r.try_get::<i64, _>("total_karma")?,
        r.try_get::<i64, _>("total_proof_score")?,
        r.try_get::<i64, _>("upvotes_received")?,
        r.try_get::<i64, _>("project_count")?,
        r.try_get::<i64, _>("badges_received")?,
        r.try_get::<i64, _>("badges_given")?
    ))
}

const DASHBOARD_COLUMNS: [&str; 12] = [
    "project_count",
    "active_projects",
    "total_proof_score",
    "karma_score",
    "comment_count",
    "badges_given",
    "badges_received",
    "intros_sent",
    "intros_received",
    "intro_requests_pending",
    "unread_messages",
    "unread_notifications",
];

fn dashboard_fp_row(r: &PgRow) -> anyhow::Result<String> {
    let mut out = Vec::new();
    for c in DASHBOARD_COLUMNS {
        out.push(format!("{c}={}", r.try_get::<i32, _>(c)?));
    }
    Ok(out.join(" "))
}

fn chains_fp_row(r: &PgRow) -> anyhow::Result<String> {
    Ok(format!(
        "{} f={} p={} posts={}",
        r.try_get::<Uuid, _>("id")?,
        r.try_get::<i64, _>("follower_count")?,
        r.try_get::<i64, _>("project_count")?,
        r.try_get::<i64, _>("post_count")?
    ))
}

fn search_fp_row(r: &PgRow) -> anyhow::Result<String> {
    Ok(format!(
        "{} {} n={}/{}/{}",
        r.try_get::<String, _>("result_type")?,
        r.try_get::<Uuid, _>("id")?,
        r.try_get::<i64, _>("n_project")?,
        r.try_get::<i64, _>("n_user")?,
        r.try_get::<i64, _>("n_chain")?
    ))
}

fn project_fp_row(r: &PgRow) -> anyhow::Result<String> {
    let badges: Value = r.try_get("badges_json")?;
    let chains: Value = r.try_get("chains_json")?;
    Ok(format!(
        "{} up={} c={}/{} b={} badges={} chains={}",
        r.try_get::<Uuid, _>("id")?,
        r.try_get::<i64, _>("upvote_count")?,
        r.try_get::<i64, _>("comment_count")?,
        r.try_get::<i64, _>("total_comment_count")?,
        r.try_get::<i64, _>("badge_count")?,
        ids_of(&badges),
        ids_of(&chains)
    ))
}

fn ids_of(v: &Value) -> String {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|x| x["id"].as_str().unwrap_or("?").to_string())
                .collect::<Vec<_>>()
                .join(",")
        })
        .unwrap_or_default()
}

fn thread_fp(t: &data::projects::Thread) -> Vec<String> {
    t.top_level
        .iter()
        .chain(&t.replies)
        .map(|c| format!("comment {}", c.id))
        .collect()
}

/// The first `limit` rows of a `LIMIT limit + 1` read, and whether there
/// was more (what the pages turn into a next-page cursor).
fn limit_plus_one(
    rows: Vec<PgRow>,
    limit: i64,
    f: fn(&PgRow) -> anyhow::Result<String>,
) -> anyhow::Result<Fingerprint> {
    let more = rows.len() as i64 > limit;
    let mut fp = rows_fp(&rows[..rows.len().min(limit as usize)], f)?;
    fp.push(format!("more={more}"));
    Ok(fp)
}

fn rows_fp(rows: &[PgRow], f: fn(&PgRow) -> anyhow::Result<String>) -> anyhow::Result<Fingerprint> {
    rows.iter().map(f).collect()
}

/// The page as the app reads it: the data:: functions, reduced to its
/// fingerprint.
async fn run_after(pool: &PgPool, page: &Page) -> anyhow::Result<Fingerprint> {
    use data::feed::{FeedQuery, Period, Tab};
    Ok(match page.kind {
        PageKind::FeedTrending | PageKind::FeedTopWeek => {
            let tab = match page.kind {
                PageKind::FeedTrending => Tab::Trending,
                _ => Tab::Top(Period::Week),
            };
            let p = data::feed::page(
                pool,
                &FeedQuery {
                    tab,
                    category: None,
                    after: None,
                    limit: data::feed::PAGE_SIZE,
                },
            )
            .await?;
            let mut fp: Fingerprint = p
                .cards
                .iter()
                .map(|c| {
                    format!(
                        "{} up={} c={}/{} b={}",
                        c.id, c.upvote_count, c.comment_count, c.total_comment_count, c.badge_count
                    )
                })
                .collect();
            fp.push(format!("more={}", p.next.is_some()));
            fp
        }
        PageKind::LeaderboardProjects => {
            let p = data::leaderboard::projects(pool, 0, data::leaderboard::PAGE_SIZE).await?;
            let mut fp: Fingerprint = p
                .rows
                .iter()
                .map(|r| {
                    format!(
                        "#{} {} ps={} b={} c={} up={}",
                        r.rank, r.id, r.proof_score, r.badge_count, r.comment_count, r.upvote_count
                    )
                })
                .collect();
            fp.push(format!("more={}", p.next.is_some()));
            fp
        }
        PageKind::LeaderboardBuilders => {
            let p = data::leaderboard::builders(pool, 0, data::leaderboard::PAGE_SIZE).await?;
            let mut fp: Fingerprint = p
                .rows
                .iter()
                .map(|r| {
                    format!(
                        "#{} {} k={} ps={} up={} p={} br={} bg={}",
                        r.rank,
                        r.id,
                        r.total_karma,
                        r.total_proof_score,
                        r.upvotes_received,
                        r.project_count,
                        r.badges_received,
                        r.badges_given
                    )
                })
                .collect();
            fp.push(format!("more={}", p.next.is_some()));
            fp
        }
        PageKind::Dashboard(user) => {
            let s = data::dashboard::stats(pool, user)
                .await?
                .context("no dashboard row")?;
            let values = [
                s.project_count,
                s.active_projects,
                s.total_proof_score,
                s.karma_score,
                s.comment_count,
                s.badges_given,
                s.badges_received,
                s.intros_sent,
                s.intros_received,
                s.intro_requests_pending,
                s.unread_messages,
                s.unread_notifications,
            ];
            vec![DASHBOARD_COLUMNS
                .iter()
                .zip(values)
                .map(|(c, v)| format!("{c}={v}"))
                .collect::<Vec<_>>()
                .join(" ")]
        }
        PageKind::Chains => {
            let p = data::chains::discovery(
                pool,
                &data::chains::DiscoveryQuery {
                    tab: data::chains::Tab::Trending,
                    category: None,
                    after: None,
                    limit: data::chains::PAGE_SIZE,
                },
            )
            .await?;
            let mut fp: Fingerprint = p
                .chains
                .iter()
                .map(|c| {
                    format!(
                        "{} f={} p={} posts={}",
                        c.id, c.follower_count, c.project_count, c.post_count
                    )
                })
                .collect();
            fp.push(format!("more={}", p.next.is_some()));
            fp
        }
        PageKind::Search => {
            let p = data::search::search(pool, &page.text, None, None).await?;
            let mut fp: Fingerprint = p
                .hits
                .iter()
                .map(|h| {
                    format!(
                        "{} {} n={}/{}/{}",
                        h.result_type, h.id, p.counts.project, p.counts.user, p.counts.chain
                    )
                })
                .collect();
            fp.push(format!("more={}", p.next.is_some()));
            fp
        }
        PageKind::Project(id, with_thread) => {
            let d = data::projects::details(pool, id)
                .await?
                .context("project not in the view")?;
            let live = data::projects::live_counts(pool, &[id]).await?;
            let l = live.first().context("no live counts")?;
            // The page shows the live counts over the view's.
            let badge_ids = d
                .badges_json
                .0
                .iter()
                .map(|b| b.id.to_string())
                .collect::<Vec<_>>()
                .join(",");
            let chain_ids = d
                .chains_json
                .0
                .iter()
                .map(|c| c.id.to_string())
                .collect::<Vec<_>>()
                .join(",");
            let mut fp = vec![format!(
                "{} up={} c={}/{} b={} badges={} chains={}",
                d.id,
                l.upvote_count,
                l.comment_count,
                l.total_comment_count,
                d.badge_count,
                badge_ids,
                chain_ids
            )];
            if with_thread {
                let t = data::projects::thread(pool, id, None).await?;
                fp.extend(thread_fp(&t));
            }
            fp
        }
    })
}

/// The page as live joins: the page's "before" statements.
async fn run_before(pool: &PgPool, page: &Page) -> anyhow::Result<Fingerprint> {
    let first = run(pool, &page.before[0]).await?;
    Ok(match page.kind {
        PageKind::FeedTrending | PageKind::FeedTopWeek => {
            limit_plus_one(first, data::feed::PAGE_SIZE, feed_fp_row)?
        }
        PageKind::LeaderboardProjects => {
            limit_plus_one(first, data::leaderboard::PAGE_SIZE, lb_projects_fp_row)?
        }
        PageKind::LeaderboardBuilders => {
            limit_plus_one(first, data::leaderboard::PAGE_SIZE, lb_builders_fp_row)?
        }
        PageKind::Dashboard(_) => rows_fp(&first, dashboard_fp_row)?,
        PageKind::Chains => limit_plus_one(first, data::chains::PAGE_SIZE, chains_fp_row)?,
        PageKind::Search => limit_plus_one(first, data::search::PAGE_SIZE, search_fp_row)?,
        PageKind::Project(id, with_thread) => {
            let mut fp = rows_fp(&first, project_fp_row)?;
            if with_thread {
                // The thread is read live by the app too: the same function.
                let t = data::projects::thread(pool, id, None).await?;
                fp.extend(thread_fp(&t));
            }
            fp
        }
    })
}

/// The same fingerprint from the "after" statements (checks that the SQL
/// explained is the SQL the data:: functions run).
async fn run_after_stmts(pool: &PgPool, page: &Page) -> anyhow::Result<Fingerprint> {
    let first = run(pool, &page.after[0]).await?;
    Ok(match page.kind {
        PageKind::FeedTrending | PageKind::FeedTopWeek => {
            limit_plus_one(first, data::feed::PAGE_SIZE, feed_fp_row)?
        }
        PageKind::LeaderboardProjects => {
            limit_plus_one(first, data::leaderboard::PAGE_SIZE, lb_projects_fp_row)?
        }
        PageKind::LeaderboardBuilders => {
            limit_plus_one(first, data::leaderboard::PAGE_SIZE, lb_builders_fp_row)?
        }
        PageKind::Dashboard(_) => rows_fp(&first, dashboard_fp_row)?,
        PageKind::Chains => limit_plus_one(first, data::chains::PAGE_SIZE, chains_fp_row)?,
        PageKind::Search => limit_plus_one(first, data::search::PAGE_SIZE, search_fp_row)?,
        PageKind::Project(_, with_thread) => {
            // details, live counts, thread top level, replies.
            let counts = run(pool, &page.after[1]).await?;
            let c = counts.first().context("no live counts")?;
            let d = first.first().context("project not in the view")?;
            let badges: Value = d.try_get("badges_json")?;
            let chains: Value = d.try_get("chains_json")?;
            let mut fp = vec![format!(
                "{} up={} c={}/{} b={} badges={} chains={}",
                d.try_get::<Uuid, _>("id")?,
                c.try_get::<i64, _>("upvote_count")?,
                c.try_get::<i64, _>("comment_count")?,
                c.try_get::<i64, _>("total_comment_count")?,
                d.try_get::<i64, _>("badge_count")?,
                ids_of(&badges),
                ids_of(&chains)
            )];
            if !with_thread {
                return Ok(fp);
            }
            let top = run(pool, &page.after[2]).await?;
            let n = top.len().min(data::projects::COMMENTS_PAGE_SIZE as usize);
            for r in &top[..n] {
                fp.push(format!("comment {}", r.try_get::<Uuid, _>("id")?));
            }
            if n > 0 {
                for r in run(pool, &page.after[3]).await? {
                    fp.push(format!("comment {}", r.try_get::<Uuid, _>("id")?));
                }
            }
            fp
        }
    })
}

async fn build_pages(pool: &PgPool) -> anyhow::Result<Vec<Page>> {
    let feed_limit = P::Int(data::feed::PAGE_SIZE + 1);
    let lb = vec![P::Int(0), P::Int(data::leaderboard::PAGE_SIZE + 1)];
    let feed_cols = "id, title, image_url, category, is_featured, created_at, user_id, \
        username, proof_score, comment_count, total_comment_count, upvote_count, badge_count, \
        badge_types, trending_score";
    let chain_cols = "id, name, description, image_url, category, is_public, is_featured, \
        created_at, creator_id, creator_username, follower_count, project_count, post_count, \
        trending_score";

    let demo_builder: Uuid =
        sqlx::query_scalar("SELECT id FROM users WHERE username = 'demo_builder'")
            .fetch_one(pool)
            .await
            .context("no demo_builder: is the database seeded?")?;
    // The builder with the most live projects: the heaviest dashboard.
    let busiest: Uuid = sqlx::query_scalar(
        "SELECT user_id FROM projects WHERE NOT is_deleted \
         GROUP BY user_id ORDER BY count(*) DESC, user_id LIMIT 1",
    )
    .fetch_one(pool)
    .await?;
    // The project a visitor opens first: the top of the trending feed.
    let top_project: Uuid = sqlx::query_scalar(
        "SELECT id FROM mv_feed_projects ORDER BY trending_score DESC, id DESC LIMIT 1",
    )
    .fetch_one(pool)
    .await?;
    // The most frequent word of names (projects, users, chains): a common
    // search.
    let common: String = sqlx::query_scalar(
        "SELECT term FROM mv_search_terms WHERE length(term) >= 4 \
         ORDER BY frequency DESC, term LIMIT 1",
    )
    .fetch_one(pool)
    .await?;
    let thread = data::projects::thread(pool, top_project, None).await?;
    let roots: Vec<Uuid> = thread.top_level.iter().map(|c| c.id).collect();

    let mut pages = vec![
        Page {
            name: "Feed (trending, first page)".into(),
            kind: PageKind::FeedTrending,
            text: String::new(),
            before: vec![stmt(
                FEED_LIVE
                    .replace("{where}", "")
                    .replace("{order}", "trending_score DESC, p.id DESC"),
                vec![feed_limit.clone()],
            )],
            after: vec![stmt(
                format!(
                    "SELECT {feed_cols} FROM mv_feed_projects WHERE true \
                     ORDER BY trending_score DESC, id DESC LIMIT $1"
                ),
                vec![feed_limit.clone()],
            )],
        },
        Page {
            name: "Feed (top of the week, first page)".into(),
            kind: PageKind::FeedTopWeek,
            text: String::new(),
            before: vec![stmt(
                FEED_LIVE
                    .replace("{where}", "AND p.created_at >= now() - interval '7 days'")
                    .replace("{order}", "upvote_count DESC, p.id DESC"),
                vec![feed_limit.clone()],
            )],
            after: vec![stmt(
                format!(
                    "SELECT {feed_cols} FROM mv_feed_projects WHERE true \
                     AND created_at >= now() - interval '7 days' \
                     ORDER BY upvote_count DESC, id DESC LIMIT $1"
                ),
                vec![feed_limit.clone()],
            )],
        },
        Page {
            name: "Leaderboard (projects, first page)".into(),
            kind: PageKind::LeaderboardProjects,
            text: String::new(),
            before: vec![stmt(LEADERBOARD_PROJECTS_LIVE, lb.clone())],
            after: vec![stmt(
                "SELECT rank, id, title, category, proof_score, username, badge_count, \
                 comment_count, upvote_count \
                 FROM mv_leaderboard_projects WHERE rank > $1 ORDER BY rank LIMIT $2",
                lb.clone(),
            )],
        },
        Page {
            name: "Leaderboard (builders, first page)".into(),
            kind: PageKind::LeaderboardBuilders,
            text: String::new(),
            before: vec![stmt(LEADERBOARD_BUILDERS_LIVE, lb.clone())],
            after: vec![stmt(
                "SELECT rank, id, username, is_verified, role, total_karma, total_proof_score, \
                 upvotes_received, project_count, badges_received, badges_given \
                 FROM mv_leaderboard_builders WHERE rank > $1 ORDER BY rank LIMIT $2",
                lb.clone(),
            )],
        },
    ];
    for (name, user) in [
        ("Dashboard (demo_builder)", demo_builder),
        ("Dashboard (busiest builder)", busiest),
    ] {
        pages.push(Page {
            name: name.into(),
            kind: PageKind::Dashboard(user),
            text: String::new(),
            before: vec![stmt(DASHBOARD_LIVE, vec![P::Uuid(user)])],
            after: vec![stmt(DASHBOARD_VIEW, vec![P::Uuid(user)])],
        });
    }
    pages.push(Page {
        name: "Chains list (trending, first page)".into(),
        kind: PageKind::Chains,
        text: String::new(),
        before: vec![stmt(CHAINS_LIVE, vec![P::Int(data::chains::PAGE_SIZE + 1)])],
        after: vec![stmt(
            format!(
                "SELECT {chain_cols} FROM mv_chains_discovery WHERE is_public \
                 ORDER BY trending_score DESC, id DESC LIMIT $1"
            ),
            vec![P::Int(data::chains::PAGE_SIZE + 1)],
        )],
    });
    for text in ["rust queue".to_string(), common] {
        pages.push(Page {
            name: format!("Search (\"{text}\", first page)"),
            kind: PageKind::Search,
            before: vec![stmt(search_sql(SEARCH_INDEX_LIVE), search_params(&text))],
            after: vec![stmt(search_sql("mv_search_index"), search_params(&text))],
            text,
        });
    }
    let thread_stmts = vec![
        stmt(
            THREAD_TOP,
            vec![
                P::Uuid(top_project),
                P::NullTime,
                P::NullUuid,
                P::Int(data::projects::COMMENTS_PAGE_SIZE + 1),
            ],
        ),
        stmt(
            THREAD_REPLIES,
            vec![P::UuidArray(roots), P::Int(data::projects::MAX_REPLIES)],
        ),
    ];
    let before = vec![stmt(PROJECT_LIVE, vec![P::Uuid(top_project)])];
    let after = vec![
        stmt(PROJECT_VIEW, vec![P::Uuid(top_project)]),
        stmt(PROJECT_LIVE_COUNTS, vec![P::UuidArray(vec![top_project])]),
    ];
    pages.push(Page {
        name: "Project details (top trending project: its row and counts)".into(),
        kind: PageKind::Project(top_project, false),
        text: String::new(),
        before: before.clone(),
        after: after.clone(),
    });
    // The whole read of the page: the thread is read live in both.
    pages.push(Page {
        name: "Project page (the same + first page of its thread, live in both)".into(),
        kind: PageKind::Project(top_project, true),
        text: String::new(),
        before: [before, thread_stmts.clone()].concat(),
        after: [after, thread_stmts].concat(),
    });
    Ok(pages)
}

// ------------------------------------------------------------- measuring --

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

struct Measured {
    name: String,
    iters: usize,
    before: Vec<f64>,
    after: Vec<f64>,
    before_cost: Cost,
    after_cost: Cost,
    before_stmts: usize,
    after_stmts: usize,
    rows_shown: usize,
}

async fn time_ms<F, Fut>(f: F) -> anyhow::Result<(f64, Fingerprint)>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<Fingerprint>>,
{
    let t = Instant::now();
    let fp = f().await?;
    Ok((t.elapsed().as_secs_f64() * 1000.0, fp))
}

async fn measure(s: &Settings, pool: &PgPool, page: &Page) -> anyhow::Result<Measured> {
    // Warm-up, and the equality check that makes the comparison fair.
    let after_fp = run_after(pool, page).await?;
    let before_fp = run_before(pool, page).await?;
    let after_sql_fp = run_after_stmts(pool, page).await?;
    ensure!(
        after_fp == after_sql_fp,
        "{}: the explained statements do not return what the data:: functions return\n app: {:?}\n sql: {:?}",
        page.name,
        after_fp,
        after_sql_fp
    );
    ensure!(
        before_fp == after_fp,
        "{}: the live join and the app's read differ\n before: {:?}\n after:  {:?}",
        page.name,
        before_fp,
        after_fp
    );
    ensure!(
        after_fp.len() > 1
            || matches!(
                page.kind,
                PageKind::Dashboard(_) | PageKind::Project(_, false)
            ),
        "{}: an empty page compares nothing",
        page.name
    );
    let _ = run_after(pool, page).await?;
    let _ = run_before(pool, page).await?;

    let mut before = Vec::new();
    let mut after = Vec::new();
    let started = Instant::now();
    let mut i = 0;
    while i < s.min_iters || (i < s.iters && started.elapsed() < s.budget) {
        // Alternate which goes first.
        if i % 2 == 0 {
            let (b, fb) = time_ms(|| run_before(pool, page)).await?;
            let (a, fa) = time_ms(|| run_after(pool, page)).await?;
            ensure!(fb == fa, "{}: results diverged during the run", page.name);
            before.push(b);
            after.push(a);
        } else {
            let (a, fa) = time_ms(|| run_after(pool, page)).await?;
            let (b, fb) = time_ms(|| run_before(pool, page)).await?;
            ensure!(fb == fa, "{}: results diverged during the run", page.name);
            before.push(b);
            after.push(a);
        }
        i += 1;
    }
    before.sort_by(f64::total_cmp);
    after.sort_by(f64::total_cmp);

    let mut before_cost = Cost::default();
    for st in &page.before {
        let c = explain(pool, st).await?;
        before_cost.rows_read += c.rows_read;
        before_cost.buffers += c.buffers;
    }
    let mut after_cost = Cost::default();
    for st in &page.after {
        let c = explain(pool, st).await?;
        after_cost.rows_read += c.rows_read;
        after_cost.buffers += c.buffers;
    }
    Ok(Measured {
        name: page.name.clone(),
        iters: i,
        before,
        after,
        before_cost,
        after_cost,
        before_stmts: page.before.len(),
        after_stmts: page.after.len(),
        rows_shown: after_fp.iter().filter(|l| !l.starts_with("more=")).count(),
    })
}

async fn bench_scale(s: &Settings, pool: &PgPool, db: &str, scale: f64) -> anyhow::Result<()> {
    let count = |table: &'static str| async move {
        anyhow::Ok(
            sqlx::query_scalar::<_, i64>(&format!("SELECT count(*) FROM {table}"))
                .fetch_one(pool)
                .await?,
        )
    };
    println!(
        "## Scale {scale} (database {db}: {} users, {} projects, {} upvotes, {} comments, {} badges)\n",
        count("users").await?,
        count("projects").await?,
        count("upvotes").await?,
        count("comments").await?,
        count("validation_badges").await?,
    );
    // Every view current; nothing writes to this database while it runs
    // (the views' timers, e.g. chains discovery's 7-day window, are why the
    // check runs again during the measurement).
    let views: Vec<String> =
        sqlx::query_scalar("SELECT view_name FROM mv_registry ORDER BY view_name")
            .fetch_all(pool)
            .await?;
    for v in &views {
        let out = refresh_now(pool, v, TriggeredBy::Manual).await?;
        ensure!(out.ok, "refresh of {v} failed: {:?}", out.error);
    }
    sqlx::query("ANALYZE").execute(pool).await?;
    let others: Vec<String> = sqlx::query_scalar(
        "SELECT coalesce(nullif(application_name, ''), backend_type) || ' on ' || coalesce(datname::text, '-') \
         FROM pg_stat_activity WHERE state = 'active' AND pid <> pg_backend_pid() \
           AND backend_type = 'client backend'",
    )
    .fetch_all(pool)
    .await?;
    let pages = build_pages(pool).await?;
    let mut results = Vec::new();
    for page in &pages {
        eprintln!("measuring {} ...", page.name);
        results.push(measure(s, pool, page).await?);
    }
    println!("Other active PostgreSQL sessions when it started: {others:?}\n");
    println!(
        "| page | rows shown | before: live join, median / p95 ms | after: view or trigger table, median / p95 ms | before / after (median) | statements before → after | rows read before → after | buffers before → after | iterations |"
    );
    println!("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for m in &results {
        let (bm, bp) = (pct(&m.before, 50.0), pct(&m.before, 95.0));
        let (am, ap) = (pct(&m.after, 50.0), pct(&m.after, 95.0));
        println!(
            "| {} | {} | {:.2} / {:.2} | {:.2} / {:.2} | **{:.1}×** | {} → {} | {:.0} → {:.0} | {} → {} | {} |",
            m.name,
            m.rows_shown,
            bm,
            bp,
            am,
            ap,
            bm / am,
            m.before_stmts,
            m.after_stmts,
            m.before_cost.rows_read,
            m.after_cost.rows_read,
            m.before_cost.buffers,
            m.after_cost.buffers,
            m.iters
        );
    }
    println!();
    Ok(())
}
