//! `/notifications`: the signed-in user's notifications, newest first in
//! keyset pages, unread ones highlighted; mark one or all read (form
//! posts). Also the navigation's unread counts ([`get_unread`]).
//!
//! Only your own: marking someone else's notification read is a 404 and
//! changes nothing (the data layer scopes every statement to the owner).

use crate::web::{action, page_data};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::components::{loaded, FormError, OnError, Pager};
use crate::error::AppError;
use crate::web::{failed, failure};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationView {
    pub id: Uuid,
    pub kind: String,
    pub message: String,
    pub link: Option<String>,
    pub is_read: bool,
    pub created: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NotificationsView {
    pub items: Vec<NotificationView>,
    pub next: Option<String>,
    pub first_page: bool,
    pub unread: i32,
}

/// Unread messages and notifications of the signed-in user (`None` when
/// signed out): one primary-key read of `user_dashboard_stats`.
#[server(endpoint = "unread")]
pub async fn get_unread() -> Result<Option<(i32, i32)>, AppError> {
    let Some(user) = crate::auth::session_user() else {
        return Ok(None);
    };
    let state = crate::state::state()?;
    let u = data::dashboard::unread(&state.pool, user.id).await?;
    Ok(Some((u.unread_messages, u.unread_notifications)))
}

#[server(endpoint = "notifications")]
pub async fn get_notifications(after: Option<String>) -> Result<NotificationsView, AppError> {
    let user = crate::web::page_user("/notifications")?;
    let after = crate::web::cursor_param(data::cursor::KeyKind::Time, after.as_deref())?;
    let state = crate::state::state()?;
    let page = data::notifications::page(&state.pool, user.id, after).await?;
    let unread = data::dashboard::unread(&state.pool, user.id)
        .await?
        .unread_notifications;
    Ok(NotificationsView {
        items: page
            .items
            .into_iter()
            .map(|n| NotificationView {
                id: n.id,
                kind: n.kind,
                message: n.message,
                // Only links on this site.
                link: n.link.filter(|l| {
                    l.starts_with('/') && !l.starts_with("//") && !l.starts_with("/\\")
                }),
                is_read: n.is_read,
                created: crate::format::date(n.created_at),
            })
            .collect(),
        next: page.next.map(|c| c.encode()),
        first_page: after.is_none(),
        unread,
    })
}

#[server(endpoint = "notification_read")]
pub async fn mark_notification_read(id: String) -> Result<(), AppError> {
    use crate::web::{back_to, parse_id, signed_in};
    let user = signed_in()?;
    let id = parse_id(&id)?;
    let state = crate::state::state()?;
    if !data::notifications::mark_read(&state.pool, user.id, id).await? {
        return Err(AppError::NotFound);
    }
    back_to(&format!("n-{id}"), "/notifications");
    Ok(())
}

#[server(endpoint = "notifications_read_all")]
pub async fn mark_all_notifications_read() -> Result<(), AppError> {
    use crate::web::{back_to, signed_in};
    let user = signed_in()?;
    let state = crate::state::state()?;
    data::notifications::mark_all_read(&state.pool, user.id).await?;
    back_to("main", "/notifications");
    Ok(())
}

pub fn kind_label(kind: &str) -> &'static str {
    match kind {
        "comment" => "Comment",
        "reply" => "Reply",
        "badge" => "Badge",
        "intro_request" => "Intro request",
        "intro_answer" => "Intro answer",
        "forum_reply" => "Forum",
        "investor_decision" => "Investor application",
        _ => "Notice",
    }
}

#[component]
pub fn NotificationsPage() -> impl IntoView {
    let query = use_query_map();
    let read = action::<MarkNotificationRead>();
    let read_all = action::<MarkAllNotificationsRead>();
    let error = move || failure([failed(read), failed(read_all)]);
    let list = page_data(move || query.get().get("after"), get_notifications);
    loaded(list, OnError::LogInFirst("/notifications"), move |n| {
        view! { <NotificationsBody n read read_all error=error() /> }
    })
}

#[component]
fn NotificationsBody(
    n: NotificationsView,
    read: ServerAction<MarkNotificationRead>,
    read_all: ServerAction<MarkAllNotificationsRead>,
    error: Option<AppError>,
) -> impl IntoView {
    let empty = n.items.is_empty();
    let items = n
        .items
        .into_iter()
        .map(|item| {
            let id = item.id;
            let message = match item.link.clone() {
                Some(link) => view! { <a href=link>{item.message.clone()}</a> }.into_any(),
                None => view! { <span>{item.message.clone()}</span> }.into_any(),
            };
            let mark = (!item.is_read).then(|| {
                view! {
                    <ActionForm action=read attr:class="inline-form">
                        <input type="hidden" name="id" value=id.to_string() />
                        <button type="submit" class="link-button" aria-label=format!("Mark read: {}", item.message)>
                            "Mark read"
                        </button>
                    </ActionForm>
                }
            });
            view! {
                <li class="notification" class:unread=!item.is_read id=format!("n-{id}")>
                    <p class="notification-message">
                        {(!item.is_read).then(|| view! { <strong class="unread-label">"New"<span class="visually-hidden">": "</span></strong> " " })}
                        {message}
                    </p>
                    <p class="card-meta">
                        <span class="notification-kind">{kind_label(&item.kind)}</span>
                        " · " <time>{item.created.clone()}</time>
                    </p>
                    {mark}
                </li>
            }
        })
        .collect_view();
    let next = n
        .next
        .clone()
        .map(|cursor| format!("/notifications?after={cursor}"));
    let first = (!n.first_page).then(|| "/notifications".to_string());
    let unread = n.unread;
    view! {
        <Title text="Notifications" />
        <section class="notifications">
            <h1>"Notifications"</h1>
            <FormError error=Signal::derive(move || error.clone()) />
            <p class="aside">
                <span class="notifications-unread">{unread}</span>
                {if unread == 1 { " unread notification" } else { " unread notifications" }}
            </p>
            {(unread > 0).then(|| view! {
                <ActionForm action=read_all attr:class="inline-form">
                    <button type="submit" class="button small">"Mark all as read"</button>
                </ActionForm>
            })}
            {empty.then(|| view! { <p class="empty">"Nothing yet. Comments, badges and intro requests will show up here."</p> })}
            <ul class="notification-list">{items}</ul>
            <Pager label="Notification pages" first first_text="Newest" next next_text="Older notifications" />
        </section>
    }
}
