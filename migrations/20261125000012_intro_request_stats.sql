-- intro_request_stats: per-user intro counters for the intro pages, one row
-- per user (created with the user, backfilled here, like
-- user_dashboard_stats), maintained in the writer's transaction.
--
-- SEED-REVIEW 12: every status transition (pending, approved, rejected,
-- withdrawn, in any direction), deletes and a change of investor or builder
-- are handled the same way: remove the old row's share, add the new one's.
-- Definitions: docs/DERIVED-DATA.md.

LOCK TABLE users, intro_requests IN SHARE ROW EXCLUSIVE MODE;

CREATE TABLE intro_request_stats (
    user_id                 UUID PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    -- As builder (requests received), by current status.
    pending_requests        INT NOT NULL DEFAULT 0 CHECK (pending_requests >= 0),
    approved_requests       INT NOT NULL DEFAULT 0 CHECK (approved_requests >= 0),
    rejected_requests       INT NOT NULL DEFAULT 0 CHECK (rejected_requests >= 0),
    withdrawn_requests      INT NOT NULL DEFAULT 0 CHECK (withdrawn_requests >= 0),
    -- As investor (requests sent): all, and by current status.
    sent_requests           INT NOT NULL DEFAULT 0 CHECK (sent_requests >= 0),
    sent_pending_requests   INT NOT NULL DEFAULT 0 CHECK (sent_pending_requests >= 0),
    sent_approved_requests  INT NOT NULL DEFAULT 0 CHECK (sent_approved_requests >= 0),
    sent_rejected_requests  INT NOT NULL DEFAULT 0 CHECK (sent_rejected_requests >= 0),
    sent_withdrawn_requests INT NOT NULL DEFAULT 0 CHECK (sent_withdrawn_requests >= 0),
    last_updated_at         TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT intro_request_stats_sent_total CHECK (sent_requests =
        sent_pending_requests + sent_approved_requests + sent_rejected_requests + sent_withdrawn_requests)
);
-- The document's partial index on (user_id, pending_requests) is left out:
-- every read is a primary-key lookup, and the index would make each status
-- change a non-HOT update.

CREATE TYPE intro_request_stats_delta AS (
    user_id                 UUID,
    pending_requests        INT,
    approved_requests       INT,
    rejected_requests       INT,
    withdrawn_requests      INT,
    sent_requests           INT,
    sent_pending_requests   INT,
    sent_approved_requests  INT,
    sent_rejected_requests  INT,
    sent_withdrawn_requests INT
);

-- What one intro request contributes (sign +1 to add, -1 to remove): one
-- change for the builder, one for the investor.
CREATE OR REPLACE FUNCTION intro_request_stats_share(
    investor UUID, builder UUID, status TEXT, sign INT
) RETURNS intro_request_stats_delta[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY[
        ROW(builder,
            CASE WHEN status = 'pending'   THEN sign ELSE 0 END,
            CASE WHEN status = 'approved'  THEN sign ELSE 0 END,
            CASE WHEN status = 'rejected'  THEN sign ELSE 0 END,
            CASE WHEN status = 'withdrawn' THEN sign ELSE 0 END,
            0, 0, 0, 0, 0)::intro_request_stats_delta,
        ROW(investor,
            0, 0, 0, 0,
            sign,
            CASE WHEN status = 'pending'   THEN sign ELSE 0 END,
            CASE WHEN status = 'approved'  THEN sign ELSE 0 END,
            CASE WHEN status = 'rejected'  THEN sign ELSE 0 END,
            CASE WHEN status = 'withdrawn' THEN sign ELSE 0 END)::intro_request_stats_delta]
$$;

-- Same contract as user_dashboard_stats_apply: summed per user, zero changes
-- skipped, relative updates in ascending user_id order, a missing row of an
-- existing user raises.
CREATE OR REPLACE FUNCTION intro_request_stats_apply(deltas intro_request_stats_delta[])
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    d intro_request_stats_delta;
BEGIN
    FOR d IN
        SELECT x.user_id,
               sum(x.pending_requests)::int, sum(x.approved_requests)::int,
               sum(x.rejected_requests)::int, sum(x.withdrawn_requests)::int,
               sum(x.sent_requests)::int, sum(x.sent_pending_requests)::int,
               sum(x.sent_approved_requests)::int, sum(x.sent_rejected_requests)::int,
               sum(x.sent_withdrawn_requests)::int
        FROM unnest(deltas) AS x
        WHERE x.user_id IS NOT NULL
        GROUP BY x.user_id
        ORDER BY x.user_id
    LOOP
        CONTINUE WHEN d = ROW(d.user_id, 0, 0, 0, 0, 0, 0, 0, 0, 0)::intro_request_stats_delta;
        UPDATE intro_request_stats s SET
            pending_requests        = s.pending_requests + d.pending_requests,
            approved_requests       = s.approved_requests + d.approved_requests,
            rejected_requests       = s.rejected_requests + d.rejected_requests,
            withdrawn_requests      = s.withdrawn_requests + d.withdrawn_requests,
            sent_requests           = s.sent_requests + d.sent_requests,
            sent_pending_requests   = s.sent_pending_requests + d.sent_pending_requests,
            sent_approved_requests  = s.sent_approved_requests + d.sent_approved_requests,
            sent_rejected_requests  = s.sent_rejected_requests + d.sent_rejected_requests,
            sent_withdrawn_requests = s.sent_withdrawn_requests + d.sent_withdrawn_requests,
            last_updated_at         = now()
        WHERE s.user_id = d.user_id;
        IF NOT FOUND AND EXISTS (SELECT 1 FROM users WHERE id = d.user_id) THEN
            RAISE EXCEPTION 'intro_request_stats has no row for user %', d.user_id
                USING ERRCODE = 'no_data_found',
                      HINT = 'Run `server reconcile --repair`.';
        END IF;
    END LOOP;
END
$$;

CREATE OR REPLACE FUNCTION intro_request_stats_on_users() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO intro_request_stats (user_id) VALUES (NEW.id);
    RETURN NULL;
END
$$;

CREATE TRIGGER derived_20_intro_request_stats
AFTER INSERT ON users
FOR EACH ROW EXECUTE FUNCTION intro_request_stats_on_users();

-- Fires after derived_10_user_dashboard_stats on the same row, so the
-- dashboard rows of both users are locked before their intro rows.
CREATE OR REPLACE FUNCTION intro_request_stats_on_intro_requests() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    deltas intro_request_stats_delta[] := '{}';
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        deltas := deltas || intro_request_stats_share(OLD.investor_id, OLD.builder_id, OLD.status, -1);
    END IF;
    IF TG_OP IN ('UPDATE', 'INSERT') THEN
        deltas := deltas || intro_request_stats_share(NEW.investor_id, NEW.builder_id, NEW.status, 1);
    END IF;
    PERFORM intro_request_stats_apply(deltas);
    RETURN NULL;
END
$$;

CREATE TRIGGER derived_20_intro_request_stats
AFTER INSERT OR DELETE OR UPDATE OF status, investor_id, builder_id ON intro_requests
FOR EACH ROW EXECUTE FUNCTION intro_request_stats_on_intro_requests();

-- Backfill with the real values.
INSERT INTO intro_request_stats (
    user_id, pending_requests, approved_requests, rejected_requests, withdrawn_requests,
    sent_requests, sent_pending_requests, sent_approved_requests, sent_rejected_requests,
    sent_withdrawn_requests)
SELECT u.id,
       COALESCE(b.pending, 0), COALESCE(b.approved, 0), COALESCE(b.rejected, 0), COALESCE(b.withdrawn, 0),
       COALESCE(i.sent, 0), COALESCE(i.pending, 0), COALESCE(i.approved, 0), COALESCE(i.rejected, 0),
       COALESCE(i.withdrawn, 0)
FROM users u
LEFT JOIN (
    SELECT builder_id AS user_id,
           count(*) FILTER (WHERE status = 'pending')   AS pending,
           count(*) FILTER (WHERE status = 'approved')  AS approved,
           count(*) FILTER (WHERE status = 'rejected')  AS rejected,
           count(*) FILTER (WHERE status = 'withdrawn') AS withdrawn
    FROM intro_requests GROUP BY builder_id
) b ON b.user_id = u.id
LEFT JOIN (
    SELECT investor_id AS user_id,
           count(*) AS sent,
           count(*) FILTER (WHERE status = 'pending')   AS pending,
           count(*) FILTER (WHERE status = 'approved')  AS approved,
           count(*) FILTER (WHERE status = 'rejected')  AS rejected,
           count(*) FILTER (WHERE status = 'withdrawn') AS withdrawn
    FROM intro_requests GROUP BY investor_id
) i ON i.user_id = u.id;
