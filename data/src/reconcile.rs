//! The reconciler: recomputes every trigger-maintained (Category A) value
//! from the source rows it is defined by, reports where the stored value
//! differs, and can repair it: drift is reported, never hidden.
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
//!
//! [`run`] also compares each materialized view (Category B) with its own
//! defining query, read back from the catalog, in the same kind of snapshot.
//! A view is allowed to lag: a difference while the view is marked dirty
//! (or reads the clock and refreshes on a timer) is *stale*, reported but
//! expected; a difference while the refresher considers the view clean is
//! *drift* (a lost mark, a broken refresh) and is reported like a counter
//! drift. Every [`run`] is recorded in `reconcile_log`; [`schedule`] runs
//! it periodically from the server, once across all instances.

use std::fmt;
use std::future::Future;
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};
use sqlx::{Connection, PgConnection, PgPool, Postgres, Row, Transaction};
use time::OffsetDateTime;

/// How many example keys a report keeps per kind of difference.
pub const EXAMPLES: usize = 5;

/// The outcome of one reconciliation run.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ReconcileReport {
    /// One entry per derived structure, in repair order.
    pub tables: Vec<TableReport>,
    /// One entry per registered materialized view, by name; empty when the
    /// run did not compare views.
    #[serde(default)]
    pub views: Vec<ViewReport>,
    /// True when differences were found and rewritten.
    pub repaired: bool,
    pub duration_ms: u64,
}

/// A materialized view compared with its defining query.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ViewReport {
    pub view: String,
    /// Rows in the view.
    pub rows: u64,
    /// Rows of the view its definition no longer produces (multiset).
    pub extra_rows: u64,
    /// Rows the definition produces that the view lacks (multiset).
    pub missing_rows: u64,
    /// A few such rows as JSON, cut to [`EXAMPLE_CHARS`] characters.
    pub extra_examples: Vec<String>,
    pub missing_examples: Vec<String>,
    /// Writes marked the view dirty since its last complete refresh.
    pub dirty: bool,
    pub pending_marks: i64,
    /// The view reads the clock and is refreshed on a timer too.
    pub timer: bool,
    /// Seconds since its last successful refresh (None: never refreshed).
    pub age_secs: Option<f64>,
    pub status: ViewStatus,
    pub duration_ms: u64,
    /// A repair run rebuilt it from its definition after finding drift.
    #[serde(default)]
    pub rebuilt: bool,
}

/// How a view compares with its definition.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ViewStatus {
    /// Equal to its definition.
    Ok,
    /// Different, and a refresh is due (dirty, or its content decays with
    /// time): the lag the design allows.
    Stale,
    /// Different although the refresher considers it up to date.
    Drift,
    /// Never populated: nothing to compare yet.
    Unpopulated,
}

impl ViewStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ViewStatus::Ok => "ok",
            ViewStatus::Stale => "stale",
            ViewStatus::Drift => "DRIFT",
            ViewStatus::Unpopulated => "unpopulated",
        }
    }
}

impl ViewReport {
    pub fn differences(&self) -> u64 {
        self.extra_rows + self.missing_rows
    }
}

/// Characters kept of an example row of a view.
pub const EXAMPLE_CHARS: i32 = 300;

/// Differences found in one derived table.
#[derive(Debug, Clone, Serialize, Deserialize)]
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
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ColumnReport {
    pub column: String,
    pub rows: u64,
    pub examples: Vec<Difference>,
}

/// One example: the row's key, what is stored, what the definition says.
/// Values are rendered as PostgreSQL text; NULL is `None`.
#[derive(Debug, Clone, Serialize, Deserialize)]
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

    /// Views that differ from their definition while considered clean.
    pub fn views_drifted(&self) -> usize {
        self.views
            .iter()
            .filter(|v| v.status == ViewStatus::Drift)
            .count()
    }

    /// True when nothing is wrong: no counter differs and no view drifted
    /// (stale views are the allowed lag).
    pub fn is_clean(&self) -> bool {
        self.total_differences() == 0 && self.views_drifted() == 0
    }

    pub fn view(&self, name: &str) -> Option<&ViewReport> {
        self.views.iter().find(|v| v.view == name)
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
        if !self.views.is_empty() {
            writeln!(
                f,
                "views: {} drifted, {} stale",
                self.views_drifted(),
                self.views
                    .iter()
                    .filter(|v| v.status == ViewStatus::Stale)
                    .count()
            )?;
        }
        for v in &self.views {
            let age = v.age_secs.map_or_else(
                || "never refreshed".to_string(),
                |a| format!("refreshed {a:.0} s ago"),
            );
            writeln!(
                f,
                "  {:<30} {:>6} rows  {}  ({age}, {} pending mark(s), {} ms)",
                v.view,
                v.rows,
                v.status.as_str(),
                v.pending_marks,
                v.duration_ms
            )?;
            if v.rebuilt {
                writeln!(f, "    rebuilt from its definition")?;
            }
            if v.extra_rows > 0 {
                writeln!(f, "    rows not in its definition: {}", v.extra_rows)?;
                for e in &v.extra_examples {
                    writeln!(f, "      {e}")?;
                }
            }
            if v.missing_rows > 0 {
                writeln!(f, "    rows of its definition missing: {}", v.missing_rows)?;
                for e in &v.missing_examples {
                    writeln!(f, "      {e}")?;
                }
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
/// Lifts the pool's statement timeout for the transaction it runs in.
const UNBOUNDED: &str = "SET LOCAL statement_timeout = 0";

#[tracing::instrument(skip(pool))]
pub async fn reconcile(pool: &PgPool, repair: bool) -> Result<ReconcileReport, sqlx::Error> {
    let started = Instant::now();

    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    // A full recomputation takes as long as the data is large, not a
    // page's statement bound.
    sqlx::query(UNBOUNDED).execute(&mut *tx).await?;
    let tables = check_all(&mut tx, &mut |_| ()).await?;
    tx.commit().await?;

    let found = tables.iter().map(TableReport::differences).sum::<u64>();
    if !repair || found == 0 {
        return Ok(ReconcileReport {
            tables,
            views: Vec::new(),
            repaired: false,
            duration_ms: elapsed_ms(started),
        });
    }
    repair_tables(pool, found, started).await
}

/// Takes the repair lock, checks again under it, and rewrites what differs.
async fn repair_tables(
    pool: &PgPool,
    found: u64,
    started: Instant,
) -> Result<ReconcileReport, sqlx::Error> {
    tracing::warn!(differences = found, "derived data drifted; repairing");
    let mut tx = pool.begin().await?;
    sqlx::query("SET LOCAL lock_timeout = '10s'")
        .execute(&mut *tx)
        .await?;
    sqlx::query(UNBOUNDED).execute(&mut *tx).await?;
    sqlx::query(LOCK_FOR_REPAIR).execute(&mut *tx).await?;
    // Tells the projects trigger not to move dashboard counters while
    // proof_score is rewritten: the dashboard is rewritten right after.
    sqlx::query("SET LOCAL proofwork.reconciling = 'on'")
        .execute(&mut *tx)
        .await?;
    let mut tables = check_all(&mut tx, &mut |_| ()).await?;
    for (derived, report) in DERIVED.iter().zip(tables.iter_mut()) {
        if report.differences() > 0 {
            report.repaired_rows = repair_one(&mut tx, derived).await?;
        }
    }
    tx.commit().await?;
    Ok(ReconcileReport {
        tables,
        views: Vec::new(),
        repaired: true,
        duration_ms: elapsed_ms(started),
    })
}

// ------------------------------------------------------- whole runs --

/// Who asked for a run (`reconcile_log.triggered_by`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RunBy {
    Schedule,
    Cli,
    Admin,
    Test,
}

impl RunBy {
    pub fn as_str(self) -> &'static str {
        match self {
            RunBy::Schedule => "schedule",
            RunBy::Cli => "cli",
            RunBy::Admin => "admin",
            RunBy::Test => "test",
        }
    }
}

/// What a [`run`] does.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Rewrite the trigger-maintained rows that differ.
    pub repair: bool,
    /// Compare every materialized view with its definition too (about as
    /// costly as refreshing them all once).
    pub views: bool,
    pub triggered_by: RunBy,
    /// Recorded as `reconcile_log.run_by`.
    pub run_by: String,
}

/// One step of a run, for a progress bar: `done` of `total` steps are
/// finished and `step` (a table or view name) starts now.
#[derive(Debug, Clone, Copy)]
pub struct Progress<'a> {
    pub done: usize,
    pub total: usize,
    pub step: &'a str,
}

/// A report as recorded in `reconcile_log`.
#[derive(Debug, Clone, Serialize)]
pub struct LoggedReport {
    pub id: i64,
    #[serde(with = "time::serde::rfc3339")]
    pub started_at: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub finished_at: OffsetDateTime,
    pub triggered_by: String,
    pub run_by: String,
    pub report: ReconcileReport,
}

/// Checks every trigger-maintained table (repairing on request), then, if
/// asked, every registered view; records the report in `reconcile_log` and
/// returns it. `on_progress` is called before each step.
#[tracing::instrument(skip(pool, on_progress), fields(by = opts.triggered_by.as_str()))]
pub async fn run(
    pool: &PgPool,
    opts: &RunOptions,
    on_progress: &(dyn Fn(Progress<'_>) + Send + Sync),
) -> Result<ReconcileReport, sqlx::Error> {
    let started = Instant::now();
    let started_at = OffsetDateTime::now_utc();
    let view_names: Vec<String> = if opts.views {
        sqlx::query_scalar("SELECT view_name FROM mv_registry ORDER BY view_name")
            .fetch_all(pool)
            .await?
    } else {
        Vec::new()
    };
    let total = DERIVED.len() + view_names.len();
    let mut done = 0;

    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        .execute(&mut *tx)
        .await?;
    // A full recomputation takes as long as the data is large, not a
    // page's statement bound.
    sqlx::query(UNBOUNDED).execute(&mut *tx).await?;
    let tables = check_all(&mut tx, &mut |step| {
        on_progress(Progress { done, total, step });
        done += 1;
    })
    .await?;
    tx.commit().await?;

    let found = tables.iter().map(TableReport::differences).sum::<u64>();
    let mut report = if opts.repair && found > 0 {
        repair_tables(pool, found, started).await?
    } else {
        ReconcileReport {
            tables,
            views: Vec::new(),
            repaired: false,
            duration_ms: 0,
        }
    };

    if !view_names.is_empty() {
        let mut tx = pool.begin().await?;
        sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            .execute(&mut *tx)
            .await?;
        sqlx::query(UNBOUNDED).execute(&mut *tx).await?;
        for name in &view_names {
            on_progress(Progress {
                done,
                total,
                step: name,
            });
            done += 1;
            report.views.push(check_view(&mut tx, name).await?);
        }
        tx.commit().await?;
        // Repair of a drifted view: rebuild it whole from its definition.
        if opts.repair {
            for v in report
                .views
                .iter_mut()
                .filter(|v| v.status == ViewStatus::Drift)
            {
                let out = crate::refresher::rebuild_now(
                    pool,
                    &v.view,
                    crate::refresher::TriggeredBy::Manual,
                )
                .await?;
                v.rebuilt = out.ok;
            }
        }
    }
    on_progress(Progress {
        done: total,
        total,
        step: "",
    });
    report.duration_ms = elapsed_ms(started);
    record(pool, &report, started_at, opts).await?;
    if !report.is_clean() {
        tracing::warn!(
            table_differences = report.total_differences(),
            views_drifted = report.views_drifted(),
            repaired = report.repaired,
            "reconciler found differences"
        );
    }
    Ok(report)
}

/// Compares one view with its definition inside the caller's snapshot.
async fn check_view(
    tx: &mut Transaction<'_, Postgres>,
    view: &str,
) -> Result<ViewReport, sqlx::Error> {
    let started = Instant::now();
    let status = sqlx::query(
        "SELECT populated, dirty, pending_marks, timer IS NOT NULL AS has_timer,
                extract(epoch FROM now() - last_refresh_at)::float8 AS age_secs,
                -- a keyed structure's definition is its own view
                CASE WHEN kind = 'keyed' THEN 'SELECT * FROM ' || quote_ident(view_name || '_def')
                     ELSE pg_get_viewdef(to_regclass(quote_ident(view_name))) END AS def
           FROM mv_status WHERE view_name = $1",
    )
    .bind(view)
    .fetch_one(&mut **tx)
    .await?;
    let populated: bool = status.try_get("populated")?;
    let dirty: bool = status.try_get("dirty")?;
    let pending_marks: i64 = status.try_get("pending_marks")?;
    let timer: bool = status.try_get("has_timer")?;
    let age_secs: Option<f64> = status.try_get("age_secs")?;
    let mut report = ViewReport {
        view: view.to_string(),
        rows: 0,
        extra_rows: 0,
        missing_rows: 0,
        extra_examples: Vec::new(),
        missing_examples: Vec::new(),
        dirty,
        pending_marks,
        timer,
        age_secs,
        status: ViewStatus::Unpopulated,
        duration_ms: 0,
        rebuilt: false,
    };
    if !populated {
        report.duration_ms = elapsed_ms(started);
        return Ok(report);
    }
    let def: String = status.try_get("def")?;
    let def = def.trim().trim_end_matches(';');
    // The view name comes from mv_registry, whose CHECK allows only
    // [a-z0-9_]; quote it anyway.
    let sql = format!(
        "WITH d AS MATERIALIZED ({def}),
              v AS MATERIALIZED (SELECT * FROM \"{view}\"),
              extra AS MATERIALIZED (SELECT * FROM v EXCEPT ALL SELECT * FROM d),
              missing AS MATERIALIZED (SELECT * FROM d EXCEPT ALL SELECT * FROM v)
         SELECT (SELECT count(*) FROM v) AS rows,
                (SELECT count(*) FROM extra) AS extra_rows,
                (SELECT count(*) FROM missing) AS missing_rows,
                ARRAY(SELECT left(row_to_json(e)::text, {EXAMPLE_CHARS}) FROM extra e LIMIT {EXAMPLES})
                    AS extra_examples,
                ARRAY(SELECT left(row_to_json(m)::text, {EXAMPLE_CHARS}) FROM missing m LIMIT {EXAMPLES})
                    AS missing_examples"
    );
    let row = sqlx::query(&sql).fetch_one(&mut **tx).await?;
    let count = |name: &str| -> Result<u64, sqlx::Error> {
        Ok(u64::try_from(row.try_get::<i64, _>(name)?).unwrap_or(0))
    };
    report.rows = count("rows")?;
    report.extra_rows = count("extra_rows")?;
    report.missing_rows = count("missing_rows")?;
    report.extra_examples = row.try_get("extra_examples")?;
    report.missing_examples = row.try_get("missing_examples")?;
    report.status = if report.differences() == 0 {
        ViewStatus::Ok
    } else if dirty || timer {
        ViewStatus::Stale
    } else {
        ViewStatus::Drift
    };
    report.duration_ms = elapsed_ms(started);
    Ok(report)
}

async fn record(
    pool: &PgPool,
    report: &ReconcileReport,
    started_at: OffsetDateTime,
    opts: &RunOptions,
) -> Result<i64, sqlx::Error> {
    let json = serde_json::to_value(report).map_err(|e| sqlx::Error::Encode(Box::new(e)))?;
    sqlx::query_scalar(
        "INSERT INTO reconcile_log
             (started_at, finished_at, duration_ms, triggered_by, table_differences,
              views_drifted, repaired, run_by, report)
         VALUES ($1, now(), $2, $3, $4, $5, $6, $7, $8)
         RETURNING id",
    )
    .bind(started_at)
    .bind(i32::try_from(report.duration_ms).unwrap_or(i32::MAX))
    .bind(opts.triggered_by.as_str())
    .bind(i64::try_from(report.total_differences()).unwrap_or(i64::MAX))
    .bind(opts.views.then(|| report.views_drifted() as i32))
    .bind(report.repaired)
    .bind(&opts.run_by)
    .bind(json)
    .fetch_one(pool)
    .await
}

/// The newest recorded reports, newest first.
pub async fn recent_reports(pool: &PgPool, limit: i64) -> Result<Vec<LoggedReport>, sqlx::Error> {
    let rows = sqlx::query(
        "SELECT id, started_at, finished_at, triggered_by, run_by, report
           FROM reconcile_log ORDER BY started_at DESC, id DESC LIMIT $1",
    )
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.into_iter()
        .map(|r| {
            let report: serde_json::Value = r.try_get("report")?;
            Ok(LoggedReport {
                id: r.try_get("id")?,
                started_at: r.try_get("started_at")?,
                finished_at: r.try_get("finished_at")?,
                triggered_by: r.try_get("triggered_by")?,
                run_by: r.try_get("run_by")?,
                report: serde_json::from_value(report)
                    .map_err(|e| sqlx::Error::Decode(Box::new(e)))?,
            })
        })
        .collect()
}

/// The advisory lock that keeps two scheduled runs from overlapping.
pub const SCHEDULE_LOCK_KEY: i64 = 0x7072_6f6f_665f_7263;

/// When and how the server reconciles on its own.
#[derive(Debug, Clone)]
pub struct ScheduleConfig {
    /// Time between runs (across all instances together).
    pub every: Duration,
    /// Repair what differs, or only report it.
    pub repair: bool,
    /// Compare the views too.
    pub views: bool,
    pub instance_id: String,
}

/// Runs [`run`] every `cfg.every` until `shutdown` resolves. Any number of
/// server instances can run this: a run takes an advisory lock on a
/// dedicated connection and is skipped when another instance holds it or
/// has recorded a scheduled run in the last half interval, so the
/// deployment reconciles about once per interval, not once per instance.
pub async fn schedule(pool: PgPool, cfg: ScheduleConfig, shutdown: impl Future<Output = ()>) {
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tokio::time::sleep(cfg.every) => {}
        }
        match scheduled_once(&pool, &cfg).await {
            Ok(Some(report)) => tracing::info!(
                table_differences = report.total_differences(),
                views_drifted = report.views_drifted(),
                duration_ms = report.duration_ms,
                "scheduled reconciliation done"
            ),
            Ok(None) => tracing::debug!("scheduled reconciliation skipped: done elsewhere"),
            Err(e) => tracing::error!(error = %e, "scheduled reconciliation failed"),
        }
    }
}

/// One scheduled run, unless another instance runs or ran one recently.
pub async fn scheduled_once(
    pool: &PgPool,
    cfg: &ScheduleConfig,
) -> Result<Option<ReconcileReport>, sqlx::Error> {
    let mut conn = PgConnection::connect_with(&pool.connect_options()).await?;
    let locked: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
        .bind(SCHEDULE_LOCK_KEY)
        .fetch_one(&mut conn)
        .await?;
    if !locked {
        return Ok(None);
    }
    let recent: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM reconcile_log
                         WHERE triggered_by = 'schedule'
                           AND started_at > now() - make_interval(secs => $1))",
    )
    .bind(cfg.every.as_secs_f64() / 2.0)
    .fetch_one(&mut conn)
    .await?;
    let result = if recent {
        Ok(None)
    } else {
        let opts = RunOptions {
            repair: cfg.repair,
            views: cfg.views,
            triggered_by: RunBy::Schedule,
            run_by: cfg.instance_id.clone(),
        };
        run(pool, &opts, &|_| ()).await.map(Some)
    };
    // Closing the connection releases the lock whatever happened.
    conn.close().await.ok();
    result
}

fn elapsed_ms(started: Instant) -> u64 {
    u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX)
}

async fn check_all(
    tx: &mut Transaction<'_, Postgres>,
    progress: &mut (dyn FnMut(&str) + Send),
) -> Result<Vec<TableReport>, sqlx::Error> {
    let mut out = Vec::with_capacity(DERIVED.len());
    for derived in DERIVED {
        progress(derived.table);
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
            views: vec![],
            repaired: false,
            duration_ms: 0,
        };
        assert_eq!(report.total_differences(), 7);
        assert!(report.to_string().contains("DRIFT"));
    }
}
