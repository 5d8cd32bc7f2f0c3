//! Demo-data loader against a real PostgreSQL (a fresh migrated database per
//! test). Run with
//! `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test -p data --test seed`.

use std::str::FromStr;
use std::sync::Mutex;
use std::time::Instant;

use data::seed::{self, SeedError, SeedOptions, SeedStep, DEMO_ACCOUNTS, DEMO_PASSWORD, TABLES};
use data::users;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Connection, PgConnection, PgPool};

fn no_progress(_: SeedStep) {}

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

async fn table_count(pool: &PgPool, table: &str) -> i64 {
    count(pool, &format!("select count(*) from {table}")).await
}

async fn distinct_values(pool: &PgPool, sql: &str) -> Vec<String> {
    sqlx::query_scalar::<_, String>(sql)
        .fetch_all(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// Options for the smallest demo data (scale 0.02).
fn tiny(seed: u64) -> SeedOptions {
    SeedOptions { scale: 0.02, seed }
}

/// Every status of the intro and investor request workflows is present.
async fn assert_request_statuses(pool: &PgPool) {
    assert_eq!(
        distinct_values(
            pool,
            "select distinct status from intro_requests order by 1"
        )
        .await,
        ["approved", "pending", "rejected", "withdrawn"]
    );
    assert_eq!(
        distinct_values(
            pool,
            "select distinct status from investor_requests order by 1"
        )
        .await,
        ["approved", "pending", "rejected"]
    );
}

fn within(actual: i64, target: i64, tolerance: f64) -> bool {
    let t = target as f64;
    (actual as f64) >= t * (1.0 - tolerance) && (actual as f64) <= t * (1.0 + tolerance)
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn default_scale_loads_a_realistic_community(pool: PgPool) {
    let steps = Mutex::new(Vec::new());
    let on_step = |s: SeedStep| steps.lock().unwrap().push((s, Instant::now()));
    let report = seed::seed(&pool, &SeedOptions::default(), &on_step)
        .await
        .expect("seed at default scale");
    let done = Instant::now();
    println!(
        "seed (scale 1.0, seed 42) took {:.2} s",
        report.elapsed.as_secs_f64()
    );
    let steps = steps.into_inner().unwrap();
    for (i, (step, started)) in steps.iter().enumerate() {
        let end = steps.get(i + 1).map_or(done, |(_, t)| *t);
        let rows = report
            .counts
            .iter()
            .find(|(t, _)| *t == step.name)
            .map_or(String::new(), |(_, n)| n.to_string());
        println!(
            "  {:<22} {rows:>8} rows {:>7.2} s",
            step.name,
            (end - *started).as_secs_f64()
        );
    }

    // Progress: every step reported once, in order, 0-based.
    let steps: Vec<SeedStep> = steps.into_iter().map(|(s, _)| s).collect();
    assert!(steps.len() >= TABLES.len());
    for (i, s) in steps.iter().enumerate() {
        assert_eq!(s.index, i);
        assert_eq!(s.total, steps.len());
    }
    for table in TABLES {
        assert!(
            steps.iter().any(|s| s.name == *table),
            "no step for {table}"
        );
    }

    // The report matches the database.
    for table in TABLES {
        let reported = report
            .counts
            .iter()
            .find(|(t, _)| t == table)
            .map(|(_, n)| *n);
        assert_eq!(reported, Some(table_count(&pool, table).await), "{table}");
    }

    let users = table_count(&pool, "users").await;
    assert!(within(users, 5000, 0.01), "users {users}");
    assert_eq!(table_count(&pool, "projects").await, 10_000);
    let upvotes = table_count(&pool, "upvotes").await;
    assert!(within(upvotes, 100_000, 0.15), "upvotes {upvotes}");
    let comments = table_count(&pool, "comments").await;
    assert!(within(comments, 30_000, 0.15), "comments {comments}");
    let replies = count(
        &pool,
        "select count(*) from comments where parent_id is not null",
    )
    .await;
    assert!(
        within(replies, comments / 4, 0.2),
        "replies {replies} of {comments}"
    );
    for (table, target) in [
        ("validation_badges", 8_000),
        ("chains", 60),
        ("chain_followers", 15_000),
        ("chain_projects", 3_000),
        ("chain_posts", 3_000),
        ("chain_post_votes", 20_000),
        ("chain_post_comments", 8_000),
        ("direct_messages", 20_000),
        ("notifications", 25_000),
    ] {
        let n = table_count(&pool, table).await;
        assert!(within(n, target, 0.15), "{table}: {n}, expected ~{target}");
    }

    // Roles: ~85-90% builders, ~5% validators, ~5% investors, a few admins.
    let role_share = |role: &'static str| {
        let pool = pool.clone();
        async move {
            count(
                &pool,
                &format!("select count(*) from users where role = '{role}'"),
            )
            .await as f64
                / users as f64
        }
    };
    assert!(role_share("builder").await > 0.85);
    assert!((0.04..0.06).contains(&role_share("validator").await));
    assert!((0.04..0.06).contains(&role_share("investor").await));
    assert!(role_share("admin").await > 0.0);

    // Replies hang off a comment on the same project.
    assert_eq!(
        count(
            &pool,
            "select count(*) from comments c join comments p on p.id = c.parent_id
             where p.project_id <> c.project_id"
        )
        .await,
        0
    );
    // Badges come only from validators.
    assert_eq!(
        count(
            &pool,
            "select count(*) from validation_badges b join users u on u.id = b.validator_id
             where u.role <> 'validator'"
        )
        .await,
        0
    );
    // Popularity is skewed: the top project has far more upvotes than the median.
    let top = count(
        &pool,
        "select max(n) from (select count(*) as n from upvotes group by project_id) x",
    )
    .await;
    assert!(top > 200, "top project has only {top} upvotes");
    // ~3% soft-deleted projects, each with deleted_at.
    let deleted = count(&pool, "select count(*) from projects where is_deleted").await;
    assert!((150..=450).contains(&deleted), "deleted {deleted}");
    assert_eq!(
        count(
            &pool,
            "select count(*) from projects where is_deleted <> (deleted_at is not null)"
        )
        .await,
        0
    );
    assert!(count(&pool, "select count(*) from projects where is_featured").await > 0);
    assert_eq!(
        count(
            &pool,
            "select count(*) from projects where image_url is not null"
        )
        .await,
        0
    );
    // Search has something to find.
    assert!(
        count(
            &pool,
            "select count(*) from projects where title ilike '%rust%'"
        )
        .await
            > 100
    );
    assert!(
        count(
            &pool,
            "select count(*) from projects where description ilike '%rust%'"
        )
        .await
            > 100
    );
    assert!(
        count(
            &pool,
            "select count(*) from chains where name in ('Rust Builders', 'AI Tinkerers')"
        )
        .await
            == 2
    );

    // Every status of the workflows is present.
    assert_request_statuses(&pool).await;
    assert_eq!(
        distinct_values(&pool, "select distinct status from reports order by 1").await,
        ["dismissed", "open", "resolved"]
    );
    assert!(
        count(
            &pool,
            "select count(*) from reports where target_type = 'feedback'"
        )
        .await
            > 0
    );
    assert_eq!(
        distinct_values(&pool, "select distinct kind from notifications order by 1").await,
        [
            "badge",
            "comment",
            "forum_reply",
            "intro_answer",
            "intro_request",
            "investor_decision",
            "reply",
            "system"
        ]
    );
    // Every investor has an approved application; intros come from them.
    assert_eq!(
        count(
            &pool,
            "select count(*) from users u where role = 'investor' and not exists (
                 select 1 from investor_requests r where r.user_id = u.id and r.status = 'approved')"
        )
        .await,
        0
    );
    assert_eq!(
        count(
            &pool,
            "select count(*) from intro_requests i where not exists (
                 select 1 from investor_requests r
                 where r.user_id = i.investor_id and r.status = 'approved')"
        )
        .await,
        0
    );
    // Read and unread mixes.
    for table in ["direct_messages", "notifications"] {
        let unread = count(
            &pool,
            &format!("select count(*) from {table} where not is_read"),
        )
        .await;
        let total = table_count(&pool, table).await;
        assert!(
            unread > total / 20 && unread < total * 3 / 4,
            "{table}: {unread} unread of {total}"
        );
    }
    let pairs = count(
        &pool,
        "select count(distinct (least(sender_id, recipient_id), greatest(sender_id, recipient_id)))
         from direct_messages",
    )
    .await;
    assert!(within(pairs, 2000, 0.15), "dm pairs {pairs}");
    assert!(count(&pool, "select count(*) from chain_posts where is_pinned").await > 0);
    assert!(count(&pool, "select count(*) from chain_posts where is_deleted").await > 0);

    // Timestamps lie within the last ~180 days, none in the future.
    assert_eq!(
        count(
            &pool,
            "select count(*) from (
                 select created_at from users union all select created_at from projects
                 union all select created_at from comments union all select created_at from upvotes
                 union all select created_at from notifications
             ) t where created_at > now() or created_at < now() - interval '181 days'"
        )
        .await,
        0
    );

    // Demo accounts exist with the right roles and the demo password works.
    for account in DEMO_ACCOUNTS {
        let role: String = sqlx::query_scalar("select role from users where username = $1")
            .bind(account.username)
            .fetch_one(&pool)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", account.username));
        assert_eq!(role, account.role, "{}", account.username);
    }
    let user = users::authenticate(&pool, "demo_builder", DEMO_PASSWORD)
        .await
        .expect("query")
        .expect("demo_builder logs in with the demo password");
    assert_eq!(user.role, "builder");
    assert!(users::authenticate(&pool, "demo_investor", DEMO_PASSWORD)
        .await
        .expect("query")
        .is_some());
    assert_eq!(
        count(
            &pool,
            "select count(*) from investor_requests r join users u on u.id = r.user_id
             where u.username = 'demo_investor' and r.status = 'approved'"
        )
        .await,
        1
    );
    assert!(
        count(
            &pool,
            "select count(*) from projects p join users u on u.id = p.user_id
             where u.username = 'demo_builder'"
        )
        .await
            >= 5
    );
    // proof_score is left to its trigger: it equals the badges' weights.
    assert!(count(&pool, "select count(*) from projects where proof_score > 0").await > 1000);
    let drift = data::reconcile::reconcile(&pool, false)
        .await
        .expect("reconcile");
    assert_eq!(drift.total_differences(), 0, "{drift}");
}

/// A content digest that ignores password hashes and absolute timestamps
/// (timestamps are compared as offsets from the seed's anchor instead).
async fn digest(pool: &PgPool) -> String {
    sqlx::query_scalar::<_, String>(
        "with anchor as (
             select created_at + interval '170 days' as t from users where username = 'demo_builder'
         )
         select md5(concat_ws('|',
             (select string_agg(concat_ws(',', id, username, email, role, bio, is_verified,
                     is_active, (select t from anchor) - created_at), ';' order by id) from users),
             (select string_agg(concat_ws(',', id, user_id, title, description,
                     proof_of_work_link, category, is_featured, is_deleted,
                     (select t from anchor) - created_at), ';' order by id) from projects),
             (select string_agg(concat_ws(',', id, user_id, project_id, is_upvote), ';'
                     order by id) from upvotes),
             (select string_agg(concat_ws(',', id, project_id, user_id, parent_id, content,
                     (select t from anchor) - created_at), ';' order by id) from comments),
             (select string_agg(concat_ws(',', id, project_id, validator_id, badge_type, note),
                     ';' order by id) from validation_badges),
             (select string_agg(concat_ws(',', id, name, creator_id, category, is_public),
                     ';' order by id) from chains),
             (select string_agg(concat_ws(',', chain_id, user_id), ';'
                     order by chain_id, user_id) from chain_followers),
             (select string_agg(concat_ws(',', id, chain_id, author_id, title, is_pinned,
                     is_deleted), ';' order by id) from chain_posts),
             (select string_agg(concat_ws(',', id, sender_id, recipient_id, message, is_read),
                     ';' order by id) from direct_messages),
             (select string_agg(concat_ws(',', id, user_id, actor_id, kind, message, is_read),
                     ';' order by id) from notifications),
             (select string_agg(concat_ws(',', id, investor_id, builder_id, project_id, status,
                     message), ';' order by id) from intro_requests),
             (select string_agg(concat_ws(',', id, user_id, status, company_name), ';'
                     order by id) from investor_requests),
             (select string_agg(concat_ws(',', id, reporter_id, target_type, target_id, status,
                     reason), ';' order by id) from reports)
         ))",
    )
    .fetch_one(pool)
    .await
    .expect("digest")
}

/// Creates and migrates a fresh database next to the test's; returns its pool.
async fn fresh_database(name: &str) -> PgPool {
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let admin = PgConnectOptions::from_str(&url)
        .expect("DATABASE_URL")
        .database("postgres");
    let mut conn = PgConnection::connect_with(&admin).await.expect("connect");
    sqlx::raw_sql(&format!("create database \"{name}\""))
        .execute(&mut conn)
        .await
        .expect("create database");
    conn.close().await.ok();
    let pool = PgPoolOptions::new()
        .max_connections(2)
        .connect_with(admin.clone().database(name))
        .await
        .expect("connect to the new database");
    data::db::migrate(&pool).await.expect("migrate");
    pool
}

async fn drop_database(pool: PgPool, name: &str) {
    pool.close().await;
    let url = std::env::var("DATABASE_URL").expect("DATABASE_URL");
    let admin = PgConnectOptions::from_str(&url)
        .expect("DATABASE_URL")
        .database("postgres");
    let mut conn = PgConnection::connect_with(&admin).await.expect("connect");
    sqlx::raw_sql(&format!("drop database if exists \"{name}\" with (force)"))
        .execute(&mut conn)
        .await
        .expect("drop database");
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn same_seed_same_content_different_seed_different_content(pool: PgPool) {
    let small = |seed| SeedOptions { scale: 0.05, seed };
    seed::seed(&pool, &small(7), &no_progress)
        .await
        .expect("seed A");
    let first = digest(&pool).await;

    let suffix = uuid::Uuid::new_v4().simple().to_string();
    let same_name = format!("seed_same_{suffix}");
    let other_name = format!("seed_other_{suffix}");
    let same = fresh_database(&same_name).await;
    let other = fresh_database(&other_name).await;
    let outcome = async {
        seed::seed(&same, &small(7), &no_progress).await?;
        seed::seed(&other, &small(8), &no_progress).await?;
        Ok::<_, SeedError>((digest(&same).await, digest(&other).await))
    }
    .await;
    drop_database(same, &same_name).await;
    drop_database(other, &other_name).await;
    let (second, different) = outcome.expect("seeding the extra databases");

    assert_eq!(first, second, "the same seed must give the same content");
    assert_ne!(first, different, "another seed must give other content");
    assert!(table_count(&pool, "users").await >= 250);
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn tiny_scale_still_has_every_kind_of_row(pool: PgPool) {
    let report = seed::seed(&pool, &tiny(1), &no_progress)
        .await
        .expect("seed at scale 0.02");
    println!(
        "seed (scale 0.02) took {:.2} s",
        report.elapsed.as_secs_f64()
    );
    for (table, n) in &report.counts {
        assert!(*n > 0, "{table} is empty at scale 0.02");
    }
    assert!(table_count(&pool, "users").await >= 50);
    // The counters the triggers kept while the rows went in are exact.
    let drift = data::reconcile::reconcile(&pool, false)
        .await
        .expect("reconcile");
    assert_eq!(drift.total_differences(), 0, "{drift}");
    for account in DEMO_ACCOUNTS {
        assert_eq!(
            count(
                &pool,
                &format!(
                    "select count(*) from users where username = '{}' and role = '{}'",
                    account.username, account.role
                )
            )
            .await,
            1
        );
    }
    assert_request_statuses(&pool).await;
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn refuses_a_database_that_has_users_and_writes_nothing(pool: PgPool) {
    let new = users::NewUser {
        username: "someone".into(),
        email: "someone@example.com".into(),
        password: "a long enough password".into(),
    };
    users::create(&pool, &new, users::Role::Builder)
        .await
        .expect("create user");
    assert!(!seed::is_empty(&pool).await.unwrap());

    let err = seed::seed(&pool, &tiny(1), &no_progress)
        .await
        .expect_err("seed must refuse");
    assert!(matches!(err, SeedError::NotEmpty), "{err:?}");
    assert_eq!(table_count(&pool, "users").await, 1);
    for table in &TABLES[1..] {
        assert_eq!(table_count(&pool, table).await, 0, "{table}");
    }
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn a_failure_midway_leaves_the_database_empty(pool: PgPool) {
    assert!(seed::is_empty(&pool).await.unwrap());
    // Make the last data step fail: everything before it must roll back.
    sqlx::raw_sql(
        "create function pg_temp_fail_reports() returns trigger language plpgsql as $$
         begin raise exception 'reports are broken today'; end $$;
         create trigger fail_reports before insert on reports
             for each statement execute function pg_temp_fail_reports();",
    )
    .execute(&pool)
    .await
    .expect("install failing trigger");

    let steps = Mutex::new(Vec::new());
    let on_step = |s: SeedStep| steps.lock().unwrap().push(s.name);
    let err = seed::seed(&pool, &tiny(3), &on_step)
        .await
        .expect_err("seed must fail");
    assert!(matches!(err, SeedError::Db(_)), "{err:?}");
    assert!(
        err.to_string().contains("reports are broken today"),
        "{err}"
    );
    assert_eq!(steps.into_inner().unwrap().last(), Some(&"reports"));

    for table in TABLES {
        assert_eq!(table_count(&pool, table).await, 0, "{table}");
    }
    assert!(seed::is_empty(&pool).await.unwrap());
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn rejects_a_nonsensical_scale(pool: PgPool) {
    for scale in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        let err = seed::seed(&pool, &SeedOptions { scale, seed: 1 }, &no_progress)
            .await
            .expect_err("bad scale");
        assert!(matches!(err, SeedError::Other(_)), "{err:?}");
    }
    assert!(seed::is_empty(&pool).await.unwrap());
}

/// Right after demo data loads, `serve --demo-data` brings every structure
/// up to date before it listens: the keyed ones (their logging was off
/// during the load) and the views kept on a timer alone, which no write
/// marks dirty.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn after_a_load_every_structure_is_brought_up_to_date(pool: PgPool) {
    use data::refresher::{bring_up_to_date, refresh_now, CatchUp, TriggeredBy};
    // What a running server did before the load: everything built, the
    // timer-only views refreshed a moment ago (their timers not due).
    bring_up_to_date(&pool, CatchUp::Unpopulated).await.unwrap();
    for view in ["mv_admin_dashboard", "mv_search_terms"] {
        assert!(
            refresh_now(&pool, view, TriggeredBy::Manual)
                .await
                .unwrap()
                .ok
        );
    }
    seed::seed(&pool, &tiny(3), &no_progress)
        .await
        .expect("seed");
    bring_up_to_date(&pool, CatchUp::Stale).await.unwrap();

    let users = table_count(&pool, "users").await;
    assert!(users >= 50);
    assert_eq!(
        count(&pool, "select users_total from mv_admin_dashboard").await,
        users
    );
    assert_eq!(
        count(&pool, "select count(*) from mv_search_terms").await,
        count(&pool, "select count(*) from mv_search_terms_def").await
    );
    assert_eq!(
        count(&pool, "select count(*) from mv_feed_projects").await,
        count(&pool, "select count(*) from projects where not is_deleted").await
    );
}
