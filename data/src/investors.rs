//! The investors directory: keyset pages of `mv_investors_directory`
//! (approved applications of active users, newest approval first). The view
//! holds no email and no reviewer; neither does anything here.

use sqlx::PgPool;
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

/// Where the next page starts: the last row's `approved_at` and id.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub approved_at: OffsetDateTime,
    pub id: Uuid,
}

impl Cursor {
    /// `<microseconds since the Unix epoch>_<uuid>`.
    pub fn encode(&self) -> String {
        format!(
            "{}_{}",
            self.approved_at.unix_timestamp_nanos() / 1000,
            self.id
        )
    }

    /// `Err` with a message for anything malformed or out of range.
    pub fn decode(s: &str) -> Result<Cursor, String> {
        let bad = || format!("malformed page cursor \"{s}\"");
        let (t, id) = s.rsplit_once('_').ok_or_else(bad)?;
        let micros: i64 = t.parse().map_err(|_| bad())?;
        // Stay within what PostgreSQL and `time` both represent.
        if !(-62_135_596_800_000_000..=253_402_300_799_000_000).contains(&micros) {
            return Err(bad());
        }
        let id = Uuid::parse_str(id).map_err(|_| bad())?;
        let approved_at = OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
            .map_err(|_| bad())?;
        Ok(Cursor { approved_at, id })
    }
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
    let mut investors = match after {
        None => {
            sqlx::query_as::<_, Investor>(&format!(
                "SELECT {COLUMNS} FROM mv_investors_directory \
                 ORDER BY approved_at DESC, id DESC LIMIT $1"
            ))
            .bind(limit + 1)
            .fetch_all(pool)
            .await?
        }
        Some(c) => {
            sqlx::query_as::<_, Investor>(&format!(
                "SELECT {COLUMNS} FROM mv_investors_directory \
                 WHERE (approved_at, id) < ($1, $2) \
                 ORDER BY approved_at DESC, id DESC LIMIT $3"
            ))
            .bind(c.approved_at)
            .bind(c.id)
            .bind(limit + 1)
            .fetch_all(pool)
            .await?
        }
    };
    let next = if investors.len() as i64 > limit {
        investors.truncate(limit as usize);
        investors.last().map(|i| Cursor {
            approved_at: i.approved_at,
            id: i.id,
        })
    } else {
        None
    };
    Ok(InvestorPage { investors, next })
}
