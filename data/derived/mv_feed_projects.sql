-- mv_feed_projects: the feed (/, /?tab=..., /?category=...), one row per
-- live project (projects.is_deleted = false) with its creator's public
-- fields, counts and trending score.
-- Key: the project id. Staleness target: 2 s. Tests: data/tests/views.rs
-- (feed_* and the keyed-structure checks), data/tests/workload.rs.

-- The definition. Counts are per-project LATERAL subqueries on the
-- children's project_id indexes, so filtering on p.id costs only those
-- projects' rows.
--
-- trending_score is linear in the creation time from a fixed epoch
-- (0.1 per hour after 2026-01-01 UTC): the order of "minus 0.1 per hour of
-- age" at any instant, without reading the clock, so a row's score only
-- changes when its inputs do.
DROP VIEW IF EXISTS mv_feed_projects_def;
CREATE VIEW mv_feed_projects_def AS
SELECT
    p.id,
    p.title,
    p.description,
    p.proof_of_work_link,
    p.image_url,
    p.created_at,
    p.updated_at,
    p.is_featured,
    p.category,
    p.user_id,
    u.username,
    u.profile_image,
    u.is_verified,
    p.proof_score,
    c.top_level AS comment_count,
    c.total AS total_comment_count,
    v.upvotes AS upvote_count,
    b.badges AS badge_count,
    b.types AS badge_types,
    (p.proof_score * 0.5
        + c.total * 2
        + v.upvotes * 1.5
        + extract(epoch FROM p.created_at - timestamptz '2026-01-01 00:00:00+00') / 3600 * 0.1
    )::double precision AS trending_score
FROM projects p
JOIN users u ON u.id = p.user_id
CROSS JOIN LATERAL (
    SELECT count(*) AS total, count(*) FILTER (WHERE parent_id IS NULL) AS top_level
    FROM comments WHERE project_id = p.id
) c
CROSS JOIN LATERAL (
    SELECT count(*) AS upvotes FROM upvotes WHERE project_id = p.id AND is_upvote
) v
CROSS JOIN LATERAL (
    SELECT count(*) AS badges,
           coalesce(array_agg(DISTINCT badge_type ORDER BY badge_type), '{}'::text[]) AS types
    FROM validation_badges WHERE project_id = p.id
) b
WHERE NOT p.is_deleted;

SELECT derived_register('mv_feed_projects', 'id', ARRAY['id'], interval '2 seconds');

CREATE UNIQUE INDEX IF NOT EXISTS mv_feed_projects_id ON mv_feed_projects (id);
CREATE INDEX IF NOT EXISTS mv_feed_projects_trending ON mv_feed_projects (trending_score DESC, id DESC);
-- "Top" = most upvoted; the period tabs (today/week/month) range-scan the
-- created_at index and sort the few rows of the period.
CREATE INDEX IF NOT EXISTS mv_feed_projects_top ON mv_feed_projects (upvote_count DESC, id DESC);
CREATE INDEX IF NOT EXISTS mv_feed_projects_newest ON mv_feed_projects (created_at DESC, id DESC);
CREATE INDEX IF NOT EXISTS mv_feed_projects_category ON mv_feed_projects (category, trending_score DESC, id DESC);
CREATE INDEX IF NOT EXISTS mv_feed_projects_featured ON mv_feed_projects (trending_score DESC, id DESC) WHERE is_featured;
CREATE INDEX IF NOT EXISTS mv_feed_projects_user ON mv_feed_projects (user_id, created_at DESC, id DESC);

-- Which writes change which keys.
-- projects: the row itself.
CREATE OR REPLACE FUNCTION mv_feed_projects_mark_project() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mv_feed_projects_dirty (key)
    VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
    RETURN NULL;
END;
$$;

-- comments, upvotes, validation_badges: the project they belong to (both
-- projects if an update moves the row).
CREATE OR REPLACE FUNCTION mv_feed_projects_mark_child() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO mv_feed_projects_dirty (key) VALUES (NEW.project_id);
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.project_id IS DISTINCT FROM NEW.project_id) THEN
        INSERT INTO mv_feed_projects_dirty (key) VALUES (OLD.project_id);
    END IF;
    RETURN NULL;
END;
$$;

-- users: a user's public fields appear on every one of their projects.
CREATE OR REPLACE FUNCTION mv_feed_projects_mark_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mv_feed_projects_dirty (key)
    SELECT id FROM projects WHERE user_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER mv_feed_projects_mark
    AFTER INSERT OR DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION mv_feed_projects_mark_project();
CREATE OR REPLACE TRIGGER mv_feed_projects_mark_update
    AFTER UPDATE ON projects
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
    EXECUTE FUNCTION mv_feed_projects_mark_project();
CREATE OR REPLACE TRIGGER mv_feed_projects_mark
    AFTER INSERT OR UPDATE OR DELETE ON comments
    FOR EACH ROW EXECUTE FUNCTION mv_feed_projects_mark_child();
CREATE OR REPLACE TRIGGER mv_feed_projects_mark
    AFTER INSERT OR UPDATE OR DELETE ON upvotes
    FOR EACH ROW EXECUTE FUNCTION mv_feed_projects_mark_child();
CREATE OR REPLACE TRIGGER mv_feed_projects_mark
    AFTER INSERT OR UPDATE OR DELETE ON validation_badges
    FOR EACH ROW EXECUTE FUNCTION mv_feed_projects_mark_child();
CREATE OR REPLACE TRIGGER mv_feed_projects_mark
    AFTER UPDATE OF username, profile_image, is_verified ON users
    FOR EACH ROW
    WHEN (OLD.username IS DISTINCT FROM NEW.username
          OR OLD.profile_image IS DISTINCT FROM NEW.profile_image
          OR OLD.is_verified IS DISTINCT FROM NEW.is_verified)
    EXECUTE FUNCTION mv_feed_projects_mark_user();
