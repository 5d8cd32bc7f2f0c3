-- mv_leaderboard_builders: the builders leaderboard (/leaderboard?tab=
-- builders), the 1,000 active users with the most karma, ranked 1, 2, 3,
-- ... by karma, then the earlier sign-up, then the id. Karma is the
-- profile's: the proof score of the user's live projects plus the
-- upvotes those projects received.
--
-- Not a structure of its own: a plain view over the profiles' table
-- (mv_user_profiles), read through the index below; the profiles' steps
-- keep it fresh (5 s) and the hot cache files its pages under the
-- profiles' name. Measured at the default scale: about 1.2 ms for any
-- page. Tests: data/tests/views.rs, server/tests/api/leaderboard.rs.

SELECT derived_retire_view('mv_leaderboard_builders');

CREATE INDEX IF NOT EXISTS mv_user_profiles_karma
    ON mv_user_profiles (karma DESC, created_at, id);

DROP VIEW IF EXISTS mv_leaderboard_builders;
CREATE VIEW mv_leaderboard_builders AS
SELECT
    row_number() OVER (ORDER BY t.karma DESC, t.created_at, t.id) AS rank,
    t.id,
    t.username,
    t.profile_image,
    t.bio,
    t.is_verified,
    t.role,
    t.created_at,
    t.karma AS total_karma,
    t.total_proof_score,
    t.upvotes_received,
    t.project_count,
    t.badges_received,
    t.badges_given,
    t.comment_count
FROM (
    SELECT * FROM mv_user_profiles
    ORDER BY karma DESC, created_at, id
    LIMIT 1000
) t;
