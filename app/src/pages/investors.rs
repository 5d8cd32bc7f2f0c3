//! `/investors?after=<cursor>`: the directory of approved investors from
//! `mv_investors_directory`, newest approval first, by keyset pages.
//! Company, focus, ticket size and links; never an email (the view has
//! none). Only http(s) links become links, marked `nofollow noopener ugc`.

use crate::web::page_data;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::components::{loaded, OnError, Pager};
use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvestorView {
    pub username: String,
    pub verified: bool,
    pub bio: String,
    pub company: String,
    pub focus: String,
    pub ticket_size: String,
    pub portfolio_url: Option<String>,
    pub linkedin_url: Option<String>,
    pub approved: String,
    pub intros_approved: i64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InvestorsView {
    pub investors: Vec<InvestorView>,
    pub next: Option<String>,
    pub first_page: bool,
}

#[server(endpoint = "investors")]
pub async fn get_investors(after: Option<String>) -> Result<InvestorsView, AppError> {
    use crate::format::is_http_url;
    use data::investors::{self, PAGE_SIZE};

    let after = crate::web::cursor_param(data::cursor::KeyKind::Time, after.as_deref())?;
    let state = crate::state::state()?;
    let page = state
        .cached(after.is_none(), data::investors::VIEW, "first", || {
            investors::page(&state.pool, after, PAGE_SIZE)
        })
        .await?;
    Ok(InvestorsView {
        investors: page
            .investors
            .into_iter()
            .map(|i| InvestorView {
                username: i.username,
                verified: i.is_verified,
                bio: i.bio,
                company: i.company_name,
                focus: i.investment_focus,
                ticket_size: i.ticket_size,
                portfolio_url: i.portfolio_url.filter(|u| is_http_url(u)),
                linkedin_url: i.linkedin_url.filter(|u| is_http_url(u)),
                approved: crate::format::date(i.approved_at),
                intros_approved: i.intros_approved,
            })
            .collect(),
        next: page.next.map(|c| c.encode()),
        first_page: after.is_none(),
    })
}

#[component]
pub fn InvestorsPage() -> impl IntoView {
    let query = use_query_map();
    let directory = page_data(move || query.get(), |q| get_investors(q.get("after")));
    loaded(
        directory,
        OnError::ErrorPage,
        |page| view! { <InvestorsBody page /> },
    )
}

#[component]
fn InvestorsBody(page: InvestorsView) -> impl IntoView {
    let empty = page.investors.is_empty();
    let items = page
        .investors
        .into_iter()
        .map(|i| view! { <InvestorCard i /> })
        .collect_view();
    let next = page.next.map(|cursor| format!("/investors?after={cursor}"));
    let first = (!page.first_page).then(|| "/investors".to_string());
    view! {
        <Title text="Investors" />
        <h1>"Investors"</h1>
        <p class="lead">
            "Investors whose applications were approved. Builders are introduced through intro requests; \
             no contact details are published here."
        </p>
        {empty.then(|| view! { <p class="empty">"No approved investors yet."</p> })}
        <ul class="investor-list">{items}</ul>
        <Pager first next />
    }
}

#[component]
fn InvestorCard(i: InvestorView) -> impl IntoView {
    let profile = format!("/u/{}", i.username);
    let verified = i
        .verified
        .then(|| view! { " " <span class="verified">"(verified)"</span> });
    let field = |term: &'static str, value: String| {
        (!value.trim().is_empty()).then(|| view! { <dt>{term}</dt><dd>{value}</dd> })
    };
    let links = {
        let portfolio = i.portfolio_url.clone().map(|href| {
            view! {
                <li><a href=href rel="nofollow noopener ugc" target="_blank">
                    "Portfolio"<span class="visually-hidden">{format!(" of {}", i.company)}</span>
                </a></li>
            }
        });
        let linkedin = i.linkedin_url.clone().map(|href| {
            view! {
                <li><a href=href rel="nofollow noopener ugc" target="_blank">
                    "LinkedIn"<span class="visually-hidden">{format!(" of {}", i.username)}</span>
                </a></li>
            }
        });
        (portfolio.is_some() || linkedin.is_some()).then(
            || view! { <ul class="investor-links" aria-label="Links">{portfolio}{linkedin}</ul> },
        )
    };
    let bio = (!i.bio.is_empty()).then(|| view! { <p class="investor-bio">{i.bio.clone()}</p> });
    view! {
        <li class="investor-card">
            <h2 class="investor-company">{i.company.clone()}</h2>
            <p class="card-meta">
                <a href=profile>{i.username.clone()}</a>
                {verified}
                " · approved " <time>{i.approved.clone()}</time>
            </p>
            {bio}
            <dl class="investor-facts">
                {field("Focus", i.focus.clone())}
                {field("Ticket size", i.ticket_size.clone())}
                <dt>"Intros made"</dt><dd>{i.intros_approved}</dd>
            </dl>
            {links}
        </li>
    }
}
