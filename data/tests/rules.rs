//! Rules defined once and used from both sides of the data layer: the
//! badge types (a Rust list the database's CHECK must match), who may see
//! a chain (`chain_visible_to`), and the forum trending score
//! (`forum_trending_score`, read by the view and by the live reads).
//!
//! Run: `DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres cargo test -p data --test rules`

mod common;

use common::*;
use sqlx::PgPool;
use uuid::Uuid;

/// The list the forms offer, the seed draws from and the validator
/// dashboard reads is exactly what the CHECK constraint allows, in order.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn badge_types_match_the_check_constraint(pool: PgPool) -> Res {
    let def: String = sqlx::query_scalar(
        "SELECT pg_get_constraintdef(oid) FROM pg_constraint
          WHERE conname = 'validation_badges_type_check'",
    )
    .fetch_one(&pool)
    .await?;
    // CHECK ((badge_type = ANY (ARRAY['code_quality'::text, ...])))
    let allowed: Vec<&str> = def.split('\'').skip(1).step_by(2).collect();
    assert_eq!(allowed, data::badges::BADGE_TYPES, "{def}");
    Ok(())
}

async fn chain(pool: &PgPool, creator: Uuid, name: &str, public: bool) -> Res<Uuid> {
    Ok(sqlx::query_scalar(
        "INSERT INTO chains (creator_id, name, description, is_public)
         VALUES ($1, $2, 'about', $3) RETURNING id",
    )
    .bind(creator)
    .bind(name)
    .bind(public)
    .fetch_one(pool)
    .await?)
}

/// Public chains are visible to everyone, private ones to their creator
/// and followers only, inactive ones to no one; the read check
/// (`visible_to`) and the write checks (following a chain) agree.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn chain_visibility_is_one_rule(pool: PgPool) -> Res {
    let creator = user(&pool, "creator").await?;
    let follower = user(&pool, "follower").await?;
    let stranger = user(&pool, "stranger").await?;
    let public = chain(&pool, creator, "Open chain", true).await?;
    let private = chain(&pool, creator, "Closed chain", false).await?;
    sqlx::query("INSERT INTO chain_followers (chain_id, user_id) VALUES ($1, $2)")
        .bind(private)
        .bind(follower)
        .execute(&pool)
        .await?;

    let sees = |chain_id, viewer| data::chains::visible_to(&pool, chain_id, viewer);
    assert_eq!(sees(public, None).await?, Some(true));
    assert_eq!(sees(public, Some(stranger)).await?, Some(true));
    assert_eq!(sees(private, None).await?, Some(false));
    assert_eq!(sees(private, Some(stranger)).await?, Some(false));
    assert_eq!(sees(private, Some(creator)).await?, Some(true));
    assert_eq!(sees(private, Some(follower)).await?, Some(true));

    // A write needs the same visibility: a stranger cannot follow the
    // private chain (it does not exist for them), anyone can follow the
    // public one.
    assert!(data::chains::follow(&pool, stranger, private)
        .await
        .is_err());
    assert!(data::chains::follow(&pool, stranger, public).await?);

    exec(
        &pool,
        &format!("UPDATE chains SET is_active = false WHERE id = '{public}'"),
    )
    .await?;
    assert_eq!(sees(public, Some(creator)).await?, None);
    let hidden: bool =
        sqlx::query_scalar("SELECT chain_visible_to(c, $2) FROM chains c WHERE id = $1")
            .bind(public)
            .bind(creator)
            .fetch_one(&pool)
            .await?;
    assert!(!hidden, "an inactive chain is visible to no one");
    Ok(())
}

/// A post read live (before the view's refresh) scores what the view gives
/// it after the refresh, and the score follows the formula.
#[sqlx::test(migrator = "data::db::FRESH_SCHEMA")]
async fn forum_trending_score_is_the_same_live_and_in_the_view(pool: PgPool) -> Res {
    let author = user(&pool, "author").await?;
    let voters = users(&pool, 3).await?;
    let chain_id = chain(&pool, author, "Trending chain", true).await?;
    let post: Uuid = sqlx::query_scalar(
        "INSERT INTO chain_posts (chain_id, author_id, title, content, post_type, created_at)
         VALUES ($1, $2, 'A post', 'Body', 'discussion', timestamptz '2026-01-02 00:00:00+00')
         RETURNING id",
    )
    .bind(chain_id)
    .bind(author)
    .fetch_one(&pool)
    .await?;
    for (i, voter) in voters.iter().enumerate() {
        sqlx::query(
            "INSERT INTO chain_post_votes (post_id, user_id, is_upvote) VALUES ($1, $2, $3)",
        )
        .bind(post)
        .bind(voter)
        .bind(i < 2)
        .execute(&pool)
        .await?;
    }
    sqlx::query(
        "INSERT INTO chain_post_comments (post_id, author_id, content) VALUES ($1, $2, 'Nice')",
    )
    .bind(post)
    .bind(voters[0])
    .execute(&pool)
    .await?;

    let live = data::forum::live_posts(&pool, chain_id, &[post]).await?;
    let live_score = live[0].post.trending_score;
    // 2 upvotes * 1.5 + 1 comment * 2 + 24 hours after the epoch * 0.1
    assert!((live_score - 7.4).abs() < 1e-9, "{live_score}");

    data::refresher::refresh_now(
        &pool,
        "mv_chain_posts",
        data::refresher::TriggeredBy::Manual,
    )
    .await?;
    let in_view: f64 =
        sqlx::query_scalar("SELECT trending_score FROM mv_chain_posts WHERE id = $1")
            .bind(post)
            .fetch_one(&pool)
            .await?;
    assert_eq!(in_view, live_score);
    Ok(())
}
