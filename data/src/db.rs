//! Connections: the PostgreSQL pool, migrations, and the Redis client.

use std::time::Duration;

use fred::prelude::*;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

/// The embedded migrations (`migrations/` at the workspace root).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

/// `(name, contents)` of `data/derived/<name>.sql`.
macro_rules! derived {
    ($name:literal) => {
        ($name, include_str!(concat!("../derived/", $name, ".sql")))
    };
}

/// The derived structures (`data/derived/`), in the order they are applied
/// after the migrations: the engine first, then each structure in its own
/// file (its definition, table, indexes and the triggers that log its
/// keys). Every file is idempotent; see docs/REFRESHER.md.
pub const DERIVED: &[(&str, &str)] = &[
    derived!("engine"),
    derived!("proof_score"),
    derived!("user_dashboard_stats"),
    derived!("intro_request_stats"),
    derived!("message_conversations"),
    derived!("notifications"),
    derived!("mv_feed_projects"),
    derived!("mv_project_details"),
    derived!("mv_user_profiles"),
    derived!("mv_search_index"),
    derived!("mv_leaderboard_projects"),
    derived!("mv_leaderboard_builders"),
    derived!("mv_chain_posts"),
    derived!("mv_chains_discovery"),
    derived!("mv_investors_directory"),
    derived!("mv_investor_dashboard"),
    derived!("mv_validator_dashboard"),
    derived!("mv_admin_dashboard"),
    derived!("mv_search_terms"),
];

/// Advisory lock held while the derived structures are applied, so that
/// instances starting together apply them one after another ("proof_dv").
const DERIVED_LOCK_KEY: i64 = 0x7072_6f6f_665f_6476;

/// The migrations followed by the derived structures as one last
/// migration: what a database created empty needs (`#[sqlx::test(migrator
/// = "data::db::FRESH_SCHEMA")]`). A long-lived database uses [`migrate`],
/// which re-applies the derived structures on every start instead.
pub static FRESH_SCHEMA: std::sync::LazyLock<sqlx::migrate::Migrator> =
    std::sync::LazyLock::new(|| {
        let mut migrations = MIGRATOR.migrations.to_vec();
        let sql: String = DERIVED.iter().map(|(_, sql)| format!("{sql}\n")).collect();
        migrations.push(sqlx::migrate::Migration::new(
            99_991_231_000_000,
            "derived structures".into(),
            sqlx::migrate::MigrationType::Simple,
            sql.into(),
            false,
        ));
        sqlx::migrate::Migrator {
            migrations: migrations.into(),
            ignore_missing: false,
            locking: true,
            no_tx: false,
        }
    });

/// Opens the pool. Nothing waits on PostgreSQL without a bound:
/// - a short acquire timeout keeps a page from hanging for the default
///   30 s while PostgreSQL is unreachable or the pool is exhausted: it fails
///   fast and the caller answers 503;
/// - every statement is cancelled by PostgreSQL after `statement_timeout`
///   (a request cut off by the server's request timeout leaves no query
///   running behind it for long); work that is long by nature sets its own
///   bound for its transaction (`SET LOCAL statement_timeout`: view
///   refreshes, reconciliation, demo data);
/// - a session idle inside a transaction for a minute is ended, so a task
///   that stalls mid-transaction cannot hold its row locks forever.
pub async fn connect(
    url: &str,
    max_connections: u32,
    statement_timeout: Duration,
) -> Result<PgPool, sqlx::Error> {
    let options: PgConnectOptions = url.parse()?;
    let statement_timeout = statement_timeout.as_millis().to_string();
    PgPoolOptions::new()
        .max_connections(max_connections)
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(3))
        .connect_with(options.application_name("proofwork").options([
            ("statement_timeout", statement_timeout.as_str()),
            ("idle_in_transaction_session_timeout", "60000"),
        ]))
        .await
}

/// Applies every pending migration, on a connection of its own without
/// the pool's statement timeout (an index built on a large table may take
/// minutes); the connection is closed afterwards.
pub async fn migrate(pool: &PgPool) -> Result<(), sqlx::migrate::MigrateError> {
    let mut conn = pool.acquire().await?.detach();
    sqlx::query("SET statement_timeout = 0")
        .execute(&mut conn)
        .await?;
    MIGRATOR.run(&mut conn).await?;
    apply_derived(&mut conn).await?;
    sqlx::Connection::close(conn).await?;
    Ok(())
}

/// Applies every file of [`DERIVED`] in one transaction (a failure leaves
/// the previous definitions in place), one instance at a time.
///
/// Replacing a trigger locks its table against writes until the
/// transaction ends, so an instance starting beside running ones can meet
/// their writers: a deadlock (a writer holding one table and wanting
/// another) or a long wait, during which every writer of that table would
/// queue behind the apply. Each lock is therefore waited for at most
/// [`DERIVED_LOCK_TIMEOUT`], and an attempt that lost a deadlock or timed
/// out is rolled back and tried again, up to [`DERIVED_ATTEMPTS`] times.
pub async fn apply_derived(conn: &mut sqlx::PgConnection) -> Result<(), sqlx::Error> {
    let mut attempt = 1;
    loop {
        match apply_derived_once(conn).await {
            Ok(()) => return Ok(()),
            Err((name, e)) if attempt < DERIVED_ATTEMPTS && is_lock_conflict(&e) => {
                tracing::warn!(file = name, attempt, error = %e, "applying data/derived/ met a lock conflict; retrying");
                tokio::time::sleep(Duration::from_millis(250) * attempt).await;
                attempt += 1;
            }
            Err((name, e)) => {
                return Err(sqlx::Error::Protocol(format!(
                    "applying data/derived/{name}.sql: {e}"
                )))
            }
        }
    }
}

/// How long [`apply_derived`] waits for one table lock.
const DERIVED_LOCK_TIMEOUT: &str = "2s";
/// How many times [`apply_derived`] tries.
const DERIVED_ATTEMPTS: u32 = 5;

async fn apply_derived_once(
    conn: &mut sqlx::PgConnection,
) -> Result<(), (&'static str, sqlx::Error)> {
    use sqlx::Connection;
    let start = |e| ("(start)", e);
    let mut tx = conn.begin().await.map_err(start)?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(DERIVED_LOCK_KEY)
        .execute(&mut *tx)
        .await
        .map_err(start)?;
    sqlx::query(&format!(
        "SET LOCAL lock_timeout = '{DERIVED_LOCK_TIMEOUT}'"
    ))
    .execute(&mut *tx)
    .await
    .map_err(start)?;
    for (name, sql) in DERIVED {
        sqlx::raw_sql(sql)
            .execute(&mut *tx)
            .await
            .map_err(|e| (*name, e))?;
    }
    tx.commit().await.map_err(|e| ("(commit)", e))
}

/// A deadlock (40P01) or a lock wait cut off by `lock_timeout` (55P03).
fn is_lock_conflict(e: &sqlx::Error) -> bool {
    e.as_database_error()
        .and_then(|d| d.code())
        .is_some_and(|c| c == "40P01" || c == "55P03")
}

/// True when PostgreSQL answers a trivial query.
pub async fn ping(pool: &PgPool) -> bool {
    sqlx::query_scalar::<_, i32>("select 1")
        .fetch_one(pool)
        .await
        .is_ok()
}

/// Builds a Redis pool that reconnects forever with backoff and never
/// blocks a caller longer than `timeout`: Redis is a cache and a signal
/// bus, so a slow or dead Redis must degrade to PostgreSQL, not hang.
/// Start-up does not wait for Redis either.
pub async fn redis(url: &str, timeout: Duration) -> Result<Pool, fred::error::Error> {
    let mut config = Config::from_url(url)?;
    config.fail_fast = false;
    let pool = Builder::from_config(config)
        .with_performance_config(|perf| {
            perf.default_command_timeout = timeout;
        })
        .with_connection_config(|conn| {
            conn.connection_timeout = timeout;
            conn.internal_command_timeout = timeout;
            conn.max_command_attempts = 1;
        })
        .set_policy(ReconnectPolicy::new_exponential(0, 100, 5_000, 2))
        .build_pool(4)?;
    pool.connect_pool();
    if tokio::time::timeout(timeout, pool.wait_for_connect())
        .await
        .is_err()
    {
        tracing::warn!("redis not reachable at start; serving from PostgreSQL until it is");
    }
    Ok(pool)
}
