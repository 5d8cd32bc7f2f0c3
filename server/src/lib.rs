//! The Proofwork server: configuration, start-up, the router and the CLI
//! commands. `main.rs` only parses arguments.

pub mod chain_feed;
pub mod cli;
pub mod client;
pub mod config;
pub mod events;
pub mod feeds;
pub mod health;
pub mod middleware;
pub mod startup;
pub mod telemetry;
pub mod timeout;
