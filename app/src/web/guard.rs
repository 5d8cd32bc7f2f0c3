//! Who may do what: the signed-in user and role checks of pages and
//! server functions. Signed out is 401 and a browser is sent to log in,
//! then back; a signed-in user without the role is 403.

use crate::auth::{session_user, CurrentUser};
use crate::error::AppError;

use super::request::{is_get, referer_path, wants_html};
use super::url::encode;

/// The signed-in user, or `Unauthorized` (no redirect: for data a page
/// loads from the browser, or a page that shows its own log-in prompt).
pub fn require_user() -> Result<CurrentUser, AppError> {
    session_user().ok_or(AppError::Unauthorized)
}

/// The signed-in user for a form post. Otherwise `Unauthorized`, and a
/// browser is redirected to log in (then back to the page it was on).
pub fn signed_in() -> Result<CurrentUser, AppError> {
    if let Some(user) = session_user() {
        return Ok(user);
    }
    if wants_html() {
        let next = referer_path().unwrap_or_else(|| "/".into());
        leptos_axum::redirect(&format!("/login?next={}", encode(&next)));
    }
    Err(AppError::Unauthorized)
}

/// The signed-in user for a page, or `Unauthorized` with the browser sent
/// to log in and come back to `path`.
pub fn page_user(path: &str) -> Result<CurrentUser, AppError> {
    session_user().ok_or_else(|| {
        leptos_axum::redirect(&format!("/login?next={}", encode(path)));
        AppError::Unauthorized
    })
}

/// The signed-in admin. Signed out: 401 (a page, or a browser's post,
/// is sent to log in and back to `next`); any other role: 403.
pub fn require_admin(next: &str) -> Result<CurrentUser, AppError> {
    require_role(next, &["admin"])
}

/// The signed-in user if their role is one of `roles` (see
/// [`require_admin`]).
pub fn require_role(next: &str, roles: &[&str]) -> Result<CurrentUser, AppError> {
    let Some(user) = session_user() else {
        if wants_html() {
            // A page (GET) comes back to itself; a form post to the
            // page it was posted from.
            let next = if is_get() {
                next.to_string()
            } else {
                referer_path().unwrap_or_else(|| next.to_string())
            };
            leptos_axum::redirect(&format!("/login?next={}", encode(&next)));
        }
        return Err(AppError::Unauthorized);
    };
    if roles.contains(&user.role.as_str()) {
        Ok(user)
    } else {
        Err(AppError::Forbidden)
    }
}
