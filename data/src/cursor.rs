//! Keyset pages: the one way lists go on page by page.
//!
//! A list is ordered by `(key DESC, id DESC)` with an index on exactly
//! that, and a page link names the last row shown: `<key>_<uuid>`. The
//! next page is `WHERE (key, id) < (cursor)`: one range scan however deep
//! the page, and rows written meanwhile neither repeat nor go missing
//! (an offset would shift under them).
//!
//! Keys are a score (`f64`, printed as the shortest text that parses back
//! to the same value, so it round-trips exactly), a count, or a time
//! (microseconds since the Unix epoch: PostgreSQL's precision). Which one
//! a list uses is fixed by the list (and, for the feed and chain lists, by
//! the tab), so decoding takes the expected [`KeyKind`]: a cursor of
//! another kind is malformed, not reinterpreted.
//!
//! Two lists page differently, for their own reasons: search (its cursor
//! holds several keys and a page count that bounds how deep one query may
//! go, `search::Cursor`) and the leaderboards (a rank is unique and dense,
//! so the next page is simply `rank > n`).

use sqlx::{Postgres, QueryBuilder};
use time::OffsetDateTime;
use uuid::Uuid;

/// What a list is ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyKind {
    Score,
    Count,
    Time,
}

/// The sort key of the last row shown.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, Copy, PartialEq)]
pub enum Key {
    Score(f64),
    Count(i64),
    Time(OffsetDateTime),
}

/// Where the next page starts: the last row's key and id.
#[derive(serde::Serialize, serde::Deserialize, Debug, Clone, Copy, PartialEq)]
pub struct Cursor {
    pub key: Key,
    pub id: Uuid,
}

/// Microseconds since the epoch that PostgreSQL and `time` both represent.
const MICROS_RANGE: std::ops::RangeInclusive<i64> =
    -62_135_596_800_000_000..=253_402_300_799_000_000;

fn micros(at: OffsetDateTime) -> i64 {
    (at.unix_timestamp_nanos() / 1000) as i64
}

fn from_micros(t: i64) -> Option<OffsetDateTime> {
    if !MICROS_RANGE.contains(&t) {
        return None;
    }
    OffsetDateTime::from_unix_timestamp_nanos(i128::from(t) * 1000).ok()
}

impl Cursor {
    pub fn score(score: f64, id: Uuid) -> Cursor {
        Cursor {
            key: Key::Score(score),
            id,
        }
    }

    pub fn count(count: i64, id: Uuid) -> Cursor {
        Cursor {
            key: Key::Count(count),
            id,
        }
    }

    pub fn time(at: OffsetDateTime, id: Uuid) -> Cursor {
        Cursor {
            key: Key::Time(at),
            id,
        }
    }

    pub fn kind(&self) -> KeyKind {
        match self.key {
            Key::Score(_) => KeyKind::Score,
            Key::Count(_) => KeyKind::Count,
            Key::Time(_) => KeyKind::Time,
        }
    }

    /// `<key>_<uuid>`.
    pub fn encode(&self) -> String {
        match self.key {
            Key::Score(s) => format!("{s}_{}", self.id),
            Key::Count(n) => format!("{n}_{}", self.id),
            Key::Time(at) => format!("{}_{}", micros(at), self.id),
        }
    }

    /// Parses a cursor of a list ordered by `kind`; `Err` with a message
    /// for a person for anything malformed or out of range.
    pub fn decode(kind: KeyKind, s: &str) -> Result<Cursor, String> {
        let bad = || {
            let shown: String = s.chars().filter(|c| !c.is_control()).take(80).collect();
            format!("malformed page cursor \"{shown}\"")
        };
        let (key, id) = s.rsplit_once('_').ok_or_else(bad)?;
        let id = Uuid::parse_str(id).map_err(|_| bad())?;
        let key = match kind {
            KeyKind::Score => {
                let v: f64 = key.parse().map_err(|_| bad())?;
                if !v.is_finite() {
                    return Err(bad());
                }
                Key::Score(v)
            }
            KeyKind::Count => Key::Count(key.parse().map_err(|_| bad())?),
            KeyKind::Time => {
                let t: i64 = key.parse().map_err(|_| bad())?;
                Key::Time(from_micros(t).ok_or_else(bad)?)
            }
        };
        Ok(Cursor { key, id })
    }

    /// A cursor from a page link's parameter: absent or empty is the first
    /// page (`None`).
    pub fn param(kind: KeyKind, s: Option<&str>) -> Result<Option<Cursor>, String> {
        match s {
            None | Some("") => Ok(None),
            Some(s) => Cursor::decode(kind, s).map(Some),
        }
    }
}

fn wrong_kind(expected: KeyKind, c: &Cursor) -> sqlx::Error {
    sqlx::Error::Protocol(format!(
        "a {:?} page cursor for a list ordered by {expected:?}",
        c.kind()
    ))
}

/// The bound of a list ordered by time, for queries written as
/// `($n::timestamptz IS NULL OR (t, id) < ($n, $n+1))`: `(None, None)` on
/// the first page.
pub fn time_bound(
    after: Option<Cursor>,
) -> Result<(Option<OffsetDateTime>, Option<Uuid>), sqlx::Error> {
    match after {
        None => Ok((None, None)),
        Some(Cursor {
            key: Key::Time(at),
            id,
        }) => Ok((Some(at), Some(id))),
        Some(c) => Err(wrong_kind(KeyKind::Time, &c)),
    }
}

/// Appends ` AND (<column>, id) < (key, id)` for a list ordered by
/// `column` (an identifier of the caller's, never input) of `kind`.
pub fn push_after(
    b: &mut QueryBuilder<'_, Postgres>,
    column: &str,
    kind: KeyKind,
    after: &Cursor,
) -> Result<(), sqlx::Error> {
    if after.kind() != kind {
        return Err(wrong_kind(kind, after));
    }
    b.push(format!(" AND ({column}, id) < ("));
    match after.key {
        Key::Score(s) => b.push_bind(s),
        Key::Count(n) => b.push_bind(n),
        Key::Time(at) => b.push_bind(at),
    };
    b.push(", ").push_bind(after.id).push(")");
    Ok(())
}

/// A page from the `limit + 1` rows a query fetched: keeps `limit` and,
/// when there was one more, gives the cursor of the last row kept.
pub fn next_page<T>(
    rows: &mut Vec<T>,
    limit: i64,
    cursor: impl Fn(&T) -> Cursor,
) -> Option<Cursor> {
    let limit = usize::try_from(limit).unwrap_or(0);
    if rows.len() > limit {
        rows.truncate(limit);
        rows.last().map(cursor)
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id() -> Uuid {
        Uuid::parse_str("0b5f6a1e-2f0c-4b7e-9a55-0d8e5c1e7a11").unwrap()
    }

    #[test]
    fn every_kind_round_trips() {
        let at = OffsetDateTime::from_unix_timestamp_nanos(1_790_000_000_123_456_000).unwrap();
        for c in [
            Cursor::score(0.1 + 0.2, id()),
            Cursor::score(-3.5e-12, id()),
            Cursor::count(i64::MAX, id()),
            Cursor::count(-1, id()),
            Cursor::time(at, id()),
        ] {
            assert_eq!(Cursor::decode(c.kind(), &c.encode()), Ok(c), "{c:?}");
        }
    }

    #[test]
    fn malformed_cursors_are_refused_with_their_text() {
        let u = id();
        for (kind, bad) in [
            (KeyKind::Score, "x".to_string()),
            (KeyKind::Score, format!("NaN_{u}")),
            (KeyKind::Score, format!("inf_{u}")),
            (KeyKind::Count, format!("1.5_{u}")),
            (KeyKind::Count, "12_not-a-uuid".to_string()),
            (KeyKind::Time, format!("999999999999999999_{u}")),
            (KeyKind::Time, format!("_{u}")),
        ] {
            let err = Cursor::decode(kind, &bad).unwrap_err();
            assert!(err.starts_with("malformed page cursor"), "{err}");
        }
        let shown = Cursor::decode(KeyKind::Count, "a\u{7}b").unwrap_err();
        assert_eq!(shown, "malformed page cursor \"ab\"");
    }

    #[test]
    fn an_absent_or_empty_parameter_is_the_first_page() {
        assert_eq!(Cursor::param(KeyKind::Time, None), Ok(None));
        assert_eq!(Cursor::param(KeyKind::Time, Some("")), Ok(None));
        assert!(Cursor::param(KeyKind::Time, Some("1")).is_err());
    }

    #[test]
    fn next_page_keeps_the_limit_and_names_the_last_row_kept() {
        let mut rows = vec![5_i64, 4, 3];
        let next = next_page(&mut rows, 2, |n| Cursor::count(*n, id()));
        assert_eq!(rows, [5, 4]);
        assert_eq!(next, Some(Cursor::count(4, id())));
        let mut rows = vec![5_i64, 4];
        assert_eq!(next_page(&mut rows, 2, |n| Cursor::count(*n, id())), None);
        assert_eq!(rows, [5, 4]);
    }

    #[test]
    fn a_cursor_of_another_kind_is_an_error_not_a_first_page() {
        assert!(time_bound(Some(Cursor::count(1, id()))).is_err());
        let mut b = QueryBuilder::<Postgres>::new("SELECT 1 WHERE true");
        assert!(push_after(
            &mut b,
            "upvote_count",
            KeyKind::Count,
            &Cursor::score(1.0, id())
        )
        .is_err());
        push_after(
            &mut b,
            "upvote_count",
            KeyKind::Count,
            &Cursor::count(1, id()),
        )
        .unwrap();
        assert_eq!(
            b.sql(),
            "SELECT 1 WHERE true AND (upvote_count, id) < ($1, $2)"
        );
    }
}
