//! The data layer: every SQL statement and Redis command of Proofwork lives
//! here, so view code never touches a connection and the derived-data
//! machinery can be tested without the UI.

pub mod db;
pub mod reconcile;
pub mod refresher;
pub mod seed;
pub mod users;

pub use fred;
pub use sqlx;
pub use sqlx::PgPool;
