//! Private traffic: direct messages between pairs of users, and the
//! notifications a real history would have left.

use super::sql::{random_word, skewed_rank, uniform_rank};
use super::words::*;
use super::StepSql;

impl StepSql {
    pub(super) fn dm_pairs(&self) -> String {
        let s = &self.sizes;
        format!(
            "create temp table seed_dm_pairs on commit drop as
            with r as materialized (
                select g, random() as r_first, random() as r_second, random() as r_time
                from generate_series(1, {cand}) as g
            ),
            cand as (
                select 0 as prio, v.g, v.a, v.b, 0.3::float8 as r_time
                from (values (1, 1, 3), (2, 1, 2), (3, 3, 4), (4, 2, 4)) as v(g, a, b)
                union all
                select 1, g, {a}, {b}, r_time from r
            ),
            d as (
                select distinct on (least(a, b), greatest(a, b)) * from cand where a <> b
                order by least(a, b), greatest(a, b), prio, g
            ),
            lim as (select * from d order by prio, g limit {pairs})
            select row_number() over (order by prio, g)::int as k, ua.id as a_id, ub.id as b_id,
                greatest(ua.created_at, ub.created_at)
                    + (now() - greatest(ua.created_at, ub.created_at)) * (0.7 * r_time) as t0
            from lim
            join seed_users ua on ua.n = lim.a
            join seed_users ub on ub.n = lim.b;
            alter table seed_dm_pairs add primary key (k);
            analyze seed_dm_pairs;",
            cand = s.dm_pairs + s.dm_pairs / 5,
            a = uniform_rank("r_first", s.users),
            b = uniform_rank("r_second", s.users),
            pairs = s.dm_pairs,
        )
    }

    pub(super) fn direct_messages(&self, pairs: i64) -> String {
        let s = &self.sizes;
        format!(
            "insert into direct_messages (id, sender_id, recipient_id, message, is_read, read_at,
                created_at)
            with r as materialized (
                select g, random() as r_pair, random() as r_dir, random() as r_m1,
                       random() as r_m2, random() as r_m3, random() as r_time, random() as r_read,
                       random() as r_readt
                from generate_series(1, {n}) as g
            ),
            c as (
                select r.*, p.k as pair_k, p.a_id, p.b_id,
                    p.t0 + (now() - p.t0) * r_time as created_at
                from r join seed_dm_pairs p
                    on p.k = case when g <= {pairs} then g::int else {pair} end
            ),
            t as (
                select c.*,
                    case when created_at < now() - interval '2 days' then r_read < 0.92
                         else r_read < 0.4 end as is_read
                from c
            )
            select {id},
                case when r_dir < 0.5 then a_id else b_id end,
                case when r_dir < 0.5 then b_id else a_id end,
                {m1} || {m2} || {m3},
                is_read,
                case when is_read then created_at + (now() - created_at) * (0.1 * r_readt) end,
                created_at
            from t order by pair_k, g",
            n = s.dms,
            pairs = pairs,
            pair = skewed_rank("r_pair", 1.5, pairs),
            id = self.id("dm", "g"),
            m1 = random_word(DM_OPENERS, "r_m1"),
            m2 = random_word(DM_BODIES, "r_m2"),
            m3 = random_word(DM_CLOSERS, "r_m3"),
        )
    }

    pub(super) fn notifications(&self) -> String {
        let s = &self.sizes;
        format!(
            "insert into notifications (id, user_id, actor_id, kind, message, link, is_read,
                created_at)
            with ev as (
                select 1 as src, c.id as eid, p.user_id as uid, c.user_id as actor,
                    'comment' as kind, a.username || ' commented on \"' || p.title || '\"' as message,
                    '/projects/' || p.id as link, c.created_at as t, false as rare
                from comments c
                join projects p on p.id = c.project_id
                join users a on a.id = c.user_id
                where c.parent_id is null and c.user_id <> p.user_id
                union all
                select 2, c.id, pc.user_id, c.user_id, 'reply',
                    a.username || ' replied to your comment on \"' || p.title || '\"',
                    '/projects/' || p.id, c.created_at, false
                from comments c
                join comments pc on pc.id = c.parent_id
                join projects p on p.id = c.project_id
                join users a on a.id = c.user_id
                where c.user_id <> pc.user_id
                union all
                select 3, b.id, p.user_id, b.validator_id, 'badge',
                    a.username || ' awarded \"' || p.title || '\" a '
                        || replace(b.badge_type, '_', ' ') || ' badge',
                    '/projects/' || p.id, b.created_at, false
                from validation_badges b
                join projects p on p.id = b.project_id
                join users a on a.id = b.validator_id
                union all
                select 4, i.id, i.builder_id, i.investor_id, 'intro_request',
                    a.username || ' would like an intro'
                        || coalesce(' about \"' || p.title || '\"', ''),
                    '/intros', i.created_at, true
                from intro_requests i
                join users a on a.id = i.investor_id
                left join projects p on p.id = i.project_id
                union all
                select 5, i.id, i.investor_id, i.builder_id, 'intro_answer',
                    a.username || case i.status when 'approved' then ' accepted your intro request'
                                                else ' declined your intro request' end,
                    '/intros', i.responded_at, true
                from intro_requests i
                join users a on a.id = i.builder_id
                where i.status in ('approved', 'rejected')
                union all
                select 6, pc.id, cp.author_id, pc.author_id, 'forum_reply',
                    a.username || ' replied to your post \"' || cp.title || '\"',
                    '/chains/' || cp.chain_id || '/posts/' || cp.id, pc.created_at, false
                from chain_post_comments pc
                join chain_posts cp on cp.id = pc.post_id
                join users a on a.id = pc.author_id
                where pc.author_id <> cp.author_id
                union all
                select 7, ir.id, ir.user_id, ir.reviewed_by, 'investor_decision',
                    case ir.status
                        when 'approved' then 'Your investor application was approved. You can now request intros to builders.'
                        else 'Your investor application was not approved this time. You are welcome to apply again.'
                    end,
                    '/investors/apply', ir.decided_at, true
                from investor_requests ir
                where ir.status in ('approved', 'rejected')
                union all
                select 8, u.id, u.id, null, 'system',
                    'Welcome to Proofwork! Add your first project to start building your proof of work.',
                    '/projects/new', u.created_at, false
                from users u
            ),
            r as materialized (
                select ev.*, random() as r_pick, random() as r_read, random() as r_delay
                from ev order by src, eid
            ),
            chosen as (
                select * from r order by rare desc, r_pick, src, eid limit {n}
            ),
            t as (
                select chosen.*,
                    least(now(), t + interval '1 second' * (1 + floor(r_delay * 90))) as created_at
                from chosen
            )
            select {id}, uid, actor, kind, message, link,
                case when created_at < now() - interval '3 days' then r_read < 0.85
                     else r_read < 0.3 end,
                created_at
            from t order by uid, src, eid",
            n = s.notifications,
            id = self.id("notification", "src || ':' || eid"),
        )
    }
}
