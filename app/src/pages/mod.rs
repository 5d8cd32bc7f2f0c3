//! One module (or folder) per feature; each owns its views and its server
//! functions, and imports only the shared layers (`web`, `format`,
//! `components`, `error`, `state`, `auth`) and `data`, never another
//! feature (`app/tests/page_imports.rs` checks).

pub mod admin;
pub mod chains;
pub mod conversation;
pub mod dashboard;
pub mod feed;
pub mod inbox;
pub mod intros;
pub mod investor_apply;
pub mod investor_dashboard;
pub mod investors;
pub mod leaderboard;
pub mod login;
pub mod my_projects;
pub mod notifications;
pub mod profile;
pub mod project;
pub mod search;
pub mod signup;
pub mod validator_dashboard;
