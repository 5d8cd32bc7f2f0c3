-- The forum trending score, defined once: the view mv_chain_posts ranks
-- posts by it and data::forum::live_posts computes it for posts written
-- since the last refresh, so both orders agree.
--
-- Engagement (1.5 per upvote, 2 per comment) plus 0.1 per hour of creation
-- time after a fixed epoch: newer posts rank higher at equal engagement,
-- and the score does not depend on when it is computed (a refresh does
-- not rewrite every row).
CREATE OR REPLACE FUNCTION forum_trending_score(upvotes BIGINT, comments BIGINT, created_at TIMESTAMPTZ)
RETURNS DOUBLE PRECISION
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT (upvotes * 1.5
            + comments * 2
            + extract(epoch FROM created_at - timestamptz '2026-01-01 00:00:00+00') / 3600 * 0.1
           )::double precision
$$;

-- Same columns, rows and indexes as before; only the score's expression
-- now calls the function. The view stays registered with the refresher.
DROP MATERIALIZED VIEW mv_chain_posts;

CREATE MATERIALIZED VIEW mv_chain_posts AS
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
    COALESCE(v.upvotes, 0) AS upvote_count,
    COALESCE(v.downvotes, 0) AS downvote_count,
    COALESCE(cc.comments, 0) AS comment_count,
    forum_trending_score(COALESCE(v.upvotes, 0), COALESCE(cc.comments, 0), cp.created_at)
        AS trending_score
FROM chain_posts cp
JOIN users u ON u.id = cp.author_id
LEFT JOIN (
    SELECT post_id, count(*) FILTER (WHERE is_upvote) AS upvotes,
           count(*) FILTER (WHERE NOT is_upvote) AS downvotes
    FROM chain_post_votes GROUP BY post_id
) v ON v.post_id = cp.id
LEFT JOIN (SELECT post_id, count(*) AS comments FROM chain_post_comments GROUP BY post_id) cc
    ON cc.post_id = cp.id
WHERE NOT cp.is_deleted
WITH DATA;

CREATE UNIQUE INDEX mv_chain_posts_id ON mv_chain_posts (id);
CREATE INDEX mv_chain_posts_chain ON mv_chain_posts (chain_id, is_pinned DESC, trending_score DESC, id DESC);
CREATE INDEX mv_chain_posts_created ON mv_chain_posts (chain_id, created_at DESC, id DESC);
