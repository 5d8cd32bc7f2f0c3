//! `/`: the feed. Tabs (trending, top of a period, newest, featured) and
//! the category filter are links with query parameters
//! (`?tab=top&period=week&category=ai&after=<cursor>`); pages go on with a
//! keyset cursor. Cards come from `mv_feed_projects`; whether the reader
//! upvoted each one is read live, and the counts of projects the reader
//! acted on in the last minutes are read live too (read your own writes).

mod intro;

use crate::web::{action, page_data};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::components::{
    category_chips, loaded, CardBadges, CardList, FeaturedStrip, FormError, OnError, Pager,
    RemoveUpvote, Tab, Tabs, Upvote, UpvoteButton,
};
use crate::error::AppError;
use crate::format::label;
use crate::web::set_status;

/// One card as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CardView {
    pub id: Uuid,
    pub title: String,
    pub image_url: Option<String>,
    pub category: String,
    pub is_featured: bool,
    pub created: String,
    pub username: String,
    pub proof_score: i32,
    pub upvote_count: i64,
    pub comment_count: i64,
    pub badge_types: Vec<String>,
    pub upvoted: bool,
}

/// What the feed page shows.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeedView {
    pub tab: String,
    pub period: Option<String>,
    pub category: Option<String>,
    pub cards: Vec<CardView>,
    pub featured: Vec<CardView>,
    pub next: Option<String>,
    pub first_page: bool,
    pub signed_in: bool,
}

pub const TABS: &[(&str, &str)] = &[
    ("trending", "Trending"),
    ("top", "Top"),
    ("newest", "Newest"),
    ("featured", "Featured"),
];
pub const PERIODS: &[(&str, &str)] = &[
    ("today", "Today"),
    ("week", "This week"),
    ("month", "This month"),
    ("all", "All time"),
];

/// A feed address with these parameters (defaults left out).
pub fn feed_href(
    tab: &str,
    period: Option<&str>,
    category: Option<&str>,
    after: Option<&str>,
) -> String {
    let params = [
        ("tab", (tab != "trending").then_some(tab)),
        ("period", period.filter(|_| tab == "top")),
        ("category", category),
        ("after", after),
    ];
    crate::format::href("/", &params)
}

#[cfg(feature = "ssr")]
fn card_view(card: data::feed::FeedCard, upvoted: bool) -> CardView {
    CardView {
        id: card.id,
        title: card.title,
        image_url: card.image_url.filter(|u| crate::format::is_http_url(u)),
        category: card.category,
        is_featured: card.is_featured,
        created: crate::format::date(card.created_at),
        username: card.username,
        proof_score: card.proof_score,
        upvote_count: card.upvote_count,
        comment_count: card.total_comment_count,
        badge_types: card.badge_types,
        upvoted,
    }
}

#[server(endpoint = "feed")]
pub async fn get_feed(
    tab: Option<String>,
    period: Option<String>,
    category: Option<String>,
    after: Option<String>,
) -> Result<FeedView, AppError> {
    use data::feed::{self, FeedQuery, Tab, CATEGORIES};

    let tab = Tab::parse(tab.as_deref(), period.as_deref()).map_err(AppError::BadRequest)?;
    let category = crate::web::category_param(category.as_deref(), CATEGORIES)?;
    let after = crate::web::cursor_param(tab.kind(), after.as_deref())?;
    let state = crate::state::state()?;
    let query = FeedQuery {
        tab,
        category: category.clone(),
        after,
        limit: feed::PAGE_SIZE,
    };
    let first = after.is_none();
    let key = format!("{tab:?}:{}", category.as_deref().unwrap_or("all"));
    let page = state
        .cached(first, data::feed::VIEW, &key, || {
            feed::page(&state.pool, &query)
        })
        .await?;
    let featured = if after.is_none() && tab != Tab::Featured && category.is_none() {
        state
            .cached(true, data::feed::VIEW, "featured-strip", || {
                feed::featured(&state.pool, 4)
            })
            .await?
    } else {
        Vec::new()
    };
    let ids: Vec<Uuid> = page
        .cards
        .iter()
        .chain(featured.iter())
        .map(|c| c.id)
        .collect();
    let viewer = crate::auth::session_user();
    let upvoted = match &viewer {
        Some(user) => {
            state
                .overlays
                .upvoted_among(&state.pool, user.id, &ids)
                .await?
        }
        None => Vec::new(),
    };
    // Read your own writes: the view may not hold the reader's latest
    // votes and comments yet; read those few projects' counts live.
    let recent: Vec<Uuid> = if viewer.is_some() {
        let recent = crate::web::recent::recent(crate::web::recent::List::Projects).await;
        ids.iter()
            .copied()
            .filter(|id| recent.contains(id))
            .collect()
    } else {
        Vec::new()
    };
    let live = data::projects::live_counts(&state.pool, &recent).await?;
    let to_view = |card: data::feed::FeedCard| {
        let mut view = card_view(card, false);
        view.upvoted = upvoted.contains(&view.id);
        if let Some(l) = live.iter().find(|l| l.id == view.id) {
            view.upvote_count = l.upvote_count;
            view.comment_count = l.total_comment_count;
        }
        view
    };
    Ok(FeedView {
        tab: tab.name().to_string(),
        period: match tab {
            Tab::Top(p) => Some(p.as_str().to_string()),
            _ => None,
        },
        category,
        first_page: after.is_none(),
        next: page.next.map(|c| c.encode()),
        cards: page.cards.into_iter().map(to_view).collect(),
        featured: featured.into_iter().map(to_view).collect(),
        signed_in: viewer.is_some(),
    })
}

#[component]
pub fn FeedPage() -> impl IntoView {
    let query = use_query_map();
    let upvote = action::<Upvote>();
    let unvote = action::<RemoveUpvote>();
    let action_error = upvote
        .value()
        .get_untracked()
        .and_then(Result::err)
        .or_else(|| unvote.value().get_untracked().and_then(Result::err));
    if let Some(err) = &action_error {
        set_status(err.status());
    }
    let feed = page_data(
        move || query.get(),
        |q| {
            get_feed(
                q.get("tab"),
                q.get("period"),
                q.get("category"),
                q.get("after"),
            )
        },
    );
    loaded(feed, OnError::ErrorPage, move |page| {
        view! { <FeedBody page action_error=action_error.clone() upvote unvote /> }
    })
}

#[component]
fn FeedBody(
    page: FeedView,
    action_error: Option<AppError>,
    upvote: ServerAction<Upvote>,
    unvote: ServerAction<RemoveUpvote>,
) -> impl IntoView {
    let tab = page.tab.clone();
    let period = page.period.clone();
    let category = page.category.clone();
    let heading = match (&category, tab.as_str()) {
        (Some(c), _) => format!("{} projects", label(c)),
        (None, "top") => "Top projects".to_string(),
        (None, "newest") => "Newest projects".to_string(),
        (None, "featured") => "Featured projects".to_string(),
        _ => "Trending projects".to_string(),
    };
    let tabs = TABS
        .iter()
        .map(|(t, name)| {
            let href = feed_href(t, Some("week"), category.as_deref(), None);
            Tab::new(href, *name, *t == tab)
        })
        .collect();
    let periods = (tab == "top").then(|| {
        let tabs = PERIODS
            .iter()
            .map(|(p, name)| {
                let href = feed_href("top", Some(p), category.as_deref(), None);
                Tab::new(href, *name, period.as_deref() == Some(*p))
            })
            .collect();
        view! { <Tabs class="tabs periods" label="Period" tabs /> }
    });
    let categories = category_chips(CATEGORIES_SHOWN, category.as_deref(), |c| {
        feed_href(&tab, period.as_deref(), c, None)
    });
    let featured = (!page.featured.is_empty()).then(|| {
        let cards = page
            .featured
            .into_iter()
            .map(|card| view! { <Card card upvote unvote anchor_prefix="f-" /> })
            .collect_view();
        view! { <FeaturedStrip heading_id="featured-heading" class="cards compact">{cards}</FeaturedStrip> }
    });
    let empty = page.cards.is_empty();
    let cards = page
        .cards
        .into_iter()
        .map(|card| view! { <Card card upvote unvote /> })
        .collect_view();
    let next = page
        .next
        .map(|cursor| feed_href(&tab, period.as_deref(), category.as_deref(), Some(&cursor)));
    let first =
        (!page.first_page).then(|| feed_href(&tab, period.as_deref(), category.as_deref(), None));
    let intro = (!page.signed_in && page.first_page).then(|| view! { <intro::Intro /> });
    view! {
        <Title text="Proofwork: show the work" />
        {intro}
        <h1 class="feed-title">{heading}</h1>
        <FormError error=Signal::derive(move || action_error.clone()) />
        <Tabs class="tabs" label="Order" tabs />
        {periods}
        {categories}
        {featured}
        <CardList heading_id="feed-heading" heading="Projects" class="cards" empty empty_text="No projects here yet.">
            {cards}
        </CardList>
        <Pager first next />
    }
}

/// Categories in the filter, in the order shown.
const CATEGORIES_SHOWN: &[&str] = &[
    "ai", "web", "mobile", "devtools", "data", "infra", "security", "hardware", "games", "fintech",
    "other",
];

/// One project card.
#[component]
pub fn Card(
    card: CardView,
    upvote: ServerAction<Upvote>,
    unvote: ServerAction<RemoveUpvote>,
    /// Prefix of the card's `id` (the redirect after a vote comes back to it).
    #[prop(default = "p-")]
    anchor_prefix: &'static str,
) -> impl IntoView {
    let href = format!("/p/{}", card.id);
    let heading = view! { <h3 class="card-title"><a href=href>{card.title.clone()}</a></h3> };
    let image = card.image_url.clone().map(|src| {
        let alt = format!("Screenshot of {}", card.title);
        view! { <img class="card-image" src=src alt=alt loading="lazy" width="320" height="180" /> }
    });
    let builder = format!("/u/{}", card.username);
    view! {
        <li class="card" id=format!("{anchor_prefix}{}", card.id)>
            {image}
            <div class="card-body">
                {heading}
                <p class="card-meta">
                    "by " <a href=builder>{card.username.clone()}</a>
                    " · " <span class="category">{label(&card.category)}</span>
                    " · " <time>{card.created.clone()}</time>
                </p>
                <CardBadges types=card.badge_types.clone() />
                <ul class="stats" aria-label="Numbers">
                    <li><span class="stat-value">{card.proof_score}</span>" proof score"</li>
                    <li><span class="stat-value upvote-count">{card.upvote_count}</span>
                        {if card.upvote_count == 1 { " upvote" } else { " upvotes" }}</li>
                    <li><a href=format!("/p/{}#comments", card.id)>
                        <span class="stat-value">{card.comment_count}</span>
                        {if card.comment_count == 1 { " comment" } else { " comments" }}</a></li>
                </ul>
                <UpvoteButton project_id=card.id title=card.title.clone() upvoted=card.upvoted upvote unvote />
            </div>
        </li>
    }
}
