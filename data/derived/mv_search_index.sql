-- mv_search_index: search (/search, its type tabs and fuzzy search), one
-- row per searchable thing: each live project (projects.is_deleted =
-- false), each active user (users.is_active) and each public active chain
-- (chains.is_public AND chains.is_active).
-- Key: the id of the project, user or chain (column id); the table is
-- unique on (result_type, id), since an id alone is not unique across the
-- three kinds in principle (a step recomputes every kind's row for the
-- keys it takes). Staleness target: 10 s. No timer: nothing in a row
-- depends on the clock. Tests: data/tests/views.rs (the view and
-- keyed-structure checks, fuzzy search), server/tests/api/search.rs.

-- The definition: three branches, one per kind, each filtered on its own
-- primary key when the view is filtered on id. The users' live project
-- counts and the chains' follower counts are per-row LATERAL subqueries
-- on the projects (user_id, is_deleted) and chain_followers chain_id
-- indexes.
--
-- name is the title, username or chain name; description the description,
-- bio or description; user_id the owner, the user itself or the creator;
-- creator_username that user's username. relevance_score is a project's
-- proof score, a user's live project count, a chain's follower count.
-- search_vector (english configuration) weighs the name A and the
-- description B, and for a project its creator's username C.
DROP VIEW IF EXISTS mv_search_index_def;
CREATE VIEW mv_search_index_def AS
SELECT
    'project'::text AS result_type,
    p.id,
    p.title AS name,
    p.description,
    p.image_url,
    p.created_at,
    p.user_id,
    u.username AS creator_username,
    p.proof_score::bigint AS relevance_score,
    setweight(to_tsvector('english', p.title), 'A')
        || setweight(to_tsvector('english', p.description), 'B')
        || setweight(to_tsvector('english', u.username), 'C') AS search_vector
FROM projects p
JOIN users u ON u.id = p.user_id
WHERE NOT p.is_deleted
UNION ALL
SELECT
    'user'::text,
    u.id,
    u.username,
    u.bio,
    u.profile_image,
    u.created_at,
    u.id,
    u.username,
    pc.projects,
    setweight(to_tsvector('english', u.username), 'A')
        || setweight(to_tsvector('english', u.bio), 'B')
FROM users u
CROSS JOIN LATERAL (
    SELECT count(*) AS projects FROM projects WHERE user_id = u.id AND NOT is_deleted
) pc
WHERE u.is_active
UNION ALL
SELECT
    'chain'::text,
    c.id,
    c.name,
    c.description,
    c.image_url,
    c.created_at,
    c.creator_id,
    u.username,
    f.followers,
    setweight(to_tsvector('english', c.name), 'A')
        || setweight(to_tsvector('english', c.description), 'B')
FROM chains c
JOIN users u ON u.id = c.creator_id
CROSS JOIN LATERAL (
    SELECT count(*) AS followers FROM chain_followers WHERE chain_id = c.id
) f
WHERE c.is_active AND c.is_public;

SELECT derived_register('mv_search_index', 'id', ARRAY['result_type', 'id'], interval '10 seconds');

CREATE UNIQUE INDEX IF NOT EXISTS mv_search_index_key ON mv_search_index (result_type, id);
-- A step finds its keys' rows by id alone (the key column; the unique
-- index above is led by result_type): without this, every step scanned
-- the whole table to delete vanished rows (320 ms per step at 100x).
CREATE INDEX IF NOT EXISTS mv_search_index_id ON mv_search_index (id);
CREATE INDEX IF NOT EXISTS mv_search_index_vector ON mv_search_index USING gin (search_vector);
CREATE INDEX IF NOT EXISTS mv_search_index_name_trgm ON mv_search_index USING gin (name gin_trgm_ops);
-- Steps rewrite rows all the time, and a GIN index collects new entries in
-- a pending list (up to 4 MB by default) that every search must read and
-- that the planner prices as such: a full list made a rare word's search
-- scan the whole table at the default scale. 256 kB lists are merged often
-- and cheaply.
ALTER INDEX mv_search_index_vector SET (gin_pending_list_limit = 256);
ALTER INDEX mv_search_index_name_trgm SET (gin_pending_list_limit = 256);
-- Also the search's candidates: each type's full-text matches read in
-- this order and stopped at the bound when a word is common
-- (data/src/search.rs, CANDIDATES), instead of ranking every match.
CREATE INDEX IF NOT EXISTS mv_search_index_type_relevance ON mv_search_index (result_type, relevance_score DESC, id DESC);

-- Which writes change which keys.
-- projects: the project's row, and its owner's row (the live project
-- count) when a project comes, goes, changes owner or is (un)deleted.
CREATE OR REPLACE FUNCTION mv_search_index_mark_project() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        INSERT INTO mv_search_index_dirty (key) VALUES (OLD.id), (OLD.user_id);
    ELSIF TG_OP = 'INSERT' THEN
        INSERT INTO mv_search_index_dirty (key) VALUES (NEW.id), (NEW.user_id);
    ELSE
        INSERT INTO mv_search_index_dirty (key) VALUES (NEW.id);
        IF OLD.user_id IS DISTINCT FROM NEW.user_id OR OLD.is_deleted IS DISTINCT FROM NEW.is_deleted THEN
            INSERT INTO mv_search_index_dirty (key) VALUES (OLD.user_id), (NEW.user_id);
        END IF;
    END IF;
    RETURN NULL;
END;
$$;

-- users: the user's row; a rename also reaches every project of the user
-- (creator_username and search_vector) and every chain they created
-- (creator_username). (A new user has neither; a deleted user's projects
-- and chains go with them, and those deletes log themselves.)
CREATE OR REPLACE FUNCTION mv_search_index_mark_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mv_search_index_dirty (key)
    VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
    IF TG_OP = 'UPDATE' AND OLD.username IS DISTINCT FROM NEW.username THEN
        INSERT INTO mv_search_index_dirty (key)
        SELECT id FROM projects WHERE user_id = NEW.id
        UNION ALL
        SELECT id FROM chains WHERE creator_id = NEW.id;
    END IF;
    RETURN NULL;
END;
$$;

-- chains: the row itself.
CREATE OR REPLACE FUNCTION mv_search_index_mark_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mv_search_index_dirty (key)
    VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
    RETURN NULL;
END;
$$;

-- chain_followers: the chain followed (both chains if an update moves the
-- row).
CREATE OR REPLACE FUNCTION mv_search_index_mark_follower() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO mv_search_index_dirty (key) VALUES (NEW.chain_id);
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.chain_id IS DISTINCT FROM NEW.chain_id) THEN
        INSERT INTO mv_search_index_dirty (key) VALUES (OLD.chain_id);
    END IF;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER mv_search_index_mark
    AFTER INSERT OR DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION mv_search_index_mark_project();
-- projects: not the link, category, featured flag or timestamps other
-- than created_at.
CREATE OR REPLACE TRIGGER mv_search_index_mark_update
    AFTER UPDATE OF title, description, image_url, created_at, user_id, proof_score, is_deleted ON projects
    FOR EACH ROW
    WHEN (OLD.title IS DISTINCT FROM NEW.title
          OR OLD.description IS DISTINCT FROM NEW.description
          OR OLD.image_url IS DISTINCT FROM NEW.image_url
          OR OLD.created_at IS DISTINCT FROM NEW.created_at
          OR OLD.user_id IS DISTINCT FROM NEW.user_id
          OR OLD.proof_score IS DISTINCT FROM NEW.proof_score
          OR OLD.is_deleted IS DISTINCT FROM NEW.is_deleted)
    EXECUTE FUNCTION mv_search_index_mark_project();
CREATE OR REPLACE TRIGGER mv_search_index_mark
    AFTER INSERT OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION mv_search_index_mark_user();
CREATE OR REPLACE TRIGGER mv_search_index_mark_update
    AFTER UPDATE OF username, bio, profile_image, created_at, is_active ON users
    FOR EACH ROW
    WHEN (OLD.username IS DISTINCT FROM NEW.username
          OR OLD.bio IS DISTINCT FROM NEW.bio
          OR OLD.profile_image IS DISTINCT FROM NEW.profile_image
          OR OLD.created_at IS DISTINCT FROM NEW.created_at
          OR OLD.is_active IS DISTINCT FROM NEW.is_active)
    EXECUTE FUNCTION mv_search_index_mark_user();
CREATE OR REPLACE TRIGGER mv_search_index_mark
    AFTER INSERT OR DELETE ON chains
    FOR EACH ROW EXECUTE FUNCTION mv_search_index_mark_chain();
-- chains: not the category, featured flag or updated_at.
CREATE OR REPLACE TRIGGER mv_search_index_mark_update
    AFTER UPDATE OF name, description, image_url, created_at, creator_id, is_active, is_public ON chains
    FOR EACH ROW
    WHEN (OLD.name IS DISTINCT FROM NEW.name
          OR OLD.description IS DISTINCT FROM NEW.description
          OR OLD.image_url IS DISTINCT FROM NEW.image_url
          OR OLD.created_at IS DISTINCT FROM NEW.created_at
          OR OLD.creator_id IS DISTINCT FROM NEW.creator_id
          OR OLD.is_active IS DISTINCT FROM NEW.is_active
          OR OLD.is_public IS DISTINCT FROM NEW.is_public)
    EXECUTE FUNCTION mv_search_index_mark_chain();
CREATE OR REPLACE TRIGGER mv_search_index_mark
    AFTER INSERT OR DELETE ON chain_followers
    FOR EACH ROW EXECUTE FUNCTION mv_search_index_mark_follower();
CREATE OR REPLACE TRIGGER mv_search_index_mark_update
    AFTER UPDATE OF chain_id ON chain_followers
    FOR EACH ROW WHEN (OLD.chain_id IS DISTINCT FROM NEW.chain_id)
    EXECUTE FUNCTION mv_search_index_mark_follower();
