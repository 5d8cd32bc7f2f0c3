//! Server-only state handed to every server function and page through
//! Leptos context (and to axum handlers through `State`).

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::FromRef;
use data::PgPool;
use leptos::prelude::*;

use crate::error::AppError;
use crate::rate_limit::Limits;

/// Settings the pages and server functions need at run time.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Honour `X-Forwarded-For` for the client address (behind a proxy).
    pub trust_proxy: bool,
    /// How many proxies of ours append to `X-Forwarded-For` (at least 1).
    pub trusted_proxy_hops: usize,
    /// Absolute session lifetime from log-in, in seconds.
    pub session_max_secs: u64,
    /// The site's public address (`https://example.org`, no trailing
    /// slash) for absolute links (Atom feeds): from configuration, never
    /// from a request's `Host`.
    pub public_url: String,
}

#[derive(Clone)]
pub struct AppState {
    pub leptos_options: LeptosOptions,
    pub pool: PgPool,
    pub redis: Option<data::fred::clients::Pool>,
    /// Hot page data (in process + Redis), dropped on view refreshes.
    pub hot: data::cache::HotCache,
    /// The signed-in reader's upvotes, follows and forum votes (Redis).
    pub overlays: data::overlays::Overlays,
    pub settings: Arc<Settings>,
    /// Log-in and sign-up limits (counted in PostgreSQL).
    pub limits: Arc<Limits>,
    /// Caps the argon2 work of this instance.
    pub password_gate: data::users::PasswordGate,
    /// Set once this instance begins to shut down: `/readyz` answers 503
    /// from then on while the requests in flight (and new ones, for the
    /// drain period) are still served.
    pub draining: Arc<std::sync::atomic::AtomicBool>,
}

impl AppState {
    /// `load()` through the hot cache under `view` / `key` when `hot` (the
    /// first pages anonymous visitors read most), straight from
    /// PostgreSQL otherwise.
    pub async fn cached<T, F, Fut>(
        &self,
        hot: bool,
        view: &str,
        key: &str,
        load: F,
    ) -> Result<T, data::sqlx::Error>
    where
        T: serde::Serialize + serde::de::DeserializeOwned + Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, data::sqlx::Error>>,
    {
        if hot {
            self.hot.get_or_load(view, key, load).await
        } else {
            load().await
        }
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}

/// The state, from a server function or a page rendered on the server.
pub fn state() -> Result<AppState, AppError> {
    use_context::<AppState>().ok_or_else(|| {
        tracing::error!("AppState missing from context");
        AppError::Internal
    })
}

/// The client's address: the socket peer, or, when the server is
/// configured to trust its proxies, the address the outermost of them saw.
///
/// Each proxy appends the address it received the request from to
/// `X-Forwarded-For`, after whatever the client sent; the entries on the
/// left are the client's to choose. With `trusted_proxy_hops` proxies of
/// ours (1 when one proxy faces the clients) the client is the entry that
/// many from the right: the leftmost of the entries our proxies wrote.
/// Header lines are read in order as one list. An entry that is not an
/// address (`unknown`, garbage) gives the socket peer.
pub fn client_ip(parts: &http::request::Parts, settings: &Settings) -> Option<IpAddr> {
    let peer = parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|ci| ci.0.ip());
    if !settings.trust_proxy {
        return peer;
    }
    let lines: Vec<String> = parts
        .headers
        .get_all("x-forwarded-for")
        .iter()
        .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
        .collect();
    let entries: Vec<&str> = lines
        .iter()
        .flat_map(|line| line.split(','))
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .collect();
    if entries.is_empty() {
        return peer;
    }
    let client = entries[entries
        .len()
        .saturating_sub(settings.trusted_proxy_hops.max(1))];
    parse_forwarded(client).or(peer)
}

/// An address as proxies write it: `192.0.2.1`, `2001:db8::1`, or with a
/// port (`192.0.2.1:5123`, `[2001:db8::1]:5123`).
fn parse_forwarded(entry: &str) -> Option<IpAddr> {
    entry
        .parse::<IpAddr>()
        .ok()
        .or_else(|| entry.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            entry
                .strip_prefix('[')
                .and_then(|e| e.strip_suffix(']'))
                .and_then(|e| e.parse().ok())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(xff: &[&str]) -> http::request::Parts {
        let mut req = http::Request::builder();
        for line in xff {
            req = req.header("x-forwarded-for", *line);
        }
        let (mut parts, ()) = req.body(()).unwrap().into_parts();
        parts
            .extensions
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                [10, 0, 0, 1],
                443,
            ))));
        parts
    }

    fn settings(trust_proxy: bool, hops: usize) -> Settings {
        Settings {
            trust_proxy,
            trusted_proxy_hops: hops,
            session_max_secs: 0,
            public_url: "http://127.0.0.1".into(),
        }
    }

    fn ip(s: &str) -> Option<IpAddr> {
        Some(s.parse().unwrap())
    }

    #[test]
    fn the_address_our_proxy_appended_is_the_client() {
        let one = settings(true, 1);
        assert_eq!(
            client_ip(&parts(&["198.51.100.9, 203.0.113.7"]), &one),
            ip("203.0.113.7")
        );
        assert_eq!(client_ip(&parts(&["203.0.113.7"]), &one), ip("203.0.113.7"));
        assert_eq!(
            client_ip(&parts(&["198.51.100.9", "203.0.113.7"]), &one),
            ip("203.0.113.7")
        );
        let two = settings(true, 2);
        assert_eq!(
            client_ip(&parts(&["198.51.100.9, 203.0.113.7, 10.0.0.2"]), &two),
            ip("203.0.113.7")
        );
        // Fewer entries than hops: the client reached an inner proxy.
        assert_eq!(client_ip(&parts(&["203.0.113.7"]), &two), ip("203.0.113.7"));
    }

    #[test]
    fn ports_brackets_and_garbage() {
        let one = settings(true, 1);
        assert_eq!(
            client_ip(&parts(&["x, 203.0.113.7:5123"]), &one),
            ip("203.0.113.7")
        );
        assert_eq!(
            client_ip(&parts(&["[2001:db8::7]:5123"]), &one),
            ip("2001:db8::7")
        );
        assert_eq!(
            client_ip(&parts(&["[2001:db8::7]"]), &one),
            ip("2001:db8::7")
        );
        assert_eq!(
            client_ip(&parts(&["203.0.113.7, unknown"]), &one),
            ip("10.0.0.1")
        );
        assert_eq!(client_ip(&parts(&[" , "]), &one), ip("10.0.0.1"));
        assert_eq!(client_ip(&parts(&[]), &one), ip("10.0.0.1"));
    }

    #[test]
    fn without_trust_the_header_is_ignored() {
        assert_eq!(
            client_ip(&parts(&["203.0.113.7"]), &settings(false, 1)),
            ip("10.0.0.1")
        );
    }
}
