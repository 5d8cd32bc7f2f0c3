//! The investors directory: keyset pages of `mv_investors_directory`
//! (approved applications of active users, newest approval first). The view
//! holds no email and no reviewer; neither does anything here.

use sqlx::{PgPool, Postgres, QueryBuilder};

use crate::cursor::{self, Cursor, KeyKind};
use time::OffsetDateTime;
use uuid::Uuid;

/// The view this module reads, and the hot cache's name for its pages
/// (the refresher drops them when it refreshes the view).
pub const VIEW: &str = "mv_investors_directory";

/// Investors per page.
pub const PAGE_SIZE: i64 = 20;

/// One approved investor, public fields only.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, sqlx::FromRow)]
pub struct Investor {
    pub id: Uuid,
    pub approved_at: OffsetDateTime,
    pub username: String,
    pub bio: String,
    pub is_verified: bool,
    pub company_name: String,
    pub investment_focus: String,
    pub ticket_size: String,
    pub portfolio_url: Option<String>,
    pub linkedin_url: Option<String>,
    pub intro_requests_sent: i64,
    pub intros_approved: i64,
}

/// One page and the cursor of the next one, if there is more.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone)]
pub struct InvestorPage {
    pub investors: Vec<Investor>,
    pub next: Option<Cursor>,
}

/// A page of the directory: one range scan on
/// `mv_investors_directory_approved (approved_at DESC, id DESC)`.
pub async fn page(
    pool: &PgPool,
    after: Option<Cursor>,
    limit: i64,
) -> Result<InvestorPage, sqlx::Error> {
    let limit = limit.clamp(1, 100);
    const COLUMNS: &str = "id, approved_at, username, bio, is_verified, company_name, \
        investment_focus, ticket_size, portfolio_url, linkedin_url, intro_requests_sent, \
        intros_approved";
    let mut b: QueryBuilder<Postgres> = QueryBuilder::new(format!(
        "SELECT {COLUMNS} FROM mv_investors_directory WHERE true"
    ));
    if let Some(after) = &after {
        cursor::push_after(&mut b, "approved_at", KeyKind::Time, after)?;
    }
    b.push(" ORDER BY approved_at DESC, id DESC LIMIT ")
        .push_bind(limit + 1);
    let mut investors = b.build_query_as::<Investor>().fetch_all(pool).await?;
    let next = cursor::next_page(&mut investors, limit, |i| Cursor::time(i.approved_at, i.id));
    Ok(InvestorPage { investors, next })
}
