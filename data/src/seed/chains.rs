//! Chains (topic communities) and their forums: followers, linked
//! projects, posts, votes on posts and comments under them.

use super::sql::{random_word, skewed_rank, text_array, uniform_rank};
use super::words::*;
use super::StepSql;

impl StepSql {
    pub(super) fn chains(&self) -> String {
        let s = &self.sizes;
        let names: Vec<&str> = CHAIN_NAMES.iter().map(|(n, _)| *n).collect();
        let cats: Vec<&str> = CHAIN_NAMES.iter().map(|(_, c)| *c).collect();
        let len = names.len();
        format!(
            "create temp table seed_chain_names on commit drop as
            select ord::int as ord, name, category,
                case when ord <= 2 then ord - 10.0 else random() end as shuffle
            from unnest({names}, {cats}) with ordinality as t(name, category, ord)
            order by ord;

            create temp table seed_chains on commit drop as
            with nm as (
                select row_number() over (order by shuffle, ord)::int as pos, name, category
                from seed_chain_names
            ),
            r as materialized (
                select k, random() as r_creator, random() as r_d1, random() as r_d2,
                       random() as r_pub, random() as r_act, random() as r_feat, random() as r_time,
                       random() as r_pop
                from generate_series(1, {chains}) as k
            ),
            c as (
                select r.*, nm.name as base, nm.category, u.id as creator_id,
                       u.created_at + (now() - u.created_at) * (0.5 * r_time) as created_at
                from r
                join nm on nm.pos = (k - 1) % {len} + 1
                join seed_users u on u.n = {creator}
            )
            select k, {id} as id,
                base || case when k > {len} then ' ' || ((k - 1) / {len} + 1) else '' end as name,
                category, creator_id,
                {d1} || base || '. ' || {d2} as description,
                k <= 2 or r_pub >= 0.1 as is_public,
                k <= 2 or r_act >= 0.05 as is_active,
                k <= 2 or r_feat < 0.1 as is_featured,
                created_at,
                created_at + (now() - created_at) * (r_time * r_time) as updated_at,
                row_number() over (order by r_pop, k)::int as pop,
                row_number() over (partition by category order by k)::int as cat_idx
            from c;
            alter table seed_chains add primary key (k);
            create unique index on seed_chains (pop);
            analyze seed_chains;
            insert into chains (id, creator_id, name, description, image_url, category, is_public,
                is_active, is_featured, created_at, updated_at)
            select id, creator_id, name, description, null, category, is_public, is_active,
                is_featured, created_at, updated_at
            from seed_chains order by k;",
            names = text_array(&names),
            cats = text_array(&cats),
            chains = s.chains,
            creator = uniform_rank("r_creator", s.users),
            id = self.id("chain", "k"),
            d1 = random_word(CHAIN_DESC_1, "r_d1"),
            d2 = random_word(CHAIN_DESC_2, "r_d2"),
        )
    }

    pub(super) fn chain_followers(&self) -> String {
        let s = &self.sizes;
        format!(
            "create temp table seed_followers on commit drop as
            with r as materialized (
                select g, random() as r_chain, random() as r_user, random() as r_time
                from generate_series(1, {cand}) as g
            ),
            cand as (
                select 0 as prio, c.k::bigint as g, c.id as chain_id, c.creator_id as user_id,
                       c.created_at as t
                from seed_chains c
                union all
                select 0, {chains} + (c.k - 1) * 3 + u.n, c.id, u.id,
                       greatest(c.created_at, u.created_at)
                           + (now() - greatest(c.created_at, u.created_at)) * 0.3
                from seed_chains c join seed_users u on u.n in (1, 2, 3)
                where c.k <= 3
                union all
                select 1, r.g, c.id, u.id,
                       greatest(c.created_at, u.created_at)
                           + (now() - greatest(c.created_at, u.created_at)) * r.r_time
                from r
                join seed_chains c on c.pop = {chain}
                join seed_users u on u.n = {user}
            ),
            d as (
                select distinct on (chain_id, user_id) * from cand
                order by chain_id, user_id, prio, g
            ),
            lim as (select * from d order by prio, g limit {followers})
            select row_number() over (order by prio, g)::int as k, chain_id, user_id,
                t as created_at
            from lim;
            alter table seed_followers add primary key (k);
            analyze seed_followers;
            insert into chain_followers (chain_id, user_id, created_at)
            select chain_id, user_id, created_at from seed_followers order by k;",
            cand = s.followers + s.followers / 5,
            chains = s.chains,
            chain = skewed_rank("r.r_chain", 1.8, s.chains),
            user = uniform_rank("r.r_user", s.users),
            followers = s.followers,
        )
    }

    pub(super) fn chain_projects(&self) -> String {
        let s = &self.sizes;
        format!(
            "insert into chain_projects (chain_id, project_id, added_by, created_at)
            with cc as (
                select category, count(*)::int as cnt from seed_chains group by category
            ),
            r as materialized (
                select g, random() as r_proj, random() as r_mode, random() as r_chain,
                       random() as r_by, random() as r_time
                from generate_series(1, {cand}) as g
            ),
            c as (
                select r.g, r.r_by, r.r_time, p.id as project_id, p.user_id as owner_id,
                       p.created_at as pc, coalesce(chc.k, cha.k) as chain_k
                from r
                join seed_projects p on p.n = {proj}
                left join cc on cc.category = p.category and r.r_mode < 0.7
                left join seed_chains chc on chc.category = cc.category
                    and chc.cat_idx = 1 + floor(r.r_chain * cc.cnt)::int
                join seed_chains cha on cha.pop = {chain}
                where not p.is_deleted
            ),
            t as (
                select c.*, ch.id as chain_id, ch.creator_id,
                       greatest(ch.created_at, c.pc) as t0
                from c join seed_chains ch on ch.k = c.chain_k
            ),
            d as (
                select distinct on (chain_id, project_id) * from t
                order by chain_id, project_id, g
            ),
            lim as (select * from d order by g limit {n})
            select chain_id, project_id,
                case when r_by < 0.8 then owner_id else creator_id end,
                t0 + (now() - t0) * r_time
            from lim order by g",
            cand = s.chain_projects + s.chain_projects / 4,
            proj = uniform_rank("r.r_proj", s.projects),
            chain = skewed_rank("r.r_chain", 1.5, s.chains),
            n = s.chain_projects,
        )
    }

    pub(super) fn chain_posts(&self, followers: i64) -> String {
        let s = &self.sizes;
        format!(
            "create temp table seed_posts on commit drop as
            with r as materialized (
                select g, random() as r_f, random() as r_type, random() as r_t1,
                       random() as r_t2, random() as r_t3, random() as r_c1, random() as r_c2,
                       random() as r_c3, random() as r_pin, random() as r_del, random() as r_time,
                       random() as r_pop, random() as r_upd
                from generate_series(1, {posts}) as g
            ),
            c as (
                select r.*, f.chain_id, f.user_id as author_id,
                    case when r_type < 0.5 then 'discussion' when r_type < 0.8 then 'question'
                         when r_type < 0.95 then 'showcase' else 'announcement' end as post_type,
                    f.created_at + (now() - f.created_at) * r_time as created_at
                from r join seed_followers f on f.k = {follower}
            ),
            t as (
                select c.*,
                    case post_type
                        when 'question' then {q} || {topic} || '?'
                        when 'discussion' then {d} || {topic}
                        when 'showcase' then {sh} || lower({noun}) || ' in ' || {lang}
                        else {ann}
                    end as title,
                    case when post_type = 'announcement' then r_pin < 0.5 else r_pin < 0.02 end
                        as is_pinned
                from c
            )
            select g, {id} as id, chain_id, author_id, title,
                {c1} || {c2} || {c3} as content,
                post_type, is_pinned,
                not is_pinned and r_del < 0.02 as is_deleted,
                created_at,
                created_at + (now() - created_at) * (r_upd * r_upd * r_upd) as updated_at,
                row_number() over (order by r_pop, g)::int as pop
            from t;
            alter table seed_posts add primary key (g);
            create unique index on seed_posts (pop);
            analyze seed_posts;
            insert into chain_posts (id, chain_id, author_id, title, content, post_type, is_pinned,
                is_deleted, created_at, updated_at)
            select id, chain_id, author_id, title, content, post_type, is_pinned, is_deleted,
                created_at, updated_at
            from seed_posts order by g;",
            posts = s.posts,
            follower = uniform_rank("r_f", followers),
            q = random_word(POST_QUESTION, "r_t1"),
            d = random_word(POST_DISCUSSION, "r_t1"),
            sh = random_word(POST_SHOWCASE, "r_t1"),
            ann = random_word(POST_ANNOUNCEMENT, "r_t1"),
            topic = random_word(POST_TOPICS, "r_t2"),
            noun = random_word(
                &PROJECT_NOUNS.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
                "r_t2"
            ),
            lang = random_word(LANGUAGES, "r_t3"),
            id = self.id("post", "g"),
            c1 = random_word(POST_BODY_1, "r_c1"),
            c2 = random_word(POST_BODY_2, "r_c2"),
            c3 = random_word(POST_BODY_3, "r_c3"),
        )
    }

    pub(super) fn chain_post_votes(&self) -> String {
        let s = &self.sizes;
        format!(
            "insert into chain_post_votes (post_id, user_id, is_upvote, created_at)
            with r as materialized (
                select g, random() as r_post, random() as r_user, random() as r_dir,
                       random() as r_time
                from generate_series(1, {cand}) as g
            ),
            c as (
                select r.g, r.r_dir, r.r_time, p.id as post_id, u.id as user_id,
                       greatest(p.created_at, u.created_at) as t0
                from r
                join seed_posts p on p.pop = {post}
                join seed_users u on u.n = {user}
                where not p.is_deleted
            ),
            d as (
                select distinct on (post_id, user_id) * from c order by post_id, user_id, g
            ),
            lim as (select * from d order by g limit {n})
            select post_id, user_id, r_dir >= 0.1, t0 + (now() - t0) * r_time
            from lim order by g",
            cand = s.post_votes + s.post_votes / 5,
            post = skewed_rank("r.r_post", 1.7, s.posts),
            user = uniform_rank("r.r_user", s.users),
            n = s.post_votes,
        )
    }

    pub(super) fn chain_post_comments(&self) -> String {
        let s = &self.sizes;
        format!(
            "insert into chain_post_comments (id, post_id, author_id, content, created_at)
            with r as materialized (
                select g, random() as r_post, random() as r_user, random() as r_c1,
                       random() as r_c2, random() as r_time
                from generate_series(1, {n}) as g
            ),
            c as (
                select r.*, p.id as post_id, u.id as author_id,
                       greatest(p.created_at, u.created_at) as t0
                from r
                join seed_posts p on p.pop = {post}
                join seed_users u on u.n = {user}
            )
            select {id}, post_id, author_id, {c1} || {c2}, t0 + (now() - t0) * (r_time * r_time)
            from c order by g",
            n = s.post_comments,
            post = skewed_rank("r.r_post", 1.6, s.posts),
            user = uniform_rank("r.r_user", s.users),
            id = self.id("post_comment", "g"),
            c1 = random_word(FORUM_REPLY_1, "r_c1"),
            c2 = random_word(FORUM_REPLY_2, "r_c2"),
        )
    }
}
