-- user_dashboard_stats: one row per user with every counter of the
-- signed-in user's dashboard (project_count, active_projects,
-- total_proof_score, comment_count, badges_given, badges_received,
-- intros_sent, intros_received, intro_requests_pending, karma_score,
-- unread_messages, unread_notifications). "Live" means projects.is_deleted
-- = false; karma_score = total_proof_score + the upvotes (is_upvote) on the
-- user's live projects.
-- Category A, real time: kept by row triggers in the writer's transaction,
-- so a just-created project or a new message counts at once. Staleness
-- target: none (0); no refresher, no dirty log. data::reconcile recomputes
-- every counter from its definition and repairs it (`server reconcile
-- --repair`); definitions: docs/DERIVED-DATA.md. Key: user_id.
--
-- Table: user_dashboard_stats (user_id PRIMARY KEY, ON DELETE CASCADE from
-- users; CHECK (x >= 0) on every counter plus active_projects <=
-- project_count, intro_requests_pending <= intros_received, karma_score >=
-- total_proof_score, so drift fails loudly instead of being clamped; no
-- index besides the key) and the composite type user_dashboard_stats_delta
-- (one change to some counters of one user) are created, and backfilled
-- with real values, by migration 20261125000011_user_dashboard_stats.sql.
-- They stay there (a type cannot be replaced while these functions use
-- it); this file holds only the functions and triggers, and is re-applied
-- (idempotently) after the migrations on every start.
--
-- Read by: /dashboard (data::dashboard::stats), the navigation's unread
-- counts (data::dashboard::unread), the live unread stream /events/unread
-- (server/src/events.rs, woken by NOTIFY unread_counts from the trigger
-- notify_unread_counts below), a profile not yet in mv_user_profiles
-- (data::profiles), and data::reconcile.
--
-- Kept by triggers (AFTER ... FOR EACH ROW unless noted) on:
--   users              derived_10_user_dashboard_stats (INSERT: the row)
--   projects           derived_10_user_dashboard_stats (INSERT, UPDATE OF
--                      user_id, is_deleted, proof_score),
--                      derived_10_user_dashboard_stats_delete (BEFORE DELETE)
--   comments           derived_10_user_dashboard_stats,
--                      derived_10_user_dashboard_stats_delete (BEFORE DELETE)
--   upvotes, validation_badges, intro_requests, direct_messages,
--   notifications      derived_10_user_dashboard_stats
-- and, on the table itself, notify_unread_counts (AFTER UPDATE OF
-- unread_messages, unread_notifications, when either changed).
-- Tests: data/tests/realtime_tables.rs (one per transition, the randomized
-- concurrent workload), data/tests/notifications.rs (NOTIFY),
-- data/tests/replaceable_schema.rs (user_dashboard_stats_*).
--
-- Rules the functions rely on:
-- * Counters move by relative updates (x = x + d): no lost updates. Every
--   trigger hands its deltas to user_dashboard_stats_apply, which sums them
--   per user, skips zero changes and updates one row per user in ascending
--   user_id order.
-- * Global lock order, followed by every Category A trigger: the source
--   row being written; the project row when the counters depend on it;
--   user_dashboard_stats rows, ascending user_id; intro_request_stats rows,
--   ascending user_id; message_conversations_denorm rows, ascending
--   (user_id, other_user_id). PostgreSQL fires the triggers of one table
--   and event in name order, so the names carry the order and must not
--   change: derived_00_* (BEFORE: early locks), derived_05_notifications
--   (locks the dashboard rows its event touches, ascending),
--   derived_10_user_dashboard_stats, derived_20_intro_request_stats,
--   derived_30_message_conversations, derived_40_proof_score.
-- * Project state vs. child rows: a soft delete, un-delete or owner change
--   holds the project row, then locks its upvotes FOR SHARE, then counts
--   its upvotes and badges. An upvote insert locks the project FOR SHARE;
--   an upvote delete or flip does not lock the project (it holds the upvote
--   row, which the transition waits for). Badge triggers lock the project
--   FOR NO KEY UPDATE before any dashboard row (both projects in id order
--   when a badge moves; derived_40_proof_score relies on that lock).
-- * A hard delete of a project (BEFORE DELETE) counts the project's share
--   while its badges and upvotes still exist, then locks the rows the
--   cascades will delete or update and the dashboard rows they will touch,
--   ascending; deleting a comment with replies does the same for its
--   thread and authors. The cascades then take no lock out of order.
-- * While data::reconcile repairs proof_score it sets
--   proofwork.reconciling = on, and the projects trigger does not move the
--   dashboard (it is rewritten from its definition right after).
-- * Run writes at READ COMMITTED: the functions rely on each statement
--   taking a fresh snapshot after waiting for a lock.

-- A change to some counters of one user, of type user_dashboard_stats_delta
-- (migration 20261125000011). Built with named arguments, e.g.
-- user_dashboard_stats_delta(NEW.user_id, comment_count => 1).
CREATE OR REPLACE FUNCTION user_dashboard_stats_delta(
    user_id                 UUID,
    project_count           INT DEFAULT 0,
    active_projects         INT DEFAULT 0,
    total_proof_score       INT DEFAULT 0,
    comment_count           INT DEFAULT 0,
    badges_given            INT DEFAULT 0,
    badges_received         INT DEFAULT 0,
    intros_sent             INT DEFAULT 0,
    intros_received         INT DEFAULT 0,
    intro_requests_pending  INT DEFAULT 0,
    karma_score             INT DEFAULT 0,
    unread_messages         INT DEFAULT 0,
    unread_notifications    INT DEFAULT 0
) RETURNS user_dashboard_stats_delta
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ROW(user_id, project_count, active_projects, total_proof_score, comment_count,
               badges_given, badges_received, intros_sent, intros_received,
               intro_requests_pending, karma_score, unread_messages,
               unread_notifications)::user_dashboard_stats_delta
$$;

-- Applies changes: summed per user, zero changes skipped (no lock taken),
-- rows updated in ascending user_id order. A missing row for a user that
-- exists is corruption and raises; during a user's own deletion cascade the
-- row is legitimately gone and the change is dropped with it.
CREATE OR REPLACE FUNCTION user_dashboard_stats_apply(deltas user_dashboard_stats_delta[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    d user_dashboard_stats_delta;
BEGIN
    FOR d IN
        SELECT x.user_id,
               sum(x.project_count)::int, sum(x.active_projects)::int,
               sum(x.total_proof_score)::int, sum(x.comment_count)::int,
               sum(x.badges_given)::int, sum(x.badges_received)::int,
               sum(x.intros_sent)::int, sum(x.intros_received)::int,
               sum(x.intro_requests_pending)::int, sum(x.karma_score)::int,
               sum(x.unread_messages)::int, sum(x.unread_notifications)::int
        FROM unnest(deltas) AS x
        WHERE x.user_id IS NOT NULL
        GROUP BY x.user_id
        ORDER BY x.user_id
    LOOP
        CONTINUE WHEN d = user_dashboard_stats_delta(d.user_id);
        UPDATE user_dashboard_stats s SET
            project_count          = s.project_count + d.project_count,
            active_projects        = s.active_projects + d.active_projects,
            total_proof_score      = s.total_proof_score + d.total_proof_score,
            comment_count          = s.comment_count + d.comment_count,
            badges_given           = s.badges_given + d.badges_given,
            badges_received        = s.badges_received + d.badges_received,
            intros_sent            = s.intros_sent + d.intros_sent,
            intros_received        = s.intros_received + d.intros_received,
            intro_requests_pending = s.intro_requests_pending + d.intro_requests_pending,
            karma_score            = s.karma_score + d.karma_score,
            unread_messages        = s.unread_messages + d.unread_messages,
            unread_notifications   = s.unread_notifications + d.unread_notifications,
            last_updated_at        = now()
        WHERE s.user_id = d.user_id;
        IF NOT FOUND AND EXISTS (SELECT 1 FROM users WHERE id = d.user_id) THEN
            RAISE EXCEPTION 'user_dashboard_stats has no row for user %', d.user_id
                USING ERRCODE = 'no_data_found',
                      HINT = 'Run `server reconcile --repair`.';
        END IF;
    END LOOP;
END
$$;

-- What one project contributes to its owner's row (sign +1 to add, -1 to
-- remove). badges and upvotes are the project's current counts.
CREATE OR REPLACE FUNCTION user_dashboard_stats_project_share(
    owner UUID, is_deleted BOOLEAN, proof_score INT, badges INT, upvotes INT, sign INT
) RETURNS user_dashboard_stats_delta
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT user_dashboard_stats_delta(owner,
        project_count     => sign,
        active_projects   => CASE WHEN is_deleted THEN 0 ELSE sign END,
        total_proof_score => CASE WHEN is_deleted THEN 0 ELSE sign * proof_score END,
        badges_received   => CASE WHEN is_deleted THEN 0 ELSE sign * badges END,
        karma_score       => CASE WHEN is_deleted THEN 0 ELSE sign * (proof_score + upvotes) END)
$$;

-- ---------------------------------------------------------------- users --

CREATE OR REPLACE FUNCTION user_dashboard_stats_on_users() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO user_dashboard_stats (user_id) VALUES (NEW.id);
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER derived_10_user_dashboard_stats
AFTER INSERT ON users
FOR EACH ROW EXECUTE FUNCTION user_dashboard_stats_on_users();

-- ------------------------------------------------------------- projects --

-- Insert, soft delete, un-delete, owner change, proof_score change.
CREATE OR REPLACE FUNCTION user_dashboard_stats_on_projects() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    n_badges  int;
    n_upvotes int;
BEGIN
    IF TG_OP = 'INSERT' THEN
        -- A project being inserted has no badges or upvotes yet: theirs are
        -- added by their own triggers.
        PERFORM user_dashboard_stats_apply(ARRAY[user_dashboard_stats_project_share(
            NEW.user_id, NEW.is_deleted, NEW.proof_score, 0, 0, 1)]);
    ELSIF OLD.user_id = NEW.user_id AND OLD.is_deleted = NEW.is_deleted THEN
        -- Only proof_score moved (a badge was awarded, revoked or re-typed).
        -- data::reconcile sets proofwork.reconciling while it repairs
        -- proof_score: it rewrites the dashboard rows from their definition
        -- right after, and a relative change here could break a CHECK.
        IF NOT NEW.is_deleted
           AND current_setting('proofwork.reconciling', true) IS DISTINCT FROM 'on' THEN
            PERFORM user_dashboard_stats_apply(ARRAY[user_dashboard_stats_delta(NEW.user_id,
                total_proof_score => NEW.proof_score - OLD.proof_score,
                karma_score       => NEW.proof_score - OLD.proof_score)]);
        END IF;
    ELSE
        -- Soft delete, un-delete or owner change: move the project's whole
        -- share. This UPDATE holds the project row, so no badge can change
        -- (badge triggers lock the project first); upvote triggers do not
        -- lock the project, so lock its upvotes here: an upvote being
        -- deleted or flipped finishes first, and one being inserted waits
        -- for this transaction (it takes FOR SHARE on the project).
        SELECT count(*) FILTER (WHERE u.is_upvote) INTO n_upvotes
        FROM (SELECT is_upvote FROM upvotes WHERE project_id = NEW.id FOR SHARE) u;
        SELECT count(*) INTO n_badges FROM validation_badges WHERE project_id = NEW.id;
        PERFORM user_dashboard_stats_apply(ARRAY[
            user_dashboard_stats_project_share(OLD.user_id, OLD.is_deleted, OLD.proof_score, n_badges, n_upvotes, -1),
            user_dashboard_stats_project_share(NEW.user_id, NEW.is_deleted, NEW.proof_score, n_badges, n_upvotes, 1)]);
    END IF;
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER derived_10_user_dashboard_stats
AFTER INSERT OR UPDATE OF user_id, is_deleted, proof_score ON projects
FOR EACH ROW EXECUTE FUNCTION user_dashboard_stats_on_projects();

-- Hard delete. Runs BEFORE the row goes, while its badges and upvotes can
-- still be counted: the cascades that follow find the project gone and
-- leave the owner's row alone (they still update commenters' and
-- validators' rows). Locks, in the global order: the project row (held by
-- this DELETE), every row the cascades will delete or update, then the
-- dashboard rows the cascades will touch in ascending user_id order, so
-- the cascade itself takes no new dashboard lock out of order.
CREATE OR REPLACE FUNCTION user_dashboard_stats_before_project_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    n_badges  int;
    n_upvotes int;
BEGIN
    PERFORM 1 FROM comments WHERE project_id = OLD.id FOR SHARE;
    PERFORM 1 FROM validation_badges WHERE project_id = OLD.id FOR SHARE;
    PERFORM 1 FROM intro_requests WHERE project_id = OLD.id FOR SHARE;
    SELECT count(*) FILTER (WHERE u.is_upvote) INTO n_upvotes
    FROM (SELECT is_upvote FROM upvotes WHERE project_id = OLD.id FOR SHARE) u;
    SELECT count(*) INTO n_badges FROM validation_badges WHERE project_id = OLD.id;
    PERFORM 1 FROM user_dashboard_stats
    WHERE user_id IN (SELECT OLD.user_id
                      UNION SELECT user_id FROM comments WHERE project_id = OLD.id
                      UNION SELECT validator_id FROM validation_badges WHERE project_id = OLD.id)
    ORDER BY user_id
    FOR NO KEY UPDATE;
    PERFORM user_dashboard_stats_apply(ARRAY[user_dashboard_stats_project_share(
        OLD.user_id, OLD.is_deleted, OLD.proof_score, n_badges, n_upvotes, -1)]);
    RETURN OLD;
END
$$;

CREATE OR REPLACE TRIGGER derived_10_user_dashboard_stats_delete
BEFORE DELETE ON projects
FOR EACH ROW EXECUTE FUNCTION user_dashboard_stats_before_project_delete();

-- ------------------------------------------------------------- comments --

CREATE OR REPLACE FUNCTION user_dashboard_stats_on_comments() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    deltas user_dashboard_stats_delta[] := '{}';
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        deltas := deltas || user_dashboard_stats_delta(OLD.user_id, comment_count => -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        deltas := deltas || user_dashboard_stats_delta(NEW.user_id, comment_count => 1);
    END IF;
    PERFORM user_dashboard_stats_apply(deltas);
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER derived_10_user_dashboard_stats
AFTER INSERT OR DELETE OR UPDATE OF user_id ON comments
FOR EACH ROW EXECUTE FUNCTION user_dashboard_stats_on_comments();

-- Deleting a comment with replies cascades to the replies, whose authors'
-- rows would be locked in scan order. Lock the thread, then every author's
-- row in ascending order, first. A comment without replies costs one probe.
CREATE OR REPLACE FUNCTION user_dashboard_stats_before_comment_delete() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    thread  uuid[];
    authors uuid[];
BEGIN
    IF NOT EXISTS (SELECT 1 FROM comments WHERE parent_id = OLD.id) THEN
        RETURN OLD;
    END IF;
    WITH RECURSIVE t(id) AS (
        SELECT c.id FROM comments c WHERE c.parent_id = OLD.id
        UNION
        SELECT c.id FROM comments c JOIN t ON c.parent_id = t.id
    )
    SELECT array_agg(t.id) INTO thread FROM t;
    SELECT array_agg(user_id) INTO authors
    FROM (SELECT user_id FROM comments WHERE id = ANY (thread) FOR SHARE) r;
    PERFORM 1 FROM user_dashboard_stats
    WHERE user_id = ANY (authors || OLD.user_id)
    ORDER BY user_id
    FOR NO KEY UPDATE;
    RETURN OLD;
END
$$;

CREATE OR REPLACE TRIGGER derived_10_user_dashboard_stats_delete
BEFORE DELETE ON comments
FOR EACH ROW EXECUTE FUNCTION user_dashboard_stats_before_comment_delete();

-- -------------------------------------------------------------- upvotes --

-- karma counts upvotes (is_upvote) on the owner's live projects. Inserting
-- an upvote locks the project FOR SHARE, so a concurrent soft delete or
-- owner change (FOR NO KEY UPDATE) is ordered against it. Deleting or
-- flipping one does not lock the project: it already holds the upvote row,
-- and a project transition locks the upvote rows after the project row; the
-- reverse wait would deadlock against a hard delete's cascade.
CREATE OR REPLACE FUNCTION user_dashboard_stats_on_upvotes() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    deltas user_dashboard_stats_delta[] := '{}';
    owner  uuid;
    live   boolean;
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND OLD.is_upvote THEN
        SELECT p.user_id, NOT p.is_deleted INTO owner, live
        FROM projects p WHERE p.id = OLD.project_id;
        IF live THEN
            deltas := deltas || user_dashboard_stats_delta(owner, karma_score => -1);
        END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NEW.is_upvote THEN
        IF TG_OP = 'INSERT' OR NEW.project_id <> OLD.project_id THEN
            SELECT p.user_id, NOT p.is_deleted INTO owner, live
            FROM projects p WHERE p.id = NEW.project_id FOR SHARE;
        ELSE
            SELECT p.user_id, NOT p.is_deleted INTO owner, live
            FROM projects p WHERE p.id = NEW.project_id;
        END IF;
        IF live THEN
            deltas := deltas || user_dashboard_stats_delta(owner, karma_score => 1);
        END IF;
    END IF;
    PERFORM user_dashboard_stats_apply(deltas);
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER derived_10_user_dashboard_stats
AFTER INSERT OR DELETE OR UPDATE OF is_upvote, project_id ON upvotes
FOR EACH ROW EXECUTE FUNCTION user_dashboard_stats_on_upvotes();

-- ---------------------------------------------------- validation_badges --

-- badges_given for the validator; badges_received for the owner of a live
-- project. The project row is locked first (FOR NO KEY UPDATE) and read
-- under that lock: derived_40_proof_score, which fires after this trigger,
-- writes it, and the project-then-dashboard order must hold. (Its
-- proof_score change reaches the owner's total_proof_score and karma through
-- the projects trigger above.)
CREATE OR REPLACE FUNCTION user_dashboard_stats_on_validation_badges() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    deltas user_dashboard_stats_delta[] := '{}';
    owner  uuid;
    live   boolean;
BEGIN
    IF TG_OP = 'UPDATE' AND OLD.project_id <> NEW.project_id THEN
        PERFORM 1 FROM projects WHERE id IN (OLD.project_id, NEW.project_id)
        ORDER BY id FOR NO KEY UPDATE;
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        SELECT p.user_id, NOT p.is_deleted INTO owner, live
        FROM projects p WHERE p.id = OLD.project_id FOR NO KEY UPDATE;
        deltas := deltas || user_dashboard_stats_delta(OLD.validator_id, badges_given => -1);
        IF live THEN
            deltas := deltas || user_dashboard_stats_delta(owner, badges_received => -1);
        END IF;
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        SELECT p.user_id, NOT p.is_deleted INTO owner, live
        FROM projects p WHERE p.id = NEW.project_id FOR NO KEY UPDATE;
        deltas := deltas || user_dashboard_stats_delta(NEW.validator_id, badges_given => 1);
        IF live THEN
            deltas := deltas || user_dashboard_stats_delta(owner, badges_received => 1);
        END IF;
    END IF;
    PERFORM user_dashboard_stats_apply(deltas);
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER derived_10_user_dashboard_stats
AFTER INSERT OR DELETE OR UPDATE OF project_id, validator_id, badge_type ON validation_badges
FOR EACH ROW EXECUTE FUNCTION user_dashboard_stats_on_validation_badges();

-- ------------------------------------------------------- intro_requests --

CREATE OR REPLACE FUNCTION user_dashboard_stats_intro_share(
    investor UUID, builder UUID, status TEXT, sign INT
) RETURNS user_dashboard_stats_delta[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY[
        user_dashboard_stats_delta(investor, intros_sent => sign),
        user_dashboard_stats_delta(builder,
            intros_received        => sign,
            intro_requests_pending => CASE WHEN status = 'pending' THEN sign ELSE 0 END)]
$$;

CREATE OR REPLACE FUNCTION user_dashboard_stats_on_intro_requests() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    deltas user_dashboard_stats_delta[] := '{}';
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        deltas := deltas || user_dashboard_stats_intro_share(OLD.investor_id, OLD.builder_id, OLD.status, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        deltas := deltas || user_dashboard_stats_intro_share(NEW.investor_id, NEW.builder_id, NEW.status, 1);
    END IF;
    PERFORM user_dashboard_stats_apply(deltas);
    RETURN NULL;
END
$$;

-- project_id is not a column list member: ON DELETE SET NULL from a project
-- hard delete changes nothing counted here.
CREATE OR REPLACE TRIGGER derived_10_user_dashboard_stats
AFTER INSERT OR DELETE OR UPDATE OF status, investor_id, builder_id ON intro_requests
FOR EACH ROW EXECUTE FUNCTION user_dashboard_stats_on_intro_requests();

-- ------------------------------------------------------ direct_messages --

CREATE OR REPLACE FUNCTION user_dashboard_stats_on_direct_messages() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    deltas user_dashboard_stats_delta[] := '{}';
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND NOT OLD.is_read THEN
        deltas := deltas || user_dashboard_stats_delta(OLD.recipient_id, unread_messages => -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NOT NEW.is_read THEN
        deltas := deltas || user_dashboard_stats_delta(NEW.recipient_id, unread_messages => 1);
    END IF;
    PERFORM user_dashboard_stats_apply(deltas);
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER derived_10_user_dashboard_stats
AFTER INSERT OR DELETE OR UPDATE OF is_read, recipient_id ON direct_messages
FOR EACH ROW EXECUTE FUNCTION user_dashboard_stats_on_direct_messages();

-- -------------------------------------------------------- notifications --

CREATE OR REPLACE FUNCTION user_dashboard_stats_on_notifications() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    deltas user_dashboard_stats_delta[] := '{}';
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') AND NOT OLD.is_read THEN
        deltas := deltas || user_dashboard_stats_delta(OLD.user_id, unread_notifications => -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') AND NOT NEW.is_read THEN
        deltas := deltas || user_dashboard_stats_delta(NEW.user_id, unread_notifications => 1);
    END IF;
    PERFORM user_dashboard_stats_apply(deltas);
    RETURN NULL;
END
$$;

CREATE OR REPLACE TRIGGER derived_10_user_dashboard_stats
AFTER INSERT OR DELETE OR UPDATE OF is_read, user_id ON notifications
FOR EACH ROW EXECUTE FUNCTION user_dashboard_stats_on_notifications();

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

CREATE OR REPLACE TRIGGER notify_unread_counts
AFTER UPDATE OF unread_messages, unread_notifications ON user_dashboard_stats
FOR EACH ROW
WHEN (OLD.unread_messages IS DISTINCT FROM NEW.unread_messages
      OR OLD.unread_notifications IS DISTINCT FROM NEW.unread_notifications)
EXECUTE FUNCTION user_dashboard_stats_notify_unread();
