//! `/chains`: discovering chains. Tabs (trending, most followed, newest)
//! and the category filter are links with query parameters
//! (`?tab=followed&category=ai&after=<cursor>`); pages go on with a keyset
//! cursor. Everything comes from `mv_chains_discovery` (public chains
//! only); chains the reader acted on in the last minutes show live counts.
//! Signed-in readers can create a chain here.

use crate::web::{action, page_data};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::actions::{CreateChain, CATEGORY, DESCRIPTION, NAME, VISIBILITY};
use crate::components::{
    category_chips, loaded, CardList, FeaturedStrip, Field, FormError, OnError, Pager, Select, Tab,
    Tabs, TextArea,
};
use crate::error::AppError;
use crate::format::label;
use crate::web::set_status;

/// One chain card as the page shows it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainCardView {
    pub id: Uuid,
    pub name: String,
    pub description: String,
    pub category: String,
    pub is_featured: bool,
    pub creator: String,
    pub followers: i64,
    pub projects: i64,
    pub posts: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ChainsView {
    pub tab: String,
    pub category: Option<String>,
    pub chains: Vec<ChainCardView>,
    pub featured: Vec<ChainCardView>,
    pub next: Option<String>,
    pub first_page: bool,
    pub signed_in: bool,
}

pub const TABS: &[(&str, &str)] = &[
    ("trending", "Trending"),
    ("followed", "Most followed"),
    ("newest", "Newest"),
];

/// The categories of a chain, in the order shown.
pub const CATEGORIES: &[&str] = &[
    "ai", "web", "mobile", "devtools", "data", "infra", "security", "hardware", "games", "fintech",
    "other",
];

/// A discovery address with these parameters (defaults left out).
pub fn chains_href(tab: &str, category: Option<&str>, after: Option<&str>) -> String {
    let params = [
        ("tab", (tab != "trending").then_some(tab)),
        ("category", category),
        ("after", after),
    ];
    crate::format::href("/chains", &params)
}

#[cfg(feature = "ssr")]
pub fn card_view(c: data::chains::ChainCard) -> ChainCardView {
    ChainCardView {
        id: c.id,
        name: c.name,
        description: crate::format::excerpt(&c.description, 200),
        category: c.category,
        is_featured: c.is_featured,
        creator: c.creator_username,
        followers: c.follower_count,
        projects: c.project_count,
        posts: c.post_count,
    }
}

#[server(endpoint = "chains")]
pub async fn get_chains(
    tab: Option<String>,
    category: Option<String>,
    after: Option<String>,
) -> Result<ChainsView, AppError> {
    use data::chains::{self, DiscoveryQuery, Tab};

    let tab = Tab::parse(tab.as_deref()).map_err(AppError::BadRequest)?;
    let category = crate::web::category_param(category.as_deref(), chains::CATEGORIES)?;
    let after = crate::web::cursor_param(tab.kind(), after.as_deref())?;
    let state = crate::state::state()?;
    let query = DiscoveryQuery {
        tab,
        category: category.clone(),
        after,
        limit: chains::PAGE_SIZE,
    };
    let key = format!("{tab:?}:{}", category.as_deref().unwrap_or("all"));
    let page = state
        .cached(after.is_none(), data::chains::VIEW, &key, || {
            chains::discovery(&state.pool, &query)
        })
        .await?;
    let featured = if after.is_none() && category.is_none() {
        state
            .cached(true, data::chains::VIEW, "featured-strip", || {
                chains::featured(&state.pool, 4)
            })
            .await?
    } else {
        Vec::new()
    };
    let viewer = crate::auth::session_user();
    // Read your own writes: chains the reader followed, posted in or
    // changed in the last minutes show counts read live.
    let recent = if viewer.is_some() {
        crate::web::recent::recent(crate::web::recent::List::Chains).await
    } else {
        Vec::new()
    };
    let mut live = Vec::new();
    for id in page
        .chains
        .iter()
        .chain(featured.iter())
        .map(|c| c.id)
        .filter(|id| recent.contains(id))
    {
        if let Some(card) = chains::live_card(&state.pool, id).await? {
            live.push(card);
        }
    }
    let to_view = |c: data::chains::ChainCard| {
        let mut view = card_view(c);
        if let Some(l) = live.iter().find(|l| l.id == view.id) {
            view.followers = l.follower_count;
            view.projects = l.project_count;
            view.posts = l.post_count;
        }
        view
    };
    Ok(ChainsView {
        tab: tab.name().to_string(),
        category,
        first_page: after.is_none(),
        next: page.next.map(|c| c.encode()),
        chains: page.chains.into_iter().map(to_view).collect(),
        featured: featured.into_iter().map(to_view).collect(),
        signed_in: viewer.is_some(),
    })
}

#[component]
pub fn ChainsPage() -> impl IntoView {
    let query = use_query_map();
    let create = action::<CreateChain>();
    // Read while the body renders: after a post in the browser it renders
    // again, with that post's error (web::writes).
    let create_error = move || {
        let error = crate::web::failed(create);
        if let Some(err) = &error {
            set_status(err.status());
        }
        error
    };
    let chains = page_data(
        move || query.get(),
        |q| get_chains(q.get("tab"), q.get("category"), q.get("after")),
    );
    loaded(
        chains,
        OnError::ErrorPage,
        move |page| view! { <ChainsBody page create create_error=create_error() /> },
    )
}

#[component]
fn ChainsBody(
    page: ChainsView,
    create: ServerAction<CreateChain>,
    create_error: Option<AppError>,
) -> impl IntoView {
    let tab = page.tab.clone();
    let category = page.category.clone();
    let heading = match (&category, tab.as_str()) {
        (Some(c), _) => format!("{} chains", label(c)),
        (None, "followed") => "Most followed chains".to_string(),
        (None, "newest") => "Newest chains".to_string(),
        _ => "Trending chains".to_string(),
    };
    let tabs = TABS
        .iter()
        .map(|(t, name)| Tab::new(chains_href(t, category.as_deref(), None), *name, *t == tab))
        .collect();
    let categories = category_chips(CATEGORIES, category.as_deref(), |c| {
        chains_href(&tab, c, None)
    });
    let featured = (!page.featured.is_empty()).then(|| {
        let cards = page
            .featured
            .into_iter()
            .map(|c| view! { <ChainCard c anchor_prefix="f-" /> })
            .collect_view();
        view! {
            <FeaturedStrip heading_id="featured-chains-heading" class="chain-cards compact">{cards}</FeaturedStrip>
        }
    });
    let empty = page.chains.is_empty();
    let cards = page
        .chains
        .into_iter()
        .map(|c| view! { <ChainCard c /> })
        .collect_view();
    let next = page
        .next
        .map(|cursor| chains_href(&tab, category.as_deref(), Some(&cursor)));
    let first = (!page.first_page).then(|| chains_href(&tab, category.as_deref(), None));
    let create_form = if page.signed_in {
        view! { <CreateChainForm create error=create_error.clone() /> }.into_any()
    } else {
        view! {
            <section class="create-chain" aria-labelledby="create-chain-heading">
                <h2 id="create-chain-heading">"Create a chain"</h2>
                <p class="aside"><a href="/login?next=/chains">"Log in"</a>" to create a chain."</p>
            </section>
        }
        .into_any()
    };
    let general = create_error.filter(|e| !matches!(e, AppError::Invalid(_)));
    view! {
        <Title text="Chains" />
        <h1 class="feed-title">{heading}</h1>
        <FormError error=Signal::derive(move || general.clone()) />
        <Tabs class="tabs" label="Order" tabs />
        {categories}
        {featured}
        <CardList heading_id="chains-list-heading" heading="Chains" class="chain-cards" empty empty_text="No chains here yet.">
            {cards}
        </CardList>
        <Pager first next />
        {create_form}
    }
}

/// One chain in a list.
#[component]
pub fn ChainCard(
    c: ChainCardView,
    #[prop(default = "c-")] anchor_prefix: &'static str,
) -> impl IntoView {
    let href = format!("/c/{}", c.id);
    view! {
        <li class="card chain-card" id=format!("{anchor_prefix}{}", c.id)>
            <div class="card-body">
                <h3 class="card-title"><a href=href>{c.name.clone()}</a></h3>
                <p class="card-meta">
                    "by " <a href=format!("/u/{}", c.creator)>{c.creator.clone()}</a>
                    " · " <span class="category">{label(&c.category)}</span>
                    {c.is_featured.then(|| view! { " · " <span class="featured-label">"Featured"</span> })}
                </p>
                <p class="chain-description">{c.description.clone()}</p>
                <ChainStats followers=c.followers projects=c.projects posts=c.posts />
            </div>
        </li>
    }
}

/// A chain's numbers, on its card and in its page's header.
#[component]
pub fn ChainStats(followers: i64, projects: i64, posts: i64) -> impl IntoView {
    let plural = |n: i64, one: &'static str, many: &'static str| if n == 1 { one } else { many };
    view! {
        <ul class="stats" aria-label="Numbers">
            <li><span class="stat-value follower-count">{followers}</span>
                {plural(followers, " follower", " followers")}</li>
            <li><span class="stat-value project-count">{projects}</span>
                {plural(projects, " project", " projects")}</li>
            <li><span class="stat-value post-count">{posts}</span>
                {plural(posts, " post", " posts")}</li>
        </ul>
    }
}

/// The "Create a chain" form; a failed post comes back with each message
/// at its field and the typed values kept.
#[component]
fn CreateChainForm(create: ServerAction<CreateChain>, error: Option<AppError>) -> impl IntoView {
    let name_error = {
        let e = error.as_ref().and_then(|e| e.field_error(NAME));
        Signal::derive(move || e.clone())
    };
    let value = |name: &'static str| error.as_ref().and_then(|e| e.field_value(name));
    let name_value = {
        let v = value(NAME);
        Signal::derive(move || v.clone())
    };
    let description_error = error.as_ref().and_then(|e| e.field_error(DESCRIPTION));
    let description_value = value(DESCRIPTION);
    let category_error = error.as_ref().and_then(|e| e.field_error(CATEGORY));
    let category_value = value(CATEGORY).unwrap_or_else(|| "other".to_string());
    let visibility_error = error.as_ref().and_then(|e| e.field_error(VISIBILITY));
    let private = value(VISIBILITY).as_deref() == Some("private");
    let has_visibility_error = visibility_error.is_some();
    let options = CATEGORIES
        .iter()
        .map(|c| {
            let selected = category_value == *c;
            view! { <option value=*c selected=selected>{label(c)}</option> }
        })
        .collect_view();
    view! {
        <section class="create-chain" id="create-chain" aria-labelledby="create-chain-heading">
            <h2 id="create-chain-heading">"Create a chain"</h2>
            <ActionForm action=create attr:class="stack" attr:novalidate=true>
                <Field name=NAME label="Name" hint="2 to 80 characters; no two chains share a name." error=name_error value=name_value />
                <TextArea
                    id="description".to_string()
                    name=DESCRIPTION
                    label="Description (optional)".to_string()
                    hint="Up to 2,000 characters."
                    error=description_error
                    value=description_value
                    rows=4
                    required=false
                />
                <Select id="category" name=CATEGORY label="Category" error=category_error>
                    {options}
                </Select>
                <fieldset class="field" aria-describedby=has_visibility_error.then_some("visibility-error")>
                    <legend>"Who can see it"</legend>
                    <label class="radio">
                        <input type="radio" name=VISIBILITY value="public" checked=!private />
                        " Public: anyone can find, read and follow it"
                    </label>
                    <label class="radio">
                        <input type="radio" name=VISIBILITY value="private" checked=private />
                        " Private: only you and its followers"
                    </label>
                    {visibility_error.map(|m| view! { <p class="field-error" id="visibility-error">{m}</p> })}
                </fieldset>
                <button type="submit" class="button primary">"Create chain"</button>
            </ActionForm>
        </section>
    }
}
