//! The people: users (the four demo accounts first, then a role mix with
//! generated names and bios), investor applications, and investors' intro
//! requests to builders.

use super::sql::{random_word, skewed_rank, uniform_rank};
use super::words::*;
use sqlx::PgConnection;

use super::{exec, RoleCounts, StepSql};

impl StepSql {
    pub(super) async fn users(
        &self,
        conn: &mut PgConnection,
        hash: &str,
    ) -> Result<(), sqlx::Error> {
        let s = &self.sizes;
        let (a, v, i) = (s.admins, s.validators, s.investors);
        let sql = format!(
            "create temp table seed_users on commit drop as
            with r as materialized (
                select n, random() as r_role, random() as r_pat, random() as r_name1, random() as r_name2,
                       random() as r_number, random() as r_age, random() as r_upd, random() as r_bio1,
                       random() as r_bio2, random() as r_bio3, random() as r_ver, random() as r_act,
                       random() as r_pick
                from generate_series(1, {users}) as n
            ),
            ranked as (
                select r.*, row_number() over (order by n <= 4, r_role, n) as role_rank from r
            ),
            roled as (
                select ranked.*,
                    case n when 1 then 'builder' when 2 then 'validator' when 3 then 'investor'
                           when 4 then 'admin'
                    else case when role_rank <= {a} then 'admin'
                              when role_rank <= {av} then 'validator'
                              when role_rank <= {avi} then 'investor'
                              else 'builder' end
                    end as role,
                    case n when 1 then 'demo_builder' when 2 then 'demo_validator'
                           when 3 then 'demo_investor' when 4 then 'demo_admin'
                    else case when r_pat < 0.35 then {first} || '_' || {last}
                              when r_pat < 0.7 then {adj} || '_' || {animal}
                              else {adj} || '_' || {animal} || '_' || (10 + floor(r_number * 90)::int)
                         end
                    end as base
                from ranked
            ),
            named as (
                select roled.*,
                    case when row_number() over (partition by base order by n) > 1
                         then base || '_' || (n + 100) else base end as username,
                    case when n <= 4 then now() - interval '170 days'
                         else now() - interval '1 day' * (1 + 179 * r_age) end as created_at
                from roled
            )
            select n, {id} as id, username, role,
                row_number() over (partition by role order by n)::int as ridx,
                case when n <= 4 then 'Demo ' || role || ' account for exploring Proofwork.'
                     when role = 'investor' then {inv_bio1} || {inv_bio2}
                     when role = 'validator' then {val_bio1} || {val_bio2}
                     else {bio1} || ' who loves ' || {bio_tech} || '.' || {bio3}
                end as bio,
                role <> 'builder' or r_ver < 0.3 as is_verified,
                n <= 4 or r_act >= 0.02 as is_active,
                created_at,
                created_at + (now() - created_at) * (r_upd * r_upd) as updated_at,
                r_pick
            from named;
            alter table seed_users add primary key (n);
            create unique index on seed_users (role, ridx);
            analyze seed_users;",
            users = s.users,
            av = a + v,
            avi = a + v + i,
            first = random_word(FIRST_NAMES, "r_name1"),
            last = random_word(LAST_NAMES, "r_name2"),
            adj = random_word(NAME_ADJECTIVES, "r_name1"),
            animal = random_word(ANIMALS, "r_name2"),
            id = self.id("user", "n"),
            inv_bio1 = random_word(INVESTOR_BIO_1, "r_bio1"),
            inv_bio2 = random_word(INVESTOR_BIO_2, "r_bio2"),
            val_bio1 = random_word(VALIDATOR_BIO_1, "r_bio1"),
            val_bio2 = random_word(VALIDATOR_BIO_2, "r_bio2"),
            bio1 = random_word(BIO_ROLES, "r_bio1"),
            bio_tech = random_word(LANGUAGES, "r_bio2"),
            bio3 = random_word(BIO_TAILS, "r_bio3"),
        );
        exec(conn, &sql).await?;
        sqlx::query(
            "insert into users (id, username, email, password_hash, bio, is_verified, is_active,
                                role, created_at, updated_at)
             select id, username, username || '@example.com', $1, bio, is_verified, is_active,
                    role, created_at, updated_at
             from seed_users order by n",
        )
        .bind(hash)
        .execute(conn)
        .await?;
        Ok(())
    }

    pub(super) fn investor_requests(&self, roles: &RoleCounts) -> String {
        let s = &self.sizes;
        format!(
            "insert into investor_requests (id, user_id, status, company_name, investment_focus,
                ticket_size, portfolio_url, linkedin_url, reviewed_by, approved_at, decided_at,
                created_at, updated_at)
            with cand as (
                select 1 as kind, n, id, username, created_at from seed_users where role = 'investor'
                union all
                select case when rn <= {pending} then 2 else 3 end, n, id, username, created_at
                from (
                    select n, id, username, created_at, row_number() over (order by r_pick, n) as rn
                    from seed_users where role = 'builder' and n > 4
                    order by r_pick, n limit {applicants}
                ) b
            ),
            r as materialized (
                select cand.*, random() as r_co1, random() as r_co2, random() as r_focus,
                       random() as r_ticket, random() as r_time, random() as r_decide,
                       random() as r_admin, random() as r_links
                from cand order by kind, n
            ),
            c as (
                select r.*,
                    case kind when 1 then 'approved' when 2 then 'pending' else 'rejected' end as status,
                    {co1} || ' ' || {co2} as company,
                    r.created_at + (now() - r.created_at) * (0.1 + 0.4 * r_time) as applied_at
                from r
            )
            select {id}, c.id, status, company, {focus}, {ticket},
                case when r_links < 0.8
                     then 'https://' || lower(replace(company, ' ', '')) || '.example.com' end,
                case when r_links < 0.6 then 'https://www.linkedin.com/in/' || c.username end,
                case when status = 'pending' then null else adm.id end,
                case when status = 'approved' then applied_at + (now() - applied_at) * 0.2 * r_decide end,
                case when status = 'pending' then null
                     else applied_at + (now() - applied_at) * 0.2 * r_decide end,
                applied_at,
                case when status = 'pending' then applied_at
                     else applied_at + (now() - applied_at) * 0.2 * r_decide end
            from c
            join seed_users adm on adm.role = 'admin' and adm.ridx = {admin}
            order by c.kind, c.n",
            pending = s.inv_pending,
            applicants = s.inv_pending + s.inv_rejected,
            co1 = random_word(COMPANY_WORDS, "r_co1"),
            co2 = random_word(COMPANY_KINDS, "r_co2"),
            id = self.id("investor_request", "kind || ':' || c.n"),
            focus = random_word(INVESTMENT_FOCUS, "r_focus"),
            ticket = random_word(TICKET_SIZES, "r_ticket"),
            admin = uniform_rank("r_admin", roles.admins),
        )
    }

    pub(super) fn intro_requests(&self, roles: &RoleCounts) -> String {
        let s = &self.sizes;
        format!(
            "insert into intro_requests (id, investor_id, builder_id, project_id, message, status,
                responded_at, created_at, updated_at)
            with r as materialized (
                select g, random() as r_inv, random() as r_proj, random() as r_status,
                       random() as r_m, random() as r_time, random() as r_resp
                from generate_series(1, {cand}) as g
            ),
            demo as (
                select 0 as prio, v.g::bigint as g, inv.id as investor_id, p.user_id as builder_id,
                       p.id as project_id, v.status, 0.5::float8 as r_m, 0.4::float8 as r_time,
                       0.5::float8 as r_resp, p.n as pn
                from (values (1, 1, 1, 'pending'), (2, 2, 2, 'approved'), (3, 3, 3, 'rejected'),
                             (4, 1, 0, 'withdrawn')) as v(g, ir, pn, status)
                join seed_users inv on inv.role = 'investor' and inv.ridx = least(v.ir, {ni})
                join seed_projects p on p.n = case when v.pn > 0 then v.pn else
                    (select min(n) from seed_projects where n > 5 and not is_deleted) end
            ),
            rnd as (
                select 1, r.g, inv.id, p.user_id, p.id,
                    case when r.r_status < 0.35 then 'pending' when r.r_status < 0.7 then 'approved'
                         when r.r_status < 0.9 then 'rejected' else 'withdrawn' end,
                    r.r_m, r.r_time, r.r_resp, p.n
                from r
                join seed_users inv on inv.role = 'investor' and inv.ridx = {inv}
                join seed_projects p on p.pop = {proj}
                where not p.is_deleted
            ),
            d as (
                select distinct on (investor_id, builder_id) *
                from (select * from demo union all select * from rnd) a
                order by investor_id, builder_id, prio, g
            ),
            lim as (select * from d order by prio, g limit {n}),
            t as (
                select lim.*, p.title, b.username as builder_name, i.username as investor_name,
                    ir.company_name, ir.investment_focus,
                    greatest(ir.approved_at, p.created_at) as t0
                from lim
                join seed_projects p on p.n = lim.pn
                join seed_users b on b.id = lim.builder_id
                join seed_users i on i.id = lim.investor_id
                join investor_requests ir on ir.user_id = lim.investor_id and ir.status = 'approved'
            ),
            x as (
                select t.*, t0 + (now() - t0) * r_time as created_at from t
            )
            select {id}, investor_id, builder_id, project_id,
                'Hi ' || builder_name || ', I''m ' || investor_name || ' from ' || company_name
                    || '. We back ' || lower(investment_focus) || ' teams and \"' || title
                    || '\" caught my eye. ' || {close},
                status,
                case when status in ('approved', 'rejected')
                     then created_at + (now() - created_at) * (0.5 * r_resp) end,
                created_at,
                case when status = 'pending' then created_at
                     else created_at + (now() - created_at) * (0.5 * r_resp) end
            from x order by prio, g",
            cand = s.intros + s.intros / 4,
            ni = roles.investors,
            inv = uniform_rank("r.r_inv", roles.investors),
            proj = skewed_rank("r.r_proj", 1.5, s.projects),
            n = s.intros,
            id = self.id("intro", "prio || ':' || g"),
            close = random_word(INTRO_CLOSERS, "r_m"),
        )
    }
}
