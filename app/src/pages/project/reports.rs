//! Reports to the admins from the project page: any signed-in user reports
//! the project or a comment (`/api/report`). Signed out: 401, or a browser
//! is sent to log in. An empty or over-long reason is 422 with the
//! message next to the field; an unknown target 404; more than 20 open
//! reports 422. On success the browser comes back to the page with a
//! confirmation next to the form it used.

use crate::web::action;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;
use uuid::Uuid;

use crate::components::{FormError, TextArea};
use crate::error::AppError;
use crate::web::set_status;

/// Form fields: the reason, and which target a failed form was about.
pub const REASON: &str = "reason";
pub const TARGET: &str = "target";
/// Query parameter naming the target just reported (the confirmation).
pub const REPORTED: &str = "reported";
/// Longest reason (`data::reports::REASON_MAX`).
pub const REASON_MAX: usize = 2000;

/// A failed report's error, with the reason and which form it was.
#[cfg(feature = "ssr")]
fn report_error(err: data::Error, target: &str, reason: &str) -> AppError {
    let reason: String = reason.chars().take(REASON_MAX + 200).collect();
    let target: String = target.chars().take(40).collect();
    AppError::from(err).with_values(&[(REASON, &reason), (TARGET, &target)])
}

/// The page the form was posted from with `reported=<target>` (any
/// earlier confirmation dropped).
#[cfg(feature = "ssr")]
fn confirmation_path(target: Uuid, fallback: &str) -> String {
    let path = crate::web::referer_path().unwrap_or_else(|| fallback.into());
    let (path, query) = path.split_once('?').unwrap_or((&path, ""));
    let mut kept: Vec<String> = query
        .split('&')
        .filter(|kv| !kv.is_empty() && !kv.starts_with("reported="))
        .map(str::to_string)
        .collect();
    kept.push(format!("{REPORTED}={target}"));
    format!("{path}?{}#report-{target}", kept.join("&"))
}

#[server(endpoint = "report")]
pub async fn report(
    target_type: String,
    target_id: String,
    reason: String,
) -> Result<(), AppError> {
    use crate::web::{parse_id, signed_in};
    let user = signed_in()?;
    if !data::reports::TARGET_TYPES.contains(&target_type.as_str()) {
        return Err(AppError::BadRequest(
            "reports are about a project or a comment".into(),
        ));
    }
    let id = parse_id(&target_id)?;
    let state = crate::state::state()?;
    let filed = data::reports::create(&state.pool, user.id, &target_type, id, &reason)
        .await
        .map_err(|e| report_error(e, &target_id, &reason))?;
    if filed.created {
        tracing::info!(report_id = %filed.id, %target_type, target_id = %id, "report filed");
    }
    // Another page shows the result: the browser goes there, with or
    // without JavaScript (the client follows the redirect itself).
    leptos_axum::redirect(&confirmation_path(id, &format!("/p/{}", filed.project_id)));
    Ok(())
}

/// "Report" under a project or a comment: a reason box in a `<details>`
/// (open after a failed post), and the confirmation after a report.
/// The project's form (`general`) also shows errors not tied to a form
/// (404, ...) and sets the page's status for every report error.
#[component]
pub fn ReportForm(
    target_type: &'static str,
    target_id: Uuid,
    /// What is reported, for the labels ("this project", "comment by x").
    what: String,
    #[prop(default = false)] general: bool,
) -> impl IntoView {
    // One action for every report form of the page, made by the page
    // outside the body that renders again after each post, so that the
    // error of a report sent in the browser is still there to show (each
    // form shows it only when it is about its own target).
    let action = use_context::<ServerAction<Report>>().unwrap_or_else(action::<Report>);
    let query = use_query_map();
    let error = crate::web::failed(action);
    if general {
        if let Some(err) = &error {
            set_status(err.status());
        }
    }
    let tid = target_id.to_string();
    let mine = error
        .as_ref()
        .filter(|e| e.field_value(TARGET).as_deref() == Some(tid.as_str()));
    let field_error = mine.and_then(|e| e.field_error(REASON));
    let value = mine.and_then(|e| e.field_value(REASON));
    let other = error
        .clone()
        .filter(|e| general && !matches!(e, AppError::Invalid(_)));
    let reported = query.get_untracked().get(REPORTED).as_deref() == Some(tid.as_str());
    let open = field_error.is_some();
    let container_id = format!("report-{tid}");
    let field_id = format!("report-reason-{tid}");
    view! {
        <div class="report" id=container_id>
            <FormError error=Signal::derive(move || other.clone()) />
            {reported.then(|| view! {
                <p class="report-done" role="status">"Thank you. Your report was sent to the admins."</p>
            })}
            <details class="report-details" open=open>
                <summary>{format!("Report {what}")}</summary>
                <ActionForm action=action attr:class="stack report-form" attr:novalidate=true>
                    <input type="hidden" name="target_type" value=target_type />
                    <input type="hidden" name="target_id" value=tid />
                    <TextArea
                        id=field_id
                        name=REASON
                        label=format!("Why are you reporting {what}?")
                        hint="Only the admins see reports. Up to 2,000 characters."
                        error=field_error
                        value=value
                        rows=3
                        required=false
                    />
                    <button type="submit" class="button small">"Send report"</button>
                </ActionForm>
            </details>
        </div>
    }
}
