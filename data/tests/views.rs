//! Category B: the page structures of data/derived/ (keyed tables and
//! materialized views, docs/VIEWS.md) against a real PostgreSQL, a fresh
//! migrated database per test. Run with
//! `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test -p data --test views`.
//!
//! The central check: after varied writes, `REFRESH MATERIALIZED VIEW
//! CONCURRENTLY` succeeds for every view and the view equals its own
//! defining query (read back with `pg_get_viewdef`, so the test cannot drift
//! from the definition). Then one test per rule the views must keep (a
//! unique index for concurrent refreshes, no per-user sequential scans, no
//! email in public views, no ORDER BY, no clock, no per-user columns), each
//! written so that it fails on a view that breaks the rule, and
//! cross-checks of the views' counters against the trigger-maintained
//! (Category A) tables.

mod common;

use anyhow::{ensure, Context};
use common::Res;
use data::refresher::{rebuild_now, refresh_now, TriggeredBy};
use data::seed::{self, SeedOptions};
use serde_json::Value;
use sqlx::{PgPool, Postgres, Transaction};
use uuid::Uuid;

/// Every view of the migration.
const VIEWS: &[&str] = &[
    "mv_feed_projects",
    "mv_chains_discovery",
    "mv_chain_posts",
    "mv_investors_directory",
    "mv_project_details",
    "mv_search_index",
    "mv_search_terms",
    "mv_admin_dashboard",
    "mv_investor_dashboard",
    "mv_validator_dashboard",
    "mv_user_profiles",
];

/// Materialized views refreshed on a timer alone, whatever the writes:
/// why, in their files' headers (`data/derived/<name>.sql`).
const TIMER_ONLY: &[&str] = &["mv_admin_dashboard", "mv_search_terms"];

/// The views a visitor can read: none may hold an email address.
const PUBLIC_VIEWS: &[&str] = &[
    "mv_investors_directory",
    "mv_search_index",
    "mv_user_profiles",
    "mv_project_details",
    "mv_feed_projects",
    "mv_leaderboard_projects",
    "mv_leaderboard_builders",
    "mv_chains_discovery",
    "mv_chain_posts",
    "mv_search_terms",
];

/// Functions whose value depends on when the query runs.
const CLOCK_FUNCTIONS: &[&str] = &[
    "now()",
    "current_timestamp",
    "current_date",
    "localtimestamp",
    "clock_timestamp",
    "statement_timestamp",
    "transaction_timestamp",
];

// ------------------------------------------------------------- helpers --

async fn scalar_i64(pool: &PgPool, sql: &str) -> Res<i64> {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(pool)
        .await
        .with_context(|| sql.to_string())
}

async fn exec(pool: &PgPool, sql: &str) -> Res {
    sqlx::query(sql)
        .execute(pool)
        .await
        .with_context(|| sql.to_string())?;
    Ok(())
}

/// Brings a structure up to date as the refresher does (a materialized
/// view refreshed concurrently, a keyed structure stepped or built).
async fn refresh(pool: &PgPool, view: &str) -> Res {
    let out = refresh_now(pool, view, TriggeredBy::Manual).await?;
    ensure!(out.ok, "refreshing {view}: {:?}", out.error);
    Ok(())
}

/// Recomputes a structure whole, from scratch.
async fn rebuild(pool: &PgPool, view: &str) -> Res {
    let out = rebuild_now(pool, view, TriggeredBy::Manual).await?;
    ensure!(out.ok, "rebuilding {view}: {:?}", out.error);
    Ok(())
}

/// True for a keyed structure (a table kept from the view `<name>_def`).
async fn is_keyed(pool: &PgPool, view: &str) -> Res<bool> {
    Ok(
        sqlx::query_scalar("SELECT kind = 'keyed' FROM mv_registry WHERE view_name = $1")
            .bind(view)
            .fetch_optional(pool)
            .await?
            .unwrap_or(false),
    )
}

/// The view holding a structure's definition: the materialized view
/// itself, or a keyed structure's `<name>_def`.
async fn defining_view(pool: &PgPool, view: &str) -> Res<String> {
    Ok(if is_keyed(pool, view).await? {
        format!("{view}_def")
    } else {
        view.to_string()
    })
}

async fn refresh_all(pool: &PgPool) -> Res {
    for view in VIEWS {
        refresh(pool, view).await?;
    }
    Ok(())
}

/// Demo data and the extra writes, then every view refreshed; the extra
/// rows.
async fn all_refreshed(pool: &PgPool) -> Res<Extra> {
    seeded(pool).await?;
    let extra = extra_writes(pool).await?;
    refresh_all(pool).await?;
    Ok(extra)
}

/// Every derived structure in the schema: registered ones and any other
/// materialized view (the structural rules apply to those added later too).
async fn all_views(pool: &PgPool) -> Res<Vec<String>> {
    let views: Vec<String> = sqlx::query_scalar(
        "SELECT view_name FROM mv_registry
         UNION SELECT matviewname::text FROM pg_matviews WHERE schemaname = 'public' ORDER BY 1",
    )
    .fetch_all(pool)
    .await?;
    for v in VIEWS {
        ensure!(views.iter().any(|x| x == v), "view {v} does not exist");
    }
    Ok(views)
}

/// The structure's defining query as PostgreSQL stores it.
async fn definition(pool: &PgPool, view: &str) -> Res<String> {
    let def: String = sqlx::query_scalar("SELECT pg_get_viewdef($1::regclass)")
        .bind(defining_view(pool, view).await?)
        .fetch_one(pool)
        .await?;
    Ok(def.trim().trim_end_matches(';').to_string())
}

/// Rows of the view missing from its definition's result plus rows of the
/// result missing from the view (multisets: EXCEPT ALL), in `tx` so that
/// now() is the same for the refresh and the comparison.
async fn difference(tx: &mut Transaction<'_, Postgres>, view: &str, def: &str) -> Res<(i64, i64)> {
    let extra: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM (SELECT * FROM {view} EXCEPT ALL SELECT * FROM ({def}) d) x"
    ))
    .fetch_one(&mut **tx)
    .await
    .with_context(|| format!("comparing {view}"))?;
    let missing: i64 = sqlx::query_scalar(&format!(
        "SELECT count(*) FROM (SELECT * FROM ({def}) d EXCEPT ALL SELECT * FROM {view}) x"
    ))
    .fetch_one(&mut **tx)
    .await
    .with_context(|| format!("comparing {view}"))?;
    Ok((extra, missing))
}

/// Demo data (scale 0.02: ~100 users, 200 projects, every table filled).
async fn seeded(pool: &PgPool) -> Res {
    seed::seed(
        pool,
        &SeedOptions {
            scale: 0.02,
            seed: 7,
        },
        &|_| {},
    )
    .await
    .context("seed")?;
    Ok(())
}

/// What the extra writes created.
struct Extra {
    builder: Uuid,
    rust_project: Uuid,
}

/// Writes on top of the seed that hit the edge cases of the definitions:
/// a reply, a downvote, a badge, a soft delete, a deactivated user, a
/// private and an inactive chain, a deleted forum post, intro requests in
/// several states and a new approved investor.
async fn extra_writes(pool: &PgPool) -> Res<Extra> {
    let builder: Uuid = sqlx::query_scalar(
        "INSERT INTO users (username, email, password_hash, bio)
         VALUES ('views_builder', 'views.builder@example.test', 'x', 'I build things in Rust')
         RETURNING id",
    )
    .fetch_one(pool)
    .await?;
    let rust_project: Uuid = sqlx::query_scalar(
        "INSERT INTO projects (user_id, title, description, category)
         VALUES ($1, 'Blazing Rust Task Queue', 'A tiny async job runner', 'devtools')
         RETURNING id",
    )
    .bind(builder)
    .fetch_one(pool)
    .await?;
    let others: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM users WHERE id <> $1 AND is_active ORDER BY id LIMIT 4")
            .bind(builder)
            .fetch_all(pool)
            .await?;
    let top: Uuid = sqlx::query_scalar(
        "INSERT INTO comments (project_id, user_id, content) VALUES ($1, $2, 'Nice!') RETURNING id",
    )
    .bind(rust_project)
    .bind(others[0])
    .fetch_one(pool)
    .await?;
    sqlx::query(
        "INSERT INTO comments (project_id, user_id, parent_id, content) VALUES ($1, $2, $3, 'Thanks')",
    )
    .bind(rust_project)
    .bind(builder)
    .bind(top)
    .execute(pool)
    .await?;
    for (i, u) in others.iter().enumerate() {
        sqlx::query("INSERT INTO upvotes (user_id, project_id, is_upvote) VALUES ($1, $2, $3)")
            .bind(u)
            .bind(rust_project)
            .bind(i != 3)
            .execute(pool)
            .await?;
    }
    sqlx::query(
        "INSERT INTO validation_badges (project_id, validator_id, badge_type)
         SELECT $1, id, 'impact' FROM users WHERE role = 'validator' ORDER BY id LIMIT 1",
    )
    .bind(rust_project)
    .execute(pool)
    .await?;

    exec(
        pool,
        "UPDATE projects SET is_deleted = true, deleted_at = now()
         WHERE id = (SELECT id FROM projects WHERE NOT is_deleted AND title <> 'Blazing Rust Task Queue'
                     ORDER BY proof_score DESC, id LIMIT 1)",
    )
    .await?;
    exec(
        pool,
        "UPDATE users SET is_active = false
         WHERE id = (SELECT id FROM users WHERE role = 'builder' AND username NOT LIKE 'demo%'
                     AND username <> 'views_builder' ORDER BY id LIMIT 1)",
    )
    .await?;
    exec(
        pool,
        "UPDATE chains SET is_public = false WHERE id = (SELECT id FROM chains ORDER BY id LIMIT 1)",
    )
    .await?;
    exec(
        pool,
        "UPDATE chains SET is_active = false WHERE id = (SELECT id FROM chains ORDER BY id OFFSET 1 LIMIT 1)",
    )
    .await?;
    exec(
        pool,
        "UPDATE chain_posts SET is_deleted = true WHERE id = (SELECT id FROM chain_posts ORDER BY id LIMIT 1)",
    )
    .await?;
    sqlx::query(
        "INSERT INTO chain_post_votes (post_id, user_id, is_upvote)
         SELECT p.id, $1, false FROM chain_posts p WHERE NOT p.is_deleted ORDER BY p.id LIMIT 3",
    )
    .bind(builder)
    .execute(pool)
    .await?;
    // Two chains that must not show on the project page, one that must.
    sqlx::query(
        "INSERT INTO chain_projects (chain_id, project_id)
         SELECT id, $1 FROM (SELECT id FROM chains ORDER BY id LIMIT 2) hidden
         UNION ALL
         SELECT id, $1 FROM (SELECT id FROM chains WHERE is_public AND is_active ORDER BY id LIMIT 1) shown",
    )
    .bind(rust_project)
    .execute(pool)
    .await?;

    let investor: Uuid = sqlx::query_scalar(
        "INSERT INTO users (username, email, password_hash, role)
         VALUES ('views_investor', 'views.investor@example.test', 'x', 'investor') RETURNING id",
    )
    .fetch_one(pool)
    .await?;
    sqlx::query(
        "INSERT INTO investor_requests (user_id, status, company_name, investment_focus, approved_at)
         VALUES ($1, 'approved', 'Views Capital', 'devtools', now())",
    )
    .bind(investor)
    .execute(pool)
    .await?;
    for (status, with) in [
        ("approved", builder),
        ("rejected", others[0]),
        ("withdrawn", others[1]),
        ("pending", others[2]),
    ] {
        sqlx::query(
            "INSERT INTO intro_requests (investor_id, builder_id, project_id, status) VALUES ($1, $2, $3, $4)",
        )
        .bind(investor)
        .bind(with)
        .bind(rust_project)
        .bind(status)
        .execute(pool)
        .await?;
    }
    exec(pool, "ANALYZE").await?;
    Ok(Extra {
        builder,
        rust_project,
    })
}

/// Walks an EXPLAIN (FORMAT JSON) plan; calls `f(node, inside_subplan)`.
fn walk_plan(node: &Value, in_subplan: bool, f: &mut dyn FnMut(&Value, bool)) {
    let here = in_subplan
        || node.get("Parent Relationship").and_then(Value::as_str) == Some("SubPlan")
        || node.get("Subplan Name").is_some();
    f(node, here);
    if let Some(children) = node.get("Plans").and_then(Value::as_array) {
        for child in children {
            walk_plan(child, here, f);
        }
    }
}

async fn plan(pool: &PgPool, sql: &str) -> Res<Value> {
    let doc: Value = sqlx::query_scalar(&format!("EXPLAIN (FORMAT JSON) {sql}"))
        .fetch_one(pool)
        .await
        .with_context(|| sql.to_string())?;
    Ok(doc[0]["Plan"].clone())
}

/// True when a plan scans `table` sequentially once per outer row (a Seq
/// Scan inside a SubPlan): a refresh that grows quadratically.
fn seq_scan_in_subplan(plan: &Value, table: &str) -> bool {
    let mut found = false;
    walk_plan(plan, false, &mut |node, in_subplan| {
        if in_subplan
            && node["Node Type"] == "Seq Scan"
            && node["Relation Name"].as_str() == Some(table)
        {
            found = true;
        }
    });
    found
}

fn has_node(plan: &Value, node_type: &str) -> bool {
    let mut found = false;
    walk_plan(plan, false, &mut |node, _| {
        if node["Node Type"] == node_type {
            found = true;
        }
    });
    found
}

// --------------------------------------------------------------- tests --

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn every_view_refreshes_concurrently_and_equals_its_definition(pool: PgPool) -> Res {
    seeded(&pool).await?;
    extra_writes(&pool).await?;
    let views = all_views(&pool).await?;
    for view in &views {
        // Out of any transaction, as the refresher runs it.
        refresh(&pool, view).await?;
        // Again inside one transaction, so the comparison sees the same now().
        let def = definition(&pool, view).await?;
        let mut tx = pool.begin().await?;
        let again = if is_keyed(&pool, view).await? {
            format!("SELECT derived_rebuild('{view}')")
        } else {
            format!("REFRESH MATERIALIZED VIEW CONCURRENTLY {view}")
        };
        sqlx::query(&again)
            .execute(&mut *tx)
            .await
            .with_context(|| format!("refresh {view}"))?;
        let (extra, missing) = difference(&mut tx, view, &def).await?;
        let rows: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM {view}"))
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        ensure!(
            extra == 0 && missing == 0,
            "{view}: {extra} rows not in its definition, {missing} rows of the definition missing"
        );
        ensure!(
            rows > 0,
            "{view} is empty: the test data does not exercise it"
        );
    }
    Ok(())
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn views_follow_writes_after_a_refresh(pool: PgPool) -> Res {
    seeded(&pool).await?;
    refresh_all(&pool).await?;
    let extra = extra_writes(&pool).await?;
    refresh_all(&pool).await?;

    let (comments, total, upvotes, badges, types): (i64, i64, i64, i64, Vec<String>) =
        sqlx::query_as(
            "SELECT comment_count, total_comment_count, upvote_count, badge_count, badge_types
             FROM mv_feed_projects WHERE id = $1",
        )
        .bind(extra.rust_project)
        .fetch_one(&pool)
        .await?;
    ensure!((comments, total, upvotes, badges) == (1, 2, 3, 1));
    ensure!(types == ["impact"]);

    let (votes, down, badges_json, chains_json): (i64, i64, Value, Value) = sqlx::query_as(
        "SELECT vote_count, downvote_count, badges_json, chains_json FROM mv_project_details WHERE id = $1",
    )
    .bind(extra.rust_project)
    .fetch_one(&pool)
    .await?;
    ensure!((votes, down) == (4, 1));
    ensure!(badges_json[0]["badge_type"] == "impact");
    ensure!(badges_json[0]["validator_username"].is_string());
    // Three chains, of which the first is now private and the second inactive.
    ensure!(
        chains_json.as_array().map(Vec::len) == Some(1),
        "chains_json {chains_json}"
    );

    // Soft-deleted projects and inactive users leave the public views.
    ensure!(
        scalar_i64(
            &pool,
            "SELECT count(*) FROM mv_feed_projects f JOIN projects p USING (id) WHERE p.is_deleted"
        )
        .await?
            == 0
    );
    ensure!(
        scalar_i64(
            &pool,
            "SELECT count(*) FROM mv_user_profiles f JOIN users u USING (id) WHERE NOT u.is_active"
        )
        .await?
            == 0
    );
    ensure!(
        scalar_i64(
            &pool,
            "SELECT count(*) FROM mv_search_index s JOIN chains c USING (id)
             WHERE s.result_type = 'chain' AND NOT (c.is_public AND c.is_active)"
        )
        .await?
            == 0
    );
    ensure!(
        scalar_i64(
            &pool,
            "SELECT count(*) FROM mv_chain_posts v JOIN chain_posts p USING (id) WHERE p.is_deleted"
        )
        .await?
            == 0
    );

    // The new investor: directory and dashboard.
    let (sent, approved): (i64, i64) = sqlx::query_as(
        "SELECT intro_requests_sent, intros_approved FROM mv_investors_directory
         WHERE company_name = 'Views Capital'",
    )
    .fetch_one(&pool)
    .await?;
    ensure!((sent, approved) == (4, 1));
    let (sent, rate, met): (i64, Option<f64>, i64) = sqlx::query_as(
        "SELECT d.requests_sent, d.approval_rate, d.builders_met FROM mv_investor_dashboard d
         JOIN users u ON u.id = d.investor_id WHERE u.username = 'views_investor'",
    )
    .fetch_one(&pool)
    .await?;
    ensure!(sent == 4 && rate == Some(0.5) && met == 1);

    // The admin dashboard is one row with the site totals.
    let (rows, users, intros): (i64, i64, i64) = sqlx::query_as(
        "SELECT count(*) OVER (), users_total, intros_total FROM mv_admin_dashboard WHERE id = 1",
    )
    .fetch_one(&pool)
    .await?;
    ensure!(rows == 1);
    ensure!(users == scalar_i64(&pool, "SELECT count(*) FROM users").await?);
    ensure!(intros == scalar_i64(&pool, "SELECT count(*) FROM intro_requests").await?);

    // Validators: 12 weekly buckets each, summing to the badges of those weeks.
    ensure!(
        scalar_i64(
            &pool,
            "SELECT count(*) FROM mv_validator_dashboard WHERE jsonb_array_length(weekly_counts) <> 12"
        )
        .await?
            == 0
    );
    ensure!(
        scalar_i64(
            &pool,
            "SELECT count(*) FROM mv_validator_dashboard d
             WHERE (SELECT sum((w->>'count')::int) FROM jsonb_array_elements(d.weekly_counts) w)
                   <> (SELECT count(*) FROM validation_badges b WHERE b.validator_id = d.validator_id
                       AND b.created_at >= (date_trunc('week', now() AT TIME ZONE 'UTC')
                                            - interval '11 weeks') AT TIME ZONE 'UTC')"
        )
        .await?
            == 0
    );
    ensure!(
        scalar_i64(
            &pool,
            "SELECT count(*) FROM mv_validator_dashboard
             WHERE code_quality + innovation + impact + design + security <> badges_given"
        )
        .await?
            == 0
    );

    // The builder's profile.
    let (projects, karma): (i64, i64) =
        sqlx::query_as("SELECT project_count, karma FROM mv_user_profiles WHERE id = $1")
            .bind(extra.builder)
            .fetch_one(&pool)
            .await?;
    ensure!(
        projects == 1 && karma == 15 + 3,
        "project_count {projects}, karma {karma}"
    );
    Ok(())
}

/// Karma and the profile counters have a trigger-maintained twin in
/// user_dashboard_stats (docs/DERIVED-DATA.md); the views compute them from
/// source rows independently and must agree. Same for the investor's sent
/// requests and intro_request_stats.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn views_agree_with_the_trigger_maintained_counters(pool: PgPool) -> Res {
    all_refreshed(&pool).await?;
    for (view, check) in [
        (
            "mv_user_profiles",
            "SELECT count(*) FROM mv_user_profiles v JOIN user_dashboard_stats s ON s.user_id = v.id
             WHERE (v.karma, v.total_proof_score, v.project_count, v.badges_received, v.badges_given,
                    v.comment_count)
                   IS DISTINCT FROM (s.karma_score::bigint, s.total_proof_score::bigint,
                    s.active_projects::bigint, s.badges_received::bigint, s.badges_given::bigint,
                    s.comment_count::bigint)",
        ),
        (
            "mv_leaderboard_builders",
            "SELECT count(*) FROM mv_leaderboard_builders v JOIN user_dashboard_stats s ON s.user_id = v.id
             WHERE (v.total_karma, v.project_count, v.badges_received, v.badges_given, v.comment_count)
                   IS DISTINCT FROM (s.karma_score::bigint, s.active_projects::bigint,
                    s.badges_received::bigint, s.badges_given::bigint, s.comment_count::bigint)",
        ),
        (
            "mv_investor_dashboard",
            "SELECT count(*) FROM mv_investor_dashboard v JOIN intro_request_stats s ON s.user_id = v.investor_id
             WHERE (v.requests_sent, v.requests_pending, v.requests_approved, v.requests_rejected,
                    v.requests_withdrawn)
                   IS DISTINCT FROM (s.sent_requests::bigint, s.sent_pending_requests::bigint,
                    s.sent_approved_requests::bigint, s.sent_rejected_requests::bigint,
                    s.sent_withdrawn_requests::bigint)",
        ),
    ] {
        let differing = scalar_i64(&pool, check).await?;
        ensure!(differing == 0, "{view}: {differing} rows disagree with the Category A table");
    }
    // Ranks are 1..n without gaps, in karma order.
    ensure!(
        scalar_i64(
            &pool,
            "SELECT count(*) FROM (SELECT rank, row_number() OVER (ORDER BY total_karma DESC, created_at, id) AS r
             FROM mv_leaderboard_builders) x WHERE rank <> r"
        )
        .await?
            == 0
    );
    ensure!(
        scalar_i64(
            &pool,
            "SELECT count(*) FROM (SELECT rank, row_number() OVER (ORDER BY proof_score DESC, created_at, id) AS r
             FROM mv_leaderboard_projects) x WHERE rank <> r"
        )
        .await?
            == 0
    );
    Ok(())
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn every_view_is_registered_with_exactly_the_tables_it_reads(pool: PgPool) -> Res {
    let views = all_views(&pool).await?;
    for view in &views {
        // The tables the view's rewrite rule depends on, as PostgreSQL records them.
        let reads: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT c.relname::text
             FROM pg_rewrite r
             JOIN pg_depend d ON d.classid = 'pg_rewrite'::regclass AND d.objid = r.oid
             JOIN pg_class c ON c.oid = d.refobjid
             WHERE r.ev_class = $1::regclass AND c.oid <> r.ev_class AND c.relkind IN ('r', 'p')
             ORDER BY 1",
        )
        .bind(defining_view(&pool, view).await?)
        .fetch_all(&pool)
        .await?;
        // A materialized view lists its sources in the registry (each gets
        // the marking trigger); a keyed structure has its own logging
        // triggers, named <name>_mark..., on each table it reads.
        let registered: Option<(Vec<String>, bool)> = sqlx::query_as(
            "SELECT CASE WHEN kind = 'keyed'
                         THEN ARRAY(SELECT DISTINCT c.relname::text
                                      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid
                                     WHERE t.tgname LIKE view_name || '\\_mark%' ORDER BY 1)
                         ELSE ARRAY(SELECT unnest(sources) ORDER BY 1) END,
                    timer IS NOT NULL
             FROM mv_registry WHERE view_name = $1",
        )
        .bind(view)
        .fetch_optional(&pool)
        .await?;
        let (sources, has_timer) =
            registered.with_context(|| format!("{view} is not registered with register_view()"))?;
        if TIMER_ONLY.contains(&view.as_str()) {
            ensure!(
                sources.is_empty() && has_timer,
                "{view} is kept on a timer alone: no sources ({sources:?}), a timer ({has_timer})"
            );
            continue;
        }
        ensure!(
            sources == reads,
            "{view}: registered sources {sources:?}, but it reads {reads:?}"
        );
        // A view that reads the clock decays with time: it needs a timer;
        // one that does not must not pay for one.
        let def = definition(&pool, view).await?.to_lowercase();
        let reads_clock = CLOCK_FUNCTIONS.iter().any(|f| def.contains(f));
        ensure!(
            reads_clock == has_timer,
            "{view}: reads the clock = {reads_clock}, has a timer = {has_timer}"
        );
    }
    Ok(())
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn every_view_has_a_unique_index_on_plain_columns(pool: PgPool) -> Res {
    for view in all_views(&pool).await? {
        let n = sqlx::query_scalar::<_, i64>(
            "SELECT count(*) FROM pg_index
             WHERE indrelid = $1::regclass AND indisunique AND indpred IS NULL AND indexprs IS NULL",
        )
        .bind(&view)
        .fetch_one(&pool)
        .await?;
        ensure!(
            n > 0,
            "{view} has no unique index REFRESH CONCURRENTLY can use"
        );
    }
    Ok(())
}

/// A project insert followed by a refresh of the search index must find
/// the project, and the index's unique key is what makes that possible.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn project_insert_then_concurrent_search_refresh(pool: PgPool) -> Res {
    seeded(&pool).await?;
    let owner: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = 'demo_builder'")
        .fetch_one(&pool)
        .await?;
    let project: Uuid = sqlx::query_scalar(
        "INSERT INTO projects (user_id, title) VALUES ($1, 'Searchable Thing') RETURNING id",
    )
    .bind(owner)
    .fetch_one(&pool)
    .await?;
    refresh(&pool, "mv_search_index").await?;
    let found = sqlx::query_scalar::<_, i64>(
        "SELECT count(*) FROM mv_search_index WHERE result_type = 'project' AND id = $1
         AND search_vector @@ plainto_tsquery('english', 'searchable')",
    )
    .bind(project)
    .fetch_one(&pool)
    .await?;
    ensure!(found == 1);
    let key: Vec<String> = sqlx::query_scalar(
        "SELECT a.attname::text FROM pg_index i
         JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
         WHERE i.indexrelid = 'mv_search_index_key'::regclass AND i.indisunique AND i.indpred IS NULL
         ORDER BY array_position(i.indkey::int2[], a.attnum)",
    )
    .fetch_all(&pool)
    .await?;
    ensure!(key == ["result_type", "id"], "unique key {key:?}");

    // The document's version had no unique key: without it a structure
    // cannot be kept per key (the step's upsert needs it).
    let mut tx = pool.begin().await?;
    sqlx::query("DROP INDEX mv_search_index_key")
        .execute(&mut *tx)
        .await?;
    sqlx::query("UPDATE projects SET title = 'Searchable Thing Two' WHERE id = $1")
        .bind(project)
        .execute(&mut *tx)
        .await?;
    let err = sqlx::query("SELECT derived_step('mv_search_index')")
        .execute(&mut *tx)
        .await
        .expect_err("a step without a unique key must fail");
    ensure!(
        err.to_string().contains("ON CONFLICT"),
        "unexpected error {err}"
    );
    tx.rollback().await?;
    Ok(())
}

/// Counting each user's projects with a correlated subquery that only a
/// partial index could serve is a sequential scan of projects per user, a
/// refresh that grows quadratically: the search view's user branch must
/// use the plain index on projects(user_id).
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn search_refresh_uses_plain_user_index(pool: PgPool) -> Res {
    seeded(&pool).await?;
    // The plain (non-partial) index on projects(user_id) exists.
    let plain = scalar_i64(
        &pool,
        "SELECT count(*) FROM pg_index i JOIN pg_attribute a
           ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
         WHERE i.indrelid = 'projects'::regclass AND a.attname = 'user_id'
           AND i.indpred IS NULL AND i.indexprs IS NULL",
    )
    .await?;
    ensure!(plain > 0, "no plain index on projects(user_id)");

    // Our view: no per-user scan of projects anywhere in its plan.
    let ours = plan(&pool, &definition(&pool, "mv_search_index").await?).await?;
    ensure!(
        !seq_scan_in_subplan(&ours, "projects"),
        "mv_search_index scans projects once per row:\n{ours:#}"
    );
    // The user branch alone, as the view writes it.
    let user_branch = plan(
        &pool,
        "SELECT u.id, COALESCE(pc.projects, 0) FROM users u
         LEFT JOIN (SELECT user_id, count(*) AS projects FROM projects WHERE NOT is_deleted GROUP BY user_id) pc
           ON pc.user_id = u.id
         WHERE u.is_active",
    )
    .await?;
    ensure!(!seq_scan_in_subplan(&user_branch, "projects"));

    // The same count with only a partial index: the detector above sees
    // the per-user sequential scan.
    let mut tx = pool.begin().await?;
    sqlx::query("DROP INDEX idx_projects_user")
        .execute(&mut *tx)
        .await?;
    let doc: Value = sqlx::query_scalar(
        "EXPLAIN (FORMAT JSON) SELECT u.id, (SELECT COUNT(*) FROM projects WHERE user_id = u.id)
         FROM users u WHERE u.is_active = TRUE",
    )
    .fetch_one(&mut *tx)
    .await?;
    tx.rollback().await?;
    ensure!(
        seq_scan_in_subplan(&doc[0]["Plan"], "projects"),
        "the partial-index query should scan projects per user:\n{doc:#}"
    );
    Ok(())
}

/// Public views never expose an email address (a directory that selected
/// `u.email` would show it to every visitor).
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn no_email_in_public_views(pool: PgPool) -> Res {
    all_refreshed(&pool).await?;
    for view in PUBLIC_VIEWS {
        let columns: Vec<String> = sqlx::query_scalar(
            "SELECT attname::text FROM pg_attribute
             WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped
               AND (attname ILIKE '%email%' OR attname ILIKE '%password%')",
        )
        .bind(view)
        .fetch_all(&pool)
        .await?;
        ensure!(columns.is_empty(), "{view} exposes {columns:?}");
        let rows = scalar_i64(
            &pool,
            &format!(
                "SELECT count(*) FROM {view} v
                 WHERE EXISTS (SELECT 1 FROM users u WHERE strpos(lower(v::text), lower(u.email)) > 0)"
            ),
        )
        .await?;
        ensure!(rows == 0, "{view}: {rows} rows contain a user's email");
    }
    Ok(())
}

/// ORDER BY in a view definition is a sort at every
/// refresh that no reader can rely on. Checked on the stored query trees
/// (window and aggregate ORDER BYs are not query sorts).
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn no_order_by_in_view_definitions(pool: PgPool) -> Res {
    let sorted = "SELECT count(*) FROM pg_rewrite
                  WHERE ev_class = $1::regclass AND ev_action ~ ':sortClause \\('";
    for view in all_views(&pool).await? {
        let n = sqlx::query_scalar::<_, i64>(sorted)
            .bind(defining_view(&pool, &view).await?)
            .fetch_one(&pool)
            .await?;
        ensure!(n == 0, "{view} has an ORDER BY in its definition");
    }
    // The detector sees an ORDER BY in a definition.
    exec(
        &pool,
        "CREATE MATERIALIZED VIEW doc_style AS SELECT id FROM projects ORDER BY created_at DESC",
    )
    .await?;
    let n = sqlx::query_scalar::<_, i64>(sorted)
        .bind("doc_style")
        .fetch_one(&pool)
        .await?;
    ensure!(n == 1);
    Ok(())
}

/// Every trending score of the feed and of the chain posts, as text.
async fn trending_snapshot(pool: &PgPool) -> Res<Vec<String>> {
    let snapshot = "SELECT string_agg(id::text || '=' || trending_score::text, ',' ORDER BY id)";
    let mut out = Vec::new();
    for view in ["mv_feed_projects", "mv_chain_posts"] {
        out.push(
            sqlx::query_scalar(&format!("{snapshot} FROM {view}"))
                .fetch_one(pool)
                .await?,
        );
    }
    Ok(out)
}

/// Trending scores must not read the clock: subtracting the age from
/// CURRENT_TIMESTAMP would make every refresh rewrite every row and the
/// value depend on when the refresh ran. They grow from a fixed epoch.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn trending_order_is_independent_of_refresh_time(pool: PgPool) -> Res {
    for view in ["mv_feed_projects", "mv_chain_posts"] {
        let def = definition(&pool, view).await?.to_lowercase();
        for f in CLOCK_FUNCTIONS {
            ensure!(!def.contains(f), "{view} reads the clock ({f})");
        }
    }
    seeded(&pool).await?;
    refresh_all(&pool).await?;
    let before = trending_snapshot(&pool).await?;
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    // A rebuild recomputes every row from scratch.
    rebuild(&pool, "mv_feed_projects").await?;
    rebuild(&pool, "mv_chain_posts").await?;
    let after = trending_snapshot(&pool).await?;
    ensure!(before == after, "trending scores moved with the clock");

    // Newer content ranks higher at equal engagement ("-0.1 per hour of
    // age" at any instant): 0.1 per hour after the fixed epoch.
    let owner: Uuid = sqlx::query_scalar("SELECT id FROM users WHERE username = 'demo_builder'")
        .fetch_one(&pool)
        .await?;
    let mut ids = Vec::new();
    for hours in [0, 10] {
        let id: Uuid = sqlx::query_scalar(
            "INSERT INTO projects (user_id, title, created_at)
             VALUES ($1, 'Quiet project', timestamptz '2026-06-01 00:00:00+00' + make_interval(hours => $2))
             RETURNING id",
        )
        .bind(owner)
        .bind(hours)
        .fetch_one(&pool)
        .await?;
        ids.push(id);
    }
    refresh(&pool, "mv_feed_projects").await?;
    let (older, newer): (f64, f64) = sqlx::query_as(
        "SELECT (SELECT trending_score FROM mv_feed_projects WHERE id = $1),
                (SELECT trending_score FROM mv_feed_projects WHERE id = $2)",
    )
    .bind(ids[0])
    .bind(ids[1])
    .fetch_one(&pool)
    .await?;
    ensure!(
        (newer - older - 1.0).abs() < 1e-9,
        "10 hours newer should score 1.0 more: {older} vs {newer}"
    );
    Ok(())
}

/// Per-user columns in a shared view are always FALSE.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn no_per_user_placeholders(pool: PgPool) -> Res {
    for view in all_views(&pool).await? {
        let columns: Vec<String> = sqlx::query_scalar(
            "SELECT attname::text FROM pg_attribute
             WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped
               AND (attname LIKE 'user\\_has\\_%' OR attname LIKE 'user\\_is\\_%')",
        )
        .bind(&view)
        .fetch_all(&pool)
        .await?;
        ensure!(columns.is_empty(), "{view} has placeholders {columns:?}");
    }
    Ok(())
}

/// Fuzzy search (docs/VIEWS.md): "rsut" shares one trigram of nine with
/// "rust", so the query words are corrected against mv_search_terms first.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn fuzzy_search_finds_rust_from_rsut(pool: PgPool) -> Res {
    let extra = all_refreshed(&pool).await?;

    let corrected: String = sqlx::query_scalar("SELECT search_correct('rsut')")
        .fetch_one(&pool)
        .await?;
    ensure!(corrected == "rust", "corrected to {corrected}");
    let corrected: String = sqlx::query_scalar("SELECT search_correct('Blazng rsut tsak')")
        .fetch_one(&pool)
        .await?;
    ensure!(corrected == "blazing rust task", "corrected to {corrected}");
    // Known words stay; nothing close stays as typed.
    let kept: String = sqlx::query_scalar("SELECT search_correct('queue zzqxv')")
        .fetch_one(&pool)
        .await?;
    ensure!(kept == "queue zzqxv", "corrected to {kept}");
    let long = "rust".repeat(50);
    let kept: String = sqlx::query_scalar("SELECT search_correct($1)")
        .bind(&long)
        .fetch_one(&pool)
        .await?;
    ensure!(kept == long, "a 200-letter word was corrected");

    // The page's fuzzy query, as documented.
    let hits: Vec<(String, Uuid, String)> = sqlx::query_as(
        "WITH q AS (SELECT websearch_to_tsquery('english', search_correct($1)) AS tsq)
         SELECT s.result_type, s.id, s.name
         FROM mv_search_index s, q
         WHERE s.search_vector @@ q.tsq
         ORDER BY ts_rank(s.search_vector, q.tsq) DESC, s.relevance_score DESC, s.id DESC
         LIMIT 50",
    )
    .bind("rsut")
    .fetch_all(&pool)
    .await?;
    ensure!(
        hits.iter()
            .any(|(t, id, _)| t == "project" && *id == extra.rust_project),
        "rsut did not find the Rust project: {hits:?}"
    );

    // Trigram matching on names (typos inside longer words).
    let hits: Vec<Uuid> = sqlx::query_scalar(
        "SELECT id FROM mv_search_index WHERE $1 <% name
         ORDER BY word_similarity($1, name) DESC, relevance_score DESC, id DESC LIMIT 20",
    )
    .bind("Blazing Rust Task Queu")
    .fetch_all(&pool)
    .await?;
    ensure!(hits.contains(&extra.rust_project));
    Ok(())
}

/// Keyset pages concatenate to the full order, and each page query is
/// served in index order (no Sort even when sorting is discouraged).
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn page_queries_use_keyset_pagination_on_an_index(pool: PgPool) -> Res {
    all_refreshed(&pool).await?;

    let mut seen: Vec<Uuid> = Vec::new();
    let mut cursor: Option<(f64, Uuid)> = None;
    loop {
        let page: Vec<(Uuid, f64)> = sqlx::query_as(
            "SELECT id, trending_score FROM mv_feed_projects
             WHERE $1::float8 IS NULL OR (trending_score, id) < ($1, $2)
             ORDER BY trending_score DESC, id DESC LIMIT 25",
        )
        .bind(cursor.map(|c| c.0))
        .bind(cursor.map(|c| c.1))
        .fetch_all(&pool)
        .await?;
        let Some(last) = page.last() else { break };
        cursor = Some((last.1, last.0));
        seen.extend(page.iter().map(|r| r.0));
    }
    let all: Vec<Uuid> =
        sqlx::query_scalar("SELECT id FROM mv_feed_projects ORDER BY trending_score DESC, id DESC")
            .fetch_all(&pool)
            .await?;
    ensure!(seen == all, "keyset pages differ from the full order");

    let any = "'00000000-0000-0000-0000-000000000000'::uuid";
    let pages = [
        format!("SELECT * FROM mv_feed_projects WHERE (trending_score, id) < (1e9, {any}) ORDER BY trending_score DESC, id DESC LIMIT 20"),
        format!("SELECT * FROM mv_feed_projects WHERE (upvote_count, id) < (1000000, {any}) ORDER BY upvote_count DESC, id DESC LIMIT 20"),
        "SELECT * FROM mv_feed_projects WHERE created_at >= now() - interval '7 days' ORDER BY upvote_count DESC, id DESC LIMIT 20".to_string(),
        format!("SELECT * FROM mv_feed_projects WHERE (created_at, id) < (now(), {any}) ORDER BY created_at DESC, id DESC LIMIT 20"),
        format!("SELECT * FROM mv_feed_projects WHERE category = 'ai' AND (trending_score, id) < (1e9, {any}) ORDER BY trending_score DESC, id DESC LIMIT 20"),
        "SELECT * FROM mv_feed_projects WHERE is_featured ORDER BY trending_score DESC, id DESC LIMIT 20".to_string(),
        format!("SELECT * FROM mv_chains_discovery WHERE is_public AND (trending_score, id) < (1e9, {any}) ORDER BY trending_score DESC, id DESC LIMIT 20"),
        "SELECT * FROM mv_chains_discovery WHERE is_public ORDER BY follower_count DESC, id DESC LIMIT 20".to_string(),
        "SELECT * FROM mv_chains_discovery WHERE is_public AND category = 'ai' ORDER BY trending_score DESC, id DESC LIMIT 20".to_string(),
        format!("SELECT * FROM mv_chain_posts WHERE chain_id = {any} ORDER BY is_pinned DESC, trending_score DESC, id DESC LIMIT 20"),
        format!("SELECT * FROM mv_chain_posts WHERE chain_id = {any} AND (created_at, id) < (now(), {any}) ORDER BY created_at DESC, id DESC LIMIT 20"),
        format!("SELECT * FROM mv_investors_directory WHERE (approved_at, id) < (now(), {any}) ORDER BY approved_at DESC, id DESC LIMIT 20"),
        "SELECT * FROM mv_search_index WHERE result_type = 'user' ORDER BY relevance_score DESC, id DESC LIMIT 20".to_string(),
        "SELECT * FROM mv_validator_dashboard ORDER BY badges_given DESC, validator_id DESC LIMIT 20".to_string(),
        format!("SELECT * FROM mv_project_details WHERE user_id = {any} ORDER BY created_at DESC, id DESC LIMIT 20"),
    ];
    let mut conn = pool.acquire().await?;
    sqlx::query("SET enable_sort = off")
        .execute(&mut *conn)
        .await?;
    for sql in &pages {
        let doc: Value = sqlx::query_scalar(&format!("EXPLAIN (FORMAT JSON) {sql}"))
            .fetch_one(&mut *conn)
            .await
            .with_context(|| sql.clone())?;
        let plan = &doc[0]["Plan"];
        ensure!(
            !has_node(plan, "Sort") && !has_node(plan, "Incremental Sort"),
            "no index gives the order of\n{sql}\n{plan:#}"
        );
    }
    sqlx::query("RESET enable_sort").execute(&mut *conn).await?;

    // A leaderboard page ranks the first 1,000 entries of an index of the
    // feed's or the profiles' table (a sort of at most those 1,000 ranks,
    // whatever the size of the table), never a scan of the table (on this
    // small test table the planner would rather scan: ask whether the
    // index can serve it).
    sqlx::query("SET enable_seqscan = off")
        .execute(&mut *conn)
        .await?;
    for (sql, index) in [
        (
            "SELECT * FROM mv_leaderboard_projects WHERE rank > 20 ORDER BY rank LIMIT 20",
            "mv_feed_projects_proof",
        ),
        (
            "SELECT * FROM mv_leaderboard_builders WHERE rank > 20 ORDER BY rank LIMIT 20",
            "mv_user_profiles_karma",
        ),
    ] {
        let doc: Value = sqlx::query_scalar(&format!("EXPLAIN (FORMAT JSON) {sql}"))
            .fetch_one(&mut *conn)
            .await?;
        let text = doc.to_string();
        ensure!(
            text.contains(&format!("\"Index Name\":\"{index}\""))
                && !has_node(&doc[0]["Plan"], "Seq Scan"),
            "{sql} does not read {index}:\n{doc:#}"
        );
    }
    sqlx::query("RESET enable_seqscan")
        .execute(&mut *conn)
        .await?;
    Ok(())
}
