//! The data layer: every SQL statement and Redis command of Proofwork lives
//! here, so view code never touches a connection and the derived-data
//! machinery can be tested without the UI.

pub mod admin;
pub mod badges;
pub mod bus;
pub mod cache;
pub mod chain_page;
pub mod chains;
pub mod comments;
pub mod cursor;
pub mod dashboard;
pub mod db;
pub mod error;
pub mod feed;
pub mod feeds;
pub mod forum;
pub mod health;
pub mod intros;
pub mod investor_applications;
pub mod investors;
pub mod leaderboard;
pub mod limits;
pub mod messages;
pub mod my_projects;
pub mod notifications;
pub mod overlays;
pub mod profiles;
pub mod projects;
pub mod reconcile;
pub mod refresher;
pub mod reports;
pub mod search;
pub mod seed;
pub mod users;
pub mod validator_dashboard;
pub mod votes;

pub use error::Error;
pub use fred;
pub use sqlx;
pub use sqlx::PgPool;
