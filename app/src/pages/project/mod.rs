//! `/p/<id>`: one project ([`page`]) and the writes made from it: comments
//! ([`comments`]), validation badges ([`badges`]) and reports to the admins
//! ([`reports`]). Upvotes are shared with the feed (`components`).

pub mod badges;
pub mod comments;
pub mod page;
pub mod reports;

pub use page::ProjectPage;
