//! `/inbox/<username>?before=<cursor>`: the signed-in user's conversation
//! with one other user, and the send form.
//!
//! The URL names only the other participant; the viewer is always the
//! signed-in user, so nobody can address a conversation they are not part
//! of (a third user opening `/inbox/<a>` sees their own conversation with
//! `a`). No route or server function takes a message id.
//!
//! Opening the page changes nothing: a GET must be safe to follow, and a
//! link or an `<img>` on another site would otherwise mark the viewer's
//! messages read. The page shows the viewer's unread incoming messages as
//! new and offers a "Mark as read" form (a post, so cross-site attempts
//! are refused like every other action); sending a reply marks them read
//! too. Either way only the viewer's own incoming messages from this user
//! are touched, and the unread counters follow by trigger in the same
//! transaction.
//!
//! Who may message whom: any signed-in active user may message any other
//! active user (at most `data::messages::SEND_PER_MINUTE` messages a
//! minute). Sending to yourself, to an unknown or deactivated user, or an
//! empty or over-long text is refused with a message at the field (4xx)
//! and nothing is written.

use crate::web::{action, page_data};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::components::{loaded, FormError, OnError, TextArea};
use crate::error::AppError;
use crate::web::{failed, failure};

/// Form fields.
pub const TO: &str = "to";
pub const MESSAGE: &str = "message";

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MessageView {
    pub id: Uuid,
    pub mine: bool,
    pub text: String,
    pub read: bool,
    pub when: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConversationView {
    pub me: String,
    pub other: String,
    pub other_active: bool,
    pub messages: Vec<MessageView>,
    /// The viewer's unread messages from the other user, on any page.
    pub unread: i32,
    pub older: Option<String>,
    pub first_page: bool,
}

#[server(endpoint = "conversation")]
pub async fn get_conversation(
    username: String,
    before: Option<String>,
) -> Result<ConversationView, AppError> {
    use data::messages::{self, PAGE_SIZE};

    let user = crate::web::require_user()?;
    let before = crate::web::cursor_param(data::cursor::KeyKind::Time, before.as_deref())?;
    let state = crate::state::state()?;
    let pool = &state.pool;
    let other = messages::user_by_username(pool, &username)
        .await?
        .ok_or(AppError::NotFound)?;
    if other.id == user.id {
        return Err(AppError::BadRequest(
            "This is your own name: open a conversation with someone else.".into(),
        ));
    }
    // Only reads: marking read is `mark_conversation_read`, a post.
    let page = messages::conversation(pool, user.id, other.id, before, PAGE_SIZE).await?;
    let unread = messages::unread_from(pool, user.id, other.id).await?;
    Ok(ConversationView {
        me: user.username,
        other: other.username,
        other_active: other.is_active,
        messages: page
            .messages
            .into_iter()
            .map(|m| MessageView {
                id: m.id,
                mine: m.sender_id == user.id,
                text: m.message,
                read: m.is_read,
                when: crate::format::when(m.created_at),
            })
            .collect(),
        unread,
        older: page.older.map(|c| c.encode()),
        first_page: before.is_none(),
    })
}

/// Marks the signed-in user's unread messages from `username` read (only
/// their own incoming ones); a browser goes back to the page it was on.
#[server(endpoint = "conversation_read")]
pub async fn mark_conversation_read(username: String) -> Result<(), AppError> {
    use crate::web::{back_to, signed_in};
    use data::messages;

    let user = signed_in()?;
    let state = crate::state::state()?;
    let pool = &state.pool;
    let other = messages::user_by_username(pool, username.trim())
        .await?
        .ok_or(AppError::NotFound)?;
    if other.id == user.id {
        return Err(AppError::BadRequest(
            "This is your own name: there is no conversation with yourself.".into(),
        ));
    }
    messages::mark_read(pool, user.id, other.id).await?;
    back_to("messages", &format!("/inbox/{}", other.username));
    Ok(())
}

/// Sends a message (which also marks the recipient's messages to the
/// sender read: a reply means they were read); a browser goes to the
/// conversation's newest page.
#[server(endpoint = "send_message")]
pub async fn send_message(to: String, message: String) -> Result<(), AppError> {
    use crate::error::Invalid;
    use crate::web::{signed_in, wants_html};
    use data::messages::{self, MESSAGE_MAX};

    let user = signed_in()?;
    let echo: String = message.chars().take(MESSAGE_MAX + 500).collect();
    let field =
        |msg: String| AppError::Invalid(Invalid::field(MESSAGE, msg).with_value(MESSAGE, &echo));
    let state = crate::state::state()?;
    let pool = &state.pool;
    let recipient = messages::user_by_username(pool, to.trim())
        .await?
        .filter(|u| u.is_active)
        .ok_or_else(|| field("There is no active user with that name to send to.".into()))?;
    let id = match messages::send(pool, user.id, recipient.id, &message).await {
        Ok(id) => id,
        Err(data::Error::Invalid(mut errors)) => return Err(field(errors.remove(0).1)),
        Err(data::Error::NotFound) => {
            return Err(field(
                "There is no active user with that name to send to.".into(),
            ))
        }
        Err(err) => return Err(err.into()),
    };
    if wants_html() {
        leptos_axum::redirect(&format!("/inbox/{}#m-{id}", recipient.username));
    }
    Ok(())
}

#[component]
pub fn ConversationPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let send = action::<SendMessage>();
    let read = action::<MarkConversationRead>();
    let error = move || failure([failed(send), failed(read)]);
    let conversation = page_data(
        move || (params.get().get("username"), query.get().get("before")),
        |(username, before)| get_conversation(username.unwrap_or_default(), before),
    );
    loaded(
        conversation,
        OnError::ErrorPage,
        move |c| view! { <ConversationBody c send read error=error() /> },
    )
}

#[component]
fn ConversationBody(
    c: ConversationView,
    send: ServerAction<SendMessage>,
    read: ServerAction<MarkConversationRead>,
    error: Option<AppError>,
) -> impl IntoView {
    let base = format!("/inbox/{}", c.other);
    let field_error = error.as_ref().and_then(|e| e.field_error(MESSAGE));
    let field_value = error.as_ref().and_then(|e| e.field_value(MESSAGE));
    let general = error.filter(|e| !matches!(e, AppError::Invalid(_)));
    let empty = c.messages.is_empty();
    let me = c.me.clone();
    let other = c.other.clone();
    let items = c
        .messages
        .into_iter()
        .map(|m| {
            let author = if m.mine { me.clone() } else { other.clone() };
            let new = !m.mine && !m.read;
            let class = match (m.mine, new) {
                (true, _) => "message mine",
                (false, true) => "message theirs unread",
                (false, false) => "message theirs",
            };
            let seen = (m.mine && m.read).then(|| view! { " · " <span class="seen">"Seen"</span> });
            let new = new.then(|| {
                view! { <strong class="unread-label">"New"<span class="visually-hidden">": "</span></strong> " " }
            });
            view! {
                <li class=class id=format!("m-{}", m.id)>
                    <p class="message-meta">
                        {new}
                        <span class="message-author">{author}</span>
                        " · " <time>{m.when}</time>
                        {seen}
                    </p>
                    <p class="message-text">{m.text}</p>
                </li>
            }
        })
        .collect_view();
    let older = c.older.map(|cursor| {
        view! { <a class="button" rel="prev" href=format!("{base}?before={cursor}")>"Older messages"</a> }
    });
    let newest = (!c.first_page)
        .then(|| view! { <a class="button" href=format!("{base}#send")>"Newest messages"</a> });
    let mark_read = (c.unread > 0).then(|| {
        let n = c.unread;
        let other = c.other.clone();
        view! {
            <div class="mark-read">
                <p class="aside">
                    {n} {if n == 1 { " new message from " } else { " new messages from " }} {other.clone()} "."
                </p>
                <ActionForm action=read attr:class="inline-form">
                    <input type="hidden" name="username" value=other />
                    <button type="submit" class="button small">"Mark as read"</button>
                </ActionForm>
            </div>
        }
    });
    let to = c.other.clone();
    let to_label = format!("Message to {}", c.other);
    let title = format!("Conversation with {}", c.other);
    let profile_href = format!("/u/{}", c.other);
    let form = if c.other_active {
        view! {
            <ActionForm action=send attr:class="stack send-form" attr:id="send" attr:novalidate=true>
                <input type="hidden" name=TO value=to />
                <TextArea
                    id="message".to_string()
                    name=MESSAGE
                    label=to_label
                    hint="Up to 5,000 characters."
                    error=field_error
                    value=field_value
                    rows=4
                />
                <button type="submit" class="button primary">"Send"</button>
            </ActionForm>
        }
        .into_any()
    } else {
        view! { <p class="aside">"This account is deactivated: it cannot receive messages."</p> }
            .into_any()
    };
    view! {
        <Title text=title />
        <article class="conversation">
            <p class="crumbs"><a href="/inbox">"Inbox"</a></p>
            <h1>"Conversation with " <a href=profile_href>{other.clone()}</a></h1>
            <FormError error=Signal::derive(move || general.clone()) />
            <nav class="pager" aria-label="Earlier messages">{older}</nav>
            {empty.then(|| view! { <p class="empty">"No messages yet. Say hello."</p> })}
            {mark_read}
            <ol class="messages" id="messages" aria-label="Messages, oldest first">{items}</ol>
            <nav class="pager" aria-label="Later messages">{newest}</nav>
            {form}
        </article>
    }
}
