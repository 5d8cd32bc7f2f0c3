//! The chain page's forum as its reader sees it: the view's pinned strip
//! and page of posts (`mv_chain_posts`), merged with the posts the reader
//! acted on in the last minutes, read live ("read your own writes",
//! docs/ARCHITECTURE.md). A post the reader just wrote shows first, one
//! they deleted goes, one they pinned moves to the strip and one they
//! unpinned back to the list, before the view catches up.

use sqlx::PgPool;
use uuid::Uuid;

use crate::cursor::Cursor;
use crate::forum::{self, LivePost, PostCard, Tab};

/// One page of a chain's forum.
#[derive(Debug, Clone)]
pub struct Forum {
    /// The pinned strip (first page only).
    pub pinned: Vec<PostCard>,
    pub posts: Vec<PostCard>,
    pub next: Option<Cursor>,
}

/// The forum page after `after` on `tab`, with the posts in `recent`
/// (ids the reader acted on; other ids are ignored) read live.
pub async fn forum(
    pool: &PgPool,
    chain_id: Uuid,
    tab: Tab,
    after: Option<Cursor>,
    recent: &[Uuid],
) -> Result<Forum, sqlx::Error> {
    let first_page = after.is_none();
    let view_pinned = if first_page {
        forum::pinned(pool, chain_id).await?
    } else {
        Vec::new()
    };
    let page = forum::page(pool, chain_id, tab, after).await?;
    let live = forum::live_posts(pool, chain_id, recent).await?;
    let (pinned, posts) = merge(&view_pinned, &page.posts, &live, first_page);
    Ok(Forum {
        pinned,
        posts,
        next: page.next,
    })
}

/// The pinned strip and the list: the view's rows, with each post in
/// `live` taking its live state. New posts (and those pinned or unpinned
/// a moment ago) join only the first page, newest first.
pub fn merge(
    view_pinned: &[PostCard],
    view_posts: &[PostCard],
    live: &[LivePost],
    first_page: bool,
) -> (Vec<PostCard>, Vec<PostCard>) {
    let find = |id: Uuid| live.iter().find(|l| l.post.id == id);
    let mut pinned: Vec<PostCard> = Vec::new();
    for p in view_pinned {
        match find(p.id) {
            Some(l) if l.is_deleted || !l.post.is_pinned => {}
            Some(l) => pinned.push(l.post.clone()),
            None => pinned.push(p.clone()),
        }
    }
    let mut posts: Vec<PostCard> = Vec::new();
    if first_page {
        // Pinned a moment ago: into the strip.
        for l in live {
            if !l.is_deleted && l.post.is_pinned && !pinned.iter().any(|p| p.id == l.post.id) {
                pinned.insert(0, l.post.clone());
            }
        }
        // New, or unpinned a moment ago: first in the list.
        let mut fresh: Vec<&LivePost> = live
            .iter()
            .filter(|l| {
                !l.is_deleted
                    && !l.post.is_pinned
                    && (!l.in_view || view_pinned.iter().any(|p| p.id == l.post.id))
                    && !view_posts.iter().any(|p| p.id == l.post.id)
            })
            .collect();
        fresh.sort_by_key(|l| std::cmp::Reverse((l.post.created_at, l.post.id)));
        posts.extend(fresh.into_iter().map(|l| l.post.clone()));
    }
    for p in view_posts {
        match find(p.id) {
            Some(l) if l.is_deleted || l.post.is_pinned => {}
            Some(l) => posts.push(l.post.clone()),
            None => posts.push(p.clone()),
        }
    }
    (pinned, posts)
}

#[cfg(test)]
mod tests {
    use time::OffsetDateTime;

    use super::*;

    fn card(n: u128, pinned: bool) -> PostCard {
        PostCard {
            id: Uuid::from_u128(n),
            chain_id: Uuid::nil(),
            title: format!("post {n}"),
            content: String::new(),
            post_type: "discussion".into(),
            created_at: OffsetDateTime::from_unix_timestamp(n as i64).unwrap(),
            is_pinned: pinned,
            author_id: Uuid::nil(),
            author_username: "a".into(),
            upvote_count: 0,
            downvote_count: 0,
            comment_count: 0,
            trending_score: 0.0,
        }
    }

    fn live(n: u128, pinned: bool, deleted: bool, in_view: bool) -> LivePost {
        LivePost {
            post: card(n, pinned),
            is_deleted: deleted,
            in_view,
        }
    }

    fn ids(cards: &[PostCard]) -> Vec<u128> {
        cards.iter().map(|c| c.id.as_u128()).collect()
    }

    #[test]
    fn without_recent_writes_the_view_is_shown_as_is() {
        let (pinned, posts) = merge(
            &[card(1, true)],
            &[card(2, false), card(3, false)],
            &[],
            true,
        );
        assert_eq!(ids(&pinned), [1]);
        assert_eq!(ids(&posts), [2, 3]);
    }

    #[test]
    fn new_posts_come_first_newest_first_on_the_first_page_only() {
        let fresh = [live(7, false, false, false), live(9, false, false, false)];
        let (_, posts) = merge(&[], &[card(2, false)], &fresh, true);
        assert_eq!(ids(&posts), [9, 7, 2]);
        let (_, later) = merge(&[], &[card(2, false)], &fresh, false);
        assert_eq!(ids(&later), [2]);
    }

    #[test]
    fn deleted_posts_go_and_pins_move_between_strip_and_list() {
        let view_pinned = [card(1, true)];
        let view_posts = [card(2, false), card(3, false)];
        let recent = [
            live(1, false, false, true), // unpinned a moment ago
            live(2, true, false, true),  // pinned a moment ago
            live(3, false, true, true),  // deleted
        ];
        let (pinned, posts) = merge(&view_pinned, &view_posts, &recent, true);
        assert_eq!(ids(&pinned), [2]);
        assert_eq!(ids(&posts), [1]);
    }
}
