-- Reports of the reconciler (data/src/reconcile.rs, docs/DERIVED-DATA.md):
-- every run (scheduled, from the CLI or the admin page) keeps its report so
-- the admin health page can show the last one and monitoring can read drift
-- over time. The report itself is the JSON form of `ReconcileReport`.
CREATE TABLE reconcile_log (
    id                BIGSERIAL PRIMARY KEY,
    started_at        TIMESTAMPTZ NOT NULL,
    finished_at       TIMESTAMPTZ NOT NULL,
    duration_ms       INT NOT NULL,
    -- schedule | cli | admin | test
    triggered_by      TEXT NOT NULL,
    -- Differences in the trigger-maintained tables (missing + extra rows +
    -- differing row/column pairs) found by this run, before any repair.
    table_differences BIGINT NOT NULL,
    -- Views whose content differs from their defining query while the
    -- refresher considers them clean (a lost mark or a broken refresh);
    -- NULL when the run did not compare views.
    views_drifted     INT,
    repaired          BOOLEAN NOT NULL,
    -- Who ran it (server instance id, or cli@host:pid).
    run_by            TEXT NOT NULL,
    report            JSONB NOT NULL,
    CONSTRAINT reconcile_log_triggered_by CHECK (triggered_by IN ('schedule', 'cli', 'admin', 'test'))
);
CREATE INDEX idx_reconcile_log_started ON reconcile_log (started_at DESC);
