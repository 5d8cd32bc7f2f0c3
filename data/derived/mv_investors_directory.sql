-- mv_investors_directory: the investors directory (/investors), one row
-- per approved investor application (investor_requests.status =
-- 'approved') of an active user (users.is_active), with the user's public
-- fields and the intro requests they sent. No email and no reviewer: the
-- page is public.
-- Key: user_id (at most one approved application per user,
-- investor_requests_one_open_key). Staleness target: 5 s. No timer: no
-- column reads the clock.

-- The definition. The application is found by the user_id index and the
-- intro counts are a per-investor LATERAL subquery on the intro requests'
-- investor_id index, so filtering on ir.user_id costs only those users'
-- rows.
--
-- intro_requests_sent counts every intro request the investor sent,
-- whatever its status; intros_approved those with status 'approved'.
DROP VIEW IF EXISTS mv_investors_directory_def;
CREATE VIEW mv_investors_directory_def AS
SELECT
    ir.id,
    ir.user_id,
    ir.status,
    ir.created_at,
    ir.approved_at,
    u.username,
    u.profile_image,
    u.bio,
    u.is_verified,
    ir.company_name,
    ir.investment_focus,
    ir.ticket_size,
    ir.portfolio_url,
    ir.linkedin_url,
    s.sent AS intro_requests_sent,
    s.approved AS intros_approved
FROM investor_requests ir
JOIN users u ON u.id = ir.user_id
CROSS JOIN LATERAL (
    SELECT count(*) AS sent, count(*) FILTER (WHERE status = 'approved') AS approved
    FROM intro_requests WHERE investor_id = ir.user_id
) s
WHERE ir.status = 'approved' AND u.is_active;

SELECT derived_register('mv_investors_directory', 'user_id', ARRAY['user_id'], interval '5 seconds');

-- Not UNIQUE although application ids are: a step upserts and deletes in
-- no fixed order, so an application moving between users could collide
-- with its own old row for a moment. Only the key (user_id) is unique.
CREATE INDEX IF NOT EXISTS mv_investors_directory_id ON mv_investors_directory (id);
CREATE UNIQUE INDEX IF NOT EXISTS mv_investors_directory_user ON mv_investors_directory (user_id);
CREATE INDEX IF NOT EXISTS mv_investors_directory_approved ON mv_investors_directory (approved_at DESC, id DESC);

-- Which writes change which keys.
-- investor_requests: the applicant (both users if an update moves the
-- row).
CREATE OR REPLACE FUNCTION mv_investors_directory_mark_application() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO mv_investors_directory_dirty (key) VALUES (NEW.user_id);
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.user_id IS DISTINCT FROM NEW.user_id) THEN
        INSERT INTO mv_investors_directory_dirty (key) VALUES (OLD.user_id);
    END IF;
    RETURN NULL;
END;
$$;

-- intro_requests: the investor who sent it (both investors if an update
-- moves the row).
CREATE OR REPLACE FUNCTION mv_investors_directory_mark_intro() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' THEN
        INSERT INTO mv_investors_directory_dirty (key) VALUES (NEW.investor_id);
    END IF;
    IF TG_OP = 'DELETE' OR (TG_OP = 'UPDATE' AND OLD.investor_id IS DISTINCT FROM NEW.investor_id) THEN
        INSERT INTO mv_investors_directory_dirty (key) VALUES (OLD.investor_id);
    END IF;
    RETURN NULL;
END;
$$;

-- users: the user's own key, when they have an approved application (no
-- row exists otherwise, before or after the write).
CREATE OR REPLACE FUNCTION mv_investors_directory_mark_user() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO mv_investors_directory_dirty (key)
    SELECT NEW.id
    WHERE EXISTS (SELECT 1 FROM investor_requests WHERE user_id = NEW.id AND status = 'approved');
    RETURN NULL;
END;
$$;

-- The reviewer, the decision time and updated_at are not read.
CREATE OR REPLACE TRIGGER mv_investors_directory_mark
    AFTER INSERT OR DELETE ON investor_requests
    FOR EACH ROW EXECUTE FUNCTION mv_investors_directory_mark_application();
CREATE OR REPLACE TRIGGER mv_investors_directory_mark_update
    AFTER UPDATE ON investor_requests
    FOR EACH ROW
    WHEN ((OLD.id, OLD.user_id, OLD.status, OLD.created_at, OLD.approved_at, OLD.company_name,
           OLD.investment_focus, OLD.ticket_size, OLD.portfolio_url, OLD.linkedin_url)
          IS DISTINCT FROM
          (NEW.id, NEW.user_id, NEW.status, NEW.created_at, NEW.approved_at, NEW.company_name,
           NEW.investment_focus, NEW.ticket_size, NEW.portfolio_url, NEW.linkedin_url))
    EXECUTE FUNCTION mv_investors_directory_mark_application();
-- Only the investor and the status of an intro request are read.
CREATE OR REPLACE TRIGGER mv_investors_directory_mark
    AFTER INSERT OR DELETE ON intro_requests
    FOR EACH ROW EXECUTE FUNCTION mv_investors_directory_mark_intro();
CREATE OR REPLACE TRIGGER mv_investors_directory_mark_update
    AFTER UPDATE OF investor_id, status ON intro_requests
    FOR EACH ROW
    WHEN (OLD.investor_id IS DISTINCT FROM NEW.investor_id OR OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE FUNCTION mv_investors_directory_mark_intro();
CREATE OR REPLACE TRIGGER mv_investors_directory_mark
    AFTER UPDATE OF username, profile_image, bio, is_verified, is_active ON users
    FOR EACH ROW
    WHEN (OLD.username IS DISTINCT FROM NEW.username
          OR OLD.profile_image IS DISTINCT FROM NEW.profile_image
          OR OLD.bio IS DISTINCT FROM NEW.bio
          OR OLD.is_verified IS DISTINCT FROM NEW.is_verified
          OR OLD.is_active IS DISTINCT FROM NEW.is_active)
    EXECUTE FUNCTION mv_investors_directory_mark_user();
