//! Server-only state handed to every server function and page through
//! Leptos context (and to axum handlers through `State`).

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::FromRef;
use data::PgPool;
use leptos::prelude::*;

use crate::error::AppError;
use crate::rate_limit::RateLimiter;

/// Settings the pages and server functions need at run time.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Honour `X-Forwarded-For` for the client address (behind a proxy).
    pub trust_proxy: bool,
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
    pub login_limiter: Arc<RateLimiter>,
    pub signup_limiter: Arc<RateLimiter>,
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

/// The client's address: the socket peer, or the first `X-Forwarded-For`
/// hop when the server is configured to trust its proxy.
pub fn client_ip(parts: &http::request::Parts, settings: &Settings) -> Option<IpAddr> {
    if settings.trust_proxy {
        if let Some(ip) = parts
            .headers
            .get("x-forwarded-for")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .and_then(|v| v.trim().parse().ok())
        {
            return Some(ip);
        }
    }
    parts
        .extensions
        .get::<axum::extract::ConnectInfo<std::net::SocketAddr>>()
        .map(|ci| ci.0.ip())
}
