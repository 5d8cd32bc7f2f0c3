//! The data layer: every SQL statement and Redis command of Proofwork lives
//! here, so view code never touches a connection and the derived-data
//! machinery can be tested without the UI.

pub mod badges;
pub mod chains;
pub mod comments;
pub mod db;
pub mod feed;
pub mod feeds;
pub mod forum;
pub mod investors;
pub mod leaderboard;
pub mod profiles;
pub mod projects;
pub mod reconcile;
pub mod refresher;
pub mod reports;
pub mod search;
pub mod seed;
pub mod users;
pub mod votes;

pub use fred;
pub use sqlx;
pub use sqlx::PgPool;
