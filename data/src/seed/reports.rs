//! Moderation reports on projects, comments, users and posts.

use super::sql::{random_word, uniform_rank};
use super::words::*;
use super::{RoleCounts, StepSql};

impl StepSql {
    pub(super) fn reports(&self, roles: &RoleCounts) -> String {
        let s = &self.sizes;
        format!(
            "insert into reports (id, reporter_id, target_type, target_id, reason, status,
                resolved_by, resolved_at, created_at)
            with r as materialized (
                select g, random() as r_type, random() as r_target, random() as r_reporter,
                       random() as r_reason, random() as r_status, random() as r_admin,
                       random() as r_time, random() as r_res
                from generate_series(1, {n}) as g
            ),
            c as (
                select r.*,
                    case when r_type < 0.4 then 'project' when r_type < 0.65 then 'comment'
                         when r_type < 0.75 then 'user' when r_type < 0.85 then 'chain_post'
                         else 'feedback' end as target_type,
                    case when r_status < 0.5 then 'open' when r_status < 0.8 then 'resolved'
                         else 'dismissed' end as status
                from r
            ),
            t as (
                select c.*, rep.id as reporter_id,
                    coalesce(sp.id, sc.id, su.id, spo.id) as target_id,
                    greatest(rep.created_at, coalesce(sp.created_at, sc.created_at, su.created_at,
                                                      spo.created_at, rep.created_at)) as t0,
                    adm.id as admin_id
                from c
                join seed_users rep on rep.n = {reporter}
                left join seed_projects sp on c.target_type = 'project' and sp.n = {project}
                left join seed_comments sc on c.target_type = 'comment' and sc.g = {comment}
                left join seed_users su on c.target_type = 'user' and su.n = 4 + {user}
                left join seed_posts spo on c.target_type = 'chain_post' and spo.g = {post}
                left join seed_users adm on c.status <> 'open' and adm.role = 'admin'
                    and adm.ridx = {admin}
            ),
            x as (
                select t.*, t0 + (now() - t0) * r_time as created_at from t
            )
            select {id}, reporter_id, target_type, target_id,
                case target_type
                    when 'project' then {why_project}
                    when 'comment' then {why_comment}
                    when 'user' then {why_user}
                    when 'chain_post' then {why_post}
                    else {why_feedback} end,
                status,
                admin_id,
                case when status <> 'open' then created_at + (now() - created_at) * r_res end,
                created_at
            from x order by g",
            n = s.reports,
            reporter = uniform_rank("r_reporter", s.users),
            project = uniform_rank("r_target", s.projects),
            comment = uniform_rank("r_target", s.top_comments),
            user = uniform_rank("r_target", s.users - 4),
            post = uniform_rank("r_target", s.posts),
            admin = uniform_rank("r_admin", roles.admins),
            id = self.id("report", "g"),
            why_project = random_word(REPORT_PROJECT, "r_reason"),
            why_comment = random_word(REPORT_COMMENT, "r_reason"),
            why_user = random_word(REPORT_USER, "r_reason"),
            why_post = random_word(REPORT_POST, "r_reason"),
            why_feedback = random_word(REPORT_FEEDBACK, "r_reason"),
        )
    }
}
