//! Accounts: creating users, checking passwords, loading the signed-in user.
//!
//! Passwords are hashed with argon2id at the OWASP parameters (19 MiB,
//! t=2, p=1: the argon2 crate's defaults) on the blocking pool, so a burst
//! of log-ins never stalls the async workers.

use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::sync::OnceLock;
use uuid::Uuid;

pub const USERNAME_MIN: usize = 3;
pub const USERNAME_MAX: usize = 30;
pub const EMAIL_MAX: usize = 254;
pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 128;

/// What a user may do. Stored as text with a CHECK constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Builder,
    Validator,
    Investor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Builder => "builder",
            Role::Validator => "validator",
            Role::Investor => "investor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Some(match s {
            "builder" => Role::Builder,
            "validator" => Role::Validator,
            "investor" => Role::Investor,
            "admin" => Role::Admin,
            _ => return None,
        })
    }
}

/// A user as the rest of the app sees it: never the password hash.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub email: String,
    pub role: String,
    pub is_active: bool,
}

impl User {
    pub fn role(&self) -> Role {
        Role::parse(&self.role).unwrap_or(Role::Builder)
    }
}

/// Sign-up input after trimming.
#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub email: String,
    pub password: String,
}

/// A problem with one input field: (field name, message for a person).
pub type FieldError = (&'static str, String);

/// Checks sign-up input; every problem is reported, each tied to its field.
pub fn validate_new_user(new: &NewUser) -> Vec<FieldError> {
    let mut errors = Vec::new();
    let name_len = new.username.chars().count();
    if name_len == 0 {
        errors.push(("username", "Choose a username.".to_string()));
    } else if !(USERNAME_MIN..=USERNAME_MAX).contains(&name_len) {
        errors.push((
            "username",
            format!("Use {USERNAME_MIN} to {USERNAME_MAX} characters (you used {name_len})."),
        ));
    } else if !new
        .username
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || c == '_')
    {
        errors.push((
            "username",
            "Use only letters, digits and underscores.".to_string(),
        ));
    }
    let email_len = new.email.chars().count();
    if email_len == 0 {
        errors.push(("email", "Enter your email address.".to_string()));
    } else if email_len > EMAIL_MAX {
        errors.push((
            "email",
            format!("Use at most {EMAIL_MAX} characters (you used {email_len})."),
        ));
    } else if !looks_like_email(&new.email) {
        errors.push((
            "email",
            "Enter an email address like name@example.com.".to_string(),
        ));
    }
    let pw_len = new.password.chars().count();
    if pw_len < PASSWORD_MIN {
        errors.push((
            "password",
            format!("Use at least {PASSWORD_MIN} characters."),
        ));
    } else if pw_len > PASSWORD_MAX {
        errors.push((
            "password",
            format!("Use at most {PASSWORD_MAX} characters."),
        ));
    }
    errors
}

fn looks_like_email(s: &str) -> bool {
    let Some((local, domain)) = s.split_once('@') else {
        return false;
    };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && !domain.contains('@')
}

/// Why a user could not be created.
#[derive(Debug, thiserror::Error)]
pub enum CreateUserError {
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
    #[error("password hashing failed: {0}")]
    Hash(String),
}

/// Creates a user. Uniqueness is left to the database (case-insensitive
/// unique indexes), so two simultaneous sign-ups cannot both win; the
/// violated index is turned back into a field error.
pub async fn create(pool: &PgPool, new: &NewUser, role: Role) -> Result<User, CreateUserError> {
    let errors = validate_new_user(new);
    if !errors.is_empty() {
        return Err(CreateUserError::Invalid(errors));
    }
    let hash = hash_password(new.password.clone())
        .await
        .map_err(CreateUserError::Hash)?;
    let inserted = sqlx::query_as::<_, User>(
        "insert into users (username, email, password_hash, role)
         values ($1, $2, $3, $4)
         returning id, username, email, role, is_active",
    )
    .bind(&new.username)
    .bind(&new.email)
    .bind(&hash)
    .bind(role.as_str())
    .fetch_one(pool)
    .await;
    match inserted {
        Ok(user) => Ok(user),
        Err(sqlx::Error::Database(db)) if db.constraint() == Some("users_username_lower_key") => {
            Err(CreateUserError::Invalid(vec![(
                "username",
                "That username is taken.".to_string(),
            )]))
        }
        Err(sqlx::Error::Database(db)) if db.constraint() == Some("users_email_lower_key") => {
            Err(CreateUserError::Invalid(vec![(
                "email",
                "An account with that email already exists.".to_string(),
            )]))
        }
        Err(err) => Err(err.into()),
    }
}

/// Checks a username-or-email and password. Returns the user only when the
/// password matches and the account is active. An unknown login still
/// costs one hash verification, so response time does not reveal which
/// accounts exist.
pub async fn authenticate(
    pool: &PgPool,
    login: &str,
    password: &str,
) -> Result<Option<User>, sqlx::Error> {
    #[derive(sqlx::FromRow)]
    struct Row {
        #[sqlx(flatten)]
        user: User,
        password_hash: String,
    }
    let row = sqlx::query_as::<_, Row>(
        "select id, username, email, role, is_active, password_hash from users
         where lower(username) = lower($1) or lower(email) = lower($1)
         limit 1",
    )
    .bind(login.trim())
    .fetch_optional(pool)
    .await?;
    let (user, hash) = match row {
        Some(row) => (Some(row.user), row.password_hash),
        None => (None, dummy_hash().to_string()),
    };
    let ok = verify_password(password.to_string(), hash).await;
    Ok(user.filter(|u| ok && u.is_active))
}

/// Loads an active user by id (the session holds only the id).
pub async fn active_by_id(pool: &PgPool, id: Uuid) -> Result<Option<User>, sqlx::Error> {
    sqlx::query_as::<_, User>(
        "select id, username, email, role, is_active from users where id = $1 and is_active",
    )
    .bind(id)
    .fetch_optional(pool)
    .await
}

/// Makes an existing user an admin, or creates one. Used by the CLI.
pub async fn create_or_promote_admin(
    pool: &PgPool,
    new: &NewUser,
) -> Result<User, CreateUserError> {
    let promoted = sqlx::query_as::<_, User>(
        "update users set role = 'admin', updated_at = now()
         where lower(username) = lower($1) and lower(email) = lower($2)
         returning id, username, email, role, is_active",
    )
    .bind(&new.username)
    .bind(&new.email)
    .fetch_optional(pool)
    .await?;
    match promoted {
        Some(user) => Ok(user),
        None => create(pool, new, Role::Admin).await,
    }
}

/// Hashes a password with argon2id (OWASP parameters) off the async threads.
pub async fn hash_password(password: String) -> Result<String, String> {
    tokio::task::spawn_blocking(move || {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(password.as_bytes(), &salt)
            .map(|h| h.to_string())
            .map_err(|e| e.to_string())
    })
    .await
    .map_err(|e| e.to_string())?
}

/// Verifies a password against a PHC hash string off the async threads.
pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || {
        PasswordHash::new(&hash)
            .map(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
            .unwrap_or(false)
    })
    .await
    .unwrap_or(false)
}

/// A valid hash of a random password, computed once, used to spend the same
/// time on unknown logins as on known ones.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        let salt = SaltString::generate(&mut OsRng);
        Argon2::default()
            .hash_password(Uuid::new_v4().as_bytes(), &salt)
            .map(|h| h.to_string())
            .unwrap_or_default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn new_user(username: &str, email: &str, password: &str) -> NewUser {
        NewUser {
            username: username.into(),
            email: email.into(),
            password: password.into(),
        }
    }

    #[test]
    fn validation_names_each_bad_field() {
        let errs = validate_new_user(&new_user("ab", "not-an-email", "short"));
        let fields: Vec<_> = errs.iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, vec!["username", "email", "password"]);
        assert!(validate_new_user(&new_user("good_name", "a@b.co", "long enough pw")).is_empty());
        let long = "x".repeat(31);
        assert_eq!(
            validate_new_user(&new_user(&long, "a@b.co", "long enough pw"))[0].0,
            "username"
        );
        let email = format!("{}@example.com", "y".repeat(250));
        assert_eq!(
            validate_new_user(&new_user("abc", &email, "long enough pw"))[0].0,
            "email"
        );
        assert_eq!(
            validate_new_user(&new_user("bad name", "a@b.co", "long enough pw"))[0].0,
            "username"
        );
    }

    #[tokio::test]
    async fn hashes_are_argon2id_owasp_and_verify() {
        let hash = hash_password("correct horse battery".into()).await.unwrap();
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
        assert!(verify_password("correct horse battery".into(), hash.clone()).await);
        assert!(!verify_password("wrong horse battery".into(), hash).await);
    }
}
