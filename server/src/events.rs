//! Live unread counts: `GET /events/unread`, a server-sent event stream of
//! `{"messages":n,"notifications":m}` for the signed-in user (401
//! otherwise), sent on connect and whenever either number changes, with
//! keep-alive comments. `/unread.js` reads it to update the navigation's
//! badges; without JavaScript nothing needs it.
//!
//! Cost for many open streams: one PostgreSQL `LISTEN unread_counts`
//! connection per server instance. A trigger on `user_dashboard_stats`
//! NOTIFYs the user id when that user's unread counters change
//! (`notify_unread_counts`, in `data/derived/user_dashboard_stats.sql`,
//! applied after the migrations on every start); the listener bumps that
//! user's `watch` channel, and only that user's streams read their one row
//! (a primary-key read). No stream polls the database. When the listener
//! loses its connection, notifications sent meanwhile are lost, so after
//! reconnecting it bumps every open stream once (each re-reads its row).

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Extension, Router};
use tokio::sync::watch;
use uuid::Uuid;

use app::auth::CurrentUser;
use app::state::AppState;

/// The NOTIFY channel (the trigger `notify_unread_counts`).
pub const CHANNEL: &str = "unread_counts";
const KEEP_ALIVE: Duration = Duration::from_secs(20);
static SCRIPT: &str = include_str!("../../public/unread.js");

/// Per-user change signals, shared by the listener and the streams.
pub struct Hub {
    users: Mutex<HashMap<Uuid, watch::Sender<u64>>>,
    /// Turns true on SIGTERM / Ctrl-C: every stream ends, so a graceful
    /// shutdown does not wait for clients that never hang up.
    closing: watch::Sender<bool>,
}

impl Default for Hub {
    fn default() -> Self {
        Hub {
            users: Mutex::default(),
            closing: watch::channel(false).0,
        }
    }
}

async fn close_on_shutdown(hub: Arc<Hub>) {
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {},
        _ = term => {},
    }
    hub.closing.send_replace(true);
}

impl Hub {
    fn subscribe(self: &Arc<Self>, user: Uuid) -> Subscription {
        let mut users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        let rx = users
            .entry(user)
            .or_insert_with(|| watch::channel(0).0)
            .subscribe();
        Subscription {
            hub: self.clone(),
            user,
            rx,
        }
    }

    fn bump(&self, user: Uuid) {
        let users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = users.get(&user) {
            tx.send_modify(|v| *v = v.wrapping_add(1));
        }
    }

    fn bump_all(&self) {
        let users = self.users.lock().unwrap_or_else(|e| e.into_inner());
        for tx in users.values() {
            tx.send_modify(|v| *v = v.wrapping_add(1));
        }
    }

    /// Users with at least one open stream.
    pub fn watched_users(&self) -> usize {
        self.users.lock().unwrap_or_else(|e| e.into_inner()).len()
    }
}

/// One stream's receiver; the user's entry goes with their last stream.
struct Subscription {
    hub: Arc<Hub>,
    user: Uuid,
    rx: watch::Receiver<u64>,
}

impl Drop for Subscription {
    fn drop(&mut self) {
        let mut users = self.hub.users.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(tx) = users.get(&self.user) {
            // This receiver is still alive while we run: 1 means "only us".
            if tx.receiver_count() <= 1 {
                users.remove(&self.user);
            }
        }
    }
}

/// Listens on [`CHANNEL`] for as long as the process runs.
async fn listen(pool: data::PgPool, hub: Arc<Hub>) {
    loop {
        let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
            Ok(l) => l,
            Err(err) => {
                tracing::warn!(%err, "unread listener could not connect; retrying");
                tokio::time::sleep(Duration::from_secs(2)).await;
                continue;
            }
        };
        if let Err(err) = listener.listen(CHANNEL).await {
            tracing::warn!(%err, "LISTEN failed; retrying");
            tokio::time::sleep(Duration::from_secs(2)).await;
            continue;
        }
        // Anything may have changed while we were not listening.
        hub.bump_all();
        loop {
            match listener.try_recv().await {
                Ok(Some(n)) => match Uuid::parse_str(n.payload()) {
                    Ok(user) => hub.bump(user),
                    Err(_) => tracing::warn!(payload = n.payload(), "bad unread payload"),
                },
                // The connection was lost; the next call reconnects and
                // re-listens, but what was sent meanwhile is gone.
                Ok(None) => {
                    tracing::warn!("unread listener reconnecting");
                    hub.bump_all();
                }
                Err(err) => {
                    tracing::warn!(%err, "unread listener failed; reconnecting");
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    break;
                }
            }
        }
    }
}

/// The routes of this module, with the listener started.
pub fn routes(pool: data::PgPool) -> Router<AppState> {
    let hub = Arc::new(Hub::default());
    tokio::spawn(listen(pool, hub.clone()));
    tokio::spawn(close_on_shutdown(hub.clone()));
    Router::new()
        .route("/events/unread", get(unread))
        .route("/unread.js", get(script))
        .layer(Extension(hub))
}

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=300"),
        ],
        SCRIPT,
    )
}

fn payload(u: data::dashboard::Unread) -> String {
    format!(
        r#"{{"messages":{},"notifications":{}}}"#,
        u.unread_messages, u.unread_notifications
    )
}

async fn unread(
    State(state): State<AppState>,
    Extension(hub): Extension<Arc<Hub>>,
    user: Option<Extension<CurrentUser>>,
) -> Response {
    let Some(Extension(user)) = user else {
        return (StatusCode::UNAUTHORIZED, "Please log in first.").into_response();
    };
    let sub = hub.subscribe(user.id);
    let closing = hub.closing.subscribe();
    let pool = state.pool.clone();
    // State: the subscription, the last numbers sent, whether the first
    // event is still due.
    let stream = futures_util::stream::unfold(
        (sub, closing, None::<data::dashboard::Unread>, true),
        move |(mut sub, mut closing, last, first)| {
            let pool = pool.clone();
            async move {
                let mut first = first;
                loop {
                    if *closing.borrow() {
                        return None;
                    }
                    if !first {
                        tokio::select! {
                            changed = sub.rx.changed() => if changed.is_err() { return None },
                            _ = closing.changed() => return None,
                        }
                    }
                    first = false;
                    sub.rx.borrow_and_update();
                    let now = match data::dashboard::unread(&pool, sub.user).await {
                        Ok(u) => u,
                        Err(err) => {
                            tracing::warn!(%err, "unread read failed; ending the stream");
                            return None;
                        }
                    };
                    if last != Some(now) {
                        let event = Event::default().event("unread").data(payload(now));
                        return Some((
                            Ok::<_, Infallible>(event),
                            (sub, closing, Some(now), false),
                        ));
                    }
                }
            }
        },
    );
    let mut res = Sse::new(stream)
        .keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
        .into_response();
    // Proxies must not buffer the stream.
    res.headers_mut()
        .insert("x-accel-buffering", header::HeaderValue::from_static("no"));
    res
}
