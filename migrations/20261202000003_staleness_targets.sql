-- A staleness target per view: how long after a write the view may still
-- not show it. The refresher (data/src/refresher.rs) refreshes one view at
-- a time, earliest deadline first, and lets a view collect marks for as
-- long as its target allows once its own refresh time is set aside: views
-- people watch change (feed, forums, chains) refresh within ~1 s of a
-- write, expensive views nobody watches change second by second (search,
-- leaderboards, dashboards) coalesce many more writes per refresh. Measured
-- in docs/BENCHMARKS.md (engine_bench).
ALTER TABLE mv_registry
    ADD COLUMN staleness_target INTERVAL NOT NULL DEFAULT interval '2 seconds',
    ADD CONSTRAINT mv_registry_target_positive CHECK (staleness_target > interval '0');

UPDATE mv_registry SET staleness_target = CASE view_name
    WHEN 'mv_feed_projects'        THEN interval '2 seconds'
    WHEN 'mv_chain_posts'          THEN interval '2 seconds'
    WHEN 'mv_chains_discovery'     THEN interval '2 seconds'
    WHEN 'mv_project_details'      THEN interval '5 seconds'
    WHEN 'mv_investors_directory'  THEN interval '5 seconds'
    WHEN 'mv_user_profiles'        THEN interval '5 seconds'
    WHEN 'mv_leaderboard_projects' THEN interval '10 seconds'
    WHEN 'mv_leaderboard_builders' THEN interval '10 seconds'
    WHEN 'mv_search_index'         THEN interval '10 seconds'
    WHEN 'mv_admin_dashboard'      THEN interval '10 seconds'
    WHEN 'mv_investor_dashboard'   THEN interval '10 seconds'
    WHEN 'mv_validator_dashboard'  THEN interval '10 seconds'
    WHEN 'mv_search_terms'         THEN interval '30 seconds'
    ELSE staleness_target
END;

-- The same columns as before, plus the target (appended: CREATE OR REPLACE
-- VIEW may only add columns at the end).
CREATE OR REPLACE VIEW mv_status AS
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
       r.row_count,
       r.staleness_target
  FROM mv_registry r
  LEFT JOIN pg_class c ON c.oid = to_regclass(quote_ident(r.view_name)) AND c.relkind = 'm';
