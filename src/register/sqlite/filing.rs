//! Writes: filing cases and quarantine entries together with their intake records, and the
//! deletion bookkeeping that makes intake exactly-once.

use chrono::Datelike;
use sqlx::{Row, SqliteConnection};

use super::{finish, now_rfc3339, SqliteRegister};
use crate::audit::{self, Event};
use crate::cases::{NumberPattern, Status};
use crate::register::{
    Deletion, FiledCase, FiledQuarantine, IntakeRef, IntakeRow, NewCase, NewQuarantine, Position,
    RegisterError,
};

impl SqliteRegister {
    /// Files a case and its intake record (deletion pending) in one transaction.
    pub async fn file_case(
        &self,
        intake: &IntakeRef,
        case: &NewCase,
        pattern: &NumberPattern,
    ) -> Result<FiledCase, RegisterError> {
        let mut conn = self.begin_immediate().await?;
        let result = async {
            let (case_id, number) = insert_case(&mut conn, case, pattern).await?;
            let intake_id =
                insert_intake(&mut conn, intake, Some(case_id), None, Deletion::Pending).await?;
            insert_audit(&mut conn, "gateway", Event::CaseFiled, Some(&number), "").await?;
            Ok(FiledCase { intake_id, number })
        }
        .await;
        finish(&mut conn, result).await
    }

    /// Files a quarantine entry and its intake record in one transaction.
    pub async fn file_quarantine(
        &self,
        intake: &IntakeRef,
        entry: &NewQuarantine,
    ) -> Result<FiledQuarantine, RegisterError> {
        let mut conn = self.begin_immediate().await?;
        let result = async {
            let (state, deletion) = match entry.raw {
                Some(_) => ("held", Deletion::Pending),
                None => ("left-on-server", Deletion::LeftOnServer),
            };
            let (shred, pkesks, body) = match &entry.raw {
                Some((shred, blob)) => (
                    Some(shred.as_str()),
                    Some(blob.pkesks.as_slice()),
                    Some(blob.body.as_slice()),
                ),
                None => (None, None, None),
            };
            let id: i64 = sqlx::query(
                "INSERT INTO quarantine (received_at, reason, detail, state, shred_key, raw_pkesks, raw_body, held_at)
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            )
            .bind(entry.received_at.to_string())
            .bind(&entry.reason)
            .bind(&entry.detail)
            .bind(state)
            .bind(shred)
            .bind(pkesks)
            .bind(body)
            .bind(now_rfc3339())
            .fetch_one(&mut *conn)
            .await
            .map_err(RegisterError::db("INSERT INTO quarantine"))?
            .try_get(0)
            .map_err(RegisterError::db("INSERT INTO quarantine"))?;
            let intake_id = insert_intake(&mut conn, intake, None, Some(id), deletion).await?;
            insert_audit(
                &mut conn,
                "gateway",
                Event::MessageQuarantined,
                None,
                &format!("quarantine #{id}: {}", entry.reason),
            )
            .await?;
            Ok(FiledQuarantine { intake_id, id })
        }
        .await;
        finish(&mut conn, result).await
    }

    /// Files a case from a held quarantine entry and marks the entry filed.
    pub async fn file_case_from_quarantine(
        &self,
        quarantine_id: i64,
        case: &NewCase,
        pattern: &NumberPattern,
    ) -> Result<FiledCase, RegisterError> {
        let mut conn = self.begin_immediate().await?;
        let result = async {
            let (case_id, number) = insert_case(&mut conn, case, pattern).await?;
            let changed = sqlx::query(
                "UPDATE quarantine SET state = 'filed', case_id = ? WHERE id = ? AND state = 'held'",
            )
            .bind(case_id)
            .bind(quarantine_id)
            .execute(&mut *conn)
            .await
            .map_err(RegisterError::db("UPDATE quarantine"))?
            .rows_affected();
            if changed != 1 {
                return Err(RegisterError::NotFound(format!(
                    "held quarantine entry #{quarantine_id}"
                )));
            }
            insert_audit(
                &mut conn,
                "gateway",
                Event::CaseFiled,
                Some(&number),
                &format!("from quarantine #{quarantine_id}"),
            )
            .await?;
            Ok(FiledCase {
                intake_id: 0,
                number,
            })
        }
        .await;
        finish(&mut conn, result).await
    }

    /// Replaces the reason of a quarantine entry.
    pub async fn update_quarantine_reason(
        &self,
        id: i64,
        reason: &str,
        detail: &str,
    ) -> Result<(), RegisterError> {
        sqlx::query("UPDATE quarantine SET reason = ?, detail = ? WHERE id = ?")
            .bind(reason)
            .bind(detail)
            .bind(id)
            .execute(&self.pool)
            .await
            .map_err(RegisterError::db("UPDATE quarantine reason"))?;
        Ok(())
    }

    /// The intake record with this keyed fingerprint.
    pub async fn intake_by_fingerprint(
        &self,
        fingerprint: &str,
    ) -> Result<Option<IntakeRow>, RegisterError> {
        let row = sqlx::query(INTAKE_SELECT_BY_FINGERPRINT)
            .bind(fingerprint)
            .fetch_optional(&self.pool)
            .await
            .map_err(RegisterError::db("SELECT intake by fingerprint"))?;
        row.map(|r| intake_row(&r)).transpose()
    }

    /// Whether the message at this position was left on the server on purpose.
    pub async fn left_on_server(&self, at: &Position) -> Result<bool, RegisterError> {
        let n: i64 = sqlx::query(
            "SELECT COUNT(*) FROM intake WHERE mailbox = ? AND uidvalidity = ? AND uid = ? AND deletion = 'left-on-server'",
        )
        .bind(&at.mailbox)
        .bind(i64::from(at.uidvalidity))
        .bind(i64::from(at.uid))
        .fetch_one(&self.pool)
        .await
        .map_err(RegisterError::db("SELECT intake left on server"))?
        .try_get(0)
        .map_err(RegisterError::db("SELECT intake left on server"))?;
        Ok(n > 0)
    }

    /// Intake records of a mailbox whose server copy is still to be deleted.
    pub async fn pending_deletions(&self, mailbox: &str) -> Result<Vec<IntakeRow>, RegisterError> {
        let rows = sqlx::query(INTAKE_SELECT_PENDING)
            .bind(mailbox)
            .fetch_all(&self.pool)
            .await
            .map_err(RegisterError::db("SELECT pending deletions"))?;
        rows.iter().map(intake_row).collect()
    }

    /// Records that the server copy is gone.
    pub async fn mark_deleted(&self, row: &IntakeRow) -> Result<(), RegisterError> {
        let mut conn = self.begin_immediate().await?;
        let result = async {
            sqlx::query("UPDATE intake SET deletion = 'deleted' WHERE id = ?")
                .bind(row.id)
                .execute(&mut *conn)
                .await
                .map_err(RegisterError::db("UPDATE intake deletion"))?;
            let case = (!row.label.starts_with("quarantine")).then_some(row.label.as_str());
            insert_audit(
                &mut conn,
                "gateway",
                Event::ServerCopyDeleted,
                case,
                &format!(
                    "{} uidvalidity {} uid {} ({})",
                    row.at.mailbox, row.at.uidvalidity, row.at.uid, row.label
                ),
            )
            .await
        }
        .await;
        finish(&mut conn, result).await
    }

    /// Moves an intake record to the position its message was found at again.
    pub async fn move_intake(&self, intake_id: i64, at: &Position) -> Result<(), RegisterError> {
        sqlx::query("UPDATE intake SET mailbox = ?, uidvalidity = ?, uid = ? WHERE id = ?")
            .bind(&at.mailbox)
            .bind(i64::from(at.uidvalidity))
            .bind(i64::from(at.uid))
            .bind(intake_id)
            .execute(&self.pool)
            .await
            .map_err(RegisterError::db("UPDATE intake position"))?;
        Ok(())
    }

    /// Stores the UIDVALIDITY seen now and returns the previous one if it differs.
    pub async fn note_uidvalidity(
        &self,
        mailbox: &str,
        uidvalidity: u32,
    ) -> Result<Option<u32>, RegisterError> {
        let mut conn = self.begin_immediate().await?;
        let result = async {
            let old: Option<i64> =
                sqlx::query("SELECT uidvalidity FROM mailbox_state WHERE mailbox = ?")
                    .bind(mailbox)
                    .fetch_optional(&mut *conn)
                    .await
                    .map_err(RegisterError::db("SELECT mailbox_state"))?
                    .map(|r| r.try_get(0))
                    .transpose()
                    .map_err(RegisterError::db("SELECT mailbox_state"))?;
            sqlx::query(
                "INSERT INTO mailbox_state (mailbox, uidvalidity, updated_at) VALUES (?, ?, ?)
                 ON CONFLICT (mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity, updated_at = excluded.updated_at",
            )
            .bind(mailbox)
            .bind(i64::from(uidvalidity))
            .bind(now_rfc3339())
            .execute(&mut *conn)
            .await
            .map_err(RegisterError::db("UPSERT mailbox_state"))?;
            Ok(old
                .and_then(|o| u32::try_from(o).ok())
                .filter(|o| *o != uidvalidity))
        }
        .await;
        finish(&mut conn, result).await
    }
}

const INTAKE_SELECT_BY_FINGERPRINT: &str = concat!(
    "SELECT i.id, i.fingerprint, i.mailbox, i.uidvalidity, i.uid, i.deletion, ",
    "COALESCE(c.number, 'quarantine #' || i.quarantine_id) AS label ",
    "FROM intake i LEFT JOIN cases c ON c.id = i.case_id WHERE i.fingerprint = ?"
);

const INTAKE_SELECT_PENDING: &str = concat!(
    "SELECT i.id, i.fingerprint, i.mailbox, i.uidvalidity, i.uid, i.deletion, ",
    "COALESCE(c.number, 'quarantine #' || i.quarantine_id) AS label ",
    "FROM intake i LEFT JOIN cases c ON c.id = i.case_id ",
    "WHERE i.deletion = 'pending' AND i.mailbox = ? ORDER BY i.id"
);

fn intake_row(r: &sqlx::sqlite::SqliteRow) -> Result<IntakeRow, RegisterError> {
    let deletion: String = r
        .try_get("deletion")
        .map_err(RegisterError::db("read intake row"))?;
    let uidvalidity: i64 = r
        .try_get("uidvalidity")
        .map_err(RegisterError::db("read intake row"))?;
    let uid: i64 = r
        .try_get("uid")
        .map_err(RegisterError::db("read intake row"))?;
    Ok(IntakeRow {
        id: r
            .try_get("id")
            .map_err(RegisterError::db("read intake row"))?,
        fingerprint: r
            .try_get("fingerprint")
            .map_err(RegisterError::db("read intake row"))?,
        at: Position {
            mailbox: r
                .try_get("mailbox")
                .map_err(RegisterError::db("read intake row"))?,
            uidvalidity: u32::try_from(uidvalidity)
                .map_err(|_| RegisterError::Corrupt("intake.uidvalidity".into()))?,
            uid: u32::try_from(uid).map_err(|_| RegisterError::Corrupt("intake.uid".into()))?,
        },
        deletion: Deletion::parse(&deletion)
            .ok_or_else(|| RegisterError::Corrupt(format!("intake.deletion = {deletion}")))?,
        label: r
            .try_get("label")
            .map_err(RegisterError::db("read intake row"))?,
    })
}

async fn insert_case(
    conn: &mut SqliteConnection,
    case: &NewCase,
    pattern: &NumberPattern,
) -> Result<(i64, String), RegisterError> {
    let year = case.received_at.year();
    let seq: i64 = sqlx::query("SELECT COALESCE(MAX(seq), 0) + 1 FROM cases WHERE year = ?")
        .bind(i64::from(year))
        .fetch_one(&mut *conn)
        .await
        .map_err(RegisterError::db("SELECT next case seq"))?
        .try_get(0)
        .map_err(RegisterError::db("SELECT next case seq"))?;
    let number = pattern.format(year, seq);
    let deadlines = crate::cases::Deadlines::compute(case.received_at, None, None);
    let id: i64 = sqlx::query(
        "INSERT INTO cases (number, year, seq, received_at, status, encrypted, signed, shred_key,
                            report_pkesks, report_body, identity_pkesks, identity_body, filed_at,
                            ack_due, feedback_due)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&number)
    .bind(i64::from(year))
    .bind(seq)
    .bind(case.received_at.to_string())
    .bind(Status::Received.as_str())
    .bind(case.encrypted)
    .bind(case.signed)
    .bind(&case.shred_key)
    .bind(case.report.pkesks.as_slice())
    .bind(case.report.body.as_slice())
    .bind(case.identity.pkesks.as_slice())
    .bind(case.identity.body.as_slice())
    .bind(now_rfc3339())
    .bind(deadlines.acknowledgement_due.to_string())
    .bind(deadlines.feedback_due.to_string())
    .fetch_one(&mut *conn)
    .await
    .map_err(RegisterError::db("INSERT INTO cases"))?
    .try_get(0)
    .map_err(RegisterError::db("INSERT INTO cases"))?;
    Ok((id, number))
}

async fn insert_intake(
    conn: &mut SqliteConnection,
    intake: &IntakeRef,
    case_id: Option<i64>,
    quarantine_id: Option<i64>,
    deletion: Deletion,
) -> Result<i64, RegisterError> {
    let size = i64::try_from(intake.size).unwrap_or(i64::MAX);
    sqlx::query(
        "INSERT INTO intake (fingerprint, mailbox, uidvalidity, uid, size, case_id, quarantine_id, deletion, recorded_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
    )
    .bind(&intake.fingerprint)
    .bind(&intake.at.mailbox)
    .bind(i64::from(intake.at.uidvalidity))
    .bind(i64::from(intake.at.uid))
    .bind(size)
    .bind(case_id)
    .bind(quarantine_id)
    .bind(deletion.as_str())
    .bind(now_rfc3339())
    .fetch_one(&mut *conn)
    .await
    .map_err(RegisterError::db("INSERT INTO intake"))?
    .try_get(0)
    .map_err(RegisterError::db("INSERT INTO intake"))
}

pub(super) async fn insert_audit(
    conn: &mut SqliteConnection,
    actor: &str,
    event: Event,
    case_number: Option<&str>,
    detail: &str,
) -> Result<(), RegisterError> {
    // Inside the caller's BEGIN IMMEDIATE: no other writer can slip a row in between reading the
    // tip and appending to it. The highest id ever given comes from sqlite_sequence.
    let row = sqlx::query(
        "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'audit'), 0),
                    COALESCE((SELECT MAX(id) FROM audit), 0)) AS last_id,
                (SELECT hash FROM audit ORDER BY id DESC LIMIT 1) AS last_hash",
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(RegisterError::db("SELECT audit head"))?;
    let tip = audit::Tip {
        last_id: row
            .try_get("last_id")
            .map_err(RegisterError::db("SELECT audit head"))?,
        last_hash: row
            .try_get("last_hash")
            .map_err(RegisterError::db("SELECT audit head"))?,
    };
    let at = now_rfc3339();
    let entry = audit::Entry {
        actor,
        event,
        case_number,
        detail,
    };
    let link = audit::append(&tip, &at, &entry);
    sqlx::query(
        "INSERT INTO audit (id, at, actor, action, case_number, detail, prev_hash, hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(link.id)
    .bind(&at)
    .bind(actor)
    .bind(event.as_str())
    .bind(case_number)
    .bind(detail)
    .bind(&link.prev_hash)
    .bind(&link.hash)
    .execute(&mut *conn)
    .await
    .map_err(RegisterError::db("INSERT INTO audit"))?;
    Ok(())
}
