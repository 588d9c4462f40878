//! Workflow writes and reads: status changes, categories, sealed notes and actions,
//! disclosures, and the one-time chaining of audit rows written before the chain existed.

use chrono::NaiveDate;
use sqlx::{Row, SqliteConnection};

use super::filing::insert_audit;
use super::{finish, now_rfc3339, SqliteRegister};
use crate::audit::Event;
use crate::cases::{Category, Deadlines, Outcome, Status, TransitionError};
use crate::register::{
    CaseEvent, CaseFile, DisclosureRow, EventKind, NewDisclosure, NewEvent, RegisterError,
    ReporterNotice, StatusChange,
};
use crate::vault::StoredBlob;

/// (id, at, actor, action, case_number, detail) of an audit row written before the chain.
type LegacyRow = (i64, String, String, String, Option<String>, String);

const CASE_FILE_SELECT: &str =
    "SELECT id, number, received_at, status, category, acknowledged_at, \
     feedback_at, ended_at, outcome, ack_due, feedback_due, retention_until, identity_disclosed, \
     encrypted, signed FROM cases";

fn corrupt(what: &str, value: &str) -> RegisterError {
    RegisterError::Corrupt(format!("cases.{what} = {value:?}"))
}

fn opt_date(
    r: &sqlx::sqlite::SqliteRow,
    col: &'static str,
) -> Result<Option<NaiveDate>, RegisterError> {
    let v: Option<String> = r
        .try_get(col)
        .map_err(RegisterError::db("read case file"))?;
    v.map(|s| s.parse().map_err(|_| corrupt(col, &s)))
        .transpose()
}

fn case_file(r: &sqlx::sqlite::SqliteRow) -> Result<(i64, CaseFile), RegisterError> {
    let get = |col: &'static str| -> Result<String, RegisterError> {
        r.try_get(col).map_err(RegisterError::db("read case file"))
    };
    let received_at = opt_date(r, "received_at")?.ok_or_else(|| corrupt("received_at", ""))?;
    let status = get("status")?;
    let category: Option<String> = r
        .try_get("category")
        .map_err(RegisterError::db("read case file"))?;
    let outcome: Option<String> = r
        .try_get("outcome")
        .map_err(RegisterError::db("read case file"))?;
    let acknowledged_at = opt_date(r, "acknowledged_at")?;
    let ended_at = opt_date(r, "ended_at")?;
    // Deadlines stored at filing and on each change; derived again when a row predates them.
    let derived = Deadlines::compute(received_at, acknowledged_at, ended_at);
    Ok((
        r.try_get("id")
            .map_err(RegisterError::db("read case file"))?,
        CaseFile {
            number: get("number")?,
            received_at,
            status: Status::parse(&status).ok_or_else(|| corrupt("status", &status))?,
            category: category
                .map(|c| Category::parse(&c).ok_or_else(|| corrupt("category", &c)))
                .transpose()?,
            acknowledged_at,
            feedback_at: opt_date(r, "feedback_at")?,
            ended_at,
            outcome: outcome
                .map(|o| Outcome::parse(&o).ok_or_else(|| corrupt("outcome", &o)))
                .transpose()?,
            acknowledgement_due: opt_date(r, "ack_due")?.unwrap_or(derived.acknowledgement_due),
            feedback_due: opt_date(r, "feedback_due")?.unwrap_or(derived.feedback_due),
            retention_until: opt_date(r, "retention_until")?.or(derived.retention_until),
            identity_disclosed: r
                .try_get("identity_disclosed")
                .map_err(RegisterError::db("read case file"))?,
            encrypted: r
                .try_get("encrypted")
                .map_err(RegisterError::db("read case file"))?,
            signed: r
                .try_get("signed")
                .map_err(RegisterError::db("read case file"))?,
        },
    ))
}

async fn case_file_in(
    conn: &mut SqliteConnection,
    number: &str,
) -> Result<(i64, CaseFile), RegisterError> {
    let row = sqlx::query(&format!("{CASE_FILE_SELECT} WHERE number = ?"))
        .bind(number)
        .fetch_optional(&mut *conn)
        .await
        .map_err(RegisterError::db("SELECT case file"))?
        .ok_or_else(|| RegisterError::NotFound(format!("case {number}")))?;
    case_file(&row)
}

impl SqliteRegister {
    /// Chains audit rows written before migration 0002, once (the migration leaves a marker).
    pub(super) async fn upgrade(&self) -> Result<(), RegisterError> {
        let mut conn = self.begin_immediate().await?;
        let result = async {
            let pending = sqlx::query("SELECT COUNT(*) FROM audit_backfill")
                .fetch_one(&mut *conn)
                .await
                .map_err(RegisterError::db("SELECT audit_backfill"))?
                .try_get::<i64, _>(0)
                .map_err(RegisterError::db("SELECT audit_backfill"))?;
            if pending == 0 {
                return Ok(());
            }
            let rows = sqlx::query(
                "SELECT id, at, actor, action, case_number, detail FROM audit WHERE hash IS NULL ORDER BY id",
            )
            .fetch_all(&mut *conn)
            .await
            .map_err(RegisterError::db("SELECT unchained audit"))?;
            let mut prev = crate::audit::GENESIS.to_owned();
            for r in &rows {
                let read = || -> Result<LegacyRow, sqlx::Error> {
                    Ok((
                        r.try_get("id")?,
                        r.try_get("at")?,
                        r.try_get("actor")?,
                        r.try_get("action")?,
                        r.try_get("case_number")?,
                        r.try_get("detail")?,
                    ))
                };
                let (id, at, actor, action, case_number, detail) =
                    read().map_err(RegisterError::db("read audit row"))?;
                let hash = crate::audit::Link {
                    id,
                    at: &at,
                    actor: &actor,
                    action: &action,
                    case_number: case_number.as_deref(),
                    detail: &detail,
                    prev_hash: &prev,
                }
                .hash();
                sqlx::query("UPDATE audit SET prev_hash = ?, hash = ? WHERE id = ?")
                    .bind(&prev)
                    .bind(&hash)
                    .bind(id)
                    .execute(&mut *conn)
                    .await
                    .map_err(RegisterError::db("UPDATE audit chain"))?;
                prev = hash;
            }
            sqlx::query("DELETE FROM audit_backfill")
                .execute(&mut *conn)
                .await
                .map_err(RegisterError::db("DELETE audit_backfill"))?;
            Ok(())
        }
        .await;
        finish(&mut conn, result).await
    }

    /// Case files (with their row ids), oldest first; one case when `number` is given.
    pub async fn case_files(
        &self,
        number: Option<&str>,
    ) -> Result<Vec<(i64, CaseFile)>, RegisterError> {
        let rows = match number {
            Some(n) => {
                sqlx::query(&format!("{CASE_FILE_SELECT} WHERE number = ?"))
                    .bind(n)
                    .fetch_all(&self.pool)
                    .await
            }
            None => {
                sqlx::query(&format!("{CASE_FILE_SELECT} ORDER BY id"))
                    .fetch_all(&self.pool)
                    .await
            }
        }
        .map_err(RegisterError::db("SELECT case files"))?;
        rows.iter().map(case_file).collect()
    }

    /// Changes the status, checking the lifecycle inside the transaction.
    pub async fn change_status(
        &self,
        number: &str,
        change: &StatusChange,
    ) -> Result<Result<CaseFile, TransitionError>, RegisterError> {
        let mut conn = self.begin_immediate().await?;
        let result = async {
            let (id, file) = case_file_in(&mut conn, number).await?;
            if let Err(e) = file.status.check_transition(change.to) {
                return Ok(Err(e));
            }
            let days = file.days().after(change.to, change.on);
            let (acknowledged, feedback, ended) = (days.acknowledged, days.feedback, days.ended);
            let dl = days.deadlines();
            let ds = |d: Option<NaiveDate>| d.map(|d| d.to_string());
            sqlx::query(
                "UPDATE cases SET status = ?, acknowledged_at = ?, feedback_at = ?, ended_at = ?,
                        outcome = COALESCE(?, outcome), ack_due = ?, feedback_due = ?, retention_until = ?
                 WHERE id = ?",
            )
            .bind(change.to.as_str())
            .bind(ds(acknowledged))
            .bind(ds(feedback))
            .bind(ds(ended))
            .bind(change.outcome.map(Outcome::as_str))
            .bind(dl.acknowledgement_due.to_string())
            .bind(dl.feedback_due.to_string())
            .bind(ds(dl.retention_until))
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(RegisterError::db("UPDATE case status"))?;
            let (action, detail) = change.audit(file.status);
            insert_audit(&mut conn, &change.actor, action, Some(number), &detail).await?;
            let (_, updated) = case_file_in(&mut conn, number).await?;
            Ok(Ok(updated))
        }
        .await;
        finish(&mut conn, result).await
    }

    /// Sets the category.
    pub async fn set_category(
        &self,
        number: &str,
        category: Category,
        actor: &str,
    ) -> Result<(), RegisterError> {
        let mut conn = self.begin_immediate().await?;
        let result = async {
            let (id, file) = case_file_in(&mut conn, number).await?;
            sqlx::query("UPDATE cases SET category = ? WHERE id = ?")
                .bind(category.as_str())
                .bind(id)
                .execute(&mut *conn)
                .await
                .map_err(RegisterError::db("UPDATE case category"))?;
            let before = file.category.map(Category::as_str).unwrap_or("none");
            insert_audit(
                &mut conn,
                actor,
                Event::CategorySet,
                Some(number),
                &format!("{before} -> {category}"),
            )
            .await
        }
        .await;
        finish(&mut conn, result).await
    }

    /// Records a note or an action.
    pub async fn add_event(&self, number: &str, event: &NewEvent) -> Result<i64, RegisterError> {
        let mut conn = self.begin_immediate().await?;
        let result = async {
            let (case_id, _) = case_file_in(&mut conn, number).await?;
            let (kind, action_kind) = match event.kind {
                EventKind::Note => ("note", None),
                EventKind::Action(k) => ("action", Some(k.as_str())),
            };
            let id: i64 = sqlx::query(
                "INSERT INTO case_events (case_id, kind, action_kind, on_date, actor, note_pkesks, note_body, recorded_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(case_id)
            .bind(kind)
            .bind(action_kind)
            .bind(event.on.to_string())
            .bind(&event.actor)
            .bind(event.note.as_ref().map(|n| n.pkesks.as_slice()))
            .bind(event.note.as_ref().map(|n| n.body.as_slice()))
            .bind(now_rfc3339())
            .fetch_one(&mut *conn)
            .await
            .map_err(RegisterError::db("INSERT INTO case_events"))?
            .try_get(0)
            .map_err(RegisterError::db("INSERT INTO case_events"))?;
            let (action, detail) = match event.kind {
                EventKind::Note => (Event::NoteAdded, format!("note #{id}")),
                EventKind::Action(k) => (
                    Event::ActionRecorded,
                    format!(
                        "action #{id}: {k} on {}{}",
                        event.on,
                        if event.note.is_some() { " (sealed note)" } else { "" }
                    ),
                ),
            };
            insert_audit(&mut conn, &event.actor, action, Some(number), &detail).await?;
            Ok(id)
        }
        .await;
        finish(&mut conn, result).await
    }

    /// Notes and actions of a case.
    pub async fn events(&self, number: &str) -> Result<Vec<CaseEvent>, RegisterError> {
        let rows = sqlx::query(
            "SELECT e.id, e.kind, e.action_kind, e.on_date, e.actor, e.recorded_at, e.note_pkesks, e.note_body
             FROM case_events e JOIN cases c ON c.id = e.case_id WHERE c.number = ? ORDER BY e.id",
        )
        .bind(number)
        .fetch_all(&self.pool)
        .await
        .map_err(RegisterError::db("SELECT case_events"))?;
        rows.iter()
            .map(|r| {
                let db = RegisterError::db("read case event");
                let kind: String = r.try_get("kind").map_err(db)?;
                let action_kind: Option<String> = r
                    .try_get("action_kind")
                    .map_err(RegisterError::db("read case event"))?;
                let on: String = r
                    .try_get("on_date")
                    .map_err(RegisterError::db("read case event"))?;
                let pkesks: Option<Vec<u8>> = r
                    .try_get("note_pkesks")
                    .map_err(RegisterError::db("read case event"))?;
                let body: Option<Vec<u8>> = r
                    .try_get("note_body")
                    .map_err(RegisterError::db("read case event"))?;
                Ok(CaseEvent {
                    id: r
                        .try_get("id")
                        .map_err(RegisterError::db("read case event"))?,
                    kind: if kind == "note" { "note" } else { "action" },
                    action_kind: action_kind
                        .map(|k| {
                            crate::cases::ActionKind::parse(&k).ok_or_else(|| {
                                RegisterError::Corrupt(format!("case_events.action_kind = {k:?}"))
                            })
                        })
                        .transpose()?,
                    on: on.parse().map_err(|_| {
                        RegisterError::Corrupt(format!("case_events.on_date = {on:?}"))
                    })?,
                    actor: r
                        .try_get("actor")
                        .map_err(RegisterError::db("read case event"))?,
                    recorded_at: r
                        .try_get("recorded_at")
                        .map_err(RegisterError::db("read case event"))?,
                    note: match (pkesks, body) {
                        (Some(pkesks), Some(body)) => Some(StoredBlob { pkesks, body }),
                        _ => None,
                    },
                })
            })
            .collect()
    }

    /// Records a disclosure and marks the case.
    pub async fn record_disclosure(
        &self,
        number: &str,
        d: &NewDisclosure,
    ) -> Result<i64, RegisterError> {
        let mut conn = self.begin_immediate().await?;
        let result = async {
            let (case_id, _) = case_file_in(&mut conn, number).await?;
            insert_audit(
                &mut conn,
                &d.actor,
                Event::IdentityDisclosed,
                Some(number),
                &format!(
                    "to: {}; legal basis: {}; reason: {}; reporter: {}",
                    d.recipient,
                    d.legal_basis,
                    d.reason,
                    d.notice.as_str()
                ),
            )
            .await?;
            let audit_id: i64 = sqlx::query("SELECT MAX(id) FROM audit")
                .fetch_one(&mut *conn)
                .await
                .map_err(RegisterError::db("SELECT audit id"))?
                .try_get(0)
                .map_err(RegisterError::db("SELECT audit id"))?;
            let id: i64 = sqlx::query(
                "INSERT INTO disclosures (case_id, at, actor, recipient, legal_basis, reason, reporter_notice, audit_id)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(case_id)
            .bind(now_rfc3339())
            .bind(&d.actor)
            .bind(&d.recipient)
            .bind(&d.legal_basis)
            .bind(&d.reason)
            .bind(d.notice.as_str())
            .bind(audit_id)
            .fetch_one(&mut *conn)
            .await
            .map_err(RegisterError::db("INSERT INTO disclosures"))?
            .try_get(0)
            .map_err(RegisterError::db("INSERT INTO disclosures"))?;
            sqlx::query("UPDATE cases SET identity_disclosed = 1 WHERE id = ?")
                .bind(case_id)
                .execute(&mut *conn)
                .await
                .map_err(RegisterError::db("UPDATE case identity_disclosed"))?;
            Ok(id)
        }
        .await;
        finish(&mut conn, result).await
    }

    /// Records the configuration's hash; a new or changed one gets an audit entry. Returns
    /// whether it changed.
    pub async fn note_config(&self, sha256: &str) -> Result<bool, RegisterError> {
        let mut conn = self.begin_immediate().await?;
        let result = async {
            let old: Option<String> = sqlx::query("SELECT sha256 FROM config_state WHERE id = 1")
                .fetch_optional(&mut *conn)
                .await
                .map_err(RegisterError::db("SELECT config_state"))?
                .map(|r| r.try_get(0))
                .transpose()
                .map_err(RegisterError::db("SELECT config_state"))?;
            if old.as_deref() == Some(sha256) {
                return Ok(false);
            }
            sqlx::query(
                "INSERT INTO config_state (id, sha256, updated_at) VALUES (1, ?, ?)
                 ON CONFLICT (id) DO UPDATE SET sha256 = excluded.sha256, updated_at = excluded.updated_at",
            )
            .bind(sha256)
            .bind(now_rfc3339())
            .execute(&mut *conn)
            .await
            .map_err(RegisterError::db("UPSERT config_state"))?;
            let detail = match &old {
                Some(o) => format!("sha256 {o} -> {sha256}"),
                None => format!("sha256 {sha256}"),
            };
            let action = if old.is_some() { Event::ConfigChanged } else { Event::ConfigRecorded };
            insert_audit(&mut conn, "admin", action, None, &detail).await?;
            Ok(true)
        }
        .await;
        finish(&mut conn, result).await
    }

    /// Disclosures, oldest first.
    pub async fn disclosures(
        &self,
        number: Option<&str>,
    ) -> Result<Vec<DisclosureRow>, RegisterError> {
        let rows = sqlx::query(
            "SELECT d.id, c.number, d.at, d.actor, d.recipient, d.legal_basis, d.reason, d.reporter_notice, d.audit_id
             FROM disclosures d JOIN cases c ON c.id = d.case_id
             WHERE ?1 IS NULL OR c.number = ?1 ORDER BY d.id",
        )
        .bind(number)
        .fetch_all(&self.pool)
        .await
        .map_err(RegisterError::db("SELECT disclosures"))?;
        rows.iter()
            .map(|r| {
                let notice: String = r
                    .try_get("reporter_notice")
                    .map_err(RegisterError::db("read disclosure"))?;
                let read = || -> Result<DisclosureRow, sqlx::Error> {
                    Ok(DisclosureRow {
                        id: r.try_get("id")?,
                        case_number: r.try_get("number")?,
                        at: r.try_get("at")?,
                        actor: r.try_get("actor")?,
                        recipient: r.try_get("recipient")?,
                        legal_basis: r.try_get("legal_basis")?,
                        reason: r.try_get("reason")?,
                        reporter_notice: ReporterNotice::Informed,
                        audit_id: r.try_get("audit_id")?,
                    })
                };
                let mut row = read().map_err(RegisterError::db("read disclosure"))?;
                row.reporter_notice = ReporterNotice::parse(&notice).ok_or_else(|| {
                    RegisterError::Corrupt(format!("disclosures.reporter_notice = {notice:?}"))
                })?;
                Ok(row)
            })
            .collect()
    }
}
