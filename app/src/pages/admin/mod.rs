//! The admin pages, for role `admin` only: `/admin` (site totals, pending
//! investor applications, the reports queue; [`overview`]) and
//! `/admin/health` (derived-data health: every materialized view, a chart
//! of refresh durations, the last reconciliation report and "Reconcile
//! now"; [`health`]).
//!
//! Signed out, a page sends the browser to log in; anyone else who is not
//! an admin gets a 403 page. Every server function checks the role itself
//! (`web::require_admin`: a forged post from a non-admin is 403 and writes
//! nothing).

pub mod health;
pub mod overview;

use leptos::prelude::*;

pub use health::AdminHealthPage;
pub use overview::AdminPage;

/// The admin pages' navigation.
#[component]
pub(super) fn AdminNav(current: &'static str) -> impl IntoView {
    let link = move |href: &'static str, text: &'static str| {
        view! {
            <li><a href=href aria-current=(current == href).then_some("page")>{text}</a></li>
        }
    };
    view! {
        <nav class="admin-nav" aria-label="Admin">
            <ul>
                {link("/admin", "Overview and queues")}
                {link("/admin/health", "Derived-data health")}
            </ul>
        </nav>
    }
}
