//! Request guards that apply to every route: cross-site post rejection,
//! loading the signed-in user, security headers (with the per-response
//! script nonce), keeping a failed form's state in the session, and giving
//! server function errors their proper HTTP status.

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::uri::PathAndQuery;
use axum::http::{header, HeaderValue, Method, StatusCode, Uri};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use leptos::nonce::Nonce;
use serde::{Deserialize, Serialize};
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
    let signed_in = req.extensions().get::<CurrentUser>().is_some();
    let mut res = next.run(req).await;
    // A page made for one person must never be kept by a shared cache (a
    // proxy, a CDN) nor written to disk by the browser. Responses that say
    // how they may be cached (the stylesheet, the Atom feeds: the same
    // for everyone) keep their own rule.
    if signed_in && !res.headers().contains_key(header::CACHE_CONTROL) {
        res.headers_mut().insert(
            header::CACHE_CONTROL,
            HeaderValue::from_static("private, no-store"),
        );
    }
    res
}

/// Most bytes of a form post read here (the router's body limit).
const MAX_FORM_BYTES: usize = 256 * 1024;

/// Unicode's bidirectional embeddings, overrides and isolates (U+202A–E,
/// U+2066–9): invisible characters that reorder the text around them, so
/// that "\u{202E}gnp.exe" displays as "exe.png". The plain marks
/// (U+200E/F) only nudge neutral characters and stay.
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Removes bidirectional controls ([`is_bidi_control`]) from every field
/// of every form post (`application/x-www-form-urlencoded`, how browsers
/// and server functions post) before any action reads it: titles, names
/// and messages cannot display as something else than what they are. A
/// body without them passes untouched.
pub async fn strip_bidi_controls(req: Request, next: Next) -> Response {
    let is_form = req.method() == Method::POST
        && req
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return next.run(req).await;
    }
    let (mut parts, body) = req.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_FORM_BYTES).await else {
        return error_response(&AppError::BadRequest(
            "The form is larger than 256 KiB.".into(),
        ));
    };
    let pairs: Vec<(String, String)> = form_urlencoded::parse(&bytes).into_owned().collect();
    let dirty = pairs
        .iter()
        .any(|(k, v)| k.chars().chain(v.chars()).any(is_bidi_control));
    let body = if dirty {
        let clean = |s: &str| {
            s.chars()
                .filter(|c| !is_bidi_control(*c))
                .collect::<String>()
        };
        let encoded = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(pairs.iter().map(|(k, v)| (clean(k), clean(v))))
            .finish();
        parts.headers.remove(header::CONTENT_LENGTH);
        Body::from(encoded)
    } else {
        Body::from(bytes)
    };
    next.run(Request::from_parts(parts, body)).await
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

/// The nonce of this response's Content-Security-Policy, in the request's
/// extensions for the page renderer (see [`provide_csp_nonce`]).
#[derive(Clone)]
pub struct CspNonce(pub Nonce);

/// Headers every response carries. The Content-Security-Policy allows
/// scripts from this origin and inline scripts carrying this response's
/// nonce only: a script injected into a page (`<script>`, `onerror=`,
/// `javascript:`) does not run, whatever got it into the HTML. The
/// nonce is fresh per response (16 random bytes) and the same value is
/// given to the page's own inline scripts: Leptos writes the page's
/// serialized resources as small inline scripts on every page, and the
/// hydration loader when the compiled client exists.
pub async fn security_headers(mut req: Request, next: Next) -> Response {
    let nonce = Nonce::new();
    req.extensions_mut().insert(CspNonce(nonce.clone()));
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    let set = |h: &mut axum::http::HeaderMap, name: &'static str, value: &'static str| {
        h.entry(name).or_insert(HeaderValue::from_static(value));
    };
    set(headers, "x-content-type-options", "nosniff");
    set(headers, "x-frame-options", "DENY");
    set(headers, "referrer-policy", "same-origin");
    let client = app::CLIENT_BUILT.load(std::sync::atomic::Ordering::Relaxed);
    if let Ok(csp) = HeaderValue::from_str(&content_security_policy(&nonce, client)) {
        headers.entry("content-security-policy").or_insert(csp);
    }
    res
}

/// The policy: everything from this origin only; images may also be
/// `data:` URLs; no inline style (the pages have no `style` attributes or
/// `<style>` elements); scripts from this origin or carrying `nonce`, and
/// WebAssembly compilation (`'wasm-unsafe-eval'`) only when the compiled
/// client is served; no framing; forms post here only.
fn content_security_policy(nonce: &str, client_built: bool) -> String {
    let wasm = if client_built {
        " 'wasm-unsafe-eval'"
    } else {
        ""
    };
    format!(
        "default-src 'self'; img-src 'self' data:; style-src 'self'; \
         script-src 'self' 'nonce-{nonce}'{wasm}; frame-ancestors 'none'; \
         form-action 'self'; base-uri 'self'; object-src 'none'"
    )
}

/// Gives the page renderer the nonce [`security_headers`] put in the
/// request's header, so the inline scripts Leptos writes (its
/// `HydrationScripts` and resource chunks read the `Nonce` in context)
/// carry the value the policy allows. Meant as the Leptos routes'
/// additional context: leptos_axum provides the request's parts and a
/// nonce of its own first; this replaces that nonce with ours.
pub fn provide_csp_nonce() {
    use leptos::prelude::{provide_context, use_context};
    if let Some(CspNonce(nonce)) = use_context::<http::request::Parts>()
        .and_then(|parts| parts.extensions.get::<CspNonce>().cloned())
    {
        provide_context(nonce);
    }
}

/// Session key of a failed form's state waiting for its page.
const FORM_FLASH: &str = "form_flash";

/// The most a failed form's state may hold (path, messages and the values
/// typed, encoded). Forms cap what they echo, but a direct post of huge
/// values to any server function must not make a huge session row.
const MAX_FLASH_LEN: usize = 16 * 1024;

/// How long a failed form's state waits for its page: the browser asks
/// for the page right after the redirect, and a state never picked up
/// must not turn up on a visit much later.
const FLASH_TTL_SECS: u64 = 600;

/// A failed browser form post's state, kept in the session for the next
/// GET of its page, once.
#[derive(Serialize, Deserialize)]
struct FormFlash {
    /// The page it is for: path, and query without the state.
    target: String,
    /// The `__path=…&__err=…` query pairs, as the server function wrote
    /// them (query-encoded).
    params: String,
    /// When it was made, in seconds since the Unix epoch.
    at: u64,
}

/// Keeps a failed form's state out of the address.
///
/// A browser form post that fails is redirected back to its page, and the
/// server function puts the form's state in the redirect's address:
/// `__path` (which form) and `__err` (the messages and the values typed,
/// base64 JSON), which Leptos's router reads from the page's URL to show
/// the errors next to the form. Anyone could write such a link, and the
/// page would show whatever messages and values it carries to whoever
/// follows it; the address would also show (and keep in history and
/// logs) what was typed, and the parameters would pile up on each retry.
///
/// So, on the way out, the two parameters are taken off the redirect's
/// `Location` and kept in the session (`form_flash`: one state, the last
/// failure), tied to the page's path and remaining query; more than
/// [`MAX_FLASH_LEN`] is a 400. On the way in, the two are removed from
/// every request's address (a link carrying them shows nothing of them),
/// and a GET of the page the session's state is for takes it out of the
/// session and puts it back into the request's query, for the router
/// only: a reload shows the plain page. A signed-out visitor's failed
/// post gets a session too (and its cookie on the redirect).
///
/// Must run inside the session layer.
pub async fn form_flash(session: Session, mut req: Request, next: Next) -> Response {
    let (target, stripped) = without_form_state(req.uri());
    if stripped {
        match with_path_and_query(req.uri(), &target) {
            Some(uri) => *req.uri_mut() = uri,
            None => {
                return error_response(&AppError::BadRequest("malformed address".into()));
            }
        }
    }
    if req.method() == Method::GET {
        match session.get::<FormFlash>(FORM_FLASH).await {
            Ok(Some(flash)) if flash.target == target => {
                if let Err(err) = session.remove_value(FORM_FLASH).await {
                    tracing::error!(%err, "session store unavailable");
                    return error_response(&AppError::Unavailable);
                }
                if now_secs().saturating_sub(flash.at) <= FLASH_TTL_SECS {
                    let sep = if target.contains('?') { '&' } else { '?' };
                    if let Some(uri) =
                        with_path_and_query(req.uri(), &format!("{target}{sep}{}", flash.params))
                    {
                        *req.uri_mut() = uri;
                    }
                }
            }
            Ok(_) => {}
            Err(err) => {
                tracing::error!(%err, "session store unavailable");
                return error_response(&AppError::Unavailable);
            }
        }
    }

    let mut res = next.run(req).await;
    if !res.status().is_redirection() {
        return res;
    }
    let Some(taken) = res
        .headers()
        .get(header::LOCATION)
        .and_then(|l| l.to_str().ok())
        .and_then(take_form_state)
    else {
        return res;
    };
    let (location, flash) = taken;
    if flash.target.len() + flash.params.len() > MAX_FLASH_LEN {
        return error_response(&AppError::BadRequest(
            "What was sent is too long to show again on its page.".into(),
        ));
    }
    let Ok(location) = HeaderValue::from_str(&location) else {
        return error_response(&AppError::BadRequest("malformed address".into()));
    };
    if let Err(err) = session.insert(FORM_FLASH, flash).await {
        tracing::error!(%err, "session store unavailable");
        return error_response(&AppError::Unavailable);
    }
    res.headers_mut().insert(header::LOCATION, location);
    res
}

fn now_secs() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// Whether a query pair carries a failed form's state (`__path` or
/// `__err`). The router reads names percent-decoded (and `+` as a
/// space), so `%5F%5Ferr` counts too.
fn is_form_state(pair: &str) -> bool {
    let name = pair.split('=').next().unwrap_or_default().as_bytes();
    let hex = |b: u8| (b as char).to_digit(16);
    let mut decoded = Vec::with_capacity(name.len());
    let mut i = 0;
    while i < name.len() {
        match (
            name[i],
            name.get(i + 1).and_then(|&b| hex(b)),
            name.get(i + 2).and_then(|&b| hex(b)),
        ) {
            (b'%', Some(high), Some(low)) => {
                decoded.push((high * 16 + low) as u8);
                i += 3;
            }
            (b'+', _, _) => {
                decoded.push(b' ');
                i += 1;
            }
            (b, _, _) => {
                decoded.push(b);
                i += 1;
            }
        }
    }
    decoded == b"__path" || decoded == b"__err"
}

/// Splits a query into the pairs that are not form state and those that
/// are, each joined with `&`.
fn split_query(query: &str) -> (String, String) {
    let (taken, kept): (Vec<&str>, Vec<&str>) = query
        .split('&')
        .filter(|pair| !pair.is_empty())
        .partition(|pair| is_form_state(pair));
    (kept.join("&"), taken.join("&"))
}

/// A request's path and query without form state, and whether there was
/// any to remove.
fn without_form_state(uri: &Uri) -> (String, bool) {
    let path = uri.path();
    match uri.query() {
        None => (path.to_string(), false),
        Some(query) => {
            let (kept, taken) = split_query(query);
            let target = if kept.is_empty() {
                path.to_string()
            } else {
                format!("{path}?{kept}")
            };
            (target, !taken.is_empty() || kept.len() != query.len())
        }
    }
}

/// `uri` with another path and query (scheme and authority kept).
fn with_path_and_query(uri: &Uri, path_and_query: &str) -> Option<Uri> {
    let mut parts = uri.clone().into_parts();
    parts.path_and_query = Some(path_and_query.parse::<PathAndQuery>().ok()?);
    Uri::from_parts(parts).ok()
}

/// A redirect's `Location` without form state, and the state taken off
/// it with the page it is for; `None` when it carries none. The address
/// is absolute (the server function builds it from the `Referer`) or a
/// path; a fragment stays on the address.
fn take_form_state(location: &str) -> Option<(String, FormFlash)> {
    let (address, fragment) = match location.split_once('#') {
        Some((a, f)) => (a, Some(f)),
        None => (location, None),
    };
    let (base, query) = address.split_once('?')?;
    let (kept, taken) = split_query(query);
    if taken.is_empty() {
        return None;
    }
    let path = match base.split_once("://") {
        Some((_, rest)) => rest.find('/').map_or("/", |i| &rest[i..]),
        None => base,
    };
    let path = if path.is_empty() { "/" } else { path };
    let with_query = |p: &str| {
        if kept.is_empty() {
            p.to_string()
        } else {
            format!("{p}?{kept}")
        }
    };
    let mut location = with_query(base);
    if let Some(fragment) = fragment {
        location.push('#');
        location.push_str(fragment);
    }
    Some((
        location,
        FormFlash {
            target: with_query(path),
            params: taken,
            at: now_secs(),
        },
    ))
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
