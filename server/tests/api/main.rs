//! HTTP integration tests: the real server on port 0, a fresh database per
//! test on the PostgreSQL named by DATABASE_URL, real HTTP with reqwest.

mod admin;
mod atom;
mod auth;
mod authorization;
mod badges;
mod cache;
mod chains;
mod dashboard;
mod feed;
mod forum;
mod hardening;
mod health;
mod helpers;
mod hostile;
mod inbox;
mod injection;
mod intros;
mod investor_apply;
mod investors;
mod leaderboard;
mod limits;
mod login_next;
mod my_projects;
mod notifications;
mod profile;
mod project;
mod refresh;
mod reports;
mod search;
mod shell;
mod stall;
mod unread;
mod validator;
