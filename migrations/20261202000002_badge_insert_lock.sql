-- Badge inserts take their project's lock before the badge row exists.
--
-- Found by the randomized workload of data/tests/workload.rs (a deadlock):
-- a badge INSERT took its project's lock in its AFTER row triggers, that is
-- after its row and unique index entry (project, validator, type) existed.
-- A concurrent re-type of another badge of the same project to the same key
-- holds the project first (the writers' rule, docs/DERIVED-DATA.md) and
-- then waits for the insert's uncommitted index entry, while the insert
-- waits for the project: a deadlock. Locking the project in a BEFORE
-- trigger puts inserts in the global lock order (project, then badge).
-- Regression test: realtime_tables.rs, badge_insert_and_retype_to_the_same_key_do_not_deadlock.
CREATE FUNCTION validation_badges_lock_project() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM projects WHERE id = NEW.project_id FOR NO KEY UPDATE;
    RETURN NEW;
END;
$$;

CREATE TRIGGER derived_00_lock_project
BEFORE INSERT ON validation_badges
FOR EACH ROW EXECUTE FUNCTION validation_badges_lock_project();
