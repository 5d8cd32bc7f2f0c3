-- Refresh engine for the Category B materialized views (docs/REFRESHER.md).
--
-- The write path only MARKS views dirty: one statement-level AFTER trigger
-- per source table calls nextval() on one sequence per view that reads the
-- table. A sequence is non-transactional, takes no row lock and is durable,
-- so "mark > refreshed_upto" is a cheap dirty test that survives restarts
-- (ARCHITECTURE.md, "Data flow of a write", measured costs). No refresh, no
-- hot row, no pg_notify happens in the writer's transaction.
--
-- The refresher (data/src/refresher.rs, one leader across all instances)
-- reads the marks, waits for the writers that took them to finish, refreshes
-- CONCURRENTLY, advances refreshed_upto and logs each attempt.

-- One row per refreshed view.
CREATE TABLE mv_registry (
    view_name        TEXT PRIMARY KEY,
    -- Base tables whose writes make the view dirty (each gets the marking trigger).
    sources          TEXT[] NOT NULL,
    -- Refresh at least this often even without writes (views that decay with
    -- time, SEED-REVIEW item 16). NULL: only writes trigger a refresh.
    timer            INTERVAL,
    -- The view's mark sequence: mv_dirty_<view_name>.
    dirty_seq        TEXT NOT NULL,
    -- The mark value covered by the last complete refresh: the view is dirty
    -- while the sequence's last_value is greater.
    refreshed_upto   BIGINT NOT NULL DEFAULT 0,
    -- End of the last successful refresh (complete or not).
    last_refresh_at  TIMESTAMPTZ,
    -- Rows in the view after the last successful refresh, carried forward
    -- from the refresh's own insert/delete counts (never a COUNT(*)).
    row_count        BIGINT,
    registered_at    TIMESTAMPTZ NOT NULL DEFAULT now(),
    CONSTRAINT mv_registry_name_format CHECK (view_name ~ '^[a-z_][a-z0-9_]*$' AND char_length(view_name) <= 54),
    CONSTRAINT mv_registry_seq_name CHECK (dirty_seq = 'mv_dirty_' || view_name),
    CONSTRAINT mv_registry_has_trigger CHECK (cardinality(sources) > 0 OR timer IS NOT NULL),
    CONSTRAINT mv_registry_timer_positive CHECK (timer IS NULL OR timer > interval '0')
);

-- One row per refresh attempt, successful or not (SEED-REVIEW item 15: the
-- document's log was never written to).
CREATE TABLE mv_refresh_log (
    id               BIGSERIAL PRIMARY KEY,
    view_name        TEXT NOT NULL,
    started_at       TIMESTAMPTZ NOT NULL,
    finished_at      TIMESTAMPTZ NOT NULL,
    duration_ms      INT NOT NULL,
    -- Rows in the view after the refresh (NULL when failed or unknown). A
    -- plain REFRESH inserts every row, so the count is its insert count; a
    -- CONCURRENTLY refresh applies a diff, so the count is the previous
    -- count + inserted - deleted. Both come from the refreshing
    -- transaction's own statistics (pg_stat_get_xact_tuples_inserted /
    -- _deleted), read before commit: no COUNT(*) over the view.
    row_count        BIGINT,
    rows_inserted    BIGINT,
    rows_deleted     BIGINT,
    concurrent       BOOLEAN NOT NULL,
    triggered_by     TEXT NOT NULL,
    -- Marks (writing statements) this refresh covered: seen - refreshed_upto.
    marks_coalesced  BIGINT NOT NULL DEFAULT 0,
    -- Time spent waiting for the writers that took those marks to end.
    commit_wait_ms   INT NOT NULL DEFAULT 0,
    -- False when that wait hit its limit: the view was refreshed but left
    -- dirty, so it is refreshed again once those writers have ended.
    complete         BOOLEAN NOT NULL DEFAULT TRUE,
    -- Which refresher did it (instance id of the leader, or manual@pid).
    refreshed_by     TEXT NOT NULL,
    status           TEXT NOT NULL,
    error            TEXT,
    CONSTRAINT mv_refresh_log_triggered_by CHECK (triggered_by IN ('writes', 'timer', 'startup', 'manual')),
    CONSTRAINT mv_refresh_log_status CHECK (status IN ('ok', 'failed')),
    CONSTRAINT mv_refresh_log_error CHECK ((status = 'failed') = (error IS NOT NULL))
);
CREATE INDEX idx_mv_refresh_log_view ON mv_refresh_log (view_name, started_at DESC);
-- Failures are rare: a small index keeps "last error / failures since the
-- last success" cheap even when millions of ok rows precede them.
CREATE INDEX idx_mv_refresh_log_failed ON mv_refresh_log (view_name, started_at DESC) WHERE status = 'failed';
-- Retention pruning (the refresher deletes old rows).
CREATE INDEX idx_mv_refresh_log_started ON mv_refresh_log (started_at);

-- The marking trigger function. TG_ARGV lists the registered views that
-- read the table; one nextval per view per writing statement.
CREATE FUNCTION mark_views_dirty() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    v TEXT;
BEGIN
    FOREACH v IN ARRAY TG_ARGV LOOP
        PERFORM nextval(('mv_dirty_' || v)::regclass);
    END LOOP;
    RETURN NULL;
END;
$$;

-- (Re)installs the single marking trigger of one source table from the
-- registry: every registered view reading the table is listed; the trigger
-- is dropped when none is left.
CREATE FUNCTION mv_install_marking(source TEXT) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    args TEXT;
BEGIN
    SELECT string_agg(quote_literal(r.view_name), ', ' ORDER BY r.view_name)
      INTO args
      FROM mv_registry r
     WHERE source = ANY (r.sources);
    IF args IS NULL THEN
        IF to_regclass(quote_ident(source)) IS NOT NULL THEN
            EXECUTE format('DROP TRIGGER IF EXISTS mv_mark_dirty ON %I', source);
        END IF;
    ELSE
        EXECUTE format(
            'CREATE OR REPLACE TRIGGER mv_mark_dirty
                 AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON %I
                 FOR EACH STATEMENT EXECUTE FUNCTION mark_views_dirty(%s)',
            source, args);
    END IF;
END;
$$;

-- Registers (or re-registers) a materialized view with the refresher.
-- Call it after creating the view and its unique index. Idempotent: the
-- sequence and the refresh state survive a re-registration; the triggers of
-- every old and new source table are rebuilt.
CREATE FUNCTION register_view(view_name TEXT, sources TEXT[], timer INTERVAL DEFAULT NULL)
RETURNS void
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_name    TEXT := register_view.view_name;
    v_sources TEXT[];
    v_old     TEXT[];
    v_rel     regclass;
    v_src     TEXT;
BEGIN
    IF v_name IS NULL OR v_name !~ '^[a-z_][a-z0-9_]*$' OR char_length(v_name) > 54 THEN
        RAISE EXCEPTION 'register_view: % is not a plain lower-case identifier of at most 54 characters', v_name;
    END IF;
    -- Serialize registrations: each rebuilds triggers from the whole registry.
    LOCK TABLE mv_registry IN SHARE ROW EXCLUSIVE MODE;

    v_rel := to_regclass(quote_ident(v_name));
    IF v_rel IS NULL OR (SELECT relkind FROM pg_class WHERE oid = v_rel) <> 'm' THEN
        RAISE EXCEPTION 'register_view: materialized view % does not exist (create it before registering it)', v_name;
    END IF;
    -- REFRESH ... CONCURRENTLY needs a unique index on plain columns covering
    -- every row (SEED-REVIEW item 1: without it every write failed).
    IF NOT EXISTS (SELECT 1 FROM pg_index i
                    WHERE i.indrelid = v_rel AND i.indisunique AND i.indisvalid
                      AND i.indpred IS NULL AND i.indexprs IS NULL) THEN
        RAISE EXCEPTION 'register_view: % has no unique index on plain columns without WHERE (REFRESH CONCURRENTLY needs one); create it before registering', v_name;
    END IF;

    SELECT coalesce(array_agg(DISTINCT s ORDER BY s), '{}') INTO v_sources
      FROM unnest(register_view.sources) AS s;
    IF cardinality(v_sources) = 0 AND register_view.timer IS NULL THEN
        RAISE EXCEPTION 'register_view: % needs at least one source table or a timer', v_name;
    END IF;
    FOREACH v_src IN ARRAY v_sources LOOP
        IF v_src !~ '^[a-z_][a-z0-9_]*$'
           OR to_regclass(quote_ident(v_src)) IS NULL
           OR (SELECT relkind FROM pg_class WHERE oid = to_regclass(quote_ident(v_src))) NOT IN ('r', 'p') THEN
            RAISE EXCEPTION 'register_view: source % of % is not a table', v_src, v_name;
        END IF;
    END LOOP;

    IF to_regclass(quote_ident('mv_dirty_' || v_name)) IS NULL THEN
        EXECUTE format('CREATE SEQUENCE %I AS bigint', 'mv_dirty_' || v_name);
    END IF;

    SELECT r.sources INTO v_old FROM mv_registry r WHERE r.view_name = v_name;
    INSERT INTO mv_registry AS r (view_name, sources, timer, dirty_seq)
    VALUES (v_name, v_sources, register_view.timer, 'mv_dirty_' || v_name)
    ON CONFLICT (view_name) DO UPDATE
       SET sources = EXCLUDED.sources, timer = EXCLUDED.timer;

    FOR v_src IN SELECT DISTINCT s FROM unnest(v_sources || coalesce(v_old, '{}')) AS s LOOP
        PERFORM mv_install_marking(v_src);
    END LOOP;
END;
$$;

-- Removes a view from the refresher (call it before dropping the view for
-- good; a view dropped and re-created in one migration can stay registered).
CREATE FUNCTION unregister_view(view_name TEXT) RETURNS void
LANGUAGE plpgsql AS $$
#variable_conflict use_column
DECLARE
    v_old TEXT[];
    v_src TEXT;
BEGIN
    LOCK TABLE mv_registry IN SHARE ROW EXCLUSIVE MODE;
    DELETE FROM mv_registry r WHERE r.view_name = unregister_view.view_name RETURNING r.sources INTO v_old;
    IF v_old IS NULL THEN
        RETURN;
    END IF;
    FOREACH v_src IN ARRAY v_old LOOP
        PERFORM mv_install_marking(v_src);
    END LOOP;
    EXECUTE format('DROP SEQUENCE IF EXISTS %I', 'mv_dirty_' || unregister_view.view_name);
END;
$$;

-- What the refresher polls (and what psql users can look at): one row per
-- registered view with its current mark. pg_sequence_last_value reads the
-- sequence without a transaction (NULL until the first nextval, and for a
-- missing sequence: both mean no marks).
CREATE VIEW mv_status AS
SELECT r.view_name,
       r.sources,
       r.timer,
       coalesce(pg_sequence_last_value(to_regclass(quote_ident(r.dirty_seq))), 0) AS mark,
       r.refreshed_upto,
       greatest(coalesce(pg_sequence_last_value(to_regclass(quote_ident(r.dirty_seq))), 0)
                - r.refreshed_upto, 0) AS pending_marks,
       coalesce(pg_sequence_last_value(to_regclass(quote_ident(r.dirty_seq))), 0) > r.refreshed_upto AS dirty,
       coalesce(c.relispopulated, FALSE) AS populated,
       (r.timer IS NOT NULL AND (r.last_refresh_at IS NULL OR now() - r.last_refresh_at >= r.timer)) AS timer_due,
       r.last_refresh_at,
       r.row_count
  FROM mv_registry r
  LEFT JOIN pg_class c ON c.oid = to_regclass(quote_ident(r.view_name)) AND c.relkind = 'm';
