//! Notifications written by triggers: each event gives exactly one
//! notification to each right person, none to the actor, with a link to
//! the page; the unread counter and the NOTIFY for live badges follow; and
//! the data functions of `/notifications` (pages, mark read) see only the
//! owner's rows.
//!
//! Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test -p data --test notifications`

mod common;

use common::*;
use sqlx::PgPool;
use uuid::Uuid;

/// (kind, link, actor) of the user's notifications, oldest first.
async fn notes(pool: &PgPool, user: Uuid) -> Res<Vec<(String, Option<String>, Option<Uuid>)>> {
    Ok(sqlx::query_as(
        "SELECT kind, link, actor_id FROM notifications WHERE user_id = $1 ORDER BY created_at, id",
    )
    .bind(user)
    .fetch_all(pool)
    .await?)
}

async fn total(pool: &PgPool) -> Res<i64> {
    Ok(sqlx::query_scalar("SELECT count(*) FROM notifications")
        .fetch_one(pool)
        .await?)
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn a_comment_tells_the_owner_once_and_never_the_commenter(pool: PgPool) -> Res {
    let owner = user(&pool, "owner").await?;
    let other = user(&pool, "other").await?;
    let p = project(&pool, owner).await?;
    let c = comment(&pool, p, other, None).await?;
    let n = notes(&pool, owner).await?;
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].0, "comment");
    assert_eq!(
        n[0].1.as_deref(),
        Some(format!("/p/{p}#comment-{c}").as_str())
    );
    assert_eq!(n[0].2, Some(other));
    assert!(notes(&pool, other).await?.is_empty());
    assert_eq!(dash(&pool, owner).await?.unread_notifications, 1);
    // Commenting on your own project tells nobody.
    comment(&pool, p, owner, None).await?;
    assert_eq!(total(&pool).await?, 1);
    assert_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn a_reply_tells_the_parent_author_and_the_owner_once_each(pool: PgPool) -> Res {
    let owner = user(&pool, "owner").await?;
    let a = user(&pool, "alice").await?;
    let b = user(&pool, "bob").await?;
    let p = project(&pool, owner).await?;
    let top = comment(&pool, p, a, None).await?; // owner: comment
    comment(&pool, p, b, Some(top)).await?; // alice: reply, owner: comment
    let kinds = |v: Vec<(String, Option<String>, Option<Uuid>)>| {
        v.into_iter().map(|(k, _, _)| k).collect::<Vec<_>>()
    };
    assert_eq!(kinds(notes(&pool, a).await?), ["reply"]);
    assert_eq!(kinds(notes(&pool, owner).await?), ["comment", "comment"]);
    assert!(notes(&pool, b).await?.is_empty());
    // The owner replying to a comment on their project: one reply to the
    // parent's author, nothing to the owner.
    comment(&pool, p, owner, Some(top)).await?;
    assert_eq!(kinds(notes(&pool, a).await?), ["reply", "reply"]);
    assert_eq!(notes(&pool, owner).await?.len(), 2);
    // The owner's own comment answered: one notification (reply), not two.
    let mine = comment(&pool, p, owner, None).await?;
    comment(&pool, p, a, Some(mine)).await?;
    assert_eq!(
        kinds(notes(&pool, owner).await?),
        ["comment", "comment", "reply"]
    );
    // Replying to yourself on someone else's project: only the owner hears.
    let before = notes(&pool, a).await?.len();
    comment(&pool, p, a, Some(top)).await?;
    assert_eq!(notes(&pool, a).await?.len(), before);
    assert_eq!(notes(&pool, owner).await?.len(), 4);
    assert_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn a_badge_tells_the_owner_but_not_on_a_deleted_project(pool: PgPool) -> Res {
    let owner = user(&pool, "owner").await?;
    let v = user(&pool, "val").await?;
    let p = project(&pool, owner).await?;
    badge(&pool, p, v, "impact").await?;
    let n = notes(&pool, owner).await?;
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].0, "badge");
    assert_eq!(n[0].2, Some(v));
    assert!(notes(&pool, v).await?.is_empty());
    // Own project: nothing.
    badge(&pool, p, owner, "design").await?;
    assert_eq!(total(&pool).await?, 1);
    soft_delete(&pool, p, true).await?;
    badge(&pool, p, v, "security").await?;
    assert_eq!(total(&pool).await?, 1);
    assert_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn intro_requests_and_answers(pool: PgPool) -> Res {
    let investor = user(&pool, "inv").await?;
    let builder = user(&pool, "bld").await?;
    let i = intro(&pool, investor, builder).await?;
    let n = notes(&pool, builder).await?;
    assert_eq!(n.len(), 1);
    assert_eq!(
        (n[0].0.as_str(), n[0].1.as_deref()),
        ("intro_request", Some("/intros"))
    );
    assert!(notes(&pool, investor).await?.is_empty());
    set_intro_status(&pool, i, "approved").await?;
    let n = notes(&pool, investor).await?;
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].0, "intro_answer");
    assert_eq!(n[0].2, Some(builder));
    // Withdrawn by the investor, and other later changes: nobody is told.
    let j = intro(&pool, investor, builder).await?;
    set_intro_status(&pool, j, "withdrawn").await?;
    let k = intro(&pool, investor, builder).await?;
    set_intro_status(&pool, k, "rejected").await?;
    set_intro_status(&pool, k, "approved").await?;
    assert_eq!(notes(&pool, investor).await?.len(), 2);
    assert_eq!(notes(&pool, builder).await?.len(), 3);
    assert_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn forum_comments_tell_the_post_author(pool: PgPool) -> Res {
    let author = user(&pool, "author").await?;
    let other = user(&pool, "other").await?;
    let chain: Uuid = sqlx::query_scalar(
        "INSERT INTO chains (creator_id, name) VALUES ($1, 'A chain') RETURNING id",
    )
    .bind(author)
    .fetch_one(&pool)
    .await?;
    let post: Uuid = sqlx::query_scalar(
        "INSERT INTO chain_posts (chain_id, author_id, title, content) \
         VALUES ($1, $2, 'Hello', 'World') RETURNING id",
    )
    .bind(chain)
    .bind(author)
    .fetch_one(&pool)
    .await?;
    let comment_on = |who: Uuid| {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, Uuid>(
                "INSERT INTO chain_post_comments (post_id, author_id, content) \
                 VALUES ($1, $2, 'nice') RETURNING id",
            )
            .bind(post)
            .bind(who)
            .fetch_one(&pool)
            .await
        }
    };
    let c = comment_on(other).await?;
    comment_on(author).await?;
    let n = notes(&pool, author).await?;
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].0, "forum_reply");
    assert_eq!(
        n[0].1.as_deref(),
        Some(format!("/c/{chain}/posts/{post}#comment-{c}").as_str())
    );
    assert!(notes(&pool, other).await?.is_empty());
    assert_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn investor_decisions_tell_the_applicant(pool: PgPool) -> Res {
    let applicant = user(&pool, "appl").await?;
    let admin = user(&pool, "adm").await?;
    let req: Uuid = sqlx::query_scalar(
        "INSERT INTO investor_requests (user_id, company_name) VALUES ($1, 'Fund') RETURNING id",
    )
    .bind(applicant)
    .fetch_one(&pool)
    .await?;
    sqlx::query("UPDATE investor_requests SET status = 'approved', approved_at = now(), decided_at = now(), reviewed_by = $2 WHERE id = $1")
        .bind(req)
        .bind(admin)
        .execute(&pool)
        .await?;
    let n = notes(&pool, applicant).await?;
    assert_eq!(n.len(), 1);
    assert_eq!(n[0].0, "investor_decision");
    assert_eq!(n[0].2, Some(admin));
    assert!(notes(&pool, admin).await?.is_empty());
    assert_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn long_titles_are_cut_to_a_valid_message(pool: PgPool) -> Res {
    let owner = user(&pool, "owner").await?;
    let other = user(&pool, "other").await?;
    let p: Uuid = sqlx::query_scalar(
        "INSERT INTO projects (user_id, title) VALUES ($1, repeat('x', 120)) RETURNING id",
    )
    .bind(owner)
    .fetch_one(&pool)
    .await?;
    comment(&pool, p, other, None).await?;
    let message: String = sqlx::query_scalar("SELECT message FROM notifications")
        .fetch_one(&pool)
        .await?;
    assert!(message.chars().count() <= 500, "{message}");
    assert!(message.starts_with("other commented on your project"));
    Ok(())
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn unread_changes_are_notified_once_per_user(pool: PgPool) -> Res {
    let mut listener = sqlx::postgres::PgListener::connect_with(&pool).await?;
    listener.listen("unread_counts").await?;
    let owner = user(&pool, "owner").await?;
    let other = user(&pool, "other").await?;
    let p = project(&pool, owner).await?;
    comment(&pool, p, other, None).await?;
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), listener.recv()).await??;
    assert_eq!(n.payload(), owner.to_string());
    message(&pool, owner, other, "hi").await?;
    let n = tokio::time::timeout(std::time::Duration::from_secs(5), listener.recv()).await??;
    assert_eq!(n.payload(), other.to_string());
    // A change that leaves the unread counters alone sends nothing.
    project(&pool, other).await?;
    let quiet = tokio::time::timeout(std::time::Duration::from_millis(300), listener.recv()).await;
    assert!(quiet.is_err(), "no event for a project insert");
    Ok(())
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn pages_and_mark_read_see_only_the_owners_rows(pool: PgPool) -> Res {
    let me = user(&pool, "reader").await?;
    let them = user(&pool, "them").await?;
    let mut mine = Vec::new();
    for _ in 0..(data::notifications::PAGE_SIZE + 3) {
        mine.push(notification(&pool, me).await?);
    }
    let theirs = notification(&pool, them).await?;
    let first = data::notifications::page(&pool, me, None).await?;
    assert_eq!(first.items.len() as i64, data::notifications::PAGE_SIZE);
    let second = data::notifications::page(&pool, me, first.next).await?;
    assert_eq!(second.items.len(), 3);
    assert!(second.next.is_none());
    let mut all: Vec<Uuid> = first
        .items
        .iter()
        .chain(&second.items)
        .map(|n| n.id)
        .collect();
    all.sort();
    all.dedup();
    assert_eq!(all.len(), mine.len());
    assert!(!all.contains(&theirs));
    // Someone else's id is unknown and stays unread.
    assert!(!data::notifications::mark_read(&pool, me, theirs).await?);
    assert_eq!(dash(&pool, them).await?.unread_notifications, 1);
    assert!(data::notifications::mark_read(&pool, me, mine[0]).await?);
    assert!(data::notifications::mark_read(&pool, me, mine[0]).await?);
    assert_eq!(
        dash(&pool, me).await?.unread_notifications as usize,
        mine.len() - 1
    );
    assert_eq!(
        data::notifications::mark_all_read(&pool, me).await? as usize,
        mine.len() - 1
    );
    assert_eq!(dash(&pool, me).await?.unread_notifications, 0);
    assert_eq!(dash(&pool, them).await?.unread_notifications, 1);
    assert_all(&pool).await
}

#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn awarding_through_the_data_layer_notifies_once(pool: PgPool) -> Res {
    let owner = user(&pool, "owner").await?;
    let v = user(&pool, "val").await?;
    exec(
        &pool,
        &format!("UPDATE users SET role = 'validator' WHERE id = '{v}'"),
    )
    .await?;
    let p = project(&pool, owner).await?;
    data::badges::award(&pool, v, p, "impact", "").await?;
    let n = notes(&pool, owner).await?;
    assert_eq!(n.len(), 1, "one notification, not one per writer");
    assert_eq!(n[0].1.as_deref(), Some(format!("/p/{p}").as_str()));
    assert_all(&pool).await
}
