-- Indexes for the chain pages (issue 4, chains and forums).
--
-- The discovery page's "newest" tab: public chains by creation time, a
-- keyset page is one range scan (like the view's other partial indexes,
-- `WHERE is_public`; the page filters `WHERE is_public`).
CREATE INDEX mv_chains_discovery_newest
    ON mv_chains_discovery (created_at DESC, id DESC) WHERE is_public;

-- A chain's projects, most recently added first: one range scan per page
-- keyed on (created_at, project_id) within the chain (the primary key
-- (chain_id, project_id) gives no time order).
CREATE INDEX idx_chain_projects_chain_created
    ON chain_projects (chain_id, created_at DESC, project_id DESC);
