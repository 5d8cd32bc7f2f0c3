-- notifications: the rows of the notifications table that events create,
-- written by row triggers in the same transaction as the event they
-- report (a comment, a badge, an intro request or its answer, a forum
-- reply, an investor application decision).
-- Category A, real time: the notification commits with its event or not
-- at all. Staleness target: none (0); no refresher, no dirty log. The
-- recipient's user_dashboard_stats.unread_notifications follows through
-- that table's own trigger on notifications (user_dashboard_stats.sql).
-- Notifications are event records, not a recomputable definition:
-- data::reconcile checks the unread counters, not these rows.
--
-- Table: notifications (kind CHECK, message length CHECK; indexes
-- idx_notifications_user_unread, idx_notifications_user_created) belongs to
-- migration 20261125000001_base_schema.sql and stays there; the triggers
-- were created by migrations 20261202000500_notification_triggers.sql,
-- 20261202000501_badge_notification_link.sql (the current
-- notifications_on_validation_badges) and 20261202000502_reply_lock_order.sql
-- (notifications_before_comment_insert). This file holds their current
-- functions and triggers and is re-applied (idempotently) after the
-- migrations on every start.
--
-- Read by: /notifications (data::notifications: keyset pages, mark read);
-- the unread badge of the navigation reads user_dashboard_stats.
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
-- Nothing on a deleted project or post.
--
-- Kept by triggers (FOR EACH ROW) on:
--   comments             derived_00_notifications_lock (BEFORE INSERT),
--                        derived_05_notifications (AFTER INSERT)
--   validation_badges    derived_05_notifications (AFTER INSERT)
--   intro_requests       derived_05_notifications (AFTER INSERT, UPDATE OF
--                        status)
--   chain_post_comments  derived_05_notifications (AFTER INSERT)
--   investor_requests    derived_05_notifications (AFTER UPDATE OF status)
-- `SET LOCAL proofwork.skip_notifications = on` turns them off for one
-- transaction (the demo seed loads its own notifications).
-- Tests: data/tests/notifications.rs, data/tests/replaceable_schema.rs
-- (notifications_*).
--
-- Lock order. Every Category A trigger takes its locks in one global order
-- (the source row; the project row; user_dashboard_stats rows, ascending
-- user_id; then intro_request_stats, then message_conversations_denorm
-- rows), so two writers never wait for each other in a cycle. PostgreSQL
-- fires the triggers of one table and event in name order, so the names
-- carry the order and must not change: derived_05_notifications fires
-- before derived_10_user_dashboard_stats and, when its event also moves
-- dashboard counters, first locks every dashboard row the event will touch
-- (actor and recipients) in ascending user_id order, so the
-- notification's counter update and the event's own counter updates never
-- take two rows out of order. (The chain_post_comments and
-- investor_requests triggers touch one dashboard row, the recipient's, and
-- their events move no dashboard counter, so they lock nothing first.) A
-- badge's project is already locked by derived_00_lock_project
-- (proof_score.sql); a comment takes its project and its parent before it
-- is written (derived_00_notifications_lock, below).

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

CREATE OR REPLACE TRIGGER derived_05_notifications
AFTER INSERT ON comments
FOR EACH ROW EXECUTE FUNCTION notifications_on_comments();

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

CREATE OR REPLACE TRIGGER derived_00_notifications_lock
BEFORE INSERT ON comments
FOR EACH ROW EXECUTE FUNCTION notifications_before_comment_insert();

-- ------------------------------------------------------ validation_badges --

-- The project is already locked (derived_00_lock_project, BEFORE INSERT).
-- The notification links to the project page itself (as the award action
-- did before the triggers took over notifications).
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

CREATE OR REPLACE TRIGGER derived_05_notifications
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

CREATE OR REPLACE TRIGGER derived_05_notifications
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

CREATE OR REPLACE TRIGGER derived_05_notifications
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

CREATE OR REPLACE TRIGGER derived_05_notifications
AFTER UPDATE OF status ON investor_requests
FOR EACH ROW EXECUTE FUNCTION notifications_on_investor_requests();
