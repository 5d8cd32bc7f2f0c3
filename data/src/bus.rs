//! Refresh events between instances: after a materialized view is
//! refreshed, every server instance must forget what it cached from it.
//! The refresher publishes here ([`Publisher`]), the hot cache listens
//! here ([`subscribe`]); neither knows the other.
//!
//! The transport is one Redis channel whose message is the view's name.
//! Publishing never delays or fails a refresh, and a subscriber that may
//! have missed messages is told so ([`RefreshEvent::Resync`]).

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use fred::prelude::*;
use fred::types::Message;
use tokio::sync::broadcast::error::RecvError;

/// The Redis channel a refresh is published on; the message is the view name.
pub const REFRESH_CHANNEL: &str = "proofwork:mv_refreshed";

/// What a subscriber hears.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefreshEvent {
    /// This view was refreshed: drop what was cached from it.
    View(String),
    /// Messages may have been missed (reconnected to Redis, or fell
    /// behind): drop everything cached from views.
    Resync,
}

/// A subscription to [`REFRESH_CHANNEL`] on its own Redis connection
/// (a subscribed connection can run nothing else). Reconnects forever and
/// re-subscribes; reports [`RefreshEvent::Resync`] after each reconnection.
pub struct RefreshSubscription {
    client: Client,
    messages: tokio::sync::broadcast::Receiver<Message>,
    reconnects: tokio::sync::broadcast::Receiver<Server>,
}

/// Subscribes to refresh notifications. Fails when Redis is unreachable
/// now; later outages are survived (see [`RefreshSubscription`]).
pub async fn subscribe(redis_url: &str) -> Result<RefreshSubscription, fred::error::Error> {
    let config = Config::from_url(redis_url)?;
    let client = Builder::from_config(config)
        .with_connection_config(|conn| {
            conn.connection_timeout = Duration::from_secs(5);
            conn.internal_command_timeout = Duration::from_secs(5);
        })
        .set_policy(ReconnectPolicy::new_exponential(0, 100, 5_000, 2))
        .build()?;
    client.init().await?;
    let messages = client.message_rx();
    client.subscribe(REFRESH_CHANNEL).await?;
    let reconnects = client.reconnect_rx();
    Ok(RefreshSubscription {
        client,
        messages,
        reconnects,
    })
}

impl RefreshSubscription {
    /// The next event; `None` once the client is closed.
    pub async fn recv(&mut self) -> Option<RefreshEvent> {
        loop {
            tokio::select! {
                m = self.messages.recv() => match m {
                    Ok(m) if &*m.channel == REFRESH_CHANNEL => {
                        if let Some(view) = m.value.as_string() {
                            return Some(RefreshEvent::View(view));
                        }
                    }
                    Ok(_) => {}
                    Err(RecvError::Lagged(_)) => return Some(RefreshEvent::Resync),
                    Err(RecvError::Closed) => return None,
                },
                r = self.reconnects.recv() => match r {
                    Ok(_) | Err(RecvError::Lagged(_)) => {
                        if let Err(e) = self.client.subscribe(REFRESH_CHANNEL).await {
                            tracing::warn!(error = %e, "re-subscribing to refresh notifications failed");
                        }
                        return Some(RefreshEvent::Resync);
                    }
                    Err(RecvError::Closed) => return None,
                },
            }
        }
    }

    /// Unsubscribes and closes the connection.
    pub async fn close(self) {
        let _ = self.client.quit().await;
    }
}

/// A copy of view data kept by this instance that must be dropped before
/// a refresh of the view is announced, so that no reader who heard the
/// announcement is still served the old rows (the hot cache).
pub trait LocalCopy: Send + Sync + 'static {
    /// Drops what was copied from `view`.
    fn drop_view(&self, view: String) -> Pin<Box<dyn Future<Output = ()> + Send + '_>>;
}

/// Announces refreshes: drops the [`LocalCopy`], if any, then publishes
/// on Redis, if configured. Cheap to clone.
#[derive(Clone, Default)]
pub struct Publisher {
    redis: Option<fred::clients::Pool>,
    local: Option<Arc<dyn LocalCopy>>,
}

impl Publisher {
    pub fn new(redis: Option<fred::clients::Pool>) -> Publisher {
        Publisher { redis, local: None }
    }

    /// Drops `local`'s entries of each view before its refresh is published.
    pub fn with_local_copy(mut self, local: impl LocalCopy) -> Publisher {
        self.local = Some(Arc::new(local));
        self
    }

    /// Announces in the background that `view` was refreshed; failures are
    /// logged, never returned (the refresh itself already committed).
    pub fn view_refreshed(&self, view: &str) {
        let this = self.clone();
        let view = view.to_owned();
        tokio::spawn(async move {
            if let Some(local) = &this.local {
                local.drop_view(view.clone()).await;
            }
            let Some(redis) = &this.redis else {
                return;
            };
            if let Err(e) = publish_refreshed(redis, &view).await {
                tracing::warn!(view = %view, error = %e, "publishing the refresh on redis failed");
            }
        });
    }
}

/// Tells every instance that `view` was refreshed (`PUBLISH
/// proofwork:mv_refreshed <view>`). The refresher calls it after each
/// successful refresh; call it after `refresher::refresh_now` too.
pub async fn publish_refreshed(
    redis: &fred::clients::Pool,
    view: &str,
) -> Result<(), fred::error::Error> {
    let publish = redis.next().publish::<i64, _, _>(REFRESH_CHANNEL, view);
    match tokio::time::timeout(Duration::from_secs(5), publish).await {
        Ok(r) => r.map(|receivers| {
            tracing::debug!(view, receivers, "published refresh");
        }),
        Err(_) => Err(fred::error::Error::new(
            fred::error::ErrorKind::Timeout,
            "publish timed out",
        )),
    }
}
