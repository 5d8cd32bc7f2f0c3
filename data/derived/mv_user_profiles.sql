-- mv_user_profiles: public profile pages (/u/<username>), one row per
-- active user (users.is_active) with public fields only (no email) and
-- the user's counts.
-- Key: the user id. Staleness target: 5 s. No timer: nothing in a row
-- depends on the clock. Tests: data/tests/views.rs (the view and
-- keyed-structure checks), server/tests/api/profile.rs.

-- The definition. Counts are per-user LATERAL subqueries on the source
-- tables' user indexes (and, for the live projects, per-project ones on
-- their project_id indexes), so filtering on u.id costs only those users'
-- rows.
--
-- karma is as on the builders leaderboard: the proof score of the user's
-- live projects plus the upvotes (is_upvote) those projects received;
-- badges_received counts the badges on the user's live projects,
-- badges_given the badges the user gave (on any project). comment_count
-- counts all the user's comments, chains_followed the user's
-- chain_followers rows, chains_created the public active chains the user
-- created. There is no user-follows-user relation, so no follower count.
DROP VIEW IF EXISTS mv_user_profiles_def;
CREATE VIEW mv_user_profiles_def AS
SELECT
    u.id,
    u.username,
    u.bio,
    u.profile_image,
    u.role,
    u.is_verified,
    u.created_at,
    lp.proof_score + lp.upvotes AS karma,
    lp.proof_score AS total_proof_score,
    lp.upvotes AS upvotes_received,
    lp.projects AS project_count,
    lp.badges AS badges_received,
    bg.badges AS badges_given,
    cm.comments AS comment_count,
    cf.chains AS chains_followed,
    cc.chains AS chains_created
FROM users u
CROSS JOIN LATERAL (
    SELECT count(*) AS projects,
           coalesce(sum(p.proof_score), 0)::bigint AS proof_score,
           coalesce(sum(v.upvotes), 0)::bigint AS upvotes,
           coalesce(sum(b.badges), 0)::bigint AS badges
    FROM projects p
    CROSS JOIN LATERAL (
        SELECT count(*) AS upvotes FROM upvotes WHERE project_id = p.id AND is_upvote
    ) v
    CROSS JOIN LATERAL (
        SELECT count(*) AS badges FROM validation_badges WHERE project_id = p.id
    ) b
    WHERE p.user_id = u.id AND NOT p.is_deleted
) lp
CROSS JOIN LATERAL (
    SELECT count(*) AS badges FROM validation_badges WHERE validator_id = u.id
) bg
CROSS JOIN LATERAL (
    SELECT count(*) AS comments FROM comments WHERE user_id = u.id
) cm
CROSS JOIN LATERAL (
    SELECT count(*) AS chains FROM chain_followers WHERE user_id = u.id
) cf
CROSS JOIN LATERAL (
    SELECT count(*) AS chains FROM chains WHERE creator_id = u.id AND is_active AND is_public
) cc
WHERE u.is_active;

SELECT derived_register('mv_user_profiles', 'id', ARRAY['id'], interval '5 seconds');

CREATE UNIQUE INDEX IF NOT EXISTS mv_user_profiles_id ON mv_user_profiles (id);
-- The page's lookup (lower(username) = lower($1)). Not unique, unlike the
-- materialized view's: users_username_lower_key already makes the
-- definition's usernames unique, and a step writes its keys' rows upserts
-- first and in no set order, so when one batch both frees a name (a
-- rename or a deleted user) and gives it to another user, a unique index
-- would fail the step on the row that still holds the old name, and every
-- retry of it. For that moment the stale row can match too; the page
-- joins users on the id and is_active, and reads one row.
CREATE INDEX IF NOT EXISTS mv_user_profiles_username ON mv_user_profiles (lower(username));

-- Which writes change which keys.
-- users: the row itself.
CREATE OR REPLACE FUNCTION mv_user_profiles_mark_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mv_user_profiles_dirty (key)
    VALUES (CASE WHEN TG_OP = 'DELETE' THEN OLD.id ELSE NEW.id END);
    RETURN NULL;
END;
$$;

-- projects: the owner (both owners if an update moves the project).
CREATE OR REPLACE FUNCTION mv_user_profiles_mark_project() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO mv_user_profiles_dirty (key) VALUES (NEW.user_id);
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.user_id IS DISTINCT FROM NEW.user_id) THEN
        INSERT INTO mv_user_profiles_dirty (key) VALUES (OLD.user_id);
    END IF;
    RETURN NULL;
END;
$$;

-- upvotes: the owner of the project voted on (of both projects if an
-- update moves the vote). The voter's own counts do not include votes.
-- When the project goes in the same statement (a cascade), its delete has
-- logged the owner already.
CREATE OR REPLACE FUNCTION mv_user_profiles_mark_upvote() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mv_user_profiles_dirty (key)
    SELECT p.user_id FROM projects p
     WHERE p.id IN (CASE WHEN TG_OP <> 'DELETE' THEN NEW.project_id END,
                    CASE WHEN TG_OP <> 'INSERT' THEN OLD.project_id END);
    RETURN NULL;
END;
$$;

-- validation_badges: the owner of the project (badges_received) and the
-- validator (badges_given), old and new.
CREATE OR REPLACE FUNCTION mv_user_profiles_mark_badge() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO mv_user_profiles_dirty (key) VALUES (NEW.validator_id);
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.validator_id IS DISTINCT FROM NEW.validator_id) THEN
        INSERT INTO mv_user_profiles_dirty (key) VALUES (OLD.validator_id);
    END IF;
    INSERT INTO mv_user_profiles_dirty (key)
    SELECT p.user_id FROM projects p
     WHERE p.id IN (CASE WHEN TG_OP <> 'DELETE' THEN NEW.project_id END,
                    CASE WHEN TG_OP <> 'INSERT' THEN OLD.project_id END);
    RETURN NULL;
END;
$$;

-- comments, chain_followers: the user they belong to (both users if an
-- update moves the row).
CREATE OR REPLACE FUNCTION mv_user_profiles_mark_user_child() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO mv_user_profiles_dirty (key) VALUES (NEW.user_id);
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.user_id IS DISTINCT FROM NEW.user_id) THEN
        INSERT INTO mv_user_profiles_dirty (key) VALUES (OLD.user_id);
    END IF;
    RETURN NULL;
END;
$$;

-- chains: the creator (both creators if an update moves the chain).
CREATE OR REPLACE FUNCTION mv_user_profiles_mark_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO mv_user_profiles_dirty (key) VALUES (NEW.creator_id);
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.creator_id IS DISTINCT FROM NEW.creator_id) THEN
        INSERT INTO mv_user_profiles_dirty (key) VALUES (OLD.creator_id);
    END IF;
    RETURN NULL;
END;
$$;

CREATE OR REPLACE TRIGGER mv_user_profiles_mark
    AFTER INSERT OR DELETE ON users
    FOR EACH ROW EXECUTE FUNCTION mv_user_profiles_mark_user();
CREATE OR REPLACE TRIGGER mv_user_profiles_mark_update
    AFTER UPDATE OF username, bio, profile_image, role, is_verified, created_at, is_active ON users
    FOR EACH ROW
    WHEN (OLD.username IS DISTINCT FROM NEW.username
          OR OLD.bio IS DISTINCT FROM NEW.bio
          OR OLD.profile_image IS DISTINCT FROM NEW.profile_image
          OR OLD.role IS DISTINCT FROM NEW.role
          OR OLD.is_verified IS DISTINCT FROM NEW.is_verified
          OR OLD.created_at IS DISTINCT FROM NEW.created_at
          OR OLD.is_active IS DISTINCT FROM NEW.is_active)
    EXECUTE FUNCTION mv_user_profiles_mark_user();
-- projects: only the owner, the live flag and the proof score count here.
CREATE OR REPLACE TRIGGER mv_user_profiles_mark
    AFTER INSERT OR DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION mv_user_profiles_mark_project();
CREATE OR REPLACE TRIGGER mv_user_profiles_mark_update
    AFTER UPDATE OF user_id, is_deleted, proof_score ON projects
    FOR EACH ROW
    WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id
          OR OLD.is_deleted IS DISTINCT FROM NEW.is_deleted
          OR OLD.proof_score IS DISTINCT FROM NEW.proof_score)
    EXECUTE FUNCTION mv_user_profiles_mark_project();
CREATE OR REPLACE TRIGGER mv_user_profiles_mark
    AFTER INSERT OR DELETE ON upvotes
    FOR EACH ROW EXECUTE FUNCTION mv_user_profiles_mark_upvote();
CREATE OR REPLACE TRIGGER mv_user_profiles_mark_update
    AFTER UPDATE OF project_id, is_upvote ON upvotes
    FOR EACH ROW
    WHEN (OLD.project_id IS DISTINCT FROM NEW.project_id
          OR OLD.is_upvote IS DISTINCT FROM NEW.is_upvote)
    EXECUTE FUNCTION mv_user_profiles_mark_upvote();
CREATE OR REPLACE TRIGGER mv_user_profiles_mark
    AFTER INSERT OR DELETE ON validation_badges
    FOR EACH ROW EXECUTE FUNCTION mv_user_profiles_mark_badge();
CREATE OR REPLACE TRIGGER mv_user_profiles_mark_update
    AFTER UPDATE OF project_id, validator_id ON validation_badges
    FOR EACH ROW
    WHEN (OLD.project_id IS DISTINCT FROM NEW.project_id
          OR OLD.validator_id IS DISTINCT FROM NEW.validator_id)
    EXECUTE FUNCTION mv_user_profiles_mark_badge();
CREATE OR REPLACE TRIGGER mv_user_profiles_mark
    AFTER INSERT OR DELETE ON comments
    FOR EACH ROW EXECUTE FUNCTION mv_user_profiles_mark_user_child();
CREATE OR REPLACE TRIGGER mv_user_profiles_mark_update
    AFTER UPDATE OF user_id ON comments
    FOR EACH ROW WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id)
    EXECUTE FUNCTION mv_user_profiles_mark_user_child();
CREATE OR REPLACE TRIGGER mv_user_profiles_mark
    AFTER INSERT OR DELETE ON chain_followers
    FOR EACH ROW EXECUTE FUNCTION mv_user_profiles_mark_user_child();
CREATE OR REPLACE TRIGGER mv_user_profiles_mark_update
    AFTER UPDATE OF user_id ON chain_followers
    FOR EACH ROW WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id)
    EXECUTE FUNCTION mv_user_profiles_mark_user_child();
CREATE OR REPLACE TRIGGER mv_user_profiles_mark
    AFTER INSERT OR DELETE ON chains
    FOR EACH ROW EXECUTE FUNCTION mv_user_profiles_mark_chain();
CREATE OR REPLACE TRIGGER mv_user_profiles_mark_update
    AFTER UPDATE OF creator_id, is_active, is_public ON chains
    FOR EACH ROW
    WHEN (OLD.creator_id IS DISTINCT FROM NEW.creator_id
          OR OLD.is_active IS DISTINCT FROM NEW.is_active
          OR OLD.is_public IS DISTINCT FROM NEW.is_public)
    EXECUTE FUNCTION mv_user_profiles_mark_chain();
