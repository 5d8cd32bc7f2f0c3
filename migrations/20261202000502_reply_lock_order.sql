-- A reply's notification waits for the parent author's and the owner's
-- dashboard rows. Without this, a reply held its parent (the foreign-key
-- check's KEY SHARE) while waiting for those rows, and deleting an
-- ancestor of the parent (which locks the thread FOR SHARE, then the
-- authors' dashboard rows, then deletes the thread) waited for the parent:
-- a deadlock (seen once by the randomized workload). Before the row is
-- written, a comment now takes the project (as its foreign key would) and
-- then its parent FOR NO KEY UPDATE, so it queues behind a thread delete
-- before holding any dashboard row, and a thread delete queues behind it.
-- Concurrent replies to the same comment are serialized (briefly).
CREATE OR REPLACE FUNCTION notifications_before_comment_insert() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF notifications_skipped() THEN
        RETURN NEW;
    END IF;
    PERFORM 1 FROM projects WHERE id = NEW.project_id FOR KEY SHARE;
    IF NEW.parent_id IS NOT NULL THEN
        PERFORM 1 FROM comments WHERE id = NEW.parent_id FOR NO KEY UPDATE;
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER derived_00_notifications_lock
BEFORE INSERT ON comments
FOR EACH ROW EXECUTE FUNCTION notifications_before_comment_insert();
