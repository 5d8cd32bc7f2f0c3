//! The reader's recent actions, kept in the session so the page they land
//! on can read those few things live while the views catch up ("read your
//! own writes", docs/ARCHITECTURE.md). A list is `(id, unix seconds)`
//! pairs under one session key, at most [`MAX`] long, entries older than
//! [`WINDOW_SECS`] dropped.

use uuid::Uuid;

/// Projects the reader upvoted, commented on, awarded... (`pages::actions`).
pub const PROJECTS: &str = "recent_actions";
/// Chains and posts the reader followed, posted in, voted on...
/// (`pages::chain_actions`).
pub const CHAINS: &str = "recent_chain_actions";
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

/// Records that the reader just acted on `ids` (list `key`).
pub async fn remember(key: &'static str, ids: &[Uuid]) {
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

/// The ids the reader acted on in the last [`WINDOW_SECS`] (list `key`).
pub async fn recent(key: &'static str) -> Vec<Uuid> {
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
