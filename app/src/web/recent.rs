//! The reader's recent actions, kept in the session so the page they land
//! on can read those few things live while the views catch up ("read your
//! own writes", docs/ARCHITECTURE.md). A [`List`] is `(id, unix seconds)`
//! pairs under one session key, at most [`MAX`] long, entries older than
//! [`WINDOW_SECS`] dropped.

use uuid::Uuid;

/// Which list: each page reads the one its writes fill.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum List {
    /// Projects the reader upvoted, commented on, edited, awarded... (the
    /// feed and the project page read them live).
    Projects,
    /// Chains and posts the reader followed, posted in, voted on... (the
    /// chain pages read them live).
    Chains,
}

impl List {
    /// The session key (the names are kept: sessions outlive a deploy).
    fn key(self) -> &'static str {
        match self {
            List::Projects => "recent_actions",
            List::Chains => "recent_chain_actions",
        }
    }
}

/// How long an action is "recent": comfortably longer than the views'
/// staleness targets.
pub const WINDOW_SECS: u64 = 120;
const MAX: usize = 50;

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

async fn session() -> Option<tower_sessions::Session> {
    match leptos_axum::extract::<tower_sessions::Session>().await {
        Ok(s) => Some(s),
        Err(err) => {
            tracing::error!(%err, "session layer missing");
            None
        }
    }
}

/// Records that the reader just acted on `ids`.
pub async fn remember(list: List, ids: &[Uuid]) {
    let key = list.key();
    let Some(session) = session().await else {
        return;
    };
    let now = now_secs();
    let mut list: Vec<(Uuid, u64)> = session.get(key).await.ok().flatten().unwrap_or_default();
    list.retain(|(id, at)| !ids.contains(id) && now.saturating_sub(*at) <= WINDOW_SECS);
    list.extend(ids.iter().map(|id| (*id, now)));
    if list.len() > MAX {
        list.drain(..list.len() - MAX);
    }
    if let Err(err) = session.insert(key, list).await {
        tracing::warn!(%err, key, "could not record a recent action");
    }
}

/// The ids the reader acted on in the last [`WINDOW_SECS`].
pub async fn recent(list: List) -> Vec<Uuid> {
    let key = list.key();
    let Some(session) = session().await else {
        return Vec::new();
    };
    let now = now_secs();
    session
        .get::<Vec<(Uuid, u64)>>(key)
        .await
        .ok()
        .flatten()
        .unwrap_or_default()
        .into_iter()
        .filter(|(_, at)| now.saturating_sub(*at) <= WINDOW_SECS)
        .map(|(id, _)| id)
        .collect()
}
