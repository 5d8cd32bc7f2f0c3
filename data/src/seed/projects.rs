//! Projects and what gathers on them: upvotes (skewed towards popular
//! projects), comments with replies, and validators' badges.

use super::sql::{random_word, skewed_rank, text_array, uniform_rank};
use super::words::*;
use super::{RoleCounts, StepSql};
use crate::badges::BADGE_TYPES;

impl StepSql {
    pub(super) fn projects(&self, roles: &RoleCounts) -> String {
        let s = &self.sizes;
        let nouns: Vec<&str> = PROJECT_NOUNS.iter().map(|(n, _)| *n).collect();
        let cats: Vec<&str> = PROJECT_NOUNS.iter().map(|(_, c)| *c).collect();
        format!(
            "create temp table seed_projects on commit drop as
            with r as materialized (
                select n, random() as r_owner, random() as r_pat, random() as r_adj,
                       random() as r_tech, random() as r_noun, random() as r_brand,
                       random() as r_aud, random() as r_d1, random() as r_d2, random() as r_d3,
                       random() as r_age, random() as r_feat, random() as r_del,
                       random() as r_delt, random() as r_link, random() as r_pop, random() as r_upd
                from generate_series(1, {projects}) as n
            ),
            c as (
                select r.*, {noun_i} as ni,
                    case when r_tech < 0.18 then 'Rust'
                         else {lang} end as tech,
                    {adj} as adj, {brand} as brand, {aud} as aud,
                    u.id as user_id, u.username, u.created_at as uc
                from r
                join seed_users u on u.role = 'builder'
                    and u.ridx = case when r.n <= 5 then 1
                                      else 2 + floor(power(r_owner, 1.3) * {others})::int end
            ),
            t as (
                select c.*, ({nouns})[ni] as noun, ({cats})[ni] as category,
                    case when r_pat < 0.6 then adj || ' ' || tech || ' ' || ({nouns})[ni]
                         when r_pat < 0.85 then brand || ': ' || adj || ' ' || ({nouns})[ni]
                                                || ' in ' || tech
                         else brand || ' - ' || ({nouns})[ni] || ' for ' || aud
                    end as title,
                    uc + (now() - uc) * r_age as created_at,
                    n > 5 and r_del < 0.03 as is_deleted
                from c
            ),
            d as (
                select t.*,
                    case when is_deleted then created_at + (now() - created_at) * r_delt end
                        as deleted_at
                from t
            )
            select n, {id} as id, user_id, username, title, category,
                'A ' || lower(adj) || ' ' || lower(noun) || ' written in ' || tech || '. '
                    || {feature} || ' ' || {status}
                    || case when tech <> 'Rust' and r_d3 < 0.12
                            then ' Planning a Rust rewrite of the hot path.' else '' end
                    as description,
                case when r_link >= 0.05 then 'https://github.com/' || username || '/'
                    || trim(both '-' from lower(regexp_replace(title, '[^A-Za-z0-9]+', '-', 'g')))
                end as proof_of_work_link,
                n = 1 or (r_feat < 0.02 and not is_deleted) as is_featured,
                is_deleted, deleted_at, created_at,
                coalesce(deleted_at, created_at + (now() - created_at) * (r_upd * r_upd))
                    as updated_at,
                row_number() over (order by r_pop, n)::int as pop
            from d;
            alter table seed_projects add primary key (n);
            create unique index on seed_projects (pop);
            analyze seed_projects;
            insert into projects (id, user_id, title, description, proof_of_work_link, image_url,
                category, is_featured, is_deleted, deleted_at, created_at, updated_at)
            select id, user_id, title, description, proof_of_work_link, null, category,
                is_featured, is_deleted, deleted_at, created_at, updated_at
            from seed_projects order by n;",
            projects = s.projects,
            noun_i = uniform_rank("r_noun", nouns.len() as i64),
            lang = random_word(LANGUAGES, "(r_tech - 0.18) / 0.82"),
            adj = random_word(TITLE_ADJECTIVES, "r_adj"),
            brand = random_word(BRANDS, "r_brand"),
            aud = random_word(AUDIENCES, "r_aud"),
            others = roles.builders - 1,
            nouns = text_array(&nouns),
            cats = text_array(&cats),
            id = self.id("project", "n"),
            feature = random_word(PROJECT_FEATURES, "r_d1"),
            status = random_word(PROJECT_STATUS, "r_d2"),
        )
    }

    pub(super) fn upvotes(&self) -> String {
        let s = &self.sizes;
        format!(
            "insert into upvotes (id, user_id, project_id, is_upvote, created_at)
            with r as materialized (
                select g, random() as r_user, random() as r_proj, random() as r_dir,
                       random() as r_time
                from generate_series(1, {cand}) as g
            ),
            c as (
                select r.g, u.id as user_id, p.id as project_id, r.r_dir, r.r_time,
                       greatest(u.created_at, p.created_at) as t0
                from r
                join seed_users u on u.n = {user}
                join seed_projects p on p.pop = {proj}
                where u.id <> p.user_id
            ),
            d as (
                select distinct on (user_id, project_id) * from c order by user_id, project_id, g
            ),
            lim as (select * from d order by g limit {upvotes})
            select {id}, user_id, project_id, r_dir >= 0.07, t0 + (now() - t0) * r_time
            from lim order by project_id, g",
            cand = s.upvotes + s.upvotes / 4,
            user = uniform_rank("r.r_user", s.users),
            proj = skewed_rank("r.r_proj", 2.0, s.projects),
            upvotes = s.upvotes,
            id = self.id("upvote", "g"),
        )
    }

    pub(super) fn comments(&self) -> String {
        let s = &self.sizes;
        format!(
            "create temp table seed_comments on commit drop as
            with r as materialized (
                select g, random() as r_user, random() as r_proj, random() as r_c1,
                       random() as r_c2, random() as r_c3, random() as r_time, random() as r_edit
                from generate_series(1, {top}) as g
            ),
            c as (
                select r.*, u.n as un, u.id as user_id, u.username, p.id as project_id,
                       greatest(u.created_at, p.created_at) as t0
                from r
                join seed_users u on u.n = {user}
                join seed_projects p on p.pop = {proj}
            )
            select g, {id} as id, project_id, un, user_id, username,
                {c1} || {c2} || {c3} as content,
                r_edit < 0.05 as is_edited,
                t0 + (now() - t0) * (r_time * r_time) as created_at
            from c;
            alter table seed_comments add primary key (g);
            analyze seed_comments;
            insert into comments (id, project_id, user_id, parent_id, content, is_edited,
                created_at, updated_at)
            select id, project_id, user_id, null, content, is_edited, created_at,
                case when is_edited then created_at + (now() - created_at) * 0.05 else created_at end
            from seed_comments order by user_id, g;

            insert into comments (id, project_id, user_id, parent_id, content, is_edited,
                created_at, updated_at)
            with r as materialized (
                select g, random() as r_parent, random() as r_user, random() as r_c1,
                       random() as r_c2, random() as r_mention, random() as r_time,
                       random() as r_edit
                from generate_series(1, {replies}) as g
            ),
            c as (
                select r.*, pc.id as parent_id, pc.project_id, pc.username as parent_name,
                       pc.created_at as pt,
                       case when {user} = pc.un then {user} % {users} + 1 else {user} end as un
                from r join seed_comments pc on pc.g = {parent}
            ),
            t as (
                select c.*, u.id as user_id, greatest(pt, u.created_at) as t0
                from c join seed_users u on u.n = c.un
            ),
            x as (
                select t.*, t0 + (now() - t0) * (r_time * r_time) as created_at from t
            )
            select {reply_id}, project_id, user_id, parent_id,
                case when r_mention < 0.3 then '@' || parent_name || ' ' else '' end
                    || {r1} || {r2},
                r_edit < 0.04, created_at,
                case when r_edit < 0.04 then created_at + (now() - created_at) * 0.05
                     else created_at end
            from x order by user_id, g",
            top = s.top_comments,
            user = uniform_rank("r_user", s.users),
            users = s.users,
            proj = skewed_rank("r_proj", 1.8, s.projects),
            id = self.id("comment", "g"),
            c1 = random_word(COMMENT_OPENERS, "r_c1"),
            c2 = random_word(COMMENT_MIDDLES, "r_c2"),
            c3 = random_word(COMMENT_CLOSERS, "r_c3"),
            replies = s.replies,
            parent = skewed_rank("r_parent", 1.3, s.top_comments),
            reply_id = self.id("comment", &format!("{} + g", s.top_comments)),
            r1 = random_word(REPLY_OPENERS, "r_c1"),
            r2 = random_word(REPLY_BODIES, "r_c2"),
        )
    }

    pub(super) fn validation_badges(&self, roles: &RoleCounts) -> String {
        let s = &self.sizes;
        format!(
            "insert into validation_badges (id, project_id, validator_id, badge_type, note, created_at)
            with r as materialized (
                select g, random() as r_val, random() as r_proj, random() as r_type,
                       random() as r_note, random() as r_time
                from generate_series(1, {cand}) as g
            ),
            c as (
                select r.g, p.id as project_id, v.id as validator_id, {btype} as badge_type,
                       r.r_note, r.r_time, greatest(v.created_at, p.created_at) as t0
                from r
                join seed_users v on v.role = 'validator' and v.ridx = {val}
                join seed_projects p on p.pop = {proj}
                where not p.is_deleted
            ),
            d as (
                select distinct on (project_id, validator_id, badge_type) * from c
                order by project_id, validator_id, badge_type, g
            ),
            lim as (select * from d order by g limit {badges})
            select {id}, project_id, validator_id, badge_type,
                case when r_note < 0.2 then ''
                     else case badge_type
                        when 'code_quality' then {n_code}
                        when 'innovation' then {n_innov}
                        when 'impact' then {n_impact}
                        when 'design' then {n_design}
                        else {n_sec} end
                end,
                t0 + (now() - t0) * r_time
            from lim order by project_id, g",
            cand = s.badges + s.badges / 4,
            btype = random_word(BADGE_TYPES, "r.r_type"),
            val = uniform_rank("r.r_val", roles.validators),
            proj = skewed_rank("r.r_proj", 1.6, s.projects),
            badges = s.badges,
            id = self.id("badge", "g"),
            n_code = random_word(NOTES_CODE, "(r_note - 0.2) / 0.8"),
            n_innov = random_word(NOTES_INNOVATION, "(r_note - 0.2) / 0.8"),
            n_impact = random_word(NOTES_IMPACT, "(r_note - 0.2) / 0.8"),
            n_design = random_word(NOTES_DESIGN, "(r_note - 0.2) / 0.8"),
            n_sec = random_word(NOTES_SECURITY, "(r_note - 0.2) / 0.8"),
        )
    }
}
