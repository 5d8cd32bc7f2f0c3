//! Intro requests, shown on several pages: an intro as the intros page
//! and the investor dashboard list it, the request form on a builder's
//! profile and the server function it posts to.
//!
//! Only an approved investor (role `investor`) may request an intro
//! (403 otherwise; signed out is 401, a browser goes to log in); a second
//! pending request to the same builder is 409. A browser goes to
//! `/intros` on success.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::{FormError, TextArea};
use crate::error::AppError;

/// Form fields.
pub const BUILDER: &str = "builder";
pub const PROJECT: &str = "project";
pub const MESSAGE: &str = "message";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct IntroView {
    pub id: Uuid,
    pub investor: String,
    pub builder: String,
    pub project: Option<(Uuid, String)>,
    pub message: String,
    pub status: String,
    pub created: String,
    pub responded: Option<String>,
}

#[cfg(feature = "ssr")]
pub fn intro_view(i: data::intros::Intro) -> IntroView {
    use crate::format::when;
    IntroView {
        id: i.id,
        investor: i.investor_username,
        builder: i.builder_username,
        project: i.project_id.zip(i.project_title),
        message: i.message,
        status: i.status,
        created: when(i.created_at),
        responded: i.responded_at.map(when),
    }
}

/// An investor asks `builder` for an intro, optionally about one of their
/// projects; a browser goes to `/intros`.
#[server(endpoint = "request_intro")]
pub async fn request_intro(
    builder: String,
    project: Option<String>,
    message: String,
) -> Result<(), AppError> {
    use crate::web::signed_in;

    let user = signed_in()?;
    if user.role != "investor" {
        return Err(AppError::Forbidden);
    }
    let values = [(MESSAGE, message.as_str())];
    let project_id = match project.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(p) => Some(Uuid::parse_str(p).map_err(|_| {
            AppError::invalid(PROJECT, "Choose one of this builder's projects.")
                .with_values(&values)
        })?),
    };
    let state = crate::state::state()?;
    let new = data::intros::NewIntro {
        builder_username: builder,
        project_id,
        message: message.clone(),
    };
    let id = data::intros::request(&state.pool, user.id, &new)
        .await
        .map_err(|e| AppError::from(e).with_values(&values))?;
    // Another page shows the result: the browser goes there, with or
    // without JavaScript (the client follows the redirect itself).
    leptos_axum::redirect(&format!("/intros#intro-{id}"));
    Ok(())
}

/// An investor's intro request to this builder: an optional project and a
/// message. Errors come back here, next to their field.
#[component]
pub fn IntroForm(
    builder: String,
    projects: Vec<(Uuid, String)>,
    request: ServerAction<RequestIntro>,
    error: Option<AppError>,
) -> impl IntoView {
    let project_error = error.as_ref().and_then(|e| e.field_error(PROJECT));
    let message_error = error.as_ref().and_then(|e| e.field_error(MESSAGE));
    let message_value = error.as_ref().and_then(|e| e.field_value(MESSAGE));
    let general = error.clone().filter(|e| !matches!(e, AppError::Invalid(_)));
    let has_project_error = project_error.is_some();
    let options = projects
        .into_iter()
        .map(|(id, title)| view! { <option value=id.to_string()>{title}</option> })
        .collect_view();
    view! {
        <section id="intro" class="intro-request" aria-labelledby="intro-heading">
            <h2 id="intro-heading">{format!("Request an intro to {builder}")}</h2>
            <FormError error=Signal::derive(move || general.clone()) />
            <ActionForm action=request attr:class="stack" attr:novalidate=true>
                <input type="hidden" name=BUILDER value=builder.clone() />
                <div class="field" class:has-error=has_project_error>
                    <label for="intro-project">"About a project (optional)"</label>
                    <select id="intro-project" name=PROJECT
                        aria-invalid=has_project_error.then_some("true")
                        aria-describedby=has_project_error.then_some("intro-project-error")>
                        <option value="">"No particular project"</option>
                        {options}
                    </select>
                    {project_error.map(|m| view! { <p class="field-error" id="intro-project-error">{m}</p> })}
                </div>
                <TextArea
                    id="intro-message".to_string()
                    name=MESSAGE
                    label="Message (optional)".to_string()
                    hint="Up to 2,000 characters."
                    error=message_error
                    value=message_value
                    rows=4
                />
                <button type="submit" class="button primary">"Request an intro"</button>
            </ActionForm>
        </section>
    }
}
