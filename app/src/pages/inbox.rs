//! `/inbox?after=<cursor>`: the signed-in user's conversations, latest
//! first, from `message_conversations_denorm` (one range scan on
//! `idx_conversations_user`; trigger-maintained, so exact at once): the
//! other user, the last message (cut), its time and the unread count.

use crate::web::page_data;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;
use serde::{Deserialize, Serialize};

use crate::components::{loaded, OnError, Pager};
use crate::error::AppError;

/// How much of the last message a row shows.
pub const PREVIEW_CHARS: usize = 120;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationRow {
    pub other: String,
    pub last: String,
    pub last_mine: bool,
    pub when: String,
    pub unread: i32,
    pub total: i32,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InboxView {
    pub rows: Vec<ConversationRow>,
    pub next: Option<String>,
    pub first_page: bool,
}

#[server(endpoint = "inbox")]
pub async fn get_inbox(after: Option<String>) -> Result<InboxView, AppError> {
    use data::messages::{self, INBOX_PAGE_SIZE};

    let user = crate::web::require_user()?;
    let after = crate::web::cursor_param(data::cursor::KeyKind::Time, after.as_deref())?;
    let state = crate::state::state()?;
    let page = messages::inbox(&state.pool, user.id, after, INBOX_PAGE_SIZE).await?;
    Ok(InboxView {
        rows: page
            .conversations
            .into_iter()
            .map(|c| ConversationRow {
                other: c.other_username,
                last: crate::format::excerpt(&c.last_message_text, PREVIEW_CHARS),
                last_mine: c.last_sender_id == user.id,
                when: crate::format::when(c.last_message_time),
                unread: c.unread_count,
                total: c.total_messages,
            })
            .collect(),
        next: page.next.map(|c| c.encode()),
        first_page: after.is_none(),
    })
}

#[component]
pub fn InboxPage() -> impl IntoView {
    let query = use_query_map();
    let inbox = page_data(move || query.get().get("after"), get_inbox);
    loaded(inbox, OnError::ErrorPage, |i| view! { <InboxBody i /> })
}

#[component]
fn InboxBody(i: InboxView) -> impl IntoView {
    let empty = i.rows.is_empty();
    let rows = i
        .rows
        .into_iter()
        .map(|r| {
            let href = format!("/inbox/{}", r.other);
            let unread_class = if r.unread > 0 { "conversation-row unread" } else { "conversation-row" };
            view! {
                <li class=unread_class id=format!("conv-{}", r.other)>
                    <p class="conversation-head">
                        <a class="conversation-name" href=href>{r.other.clone()}</a>
                        " " <span class="unread-count">{r.unread}</span>
                        <span class="muted">" unread · " {r.total} {if r.total == 1 { " message" } else { " messages" }}</span>
                    </p>
                    <p class="conversation-last">
                        {r.last_mine.then_some("You: ")}{r.last}
                    </p>
                    <p class="card-meta"><time>{r.when}</time></p>
                </li>
            }
        })
        .collect_view();
    let next = i.next.map(|cursor| format!("/inbox?after={cursor}"));
    let first = (!i.first_page).then(|| "/inbox".to_string());
    view! {
        <Title text="Inbox" />
        <section class="inbox" aria-labelledby="inbox-heading">
            <h1 id="inbox-heading">"Inbox"</h1>
            <p class="aside">"To start a conversation, open someone's profile and choose Message."</p>
            {empty.then(|| view! { <p class="empty">"No conversations yet."</p> })}
            <ul class="conversations">{rows}</ul>
            <Pager label="Conversation pages" first first_text="Latest conversations" next next_text="Older conversations" />
        </section>
    }
}
