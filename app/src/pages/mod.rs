//! One module per page; each owns its view and its server functions.
//! `actions` holds the writes shared by the feed and the project page.

pub mod actions;
pub mod admin;
pub mod badge_actions;
pub mod chain;
pub mod chain_actions;
pub mod chains;
pub mod conversation;
pub mod dashboard;
pub mod feed;
pub mod home;
pub mod inbox;
pub mod intros;
pub mod investor_apply;
pub mod investor_dashboard;
pub mod investors;
pub mod leaderboard;
pub mod login;
pub mod my_projects;
pub mod notifications;
pub mod post;
pub mod profile;
pub mod project;
pub mod report_actions;
pub mod search;
pub mod signup;
pub mod validator_dashboard;
