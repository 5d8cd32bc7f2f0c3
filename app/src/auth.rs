//! Accounts on the web: who is signed in, sign up, log in, log out.
//!
//! The session stores only the user's id and when they logged in; the
//! server's session middleware loads the user once per request and puts a
//! [`CurrentUser`] into the request's extensions, where pages and server
//! functions read it.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::error::AppError;
#[cfg(feature = "ssr")]
use crate::error::Invalid;

/// Session keys.
pub const SESSION_USER_ID: &str = "user_id";
pub const SESSION_AUTH_AT: &str = "auth_at";

/// The signed-in user, as pages see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CurrentUser {
    pub id: Uuid,
    pub username: String,
    pub role: String,
}

/// The user the session belongs to, if any (server side).
#[cfg(feature = "ssr")]
pub fn session_user() -> Option<CurrentUser> {
    use_context::<http::request::Parts>()?
        .extensions
        .get::<CurrentUser>()
        .cloned()
}

/// Who is signed in; the navigation renders from this.
#[server(endpoint = "me")]
pub async fn get_me() -> Result<Option<CurrentUser>, AppError> {
    Ok(session_user())
}

#[cfg(feature = "ssr")]
fn request_parts() -> Result<http::request::Parts, AppError> {
    use_context::<http::request::Parts>().ok_or(AppError::Internal)
}

/// Starts a fresh session for `user`: a new session id (so an id planted
/// before log-in is worthless afterwards) holding the user id.
#[cfg(feature = "ssr")]
async fn start_session(user: &data::users::User) -> Result<(), AppError> {
    let session: tower_sessions::Session = leptos_axum::extract().await.map_err(|err| {
        tracing::error!(%err, "session layer missing");
        AppError::Internal
    })?;
    let internal = |err: tower_sessions::session::Error| {
        tracing::error!(%err, "session store failed");
        AppError::Internal
    };
    session.cycle_id().await.map_err(internal)?;
    session
        .insert(SESSION_USER_ID, user.id)
        .await
        .map_err(internal)?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    session
        .insert(SESSION_AUTH_AT, now)
        .await
        .map_err(internal)?;
    Ok(())
}

/// Creates an account (a builder) and signs it in. Every attempt counts
/// against the client address's sign-up limit before anything else is
/// done; an attempt that will fail (invalid input, a name in use) costs no
/// password hash.
#[server(endpoint = "signup")]
pub async fn signup(username: String, email: String, password: String) -> Result<(), AppError> {
    let result = sign_up(username, email, password).await;
    if let Err(err) = &result {
        back_to_the_form("/signup", <Signup as server_fn::ServerFn>::PATH, err, &[]);
    }
    result
}

#[cfg(feature = "ssr")]
async fn sign_up(username: String, email: String, password: String) -> Result<(), AppError> {
    use data::users::{self, NewUser, Role};

    let state = crate::state::state()?;
    let limits = &state.limits;
    let counted = match crate::state::client_ip(&request_parts()?, &state.settings) {
        Some(ip) => Some(
            limits
                .count(
                    &state.pool,
                    &limits.signup_per_address,
                    &crate::rate_limit::address_key(ip),
                )
                .await?,
        ),
        None => None,
    };
    let new = NewUser {
        username: username.trim().to_string(),
        email: email.trim().to_string(),
        password,
    };
    let user =
        match users::create_gated(&state.pool, &state.password_gate, &new, Role::Builder).await {
            Ok(user) => user,
            Err(err @ data::Error::Busy(_)) => {
                // Not the client's doing: the attempt does not count.
                limits.refund(&state.pool, counted).await;
                return Err(err.into());
            }
            Err(err) => {
                return Err(AppError::from(err)
                    .with_values(&[("username", &new.username), ("email", &new.email)]))
            }
        };
    tracing::info!(user_id = %user.id, "signed up");
    start_session(&user).await?;
    leptos_axum::redirect("/");
    Ok(())
}

/// A browser posting a form is sent back to the page it came from (its
/// `Referer`) with the error in the address. A browser that sends no
/// `Referer` (privacy settings, `Referrer-Policy: no-referrer`) would land
/// on `/` without any message: send it to `form` (the form's page) instead,
/// with the error and `extra` query parameters.
#[cfg(feature = "ssr")]
fn back_to_the_form(form: &str, fn_path: &str, err: &AppError, extra: &[(&str, &str)]) {
    use http::header::{ACCEPT, REFERER};
    use server_fn::error::ServerFnUrlError;

    let Ok(parts) = request_parts() else {
        return;
    };
    let browser = parts
        .headers
        .get(ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("text/html"));
    if !browser || parts.headers.contains_key(REFERER) {
        return;
    }
    // Any origin will do: only the path and query are kept.
    let Ok(mut url) =
        ServerFnUrlError::new(fn_path, err.clone()).to_url(&format!("http://localhost{form}"))
    else {
        return;
    };
    for (name, value) in extra {
        url.query_pairs_mut().append_pair(name, value);
    }
    let location = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_string(),
    };
    leptos_axum::redirect(&location);
}

/// Adds `Retry-After` to a page that shows a rate-limit or overload error.
#[cfg(feature = "ssr")]
pub fn retry_after_header(err: &AppError) {
    let secs = match err {
        AppError::RateLimited { retry_after_secs } => *retry_after_secs,
        AppError::Unavailable => UNAVAILABLE_RETRY_SECS,
        _ => return,
    };
    if let Some(res) = use_context::<leptos_axum::ResponseOptions>() {
        res.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(secs));
    }
}

/// What `Retry-After` says with a 503 (overloaded or database down).
pub const UNAVAILABLE_RETRY_SECS: u64 = 2;

/// Where to go after logging in: `next` when it is a path on this site,
/// otherwise the home page. Accepted: a single leading `/` (not `//`, which
/// a browser reads as another host, nor `/\`, which browsers treat alike),
/// visible ASCII only (browsers drop tabs and newlines inside URLs, so
/// `/\t/evil.example` would become `//evil.example`), no backslash, at most
/// 2,000 characters. A scheme (`https:`, `javascript:`) cannot start with
/// `/`, so it is refused too.
pub fn safe_next(next: Option<&str>) -> String {
    let home = || "/".to_string();
    let Some(next) = next else {
        return home();
    };
    let bytes = next.as_bytes();
    let ok = bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/') | Some(b'\\'))
        && bytes.len() <= 2000
        && bytes.iter().all(|b| b.is_ascii_graphic() && *b != b'\\');
    if ok {
        next.to_string()
    } else {
        home()
    }
}

/// Logs in; on success a browser goes to `next` when it is a same-site
/// path ([`safe_next`]), else to `/`.
///
/// Limits: the attempt is counted per login (as typed, lower-cased), then
/// it takes a place of the password gate (waiting in its short queue, or
/// refused at once with 503 when that is full), then it is counted per
/// client address; only then is the password checked. Both counts are taken
/// BEFORE the check, so parallel posts cannot run more checks than either
/// limit allows; a successful log-in hands both back (only failures
/// count). Counting the address only once a place is held means that
/// successful log-ins waiting in the queue (many people behind one
/// address) never use up the address's allowance.
#[server(endpoint = "login")]
pub async fn login(login: String, password: String, next: Option<String>) -> Result<(), AppError> {
    let result = log_in(login, password, next.as_deref()).await;
    if let Err(err) = &result {
        let extra: Vec<(&str, &str)> = next.iter().map(|n| ("next", n.as_str())).collect();
        back_to_the_form("/login", <Login as server_fn::ServerFn>::PATH, err, &extra);
    }
    result
}

#[cfg(feature = "ssr")]
async fn log_in(login: String, password: String, next: Option<&str>) -> Result<(), AppError> {
    let state = crate::state::state()?;
    let ip = crate::state::client_ip(&request_parts()?, &state.settings);
    let login = login.trim().to_string();
    if login.is_empty() || password.is_empty() {
        let mut invalid = Invalid::default().with_value("login", &login);
        if login.is_empty() {
            invalid
                .errors
                .push(("login".into(), "Enter your username or email.".into()));
        }
        if password.is_empty() {
            invalid
                .errors
                .push(("password".into(), "Enter your password.".into()));
        }
        return Err(AppError::Invalid(invalid));
    }
    let (pool, limits) = (&state.pool, &state.limits);
    let address_key = ip.map(crate::rate_limit::address_key);
    // Longer than any account's name or password: a failure of the
    // address, with no check.
    if login.chars().count() > data::users::EMAIL_MAX
        || password.chars().count() > data::users::PASSWORD_MAX
    {
        if let Some(key) = &address_key {
            limits.count(pool, &limits.login_per_address, key).await?;
        }
        return Err(AppError::BadCredentials);
    }
    // An address that has already used up its window is refused before it
    // takes anything (a place of the gate, an account's allowance).
    if let Some(key) = &address_key {
        limits.check(pool, &limits.login_per_address, key).await?;
    }
    let by_account = Some(
        limits
            .count(pool, &limits.login_per_account, &login)
            .await?,
    );
    let slot = match state.password_gate.enter().await {
        Ok(slot) => slot,
        Err(data::users::Busy) => {
            limits.refund(pool, by_account).await;
            return Err(AppError::Unavailable);
        }
    };
    let by_address = match &address_key {
        Some(key) => {
            match limits.count(pool, &limits.login_per_address, key).await {
                Ok(attempt) => Some(attempt),
                Err(err) => {
                    // Refused before any check: the account is not charged.
                    drop(slot);
                    limits.refund(pool, by_account).await;
                    return Err(err);
                }
            }
        }
        None => None,
    };
    let user = match data::users::authenticate_in(pool, slot, &login, &password).await {
        Ok(Some(user)) => user,
        Ok(None) => return Err(AppError::BadCredentials),
        Err(err) => {
            limits.refund(pool, by_address).await;
            limits.refund(pool, by_account).await;
            return Err(err.into());
        }
    };
    limits.refund(pool, by_address).await;
    limits.refund(pool, by_account).await;
    start_session(&user).await?;
    tracing::info!(user_id = %user.id, "logged in");
    leptos_axum::redirect(&safe_next(next));
    Ok(())
}

#[server(endpoint = "logout")]
pub async fn logout() -> Result<(), AppError> {
    let session: tower_sessions::Session = leptos_axum::extract().await.map_err(|err| {
        tracing::error!(%err, "session layer missing");
        AppError::Internal
    })?;
    session.flush().await.map_err(|err| {
        tracing::error!(%err, "session store failed");
        AppError::Internal
    })?;
    leptos_axum::redirect("/");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_kept_only_for_paths_on_this_site() {
        for ok in [
            "/",
            "/p/0b6f",
            "/?tab=top&period=week",
            "/u/demo_builder#projects",
        ] {
            assert_eq!(safe_next(Some(ok)), ok);
        }
        for bad in [
            "",
            "//evil.example",
            "/\\evil.example",
            "/p\\..\\x",
            "https://evil.example",
            "javascript:alert(1)",
            "evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "/é",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
        assert_eq!(safe_next(Some(&format!("/{}", "a".repeat(2000)))), "/");
    }
}
