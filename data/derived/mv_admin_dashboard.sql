-- mv_admin_dashboard: the site totals on /admin (one row, id = 1): users
-- by role and state, projects, comments, votes, badges, chains, forum
-- posts, messages, reports, investor applications and intro requests, and
-- the users and projects created in the last 7 days.
-- Kept whole, on a timer (every minute), not per key and not on writes:
-- it is one row of counts over every large table, read by one admin page;
-- its refresh grows with the data (0.3 s at 10x scale, see
-- docs/BENCHMARKS.md), so refreshing it after each burst of writes cost a
-- whole-table scan per burst, while on a timer it costs one per minute
-- whatever the write rate; and two of its counts ("last 7 days") change
-- with the clock alone. Staleness target: 90 s (the timer plus a refresh).

DROP VIEW IF EXISTS mv_admin_dashboard_def;
CREATE VIEW mv_admin_dashboard_def AS
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
) i;

SELECT derived_register_whole('mv_admin_dashboard', ARRAY['id'], '{}', interval '1 minute',
                              interval '90 seconds');
