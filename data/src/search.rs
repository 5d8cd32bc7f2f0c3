//! Search over `mv_search_index`: projects, users and public chains.
//!
//! One query ranks full-text matches (`websearch_to_tsquery`, `ts_rank`;
//! names weigh most) together with names that are close as trigrams
//! (`word_similarity`, the GIN trigram index on `name`), counts the matches
//! of each type in the same pass, and highlights the page's rows with
//! `ts_headline`. Typos are corrected word by word against the vocabulary
//! of names (`search_correct`, `mv_search_terms`; `docs/VIEWS.md`, "Fuzzy
//! search") when the query as typed finds nothing.
//!
//! Ranking is bounded, whatever the number of matches: the candidates are
//! per type, the [`CANDIDATES`] full-text matches with the highest stored
//! popularity (`relevance_score`: a project's proof score, a user's live
//! projects, a chain's followers; read in that order from the index and
//! stopped at the bound for a common word, gathered from the GIN index for
//! a rare one), names close as trigrams included; only those are
//! ranked (`ts_rank` reads each one's search vector). Counts per type stop
//! at [`COUNT_CAP`] (+1, shown as "100+", as many as the pages offered). A
//! common word ("rust" in 39% of 148,000 documents at 10x) used to rank
//! and count every match: 250 ms for its first page at 10x, about 30 ms now.
//!
//! Ranked results are sorted by a computed score that no index gives, so
//! pages are bounded rather than deep: at most [`MAX_PAGES`] pages of
//! [`PAGE_SIZE`], each next page a keyset on `(score, relevance, type, id)`
//! (never `OFFSET`).

use sqlx::PgPool;
use uuid::Uuid;

/// The view this module reads, and the hot cache's name for its pages
/// (the refresher drops them when it refreshes the view).
pub const VIEW: &str = "mv_search_index";

/// Longest query, in characters.
pub const Q_MAX: usize = 200;
/// Results per page.
pub const PAGE_SIZE: i64 = 20;
/// Pages offered for one query (the top 100 results).
pub const MAX_PAGES: u32 = 5;
/// Matches ranked per type for one query: the most popular matches of
/// each type (the [`MAX_PAGES`] pages offered).
pub const CANDIDATES: i64 = MAX_PAGES as i64 * PAGE_SIZE;
/// Matches counted per type; beyond it the count says "at least" (as
/// many as the pages offered).
pub const COUNT_CAP: i64 = MAX_PAGES as i64 * PAGE_SIZE;
/// Queries of more words than this are not corrected (each word costs a
/// trigram lookup).
pub const CORRECT_MAX_WORDS: usize = 10;
/// What a result can be.
pub const KINDS: &[&str] = &["project", "user", "chain"];

/// Marks `ts_headline` puts around matches (Unicode private-use
/// characters, removed from the text first, so they cannot be forged).
pub const MARK_START: char = '\u{E000}';
pub const MARK_END: char = '\u{E001}';

/// The query as searched: control characters (and the highlight marks)
/// removed, white space runs collapsed, trimmed. Its length is checked against [`Q_MAX`] by the caller.
pub fn normalize(q: &str) -> String {
    q.split(|c: char| c.is_whitespace() || c.is_control() || c == MARK_START || c == MARK_END)
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The words of a query as `search_correct` sees them (lower case, split on
/// non-alphanumerics), joined by spaces; used to tell whether a correction
/// changed anything.
pub fn words(q: &str) -> String {
    q.to_lowercase()
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Where the next page starts: the last row's sort key.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    /// The page this cursor leads to (2 for the second page).
    pub page: u32,
    pub score: f64,
    pub relevance: i64,
    pub result_type: String,
    pub id: Uuid,
}

impl Cursor {
    /// `<page>.<score bits, hex>.<relevance>.<type>.<id>`: the score
    /// round-trips exactly.
    pub fn encode(&self) -> String {
        format!(
            "{}.{:x}.{}.{}.{}",
            self.page,
            self.score.to_bits(),
            self.relevance,
            self.result_type,
            self.id
        )
    }

    pub fn decode(s: &str) -> Result<Cursor, String> {
        let bad = || {
            let shown: String = s.chars().filter(|c| !c.is_control()).take(80).collect();
            format!("malformed search page cursor \"{shown}\"")
        };
        let mut parts = s.split('.');
        let mut next = || parts.next().ok_or_else(bad);
        let page: u32 = next()?.parse().map_err(|_| bad())?;
        let bits = u64::from_str_radix(next()?, 16).map_err(|_| bad())?;
        let relevance: i64 = next()?.parse().map_err(|_| bad())?;
        let result_type = next()?.to_string();
        let id = Uuid::parse_str(next()?).map_err(|_| bad())?;
        if parts.next().is_some()
            || !(2..=MAX_PAGES).contains(&page)
            || !KINDS.contains(&result_type.as_str())
        {
            return Err(bad());
        }
        let score = f64::from_bits(bits);
        if !score.is_finite() {
            return Err(bad());
        }
        Ok(Cursor {
            page,
            score,
            relevance,
            result_type,
            id,
        })
    }
}

/// Matches of each type.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, sqlx::FromRow)]
pub struct Counts {
    pub project: i64,
    pub user: i64,
    pub chain: i64,
}

impl Counts {
    pub fn total(&self) -> i64 {
        self.project + self.user + self.chain
    }

    /// The count of `kind` as shown: "100+" (`COUNT_CAP` and a plus) beyond
    /// [`COUNT_CAP`].
    pub fn label(&self, kind: &str) -> String {
        let n = self.of(kind);
        if n > COUNT_CAP {
            format!("{COUNT_CAP}+")
        } else {
            n.to_string()
        }
    }

    pub fn of(&self, kind: &str) -> i64 {
        match kind {
            "project" => self.project,
            "user" => self.user,
            "chain" => self.chain,
            _ => self.total(),
        }
    }
}

/// One result. `name_marked` and `snippet` contain [`MARK_START`] /
/// [`MARK_END`] around the matched words; everything else is plain text.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Hit {
    pub result_type: String,
    pub id: Uuid,
    /// Title, username or chain name, as stored.
    pub name: String,
    pub name_marked: String,
    /// A few words of the description (or bio) around the matches.
    pub snippet: String,
    /// Projects: the builder; chains: the creator.
    pub creator_username: String,
    pub relevance_score: i64,
    pub score: f64,
}

/// One page of results.
#[derive(Debug, Clone)]
pub struct Page {
    pub hits: Vec<Hit>,
    /// Matches of each type (whatever the type filter).
    pub counts: Counts,
    pub next: Option<Cursor>,
}

/// The candidates and their score. `$1` the query text, `$11` the bound.
/// The full-text filters call `websearch_to_tsquery` inline (not through
/// `q`) and [`search`] plans the statement for its own values
/// (`plan_cache_mode = force_custom_plan`), so PostgreSQL knows from its
/// statistics how common the words are: for a common word it reads the
/// relevance index in order and stops at the bound, for a rare one it
/// gathers the few matches from the GIN index.
const MATCHES: &str = "\
    WITH q AS MATERIALIZED (SELECT websearch_to_tsquery('english', $1) AS tsq), \
    c AS ({per_type}), \
    m AS ( \
        SELECT s.result_type, s.id, s.name, s.description, s.creator_username, \
               s.relevance_score, \
               ts_rank(s.search_vector, q.tsq)::float8 \
                 + CASE WHEN $1 <% s.name THEN word_similarity($1, s.name)::float8 * 0.5 \
                        ELSE 0 END AS score \
        FROM c JOIN mv_search_index s USING (result_type, id), q \
    )";

/// The most popular matches of one type `t`, full-text or names close as
/// trigrams, at most `limit` (an SQL expression), in the order of the
/// `(result_type, relevance_score DESC, id DESC)` index: the candidates
/// ranked, and what the counts count. `also` narrows it further. With the
/// statement planned for its values, a common word reads that index in
/// order and stops at the bound; a rare one gathers its few matches from
/// the GIN indexes.
fn most_popular(t: &str, also: &str, limit: &str) -> String {
    format!(
        "(SELECT s.result_type, s.id FROM mv_search_index s \
          WHERE s.result_type = '{t}' AND {also} \
            AND (s.search_vector @@ websearch_to_tsquery('english', $1) OR $1 <% s.name) \
          ORDER BY s.relevance_score DESC, s.id DESC LIMIT {limit})"
    )
}

fn headline_options(fragments: bool) -> String {
    let mut options = format!("StartSel=\"{MARK_START}\", StopSel=\"{MARK_END}\"");
    if fragments {
        options.push_str(", MaxWords=30, MinWords=12, MaxFragments=2, FragmentDelimiter=\" … \"");
    } else {
        options.push_str(", HighlightAll=true");
    }
    options
}

/// One page of results for `text` (already normalized, non-empty),
/// optionally of one kind, after `after`.
pub async fn search(
    pool: &PgPool,
    text: &str,
    kind: Option<&str>,
    after: Option<&Cursor>,
) -> Result<Page, sqlx::Error> {
    // Each type's candidates; a type the filter ($2) excludes is decided
    // away before any row is read.
    let per_type = KINDS
        .iter()
        .map(|t| most_popular(t, &format!("($2::text IS NULL OR $2 = '{t}')"), "$11"))
        .collect::<Vec<_>>()
        .join(" UNION ");
    let matches = MATCHES.replace("{per_type}", &per_type);
    let sql = format!(
        "{matches}, \
        page AS ( \
            SELECT * FROM m f \
            WHERE ($2::text IS NULL OR f.result_type = $2) \
              AND ($3::float8 IS NULL \
                   OR (f.score, f.relevance_score, f.result_type, f.id) < ($3, $4, $5, $6)) \
            ORDER BY f.score DESC, f.relevance_score DESC, f.result_type DESC, f.id DESC \
            LIMIT $7 \
        ) \
        SELECT page.result_type, page.id, page.name, page.creator_username, \
               page.relevance_score, page.score, \
               ts_headline('english', translate(page.name, $8, ''), q.tsq, $9) AS name_marked, \
               ts_headline('english', translate(page.description, $8, ''), q.tsq, $10) \
                   AS snippet \
        FROM page, q \
        ORDER BY page.score DESC, page.relevance_score DESC, page.result_type DESC, page.id DESC"
    );
    let marks: String = [MARK_START, MARK_END].iter().collect();
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL plan_cache_mode = force_custom_plan")
        .execute(&mut *tx)
        .await?;
    let mut hits = sqlx::query_as::<_, Hit>(&sql)
        .bind(text)
        .bind(kind)
        .bind(after.map(|c| c.score))
        .bind(after.map(|c| c.relevance))
        .bind(after.map(|c| c.result_type.clone()))
        .bind(after.map(|c| c.id))
        .bind(PAGE_SIZE + 1)
        .bind(&marks)
        .bind(headline_options(false))
        .bind(headline_options(true))
        .bind(CANDIDATES)
        .fetch_all(&mut *tx)
        .await?;
    let counts = counts(&mut tx, text).await?;
    tx.commit().await?;
    let page = after.map_or(1, |c| c.page);
    let next = if hits.len() as i64 > PAGE_SIZE {
        hits.truncate(PAGE_SIZE as usize);
        hits.last().filter(|_| page < MAX_PAGES).map(|h| Cursor {
            page: page + 1,
            score: h.score,
            relevance: h.relevance_score,
            result_type: h.result_type.clone(),
            id: h.id,
        })
    } else {
        None
    };
    Ok(Page { hits, counts, next })
}

/// Matches of each type for `text`, each counted up to [`COUNT_CAP`] + 1
/// (more than the cap: show "at least", [`Counts::label`]).
async fn counts(conn: &mut sqlx::PgConnection, text: &str) -> Result<Counts, sqlx::Error> {
    let one = |t: &str| {
        format!(
            "(SELECT count(*) FROM {} x)",
            most_popular(t, "TRUE", &(COUNT_CAP + 1).to_string())
        )
    };
    sqlx::query_as::<_, Counts>(&format!(
        "SELECT {} AS project, {} AS user, {} AS chain",
        one("project"),
        one("user"),
        one("chain")
    ))
    .bind(text)
    .fetch_one(conn)
    .await
}

/// The query with each word replaced by the closest known name word
/// (`search_correct`), or `None` when that changes nothing.
pub async fn correct(pool: &PgPool, text: &str) -> Result<Option<String>, sqlx::Error> {
    if words(text).split(' ').count() > CORRECT_MAX_WORDS {
        return Ok(None);
    }
    let corrected = sqlx::query_scalar::<_, Option<String>>("SELECT search_correct($1)")
        .bind(text)
        .fetch_one(pool)
        .await?;
    Ok(corrected.filter(|c| !c.is_empty() && *c != words(text)))
}

/// Known name words like the query's words (trigram similarity), or the
/// most common ones when none is alike: something to try next.
pub async fn suggestions(
    pool: &PgPool,
    text: &str,
    limit: i64,
) -> Result<Vec<String>, sqlx::Error> {
    let text = words(text)
        .split(' ')
        .take(CORRECT_MAX_WORDS)
        .collect::<Vec<_>>()
        .join(" ");
    let alike = sqlx::query_scalar::<_, String>(
        "SELECT term FROM ( \
             SELECT DISTINCT ON (t.term) t.term, similarity(t.term, w.word) AS sim, t.frequency \
             FROM regexp_split_to_table(lower($1), '[^[:alnum:]]+') AS w(word) \
             JOIN mv_search_terms t ON t.term % w.word \
             WHERE w.word <> '' AND length(w.word) <= 40 AND t.term <> w.word \
             ORDER BY t.term, sim DESC \
         ) c \
         ORDER BY sim DESC, frequency DESC, term LIMIT $2",
    )
    .bind(&text)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    if !alike.is_empty() {
        return Ok(alike);
    }
    sqlx::query_scalar::<_, String>(
        "SELECT term FROM mv_search_terms WHERE length(term) >= 4 \
         ORDER BY frequency DESC, term LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await
}

/// Splits text marked by `ts_headline` into `(text, is_match)` pieces.
/// Unpaired marks are dropped; the pieces are plain text to be escaped by
/// whoever renders them.
pub fn marked_pieces(marked: &str) -> Vec<(String, bool)> {
    let mut pieces: Vec<(String, bool)> = Vec::new();
    let mut current = String::new();
    let mut inside = false;
    for c in marked.chars() {
        match c {
            MARK_START if !inside => {
                if !current.is_empty() {
                    pieces.push((std::mem::take(&mut current), false));
                }
                inside = true;
            }
            MARK_END if inside => {
                if !current.is_empty() {
                    pieces.push((std::mem::take(&mut current), true));
                }
                inside = false;
            }
            MARK_START | MARK_END => {}
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        pieces.push((current, inside));
    }
    pieces
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_beyond_the_cap_say_at_least() {
        let c = Counts {
            project: COUNT_CAP + 1,
            user: COUNT_CAP,
            chain: 0,
        };
        assert_eq!(c.label("project"), format!("{COUNT_CAP}+"));
        assert_eq!(c.label("user"), COUNT_CAP.to_string());
        assert_eq!(c.label("chain"), "0");
        assert_eq!(c.label("all"), format!("{COUNT_CAP}+"));
    }

    #[test]
    fn normalize_drops_control_characters_and_collapses_space() {
        assert_eq!(normalize("  rust\0 \t queue\u{7}\n "), "rust queue");
        assert_eq!(normalize("\0\0"), "");
        assert_eq!(normalize("\u{E000}rust\u{E001}"), "rust");
    }

    #[test]
    fn cursors_round_trip_and_reject_garbage() {
        let c = Cursor {
            page: 2,
            score: 0.607_927_1_f64 + 1e-17,
            relevance: 42,
            result_type: "project".into(),
            id: Uuid::nil(),
        };
        assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        for bad in [
            "",
            "x",
            "1.0.0.project.00000000-0000-0000-0000-000000000000",
            "6.0.0.project.00000000-0000-0000-0000-000000000000",
            "2.0.0.thing.00000000-0000-0000-0000-000000000000",
            "2.7ff8000000000000.0.user.00000000-0000-0000-0000-000000000000",
            "2.0.0.user.nope",
            "2.0.0.user.00000000-0000-0000-0000-000000000000.x",
        ] {
            assert!(Cursor::decode(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn marks_become_pieces_and_stray_marks_vanish() {
        let s = format!("a {MARK_START}Rust{MARK_END} b{MARK_END} {MARK_START}q");
        assert_eq!(
            marked_pieces(&s),
            vec![
                ("a ".to_string(), false),
                ("Rust".to_string(), true),
                (" b ".to_string(), false),
                ("q".to_string(), true),
            ]
        );
    }
}
