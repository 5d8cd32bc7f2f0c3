//! `GET /c/<id>/feed.atom`: a public chain's forum as an Atom feed, the 50
//! newest posts not deleted (from `mv_chain_posts`), rendered by the shared
//! askama template of [`crate::feeds`]. A private, inactive or unknown
//! chain is a 404 (plain text, for feed readers).

use axum::extract::{Path, State};
use axum::response::Response;
use uuid::Uuid;

use app::error::AppError;
use app::state::AppState;

use crate::feeds::{atom_response, plain_error, summary, AtomEntry, AtomFeed};

pub async fn chain_forum_atom(State(state): State<AppState>, Path(id): Path<String>) -> Response {
    let Ok(chain_id) = Uuid::parse_str(&id) else {
        return plain_error(&AppError::NotFound);
    };
    let name = match data::forum::public_chain_name(&state.pool, chain_id).await {
        Ok(Some(name)) => name,
        Ok(None) => return plain_error(&AppError::NotFound),
        Err(err) => return plain_error(&AppError::from(err)),
    };
    let posts = match data::forum::feed_posts(&state.pool, chain_id, data::forum::FEED_POSTS).await
    {
        Ok(p) => p,
        Err(err) => return plain_error(&AppError::from(err)),
    };
    let base = &state.settings.public_url;
    atom_response(AtomFeed {
        id: format!("urn:uuid:{chain_id}"),
        title: format!("{name}: forum"),
        subtitle: Some(format!(
            "The newest forum posts of the {name} chain on Proofwork."
        )),
        self_url: format!("{base}/c/{chain_id}/feed.atom"),
        alternate_url: format!("{base}/c/{chain_id}"),
        updated: None,
        entries: posts
            .into_iter()
            .map(|p| AtomEntry {
                id: format!("urn:uuid:{}", p.id),
                link: format!("{base}/c/{chain_id}/posts/{}", p.id),
                published: Some(p.created_at),
                updated: p.updated_at.max(p.created_at),
                author_uri: Some(format!("{base}/u/{}", p.author_username)),
                author: p.author_username,
                summary: summary(&p.content, 400),
                categories: vec![p.post_type],
                title: p.title,
            })
            .collect(),
    })
}
