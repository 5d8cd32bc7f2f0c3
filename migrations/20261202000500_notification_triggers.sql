-- Notifications, written by triggers in the same transaction as the event
-- they report, and a NOTIFY whenever a user's unread counters change (the
-- live badges of the navigation, server/src/events.rs).
--
-- Who is told (never the actor: actor = recipient gives nothing, and one
-- event gives at most one notification per person):
--   comments insert            -> parent's author: 'reply' (a reply);
--                                 project owner: 'comment' (unless they are
--                                 also the parent's author: they got 'reply')
--   validation_badges insert   -> project owner: 'badge'
--   intro_requests insert      -> builder: 'intro_request'
--   intro_requests status      -> investor: 'intro_answer' (pending ->
--                                 approved / rejected)
--   chain_post_comments insert -> post author: 'forum_reply'
--   investor_requests status   -> applicant: 'investor_decision' (pending ->
--                                 approved / rejected)
--
-- Lock order (docs/DERIVED-DATA.md): each trigger is named derived_05_* so
-- it fires before derived_10_user_dashboard_stats, and locks every
-- dashboard row the event will touch (actor and recipients) in ascending
-- user_id order before inserting, so the notification's counter update and
-- the event's own counter updates never take two rows out of order.
--
-- `SET LOCAL proofwork.skip_notifications = on` turns the triggers off for a
-- transaction (the demo seed loads its own notifications).

CREATE OR REPLACE FUNCTION notifications_skipped() RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT coalesce(current_setting('proofwork.skip_notifications', true), '') = 'on'
$$;

-- A title for a message: at most `n` characters, with an ellipsis when cut.
CREATE OR REPLACE FUNCTION notification_cut(s text, n int) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN char_length(btrim(s)) > n
                THEN left(btrim(s), n - 1) || '…' ELSE btrim(s) END
$$;

-- Locks the dashboard rows of these users, ascending (the global order).
CREATE OR REPLACE FUNCTION notifications_lock_users(ids uuid[]) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM 1 FROM user_dashboard_stats
    WHERE user_id = ANY (ids)
    ORDER BY user_id
    FOR NO KEY UPDATE;
END
$$;

CREATE OR REPLACE FUNCTION notifications_username(id uuid) RETURNS text
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT username FROM users WHERE users.id = $1), 'Someone')
$$;

-- ------------------------------------------------------------- comments --

CREATE OR REPLACE FUNCTION notifications_on_comments() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    owner        uuid;
    title        text;
    live         boolean;
    parent_author uuid;
    actor        text;
    link         text;
BEGIN
    IF notifications_skipped() THEN
        RETURN NULL;
    END IF;
    SELECT p.user_id, p.title, NOT p.is_deleted INTO owner, title, live
    FROM projects p WHERE p.id = NEW.project_id;
    IF NOT live THEN
        RETURN NULL;
    END IF;
    IF NEW.parent_id IS NOT NULL THEN
        SELECT c.user_id INTO parent_author FROM comments c WHERE c.id = NEW.parent_id;
    END IF;
    IF parent_author IS NOT DISTINCT FROM NEW.user_id THEN
        parent_author := NULL;
    END IF;
    IF owner = NEW.user_id OR owner = parent_author THEN
        owner := NULL;
    END IF;
    IF owner IS NULL AND parent_author IS NULL THEN
        RETURN NULL;
    END IF;
    PERFORM notifications_lock_users(ARRAY[NEW.user_id, owner, parent_author]);
    actor := notifications_username(NEW.user_id);
    link := '/p/' || NEW.project_id || '#comment-' || NEW.id;
    IF parent_author IS NOT NULL THEN
        INSERT INTO notifications (user_id, actor_id, kind, message, link)
        VALUES (parent_author, NEW.user_id, 'reply',
                actor || ' replied to your comment on "' || notification_cut(title, 120) || '"',
                link);
    END IF;
    IF owner IS NOT NULL THEN
        INSERT INTO notifications (user_id, actor_id, kind, message, link)
        VALUES (owner, NEW.user_id, 'comment',
                actor || ' commented on your project "' || notification_cut(title, 120) || '"',
                link);
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER derived_05_notifications
AFTER INSERT ON comments
FOR EACH ROW EXECUTE FUNCTION notifications_on_comments();

-- ------------------------------------------------------ validation_badges --

-- The project is already locked (derived_00_lock_project, BEFORE INSERT).
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
            notifications_username(NEW.validator_id) || ' awarded a '
                || replace(NEW.badge_type, '_', ' ') || ' badge to "'
                || notification_cut(title, 120) || '"',
            '/p/' || NEW.project_id || '#badges');
    RETURN NULL;
END
$$;

CREATE TRIGGER derived_05_notifications
AFTER INSERT ON validation_badges
FOR EACH ROW EXECUTE FUNCTION notifications_on_validation_badges();

-- ------------------------------------------------------- intro_requests --

CREATE OR REPLACE FUNCTION notifications_on_intro_requests() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF notifications_skipped() THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        PERFORM notifications_lock_users(ARRAY[NEW.investor_id, NEW.builder_id]);
        INSERT INTO notifications (user_id, actor_id, kind, message, link)
        VALUES (NEW.builder_id, NEW.investor_id, 'intro_request',
                notifications_username(NEW.investor_id) || ' asked you for an introduction',
                '/intros');
    ELSIF OLD.status = 'pending' AND NEW.status IN ('approved', 'rejected') THEN
        PERFORM notifications_lock_users(ARRAY[NEW.investor_id, NEW.builder_id]);
        INSERT INTO notifications (user_id, actor_id, kind, message, link)
        VALUES (NEW.investor_id, NEW.builder_id, 'intro_answer',
                notifications_username(NEW.builder_id)
                    || CASE NEW.status WHEN 'approved' THEN ' accepted' ELSE ' declined' END
                    || ' your introduction request',
                '/intros');
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER derived_05_notifications
AFTER INSERT OR UPDATE OF status ON intro_requests
FOR EACH ROW EXECUTE FUNCTION notifications_on_intro_requests();

-- -------------------------------------------------- chain_post_comments --

CREATE OR REPLACE FUNCTION notifications_on_chain_post_comments() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    author uuid;
    chain  uuid;
    title  text;
BEGIN
    IF notifications_skipped() THEN
        RETURN NULL;
    END IF;
    SELECT p.author_id, p.chain_id, p.title INTO author, chain, title
    FROM chain_posts p WHERE p.id = NEW.post_id AND NOT p.is_deleted;
    IF author IS NULL OR author = NEW.author_id THEN
        RETURN NULL;
    END IF;
    INSERT INTO notifications (user_id, actor_id, kind, message, link)
    VALUES (author, NEW.author_id, 'forum_reply',
            notifications_username(NEW.author_id) || ' commented on your post "'
                || notification_cut(title, 120) || '"',
            '/c/' || chain || '/posts/' || NEW.post_id || '#comment-' || NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER derived_05_notifications
AFTER INSERT ON chain_post_comments
FOR EACH ROW EXECUTE FUNCTION notifications_on_chain_post_comments();

-- ---------------------------------------------------- investor_requests --

CREATE OR REPLACE FUNCTION notifications_on_investor_requests() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF notifications_skipped() THEN
        RETURN NULL;
    END IF;
    IF OLD.status = 'pending' AND NEW.status IN ('approved', 'rejected')
       AND NEW.reviewed_by IS DISTINCT FROM NEW.user_id THEN
        INSERT INTO notifications (user_id, actor_id, kind, message, link)
        VALUES (NEW.user_id, NEW.reviewed_by, 'investor_decision',
                CASE NEW.status
                    WHEN 'approved' THEN 'Your investor application was approved'
                    ELSE 'Your investor application was not approved' END,
                '/investor/apply');
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER derived_05_notifications
AFTER UPDATE OF status ON investor_requests
FOR EACH ROW EXECUTE FUNCTION notifications_on_investor_requests();

-- ------------------------------------------------- unread change events --

-- One NOTIFY per changed user (PostgreSQL delivers it at commit, once per
-- distinct payload per transaction); the server's single LISTEN connection
-- fans it out to that user's open event streams.
CREATE OR REPLACE FUNCTION user_dashboard_stats_notify_unread() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('unread_counts', NEW.user_id::text);
    RETURN NULL;
END
$$;

CREATE TRIGGER notify_unread_counts
AFTER UPDATE OF unread_messages, unread_notifications ON user_dashboard_stats
FOR EACH ROW
WHEN (OLD.unread_messages IS DISTINCT FROM NEW.unread_messages
      OR OLD.unread_notifications IS DISTINCT FROM NEW.unread_notifications)
EXECUTE FUNCTION user_dashboard_stats_notify_unread();
