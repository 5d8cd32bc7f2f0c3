//! The reconciler: recomputes every trigger-maintained (Category A) value
//! from the source rows it is defined by, reports where the stored value
//! differs, and can repair it (SEED-REVIEW 11; the document's discussion
//! point 3).
//!
//! Each derived structure is checked by one set-based statement: a `truth`
//! query (the definition, written here independently of the triggers)
//! FULL JOINed with the stored table. The definitions are listed in
//! `docs/DERIVED-DATA.md`; a change to a trigger's meaning changes both.
//!
//! A check-only run reads every table in one REPEATABLE READ snapshot and
//! takes no lock: the triggers write in the writer's transaction, so any
//! snapshot is consistent and a clean database reports 0 even under load. A
//! repair run that finds differences then locks the source and derived
//! tables against writers (readers go on), checks again under the lock and
//! rewrites what differs, all in one transaction.

use std::fmt;
use std::time::Instant;

use serde::Serialize;
use sqlx::{PgPool, Postgres, Transaction};

/// How many example keys a report keeps per kind of difference.
pub const EXAMPLES: usize = 5;

/// The outcome of one reconciliation run.
#[derive(Debug, Clone, Serialize)]
pub struct ReconcileReport {
    /// One entry per derived structure, in repair order.
    pub tables: Vec<TableReport>,
    /// True when differences were found and rewritten.
    pub repaired: bool,
    pub duration_ms: u64,
}

/// Differences found in one derived table.
#[derive(Debug, Clone, Serialize)]
pub struct TableReport {
    /// The table, e.g. `user_dashboard_stats`.
    pub table: String,
    /// Its key columns, joined with `/` (the form the example keys use).
    pub key: String,
    /// Rows the definition produces.
    pub expected_rows: u64,
    /// Rows stored.
    pub stored_rows: u64,
    /// Rows the definition produces that are not stored.
    pub missing_rows: u64,
    pub missing_examples: Vec<String>,
    /// Stored rows the definition does not produce.
    pub extra_rows: u64,
    pub extra_examples: Vec<String>,
    /// Columns with at least one differing row (rows present on both sides).
    pub columns: Vec<ColumnReport>,
    /// Rows deleted, inserted and updated by a repair.
    pub repaired_rows: u64,
}

/// Rows of one table whose stored value of one column differs.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnReport {
    pub column: String,
    pub rows: u64,
    pub examples: Vec<Difference>,
}

/// One example: the row's key, what is stored, what the definition says.
/// Values are rendered as PostgreSQL text; NULL is `None`.
#[derive(Debug, Clone, Serialize)]
pub struct Difference {
    pub key: String,
    pub stored: Option<String>,
    pub expected: Option<String>,
}

impl ReconcileReport {
    /// Missing rows + extra rows + differing (row, column) pairs, over all tables.
    pub fn total_differences(&self) -> u64 {
        self.tables.iter().map(TableReport::differences).sum()
    }

    pub fn table(&self, name: &str) -> Option<&TableReport> {
        self.tables.iter().find(|t| t.table == name)
    }
}

impl TableReport {
    pub fn differences(&self) -> u64 {
        self.missing_rows + self.extra_rows + self.columns.iter().map(|c| c.rows).sum::<u64>()
    }

    pub fn column(&self, name: &str) -> Option<&ColumnReport> {
        self.columns.iter().find(|c| c.column == name)
    }
}

impl fmt::Display for ReconcileReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let total = self.total_differences();
        writeln!(
            f,
            "reconcile: {total} difference(s){} in {} ms",
            if self.repaired { ", repaired" } else { "" },
            self.duration_ms
        )?;
        for t in &self.tables {
            let status = if t.differences() == 0 { "ok" } else { "DRIFT" };
            writeln!(f, "  {:<30} {:>6} rows  {status}", t.table, t.expected_rows)?;
            if t.missing_rows > 0 {
                writeln!(
                    f,
                    "    missing rows: {} (e.g. {})",
                    t.missing_rows,
                    t.missing_examples.join(", ")
                )?;
            }
            if t.extra_rows > 0 {
                writeln!(
                    f,
                    "    extra rows: {} (e.g. {})",
                    t.extra_rows,
                    t.extra_examples.join(", ")
                )?;
            }
            for c in &t.columns {
                writeln!(f, "    {}: {} row(s)", c.column, c.rows)?;
                for e in &c.examples {
                    writeln!(
                        f,
                        "      {}={}: stored {}, expected {}",
                        t.key,
                        e.key,
                        e.stored.as_deref().unwrap_or("NULL"),
                        e.expected.as_deref().unwrap_or("NULL")
                    )?;
                }
            }
            if self.repaired && t.repaired_rows > 0 {
                writeln!(f, "    repaired rows: {}", t.repaired_rows)?;
            }
        }
        Ok(())
    }
}

/// One derived structure: its table, key, compared columns and definition.
struct Derived {
    table: &'static str,
    key: &'static [&'static str],
    columns: &'static [&'static str],
    /// A query returning the key columns and the compared columns.
    truth: &'static str,
    /// False when the rows are not the structure's own (projects): only
    /// the columns are rewritten, no row is inserted or deleted.
    owns_rows: bool,
    /// Column set to now() on a repaired row, if any.
    touched: Option<&'static str>,
}

const PROOF_SCORE: Derived = Derived {
    table: "projects",
    key: &["id"],
    columns: &["proof_score"],
    truth: "SELECT p.id, COALESCE(sum(badge_weight(b.badge_type)), 0)::int AS proof_score
            FROM projects p
            LEFT JOIN validation_badges b ON b.project_id = p.id
            GROUP BY p.id",
    owns_rows: false,
    touched: None,
};

const DASHBOARD_COLUMNS: &[&str] = &[
    "project_count",
    "active_projects",
    "total_proof_score",
    "comment_count",
    "badges_given",
    "badges_received",
    "intros_sent",
    "intros_received",
    "intro_requests_pending",
    "karma_score",
    "unread_messages",
    "unread_notifications",
];

// total_proof_score and karma use the proof score's definition (badge
// weights), not the stored projects.proof_score, so a drifted proof score
// shows in both places instead of being copied.
const USER_DASHBOARD_STATS: Derived = Derived {
    table: "user_dashboard_stats",
    key: &["user_id"],
    columns: DASHBOARD_COLUMNS,
    truth: "WITH
        proof AS (
            SELECT project_id, sum(badge_weight(badge_type)) AS score, count(*) AS badges
            FROM validation_badges GROUP BY project_id),
        ups AS (
            SELECT project_id, count(*) AS n FROM upvotes WHERE is_upvote GROUP BY project_id),
        owned AS (
            SELECT p.user_id,
                   count(*) AS project_count,
                   count(*) FILTER (WHERE NOT p.is_deleted) AS active_projects,
                   COALESCE(sum(pr.score) FILTER (WHERE NOT p.is_deleted), 0) AS proof,
                   COALESCE(sum(pr.badges) FILTER (WHERE NOT p.is_deleted), 0) AS badges_received,
                   COALESCE(sum(u.n) FILTER (WHERE NOT p.is_deleted), 0) AS upvotes
            FROM projects p
            LEFT JOIN proof pr ON pr.project_id = p.id
            LEFT JOIN ups u ON u.project_id = p.id
            GROUP BY p.user_id),
        comm AS (SELECT user_id, count(*) AS n FROM comments GROUP BY user_id),
        given AS (SELECT validator_id AS user_id, count(*) AS n FROM validation_badges GROUP BY validator_id),
        sent AS (SELECT investor_id AS user_id, count(*) AS n FROM intro_requests GROUP BY investor_id),
        recv AS (SELECT builder_id AS user_id, count(*) AS n,
                        count(*) FILTER (WHERE status = 'pending') AS pending
                 FROM intro_requests GROUP BY builder_id),
        msgs AS (SELECT recipient_id AS user_id, count(*) AS n
                 FROM direct_messages WHERE NOT is_read GROUP BY recipient_id),
        notes AS (SELECT user_id, count(*) AS n
                  FROM notifications WHERE NOT is_read GROUP BY user_id)
        SELECT u.id AS user_id,
               COALESCE(o.project_count, 0)::int AS project_count,
               COALESCE(o.active_projects, 0)::int AS active_projects,
               COALESCE(o.proof, 0)::int AS total_proof_score,
               COALESCE(comm.n, 0)::int AS comment_count,
               COALESCE(given.n, 0)::int AS badges_given,
               COALESCE(o.badges_received, 0)::int AS badges_received,
               COALESCE(sent.n, 0)::int AS intros_sent,
               COALESCE(recv.n, 0)::int AS intros_received,
               COALESCE(recv.pending, 0)::int AS intro_requests_pending,
               (COALESCE(o.proof, 0) + COALESCE(o.upvotes, 0))::int AS karma_score,
               COALESCE(msgs.n, 0)::int AS unread_messages,
               COALESCE(notes.n, 0)::int AS unread_notifications
        FROM users u
        LEFT JOIN owned o ON o.user_id = u.id
        LEFT JOIN comm ON comm.user_id = u.id
        LEFT JOIN given ON given.user_id = u.id
        LEFT JOIN sent ON sent.user_id = u.id
        LEFT JOIN recv ON recv.user_id = u.id
        LEFT JOIN msgs ON msgs.user_id = u.id
        LEFT JOIN notes ON notes.user_id = u.id",
    owns_rows: true,
    touched: Some("last_updated_at"),
};

const INTRO_REQUEST_STATS: Derived = Derived {
    table: "intro_request_stats",
    key: &["user_id"],
    columns: &[
        "pending_requests",
        "approved_requests",
        "rejected_requests",
        "withdrawn_requests",
        "sent_requests",
        "sent_pending_requests",
        "sent_approved_requests",
        "sent_rejected_requests",
        "sent_withdrawn_requests",
    ],
    truth: "WITH
        b AS (SELECT builder_id AS user_id,
                     count(*) FILTER (WHERE status = 'pending') AS pending,
                     count(*) FILTER (WHERE status = 'approved') AS approved,
                     count(*) FILTER (WHERE status = 'rejected') AS rejected,
                     count(*) FILTER (WHERE status = 'withdrawn') AS withdrawn
              FROM intro_requests GROUP BY builder_id),
        i AS (SELECT investor_id AS user_id,
                     count(*) AS sent,
                     count(*) FILTER (WHERE status = 'pending') AS pending,
                     count(*) FILTER (WHERE status = 'approved') AS approved,
                     count(*) FILTER (WHERE status = 'rejected') AS rejected,
                     count(*) FILTER (WHERE status = 'withdrawn') AS withdrawn
              FROM intro_requests GROUP BY investor_id)
        SELECT u.id AS user_id,
               COALESCE(b.pending, 0)::int AS pending_requests,
               COALESCE(b.approved, 0)::int AS approved_requests,
               COALESCE(b.rejected, 0)::int AS rejected_requests,
               COALESCE(b.withdrawn, 0)::int AS withdrawn_requests,
               COALESCE(i.sent, 0)::int AS sent_requests,
               COALESCE(i.pending, 0)::int AS sent_pending_requests,
               COALESCE(i.approved, 0)::int AS sent_approved_requests,
               COALESCE(i.rejected, 0)::int AS sent_rejected_requests,
               COALESCE(i.withdrawn, 0)::int AS sent_withdrawn_requests
        FROM users u
        LEFT JOIN b ON b.user_id = u.id
        LEFT JOIN i ON i.user_id = u.id",
    owns_rows: true,
    touched: Some("last_updated_at"),
};

// The last message is the one with the greatest (created_at, id).
const MESSAGE_CONVERSATIONS: Derived = Derived {
    table: "message_conversations_denorm",
    key: &["user_id", "other_user_id"],
    columns: &[
        "last_message_id",
        "last_message_text",
        "last_message_time",
        "last_sender_id",
        "unread_count",
        "total_messages",
    ],
    truth: "WITH
        sides AS (
            SELECT sender_id AS user_id, recipient_id AS other_user_id, id, message, created_at,
                   sender_id, false AS unread_for_user
            FROM direct_messages
            UNION ALL
            SELECT recipient_id, sender_id, id, message, created_at, sender_id, NOT is_read
            FROM direct_messages),
        counts AS (
            SELECT user_id, other_user_id, count(*) AS total,
                   count(*) FILTER (WHERE unread_for_user) AS unread
            FROM sides GROUP BY user_id, other_user_id),
        latest AS (
            SELECT DISTINCT ON (user_id, other_user_id)
                   user_id, other_user_id, id, message, created_at, sender_id
            FROM sides
            ORDER BY user_id, other_user_id, created_at DESC, id DESC)
        SELECT l.user_id, l.other_user_id,
               l.id AS last_message_id,
               l.message AS last_message_text,
               l.created_at AS last_message_time,
               l.sender_id AS last_sender_id,
               c.unread::int AS unread_count,
               c.total::int AS total_messages
        FROM latest l JOIN counts c USING (user_id, other_user_id)",
    owns_rows: true,
    touched: Some("updated_at"),
};

/// Every derived structure, in repair order: proof scores first, since the
/// dashboard's definition builds on the proof score's.
const DERIVED: &[Derived] = &[
    PROOF_SCORE,
    USER_DASHBOARD_STATS,
    INTRO_REQUEST_STATS,
    MESSAGE_CONVERSATIONS,
];

/// Sources first, then derived tables, all in a mode that blocks writers
/// and other repairs but not readers. Writers lock a source table before
/// its triggers lock a derived one, so this order waits for them rather
/// than deadlocking with them.
const LOCK_FOR_REPAIR: &str = "LOCK TABLE users, projects, comments, upvotes, validation_badges, \
     intro_requests, direct_messages, notifications, \
     user_dashboard_stats, intro_request_stats, message_conversations_denorm \
     IN SHARE ROW EXCLUSIVE MODE";

/// Recomputes every Category A value and reports the differences; with
/// `repair`, rewrites what differs in one transaction and reports what it
/// found (and how many rows it rewrote).
#[tracing::instrument(skip(pool))]
pub async fn reconcile(pool: &PgPool, repair: bool) -> Result<ReconcileReport, sqlx::Error> {
    let started = Instant::now();

    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    let tables = check_all(&mut tx).await?;
    tx.commit().await?;

    let found = tables.iter().map(TableReport::differences).sum::<u64>();
    if !repair || found == 0 {
        return Ok(ReconcileReport {
            tables,
            repaired: false,
            duration_ms: elapsed_ms(started),
        });
    }

    tracing::warn!(differences = found, "derived data drifted; repairing");
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL lock_timeout = '10s'")
        .execute(&mut *tx)
        .await?;
    sqlx::query(LOCK_FOR_REPAIR).execute(&mut *tx).await?;
    // Tells the projects trigger not to move dashboard counters while
    // proof_score is rewritten: the dashboard is rewritten right after.
    sqlx::query("SET LOCAL proofwork.reconciling = 'on'")
        .execute(&mut *tx)
        .await?;
    let mut tables = check_all(&mut tx).await?;
    for (derived, report) in DERIVED.iter().zip(tables.iter_mut()) {
        if report.differences() > 0 {
            report.repaired_rows = repair_one(&mut tx, derived).await?;
        }
    }
    tx.commit().await?;
    Ok(ReconcileReport {
        tables,
        repaired: true,
        duration_ms: elapsed_ms(started),
    })
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

async fn check_all(tx: &mut Transaction<'_, Postgres>) -> Result<Vec<TableReport>, sqlx::Error> {
    let mut out = Vec::with_capacity(DERIVED.len());
    for derived in DERIVED {
        out.push(check_one(tx, derived).await?);
    }
    Ok(out)
}

/// One row of the check query: a count of one kind of difference.
#[derive(sqlx::FromRow)]
struct CheckRow {
    kind: String,
    col: Option<String>,
    n: i64,
    keys: Option<Vec<String>>,
    stored: Option<Vec<Option<String>>>,
    expected: Option<Vec<Option<String>>>,
}

fn key_expr(derived: &Derived) -> String {
    let parts: Vec<String> = derived
        .key
        .iter()
        .map(|k| format!("COALESCE(t.{k}, s.{k})::text"))
        .collect();
    format!("concat_ws('/', {})", parts.join(", "))
}

fn join_on(derived: &Derived, left: &str, right: &str) -> String {
    derived
        .key
        .iter()
        .map(|k| format!("{left}.{k} = {right}.{k}"))
        .collect::<Vec<_>>()
        .join(" AND ")
}

fn check_sql(derived: &Derived) -> String {
    let names = derived
        .columns
        .iter()
        .map(|c| format!("'{c}'"))
        .collect::<Vec<_>>()
        .join(", ");
    let stored = derived
        .columns
        .iter()
        .map(|c| format!("s.{c}::text"))
        .collect::<Vec<_>>()
        .join(", ");
    let expected = derived
        .columns
        .iter()
        .map(|c| format!("t.{c}::text"))
        .collect::<Vec<_>>()
        .join(", ");
    let k0 = derived.key[0];
    format!(
        "WITH truth AS ({truth}),
        cmp AS (
            SELECT {key} AS key,
                   t.{k0} IS NOT NULL AS in_truth,
                   s.{k0} IS NOT NULL AS in_table,
                   ARRAY[{stored}] AS stored,
                   ARRAY[{expected}] AS expected
            FROM truth t
            FULL JOIN {table} s ON {on}),
        diffs AS (
            SELECT c.key, v.col, v.stored, v.expected
            FROM cmp c
            CROSS JOIN LATERAL unnest(ARRAY[{names}]::text[], c.stored, c.expected)
                AS v(col, stored, expected)
            WHERE c.in_truth AND c.in_table AND v.stored IS DISTINCT FROM v.expected)
        SELECT 'expected' AS kind, NULL::text AS col, count(*) FILTER (WHERE in_truth) AS n,
               NULL::text[] AS keys, NULL::text[] AS stored, NULL::text[] AS expected
        FROM cmp
        UNION ALL
        SELECT 'stored', NULL, count(*) FILTER (WHERE in_table), NULL, NULL, NULL FROM cmp
        UNION ALL
        SELECT 'missing', NULL, count(*), (array_agg(key ORDER BY key))[1:{ex}], NULL, NULL
        FROM cmp WHERE NOT in_table
        UNION ALL
        SELECT 'extra', NULL, count(*), (array_agg(key ORDER BY key))[1:{ex}], NULL, NULL
        FROM cmp WHERE NOT in_truth
        UNION ALL
        SELECT 'column', col, count(*),
               (array_agg(key ORDER BY key))[1:{ex}],
               (array_agg(stored ORDER BY key))[1:{ex}],
               (array_agg(expected ORDER BY key))[1:{ex}]
        FROM diffs GROUP BY col",
        truth = derived.truth,
        key = key_expr(derived),
        table = derived.table,
        on = join_on(derived, "s", "t"),
        ex = EXAMPLES,
    )
}

async fn check_one(
    tx: &mut Transaction<'_, Postgres>,
    derived: &Derived,
) -> Result<TableReport, sqlx::Error> {
    let rows: Vec<CheckRow> = sqlx::query_as(&check_sql(derived))
        .fetch_all(&mut **tx)
        .await?;
    let mut report = TableReport {
        table: derived.table.to_owned(),
        key: derived.key.join("/"),
        expected_rows: 0,
        stored_rows: 0,
        missing_rows: 0,
        missing_examples: Vec::new(),
        extra_rows: 0,
        extra_examples: Vec::new(),
        columns: Vec::new(),
        repaired_rows: 0,
    };
    for row in rows {
        let n = u64::try_from(row.n).unwrap_or(0);
        match row.kind.as_str() {
            "expected" => report.expected_rows = n,
            "stored" => report.stored_rows = n,
            "missing" => {
                report.missing_rows = n;
                report.missing_examples = row.keys.unwrap_or_default();
            }
            "extra" => {
                report.extra_rows = n;
                report.extra_examples = row.keys.unwrap_or_default();
            }
            _ => {
                let examples = row
                    .keys
                    .unwrap_or_default()
                    .into_iter()
                    .zip(row.stored.unwrap_or_default())
                    .zip(row.expected.unwrap_or_default())
                    .map(|((key, stored), expected)| Difference {
                        key,
                        stored,
                        expected,
                    })
                    .collect();
                report.columns.push(ColumnReport {
                    column: row.col.unwrap_or_default(),
                    rows: n,
                    examples,
                });
            }
        }
    }
    // Report columns in the table's order, whatever order GROUP BY gave.
    report.columns.sort_by_key(|c| {
        derived
            .columns
            .iter()
            .position(|name| *name == c.column)
            .unwrap_or(usize::MAX)
    });
    Ok(report)
}

fn repair_sql(derived: &Derived) -> String {
    let cols = derived.columns.join(", ");
    let keys = derived.key.join(", ");
    let mut set: Vec<String> = derived
        .columns
        .iter()
        .map(|c| format!("{c} = t.{c}"))
        .collect();
    if let Some(touched) = derived.touched {
        set.push(format!("{touched} = now()"));
    }
    let s_cols = derived
        .columns
        .iter()
        .map(|c| format!("s.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    let t_cols = derived
        .columns
        .iter()
        .map(|c| format!("t.{c}"))
        .collect::<Vec<_>>()
        .join(", ");
    // ROW() keeps a one-column list a row comparison.
    let update = format!(
        "UPDATE {table} s SET {set} FROM truth t
         WHERE {on} AND ROW({s_cols}) IS DISTINCT FROM ROW({t_cols})
         RETURNING 1",
        table = derived.table,
        set = set.join(", "),
        on = join_on(derived, "s", "t"),
    );
    if derived.owns_rows {
        format!(
            "WITH truth AS ({truth}),
            gone AS (
                DELETE FROM {table} s
                WHERE NOT EXISTS (SELECT 1 FROM truth t WHERE {on})
                RETURNING 1),
            added AS (
                INSERT INTO {table} ({keys}, {cols})
                SELECT {keys}, {cols} FROM truth t
                WHERE NOT EXISTS (SELECT 1 FROM {table} s WHERE {on})
                RETURNING 1),
            fixed AS ({update})
            SELECT (SELECT count(*) FROM gone) + (SELECT count(*) FROM added)
                 + (SELECT count(*) FROM fixed)",
            truth = derived.truth,
            table = derived.table,
            on = join_on(derived, "s", "t"),
        )
    } else {
        format!(
            "WITH truth AS ({truth}), fixed AS ({update}) SELECT count(*) FROM fixed",
            truth = derived.truth,
        )
    }
}

async fn repair_one(
    tx: &mut Transaction<'_, Postgres>,
    derived: &Derived,
) -> Result<u64, sqlx::Error> {
    let n: i64 = sqlx::query_scalar(&repair_sql(derived))
        .fetch_one(&mut **tx)
        .await?;
    tracing::warn!(table = derived.table, rows = n, "repaired derived rows");
    Ok(u64::try_from(n).unwrap_or(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_structure_compares_at_least_one_column() {
        for d in DERIVED {
            assert!(!d.key.is_empty() && !d.columns.is_empty(), "{}", d.table);
            assert!(check_sql(d).contains(d.table));
            assert!(repair_sql(d).contains(d.table));
        }
    }

    #[test]
    fn total_counts_rows_and_columns() {
        let report = ReconcileReport {
            tables: vec![TableReport {
                table: "t".into(),
                key: "user_id".into(),
                expected_rows: 3,
                stored_rows: 3,
                missing_rows: 1,
                missing_examples: vec![],
                extra_rows: 2,
                extra_examples: vec![],
                columns: vec![ColumnReport {
                    column: "c".into(),
                    rows: 4,
                    examples: vec![],
                }],
                repaired_rows: 0,
            }],
            repaired: false,
            duration_ms: 0,
        };
        assert_eq!(report.total_differences(), 7);
        assert!(report.to_string().contains("DRIFT"));
    }
}
