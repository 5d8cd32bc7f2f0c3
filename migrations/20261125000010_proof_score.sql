-- Derived column projects.proof_score (SEED-REVIEW item 9): the weighted sum
-- of the project's validation badges, maintained in the transaction that
-- awards, revokes or re-types a badge. Definitions, weights and the lock
-- order every trigger of this family follows: docs/DERIVED-DATA.md.
--
-- Trigger names carry a number because PostgreSQL fires the triggers of one
-- event in name order and the lock order depends on it:
--   derived_10_user_dashboard_stats   (locks the project row, then dashboard rows)
--   derived_20_intro_request_stats
--   derived_30_message_conversations
--   derived_40_proof_score            (writes the project row it already locked)

-- No writer may slip in between the backfill and the triggers.
LOCK TABLE projects, validation_badges IN SHARE ROW EXCLUSIVE MODE;

-- The one place the weights live. An unknown type yields NULL, which makes
-- the UPDATE below violate projects.proof_score NOT NULL: a new badge type
-- without a weight fails loudly instead of counting as 0.
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

CREATE TRIGGER derived_40_proof_score
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

CREATE TRIGGER derived_00_proof_score_starts_at_zero
BEFORE INSERT ON projects
FOR EACH ROW WHEN (NEW.proof_score <> 0)
EXECUTE FUNCTION proof_score_starts_at_zero();

-- Backfill: whatever was stored before becomes the definition's value.
UPDATE projects p
SET proof_score = t.proof_score
FROM (
    SELECT p2.id, COALESCE(SUM(badge_weight(b.badge_type)), 0)::int AS proof_score
    FROM projects p2
    LEFT JOIN validation_badges b ON b.project_id = p2.id
    GROUP BY p2.id
) t
WHERE t.id = p.id AND p.proof_score IS DISTINCT FROM t.proof_score;
