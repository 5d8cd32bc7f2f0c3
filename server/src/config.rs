//! Configuration: built-in defaults, overridden by environment variables
//! (see `.env.example`), overridden by command-line flags.

use std::fmt;
use std::net::SocketAddr;

use clap::Args;

/// A value that must never be printed (database URLs carry passwords).
#[derive(Clone)]
pub struct Secret(pub String);

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Secret(s.to_string()))
    }
}

/// Where the data lives.
#[derive(Debug, Clone, Args)]
pub struct DbConfig {
    /// PostgreSQL connection URL.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true)]
    pub database_url: Secret,
    /// Largest number of PostgreSQL connections this instance opens.
    #[arg(long, env = "PROOFWORK_DB_POOL_SIZE", default_value_t = 20)]
    pub db_pool_size: u32,
    /// Longest a statement on the pool may run before PostgreSQL cancels
    /// it, in milliseconds (refreshes, reconciliation and demo data set
    /// their own bound).
    #[arg(long, env = "PROOFWORK_STATEMENT_TIMEOUT_MS", default_value_t = 30_000)]
    pub statement_timeout_ms: u64,
}

/// Everything `serve` needs beyond the database.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to listen on.
    #[arg(long, env = "PROOFWORK_ADDR", default_value = "127.0.0.1:3000")]
    pub addr: SocketAddr,
    /// The site's public address for absolute links (Atom feeds), e.g.
    /// `https://proofwork.example` (default: `http://` and the address
    /// the server listens on).
    #[arg(long, env = "PROOFWORK_PUBLIC_URL", value_parser = parse_public_url)]
    pub public_url: Option<String>,
    /// Redis URL (cache and signal bus; the site works without it).
    #[arg(long, env = "REDIS_URL", hide_env_values = true)]
    pub redis_url: Option<Secret>,
    /// Longest wait for any Redis command, in milliseconds.
    #[arg(long, env = "PROOFWORK_REDIS_TIMEOUT_MS", default_value_t = 250)]
    pub redis_timeout_ms: u64,
    /// Longest a request may take before it is answered 503 with
    /// `Retry-After`, in milliseconds (event streams are bounded only
    /// until their first byte).
    #[arg(long, env = "PROOFWORK_REQUEST_TIMEOUT_MS", default_value_t = 15_000)]
    pub request_timeout_ms: u64,
    /// After SIGTERM, keep serving this many seconds with `/readyz`
    /// answering 503 (so a balancer stops sending new requests), then
    /// stop; Ctrl-C stops at once.
    #[arg(long, env = "PROOFWORK_SHUTDOWN_DRAIN_SECS", default_value_t = 5)]
    pub shutdown_drain_secs: u64,
    /// Cache hot page data (feed, leaderboards, chains, investors) in
    /// process and in Redis (off: every read goes to PostgreSQL).
    #[arg(long, env = "PROOFWORK_HOT_CACHE", default_value_t = true, action = clap::ArgAction::Set)]
    pub hot_cache: bool,
    /// Keep readers' upvotes, follows and forum votes in Redis (off: read
    /// from PostgreSQL on every page).
    #[arg(long, env = "PROOFWORK_OVERLAYS", default_value_t = true, action = clap::ArgAction::Set)]
    pub overlays: bool,
    /// Mark cookies Secure (set when the site is served over TLS).
    #[arg(long, env = "PROOFWORK_SECURE_COOKIES", default_value_t = false)]
    pub secure_cookies: bool,
    /// Trust `X-Forwarded-For` for the client address (only behind a proxy you run).
    #[arg(long, env = "PROOFWORK_TRUST_PROXY", default_value_t = false)]
    pub trust_proxy: bool,
    /// With `--trust-proxy`: how many proxies of yours append to
    /// `X-Forwarded-For` (the client is that many entries from the right).
    #[arg(
        long,
        env = "PROOFWORK_TRUSTED_PROXY_HOPS",
        default_value_t = 1,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub trusted_proxy_hops: u32,
    /// Sign-out after this many days without a request.
    #[arg(long, env = "PROOFWORK_SESSION_IDLE_DAYS", default_value_t = 7)]
    pub session_idle_days: i64,
    /// Sign-out this many days after log-in, active or not.
    #[arg(long, env = "PROOFWORK_SESSION_MAX_DAYS", default_value_t = 30)]
    pub session_max_days: u64,
    /// Failed log-ins allowed per client address per window (IPv6: per /64).
    #[arg(
        long,
        env = "PROOFWORK_LOGIN_FAILURES_PER_WINDOW",
        default_value_t = 10,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub login_failures_per_window: u32,
    /// Failed log-ins allowed per login name (username or email as typed)
    /// per window, from all addresses together.
    #[arg(
        long,
        env = "PROOFWORK_LOGIN_FAILURES_PER_ACCOUNT",
        default_value_t = 10,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub login_failures_per_account: u32,
    /// The log-in failure window, in seconds (sliding).
    #[arg(
        long,
        env = "PROOFWORK_LOGIN_WINDOW_SECS",
        default_value_t = 300,
        value_parser = clap::value_parser!(u64).range(1..)
    )]
    pub login_window_secs: u64,
    /// Sign-up attempts (successful or not) one client address may make per hour.
    #[arg(
        long,
        env = "PROOFWORK_SIGNUP_PER_HOUR",
        default_value_t = 20,
        value_parser = clap::value_parser!(u32).range(1..)
    )]
    pub signup_per_hour: u32,
    /// Password hashes and checks this instance runs at once (each holds
    /// 19 MiB and a core); 0 = one per core.
    #[arg(long, env = "PROOFWORK_PASSWORD_CHECKS", default_value_t = 0)]
    pub password_checks: usize,
    /// Password checks that may wait for a turn; more are refused at once
    /// with 503 and `Retry-After`.
    #[arg(long, env = "PROOFWORK_PASSWORD_CHECK_QUEUE", default_value_t = 32)]
    pub password_check_queue: usize,
    /// With `--demo-data`: demo data scale (1.0 = 5,000 users, 10,000 projects).
    #[arg(long, env = "PROOFWORK_DEMO_SCALE", default_value_t = 1.0)]
    pub demo_scale: f64,
    /// With `--demo-data`: the random seed of the demo data.
    #[arg(long, env = "PROOFWORK_DEMO_SEED", default_value_t = 42)]
    pub demo_seed: u64,
    /// Run the view refresher in this instance (only one instance leads at
    /// a time; the others stand by).
    #[arg(long, env = "PROOFWORK_REFRESHER", default_value_t = true, action = clap::ArgAction::Set)]
    pub refresher: bool,
    /// Debounce window of view refreshes, in milliseconds.
    #[arg(long, env = "PROOFWORK_REFRESH_DEBOUNCE_MS", default_value_t = 500)]
    pub refresh_debounce_ms: u64,
    /// Seconds between scheduled reconciliations (across all instances;
    /// 0 turns the schedule off). `server reconcile` runs one on demand.
    #[arg(long, env = "PROOFWORK_RECONCILE_EVERY_SECS", default_value_t = 3600)]
    pub reconcile_every_secs: u64,
    /// Let scheduled reconciliations repair the counters they find wrong
    /// (off: they only report, in the log and on the admin health page).
    #[arg(long, env = "PROOFWORK_RECONCILE_REPAIR", default_value_t = false, action = clap::ArgAction::Set)]
    pub reconcile_repair: bool,
    /// Let scheduled reconciliations compare every view with its definition.
    #[arg(long, env = "PROOFWORK_RECONCILE_VIEWS", default_value_t = true, action = clap::ArgAction::Set)]
    pub reconcile_views: bool,
    /// Load demo data at start when the database has no users yet.
    #[arg(long)]
    pub demo_data: bool,
    /// Bearer token that lets monitoring tools read
    /// `/denormalization-health` without an admin session (unset: only
    /// admins' sessions).
    #[arg(long, env = "PROOFWORK_HEALTH_TOKEN", hide_env_values = true)]
    pub health_token: Option<Secret>,
}

/// An absolute http(s) address with a host and nothing after it but an
/// optional `/`; kept without the trailing slash.
pub fn parse_public_url(s: &str) -> Result<String, String> {
    let (scheme, rest) = s
        .split_once("://")
        .ok_or("must start with http:// or https://")?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err("must start with http:// or https://".into());
    }
    let host = rest.strip_suffix('/').unwrap_or(rest);
    let valid = !host.is_empty()
        && host.len() <= 255
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':' | b'[' | b']'));
    if !valid {
        return Err("must be scheme://host[:port] with nothing after the host".into());
    }
    Ok(format!("{}://{host}", scheme.to_ascii_lowercase()))
}

#[cfg(test)]
mod tests {
    use super::parse_public_url;

    #[test]
    fn public_urls_are_a_scheme_and_a_host_only() {
        assert_eq!(
            parse_public_url("https://proofwork.example/").as_deref(),
            Ok("https://proofwork.example")
        );
        assert_eq!(
            parse_public_url("HTTP://127.0.0.1:3000").as_deref(),
            Ok("http://127.0.0.1:3000")
        );
        for bad in [
            "proofwork.example",
            "ftp://x",
            "https://",
            "https://a/b",
            "https://a\"><x",
        ] {
            assert!(parse_public_url(bad).is_err(), "{bad}");
        }
    }
}
