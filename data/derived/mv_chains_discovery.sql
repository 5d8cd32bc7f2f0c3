-- mv_chains_discovery: the chains pages (/chains: trending, most followed,
-- newest, category and featured tabs) and a chain page's header, one row
-- per active chain (chains.is_active), public or not, with its creator's
-- public fields, counts and trending score. The discovery indexes are
-- partial on is_public and the discovery pages filter on it; a private
-- chain's page reads its row by id.
-- Key: the chain id. Staleness target: 2 s. Timer: 5 minutes, because
-- posts_last_7_days (and the trending score through it) reads the clock:
-- a post leaves the 7-day window without any write.

-- The definition. Counts are per-chain LATERAL subqueries on the
-- followers' and projects' primary keys (chain_id, ...) and the posts'
-- partial chain index, so filtering on c.id costs only those chains'
-- rows.
--
-- project_count counts live projects only (projects.is_deleted = false);
-- post_count and posts_last_7_days count posts not deleted.
-- trending_score uses the design document's weights: 0.3 per follower,
-- 0.6 per live project, 0.1 per post of the last 7 days.
DROP VIEW IF EXISTS mv_chains_discovery_def;
CREATE VIEW mv_chains_discovery_def AS
SELECT
    c.id,
    c.name,
    c.description,
    c.image_url,
    c.category,
    c.is_public,
    c.is_featured,
    c.created_at,
    c.creator_id,
    u.username AS creator_username,
    u.profile_image AS creator_profile_image,
    f.followers AS follower_count,
    pj.projects AS project_count,
    ps.posts AS post_count,
    ps.recent AS posts_last_7_days,
    (f.followers * 0.3
        + pj.projects * 0.6
        + ps.recent * 0.1
    )::double precision AS trending_score
FROM chains c
JOIN users u ON u.id = c.creator_id
CROSS JOIN LATERAL (
    SELECT count(*) AS followers FROM chain_followers WHERE chain_id = c.id
) f
CROSS JOIN LATERAL (
    SELECT count(*) AS projects
    FROM chain_projects cp JOIN projects p ON p.id = cp.project_id
    WHERE cp.chain_id = c.id AND NOT p.is_deleted
) pj
CROSS JOIN LATERAL (
    SELECT count(*) AS posts,
           count(*) FILTER (WHERE created_at > now() - interval '7 days') AS recent
    FROM chain_posts WHERE chain_id = c.id AND NOT is_deleted
) ps
WHERE c.is_active;

SELECT derived_register('mv_chains_discovery', 'id', ARRAY['id'], interval '2 seconds', interval '5 minutes');

CREATE UNIQUE INDEX IF NOT EXISTS mv_chains_discovery_id ON mv_chains_discovery (id);
CREATE INDEX IF NOT EXISTS mv_chains_discovery_trending ON mv_chains_discovery (trending_score DESC, id DESC) WHERE is_public;
CREATE INDEX IF NOT EXISTS mv_chains_discovery_followers ON mv_chains_discovery (follower_count DESC, id DESC) WHERE is_public;
CREATE INDEX IF NOT EXISTS mv_chains_discovery_category ON mv_chains_discovery (category, trending_score DESC, id DESC) WHERE is_public;
CREATE INDEX IF NOT EXISTS mv_chains_discovery_featured ON mv_chains_discovery (trending_score DESC, id DESC) WHERE is_public AND is_featured;
-- The "newest" tab.
CREATE INDEX IF NOT EXISTS mv_chains_discovery_newest ON mv_chains_discovery (created_at DESC, id DESC) WHERE is_public;

-- Which writes change which keys.
-- chains: the row itself.
CREATE OR REPLACE FUNCTION mv_chains_discovery_mark_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mv_chains_discovery_dirty (key)
    VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
    RETURN NULL;
END;
$$;

-- chain_followers, chain_projects, chain_posts: the chain they belong to
-- (both chains if an update moves the row).
CREATE OR REPLACE FUNCTION mv_chains_discovery_mark_child() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO mv_chains_discovery_dirty (key) VALUES (NEW.chain_id);
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.chain_id IS DISTINCT FROM NEW.chain_id) THEN
        INSERT INTO mv_chains_discovery_dirty (key) VALUES (OLD.chain_id);
    END IF;
    RETURN NULL;
END;
$$;

-- projects: a project deleted or restored changes project_count of every
-- chain it is in. (A new project is in no chain yet; a hard delete
-- cascades to chain_projects, whose trigger marks the chains.)
CREATE OR REPLACE FUNCTION mv_chains_discovery_mark_project() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mv_chains_discovery_dirty (key)
    SELECT chain_id FROM chain_projects WHERE project_id = NEW.id;
    RETURN NULL;
END;
$$;

-- users: a creator's public fields appear on every one of their chains.
CREATE OR REPLACE FUNCTION mv_chains_discovery_mark_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mv_chains_discovery_dirty (key)
    SELECT id FROM chains WHERE creator_id = NEW.id;
    RETURN NULL;
END;
$$;

-- A chain's updated_at is not read.
CREATE OR REPLACE TRIGGER mv_chains_discovery_mark
    AFTER INSERT OR DELETE ON chains
    FOR EACH ROW EXECUTE FUNCTION mv_chains_discovery_mark_chain();
CREATE OR REPLACE TRIGGER mv_chains_discovery_mark_update
    AFTER UPDATE ON chains
    FOR EACH ROW
    WHEN ((OLD.id, OLD.name, OLD.description, OLD.image_url, OLD.category, OLD.is_public,
           OLD.is_featured, OLD.is_active, OLD.created_at, OLD.creator_id)
          IS DISTINCT FROM
          (NEW.id, NEW.name, NEW.description, NEW.image_url, NEW.category, NEW.is_public,
           NEW.is_featured, NEW.is_active, NEW.created_at, NEW.creator_id))
    EXECUTE FUNCTION mv_chains_discovery_mark_chain();
-- Only the number of followers is read.
CREATE OR REPLACE TRIGGER mv_chains_discovery_mark
    AFTER INSERT OR DELETE ON chain_followers
    FOR EACH ROW EXECUTE FUNCTION mv_chains_discovery_mark_child();
CREATE OR REPLACE TRIGGER mv_chains_discovery_mark_update
    AFTER UPDATE OF chain_id ON chain_followers
    FOR EACH ROW WHEN (OLD.chain_id IS DISTINCT FROM NEW.chain_id)
    EXECUTE FUNCTION mv_chains_discovery_mark_child();
-- added_by (set to NULL when that user is deleted) is not read.
CREATE OR REPLACE TRIGGER mv_chains_discovery_mark
    AFTER INSERT OR DELETE ON chain_projects
    FOR EACH ROW EXECUTE FUNCTION mv_chains_discovery_mark_child();
CREATE OR REPLACE TRIGGER mv_chains_discovery_mark_update
    AFTER UPDATE OF chain_id, project_id ON chain_projects
    FOR EACH ROW
    WHEN (OLD.chain_id IS DISTINCT FROM NEW.chain_id OR OLD.project_id IS DISTINCT FROM NEW.project_id)
    EXECUTE FUNCTION mv_chains_discovery_mark_child();
-- Posts: only the chain, the deletion flag and the creation time are
-- read (a post's edits change nothing here).
CREATE OR REPLACE TRIGGER mv_chains_discovery_mark
    AFTER INSERT OR DELETE ON chain_posts
    FOR EACH ROW EXECUTE FUNCTION mv_chains_discovery_mark_child();
CREATE OR REPLACE TRIGGER mv_chains_discovery_mark_update
    AFTER UPDATE OF chain_id, is_deleted, created_at ON chain_posts
    FOR EACH ROW
    WHEN (OLD.chain_id IS DISTINCT FROM NEW.chain_id
          OR OLD.is_deleted IS DISTINCT FROM NEW.is_deleted
          OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION mv_chains_discovery_mark_child();
CREATE OR REPLACE TRIGGER mv_chains_discovery_mark
    AFTER UPDATE OF is_deleted ON projects
    FOR EACH ROW WHEN (OLD.is_deleted IS DISTINCT FROM NEW.is_deleted)
    EXECUTE FUNCTION mv_chains_discovery_mark_project();
CREATE OR REPLACE TRIGGER mv_chains_discovery_mark
    AFTER UPDATE OF username, profile_image ON users
    FOR EACH ROW
    WHEN (OLD.username IS DISTINCT FROM NEW.username
          OR OLD.profile_image IS DISTINCT FROM NEW.profile_image)
    EXECUTE FUNCTION mv_chains_discovery_mark_user();
