//! The log-in and sign-up limits, counted in PostgreSQL (`data::limits`)
//! so that every instance behind a balancer shares them:
//!
//! - log-in failures per client address (`login_address`) and per login
//!   name as typed, lower-cased (`login_account`), in one sliding window;
//! - sign-up attempts per client address (`signup_address`), per hour,
//!   every attempt whatever its outcome.
//!
//! Each attempt is counted before the password work it guards and handed
//! back when it turns out not to count (a successful log-in), so parallel
//! requests cannot get more checks than the limit. Client addresses are
//! counted as they are for IPv4 and per /64 network for IPv6 (one
//! subscriber usually holds a whole /64).

use std::net::IpAddr;
use std::time::Duration;

use data::limits::{Attempt, Limit, Purger, Verdict};
use data::PgPool;

use crate::error::AppError;

/// How often one instance deletes expired counters (the table then holds
/// only the keys of the last window and a minute).
const PURGE_EVERY: Duration = Duration::from_secs(60);

/// The configured limits of this instance (the counts live in PostgreSQL).
pub struct Limits {
    pub login_per_address: Limit,
    pub login_per_account: Limit,
    pub signup_per_address: Limit,
    purger: Purger,
}

impl Limits {
    pub fn new(
        login_failures_per_address: u32,
        login_failures_per_account: u32,
        login_window: Duration,
        signups_per_hour: u32,
    ) -> Self {
        Limits {
            login_per_address: Limit {
                bucket: "login_address",
                max: login_failures_per_address,
                window: login_window,
            },
            login_per_account: Limit {
                bucket: "login_account",
                max: login_failures_per_account,
                window: login_window,
            },
            signup_per_address: Limit {
                bucket: "signup_address",
                max: signups_per_hour,
                window: Duration::from_secs(3600),
            },
            purger: Purger::new(PURGE_EVERY),
        }
    }

    /// Counts one attempt of `key`; `RateLimited` (429, with the wait) when
    /// the key has used up its window.
    pub async fn count(
        &self,
        pool: &PgPool,
        limit: &Limit,
        key: &str,
    ) -> Result<Attempt, AppError> {
        self.purger.now_and_then(pool);
        match data::limits::attempt(pool, limit, key).await? {
            Verdict::Allowed(attempt) => Ok(attempt),
            Verdict::Refused { retry_after } => {
                tracing::debug!(bucket = limit.bucket, "attempt refused by its limit");
                Err(AppError::RateLimited {
                    retry_after_secs: whole_seconds(retry_after),
                })
            }
        }
    }

    /// `RateLimited` when `key` has already used up its window; counts
    /// nothing (a cheap early refusal before waiting for anything).
    pub async fn check(&self, pool: &PgPool, limit: &Limit, key: &str) -> Result<(), AppError> {
        match data::limits::peek(pool, limit, key).await? {
            None => Ok(()),
            Some(wait) => Err(AppError::RateLimited {
                retry_after_secs: whole_seconds(wait),
            }),
        }
    }

    /// Hands back an attempt that did not count. A failure here only
    /// leaves the attempt counted, so it is logged, not returned.
    pub async fn refund(&self, pool: &PgPool, attempt: Option<Attempt>) {
        if let Some(attempt) = attempt {
            if let Err(err) = data::limits::refund(pool, &attempt).await {
                tracing::warn!(%err, "could not hand back a counted attempt");
            }
        }
    }
}

/// A wait as whole seconds, rounded up, at least one.
fn whole_seconds(wait: Duration) -> u64 {
    let secs = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
    secs.max(1)
}

/// The key a client address is counted under: the address for IPv4
/// (IPv4-mapped IPv6 included), its /64 network for IPv6.
pub fn address_key(ip: IpAddr) -> String {
    match ip {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{net}/64")
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ipv6_addresses_count_per_64_and_mapped_ipv4_as_ipv4() {
        let key = |s: &str| address_key(s.parse().unwrap());
        assert_eq!(key("192.0.2.1"), "192.0.2.1");
        assert_eq!(key("::ffff:192.0.2.1"), "192.0.2.1");
        assert_eq!(key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(key("2001:db8:1:2:ffff:1:2:3"), "2001:db8:1:2::/64");
        assert_ne!(key("2001:db8:1:3::1"), key("2001:db8:1:2::1"));
    }

    #[test]
    fn waits_round_up_to_whole_seconds() {
        assert_eq!(whole_seconds(Duration::ZERO), 1);
        assert_eq!(whole_seconds(Duration::from_millis(1)), 1);
        assert_eq!(whole_seconds(Duration::from_millis(2001)), 3);
        assert_eq!(whole_seconds(Duration::from_secs(300)), 300);
    }
}
