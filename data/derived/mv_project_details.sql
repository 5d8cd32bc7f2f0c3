-- mv_project_details: the project page (/p/<id>), one row per live project
-- (projects.is_deleted = false) with its creator's public fields, its
-- counts, its badges and the public chains holding it.
-- Key: the project id. Staleness target: 5 s. No timer: nothing in a row
-- depends on the clock. Tests: data/tests/views.rs (the view and
-- keyed-structure checks), server/tests/api/project.rs.

-- The definition. Counts and JSON lists are per-project LATERAL subqueries
-- on the children's project_id indexes, so filtering on p.id costs only
-- those projects' rows.
--
-- vote_count counts every row of upvotes (up and down), upvote_count the
-- up ones, downvote_count the difference. badges_json lists the project's
-- badges oldest first (then by id) with the validator's current username
-- and the badge time as a UTC ISO-8601 string; chains_json lists the
-- public, active chains holding the project by name (then id); both are
-- '[]' when empty.
DROP VIEW IF EXISTS mv_project_details_def;
CREATE VIEW mv_project_details_def AS
SELECT
    p.id,
    p.title,
    p.description,
    p.proof_of_work_link,
    p.image_url,
    p.category,
    p.is_featured,
    p.created_at,
    p.updated_at,
    p.proof_score,
    p.user_id,
    u.username,
    u.profile_image,
    u.bio AS creator_bio,
    u.is_verified,
    c.top_level AS comment_count,
    c.total AS total_comment_count,
    v.votes AS vote_count,
    v.upvotes AS upvote_count,
    v.votes - v.upvotes AS downvote_count,
    b.badges AS badge_count,
    b.badges_json,
    ch.chains_json
FROM projects p
JOIN users u ON u.id = p.user_id
CROSS JOIN LATERAL (
    SELECT count(*) AS total, count(*) FILTER (WHERE parent_id IS NULL) AS top_level
    FROM comments WHERE project_id = p.id
) c
CROSS JOIN LATERAL (
    SELECT count(*) AS votes, count(*) FILTER (WHERE is_upvote) AS upvotes
    FROM upvotes WHERE project_id = p.id
) v
CROSS JOIN LATERAL (
    SELECT count(*) AS badges,
           coalesce(jsonb_agg(jsonb_build_object(
               'id', vb.id,
               'badge_type', vb.badge_type,
               'note', vb.note,
               'validator_id', vb.validator_id,
               'validator_username', val.username,
               'created_at', to_char(vb.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
           ) ORDER BY vb.created_at, vb.id), '[]'::jsonb) AS badges_json
    FROM validation_badges vb
    JOIN users val ON val.id = vb.validator_id
    WHERE vb.project_id = p.id
) b
CROSS JOIN LATERAL (
    SELECT coalesce(jsonb_agg(jsonb_build_object(
               'id', chn.id,
               'name', chn.name,
               'image_url', chn.image_url
           ) ORDER BY chn.name, chn.id), '[]'::jsonb) AS chains_json
    FROM chain_projects cp
    JOIN chains chn ON chn.id = cp.chain_id
    WHERE cp.project_id = p.id AND chn.is_public AND chn.is_active
) ch
WHERE NOT p.is_deleted;

SELECT derived_register('mv_project_details', 'id', ARRAY['id'], interval '5 seconds');

CREATE UNIQUE INDEX IF NOT EXISTS mv_project_details_id ON mv_project_details (id);
CREATE INDEX IF NOT EXISTS mv_project_details_user ON mv_project_details (user_id, created_at DESC, id DESC);

-- Which writes change which keys.
-- projects: the row itself.
CREATE OR REPLACE FUNCTION mv_project_details_mark_project() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mv_project_details_dirty (key)
    VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
    RETURN NULL;
END;
$$;

-- comments, upvotes, validation_badges, chain_projects: the project they
-- belong to (both projects if an update moves the row).
CREATE OR REPLACE FUNCTION mv_project_details_mark_child() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO mv_project_details_dirty (key) VALUES (NEW.project_id);
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.project_id IS DISTINCT FROM NEW.project_id) THEN
        INSERT INTO mv_project_details_dirty (key) VALUES (OLD.project_id);
    END IF;
    RETURN NULL;
END;
$$;

-- users: a user's public fields appear on every one of their projects, and
-- a validator's username in the badges_json of every project they badged.
-- (A new user has neither; a deleted user's projects and badges go with
-- them, and those deletes log their projects.)
CREATE OR REPLACE FUNCTION mv_project_details_mark_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mv_project_details_dirty (key)
    SELECT id FROM projects WHERE user_id = NEW.id;
    IF OLD.username IS DISTINCT FROM NEW.username THEN
        INSERT INTO mv_project_details_dirty (key)
        SELECT DISTINCT project_id FROM validation_badges WHERE validator_id = NEW.id;
    END IF;
    RETURN NULL;
END;
$$;

-- chains: a chain's name, image and visibility appear in the chains_json
-- of every project it holds. (A new chain holds nothing yet; a deleted
-- chain's chain_projects rows go with it, and those deletes log their
-- projects.)
CREATE OR REPLACE FUNCTION mv_project_details_mark_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mv_project_details_dirty (key)
    SELECT project_id FROM chain_projects WHERE chain_id = NEW.id;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER mv_project_details_mark
    AFTER INSERT OR DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION mv_project_details_mark_project();
CREATE OR REPLACE TRIGGER mv_project_details_mark_update
    AFTER UPDATE ON projects
    FOR EACH ROW WHEN (OLD.* IS DISTINCT FROM NEW.*)
    EXECUTE FUNCTION mv_project_details_mark_project();
-- comments: editing a comment's text changes nothing here.
CREATE OR REPLACE TRIGGER mv_project_details_mark
    AFTER INSERT OR DELETE ON comments
    FOR EACH ROW EXECUTE FUNCTION mv_project_details_mark_child();
CREATE OR REPLACE TRIGGER mv_project_details_mark_update
    AFTER UPDATE OF project_id, parent_id ON comments
    FOR EACH ROW
    WHEN (OLD.project_id IS DISTINCT FROM NEW.project_id
          OR OLD.parent_id IS DISTINCT FROM NEW.parent_id)
    EXECUTE FUNCTION mv_project_details_mark_child();
CREATE OR REPLACE TRIGGER mv_project_details_mark
    AFTER INSERT OR UPDATE OR DELETE ON upvotes
    FOR EACH ROW EXECUTE FUNCTION mv_project_details_mark_child();
CREATE OR REPLACE TRIGGER mv_project_details_mark
    AFTER INSERT OR UPDATE OR DELETE ON validation_badges
    FOR EACH ROW EXECUTE FUNCTION mv_project_details_mark_child();
-- chain_projects: added_by (set to NULL when that user is deleted) is not
-- read.
CREATE OR REPLACE TRIGGER mv_project_details_mark
    AFTER INSERT OR DELETE ON chain_projects
    FOR EACH ROW EXECUTE FUNCTION mv_project_details_mark_child();
CREATE OR REPLACE TRIGGER mv_project_details_mark_update
    AFTER UPDATE OF chain_id, project_id ON chain_projects
    FOR EACH ROW
    WHEN (OLD.chain_id IS DISTINCT FROM NEW.chain_id
          OR OLD.project_id IS DISTINCT FROM NEW.project_id)
    EXECUTE FUNCTION mv_project_details_mark_child();
CREATE OR REPLACE TRIGGER mv_project_details_mark
    AFTER UPDATE OF username, profile_image, bio, is_verified ON users
    FOR EACH ROW
    WHEN (OLD.username IS DISTINCT FROM NEW.username
          OR OLD.profile_image IS DISTINCT FROM NEW.profile_image
          OR OLD.bio IS DISTINCT FROM NEW.bio
          OR OLD.is_verified IS DISTINCT FROM NEW.is_verified)
    EXECUTE FUNCTION mv_project_details_mark_user();
CREATE OR REPLACE TRIGGER mv_project_details_mark
    AFTER UPDATE OF name, image_url, is_public, is_active ON chains
    FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name
          OR OLD.image_url IS DISTINCT FROM NEW.image_url
          OR OLD.is_public IS DISTINCT FROM NEW.is_public
          OR OLD.is_active IS DISTINCT FROM NEW.is_active)
    EXECUTE FUNCTION mv_project_details_mark_chain();
