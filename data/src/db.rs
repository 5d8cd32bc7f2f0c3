//! Connections: the PostgreSQL pool, migrations, and the Redis client.

use std::time::Duration;

use fred::prelude::*;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;

/// The embedded migrations (`migrations/` at the workspace root).
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../migrations");

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
    sqlx::Connection::close(conn).await?;
    Ok(())
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
