-- mv_leaderboard_projects: the projects leaderboard (/leaderboard), the
-- 1,000 live projects with the highest proof score (above 0), ranked 1, 2,
-- 3, ... by proof score, then the earlier creation, then the id.
--
-- Not a structure of its own: a plain view over the feed's table
-- (mv_feed_projects), read through the index below. The feed's steps keep
-- it fresh (same staleness target, 2 s), and the hot cache files its pages
-- under the feed's name so that a step drops them. Measured at the default
-- scale: 1.2-1.7 ms for any page (at most 1,000 index entries, whatever
-- the number of projects) against 0.06 ms for a page of a materialized
-- copy that cost a full refresh per change. Tests: data/tests/views.rs,
-- server/tests/api/leaderboard.rs.

SELECT derived_retire_view('mv_leaderboard_projects');

CREATE INDEX IF NOT EXISTS mv_feed_projects_proof
    ON mv_feed_projects (proof_score DESC, created_at, id) WHERE proof_score > 0;

DROP VIEW IF EXISTS mv_leaderboard_projects;
CREATE VIEW mv_leaderboard_projects AS
SELECT
    row_number() OVER (ORDER BY t.proof_score DESC, t.created_at, t.id) AS rank,
    t.id,
    t.title,
    t.image_url,
    t.category,
    t.proof_score,
    t.created_at,
    t.user_id,
    t.username,
    t.profile_image,
    t.badge_count,
    t.total_comment_count AS comment_count,
    t.upvote_count
FROM (
    SELECT * FROM mv_feed_projects
    WHERE proof_score > 0
    ORDER BY proof_score DESC, created_at, id
    LIMIT 1000
) t;
