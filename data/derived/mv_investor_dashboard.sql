-- mv_investor_dashboard: an investor's summary, one row per investor: a
-- user with an approved investor application or at least one intro
-- request sent, with the application's company and approval time and the
-- counts of the intro requests they sent. No page reads it today: the
-- investor pages (/investor, /intros) read intro_request_stats and
-- intro_requests, which are current in the writer's transaction.
-- Key: investor_id (the user id). Staleness target: 10 s. No timer: no
-- column reads the clock.

-- The definition. The approved application (at most one per user,
-- investor_requests_one_open_key) is found by the user_id index and the
-- intro counts are a per-user LATERAL subquery on the intro requests'
-- investor_id index, so filtering on u.id costs only those users' rows.
--
-- approval_rate = approved / (approved + rejected): answered requests
-- only, NULL while none is answered. builders_met counts the distinct
-- builders with an approved request, builders_contacted the distinct
-- builders asked. company_name and approved_at are NULL without an
-- approved application.
DROP VIEW IF EXISTS mv_investor_dashboard_def;
CREATE VIEW mv_investor_dashboard_def AS
SELECT
    u.id AS investor_id,
    u.username,
    ir.company_name,
    ir.approved_at,
    s.sent AS requests_sent,
    s.pending AS requests_pending,
    s.approved AS requests_approved,
    s.rejected AS requests_rejected,
    s.withdrawn AS requests_withdrawn,
    CASE WHEN s.approved + s.rejected > 0
         THEN s.approved::double precision / (s.approved + s.rejected)
    END AS approval_rate,
    s.builders_met,
    s.builders_contacted,
    s.last_request_at
FROM users u
LEFT JOIN investor_requests ir ON ir.user_id = u.id AND ir.status = 'approved'
CROSS JOIN LATERAL (
    SELECT count(*) AS sent,
           count(*) FILTER (WHERE status = 'pending') AS pending,
           count(*) FILTER (WHERE status = 'approved') AS approved,
           count(*) FILTER (WHERE status = 'rejected') AS rejected,
           count(*) FILTER (WHERE status = 'withdrawn') AS withdrawn,
           count(DISTINCT builder_id) FILTER (WHERE status = 'approved') AS builders_met,
           count(DISTINCT builder_id) AS builders_contacted,
           max(created_at) AS last_request_at
    FROM intro_requests WHERE investor_id = u.id
) s
-- "Has sent an intro request" is a probe of the same index (a scalar
-- subquery: an EXISTS may be planned as a hash of the whole table).
WHERE ir.id IS NOT NULL
   OR (SELECT true FROM intro_requests i WHERE i.investor_id = u.id LIMIT 1);

SELECT derived_register('mv_investor_dashboard', 'investor_id', ARRAY['investor_id'], interval '10 seconds');

CREATE UNIQUE INDEX IF NOT EXISTS mv_investor_dashboard_investor ON mv_investor_dashboard (investor_id);

-- Which writes change which keys.
-- investor_requests: the applicant (both users if an update moves the
-- row).
CREATE OR REPLACE FUNCTION mv_investor_dashboard_mark_application() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO mv_investor_dashboard_dirty (key) VALUES (NEW.user_id);
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.user_id IS DISTINCT FROM NEW.user_id) THEN
        INSERT INTO mv_investor_dashboard_dirty (key) VALUES (OLD.user_id);
    END IF;
    RETURN NULL;
END;
$$;

-- intro_requests: the investor who sent it (both investors if an update
-- moves the row).
CREATE OR REPLACE FUNCTION mv_investor_dashboard_mark_intro() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO mv_investor_dashboard_dirty (key) VALUES (NEW.investor_id);
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.investor_id IS DISTINCT FROM NEW.investor_id) THEN
        INSERT INTO mv_investor_dashboard_dirty (key) VALUES (OLD.investor_id);
    END IF;
    RETURN NULL;
END;
$$;

-- users: the user's own key, when they are an investor (no row exists
-- otherwise, before or after the write).
CREATE OR REPLACE FUNCTION mv_investor_dashboard_mark_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mv_investor_dashboard_dirty (key)
    SELECT NEW.id
    WHERE EXISTS (SELECT 1 FROM investor_requests WHERE user_id = NEW.id AND status = 'approved')
       OR EXISTS (SELECT 1 FROM intro_requests WHERE investor_id = NEW.id);
    RETURN NULL;
END;
$$;

-- Only the applicant, the status, the company and the approval time of an
-- application are read.
CREATE OR REPLACE TRIGGER mv_investor_dashboard_mark
    AFTER INSERT OR DELETE ON investor_requests
    FOR EACH ROW EXECUTE FUNCTION mv_investor_dashboard_mark_application();
CREATE OR REPLACE TRIGGER mv_investor_dashboard_mark_update
    AFTER UPDATE OF user_id, status, company_name, approved_at ON investor_requests
    FOR EACH ROW
    WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id
          OR OLD.status IS DISTINCT FROM NEW.status
          OR OLD.company_name IS DISTINCT FROM NEW.company_name
          OR OLD.approved_at IS DISTINCT FROM NEW.approved_at)
    EXECUTE FUNCTION mv_investor_dashboard_mark_application();
-- Only the investor, the builder, the status and the creation time of an
-- intro request are read (not its message).
CREATE OR REPLACE TRIGGER mv_investor_dashboard_mark
    AFTER INSERT OR DELETE ON intro_requests
    FOR EACH ROW EXECUTE FUNCTION mv_investor_dashboard_mark_intro();
CREATE OR REPLACE TRIGGER mv_investor_dashboard_mark_update
    AFTER UPDATE OF investor_id, builder_id, status, created_at ON intro_requests
    FOR EACH ROW
    WHEN (OLD.investor_id IS DISTINCT FROM NEW.investor_id
          OR OLD.builder_id IS DISTINCT FROM NEW.builder_id
          OR OLD.status IS DISTINCT FROM NEW.status
          OR OLD.created_at IS DISTINCT FROM NEW.created_at)
    EXECUTE FUNCTION mv_investor_dashboard_mark_intro();
CREATE OR REPLACE TRIGGER mv_investor_dashboard_mark
    AFTER UPDATE OF username ON users
    FOR EACH ROW WHEN (OLD.username IS DISTINCT FROM NEW.username)
    EXECUTE FUNCTION mv_investor_dashboard_mark_user();
