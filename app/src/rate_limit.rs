//! A per-key sliding-window limiter (per client IP for log-in failures and
//! sign-ups). In-process: each server instance limits on its own, which
//! bounds an attacker to N x the limit across N instances.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

pub struct RateLimiter {
    max: usize,
    window: Duration,
    events: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl RateLimiter {
    pub fn new(max: usize, window: Duration) -> Self {
        RateLimiter {
            max,
            window,
            events: Mutex::new(HashMap::new()),
        }
    }

    /// `Err(seconds to wait)` when `key` has used up its window.
    pub fn check(&self, key: IpAddr) -> Result<(), u64> {
        let now = Instant::now();
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        let Some(q) = events.get_mut(&key) else {
            return Ok(());
        };
        while q
            .front()
            .is_some_and(|t| now.duration_since(*t) >= self.window)
        {
            q.pop_front();
        }
        if q.len() >= self.max {
            let oldest = *q.front().expect("non-empty when at the limit");
            let wait = self.window.saturating_sub(now.duration_since(oldest));
            return Err(wait.as_secs().max(1));
        }
        Ok(())
    }

    /// Counts one event for `key`.
    pub fn record(&self, key: IpAddr) {
        let now = Instant::now();
        let mut events = self.events.lock().unwrap_or_else(|e| e.into_inner());
        // Keep memory bounded: drop keys whose events have all expired.
        if events.len() > 10_000 {
            let window = self.window;
            events.retain(|_, q| q.back().is_some_and(|t| now.duration_since(*t) < window));
        }
        events.entry(key).or_default().push_back(now);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_after_max_and_names_the_wait() {
        let limiter = RateLimiter::new(3, Duration::from_secs(60));
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let other: IpAddr = "192.0.2.2".parse().unwrap();
        for _ in 0..3 {
            assert!(limiter.check(ip).is_ok());
            limiter.record(ip);
        }
        let wait = limiter.check(ip).unwrap_err();
        assert!((1..=60).contains(&wait));
        assert!(limiter.check(other).is_ok());
    }

    #[test]
    fn window_expires() {
        let limiter = RateLimiter::new(1, Duration::from_millis(20));
        let ip: IpAddr = "192.0.2.3".parse().unwrap();
        limiter.record(ip);
        assert!(limiter.check(ip).is_err());
        std::thread::sleep(Duration::from_millis(30));
        assert!(limiter.check(ip).is_ok());
    }
}
