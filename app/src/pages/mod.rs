//! One module per page; each owns its view and its server functions.

pub mod home;
pub mod login;
pub mod signup;
