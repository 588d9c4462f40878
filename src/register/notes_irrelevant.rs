//! A note found irrelevant to the report (migration 0012). Notes share their case's shred key,
//! so destroying one is: delete its ciphertext, move everything else of the case (report,
//! identity, the other notes, sealed details) to a new shred key, and destroy the old one, in
//! one transaction with its destruction record. A register backup then holds the note under a
//! key that exists nowhere; the case opens as before.

use chrono::{Days, NaiveDate};

use super::attachments::{record_irrelevant_destroyed, IRRELEVANT_DAYS};
use super::chunks;
use super::destruction::{date, queue_shred, Destruction};
use super::store::{args, Tx};
use super::{Register, RegisterError};
use crate::audit::Event;
use crate::vault::StoredBlob;

/// Every blob of a case under its shred key: what moves to a new key.
#[derive(Debug, Clone)]
pub struct CaseShredSet {
    /// Case row id.
    pub case_id: i64,
    /// The shred key id they are under.
    pub shred_key: String,
    /// The report.
    pub report: StoredBlob,
    /// The identity record.
    pub identity: StoredBlob,
    /// Sealed notes (event id, blob).
    pub notes: Vec<(i64, StoredBlob)>,
    /// Sealed details (audit id, blob).
    pub details: Vec<(i64, StoredBlob)>,
}

/// A note found irrelevant, with its case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IrrelevantNote {
    /// Case number.
    pub number: String,
    /// The note's event id.
    pub note: i64,
    /// Found irrelevant on.
    pub found_on: Option<NaiveDate>,
    /// To be destroyed by (inclusive).
    pub destroy_by: Option<NaiveDate>,
}

async fn note_case(tx: &mut Tx, number: &str, note: i64) -> Result<i64, RegisterError> {
    tx.opt(
        "SELECT note's case",
        "SELECT c.id AS id FROM case_events e JOIN cases c ON c.id = e.case_id \
         WHERE c.number = $1 AND e.id = $2 AND c.destroyed_on IS NULL",
        args![number, note],
    )
    .await?
    .ok_or_else(|| RegisterError::NotFound(format!("note #{note} of case {number}")))?
    .get("id", "SELECT note's case")
}

impl Register {
    /// Records that note `note` of case `number` is irrelevant to the report (found so by
    /// `actor` on `on`): destroyed within 14 days. Returns that day.
    pub async fn mark_note_irrelevant(
        &self,
        number: &str,
        note: i64,
        actor: &str,
        on: NaiveDate,
    ) -> Result<NaiveDate, RegisterError> {
        let by = on
            .checked_add_days(Days::new(IRRELEVANT_DAYS))
            .ok_or_else(|| RegisterError::Conflict(format!("{on} + {IRRELEVANT_DAYS} days")))?;
        self.write(async |tx| {
            let case_id = note_case(tx, number, note).await?;
            let changed = tx
                .exec(
                    "UPDATE irrelevant note",
                    "UPDATE case_events SET irrelevant_on = $1, irrelevant_by = $2, destroy_by = $3 \
                     WHERE id = $4 AND case_id = $5 AND note_pkesks IS NOT NULL \
                     AND irrelevant_on IS NULL",
                    args![on.to_string().as_str(), actor, by.to_string().as_str(), note, case_id],
                )
                .await?;
            if changed == 0 {
                return Err(RegisterError::Conflict(format!(
                    "note #{note} of case {number} has no sealed text, or is already marked \
                     irrelevant or destroyed (`cases history` lists the notes)"
                )));
            }
            tx.audit(
                actor,
                Event::MaterialMarkedIrrelevant,
                Some(number),
                &format!("note #{note}; to be destroyed by {by}"),
            )
            .await?;
            Ok(())
        })
        .await?;
        Ok(by)
    }

    /// Notes found irrelevant and not yet destroyed, soonest first.
    pub async fn irrelevant_notes(&self) -> Result<Vec<IrrelevantNote>, RegisterError> {
        let what = "read irrelevant note";
        self.all(
            "SELECT irrelevant notes",
            "SELECT c.number AS number, e.id AS id, e.irrelevant_on AS irrelevant_on, \
             e.destroy_by AS destroy_by FROM case_events e JOIN cases c ON c.id = e.case_id \
             WHERE e.destroy_by IS NOT NULL AND e.destroyed_on IS NULL AND c.destroyed_on IS NULL \
             ORDER BY e.destroy_by, e.id",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(IrrelevantNote {
                number: r.get("number", what)?,
                note: r.get("id", what)?,
                found_on: date(r, "irrelevant_on")?,
                destroy_by: date(r, "destroy_by")?,
            })
        })
        .collect()
    }

    /// Every blob of case `number` under its shred key, but note `except`.
    pub async fn case_shred_set(
        &self,
        number: &str,
        except: i64,
    ) -> Result<CaseShredSet, RegisterError> {
        let record = self
            .case(number)
            .await?
            .ok_or_else(|| RegisterError::NotFound(format!("case {number}")))?;
        let case_id: i64 = self
            .one(
                "SELECT case id",
                "SELECT id FROM cases WHERE number = $1",
                args![number],
            )
            .await?
            .get("id", "SELECT case id")?;
        let notes = self
            .events(number)
            .await?
            .into_iter()
            .filter(|e| e.id != except)
            .filter_map(|e| e.note.map(|n| (e.id, n)))
            .collect();
        Ok(CaseShredSet {
            case_id,
            shred_key: record.shred_key,
            report: record.report,
            identity: record.identity,
            notes,
            details: self.sealed_details(number).await?,
        })
    }

    /// Destroys note `note` of case `number`: its ciphertext goes and the rest of the case
    /// moves to `moved` (the same blobs under the new shred key `new_shred`, made from
    /// [`Register::case_shred_set`]); the old key is queued for destruction, with the
    /// destruction record and audit entry. Refused if the case changed meanwhile (run it
    /// again) or the note was not found irrelevant.
    pub async fn destroy_note(
        &self,
        number: &str,
        note: i64,
        actor: &str,
        today: NaiveDate,
        moved: &CaseShredSet,
        new_shred: &str,
    ) -> Result<Destruction, RegisterError> {
        self.write(async |tx| {
            let row = tx
                .opt(
                    "SELECT note to destroy",
                    "SELECT c.id AS case_id, c.shred_key AS shred_key, e.irrelevant_on AS irrelevant_on, \
                     e.destroyed_on AS destroyed_on, c.received_at AS received_at, \
                     c.ended_at AS ended_at, c.retention_until AS retention_until \
                     FROM case_events e JOIN cases c ON c.id = e.case_id \
                     WHERE c.number = $1 AND e.id = $2 AND c.destroyed_on IS NULL",
                    args![number, note],
                )
                .await?
                .ok_or_else(|| RegisterError::NotFound(format!("note #{note} of case {number}")))?;
            let what = "read note to destroy";
            if let Some(d) = date(&row, "destroyed_on")? {
                return Err(RegisterError::Conflict(format!(
                    "note #{note} of case {number} was already destroyed on {d}"
                )));
            }
            if date(&row, "irrelevant_on")?.is_none() {
                return Err(RegisterError::Conflict(format!(
                    "note #{note} of case {number} was not found irrelevant: mark it first \
                     (`cases mark-irrelevant {number} --note {note} --reason …`)"
                )));
            }
            let old_shred: String = row.get("shred_key", what)?;
            let case_id: i64 = row.get("case_id", what)?;
            let sealed_notes: i64 = tx
                .one(
                    "count case notes",
                    "SELECT COUNT(*) AS n FROM case_events WHERE case_id = $1 AND note_pkesks IS NOT NULL",
                    args![case_id],
                )
                .await?
                .get("n", "count case notes")?;
            let sealed_details: i64 = tx
                .one(
                    "count sealed details",
                    "SELECT COUNT(*) AS n FROM sealed_details WHERE case_id = $1",
                    args![case_id],
                )
                .await?
                .get("n", "count sealed details")?;
            if old_shred != moved.shred_key
                || case_id != moved.case_id
                || usize::try_from(sealed_notes).ok() != Some(moved.notes.len() + 1)
                || usize::try_from(sealed_details).ok() != Some(moved.details.len())
            {
                return Err(RegisterError::Conflict(format!(
                    "case {number} changed while note #{note} was being destroyed; run it again"
                )));
            }
            let on = today.to_string();
            tx.exec(
                "UPDATE destroyed note",
                "UPDATE case_events SET note_pkesks = NULL, note_body = NULL, destroyed_on = $1 \
                 WHERE id = $2",
                args![on.as_str(), note],
            )
            .await?;
            tx.exec(
                "UPDATE case to new shred key",
                "UPDATE cases SET shred_key = $1, report_pkesks = $2, report_body = $3, \
                 identity_pkesks = $4, identity_body = $5 WHERE id = $6 AND shred_key = $7",
                args![
                    new_shred,
                    moved.report.pkesks.as_slice(),
                    chunks::column(&moved.report.body),
                    moved.identity.pkesks.as_slice(),
                    chunks::column(&moved.identity.body),
                    case_id,
                    old_shred.as_str()
                ],
            )
            .await?;
            chunks::write(tx, &chunks::owner("cases.report", case_id), &moved.report.body).await?;
            chunks::write(tx, &chunks::owner("cases.identity", case_id), &moved.identity.body)
                .await?;
            for (id, blob) in &moved.notes {
                let changed = tx
                    .exec(
                        "UPDATE moved note",
                        "UPDATE case_events SET note_body = $1 WHERE id = $2 AND case_id = $3 \
                         AND note_pkesks = $4",
                        args![blob.body.as_slice(), *id, case_id, blob.pkesks.as_slice()],
                    )
                    .await?;
                if changed != 1 {
                    return Err(RegisterError::Conflict(format!(
                        "note #{id} of case {number} changed meanwhile; run it again"
                    )));
                }
            }
            for (audit_id, blob) in &moved.details {
                tx.exec(
                    "UPDATE moved sealed detail",
                    "UPDATE sealed_details SET body = $1 WHERE audit_id = $2 AND case_id = $3",
                    args![blob.body.as_slice(), *audit_id, case_id],
                )
                .await?;
            }
            queue_shred(
                tx,
                &old_shred,
                &format!(
                    "note #{note} of case {number} destroyed (irrelevant); the case moved to a new key"
                ),
            )
            .await?;
            let record = record_irrelevant_destroyed(
                tx,
                &row,
                number,
                ("note", format!("note #{note}")),
                actor,
                today,
            )
            .await?;
            Ok(record)
        })
        .await
    }
}
