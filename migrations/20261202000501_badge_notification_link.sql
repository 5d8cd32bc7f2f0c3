-- The badge notification links to the project page itself (as the award
-- action did before the triggers took over notifications).
CREATE OR REPLACE FUNCTION notifications_on_validation_badges() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    owner uuid;
    title text;
    live  boolean;
BEGIN
    IF notifications_skipped() THEN
        RETURN NULL;
    END IF;
    SELECT p.user_id, p.title, NOT p.is_deleted INTO owner, title, live
    FROM projects p WHERE p.id = NEW.project_id;
    IF NOT live OR owner = NEW.validator_id THEN
        RETURN NULL;
    END IF;
    PERFORM notifications_lock_users(ARRAY[NEW.validator_id, owner]);
    INSERT INTO notifications (user_id, actor_id, kind, message, link)
    VALUES (owner, NEW.validator_id, 'badge',
            notifications_username(NEW.validator_id) || ' awarded "'
                || notification_cut(title, 120) || '" a '
                || replace(NEW.badge_type, '_', ' ') || ' badge',
            '/p/' || NEW.project_id);
    RETURN NULL;
END
$$;
