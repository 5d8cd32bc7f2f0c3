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

/// The signed-in user, or `Unauthorized`.
#[cfg(feature = "ssr")]
pub fn require_user() -> Result<CurrentUser, AppError> {
    session_user().ok_or(AppError::Unauthorized)
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

#[server(endpoint = "signup")]
pub async fn signup(username: String, email: String, password: String) -> Result<(), AppError> {
    use data::users::{self, CreateUserError, NewUser, Role};

    let state = crate::state::state()?;
    let ip = crate::state::client_ip(&request_parts()?, &state.settings);
    if let Some(ip) = ip {
        state
            .signup_limiter
            .check(ip)
            .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
    }
    let new = NewUser {
        username: username.trim().to_string(),
        email: email.trim().to_string(),
        password,
    };
    let echo = |errors: Vec<(&'static str, String)>| {
        AppError::Invalid(Invalid {
            errors: errors
                .into_iter()
                .map(|(f, m)| (f.to_string(), m))
                .collect(),
            values: vec![
                ("username".into(), new.username.clone()),
                ("email".into(), new.email.clone()),
            ],
        })
    };
    let user = match users::create(&state.pool, &new, Role::Builder).await {
        Ok(user) => user,
        Err(CreateUserError::Invalid(errors)) => return Err(echo(errors)),
        Err(CreateUserError::Db(err)) => return Err(err.into()),
        Err(CreateUserError::Hash(err)) => {
            tracing::error!(%err, "password hashing failed");
            return Err(AppError::Internal);
        }
    };
    if let Some(ip) = ip {
        state.signup_limiter.record(ip);
    }
    tracing::info!(user_id = %user.id, "signed up");
    start_session(&user).await?;
    leptos_axum::redirect("/");
    Ok(())
}

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
#[server(endpoint = "login")]
pub async fn login(login: String, password: String, next: Option<String>) -> Result<(), AppError> {
    let state = crate::state::state()?;
    let ip = crate::state::client_ip(&request_parts()?, &state.settings);
    if let Some(ip) = ip {
        state
            .login_limiter
            .check(ip)
            .map_err(|retry_after_secs| AppError::RateLimited { retry_after_secs })?;
    }
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
    if login.chars().count() > 254 || password.chars().count() > data::users::PASSWORD_MAX {
        if let Some(ip) = ip {
            state.login_limiter.record(ip);
        }
        return Err(AppError::BadCredentials);
    }
    match data::users::authenticate(&state.pool, &login, &password).await? {
        Some(user) => {
            start_session(&user).await?;
            tracing::info!(user_id = %user.id, "logged in");
            leptos_axum::redirect(&safe_next(next.as_deref()));
            Ok(())
        }
        None => {
            if let Some(ip) = ip {
                state.login_limiter.record(ip);
            }
            Err(AppError::BadCredentials)
        }
    }
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
