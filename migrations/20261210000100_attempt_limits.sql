-- Attempt limits shared by every server instance (log-in failures per
-- client address and per login name, sign-up attempts per client address).
-- One row per (bucket, key): the times of the attempts counted inside the
-- bucket's sliding window. An attempt is one atomic upsert (data::limits):
-- it drops the times older than the window and appends its own only while
-- fewer than the limit remain, so a row never holds more times than the
-- limit and parallel attempts cannot exceed it. `key` is the SHA-256 of the
-- lower-cased key (an address, a login as typed), never the key itself.
-- Rows whose times have all left the window (`expires_at` passed) are
-- deleted by the instances, so the table stays bounded by the keys seen in
-- one window.
CREATE TABLE attempt_limits (
    bucket     TEXT          NOT NULL,
    key        BYTEA         NOT NULL,
    hits       TIMESTAMPTZ[] NOT NULL,
    -- The verdict on the latest attempt, read back by the upsert's RETURNING.
    allowed    BOOLEAN       NOT NULL,
    expires_at TIMESTAMPTZ   NOT NULL,
    PRIMARY KEY (bucket, key)
);

CREATE INDEX idx_attempt_limits_expires ON attempt_limits (expires_at);
