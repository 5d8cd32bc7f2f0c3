//! `/investor/apply`: a signed-in user who is not an investor applies to
//! become one (company, focus, ticket size, portfolio and LinkedIn links);
//! the page shows their latest application's status (pending, approved,
//! rejected with the date). One open application per user
//! (`investor_requests_one_open_key`: a second is 409); after a rejection
//! they may apply again. An admin decides elsewhere.

use crate::web::{action, page_data};
use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::components::{loaded, Field, FormError, OnError};
use crate::error::AppError;
use crate::web::{failed, failure};

pub const COMPANY: &str = "company_name";
pub const FOCUS: &str = "investment_focus";
pub const TICKET: &str = "ticket_size";
pub const PORTFOLIO: &str = "portfolio_url";
pub const LINKEDIN: &str = "linkedin_url";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplicationView {
    pub status: String,
    pub company: String,
    pub applied: String,
    pub decided: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ApplyView {
    pub is_investor: bool,
    pub latest: Option<ApplicationView>,
    /// No open application and not an investor.
    pub may_apply: bool,
}

#[server(endpoint = "investor_application")]
pub async fn get_application() -> Result<ApplyView, AppError> {
    let user = crate::web::require_user()?;
    let state = crate::state::state()?;
    let latest = data::investor_applications::latest(&state.pool, user.id).await?;
    let is_investor = user.role == "investor";
    let open = latest
        .as_ref()
        .is_some_and(|a| a.status == "pending" || a.status == "approved");
    let date = crate::format::date;
    Ok(ApplyView {
        is_investor,
        may_apply: !is_investor && !open,
        latest: latest.map(|a| ApplicationView {
            status: a.status,
            company: a.company_name,
            applied: date(a.created_at),
            decided: a.decided_at.map(date),
        }),
    })
}

#[server(endpoint = "apply_investor")]
pub async fn apply_investor(
    company_name: String,
    investment_focus: String,
    ticket_size: String,
    portfolio_url: String,
    linkedin_url: String,
) -> Result<(), AppError> {
    use crate::web::{signed_in, wants_html};
    use data::investor_applications::{self, NewApplication};

    let user = signed_in()?;
    if user.role == "investor" {
        return Err(AppError::Forbidden);
    }
    let new = NewApplication {
        company_name,
        investment_focus,
        ticket_size,
        portfolio_url,
        linkedin_url,
    };
    let state = crate::state::state()?;
    match investor_applications::apply(&state.pool, user.id, &new).await {
        Ok(_) => {}
        Err(err) => {
            let cut = |s: &str| s.chars().take(600).collect::<String>();
            return Err(AppError::from(err).with_values(&[
                (COMPANY, &cut(&new.company_name)),
                (FOCUS, &cut(&new.investment_focus)),
                (TICKET, &cut(&new.ticket_size)),
                (PORTFOLIO, &cut(&new.portfolio_url)),
                (LINKEDIN, &cut(&new.linkedin_url)),
            ]));
        }
    }
    if wants_html() {
        leptos_axum::redirect("/investor/apply#application");
    }
    Ok(())
}

#[component]
pub fn InvestorApplyPage() -> impl IntoView {
    let apply = action::<ApplyInvestor>();
    let error = move || failure([failed(apply)]);
    let page = page_data(|| (), |_| get_application());
    loaded(
        page,
        OnError::ErrorPage,
        move |v| view! { <ApplyBody v apply error=error() /> },
    )
}

#[component]
fn ApplyBody(
    v: ApplyView,
    apply: ServerAction<ApplyInvestor>,
    error: Option<AppError>,
) -> impl IntoView {
    let fields = [COMPANY, FOCUS, TICKET, PORTFOLIO, LINKEDIN].map(|f| {
        let e = error.as_ref().and_then(|e| e.field_error(f));
        let v = error.as_ref().and_then(|e| e.field_value(f));
        (
            Signal::derive(move || e.clone()),
            Signal::derive(move || v.clone()),
        )
    });
    let err = move |f: &'static str| {
        let i = [COMPANY, FOCUS, TICKET, PORTFOLIO, LINKEDIN]
            .iter()
            .position(|x| *x == f)
            .unwrap_or(0);
        fields[i].0
    };
    let val = move |f: &'static str| {
        let i = [COMPANY, FOCUS, TICKET, PORTFOLIO, LINKEDIN]
            .iter()
            .position(|x| *x == f)
            .unwrap_or(0);
        fields[i].1
    };
    let general = error.clone().filter(|e| !matches!(e, AppError::Invalid(_)));
    let status = v.latest.clone().map(|a| {
        let text = match a.status.as_str() {
            "pending" => format!(
                "Your application for {} is pending review (sent {}).",
                a.company, a.applied
            ),
            "approved" => format!(
                "Your application for {} was approved on {}.",
                a.company,
                a.decided.clone().unwrap_or_default()
            ),
            _ => format!(
                "Your application for {} was rejected on {}. You may apply again.",
                a.company,
                a.decided.clone().unwrap_or_else(|| a.applied.clone())
            ),
        };
        view! { <p class=format!("application-status status-{}", a.status)>{text}</p> }
    });
    let investor = v.is_investor.then(|| {
        view! { <p>"You are an investor. See your " <a href="/investor">"investor dashboard"</a> "."</p> }
    });
    let form = v.may_apply.then(|| {
        view! {
            <ActionForm action=apply attr:class="stack" attr:novalidate=true>
                <Field name=COMPANY label="Company or fund" hint="1 to 120 characters." error=err(COMPANY) value=val(COMPANY) />
                <OptionalField name=FOCUS label="Investment focus (optional)" hint="Up to 200 characters." error=err(FOCUS) value=val(FOCUS) />
                <OptionalField name=TICKET label="Typical ticket size (optional)" hint="Up to 60 characters, e.g. $50k–$250k." error=err(TICKET) value=val(TICKET) />
                <OptionalField name=PORTFOLIO label="Portfolio link (optional)" kind="url" hint="A full address starting with https://." error=err(PORTFOLIO) value=val(PORTFOLIO) />
                <OptionalField name=LINKEDIN label="LinkedIn link (optional)" kind="url" hint="A full address starting with https://." error=err(LINKEDIN) value=val(LINKEDIN) />
                <button type="submit" class="button primary">"Apply"</button>
            </ActionForm>
        }
    });
    view! {
        <Title text="Apply as an investor" />
        <article class="investor-apply" id="application">
            <h1>"Apply as an investor"</h1>
            <p class="aside">"Approved investors can request intros to builders. An admin reviews each application."</p>
            <FormError error=Signal::derive(move || general.clone()) />
            {status}
            {investor}
            {form}
        </article>
    }
}

/// Like [`Field`], for an optional input (not `required`).
#[component]
fn OptionalField(
    name: &'static str,
    label: &'static str,
    #[prop(default = "text")] kind: &'static str,
    hint: &'static str,
    error: Signal<Option<String>>,
    value: Signal<Option<String>>,
) -> impl IntoView {
    let error = error.get_untracked();
    let has_error = error.is_some();
    let error_id = format!("{name}-error");
    let hint_id = format!("{name}-hint");
    let described = if has_error {
        format!("{hint_id} {error_id}")
    } else {
        hint_id.clone()
    };
    view! {
        <div class="field" class:has-error=has_error>
            <label for=name>{label}</label>
            <p class="field-hint" id=hint_id>{hint}</p>
            <input
                id=name
                name=name
                type=kind
                autocomplete="off"
                value=value.get_untracked().unwrap_or_default()
                aria-invalid=has_error.then_some("true")
                aria-describedby=described
            />
            {error.map(|msg| view! { <p class="field-error" id=error_id>{msg}</p> })}
        </div>
    }
}
