//! Accounts: creating users, checking passwords, loading the signed-in user.
//!
//! Passwords are hashed with argon2id at the OWASP parameters (19 MiB,
//! t=2, p=1: the argon2 crate's defaults) on the blocking pool, so a burst
//! of log-ins never stalls the async workers. On the web, every hash and
//! verification goes through a [`PasswordGate`]: a fixed number run at
//! once (each holds 19 MiB and a core for its whole run), a few more may
//! wait, and the rest are refused at once ([`Busy`]) instead of piling up
//! on the blocking pool.

use crate::error::Error;
use argon2::password_hash::{
    rand_core::OsRng, PasswordHash, PasswordHasher, PasswordVerifier, SaltString,
};
use argon2::Argon2;
use serde::{Deserialize, Serialize};
use sqlx::PgPool;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, TryAcquireError};
use uuid::Uuid;

pub const USERNAME_MIN: usize = 3;
pub const USERNAME_MAX: usize = 30;
pub const EMAIL_MAX: usize = 254;
pub const PASSWORD_MIN: usize = 10;
pub const PASSWORD_MAX: usize = 128;

/// The answer to a sign-up whose username exists (usernames are public).
pub const USERNAME_TAKEN: &str = "That username is taken.";
/// The answer to a sign-up whose email has an account (and whose username
/// is free). It says what to do without stating that an account exists,
/// and the sign-up page says the same to everyone beside the field. The
/// refusal itself still tells whoever chose a free username that the email
/// is in use: without e-mail delivery there is no "check your inbox"
/// answer that could be given to every sign-up alike. The sign-up limit
/// (every attempt counts, no hash is spent) keeps such probing slow.
pub const EMAIL_UNAVAILABLE: &str =
    "This email address cannot be used for a new account. If you already have an account, log in instead.";

/// Too many password checks are running and waiting: try again shortly.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("too many password checks at once")]
pub struct Busy;

/// Caps the argon2 hashes and verifications of one server instance: at
/// most `concurrent` run at once, at most `queue` more wait for a turn, and
/// any beyond that are refused at once with [`Busy`]. Memory is bounded by
/// `concurrent` x 19 MiB whatever arrives. Cheap to clone (shared).
#[derive(Clone)]
pub struct PasswordGate {
    inner: Arc<Gate>,
}

struct Gate {
    permits: Arc<Semaphore>,
    queue: usize,
    waiting: AtomicUsize,
    checks: AtomicU64,
}

/// A place in the gate's queue, given back however the wait ends (a
/// client that disconnects drops the future mid-wait).
struct QueuePlace<'a>(&'a AtomicUsize);

impl Drop for QueuePlace<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

impl PasswordGate {
    /// `concurrent` checks at once (at least one), `queue` waiting.
    pub fn new(concurrent: usize, queue: usize) -> Self {
        PasswordGate {
            inner: Arc::new(Gate {
                permits: Arc::new(Semaphore::new(concurrent.max(1))),
                queue,
                waiting: AtomicUsize::new(0),
                checks: AtomicU64::new(0),
            }),
        }
    }

    /// How many hashes and verifications this gate has let run.
    pub fn checks_run(&self) -> u64 {
        self.inner.checks.load(Ordering::Relaxed)
    }

    /// Waits for a free slot: at once when one is free, in the queue when
    /// it has room, else `Busy` at once.
    pub async fn enter(&self) -> Result<Slot, Busy> {
        let gate = &self.inner;
        let permit = match gate.permits.clone().try_acquire_owned() {
            Ok(permit) => permit,
            Err(TryAcquireError::Closed) => return Err(Busy),
            Err(TryAcquireError::NoPermits) => {
                if gate.waiting.fetch_add(1, Ordering::SeqCst) >= gate.queue {
                    gate.waiting.fetch_sub(1, Ordering::SeqCst);
                    return Err(Busy);
                }
                let _place = QueuePlace(&gate.waiting);
                gate.permits
                    .clone()
                    .acquire_owned()
                    .await
                    .map_err(|_| Busy)?
            }
        };
        Ok(Slot {
            permit,
            gate: self.inner.clone(),
        })
    }

    /// Runs `work` on the blocking pool once a slot is free.
    async fn run<T: Send + 'static>(
        &self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        self.enter().await?.run(work).await
    }
}

/// A held place of a [`PasswordGate`]: one hash or verification may run.
/// Dropping it unused frees the place.
pub struct Slot {
    permit: OwnedSemaphorePermit,
    gate: Arc<Gate>,
}

impl Slot {
    /// Runs `work` on the blocking pool. The place is held by the blocking
    /// task itself, so a caller that goes away mid-check cannot let more
    /// than the gate's number of checks run.
    async fn run<T: Send + 'static>(
        self,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T, Busy> {
        self.gate.checks.fetch_add(1, Ordering::Relaxed);
        let permit = self.permit;
        tokio::task::spawn_blocking(move || {
            let _permit = permit;
            work()
        })
        .await
        .map_err(|err| {
            tracing::error!(%err, "password work failed");
            Busy
        })
    }
}

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

/// Creates a user (no cap on hashing: the command line, tests). The web
/// uses [`create_gated`].
pub async fn create(pool: &PgPool, new: &NewUser, role: Role) -> Result<User, Error> {
    create_with(pool, None, new, role).await
}

/// Creates a user, hashing through `gate`.
pub async fn create_gated(
    pool: &PgPool,
    gate: &PasswordGate,
    new: &NewUser,
    role: Role,
) -> Result<User, Error> {
    create_with(pool, Some(gate), new, role).await
}

/// Invalid input and names in use are refused before the password is
/// hashed, so a sign-up that will fail costs no hash. A taken username is
/// named (usernames are public); an email in use is reported only when the
/// username is free, so naming a taken username never reveals whether the
/// email has an account. Uniqueness is still left to the database
/// (case-insensitive unique indexes), so two simultaneous sign-ups cannot
/// both win; the violated index gives the same answers.
async fn create_with(
    pool: &PgPool,
    gate: Option<&PasswordGate>,
    new: &NewUser,
    role: Role,
) -> Result<User, Error> {
    let errors = validate_new_user(new);
    if !errors.is_empty() {
        return Err(Error::Invalid(errors));
    }
    // One probe of each unique index.
    let (username_taken, email_taken): (bool, bool) = sqlx::query_as(
        "select coalesce(bool_or(lower(username) = lower($1)), false),
                coalesce(bool_or(lower(email) = lower($2)), false)
         from users where lower(username) = lower($1) or lower(email) = lower($2)",
    )
    .bind(&new.username)
    .bind(&new.email)
    .fetch_one(pool)
    .await?;
    if username_taken {
        return Err(Error::Invalid(vec![(
            "username",
            USERNAME_TAKEN.to_string(),
        )]));
    }
    if email_taken {
        return Err(Error::Invalid(vec![(
            "email",
            EMAIL_UNAVAILABLE.to_string(),
        )]));
    }
    let hash = match gate {
        Some(gate) => {
            let password = new.password.clone();
            gate.run(move || hash_now(&password)).await?
        }
        None => hash_password(new.password.clone()).await,
    }
    .map_err(Error::Hash)?;
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
            Err(Error::Invalid(vec![(
                "username",
                USERNAME_TAKEN.to_string(),
            )]))
        }
        Err(sqlx::Error::Database(db)) if db.constraint() == Some("users_email_lower_key") => Err(
            Error::Invalid(vec![("email", EMAIL_UNAVAILABLE.to_string())]),
        ),
        Err(err) => Err(err.into()),
    }
}

/// Checks a username-or-email and password (no cap on verifying: the
/// command line, tests). The web uses [`authenticate_in`].
pub async fn authenticate(
    pool: &PgPool,
    login: &str,
    password: &str,
) -> Result<Option<User>, sqlx::Error> {
    match authenticate_with(pool, None, login, password).await {
        Ok(user) => Ok(user),
        // Only a gate refuses work, and there is none here.
        Err(Error::Busy(_)) => Ok(None),
        Err(Error::Db(err)) => Err(err),
        Err(other) => Err(sqlx::Error::Protocol(other.to_string())),
    }
}

/// Checks a username-or-email and password, verifying in `slot` (a place
/// of the instance's [`PasswordGate`], taken by the caller).
pub async fn authenticate_in(
    pool: &PgPool,
    slot: Slot,
    login: &str,
    password: &str,
) -> Result<Option<User>, Error> {
    authenticate_with(pool, Some(slot), login, password).await
}

/// Returns the user only when the password matches and the account is
/// active. An unknown login still costs one hash verification, so response
/// time does not reveal which accounts exist.
async fn authenticate_with(
    pool: &PgPool,
    slot: Option<Slot>,
    login: &str,
    password: &str,
) -> Result<Option<User>, Error> {
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
        Some(row) => (Some(row.user), Some(row.password_hash)),
        None => (None, None),
    };
    let password = password.to_string();
    // The dummy hash is made on first use, inside the gate like any check.
    let check = move || verify_now(&password, hash.as_deref().unwrap_or_else(|| dummy_hash()));
    let ok = match slot {
        Some(slot) => slot.run(check).await?,
        None => tokio::task::spawn_blocking(check).await.unwrap_or(false),
    };
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
pub async fn create_or_promote_admin(pool: &PgPool, new: &NewUser) -> Result<User, Error> {
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
    tokio::task::spawn_blocking(move || hash_now(&password))
        .await
        .map_err(|e| e.to_string())?
}

/// Verifies a password against a PHC hash string off the async threads.
pub async fn verify_password(password: String, hash: String) -> bool {
    tokio::task::spawn_blocking(move || verify_now(&password, &hash))
        .await
        .unwrap_or(false)
}

fn hash_now(password: &str) -> Result<String, String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| e.to_string())
}

fn verify_now(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash)
        .map(|parsed| {
            Argon2::default()
                .verify_password(password.as_bytes(), &parsed)
                .is_ok()
        })
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

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_gate_runs_at_most_its_slots_queues_a_few_and_refuses_the_rest() {
        use std::sync::atomic::AtomicUsize;
        use std::time::Duration;
        let gate = PasswordGate::new(2, 3);
        let running = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..20)
            .map(|_| {
                let (gate, running, peak) = (gate.clone(), running.clone(), peak.clone());
                tokio::spawn(async move {
                    gate.run(move || {
                        let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                        peak.fetch_max(now, Ordering::SeqCst);
                        std::thread::sleep(Duration::from_millis(100));
                        running.fetch_sub(1, Ordering::SeqCst);
                    })
                    .await
                })
            })
            .collect();
        let mut done = 0;
        let mut busy = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(()) => done += 1,
                Err(Busy) => busy += 1,
            }
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2, "at most two at once");
        assert_eq!(done, 5, "two running and three waiting");
        assert_eq!(busy, 15);
        assert_eq!(gate.checks_run(), 5);
        // The queue is empty again: the next ones run.
        assert_eq!(gate.run(|| 7).await, Ok(7));
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
