//! Validation badges on the project page: validators award one badge of
//! each type to a project that is not theirs, and revoke the badges they
//! gave. Plain form posts (`/api/award_badge`, `/api/revoke_badge`) that
//! come back to the project page, where the badges are read live, so the
//! validator sees the change at once.
//!
//! Checks, all on the server, nothing written when one fails: signed in
//! (401, or a browser is sent to log in), a validator (403), a known badge
//! type and a note of at most 500 characters (422), a live project (404),
//! not one's own project (422), not the same type twice (422). Revoking
//! someone else's badge is 403.

use crate::web::action;
use leptos::prelude::*;
use uuid::Uuid;

use crate::components::{FormError, Select, TextArea};
use crate::error::AppError;
use crate::format::label;
use crate::web::set_status;

/// Form fields.
pub const BADGE_TYPE: &str = "badge_type";
pub const NOTE: &str = "note";
/// The badge types, in the order the form offers them.
pub const BADGE_TYPES: &[&str] = include!(concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../data/src/badge_types.in"
));
/// Longest note (`data::badges::NOTE_MAX`).
pub const NOTE_MAX: usize = 500;

/// A badge as the project page lists it.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct BadgeItem {
    pub id: Uuid,
    pub badge_type: String,
    pub note: String,
    pub validator: String,
    pub created: String,
    /// Given by the reader (who may revoke it).
    pub mine: bool,
}

/// A failed award's error, with the type and note to show again.
#[cfg(feature = "ssr")]
fn badge_error(err: data::Error, badge_type: &str, note: &str) -> AppError {
    let badge_type: String = badge_type.chars().take(40).collect();
    let note: String = note.chars().take(NOTE_MAX + 100).collect();
    AppError::from(err).with_values(&[(BADGE_TYPE, &badge_type), (NOTE, &note)])
}

#[server(endpoint = "award_badge")]
pub async fn award_badge(
    project_id: String,
    badge_type: String,
    note: Option<String>,
) -> Result<(), AppError> {
    use crate::web::{back_to, parse_id, signed_in};
    let user = signed_in()?;
    if user.role != "validator" {
        return Err(AppError::Forbidden);
    }
    let id = parse_id(&project_id)?;
    let note = note.unwrap_or_default();
    let state = crate::state::state()?;
    data::badges::award(&state.pool, user.id, id, &badge_type, &note)
        .await
        .map_err(|e| badge_error(e, &badge_type, &note))?;
    back_to("badges-heading", &format!("/p/{id}"));
    Ok(())
}

#[server(endpoint = "revoke_badge")]
pub async fn revoke_badge(badge_id: String) -> Result<(), AppError> {
    use crate::web::{back_to, parse_id, signed_in};
    let user = signed_in()?;
    let id = parse_id(&badge_id)?;
    let state = crate::state::state()?;
    let project = data::badges::revoke(&state.pool, user.id, id).await?;
    back_to("badges-heading", &format!("/p/{project}"));
    Ok(())
}

/// The badges of a project with the reader's revoke buttons, and the
/// award form for validators (`can_award`).
#[component]
pub fn BadgeSection(project_id: Uuid, badges: Vec<BadgeItem>, can_award: bool) -> impl IntoView {
    // The page's actions (made outside the body that renders again after
    // each post, so a failed award's error is still there to show).
    let award = use_context::<ServerAction<AwardBadge>>().unwrap_or_else(action::<AwardBadge>);
    let revoke = use_context::<ServerAction<RevokeBadge>>().unwrap_or_else(action::<RevokeBadge>);
    let award_error = crate::web::failed(award);
    let revoke_error = crate::web::failed(revoke);
    if let Some(err) = award_error.as_ref().or(revoke_error.as_ref()) {
        set_status(err.status());
    }
    let general = award_error
        .clone()
        .filter(|e| !matches!(e, AppError::Invalid(_)))
        .or(revoke_error);
    let list = if badges.is_empty() {
        view! { <p class="empty">"No validation badges yet."</p> }.into_any()
    } else {
        let items = badges
            .clone()
            .into_iter()
            .map(|b| {
                let note = (!b.note.is_empty())
                    .then(|| view! { <p class="badge-note">{b.note.clone()}</p> });
                let revoke_form = b.mine.then(|| {
                    let what = format!("Revoke your {} badge", label(&b.badge_type));
                    view! {
                        <ActionForm action=revoke attr:class="inline-form revoke-form">
                            <input type="hidden" name="badge_id" value=b.id.to_string() />
                            <button type="submit" class="link-button danger" aria-label=what>"Revoke"</button>
                        </ActionForm>
                    }
                });
                view! {
                    <li id=format!("badge-{}", b.id)>
                        <span class=format!("badge badge-{}", b.badge_type)>{label(&b.badge_type)}</span>
                        " by " <a href=format!("/u/{}", b.validator)>{b.validator.clone()}</a>
                        " on " <time>{b.created.clone()}</time>
                        " " {revoke_form}
                        {note}
                    </li>
                }
            })
            .collect_view();
        view! { <ul class="badge-list">{items}</ul> }.into_any()
    };
    let form = can_award.then(|| {
        let mine: Vec<String> = badges
            .iter()
            .filter(|b| b.mine)
            .map(|b| b.badge_type.clone())
            .collect();
        let type_error = award_error.as_ref().and_then(|e| e.field_error(BADGE_TYPE));
        let note_error = award_error.as_ref().and_then(|e| e.field_error(NOTE));
        let chosen = award_error.as_ref().and_then(|e| e.field_value(BADGE_TYPE));
        let note_value = award_error.as_ref().and_then(|e| e.field_value(NOTE));
        let options = BADGE_TYPES
            .iter()
            .map(|t| {
                let given = mine.iter().any(|m| m == t);
                let text = if given {
                    format!("{} (already awarded)", label(t))
                } else {
                    label(t)
                };
                let selected = chosen.as_deref() == Some(*t);
                view! { <option value=*t selected=selected disabled=given>{text}</option> }
            })
            .collect_view();
        view! {
            <section class="award-badge" aria-labelledby="award-heading">
                <h3 id="award-heading">"Award a badge"</h3>
                <ActionForm action=award attr:class="stack badge-form" attr:novalidate=true>
                    <input type="hidden" name="project_id" value=project_id.to_string() />
                    <Select id="badge-type" name=BADGE_TYPE label="Badge type" error=type_error>
                        <option value="" selected=chosen.is_none()>"Choose a badge"</option>
                        {options}
                    </Select>
                    <TextArea
                        id="badge-note".to_string()
                        name=NOTE
                        label="Note (optional)".to_string()
                        hint="Why it earned the badge; up to 500 characters."
                        error=note_error
                        value=note_value
                        rows=3
                        required=false
                    />
                    <button type="submit" class="button primary">"Award badge"</button>
                </ActionForm>
            </section>
        }
    });
    view! {
        <FormError error=Signal::derive(move || general.clone()) />
        {list}
        {form}
    }
}
