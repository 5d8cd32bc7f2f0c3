-- Category B: the materialized views behind the public and dashboard pages.
-- Purpose, page, key, indexes, sources, timer and the page query of each
-- view: docs/VIEWS.md. Plans and refresh times: docs/EXPLAIN.md.
--
-- Fixes against the design document (shared/seed/denormalization-strategy.md):
--  * every view has a UNIQUE index on plain columns, so REFRESH ...
--    CONCURRENTLY works; mv_search_index is unique on (result_type, id)
--    (SEED-REVIEW 1);
--  * no refresh triggers here: each view is registered with register_view()
--    (migration 20261125000020_refresh_engine.sql), which marks it dirty
--    cheaply on writes to the tables it reads; a worker refreshes it out of
--    band (SEED-REVIEW 2, 7). Views whose content decays with time also get
--    a timer (SEED-REVIEW 16);
--  * counts come from aggregated LEFT JOINs (one pass over each child table
--    per refresh) or lateral subqueries on an index, never from correlated
--    counts that scan (SEED-REVIEW 2, 6);
--  * no email or other private field in any public view (SEED-REVIEW 8);
--  * no ORDER BY in any view definition: the indexes give the order
--    (SEED-REVIEW 13);
--  * feed and forum trending scores grow linearly with the creation time
--    measured from a FIXED epoch (2026-01-01 UTC) instead of decaying with
--    now(): the same order, but a row's score never changes by itself, so a
--    refresh only rewrites rows whose inputs changed (SEED-REVIEW 16);
--  * no per-user placeholder columns (user_has_upvoted, user_is_following):
--    per-user overlays are filled at request time (SEED-REVIEW 17).
--
-- Every sort index ends with the id so that keyset pagination
--   WHERE (sort_key, id) < ($1, $2) ORDER BY sort_key DESC, id DESC LIMIT n
-- is one index range scan at any depth.
--
-- Conventions: counts are bigint, scores and rates double precision (exact
-- round trip of a keyset cursor through f64), JSON is jsonb (comparable),
-- timestamps in JSON are UTC ISO-8601 strings (independent of the session
-- time zone). "Live" project = projects.is_deleted = false (as in
-- docs/DERIVED-DATA.md); user-centred views list active users only.

-- ------------------------------------------------------------------ feed --

CREATE MATERIALIZED VIEW mv_feed_projects AS
SELECT
    p.id,
    p.title,
    p.description,
    p.proof_of_work_link,
    p.image_url,
    p.created_at,
    p.updated_at,
    p.is_featured,
    p.category,
    p.user_id,
    u.username,
    u.profile_image,
    u.is_verified,
    p.proof_score,
    COALESCE(c.top_level, 0) AS comment_count,
    COALESCE(c.total, 0) AS total_comment_count,
    COALESCE(v.upvotes, 0) AS upvote_count,
    COALESCE(b.badges, 0) AS badge_count,
    COALESCE(b.types, '{}'::text[]) AS badge_types,
    -- Linear in the creation time from a fixed epoch (0.1 per hour), so the
    -- order matches the document's "minus 0.1 per hour of age" at any
    -- instant without reading the clock.
    (p.proof_score * 0.5
        + COALESCE(c.total, 0) * 2
        + COALESCE(v.upvotes, 0) * 1.5
        + extract(epoch FROM p.created_at - timestamptz '2026-01-01 00:00:00+00') / 3600 * 0.1
    )::double precision AS trending_score
FROM projects p
JOIN users u ON u.id = p.user_id
LEFT JOIN (
    SELECT project_id, count(*) AS total, count(*) FILTER (WHERE parent_id IS NULL) AS top_level
    FROM comments GROUP BY project_id
) c ON c.project_id = p.id
LEFT JOIN (
    SELECT project_id, count(*) AS upvotes
    FROM upvotes WHERE is_upvote GROUP BY project_id
) v ON v.project_id = p.id
LEFT JOIN (
    SELECT project_id, count(*) AS badges, array_agg(DISTINCT badge_type ORDER BY badge_type) AS types
    FROM validation_badges GROUP BY project_id
) b ON b.project_id = p.id
WHERE NOT p.is_deleted
WITH DATA;

CREATE UNIQUE INDEX mv_feed_projects_id ON mv_feed_projects (id);
CREATE INDEX mv_feed_projects_trending ON mv_feed_projects (trending_score DESC, id DESC);
-- "Top" = most upvoted; the period tabs (today/week/month) range-scan the
-- created_at index and sort the few rows of the period.
CREATE INDEX mv_feed_projects_top ON mv_feed_projects (upvote_count DESC, id DESC);
CREATE INDEX mv_feed_projects_newest ON mv_feed_projects (created_at DESC, id DESC);
CREATE INDEX mv_feed_projects_category ON mv_feed_projects (category, trending_score DESC, id DESC);
CREATE INDEX mv_feed_projects_featured ON mv_feed_projects (trending_score DESC, id DESC) WHERE is_featured;
CREATE INDEX mv_feed_projects_user ON mv_feed_projects (user_id, created_at DESC, id DESC);

SELECT register_view('mv_feed_projects',
    ARRAY['projects', 'users', 'comments', 'upvotes', 'validation_badges']);

-- ---------------------------------------------------------- leaderboards --

CREATE MATERIALIZED VIEW mv_leaderboard_projects AS
SELECT ranked.*
FROM (
    SELECT
        row_number() OVER (ORDER BY p.proof_score DESC, p.created_at, p.id) AS rank,
        p.id,
        p.title,
        p.image_url,
        p.category,
        p.proof_score,
        p.created_at,
        p.user_id,
        u.username,
        u.profile_image,
        COALESCE(b.badges, 0) AS badge_count,
        COALESCE(c.total, 0) AS comment_count,
        COALESCE(v.upvotes, 0) AS upvote_count
    FROM projects p
    JOIN users u ON u.id = p.user_id
    LEFT JOIN (SELECT project_id, count(*) AS badges FROM validation_badges GROUP BY project_id) b
        ON b.project_id = p.id
    LEFT JOIN (SELECT project_id, count(*) AS total FROM comments GROUP BY project_id) c
        ON c.project_id = p.id
    LEFT JOIN (SELECT project_id, count(*) AS upvotes FROM upvotes WHERE is_upvote GROUP BY project_id) v
        ON v.project_id = p.id
    WHERE NOT p.is_deleted AND p.proof_score > 0
) ranked
WHERE ranked.rank <= 1000
WITH DATA;

CREATE UNIQUE INDEX mv_leaderboard_projects_id ON mv_leaderboard_projects (id);
CREATE UNIQUE INDEX mv_leaderboard_projects_rank ON mv_leaderboard_projects (rank);

SELECT register_view('mv_leaderboard_projects',
    ARRAY['projects', 'users', 'validation_badges', 'comments', 'upvotes']);

-- Karma as defined in docs/DERIVED-DATA.md (user_dashboard_stats.karma_score),
-- recomputed here from source rows: the proof score of the user's live
-- projects plus the upvotes (is_upvote) those projects received.
CREATE MATERIALIZED VIEW mv_leaderboard_builders AS
SELECT ranked.*
FROM (
    SELECT
        row_number() OVER (ORDER BY s.total_karma DESC, s.created_at, s.id) AS rank,
        s.*
    FROM (
        SELECT
            u.id,
            u.username,
            u.profile_image,
            u.bio,
            u.is_verified,
            u.role,
            u.created_at,
            COALESCE(lp.proof_score, 0) + COALESCE(lp.upvotes, 0) AS total_karma,
            COALESCE(lp.proof_score, 0) AS total_proof_score,
            COALESCE(lp.upvotes, 0) AS upvotes_received,
            COALESCE(lp.projects, 0) AS project_count,
            COALESCE(lp.badges, 0) AS badges_received,
            COALESCE(bg.badges, 0) AS badges_given,
            COALESCE(cm.comments, 0) AS comment_count
        FROM users u
        LEFT JOIN (
            SELECT p.user_id,
                   count(*) AS projects,
                   sum(p.proof_score)::bigint AS proof_score,
                   sum(COALESCE(v.upvotes, 0))::bigint AS upvotes,
                   sum(COALESCE(b.badges, 0))::bigint AS badges
            FROM projects p
            LEFT JOIN (SELECT project_id, count(*) AS upvotes FROM upvotes WHERE is_upvote GROUP BY project_id) v
                ON v.project_id = p.id
            LEFT JOIN (SELECT project_id, count(*) AS badges FROM validation_badges GROUP BY project_id) b
                ON b.project_id = p.id
            WHERE NOT p.is_deleted
            GROUP BY p.user_id
        ) lp ON lp.user_id = u.id
        LEFT JOIN (SELECT validator_id, count(*) AS badges FROM validation_badges GROUP BY validator_id) bg
            ON bg.validator_id = u.id
        LEFT JOIN (SELECT user_id, count(*) AS comments FROM comments GROUP BY user_id) cm
            ON cm.user_id = u.id
        WHERE u.is_active
    ) s
) ranked
WHERE ranked.rank <= 1000
WITH DATA;

CREATE UNIQUE INDEX mv_leaderboard_builders_id ON mv_leaderboard_builders (id);
CREATE UNIQUE INDEX mv_leaderboard_builders_rank ON mv_leaderboard_builders (rank);

SELECT register_view('mv_leaderboard_builders',
    ARRAY['users', 'projects', 'upvotes', 'validation_badges', 'comments']);

-- ---------------------------------------------------------------- chains --

-- All active chains, public or not (the chain page of a private chain reads
-- its row too); the discovery indexes are partial on is_public, and the
-- discovery page filters on it.
CREATE MATERIALIZED VIEW mv_chains_discovery AS
SELECT
    c.id,
    c.name,
    c.description,
    c.image_url,
    c.category,
    c.is_public,
    c.is_featured,
    c.created_at,
    c.creator_id,
    u.username AS creator_username,
    u.profile_image AS creator_profile_image,
    COALESCE(f.followers, 0) AS follower_count,
    COALESCE(pj.projects, 0) AS project_count,
    COALESCE(ps.posts, 0) AS post_count,
    COALESCE(ps.recent, 0) AS posts_last_7_days,
    -- The document's weights. posts_last_7_days decays with time: the view
    -- is registered with a timer.
    (COALESCE(f.followers, 0) * 0.3
        + COALESCE(pj.projects, 0) * 0.6
        + COALESCE(ps.recent, 0) * 0.1
    )::double precision AS trending_score
FROM chains c
JOIN users u ON u.id = c.creator_id
LEFT JOIN (SELECT chain_id, count(*) AS followers FROM chain_followers GROUP BY chain_id) f
    ON f.chain_id = c.id
LEFT JOIN (
    SELECT cp.chain_id, count(*) AS projects
    FROM chain_projects cp JOIN projects p ON p.id = cp.project_id
    WHERE NOT p.is_deleted
    GROUP BY cp.chain_id
) pj ON pj.chain_id = c.id
LEFT JOIN (
    SELECT chain_id, count(*) AS posts,
           count(*) FILTER (WHERE created_at > now() - interval '7 days') AS recent
    FROM chain_posts WHERE NOT is_deleted GROUP BY chain_id
) ps ON ps.chain_id = c.id
WHERE c.is_active
WITH DATA;

CREATE UNIQUE INDEX mv_chains_discovery_id ON mv_chains_discovery (id);
CREATE INDEX mv_chains_discovery_trending ON mv_chains_discovery (trending_score DESC, id DESC) WHERE is_public;
CREATE INDEX mv_chains_discovery_followers ON mv_chains_discovery (follower_count DESC, id DESC) WHERE is_public;
CREATE INDEX mv_chains_discovery_category ON mv_chains_discovery (category, trending_score DESC, id DESC) WHERE is_public;
CREATE INDEX mv_chains_discovery_featured ON mv_chains_discovery (trending_score DESC, id DESC) WHERE is_public AND is_featured;

SELECT register_view('mv_chains_discovery',
    ARRAY['chains', 'users', 'chain_followers', 'chain_projects', 'projects', 'chain_posts'],
    interval '5 minutes');

CREATE MATERIALIZED VIEW mv_chain_posts AS
SELECT
    cp.id,
    cp.chain_id,
    cp.title,
    cp.content,
    cp.post_type,
    cp.created_at,
    cp.updated_at,
    cp.is_pinned,
    cp.author_id,
    u.username AS author_username,
    u.profile_image AS author_profile_image,
    u.is_verified AS author_is_verified,
    COALESCE(v.upvotes, 0) AS upvote_count,
    COALESCE(v.downvotes, 0) AS downvote_count,
    COALESCE(cc.comments, 0) AS comment_count,
    (COALESCE(v.upvotes, 0) * 1.5
        + COALESCE(cc.comments, 0) * 2
        + extract(epoch FROM cp.created_at - timestamptz '2026-01-01 00:00:00+00') / 3600 * 0.1
    )::double precision AS trending_score
FROM chain_posts cp
JOIN users u ON u.id = cp.author_id
LEFT JOIN (
    SELECT post_id, count(*) FILTER (WHERE is_upvote) AS upvotes,
           count(*) FILTER (WHERE NOT is_upvote) AS downvotes
    FROM chain_post_votes GROUP BY post_id
) v ON v.post_id = cp.id
LEFT JOIN (SELECT post_id, count(*) AS comments FROM chain_post_comments GROUP BY post_id) cc
    ON cc.post_id = cp.id
WHERE NOT cp.is_deleted
WITH DATA;

CREATE UNIQUE INDEX mv_chain_posts_id ON mv_chain_posts (id);
CREATE INDEX mv_chain_posts_chain ON mv_chain_posts (chain_id, is_pinned DESC, trending_score DESC, id DESC);
CREATE INDEX mv_chain_posts_created ON mv_chain_posts (chain_id, created_at DESC, id DESC);

SELECT register_view('mv_chain_posts',
    ARRAY['chain_posts', 'users', 'chain_post_votes', 'chain_post_comments']);

-- ------------------------------------------------------------- investors --

-- Public directory: no email, no reviewer, nothing from the application
-- that is not meant for the public page (SEED-REVIEW 8).
CREATE MATERIALIZED VIEW mv_investors_directory AS
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
    COALESCE(s.sent, 0) AS intro_requests_sent,
    COALESCE(s.approved, 0) AS intros_approved
FROM investor_requests ir
JOIN users u ON u.id = ir.user_id
LEFT JOIN (
    SELECT investor_id, count(*) AS sent, count(*) FILTER (WHERE status = 'approved') AS approved
    FROM intro_requests GROUP BY investor_id
) s ON s.investor_id = ir.user_id
WHERE ir.status = 'approved' AND u.is_active
WITH DATA;

CREATE UNIQUE INDEX mv_investors_directory_id ON mv_investors_directory (id);
-- investor_requests_one_open_key: at most one approved application per user.
CREATE UNIQUE INDEX mv_investors_directory_user ON mv_investors_directory (user_id);
CREATE INDEX mv_investors_directory_approved ON mv_investors_directory (approved_at DESC, id DESC);

SELECT register_view('mv_investors_directory',
    ARRAY['investor_requests', 'users', 'intro_requests']);

-- ------------------------------------------------------- project details --

CREATE MATERIALIZED VIEW mv_project_details AS
SELECT
    p.id,
    p.title,
    p.description,
    p.proof_of_work_link,
    p.image_url,
    p.category,
    p.is_featured,
    p.created_at,
    p.updated_at,
    p.proof_score,
    p.user_id,
    u.username,
    u.profile_image,
    u.bio AS creator_bio,
    u.is_verified,
    COALESCE(c.top_level, 0) AS comment_count,
    COALESCE(c.total, 0) AS total_comment_count,
    COALESCE(v.votes, 0) AS vote_count,
    COALESCE(v.upvotes, 0) AS upvote_count,
    COALESCE(v.votes, 0) - COALESCE(v.upvotes, 0) AS downvote_count,
    COALESCE(b.badges, 0) AS badge_count,
    COALESCE(b.badges_json, '[]'::jsonb) AS badges_json,
    COALESCE(ch.chains_json, '[]'::jsonb) AS chains_json
FROM projects p
JOIN users u ON u.id = p.user_id
LEFT JOIN (
    SELECT project_id, count(*) AS total, count(*) FILTER (WHERE parent_id IS NULL) AS top_level
    FROM comments GROUP BY project_id
) c ON c.project_id = p.id
LEFT JOIN (
    SELECT project_id, count(*) AS votes, count(*) FILTER (WHERE is_upvote) AS upvotes
    FROM upvotes GROUP BY project_id
) v ON v.project_id = p.id
LEFT JOIN (
    SELECT vb.project_id,
           count(*) AS badges,
           jsonb_agg(jsonb_build_object(
               'id', vb.id,
               'badge_type', vb.badge_type,
               'note', vb.note,
               'validator_id', vb.validator_id,
               'validator_username', val.username,
               'created_at', to_char(vb.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
           ) ORDER BY vb.created_at, vb.id) AS badges_json
    FROM validation_badges vb
    JOIN users val ON val.id = vb.validator_id
    GROUP BY vb.project_id
) b ON b.project_id = p.id
LEFT JOIN (
    SELECT cp.project_id,
           jsonb_agg(jsonb_build_object(
               'id', ch.id,
               'name', ch.name,
               'image_url', ch.image_url
           ) ORDER BY ch.name, ch.id) AS chains_json
    FROM chain_projects cp
    JOIN chains ch ON ch.id = cp.chain_id
    WHERE ch.is_public AND ch.is_active
    GROUP BY cp.project_id
) ch ON ch.project_id = p.id
WHERE NOT p.is_deleted
WITH DATA;

CREATE UNIQUE INDEX mv_project_details_id ON mv_project_details (id);
CREATE INDEX mv_project_details_user ON mv_project_details (user_id, created_at DESC, id DESC);

SELECT register_view('mv_project_details',
    ARRAY['projects', 'users', 'comments', 'upvotes', 'validation_badges', 'chain_projects', 'chains']);

-- ---------------------------------------------------------------- search --

-- One row per searchable thing; the key is (result_type, id) (SEED-REVIEW 1).
-- search_vector: name weight A, description B (projects: creator username C).
-- relevance_score: projects proof score, users live project count (one
-- aggregated pass over projects, not a count per user: SEED-REVIEW 6),
-- chains follower count.
CREATE MATERIALIZED VIEW mv_search_index AS
SELECT
    'project'::text AS result_type,
    p.id,
    p.title AS name,
    p.description,
    p.image_url,
    p.created_at,
    p.user_id,
    u.username AS creator_username,
    p.proof_score::bigint AS relevance_score,
    setweight(to_tsvector('english', p.title), 'A')
        || setweight(to_tsvector('english', p.description), 'B')
        || setweight(to_tsvector('english', u.username), 'C') AS search_vector
FROM projects p
JOIN users u ON u.id = p.user_id
WHERE NOT p.is_deleted
UNION ALL
SELECT
    'user'::text,
    u.id,
    u.username,
    u.bio,
    u.profile_image,
    u.created_at,
    u.id,
    u.username,
    COALESCE(pc.projects, 0),
    setweight(to_tsvector('english', u.username), 'A')
        || setweight(to_tsvector('english', u.bio), 'B')
FROM users u
LEFT JOIN (SELECT user_id, count(*) AS projects FROM projects WHERE NOT is_deleted GROUP BY user_id) pc
    ON pc.user_id = u.id
WHERE u.is_active
UNION ALL
SELECT
    'chain'::text,
    c.id,
    c.name,
    c.description,
    c.image_url,
    c.created_at,
    c.creator_id,
    u.username,
    COALESCE(f.followers, 0),
    setweight(to_tsvector('english', c.name), 'A')
        || setweight(to_tsvector('english', c.description), 'B')
FROM chains c
JOIN users u ON u.id = c.creator_id
LEFT JOIN (SELECT chain_id, count(*) AS followers FROM chain_followers GROUP BY chain_id) f
    ON f.chain_id = c.id
WHERE c.is_active AND c.is_public
WITH DATA;

CREATE UNIQUE INDEX mv_search_index_key ON mv_search_index (result_type, id);
CREATE INDEX mv_search_index_vector ON mv_search_index USING gin (search_vector);
CREATE INDEX mv_search_index_name_trgm ON mv_search_index USING gin (name gin_trgm_ops);
CREATE INDEX mv_search_index_type_relevance ON mv_search_index (result_type, relevance_score DESC, id DESC);

SELECT register_view('mv_search_index',
    ARRAY['projects', 'users', 'chains', 'chain_followers']);

-- Typo tolerance. Trigrams alone cannot correct a transposition in a short
-- word ("rsut" and "rust" share one trigram of nine), so fuzzy search first
-- corrects each query word against the vocabulary of searchable names
-- (trigram candidates, ranked by edit distance with transpositions), then
-- searches with the corrected words. See docs/VIEWS.md, "Fuzzy search".
CREATE MATERIALIZED VIEW mv_search_terms AS
SELECT w.term, count(*) AS frequency
FROM (
    SELECT p.title AS name FROM projects p WHERE NOT p.is_deleted
    UNION ALL
    SELECT u.username FROM users u WHERE u.is_active
    UNION ALL
    SELECT c.name FROM chains c WHERE c.is_active AND c.is_public
) d
CROSS JOIN LATERAL regexp_split_to_table(lower(d.name), '[^[:alnum:]]+') AS w(term)
WHERE length(w.term) >= 2
GROUP BY w.term
WITH DATA;

CREATE UNIQUE INDEX mv_search_terms_term ON mv_search_terms (term);
CREATE INDEX mv_search_terms_trgm ON mv_search_terms USING gin (term gin_trgm_ops);

SELECT register_view('mv_search_terms', ARRAY['projects', 'users', 'chains']);

-- Optimal string alignment distance: Levenshtein plus adjacent
-- transpositions ("rsut" -> "rust" is 1, Levenshtein says 2).
CREATE OR REPLACE FUNCTION osa_distance(a text, b text) RETURNS int
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE AS $$
DECLARE
    la int := length(a);
    lb int := length(b);
    w  int := lb + 1;   -- row width of the (la+1) x (lb+1) matrix, flattened
    d  int[];
    cost int;
BEGIN
    IF la = 0 THEN RETURN lb; END IF;
    IF lb = 0 THEN RETURN la; END IF;
    d := array_fill(0, ARRAY[(la + 1) * w]);
    FOR i IN 0..la LOOP d[i * w + 1] := i; END LOOP;
    FOR j IN 0..lb LOOP d[j + 1] := j; END LOOP;
    FOR i IN 1..la LOOP
        FOR j IN 1..lb LOOP
            cost := CASE WHEN substr(a, i, 1) = substr(b, j, 1) THEN 0 ELSE 1 END;
            d[i * w + j + 1] := least(d[(i - 1) * w + j + 1] + 1,      -- deletion
                                      d[i * w + j] + 1,                -- insertion
                                      d[(i - 1) * w + j] + cost);      -- substitution
            IF i > 1 AND j > 1 AND substr(a, i, 1) = substr(b, j - 1, 1)
               AND substr(a, i - 1, 1) = substr(b, j, 1) THEN
                d[i * w + j + 1] := least(d[i * w + j + 1], d[(i - 2) * w + j - 1] + 1);  -- transposition
            END IF;
        END LOOP;
    END LOOP;
    RETURN d[la * w + lb + 1];
END
$$;

-- The query with each word replaced by the closest vocabulary term (itself
-- when it is a term; unchanged when nothing is close enough: at most 1 edit
-- for words of up to 4 letters, 2 beyond). Candidates come from the trigram
-- index with a low similarity threshold, set for this function only.
CREATE OR REPLACE FUNCTION search_correct(q text) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
SET pg_trgm.similarity_threshold = 0.1
AS $$
    SELECT string_agg(COALESCE(best.term, w.word), ' ' ORDER BY w.ord)
    FROM regexp_split_to_table(lower(q), '[^[:alnum:]]+') WITH ORDINALITY AS w(word, ord)
    LEFT JOIN LATERAL (
        SELECT t.term
        FROM mv_search_terms t
        WHERE t.term % w.word
          -- cheap bounds first: the distance is at least the length
          -- difference; a word of over 40 characters is left as typed
          AND length(w.word) <= 40
          AND abs(length(t.term) - length(w.word)) <= 2
          AND osa_distance(t.term, w.word) <= CASE WHEN length(w.word) <= 4 THEN 1 ELSE 2 END
        ORDER BY osa_distance(t.term, w.word), similarity(t.term, w.word) DESC, t.frequency DESC, t.term
        LIMIT 1
    ) best ON true
    WHERE w.word <> ''
$$;

-- ------------------------------------------------------------ dashboards --

-- Site totals: exactly one row, id = 1.
CREATE MATERIALIZED VIEW mv_admin_dashboard AS
SELECT
    1 AS id,
    u.users_total, u.users_active, u.builders, u.validators, u.investors, u.admins, u.new_users_7_days,
    p.projects_total, p.projects_live, p.projects_deleted, p.new_projects_7_days,
    cm.comments,
    uv.upvotes, uv.downvotes,
    b.badges,
    ch.chains_total, ch.chains_active,
    cp.chain_posts,
    m.direct_messages,
    r.reports_open, r.reports_total,
    ia.investor_applications_pending, ia.investors_approved,
    i.intros_total, i.intros_pending, i.intros_approved, i.intros_rejected, i.intros_withdrawn
FROM (
    SELECT count(*) AS users_total,
           count(*) FILTER (WHERE is_active) AS users_active,
           count(*) FILTER (WHERE role = 'builder') AS builders,
           count(*) FILTER (WHERE role = 'validator') AS validators,
           count(*) FILTER (WHERE role = 'investor') AS investors,
           count(*) FILTER (WHERE role = 'admin') AS admins,
           count(*) FILTER (WHERE created_at > now() - interval '7 days') AS new_users_7_days
    FROM users
) u
CROSS JOIN (
    SELECT count(*) AS projects_total,
           count(*) FILTER (WHERE NOT is_deleted) AS projects_live,
           count(*) FILTER (WHERE is_deleted) AS projects_deleted,
           count(*) FILTER (WHERE created_at > now() - interval '7 days') AS new_projects_7_days
    FROM projects
) p
CROSS JOIN (SELECT count(*) AS comments FROM comments) cm
CROSS JOIN (
    SELECT count(*) FILTER (WHERE is_upvote) AS upvotes, count(*) FILTER (WHERE NOT is_upvote) AS downvotes
    FROM upvotes
) uv
CROSS JOIN (SELECT count(*) AS badges FROM validation_badges) b
CROSS JOIN (
    SELECT count(*) AS chains_total, count(*) FILTER (WHERE is_active) AS chains_active FROM chains
) ch
CROSS JOIN (SELECT count(*) AS chain_posts FROM chain_posts WHERE NOT is_deleted) cp
CROSS JOIN (SELECT count(*) AS direct_messages FROM direct_messages) m
CROSS JOIN (
    SELECT count(*) FILTER (WHERE status = 'open') AS reports_open, count(*) AS reports_total FROM reports
) r
CROSS JOIN (
    SELECT count(*) FILTER (WHERE status = 'pending') AS investor_applications_pending,
           count(*) FILTER (WHERE status = 'approved') AS investors_approved
    FROM investor_requests
) ia
CROSS JOIN (
    SELECT count(*) AS intros_total,
           count(*) FILTER (WHERE status = 'pending') AS intros_pending,
           count(*) FILTER (WHERE status = 'approved') AS intros_approved,
           count(*) FILTER (WHERE status = 'rejected') AS intros_rejected,
           count(*) FILTER (WHERE status = 'withdrawn') AS intros_withdrawn
    FROM intro_requests
) i
WITH DATA;

CREATE UNIQUE INDEX mv_admin_dashboard_id ON mv_admin_dashboard (id);

SELECT register_view('mv_admin_dashboard',
    ARRAY['users', 'projects', 'comments', 'upvotes', 'validation_badges', 'chains', 'chain_posts',
          'direct_messages', 'reports', 'investor_requests', 'intro_requests'],
    interval '5 minutes');

-- One row per investor: a user with an approved investor application or at
-- least one intro request sent. approval_rate = approved / (approved +
-- rejected), NULL while no request has been answered.
CREATE MATERIALIZED VIEW mv_investor_dashboard AS
SELECT
    u.id AS investor_id,
    u.username,
    ir.company_name,
    ir.approved_at,
    COALESCE(s.sent, 0) AS requests_sent,
    COALESCE(s.pending, 0) AS requests_pending,
    COALESCE(s.approved, 0) AS requests_approved,
    COALESCE(s.rejected, 0) AS requests_rejected,
    COALESCE(s.withdrawn, 0) AS requests_withdrawn,
    CASE WHEN COALESCE(s.approved, 0) + COALESCE(s.rejected, 0) > 0
         THEN s.approved::double precision / (s.approved + s.rejected)
    END AS approval_rate,
    COALESCE(s.builders_met, 0) AS builders_met,
    COALESCE(s.builders_contacted, 0) AS builders_contacted,
    s.last_request_at
FROM users u
LEFT JOIN investor_requests ir ON ir.user_id = u.id AND ir.status = 'approved'
LEFT JOIN (
    SELECT investor_id,
           count(*) AS sent,
           count(*) FILTER (WHERE status = 'pending') AS pending,
           count(*) FILTER (WHERE status = 'approved') AS approved,
           count(*) FILTER (WHERE status = 'rejected') AS rejected,
           count(*) FILTER (WHERE status = 'withdrawn') AS withdrawn,
           count(DISTINCT builder_id) FILTER (WHERE status = 'approved') AS builders_met,
           count(DISTINCT builder_id) AS builders_contacted,
           max(created_at) AS last_request_at
    FROM intro_requests GROUP BY investor_id
) s ON s.investor_id = u.id
WHERE ir.id IS NOT NULL OR s.investor_id IS NOT NULL
WITH DATA;

CREATE UNIQUE INDEX mv_investor_dashboard_investor ON mv_investor_dashboard (investor_id);

SELECT register_view('mv_investor_dashboard', ARRAY['users', 'investor_requests', 'intro_requests']);

-- One row per validator (role 'validator', or anyone who has given a badge):
-- badges given by type as columns, the last 30 days, and weekly_counts, a
-- JSON array of the 12 most recent ISO weeks (UTC, oldest first, zeros
-- included): [{"week": "2026-09-07", "count": 3}, ...]. Reads now(): timer.
CREATE MATERIALIZED VIEW mv_validator_dashboard AS
SELECT
    u.id AS validator_id,
    u.username,
    u.profile_image,
    u.role,
    COALESCE(b.total, 0) AS badges_given,
    COALESCE(b.code_quality, 0) AS code_quality,
    COALESCE(b.innovation, 0) AS innovation,
    COALESCE(b.impact, 0) AS impact,
    COALESCE(b.design, 0) AS design,
    COALESCE(b.security, 0) AS security,
    COALESCE(b.last_30_days, 0) AS badges_last_30_days,
    COALESCE(b.projects, 0) AS projects_validated,
    b.last_badge_at,
    -- A scalar subquery, evaluated for the validators only (a LATERAL join
    -- was evaluated for every user before the WHERE), each a range scan of
    -- idx_badges_validator (validator_id, created_at DESC).
    (SELECT jsonb_agg(jsonb_build_object('week', to_char(weeks.week, 'YYYY-MM-DD'), 'count', COALESCE(n.badges, 0))
                      ORDER BY weeks.week)
     -- generate_series over integers: the planner knows it yields 12 rows.
     FROM (SELECT date_trunc('week', now() AT TIME ZONE 'UTC') - k * interval '1 week' AS week
           FROM generate_series(0, 11) AS k) AS weeks
     LEFT JOIN (
         SELECT date_trunc('week', vb.created_at AT TIME ZONE 'UTC') AS week, count(*) AS badges
         FROM validation_badges vb
         WHERE vb.validator_id = u.id
           AND vb.created_at >= (date_trunc('week', now() AT TIME ZONE 'UTC') - interval '11 weeks') AT TIME ZONE 'UTC'
         GROUP BY 1
     ) n ON n.week = weeks.week
    ) AS weekly_counts
FROM users u
LEFT JOIN (
    SELECT validator_id,
           count(*) AS total,
           count(*) FILTER (WHERE badge_type = 'code_quality') AS code_quality,
           count(*) FILTER (WHERE badge_type = 'innovation') AS innovation,
           count(*) FILTER (WHERE badge_type = 'impact') AS impact,
           count(*) FILTER (WHERE badge_type = 'design') AS design,
           count(*) FILTER (WHERE badge_type = 'security') AS security,
           count(*) FILTER (WHERE created_at > now() - interval '30 days') AS last_30_days,
           count(DISTINCT project_id) AS projects,
           max(created_at) AS last_badge_at
    FROM validation_badges GROUP BY validator_id
) b ON b.validator_id = u.id
WHERE u.role = 'validator' OR b.validator_id IS NOT NULL
WITH DATA;

CREATE UNIQUE INDEX mv_validator_dashboard_validator ON mv_validator_dashboard (validator_id);
CREATE INDEX mv_validator_dashboard_given ON mv_validator_dashboard (badges_given DESC, validator_id DESC);

SELECT register_view('mv_validator_dashboard', ARRAY['users', 'validation_badges'], interval '5 minutes');

-- ---------------------------------------------------------------- profile --

-- Public profile of every active user: public fields only (no email).
-- There is no user-follows-user relation in the schema, so no follower
-- count; chains_followed counts chain_followers rows.
CREATE MATERIALIZED VIEW mv_user_profiles AS
SELECT
    u.id,
    u.username,
    u.bio,
    u.profile_image,
    u.role,
    u.is_verified,
    u.created_at,
    COALESCE(lp.proof_score, 0) + COALESCE(lp.upvotes, 0) AS karma,
    COALESCE(lp.proof_score, 0) AS total_proof_score,
    COALESCE(lp.upvotes, 0) AS upvotes_received,
    COALESCE(lp.projects, 0) AS project_count,
    COALESCE(lp.badges, 0) AS badges_received,
    COALESCE(bg.badges, 0) AS badges_given,
    COALESCE(cm.comments, 0) AS comment_count,
    COALESCE(cf.chains, 0) AS chains_followed,
    COALESCE(cc.chains, 0) AS chains_created
FROM users u
LEFT JOIN (
    SELECT p.user_id,
           count(*) AS projects,
           sum(p.proof_score)::bigint AS proof_score,
           sum(COALESCE(v.upvotes, 0))::bigint AS upvotes,
           sum(COALESCE(b.badges, 0))::bigint AS badges
    FROM projects p
    LEFT JOIN (SELECT project_id, count(*) AS upvotes FROM upvotes WHERE is_upvote GROUP BY project_id) v
        ON v.project_id = p.id
    LEFT JOIN (SELECT project_id, count(*) AS badges FROM validation_badges GROUP BY project_id) b
        ON b.project_id = p.id
    WHERE NOT p.is_deleted
    GROUP BY p.user_id
) lp ON lp.user_id = u.id
LEFT JOIN (SELECT validator_id, count(*) AS badges FROM validation_badges GROUP BY validator_id) bg
    ON bg.validator_id = u.id
LEFT JOIN (SELECT user_id, count(*) AS comments FROM comments GROUP BY user_id) cm
    ON cm.user_id = u.id
LEFT JOIN (SELECT user_id, count(*) AS chains FROM chain_followers GROUP BY user_id) cf
    ON cf.user_id = u.id
LEFT JOIN (
    SELECT creator_id, count(*) AS chains FROM chains WHERE is_active AND is_public GROUP BY creator_id
) cc ON cc.creator_id = u.id
WHERE u.is_active
WITH DATA;

CREATE UNIQUE INDEX mv_user_profiles_id ON mv_user_profiles (id);
CREATE UNIQUE INDEX mv_user_profiles_username ON mv_user_profiles (lower(username));

SELECT register_view('mv_user_profiles',
    ARRAY['users', 'projects', 'upvotes', 'validation_badges', 'comments', 'chain_followers', 'chains']);
