//! The HTTP status of the page being rendered.

#[cfg(feature = "ssr")]
use leptos::prelude::use_context;

/// Sets the HTTP status of the page being rendered (server side only).
pub fn set_status(status: u16) {
    #[cfg(feature = "ssr")]
    if let (Some(res), Ok(code)) = (
        use_context::<leptos_axum::ResponseOptions>(),
        http::StatusCode::from_u16(status),
    ) {
        res.set_status(code);
    }
    #[cfg(not(feature = "ssr"))]
    let _ = status;
}
