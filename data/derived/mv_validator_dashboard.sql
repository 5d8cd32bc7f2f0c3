-- mv_validator_dashboard: the validator dashboard (/validator: badges by
-- type and per week; its index also serves a list of the most active
-- validators), one row per validator: a user with role
-- 'validator', or anyone who has given a badge, with the badges they gave
-- by type and over time.
-- Key: validator_id (the user id). Staleness target: 10 s. Timer: 5
-- minutes, because badges_last_30_days and weekly_counts read the clock:
-- badges leave the 30-day window, and a new week starts, without any
-- write.

-- The definition. The badge counts are a per-user LATERAL subquery and
-- weekly_counts a scalar subquery (evaluated for the rows kept only), both
-- on the badges' (validator_id, created_at) index, so filtering on u.id
-- costs only those users' badges.
--
-- The type counts sum to badges_given; projects_validated counts distinct
-- projects. weekly_counts is a JSON array of the 12 most recent ISO weeks
-- (Monday, UTC), oldest first, zero weeks included:
-- [{"week": "2026-09-07", "count": 3}, ...].
DROP VIEW IF EXISTS mv_validator_dashboard_def;
CREATE VIEW mv_validator_dashboard_def AS
SELECT
    u.id AS validator_id,
    u.username,
    u.profile_image,
    u.role,
    b.total AS badges_given,
    b.code_quality,
    b.innovation,
    b.impact,
    b.design,
    b.security,
    b.last_30_days AS badges_last_30_days,
    b.projects AS projects_validated,
    b.last_badge_at,
    (SELECT jsonb_agg(jsonb_build_object('week', to_char(weeks.week, 'YYYY-MM-DD'), 'count', COALESCE(n.badges, 0))
                      ORDER BY weeks.week)
     -- generate_series over integers: the planner knows it yields 12 rows.
     FROM (SELECT date_trunc('week', now() AT TIME ZONE 'UTC') - k * interval '1 week' AS week
           FROM generate_series(0, 11) AS k) AS weeks
     LEFT JOIN (
         SELECT date_trunc('week', vb.created_at AT TIME ZONE 'UTC') AS week, count(*) AS badges
         FROM validation_badges vb
         WHERE vb.validator_id = u.id
           AND vb.created_at >= (date_trunc('week', now() AT TIME ZONE 'UTC') - interval '11 weeks') AT TIME ZONE 'UTC'
         GROUP BY 1
     ) n ON n.week = weeks.week
    ) AS weekly_counts
FROM users u
CROSS JOIN LATERAL (
    SELECT count(*) AS total,
           count(*) FILTER (WHERE badge_type = 'code_quality') AS code_quality,
           count(*) FILTER (WHERE badge_type = 'innovation') AS innovation,
           count(*) FILTER (WHERE badge_type = 'impact') AS impact,
           count(*) FILTER (WHERE badge_type = 'design') AS design,
           count(*) FILTER (WHERE badge_type = 'security') AS security,
           count(*) FILTER (WHERE created_at > now() - interval '30 days') AS last_30_days,
           count(DISTINCT project_id) AS projects,
           max(created_at) AS last_badge_at
    FROM validation_badges WHERE validator_id = u.id
) b
-- "Has given a badge" is a probe of the same index (a scalar subquery: an
-- EXISTS may be planned as a hash of the whole badges table), so a full
-- build computes the counts of the validators only.
WHERE u.role = 'validator'
   OR (SELECT true FROM validation_badges vb WHERE vb.validator_id = u.id LIMIT 1);

SELECT derived_register('mv_validator_dashboard', 'validator_id', ARRAY['validator_id'],
                        interval '10 seconds', interval '5 minutes');

CREATE UNIQUE INDEX IF NOT EXISTS mv_validator_dashboard_validator ON mv_validator_dashboard (validator_id);
CREATE INDEX IF NOT EXISTS mv_validator_dashboard_given ON mv_validator_dashboard (badges_given DESC, validator_id DESC);

-- Which writes change which keys.
-- validation_badges: the validator who gave it (both validators if an
-- update moves the row).
CREATE OR REPLACE FUNCTION mv_validator_dashboard_mark_badge() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO mv_validator_dashboard_dirty (key) VALUES (NEW.validator_id);
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.validator_id IS DISTINCT FROM NEW.validator_id) THEN
        INSERT INTO mv_validator_dashboard_dirty (key) VALUES (OLD.validator_id);
    END IF;
    RETURN NULL;
END;
$$;

-- users: the user's own key, when they are (or were, before an update) a
-- validator or have given a badge (no row exists otherwise, before or
-- after the write). A validator without badges is inserted and deleted
-- with the user row itself (a user with badges is also marked by the
-- cascade that deletes them).
CREATE OR REPLACE FUNCTION mv_validator_dashboard_mark_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO mv_validator_dashboard_dirty (key) VALUES (OLD.id);
    ELSIF NEW.role = 'validator'
       OR (TG_OP = 'UPDATE' AND OLD.role = 'validator')
       OR EXISTS (SELECT 1 FROM validation_badges WHERE validator_id = NEW.id) THEN
        INSERT INTO mv_validator_dashboard_dirty (key) VALUES (NEW.id);
    END IF;
    RETURN NULL;
END;
$$;

-- Only the validator, the type, the project and the creation time of a
-- badge are read (not its note).
CREATE OR REPLACE TRIGGER mv_validator_dashboard_mark
    AFTER INSERT OR DELETE ON validation_badges
    FOR EACH ROW EXECUTE FUNCTION mv_validator_dashboard_mark_badge();
CREATE OR REPLACE TRIGGER mv_validator_dashboard_mark_update
    AFTER UPDATE OF validator_id, badge_type, project_id, created_at ON validation_badges
    FOR EACH ROW
    WHEN (OLD.validator_id IS DISTINCT FROM NEW.validator_id
          OR OLD.badge_type IS DISTINCT FROM NEW.badge_type
          OR OLD.project_id IS DISTINCT FROM NEW.project_id
          OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION mv_validator_dashboard_mark_badge();
CREATE OR REPLACE TRIGGER mv_validator_dashboard_mark_insert
    AFTER INSERT ON users
    FOR EACH ROW WHEN (NEW.role = 'validator')
    EXECUTE FUNCTION mv_validator_dashboard_mark_user();
CREATE OR REPLACE TRIGGER mv_validator_dashboard_mark_delete
    AFTER DELETE ON users
    FOR EACH ROW WHEN (OLD.role = 'validator')
    EXECUTE FUNCTION mv_validator_dashboard_mark_user();
CREATE OR REPLACE TRIGGER mv_validator_dashboard_mark_update
    AFTER UPDATE OF username, profile_image, role ON users
    FOR EACH ROW
    WHEN (OLD.username IS DISTINCT FROM NEW.username
          OR OLD.profile_image IS DISTINCT FROM NEW.profile_image
          OR OLD.role IS DISTINCT FROM NEW.role)
    EXECUTE FUNCTION mv_validator_dashboard_mark_user();
