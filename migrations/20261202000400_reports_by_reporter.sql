-- A user's open reports, for the per-user limit on new reports
-- (data::reports::create counts them on every report).
CREATE INDEX idx_reports_reporter_open ON reports (reporter_id) WHERE status = 'open';
