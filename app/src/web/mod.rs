//! The request-side toolkit every page and server function uses: who is
//! signed in and with which role ([`guard`]), what the request asks for and
//! where a browser goes next ([`request`]), the page's status
//! ([`status`]), a failed form's error ([`form`]), the reader's recent writes ([`recent`]) and page cursors
//! ([`cursor`]). Nothing here knows a page.

#[cfg(feature = "ssr")]
pub mod cursor;
pub mod form;
#[cfg(feature = "ssr")]
pub mod guard;
#[cfg(feature = "ssr")]
pub mod recent;
#[cfg(feature = "ssr")]
pub mod request;
pub mod status;
pub mod url;
pub mod writes;

#[cfg(feature = "ssr")]
pub use cursor::cursor_param;
pub use form::{failed, failure, FormErrors};
#[cfg(feature = "ssr")]
pub use guard::{page_user, require_admin, require_role, require_user, signed_in};
#[cfg(feature = "ssr")]
pub use request::{back_to, category_param, parse_id, referer_path, wants_html};
pub use status::set_status;
pub use url::encode;
pub use writes::{action, page_data, provide_writes, reloading, written, Reloading};
