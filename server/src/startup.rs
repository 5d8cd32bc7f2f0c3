//! Building the application: connections, migrations, the router and its
//! layers. `main` only parses the command line and calls in here, so tests
//! start the real thing on port 0.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::Router;
use leptos::prelude::*;
use leptos_axum::{generate_route_list, AxumRouteListing, LeptosRoutes};
use tower_http::trace::TraceLayer;
use tower_sessions::cookie::SameSite;
use tower_sessions::{Expiry, SessionManagerLayer};
use tower_sessions_sqlx_store::PostgresStore;

use app::rate_limit::Limits;
use app::state::{AppState, Settings};
use app::{shell, App};

use crate::config::{DbConfig, ServeConfig};
use crate::middleware;

static CSS: &str = include_str!("../../style/main.css");
static FAVICON: &str = include_str!("../../public/favicon.svg");

/// Opens the pool and brings the schema (ours and the session store's) up
/// to date.
pub async fn connect_and_migrate(db: &DbConfig) -> anyhow::Result<data::PgPool> {
    let pool = data::db::connect(
        &db.database_url.0,
        db.db_pool_size,
        Duration::from_millis(db.statement_timeout_ms),
    )
    .await?;
    data::db::migrate(&pool).await?;
    PostgresStore::new(pool.clone()).migrate().await?;
    Ok(pool)
}

/// A running server: where it listens and the future that serves.
pub struct Application {
    pub addr: SocketAddr,
    listener: tokio::net::TcpListener,
    router: Router,
    draining: Arc<AtomicBool>,
    drain: Duration,
    stop: Arc<tokio::sync::Notify>,
}

/// Begins an [`Application`]'s shutdown as a SIGTERM would (for tests and
/// embedders).
#[derive(Clone)]
pub struct ShutdownHandle(Arc<tokio::sync::Notify>);

impl ShutdownHandle {
    pub fn begin(&self) {
        self.0.notify_one();
    }
}

impl Application {
    pub async fn build(pool: data::PgPool, cfg: &ServeConfig) -> anyhow::Result<Application> {
        let redis = match &cfg.redis_url {
            Some(url) => {
                Some(data::db::redis(&url.0, Duration::from_millis(cfg.redis_timeout_ms)).await?)
            }
            None => None,
        };
        let namespace = data::cache::namespace(&pool).await?;
        let gate = data::cache::RedisGate::new(redis.clone(), &namespace, Duration::from_secs(2));
        let hot = data::cache::HotCache::new(
            gate.clone(),
            data::cache::HotCacheConfig {
                enabled: cfg.hot_cache,
                ..Default::default()
            },
        );
        if let Some(url) = &cfg.redis_url {
            tokio::spawn(hot.clone().listen(url.0.clone(), shutdown_signal()));
        }
        let overlays = data::overlays::Overlays::new(
            gate,
            data::overlays::OverlayConfig {
                enabled: cfg.overlays,
                ..Default::default()
            },
        );
        let instance_id = data::refresher::default_instance_id();
        if cfg.refresher {
            let refresher = data::refresher::Refresher::new(
                pool.clone(),
                redis.clone(),
                data::refresher::RefresherConfig {
                    debounce: Duration::from_millis(cfg.refresh_debounce_ms),
                    instance_id: instance_id.clone(),
                    ..Default::default()
                },
            )
            .with_hot_cache(hot.clone());
            tokio::spawn(refresher.run(shutdown_signal()));
        }
        if cfg.reconcile_every_secs > 0 {
            let schedule = data::reconcile::ScheduleConfig {
                every: Duration::from_secs(cfg.reconcile_every_secs),
                repair: cfg.reconcile_repair,
                views: cfg.reconcile_views,
                instance_id,
            };
            tokio::spawn(data::reconcile::schedule(
                pool.clone(),
                schedule,
                shutdown_signal(),
            ));
        }
        let listener = tokio::net::TcpListener::bind(cfg.addr).await?;
        let addr = listener.local_addr()?;
        let site_root = crate::client::site_root();
        let client = crate::client::detect(&site_root);
        // Leptos joins the hash file's name to the executable's folder; an
        // absolute path replaces that folder, so tests and `scripts/run`
        // read the same file.
        let leptos_options = LeptosOptions::builder()
            .output_name("proofwork")
            .site_root(site_root.to_string_lossy().into_owned())
            .site_pkg_dir("pkg")
            .site_addr(addr)
            .hash_files(client.is_some())
            .hash_file(
                client
                    .as_ref()
                    .map(|c| c.hash_file.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "hash.txt".to_string())
                    .into(),
            )
            .build();
        match &client {
            Some(c) => tracing::info!(js = %c.js, wasm = %c.wasm, "serving the hydrated client"),
            None => tracing::info!(
                site_root = %site_root.display(),
                "no compiled client (hash.txt and its files): pages are served without hydration"
            ),
        }
        app::CLIENT_BUILT.store(client.is_some(), std::sync::atomic::Ordering::Relaxed);

        let state = AppState {
            leptos_options: leptos_options.clone(),
            pool: pool.clone(),
            redis,
            hot,
            overlays,
            settings: Arc::new(Settings {
                trust_proxy: cfg.trust_proxy,
                trusted_proxy_hops: cfg.trusted_proxy_hops as usize,
                session_max_secs: cfg.session_max_days * 24 * 3600,
                public_url: cfg
                    .public_url
                    .clone()
                    .unwrap_or_else(|| format!("http://{addr}")),
            }),
            limits: Arc::new(Limits::new(
                cfg.login_failures_per_window,
                cfg.login_failures_per_account,
                Duration::from_secs(cfg.login_window_secs),
                cfg.signup_per_hour,
            )),
            password_gate: data::users::PasswordGate::new(
                match cfg.password_checks {
                    0 => std::thread::available_parallelism().map_or(2, |n| n.get()),
                    n => n,
                },
                cfg.password_check_queue,
            ),
            draining: Arc::new(AtomicBool::new(false)),
        };

        let draining = state.draining.clone();
        let store = PostgresStore::new(pool.clone());
        tokio::spawn(delete_expired_sessions(store.clone()));
        let sessions = SessionManagerLayer::new(store)
            .with_name("proofwork_session")
            .with_http_only(true)
            .with_same_site(SameSite::Lax)
            .with_secure(cfg.secure_cookies)
            .with_expiry(Expiry::OnInactivity(
                tower_sessions::cookie::time::Duration::days(cfg.session_idle_days),
            ));

        let routes = route_list();
        let router = Router::new()
            .route("/healthz", get(|| async { "ok" }))
            .route("/livez", get(crate::health::livez))
            .route("/readyz", get(crate::health::readyz))
            .route(
                "/denormalization-health",
                get({
                    let token = cfg.health_token.as_ref().map(|t| t.0.clone());
                    move |axum::extract::State(state): axum::extract::State<AppState>,
                          user: Option<axum::Extension<app::auth::CurrentUser>>,
                          headers: axum::http::HeaderMap| {
                        crate::health::denormalization_health(state, user, headers, token.clone())
                    }
                }),
            )
            .route("/pkg/proofwork.css", get(css))
            .merge(crate::client::pkg_routes(&site_root))
            .route("/favicon.svg", get(favicon))
            .route("/feeds/projects.atom", get(crate::feeds::projects_atom))
            .route(
                "/c/{id}/feed.atom",
                get(crate::chain_feed::chain_forum_atom),
            )
            .merge(crate::events::routes(pool.clone()))
            .leptos_routes_with_context(&state, routes, middleware::provide_csp_nonce, {
                let options = leptos_options.clone();
                move || shell(options.clone())
            })
            .fallback(leptos_axum::file_and_error_handler_with_context::<
                AppState,
                _,
            >(middleware::provide_csp_nonce, shell))
            .layer(axum::middleware::from_fn(middleware::strip_bidi_controls))
            .layer(axum::middleware::from_fn(middleware::form_flash))
            .layer(axum::middleware::from_fn(middleware::server_fn_status))
            .layer(axum::middleware::from_fn_with_state(
                state.clone(),
                middleware::load_current_user,
            ))
            .layer(sessions)
            .layer(axum::middleware::from_fn(middleware::reject_cross_site))
            .layer(axum::extract::DefaultBodyLimit::max(256 * 1024))
            .layer(axum::middleware::from_fn_with_state(
                Duration::from_millis(cfg.request_timeout_ms),
                crate::timeout::request_timeout,
            ))
            .layer(axum::middleware::from_fn(middleware::security_headers))
            .layer(TraceLayer::new_for_http())
            .with_state(state);
        Ok(Application {
            addr,
            listener,
            router,
            draining,
            drain: Duration::from_secs(cfg.shutdown_drain_secs),
            stop: Arc::new(tokio::sync::Notify::new()),
        })
    }

    /// A handle that begins this application's shutdown.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        ShutdownHandle(self.stop.clone())
    }

    /// Serves until SIGTERM, Ctrl-C or [`ShutdownHandle::begin`]. From
    /// then on `/readyz` answers 503 so that a balancer stops sending new
    /// requests; the server keeps serving for the drain period (none after
    /// Ctrl-C: a developer at a terminal wants it gone), then stops
    /// accepting and finishes the requests in flight.
    pub async fn run(self) -> std::io::Result<()> {
        let (draining, drain, stop) = (self.draining, self.drain, self.stop);
        let graceful = async move {
            let interrupted = tokio::select! {
                interrupted = shutdown_signal_kind() => interrupted,
                _ = stop.notified() => false,
            };
            draining.store(true, Ordering::Relaxed);
            let drain = if interrupted { Duration::ZERO } else { drain };
            tracing::info!(
                drain_ms = drain.as_millis() as u64,
                "shutting down: /readyz answers 503, serving until the drain ends"
            );
            tokio::time::sleep(drain).await;
        };
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(graceful)
        .await
    }
}

/// The app's routes, generated once per process.
///
/// Generating them renders the whole app once with resource loading
/// switched off through a process-wide flag (leptos_router's
/// `SuppressResourceLoad`): a resource first polled anywhere in the process
/// while the flag is up waits forever, and so does the page that awaits it.
/// Done once, before the first instance of this process listens, the flag
/// is never up while a page renders — several instances in one process (as
/// in the tests) used to hang a page now and then.
fn route_list() -> Vec<AxumRouteListing> {
    static ROUTES: OnceLock<Vec<AxumRouteListing>> = OnceLock::new();
    ROUTES.get_or_init(|| generate_route_list(App)).clone()
}

async fn css() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        CSS,
    )
}

async fn favicon() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "public, max-age=86400"),
        ],
        FAVICON,
    )
}

async fn delete_expired_sessions(store: PostgresStore) {
    let period = Duration::from_secs(600);
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
    loop {
        tick.tick().await;
        if let Err(err) = tower_sessions::ExpiredDeletion::delete_expired(&store).await {
            tracing::warn!(%err, "could not delete expired sessions");
        }
    }
}

async fn shutdown_signal() {
    shutdown_signal_kind().await;
}

/// Waits for SIGTERM or Ctrl-C (SIGINT); true for Ctrl-C.
async fn shutdown_signal_kind() -> bool {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        {
            s.recv().await;
        } else {
            std::future::pending::<()>().await;
        }
    };
    tokio::select! {
        _ = ctrl_c => true,
        _ = term => false,
    }
}
