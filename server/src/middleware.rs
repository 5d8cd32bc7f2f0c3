//! Request guards that apply to every route: cross-site post rejection,
//! loading the signed-in user, security headers, and giving server
//! function errors their proper HTTP status.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_sessions::Session;
use uuid::Uuid;

use app::auth::{CurrentUser, SESSION_AUTH_AT, SESSION_USER_ID};
use app::error::AppError;
use app::state::AppState;

/// Rejects state-changing requests sent by another site. Browsers label
/// every request with `Sec-Fetch-Site` (and posts with `Origin`); a form on
/// evil.example posting here says `cross-site`. Requests without either
/// header are not from a browser and carry no ambient cookies of a victim.
pub async fn reject_cross_site(req: Request, next: Next) -> Response {
    if matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(req).await;
    }
    let headers = req.headers();
    let same_site = match headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        Some(site) => site == "same-origin" || site == "none",
        None => match headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()) {
            Some(origin) => {
                let host = headers.get(header::HOST).and_then(|v| v.to_str().ok());
                let origin_host = origin.split_once("://").map(|(_, rest)| rest);
                host.is_some() && origin_host == host
            }
            None => true,
        },
    };
    if same_site {
        next.run(req).await
    } else {
        tracing::warn!(path = %req.uri().path(), "cross-site request rejected");
        error_response(&AppError::CrossSite)
    }
}

/// Loads the signed-in user once per request into the request extensions.
/// A session whose user is gone or deactivated, or whose log-in is older
/// than the absolute limit, is ended.
pub async fn load_current_user(
    State(state): State<AppState>,
    session: Session,
    mut req: Request,
    next: Next,
) -> Response {
    match session.get::<Uuid>(SESSION_USER_ID).await {
        Ok(Some(user_id)) => {
            let auth_at = session
                .get::<u64>(SESSION_AUTH_AT)
                .await
                .ok()
                .flatten()
                .unwrap_or(0);
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default();
            if now.saturating_sub(auth_at) > state.settings.session_max_secs {
                let _ = session.flush().await;
            } else {
                match data::users::active_by_id(&state.pool, user_id).await {
                    Ok(Some(user)) => {
                        req.extensions_mut().insert(CurrentUser {
                            id: user.id,
                            username: user.username,
                            role: user.role,
                        });
                    }
                    Ok(None) => {
                        let _ = session.flush().await;
                    }
                    Err(err) => {
                        tracing::error!(%err, "could not load the signed-in user");
                        return error_response(&AppError::from(err));
                    }
                }
            }
        }
        Ok(None) => {}
        Err(err) => {
            tracing::error!(%err, "session store unavailable");
            return error_response(&AppError::Unavailable);
        }
    }
    next.run(req).await
}

/// The longest address a failed browser post is sent back to (browsers
/// and proxies commonly accept 8–16 KiB).
const MAX_REDIRECT_LEN: usize = 8 * 1024;

/// Server functions answer every error with 500 unless told otherwise;
/// this maps each error to its real status (422 for bad input, 401, 403,
/// 404, 429, 400 for malformed posts). Browser form posts are redirects
/// and keep their 302.
pub async fn server_fn_status(req: Request, next: Next) -> Response {
    let res = next.run(req).await;
    // A browser post that failed is sent back to its page with the error
    // (and the values to show again) in the address. Forms cap what they
    // echo, but a direct post of huge values to any server function would
    // make an address no browser or proxy accepts: answer 400 instead.
    if res.status().is_redirection()
        && res
            .headers()
            .get(header::LOCATION)
            .is_some_and(|l| l.len() > MAX_REDIRECT_LEN)
    {
        return error_response(&AppError::BadRequest(
            "What was sent is too long to show again on its page.".into(),
        ));
    }
    if res.status() != StatusCode::INTERNAL_SERVER_ERROR
        || !res.headers().contains_key("serverfnerror")
    {
        return res;
    }
    let (mut parts, body) = res.into_parts();
    let bytes = axum::body::to_bytes(body, 1 << 20)
        .await
        .unwrap_or_default();
    if let Ok(err) = serde_json::from_slice::<AppError>(&bytes) {
        parts.status =
            StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        // 429 and 503 say when to try again.
        let retry_after = match err {
            AppError::RateLimited { retry_after_secs } => Some(retry_after_secs),
            AppError::Unavailable => Some(app::auth::UNAVAILABLE_RETRY_SECS),
            _ => None,
        };
        if let Some(secs) = retry_after {
            parts
                .headers
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
    }
    Response::from_parts(parts, Body::from(bytes))
}

/// Headers every response carries.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: &'static str, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "x-frame-options", "DENY");
    set(headers, "referrer-policy", "same-origin");
    set(
        headers,
        "content-security-policy",
        "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'; base-uri 'self'",
    );
    res
}

/// A small self-contained error page for responses made outside Leptos.
pub fn error_response(err: &AppError) -> Response {
    let status = StatusCode::from_u16(err.status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let body = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{0} · Proofwork</title>\
         <link rel=\"stylesheet\" href=\"/pkg/proofwork.css\"></head><body><main id=\"main\" class=\"error-page\">\
         <h1>{0}</h1><p>{1}</p><p><a href=\"/\">Go to the home page</a></p></main></body></html>",
        status.canonical_reason().unwrap_or("Error"),
        err
    );
    (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        body,
    )
        .into_response()
}
