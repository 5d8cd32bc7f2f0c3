//! Chains: `/chains` (discovery and the new-chain form, [`list`]), `/c/<id>`
//! (one chain: header, forum, projects; [`chain`]), `/c/<id>/posts/<id>`
//! (one post and its comments, [`post`]) and every write made from them
//! ([`actions`]).

pub mod actions;
pub mod chain;
pub mod list;
pub mod post;

pub use chain::ChainPage;
pub use list::ChainsPage;
pub use post::PostPage;
