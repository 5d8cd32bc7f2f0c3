-- mv_chain_posts: the chain forum (a chain page's posts, pinned first then
-- trending, or newest), one row per post not deleted
-- (chain_posts.is_deleted = false) with its author's public fields, vote
-- and comment counts and trending score.
-- Key: the post id. Staleness target: 2 s. No timer: no column reads the
-- clock.

-- The definition. Counts are per-post LATERAL subqueries on the votes'
-- primary key (post_id, user_id) and the comments' post_id index, so
-- filtering on cp.id costs only those posts' rows.
--
-- trending_score is forum_trending_score (migration
-- 20261215000100_forum_trending_score.sql): 1.5 per upvote plus 2 per
-- comment plus 0.1 per hour of creation time after a fixed epoch
-- (2026-01-01 UTC). The live forum rows (data::forum::live_posts) compute
-- it with the same function, so both orders agree, and a row's score only
-- changes when its inputs do.
DROP VIEW IF EXISTS mv_chain_posts_def;
CREATE VIEW mv_chain_posts_def AS
SELECT
    cp.id,
    cp.chain_id,
    cp.title,
    cp.content,
    cp.post_type,
    cp.created_at,
    cp.updated_at,
    cp.is_pinned,
    cp.author_id,
    u.username AS author_username,
    u.profile_image AS author_profile_image,
    u.is_verified AS author_is_verified,
    v.upvotes AS upvote_count,
    v.downvotes AS downvote_count,
    cc.comments AS comment_count,
    forum_trending_score(v.upvotes, cc.comments, cp.created_at) AS trending_score
FROM chain_posts cp
JOIN users u ON u.id = cp.author_id
CROSS JOIN LATERAL (
    SELECT count(*) FILTER (WHERE is_upvote) AS upvotes,
           count(*) FILTER (WHERE NOT is_upvote) AS downvotes
    FROM chain_post_votes WHERE post_id = cp.id
) v
CROSS JOIN LATERAL (
    SELECT count(*) AS comments FROM chain_post_comments WHERE post_id = cp.id
) cc
WHERE NOT cp.is_deleted;

SELECT derived_register('mv_chain_posts', 'id', ARRAY['id'], interval '2 seconds');

CREATE UNIQUE INDEX IF NOT EXISTS mv_chain_posts_id ON mv_chain_posts (id);
CREATE INDEX IF NOT EXISTS mv_chain_posts_chain ON mv_chain_posts (chain_id, is_pinned DESC, trending_score DESC, id DESC);
CREATE INDEX IF NOT EXISTS mv_chain_posts_created ON mv_chain_posts (chain_id, created_at DESC, id DESC);

-- Which writes change which keys.
-- chain_posts: the row itself.
CREATE OR REPLACE FUNCTION mv_chain_posts_mark_post() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mv_chain_posts_dirty (key)
    VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
    RETURN NULL;
END;
$$;

-- chain_post_votes, chain_post_comments: the post they belong to (both
-- posts if an update moves the row).
CREATE OR REPLACE FUNCTION mv_chain_posts_mark_child() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO mv_chain_posts_dirty (key) VALUES (NEW.post_id);
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.post_id IS DISTINCT FROM NEW.post_id) THEN
        INSERT INTO mv_chain_posts_dirty (key) VALUES (OLD.post_id);
    END IF;
    RETURN NULL;
END;
$$;

-- users: an author's public fields appear on every one of their posts.
CREATE OR REPLACE FUNCTION mv_chain_posts_mark_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mv_chain_posts_dirty (key)
    SELECT id FROM chain_posts WHERE author_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER mv_chain_posts_mark
    AFTER INSERT OR DELETE ON chain_posts
    FOR EACH ROW EXECUTE FUNCTION mv_chain_posts_mark_post();
CREATE OR REPLACE TRIGGER mv_chain_posts_mark_update
    AFTER UPDATE ON chain_posts
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
    EXECUTE FUNCTION mv_chain_posts_mark_post();
-- A vote's created_at is not read: only a vote moved or flipped counts.
CREATE OR REPLACE TRIGGER mv_chain_posts_mark
    AFTER INSERT OR DELETE ON chain_post_votes
    FOR EACH ROW EXECUTE FUNCTION mv_chain_posts_mark_child();
CREATE OR REPLACE TRIGGER mv_chain_posts_mark_update
    AFTER UPDATE OF post_id, is_upvote ON chain_post_votes
    FOR EACH ROW
    WHEN (OLD.post_id IS DISTINCT FROM NEW.post_id OR OLD.is_upvote IS DISTINCT FROM NEW.is_upvote)
    EXECUTE FUNCTION mv_chain_posts_mark_child();
-- Only the number of comments is read: a comment edit changes nothing.
CREATE OR REPLACE TRIGGER mv_chain_posts_mark
    AFTER INSERT OR DELETE ON chain_post_comments
    FOR EACH ROW EXECUTE FUNCTION mv_chain_posts_mark_child();
CREATE OR REPLACE TRIGGER mv_chain_posts_mark_update
    AFTER UPDATE OF post_id ON chain_post_comments
    FOR EACH ROW WHEN (OLD.post_id IS DISTINCT FROM NEW.post_id)
    EXECUTE FUNCTION mv_chain_posts_mark_child();
CREATE OR REPLACE TRIGGER mv_chain_posts_mark
    AFTER UPDATE OF username, profile_image, is_verified ON users
    FOR EACH ROW
    WHEN (OLD.username IS DISTINCT FROM NEW.username
          OR OLD.profile_image IS DISTINCT FROM NEW.profile_image
          OR OLD.is_verified IS DISTINCT FROM NEW.is_verified)
    EXECUTE FUNCTION mv_chain_posts_mark_user();
