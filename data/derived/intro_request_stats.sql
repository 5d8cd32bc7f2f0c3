-- intro_request_stats: per-user intro counters, one row per user. As
-- builder (requests received), by current status: pending_requests,
-- approved_requests, rejected_requests, withdrawn_requests. As investor
-- (requests sent): sent_requests (any status) and sent_pending_requests,
-- sent_approved_requests, sent_rejected_requests, sent_withdrawn_requests
-- (which sum to sent_requests).
-- Category A, real time: kept by row triggers in the writer's transaction,
-- so a request just sent or answered is counted at once. Staleness target:
-- none (0); no refresher, no dirty log. data::reconcile recomputes it from
-- its definition and repairs it (`server reconcile --repair`);
-- definitions: docs/DERIVED-DATA.md. Key: user_id.
--
-- Table: intro_request_stats (user_id PRIMARY KEY, ON DELETE CASCADE from
-- users; CHECK (x >= 0) on every counter and CHECK that the sent_* status
-- counts sum to sent_requests; no index besides the key: every read is a
-- primary-key lookup) and the composite type intro_request_stats_delta
-- (one change to the counters of one user) are created, and backfilled
-- with real values, by migration 20261125000012_intro_request_stats.sql.
-- They stay there (a type cannot be replaced while these functions use
-- it); this file holds only the functions and triggers, and is re-applied
-- (idempotently) after the migrations on every start.
--
-- Read by: /intros (the counts per status) and /investor (the investor's
-- dashboard), both through data::intros::stats; data::reconcile.
-- (mv_investor_dashboard computes similar counts but lags; these pages do
-- not use it.)
--
-- Kept by triggers (AFTER ... FOR EACH ROW) on:
--   users           derived_20_intro_request_stats (INSERT: the user's row,
--                   so reads never need COALESCE and a missing row is drift)
--   intro_requests  derived_20_intro_request_stats (INSERT, DELETE, UPDATE
--                   OF status, investor_id, builder_id)
-- Tests: data/tests/realtime_tables.rs (every status transition, in any
-- direction; the randomized concurrent workload),
-- data/tests/replaceable_schema.rs (intro_request_stats_*).
--
-- Rules the functions rely on:
-- * Every transition (any status change in any direction, a delete, a
--   change of investor or builder) is handled the same way: remove the old
--   row's share, add the new row's. Counters move by relative updates.
-- * intro_request_stats_apply sums the changes per user, skips zero
--   changes and updates one row per user in ascending user_id order.
-- * Global lock order of the Category A triggers: user_dashboard_stats rows
--   (ascending user_id) before intro_request_stats rows (ascending
--   user_id). PostgreSQL fires the triggers of one table and event in name
--   order: derived_05_notifications and derived_10_user_dashboard_stats
--   lock both users' dashboard rows before derived_20_intro_request_stats
--   locks their intro rows. The names must not change.
-- * Run writes at READ COMMITTED.

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

CREATE OR REPLACE TRIGGER derived_20_intro_request_stats
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

CREATE OR REPLACE TRIGGER derived_20_intro_request_stats
AFTER INSERT OR DELETE OR UPDATE OF status, investor_id, builder_id ON intro_requests
FOR EACH ROW EXECUTE FUNCTION intro_request_stats_on_intro_requests();
