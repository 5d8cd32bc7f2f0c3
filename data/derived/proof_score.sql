-- proof_score: the derived column projects.proof_score, the weighted sum
-- of the project's validation badges (any validator, whether or not the
-- project is soft-deleted): sum of badge_weight(badge_type). The weights
-- live only in badge_weight() below.
-- Category A, real time: kept by row triggers in the writer's transaction
-- (the one that awards, revokes, re-types or moves a badge), so it is
-- exact at every commit. Staleness target: none (0); no refresher, no
-- dirty log. data::reconcile recomputes it from the definition and repairs
-- it (`server reconcile --repair`). Key: projects.id.
--
-- Column: projects.proof_score (INT NOT NULL DEFAULT 0, CHECK >= 0) and its
-- index idx_projects_category_score belong to the projects table
-- (migration 20261125000001_base_schema.sql); migration
-- 20261125000010_proof_score.sql backfilled it. They stay there: this file
-- holds only the functions and triggers, and is re-applied (idempotently)
-- after the migrations on every start.
--
-- Read by: the project page's live badges and score (data::badges::live),
-- the builder's own projects (data::my_projects), a chain's projects
-- (data::chains::projects); copied by the definitions of the keyed
-- structures mv_feed_projects, mv_project_details, mv_search_index and
-- mv_user_profiles (feed, project pages, search, leaderboards, profiles);
-- and moved into the owner's user_dashboard_stats.total_proof_score and
-- karma_score by the projects trigger of user_dashboard_stats.sql.
--
-- Kept by triggers on:
--   validation_badges  derived_00_lock_project (BEFORE INSERT),
--                      derived_40_proof_score (AFTER INSERT, DELETE,
--                      UPDATE OF badge_type, project_id);
--   projects           derived_00_proof_score_starts_at_zero (BEFORE
--                      INSERT, when proof_score <> 0).
-- Tests: data/tests/realtime_tables.rs (the proof score rule and the badge
-- lock order), data/tests/replaceable_schema.rs (proof_score_*).
--
-- Lock order. Every Category A trigger takes its locks in one global
-- order, so that two writers never wait for each other in a cycle:
--   1. the project row, when the values depend on it (FOR NO KEY UPDATE);
--      for validation_badges it comes before the badge row itself;
--   2. user_dashboard_stats rows, ascending user_id;
--   3. intro_request_stats rows, ascending user_id;
--   4. message_conversations_denorm rows, ascending (user_id, other_user_id).
-- PostgreSQL fires the triggers of one table and event in name order, so
-- the names carry the order and must not change. On validation_badges:
-- derived_00_lock_project (BEFORE INSERT: the project, before the badge row
-- and its unique index entry exist), then AFTER: derived_05_notifications,
-- derived_10_user_dashboard_stats (locks the project, or both projects in
-- id order when a badge moves, then the dashboard rows),
-- derived_40_proof_score (writes the project rows already locked).
-- Writers' rule: to delete, re-type or move a badge, lock its project
-- first (SELECT 1 FROM projects p JOIN validation_badges b ON b.project_id
-- = p.id WHERE b.id = $1 FOR NO KEY UPDATE OF p), then write the badge. A
-- concurrent hard delete of the project holds the project and waits for
-- the badge row; without the rule the two deadlock.

-- The one place the weights live. An unknown type yields NULL, which makes
-- the trigger's UPDATE violate projects.proof_score NOT NULL: a new badge
-- type without a weight fails loudly instead of counting as 0.
CREATE OR REPLACE FUNCTION badge_weight(badge_type text) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE badge_type
        WHEN 'code_quality' THEN 10
        WHEN 'innovation'   THEN 10
        WHEN 'impact'       THEN 15
        WHEN 'design'       THEN 5
        WHEN 'security'     THEN 10
    END
$$;

-- Badge inserts take their project's lock before the badge row exists.
-- Taken in an AFTER trigger, the lock came after the badge row and its
-- unique index entry (project, validator, type): a concurrent re-type of
-- another badge of the same project to the same key, which holds the
-- project first (the writers' rule above), then waited for the insert's
-- uncommitted index entry while the insert waited for the project: a
-- deadlock (found by the randomized workload of data/tests/workload.rs).
-- Locking the project in a BEFORE trigger puts inserts in the global order
-- (project, then badge). Regression test: realtime_tables.rs,
-- badge_insert_and_retype_to_the_same_key_do_not_deadlock. The
-- notification and dashboard triggers of a badge insert rely on it too.
CREATE OR REPLACE FUNCTION validation_badges_lock_project() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM projects WHERE id = NEW.project_id FOR NO KEY UPDATE;
    RETURN NEW;
END;
$$;

CREATE OR REPLACE TRIGGER derived_00_lock_project
BEFORE INSERT ON validation_badges
FOR EACH ROW EXECUTE FUNCTION validation_badges_lock_project();

-- Relative updates only (proof_score = proof_score + d): concurrent awards on
-- one project never lose each other. A badge whose project is being deleted
-- in the same statement finds no row and changes nothing.
CREATE OR REPLACE FUNCTION proof_score_on_validation_badges() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.project_id = NEW.project_id THEN
        IF badge_weight(NEW.badge_type) IS DISTINCT FROM badge_weight(OLD.badge_type) THEN
            UPDATE projects
            SET proof_score = proof_score + badge_weight(NEW.badge_type) - badge_weight(OLD.badge_type)
            WHERE id = NEW.project_id;
        END IF;
        RETURN NULL;
    END IF;
    -- Both project rows (when a badge moves) were locked in id order by
    -- derived_10_user_dashboard_stats, which fires first.
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        UPDATE projects SET proof_score = proof_score - badge_weight(OLD.badge_type)
        WHERE id = OLD.project_id;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        UPDATE projects SET proof_score = proof_score + badge_weight(NEW.badge_type)
        WHERE id = NEW.project_id;
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER derived_40_proof_score
AFTER INSERT OR DELETE OR UPDATE OF badge_type, project_id ON validation_badges
FOR EACH ROW EXECUTE FUNCTION proof_score_on_validation_badges();

-- proof_score is derived: a new project has no badges, so it starts at 0.
-- Writing another value would be drift from day one; refuse it loudly.
CREATE OR REPLACE FUNCTION proof_score_starts_at_zero() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'projects.proof_score is derived from validation_badges; insert 0 (got %)', NEW.proof_score
        USING ERRCODE = 'check_violation',
              CONSTRAINT = 'projects_proof_score_derived',
              HINT = 'Award badges instead; see docs/DERIVED-DATA.md.';
END
$$;

CREATE OR REPLACE TRIGGER derived_00_proof_score_starts_at_zero
BEFORE INSERT ON projects
FOR EACH ROW WHEN (NEW.proof_score <> 0)
EXECUTE FUNCTION proof_score_starts_at_zero();
