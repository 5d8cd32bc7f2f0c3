-- Keyed derived structures (docs/REFRESHER.md, "Keyed structures").
--
-- A keyed structure is a plain table that pages read, kept equal to its
-- definition (a view named <table>_def) one key at a time: triggers on
-- the source tables append the keys a write affected to <table>_dirty,
-- and the refresher rewrites exactly those keys' rows from the definition.
-- The tables, definitions, triggers and indexes live in data/derived/ and
-- are re-applied after the migrations; this migration only adds what the
-- registry needs to know about them.

ALTER TABLE mv_registry
    -- 'view': a materialized view refreshed whole (REFRESH ... CONCURRENTLY);
    -- 'keyed': a table rewritten per key from <view_name>_def.
    ADD COLUMN kind TEXT NOT NULL DEFAULT 'view',
    -- keyed: the definition's column the dirty keys name (a uuid).
    ADD COLUMN key_column TEXT,
    -- keyed: the table's unique key (what an upsert conflicts on).
    ADD COLUMN conflict_columns TEXT[],
    -- keyed: most distinct keys one step rewrites (the cost of a step is
    -- about linear in it; far larger batches fall off a planner cliff).
    ADD COLUMN batch_size INT NOT NULL DEFAULT 1000,
    -- keyed: the table holds its definition's rows (false until the first
    -- full build).
    ADD COLUMN populated BOOLEAN NOT NULL DEFAULT FALSE,
    -- keyed: md5 of the definition the table was last fully built from; a
    -- changed definition makes the refresher rebuild the table.
    ADD COLUMN definition_md5 TEXT,
    -- keyed: md5 of the definition as last applied (data/derived/): the
    -- table must be rebuilt while it differs from definition_md5. Stored
    -- when the files are applied, so that polls compare two columns.
    ADD COLUMN current_md5 TEXT,
    -- keyed: end of the last full build (a timer counts from it; steps
    -- move only last_refresh_at).
    ADD COLUMN last_rebuild_at TIMESTAMPTZ,
    ADD CONSTRAINT mv_registry_kind CHECK (kind IN ('view', 'keyed')),
    ADD CONSTRAINT mv_registry_keyed_columns
        CHECK (kind = 'view' OR (key_column IS NOT NULL AND cardinality(conflict_columns) > 0)),
    ADD CONSTRAINT mv_registry_batch_positive CHECK (batch_size > 0),
    DROP CONSTRAINT mv_registry_has_trigger,
    ADD CONSTRAINT mv_registry_has_trigger
        CHECK (kind = 'keyed' OR cardinality(sources) > 0 OR timer IS NOT NULL);

-- What the keyed steps did, per structure and minute: the refresher adds
-- each step's figures to its minute's row (one row per structure and
-- minute, however many steps), which is what the staleness chart reads.
CREATE TABLE derived_step_stats (
    view_name    TEXT NOT NULL,
    minute       TIMESTAMPTZ NOT NULL,
    steps        INT NOT NULL,
    keys         BIGINT NOT NULL,
    rows_written BIGINT NOT NULL,
    busy_ms      BIGINT NOT NULL,
    -- Longest wait of a key, from its write to the end of the step that
    -- rewrote it, within the minute.
    max_lag_ms   BIGINT NOT NULL,
    -- Sum over keys of that wait, for the mean.
    lag_sum_ms   BIGINT NOT NULL,
    PRIMARY KEY (view_name, minute)
);
CREATE INDEX idx_derived_step_stats_minute ON derived_step_stats (minute);
