-- The keyed-structure engine: the functions every file of data/derived/
-- uses. Re-applied (idempotently) after the migrations, before the
-- structures' own files; see docs/REFRESHER.md, "Keyed structures".
--
-- A keyed structure <t> is:
--   <t>_def    a plain view: the structure's one definition. Filtering it
--              on the key column must reach the source tables' indexes
--              (per-row LATERAL subqueries, not aggregates over whole
--              tables), since a step reads it for a few keys at a time;
--   <t>        the table pages read, with the same columns as <t>_def;
--   <t>_dirty  an append-only log of keys whose rows may have changed,
--              filled by row triggers on the source tables (in the
--              writer's transaction, so a key becomes visible exactly when
--              the write it stands for commits). No unique key: a writer
--              never waits on another writer's log row, and a key written
--              again after a step took it is simply logged again.
-- A step takes a batch of log rows (deleting them), recomputes the
-- distinct keys' rows from <t>_def and writes the difference: upsert the
-- rows that exist, delete those whose key no longer yields a row. Steps of
-- one structure are serialized by an advisory lock, so an older snapshot
-- can never overwrite a newer one.

-- Everything here is dropped and created again on each apply, so that a
-- changed signature replaces the old one.
DROP VIEW IF EXISTS mv_status;
DROP VIEW IF EXISTS mv_schedule;
DROP FUNCTION IF EXISTS derived_retire_view(TEXT);
DROP FUNCTION IF EXISTS derived_register(TEXT, TEXT, TEXT[], INTERVAL, INTERVAL, INT);
DROP FUNCTION IF EXISTS derived_definition_md5(TEXT);
DROP FUNCTION IF EXISTS derived_backlog(TEXT, INT);
DROP FUNCTION IF EXISTS derived_backlog(TEXT);
DROP FUNCTION IF EXISTS derived_columns(TEXT);
DROP FUNCTION IF EXISTS derived_step(TEXT, INT);
DROP FUNCTION IF EXISTS derived_rebuild(TEXT);
DROP FUNCTION IF EXISTS derived_logging(BOOLEAN);
DROP FUNCTION IF EXISTS derived_register_whole(TEXT, TEXT[], TEXT[], INTERVAL, INTERVAL);

-- md5 of a structure's current definition (what definition_md5 is
-- compared with).
CREATE FUNCTION derived_definition_md5(p_name TEXT) RETURNS TEXT
LANGUAGE sql STABLE AS $$
    SELECT md5(pg_get_viewdef(to_regclass(quote_ident(p_name || '_def')), true))
$$;

-- Removes the materialized view p_name that older migrations created (and
-- registered with the whole-view refresher), if it is still there.
CREATE FUNCTION derived_retire_view(p_name TEXT) RETURNS void
LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_matviews WHERE schemaname = current_schema() AND matviewname = p_name) THEN
        PERFORM unregister_view(p_name);
        EXECUTE format('DROP MATERIALIZED VIEW %I', p_name);
    END IF;
END;
$$;

-- Registers <t> (idempotent), after creating <t>_def: turns a materialized
-- view of that name (as older migrations created it) into nothing, creates
-- the table from the definition's columns when it is missing or its
-- columns differ (a new table starts unpopulated: the refresher builds it
-- before the server serves), and creates the dirty log.
CREATE FUNCTION derived_register(
    p_name TEXT,
    p_key_column TEXT,
    p_conflict_columns TEXT[],
    p_staleness_target INTERVAL,
    p_timer INTERVAL DEFAULT NULL,
    p_batch_size INT DEFAULT 1000)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_def regclass := to_regclass(quote_ident(p_name || '_def'));
    v_rel regclass := to_regclass(quote_ident(p_name));
    v_kind "char";
    v_same BOOLEAN;
BEGIN
    IF v_def IS NULL THEN
        RAISE EXCEPTION 'derived_register: create the view %_def first', p_name;
    END IF;
    IF v_rel IS NOT NULL THEN
        SELECT relkind INTO v_kind FROM pg_class WHERE oid = v_rel;
        IF v_kind = 'm' THEN
            PERFORM derived_retire_view(p_name);
            v_rel := NULL;
        ELSIF v_kind = 'r' THEN
            -- Same column names and types, in the same order?
            SELECT coalesce(array_agg((a.attname, a.atttypid, a.atttypmod)::text ORDER BY a.attnum), '{}')
                   = (SELECT coalesce(array_agg((d.attname, d.atttypid, d.atttypmod)::text ORDER BY d.attnum), '{}')
                        FROM pg_attribute d
                       WHERE d.attrelid = v_def AND d.attnum > 0 AND NOT d.attisdropped)
              INTO v_same
              FROM pg_attribute a
             WHERE a.attrelid = v_rel AND a.attnum > 0 AND NOT a.attisdropped;
            IF NOT v_same THEN
                EXECUTE format('DROP TABLE %I CASCADE', p_name);
                v_rel := NULL;
            END IF;
        ELSE
            RAISE EXCEPTION 'derived_register: % exists and is neither a table nor a materialized view', p_name;
        END IF;
    END IF;
    IF v_rel IS NULL THEN
        EXECUTE format('CREATE TABLE %I AS SELECT * FROM %I WITH NO DATA', p_name, p_name || '_def');
        UPDATE mv_registry SET populated = FALSE, definition_md5 = NULL, row_count = NULL
         WHERE view_name = p_name;
    END IF;
    EXECUTE format(
        'CREATE TABLE IF NOT EXISTS %I (
             seq       BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
             key       UUID NOT NULL,
             queued_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())',
        p_name || '_dirty');

    INSERT INTO mv_registry AS r (view_name, sources, timer, dirty_seq, staleness_target,
                                  kind, key_column, conflict_columns, batch_size, current_md5)
    VALUES (p_name, '{}', p_timer, 'mv_dirty_' || p_name, p_staleness_target,
            'keyed', p_key_column, p_conflict_columns, p_batch_size, derived_definition_md5(p_name))
    ON CONFLICT (view_name) DO UPDATE
       SET sources = '{}', timer = EXCLUDED.timer, staleness_target = EXCLUDED.staleness_target,
           kind = 'keyed', key_column = EXCLUDED.key_column,
           conflict_columns = EXCLUDED.conflict_columns, batch_size = EXCLUDED.batch_size,
           current_md5 = EXCLUDED.current_md5;
END;
$$;

-- Log rows waiting in a structure's log and when the oldest was written,
-- from two probes of the log's primary key: the rows are the range of
-- sequence numbers from the oldest to the newest (steps take the oldest
-- first, so only a rolled-back writer's number can leave a gap, making
-- the figure a little high), never a count of the log.
CREATE FUNCTION derived_backlog(p_name TEXT, OUT keys BIGINT, OUT oldest TIMESTAMPTZ)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF to_regclass(quote_ident(p_name || '_dirty')) IS NULL THEN
        keys := 0;
        RETURN;
    END IF;
    EXECUTE format('SELECT coalesce((SELECT max(seq) FROM %1$I) - o.seq + 1, 0), o.queued_at
                      FROM (SELECT NULL) x
                      LEFT JOIN (SELECT seq, queued_at FROM %1$I ORDER BY seq LIMIT 1) o ON TRUE',
                   p_name || '_dirty')
       INTO keys, oldest;
END;
$$;

-- The column lists a step needs, from the table's catalog entry.
CREATE FUNCTION derived_columns(p_name TEXT, OUT cols TEXT, OUT excluded_cols TEXT)
LANGUAGE sql STABLE AS $$
    SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum),
           string_agg('EXCLUDED.' || quote_ident(a.attname), ', ' ORDER BY a.attnum)
      FROM pg_attribute a
     WHERE a.attrelid = to_regclass(quote_ident(p_name)) AND a.attnum > 0 AND NOT a.attisdropped
$$;

-- One step: take up to p_batch log rows (the registry's batch_size when
-- NULL) and rewrite their distinct keys' rows, all in the caller's
-- transaction. Returns the distinct keys, the rows inserted, updated
-- (changed rows only) and deleted, and the longest and the summed wait of
-- the keys (from their oldest log row to now).
CREATE FUNCTION derived_step(p_name TEXT, p_batch INT DEFAULT NULL,
                                        OUT keys INT, OUT inserted BIGINT, OUT updated BIGINT,
                                        OUT deleted BIGINT, OUT max_lag_ms BIGINT, OUT lag_sum_ms BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
    r mv_registry;
    k UUID[];
    c RECORD;
    match TEXT;
BEGIN
    SELECT * INTO r FROM mv_registry WHERE view_name = p_name AND kind = 'keyed';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'derived_step: % is not a keyed structure', p_name;
    END IF;
    -- One step (or build) of a structure at a time, in whichever session:
    -- the statements below take their snapshots after this lock is held.
    PERFORM pg_advisory_xact_lock(hashtextextended('derived:' || p_name, 0));
    EXECUTE format(
        'WITH taken AS (
             DELETE FROM %1$I
              WHERE seq IN (SELECT seq FROM %1$I ORDER BY seq LIMIT $1 FOR UPDATE SKIP LOCKED)
             RETURNING key, queued_at),
         per_key AS (SELECT key, min(queued_at) AS first_at FROM taken GROUP BY key)
         SELECT array_agg(key),
                coalesce(max(extract(epoch FROM clock_timestamp() - first_at) * 1000), 0)::bigint,
                coalesce(sum(extract(epoch FROM clock_timestamp() - first_at) * 1000), 0)::bigint
           FROM per_key', p_name || '_dirty')
       INTO k, max_lag_ms, lag_sum_ms
      USING coalesce(p_batch, r.batch_size);
    keys := coalesce(cardinality(k), 0);
    inserted := 0;
    updated := 0;
    deleted := 0;
    IF keys = 0 THEN
        RETURN;
    END IF;
    c := derived_columns(p_name);
    SELECT string_agg(format('f.%1$I = t.%1$I', col), ' AND ') INTO match
      FROM unnest(r.conflict_columns) AS col;
    -- One statement, one snapshot: the fresh rows are computed once; the
    -- upsert touches rows that are in them, the delete rows that are not.
    EXECUTE format(
        'WITH fresh AS MATERIALIZED (SELECT * FROM %2$I WHERE %3$I = ANY ($1)),
              up AS (INSERT INTO %1$I AS t SELECT * FROM fresh
                     ON CONFLICT (%4$s) DO UPDATE SET (%5$s) = ROW (%6$s)
                     WHERE (t.*) IS DISTINCT FROM (EXCLUDED.*)
                     RETURNING xmax = 0 AS is_new),
              gone AS (DELETE FROM %1$I t
                        WHERE t.%3$I = ANY ($1)
                          AND NOT EXISTS (SELECT 1 FROM fresh f WHERE %7$s)
                       RETURNING 1)
         SELECT (SELECT count(*) FILTER (WHERE is_new) FROM up),
                (SELECT count(*) FILTER (WHERE NOT is_new) FROM up),
                (SELECT count(*) FROM gone)',
        p_name, p_name || '_def', r.key_column,
        (SELECT string_agg(quote_ident(col), ', ') FROM unnest(r.conflict_columns) AS col),
        c.cols, c.excluded_cols, match)
       INTO inserted, updated, deleted
      USING k;
END;
$$;

-- A full build: empties the log, then makes the table equal to the whole
-- definition (a plain insert when it is empty, otherwise the difference),
-- marks it populated and records the definition it was built from.
CREATE FUNCTION derived_rebuild(p_name TEXT,
                                           OUT inserted BIGINT, OUT updated BIGINT, OUT deleted BIGINT,
                                           OUT row_count BIGINT)
LANGUAGE plpgsql AS $$
DECLARE
    r mv_registry;
    c RECORD;
    match TEXT;
    empty BOOLEAN;
BEGIN
    SELECT * INTO r FROM mv_registry WHERE view_name = p_name AND kind = 'keyed';
    IF NOT FOUND THEN
        RAISE EXCEPTION 'derived_rebuild: % is not a keyed structure', p_name;
    END IF;
    PERFORM pg_advisory_xact_lock(hashtextextended('derived:' || p_name, 0));
    -- Every key logged so far is covered by the definition read below
    -- (its writer committed before this statement's snapshot).
    EXECUTE format('DELETE FROM %I', p_name || '_dirty');
    EXECUTE format('SELECT NOT EXISTS (SELECT 1 FROM %I)', p_name) INTO empty;
    updated := 0;
    deleted := 0;
    IF empty THEN
        EXECUTE format('INSERT INTO %I SELECT * FROM %I', p_name, p_name || '_def');
        GET DIAGNOSTICS inserted = ROW_COUNT;
    ELSE
        c := derived_columns(p_name);
        SELECT string_agg(format('f.%1$I = t.%1$I', col), ' AND ') INTO match
          FROM unnest(r.conflict_columns) AS col;
        EXECUTE format(
            'WITH fresh AS MATERIALIZED (SELECT * FROM %2$I),
                  up AS (INSERT INTO %1$I AS t SELECT * FROM fresh
                         ON CONFLICT (%3$s) DO UPDATE SET (%4$s) = ROW (%5$s)
                         WHERE (t.*) IS DISTINCT FROM (EXCLUDED.*)
                         RETURNING xmax = 0 AS is_new),
                  gone AS (DELETE FROM %1$I t
                            WHERE NOT EXISTS (SELECT 1 FROM fresh f WHERE %6$s)
                           RETURNING 1)
             SELECT (SELECT count(*) FILTER (WHERE is_new) FROM up),
                    (SELECT count(*) FILTER (WHERE NOT is_new) FROM up),
                    (SELECT count(*) FROM gone)',
            p_name, p_name || '_def',
            (SELECT string_agg(quote_ident(col), ', ') FROM unnest(r.conflict_columns) AS col),
            c.cols, c.excluded_cols, match)
           INTO inserted, updated, deleted;
    END IF;
    -- The count after a build (steps then carry it forward from their own
    -- insert and delete counts).
    EXECUTE format('SELECT count(*) FROM %I', p_name) INTO row_count;
    -- Fresh planner statistics: a table built whole (first population,
    -- after a bulk load) would otherwise be planned as the empty table it
    -- was until autovacuum comes by, if it is on at all. Likewise, a GIN
    -- index of a table just filled holds most of its entries in its
    -- pending list, which the planner prices as pages to read on every
    -- scan (measured: a rare word's search read the whole search index
    -- instead of the GIN index, 160 ms instead of 0.5 ms): merge them.
    EXECUTE format('ANALYZE %I', p_name);
    PERFORM gin_clean_pending_list(i.indexrelid)
       FROM pg_index i
       JOIN pg_class ic ON ic.oid = i.indexrelid
       JOIN pg_am a ON a.oid = ic.relam
      WHERE i.indrelid = to_regclass(quote_ident(p_name)) AND a.amname = 'gin';
    UPDATE mv_registry
       SET populated = TRUE, definition_md5 = derived_definition_md5(p_name),
           current_md5 = derived_definition_md5(p_name), row_count = derived_rebuild.row_count
     WHERE view_name = p_name;
END;
$$;

-- Registers a structure kept whole (a materialized view refreshed by the
-- whole-view refresher, on writes to p_sources and/or on p_timer), after
-- creating <t>_def: its one definition. The materialized view is a copy
-- of that definition's text (not a view over it, so the file can drop and
-- re-create <t>_def freely). When the definition changed since the view
-- was built (md5 of pg_get_viewdef, as for keyed structures), a new view
-- is built WITH DATA beside the old one and swapped in, in the caller's
-- transaction: readers never meet an unpopulated view. A view it builds
-- gets its unique index on p_unique_columns (<t>_key) here, since
-- registering needs one; the caller creates any other index afterwards
-- (CREATE INDEX IF NOT EXISTS).
CREATE FUNCTION derived_register_whole(
    p_name TEXT,
    p_unique_columns TEXT[],
    p_sources TEXT[],
    p_timer INTERVAL,
    p_staleness_target INTERVAL)
RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    v_def regclass := to_regclass(quote_ident(p_name || '_def'));
    v_md5 TEXT := derived_definition_md5(p_name);
    v_built TEXT;
BEGIN
    IF v_def IS NULL THEN
        RAISE EXCEPTION 'derived_register_whole: create the view %_def first', p_name;
    END IF;
    SELECT definition_md5 INTO v_built FROM mv_registry WHERE view_name = p_name;
    -- Materialized views that older migrations created have no recorded
    -- md5: compare their text with the definition's instead.
    IF v_built IS NULL AND EXISTS (
           SELECT 1 FROM pg_matviews
            WHERE schemaname = current_schema() AND matviewname = p_name
              AND md5(pg_get_viewdef(to_regclass(quote_ident(p_name)), true)) = v_md5) THEN
        v_built := v_md5;
    END IF;
    IF v_built IS DISTINCT FROM v_md5
       OR NOT EXISTS (SELECT 1 FROM pg_matviews
                       WHERE schemaname = current_schema() AND matviewname = p_name) THEN
        EXECUTE format('DROP MATERIALIZED VIEW IF EXISTS %I', p_name || '_next');
        EXECUTE format('CREATE MATERIALIZED VIEW %I AS %s WITH DATA',
                       p_name || '_next', rtrim(pg_get_viewdef(v_def, true), ';'));
        EXECUTE format('DROP MATERIALIZED VIEW IF EXISTS %I', p_name);
        EXECUTE format('ALTER MATERIALIZED VIEW %I RENAME TO %I', p_name || '_next', p_name);
        EXECUTE format('CREATE UNIQUE INDEX %I ON %I (%s)', p_name || '_key', p_name,
                       (SELECT string_agg(quote_ident(c), ', ') FROM unnest(p_unique_columns) AS c));
    END IF;
    PERFORM register_view(p_name, p_sources, p_timer);
    UPDATE mv_registry
       SET kind = 'view', staleness_target = p_staleness_target, definition_md5 = v_md5,
           current_md5 = v_md5
     WHERE view_name = p_name;
END;
$$;

-- Turns every keyed structure's logging triggers (<t>_mark,
-- <t>_mark_update) off or on, in the caller's transaction. For a bulk load
-- (the demo seed) that rebuilds everything afterwards: turning logging
-- off also marks every keyed structure unpopulated, so the refresher
-- rebuilds each whole before any step — one pass over the definition
-- instead of logging and stepping every row. The lock ALTER TABLE takes
-- makes concurrent writers wait until the caller commits, so no write of
-- theirs goes unlogged.
CREATE FUNCTION derived_logging(p_on BOOLEAN) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
    t RECORD;
BEGIN
    FOR t IN SELECT tg.tgrelid::regclass AS rel, tg.tgname
               FROM pg_trigger tg
               JOIN mv_registry r ON r.kind = 'keyed'
                AND tg.tgname::text IN (r.view_name || '_mark', r.view_name || '_mark_update')
              WHERE NOT tg.tgisinternal
              ORDER BY 1, 2
    LOOP
        EXECUTE format('ALTER TABLE %s %s TRIGGER %I', t.rel,
                       CASE WHEN p_on THEN 'ENABLE' ELSE 'DISABLE' END, t.tgname);
    END LOOP;
    IF NOT p_on THEN
        UPDATE mv_registry SET populated = FALSE WHERE kind = 'keyed';
    END IF;
END;
$$;

-- What the refresher plans with: one row per registered structure, from
-- the registry alone (cheap enough to read every poll). For a
-- materialized view ('view'), marks are the values of its mark sequence.
CREATE VIEW mv_schedule AS
SELECT r.view_name,
       r.kind,
       r.sources,
       r.timer,
       s.mark,
       r.refreshed_upto,
       CASE WHEN r.kind = 'keyed' THEN r.populated ELSE coalesce(c.relispopulated, FALSE) END AS populated,
       (r.timer IS NOT NULL AND (t.last IS NULL OR now() - t.last >= r.timer)) AS timer_due,
       -- keyed: the table must be (re)built whole before steps can keep it.
       (r.kind = 'keyed' AND (NOT r.populated OR r.definition_md5 IS DISTINCT FROM r.current_md5))
           AS rebuild_due,
       r.last_refresh_at,
       r.row_count,
       r.staleness_target,
       r.batch_size
  FROM mv_registry r
  CROSS JOIN LATERAL (
       SELECT coalesce(pg_sequence_last_value(to_regclass(quote_ident(r.dirty_seq))), 0) AS mark) s
  -- A timer counts from the last full refresh (keyed: the last rebuild;
  -- steps do not reset it).
  CROSS JOIN LATERAL (
       SELECT CASE WHEN r.kind = 'keyed' THEN r.last_rebuild_at ELSE r.last_refresh_at END AS last) t
  LEFT JOIN pg_class c ON c.oid = to_regclass(quote_ident(r.view_name)) AND c.relkind = 'm';

-- mv_schedule with what is waiting: for a view, the marks not covered by
-- its last refresh; for a keyed structure, the log rows waiting and the
-- oldest one's time (derived_backlog: about 1 ms per keyed structure, so
-- the stepper probes the logs with one prepared statement instead).
CREATE VIEW mv_status AS
SELECT m.view_name,
       m.sources,
       m.timer,
       m.mark,
       m.refreshed_upto,
       CASE WHEN m.kind = 'keyed' THEN b.keys ELSE greatest(m.mark - m.refreshed_upto, 0) END AS pending_marks,
       CASE WHEN m.kind = 'keyed' THEN b.keys > 0 ELSE m.mark > m.refreshed_upto END AS dirty,
       m.populated,
       m.timer_due,
       m.last_refresh_at,
       m.row_count,
       m.staleness_target,
       m.kind,
       b.oldest AS oldest_pending_at,
       m.rebuild_due,
       m.batch_size
  FROM mv_schedule m
  LEFT JOIN LATERAL (SELECT * FROM derived_backlog(m.view_name) WHERE m.kind = 'keyed') b ON TRUE;
