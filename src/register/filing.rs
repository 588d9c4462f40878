//! Filing: a case or a quarantine entry together with its intake record (deletion pending) in
//! one transaction (invariant 1), and the deletion bookkeeping that makes intake exactly-once:
//! a message is recognised by its keyed fingerprint, its server copy is marked deleted only
//! after the server confirmed it. Once it is, the record forgets where the message was and its
//! fingerprint: nothing then links a case to a mailbox position or the mail server's logs.

use chrono::{Datelike, NaiveDate};

use super::chunks;
use super::destruction::{insert_destruction, queue_shred, Destruction};
use super::store::{args, today_stored, Row, Tx, Value};
use super::{
    Deletion, FiledCase, FiledQuarantine, IntakeRef, IntakeRow, NewCase, NewQuarantine, Position,
    Register, RegisterError,
};
use crate::audit::Event;
use crate::cases::{Deadlines, NumberPattern, SeqKind, Status};

const INTAKE_SELECT: &str = "SELECT i.id, i.fingerprint, i.mailbox, i.uidvalidity, i.uid, \
     i.deletion, COALESCE(c.number, 'quarantine #' || i.quarantine_id) AS label \
     FROM intake i LEFT JOIN cases c ON c.id = i.case_id";

/// Reads a record whose message is still on the server (pending or left): those keep their
/// position and fingerprint.
fn intake_row(r: &Row) -> Result<IntakeRow, RegisterError> {
    let what = "read intake row";
    let deletion: String = r.get("deletion", what)?;
    let kept =
        |col: &str| RegisterError::Corrupt(format!("intake.{col} missing on a {deletion} record"));
    let uidvalidity: i64 = r
        .get::<Option<i64>>("uidvalidity", what)?
        .ok_or_else(|| kept("uidvalidity"))?;
    let uid: i64 = r
        .get::<Option<i64>>("uid", what)?
        .ok_or_else(|| kept("uid"))?;
    Ok(IntakeRow {
        id: r.get("id", what)?,
        fingerprint: r
            .get::<Option<String>>("fingerprint", what)?
            .ok_or_else(|| kept("fingerprint"))?,
        at: Position {
            mailbox: r
                .get::<Option<String>>("mailbox", what)?
                .ok_or_else(|| kept("mailbox"))?,
            uidvalidity: u32::try_from(uidvalidity)
                .map_err(|_| RegisterError::Corrupt("intake.uidvalidity".into()))?,
            uid: u32::try_from(uid).map_err(|_| RegisterError::Corrupt("intake.uid".into()))?,
        },
        deletion: Deletion::parse(&deletion)
            .ok_or_else(|| RegisterError::Corrupt(format!("intake.deletion = {deletion}")))?,
        label: r.get("label", what)?,
    })
}

/// The number of a new case in its year: the next in sequence, or (with `{rand}`) a random one
/// not yet taken, so that numbers do not tell the order messages arrived in.
async fn next_seq(tx: &mut Tx, year: i32, pattern: &NumberPattern) -> Result<i64, RegisterError> {
    let what = "SELECT next case seq";
    match pattern.seq_kind() {
        SeqKind::Sequential => tx
            .one(
                what,
                "SELECT COALESCE(MAX(seq), 0) + 1 AS seq FROM cases WHERE year = $1",
                args![i64::from(year)],
            )
            .await?
            .get("seq", what),
        SeqKind::Random => {
            for _ in 0..64 {
                let seq = pattern.random_seq();
                let taken: i64 = tx
                    .one(
                        what,
                        "SELECT COUNT(*) AS n FROM cases WHERE year = $1 AND seq = $2",
                        args![i64::from(year), seq],
                    )
                    .await?
                    .get("n", what)?;
                if taken == 0 {
                    return Ok(seq);
                }
            }
            Err(RegisterError::Corrupt(format!(
                "no free random case number left in {year}: widen {{rand}} in cases.number-pattern"
            )))
        }
    }
}

/// Inserts a case numbered in its year of receipt, with its first deadlines. Its filing is
/// dated to the day only.
async fn insert_case(
    tx: &mut Tx,
    case: &NewCase,
    pattern: &NumberPattern,
) -> Result<(i64, String), RegisterError> {
    let year = case.received_at.year();
    let seq = next_seq(tx, year, pattern).await?;
    let number = pattern.format(year, seq);
    let deadlines = Deadlines::compute(case.received_at, None, None);
    let (received, ack_due, feedback_due, filed_at) = (
        case.received_at.to_string(),
        deadlines.acknowledgement_due.to_string(),
        deadlines.feedback_due.to_string(),
        today_stored(),
    );
    let id: i64 = tx
        .one(
            "INSERT INTO cases",
            "INSERT INTO cases (number, year, seq, received_at, status, encrypted, signed, shred_key,
                                report_pkesks, report_body, identity_pkesks, identity_body, filed_at,
                                ack_due, feedback_due, signature, flags)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17) RETURNING id",
            args![
                number.as_str(),
                i64::from(year),
                seq,
                received.as_str(),
                Status::Received.as_str(),
                case.encrypted,
                case.signature != crate::split::SignatureLabel::Unsigned,
                case.shred_key.as_str(),
                case.report.pkesks.as_slice(),
                chunks::column(&case.report.body),
                case.identity.pkesks.as_slice(),
                chunks::column(&case.identity.body),
                filed_at.as_str(),
                ack_due.as_str(),
                feedback_due.as_str(),
                case.signature.as_str(),
                case.flags.join(" ").as_str()
            ],
        )
        .await?
        .get("id", "INSERT INTO cases")?;
    chunks::write(tx, &chunks::owner("cases.report", id), &case.report.body).await?;
    chunks::write(
        tx,
        &chunks::owner("cases.identity", id),
        &case.identity.body,
    )
    .await?;
    super::attachments::insert(tx, id, &case.attachments, 0).await?;
    if let Some(contact) = &case.contact {
        super::contact::insert(tx, id, contact).await?;
    }
    if let Some(message_id) = &case.acknowledgement {
        super::contact::plan(
            tx,
            id,
            &super::contact::Planned {
                kind: super::contact::OutKind::Acknowledgement,
                message_id: message_id.clone(),
                text: None,
                actor: "gateway".to_owned(),
            },
        )
        .await?;
    }
    Ok((id, number))
}

pub(super) async fn insert_intake(
    tx: &mut Tx,
    intake: &IntakeRef,
    case_id: Option<i64>,
    quarantine_id: Option<i64>,
    deletion: Deletion,
) -> Result<i64, RegisterError> {
    let recorded = today_stored();
    // Filed or quarantined: the attempts at it are over.
    tx.exec(
        "DELETE FROM intake_attempts",
        "DELETE FROM intake_attempts WHERE fingerprint = $1",
        args![intake.fingerprint.as_str()],
    )
    .await?;
    tx.one(
        "INSERT INTO intake",
        "INSERT INTO intake (fingerprint, mailbox, uidvalidity, uid, case_id, quarantine_id, deletion, recorded_on)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
        args![
            intake.fingerprint.as_str(),
            intake.at.mailbox.as_str(),
            i64::from(intake.at.uidvalidity),
            i64::from(intake.at.uid),
            case_id,
            quarantine_id,
            deletion.as_str(),
            recorded.as_str()
        ],
    )
    .await?
    .get("id", "INSERT INTO intake")
}

pub(super) async fn file_case_in(
    tx: &mut Tx,
    intake: &IntakeRef,
    case: &NewCase,
    pattern: &NumberPattern,
) -> Result<FiledCase, RegisterError> {
    let (case_id, number) = insert_case(tx, case, pattern).await?;
    let intake_id = insert_intake(tx, intake, Some(case_id), None, Deletion::Pending).await?;
    tx.audit("gateway", Event::CaseFiled, Some(&number), "")
        .await?;
    Ok(FiledCase { intake_id, number })
}

pub(super) async fn file_quarantine_in(
    tx: &mut Tx,
    intake: &IntakeRef,
    entry: &NewQuarantine,
) -> Result<FiledQuarantine, RegisterError> {
    let (state, deletion) = match entry.raw {
        Some(_) => ("held", Deletion::Pending),
        None => ("left-on-server", Deletion::LeftOnServer),
    };
    let (shred, pkesks, body) = match &entry.raw {
        Some((shred, blob)) => (
            Some(shred.as_str()),
            Some(blob.pkesks.as_slice()),
            Some(chunks::column(&blob.body)),
        ),
        None => (None, None, None),
    };
    let (received, held_at) = (entry.received_at.to_string(), today_stored());
    let id: i64 = tx
        .one(
            "INSERT INTO quarantine",
            "INSERT INTO quarantine (received_at, reason, detail, state, shred_key, raw_pkesks, raw_body, held_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            args![
                received.as_str(),
                entry.reason.as_str(),
                entry.detail.as_str(),
                state,
                shred,
                pkesks,
                body,
                held_at.as_str()
            ],
        )
        .await?
        .get("id", "INSERT INTO quarantine")?;
    if let Some((_, blob)) = &entry.raw {
        chunks::write(tx, &chunks::owner("quarantine.raw", id), &blob.body).await?;
    }
    let intake_id = insert_intake(tx, intake, None, Some(id), deletion).await?;
    tx.audit(
        "gateway",
        Event::MessageQuarantined,
        None,
        &format!("quarantine #{id}: {}", entry.reason),
    )
    .await?;
    Ok(FiledQuarantine { intake_id, id })
}

/// Records in `tx` that `row`'s server copy is gone; see [`Register::mark_deleted`].
pub(super) async fn mark_deleted_in(tx: &mut Tx, row: &IntakeRow) -> Result<(), RegisterError> {
    tx.exec(
        "UPDATE intake deletion",
        "UPDATE intake SET deletion = 'deleted', fingerprint = NULL, mailbox = NULL, \
         uidvalidity = NULL, uid = NULL WHERE id = $1",
        args![row.id],
    )
    .await?;
    let case = (!row.label.starts_with("quarantine")).then_some(row.label.as_str());
    let detail = if case.is_some() {
        ""
    } else {
        row.label.as_str()
    };
    tx.audit("gateway", Event::ServerCopyDeleted, case, detail)
        .await?;
    Ok(())
}

/// Counts, in `tx`, one more attempt at the message with `fingerprint`; returns the count.
pub(super) async fn record_attempt_in(
    tx: &mut Tx,
    fingerprint: &str,
) -> Result<u32, RegisterError> {
    let what = "UPSERT intake_attempts";
    let today = today_stored();
    let n: i64 = tx
        .one(
            what,
            "INSERT INTO intake_attempts (fingerprint, attempts, last_on) VALUES ($1, 1, $2) \
             ON CONFLICT (fingerprint) DO UPDATE SET attempts = intake_attempts.attempts + 1, \
             last_on = excluded.last_on RETURNING attempts",
            args![fingerprint, today.as_str()],
        )
        .await?
        .get("attempts", what)?;
    Ok(u32::try_from(n).unwrap_or(u32::MAX))
}

/// `$1, $2, …, $n`: the placeholders of a list of `n` arguments.
pub(super) fn placeholders(n: usize) -> String {
    (1..=n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Text arguments for [`placeholders`].
pub(super) fn text_args<'a>(texts: &[&'a str]) -> Vec<Value<'a>> {
    texts.iter().map(|&t| Value::from(t)).collect()
}

impl Register {
    /// Files a case and records its intake (deletion pending), in one transaction.
    pub async fn file_case(
        &self,
        intake: &IntakeRef,
        case: &NewCase,
        pattern: &NumberPattern,
    ) -> Result<FiledCase, RegisterError> {
        self.write(async |tx| file_case_in(tx, intake, case, pattern).await)
            .await
    }

    /// Files a quarantine entry and records its intake, in one transaction. An entry without
    /// its message (too large to take) is left on the server.
    pub async fn file_quarantine(
        &self,
        intake: &IntakeRef,
        entry: &NewQuarantine,
    ) -> Result<FiledQuarantine, RegisterError> {
        self.write(async |tx| file_quarantine_in(tx, intake, entry).await)
            .await
    }

    /// Files a case from a held quarantine entry and marks the entry filed, in one transaction.
    /// The raw message goes in the same transaction; its shred key is queued for destruction
    /// ([`Register::pending_shreds`]).
    pub async fn file_case_from_quarantine(
        &self,
        quarantine_id: i64,
        case: &NewCase,
        pattern: &NumberPattern,
    ) -> Result<FiledCase, RegisterError> {
        self.write(async |tx| {
            let (case_id, number) = insert_case(tx, case, pattern).await?;
            let changed = tx
                .exec(
                    "UPDATE quarantine",
                    "UPDATE quarantine SET state = 'filed', case_id = $1 WHERE id = $2 AND state = 'held'",
                    args![case_id, quarantine_id],
                )
                .await?;
            if changed != 1 {
                return Err(RegisterError::NotFound(format!(
                    "held quarantine entry #{quarantine_id}"
                )));
            }
            drop_quarantine_raw(tx, quarantine_id, "filed").await?;
            tx.audit(
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
        })
        .await
    }

    /// Discards a held quarantine entry: its raw message is dropped and its shred key queued
    /// for destruction, with an audit entry by `actor`. False if no held entry has that id.
    pub async fn discard_quarantine(&self, id: i64, actor: &str) -> Result<bool, RegisterError> {
        self.write(async |tx| {
            let changed = tx
                .exec(
                    "UPDATE quarantine",
                    "UPDATE quarantine SET state = 'discarded' WHERE id = $1 AND state = 'held'",
                    args![id],
                )
                .await?;
            if changed != 1 {
                return Ok(false);
            }
            drop_quarantine_raw(tx, id, "discarded").await?;
            tx.audit(
                actor,
                Event::QuarantineDiscarded,
                None,
                &format!("quarantine #{id}"),
            )
            .await?;
            Ok(true)
        })
        .await
    }

    /// Held quarantine entries (never filed as a case) received before `before`, oldest first.
    pub async fn held_quarantine_before(
        &self,
        before: NaiveDate,
    ) -> Result<Vec<(i64, NaiveDate)>, RegisterError> {
        let what = "SELECT old quarantine";
        self.all(
            what,
            "SELECT id, received_at FROM quarantine WHERE state = 'held' AND received_at < $1 \
             ORDER BY id",
            args![before.to_string().as_str()],
        )
        .await?
        .iter()
        .map(|r| {
            let text: String = r.get("received_at", what)?;
            let received = text
                .parse()
                .map_err(|_| RegisterError::Corrupt(format!("quarantine.received_at = {text}")))?;
            Ok((r.get("id", what)?, received))
        })
        .collect()
    }

    /// Destroys a held quarantine entry's raw message under the retention `rule` (as a
    /// discard, by `actor`), with a destruction record. Refused for an entry not held.
    pub async fn expire_quarantine(
        &self,
        id: i64,
        actor: &str,
        rule: &str,
        today: NaiveDate,
    ) -> Result<Destruction, RegisterError> {
        self.write(async |tx| {
            let what = "SELECT quarantine to expire";
            let row = tx
                .opt(
                    what,
                    "SELECT received_at FROM quarantine WHERE id = $1 AND state = 'held'",
                    args![id],
                )
                .await?
                .ok_or_else(|| RegisterError::Conflict(format!("quarantine #{id} is not held")))?;
            let received: String = row.get("received_at", what)?;
            tx.exec(
                "UPDATE quarantine",
                "UPDATE quarantine SET state = 'discarded' WHERE id = $1",
                args![id],
            )
            .await?;
            drop_quarantine_raw(tx, id, "expired (retention)").await?;
            let item = format!("quarantine #{id}");
            let audit_id = tx
                .audit(
                    actor,
                    Event::QuarantineDiscarded,
                    None,
                    &format!("{item}; {rule}"),
                )
                .await?;
            let record = Destruction {
                case_number: String::new(),
                material: "quarantined-message".to_owned(),
                item,
                received_on: received.parse().ok(),
                ended_on: None,
                kept_until: None,
                destroyed_on: today,
                actor: actor.to_owned(),
                rule: rule.to_owned(),
                audit_id,
            };
            insert_destruction(tx, &record).await?;
            Ok(record)
        })
        .await
    }

    /// Raw messages of entries filed or discarded before they were dropped on filing (registers
    /// from before the identity promise): dropped now, their shred keys queued. Returns how many.
    pub async fn drop_stale_quarantine_raw(&self) -> Result<usize, RegisterError> {
        self.write(async |tx| {
            let ids: Vec<i64> = tx
                .all(
                    "SELECT stale quarantine raw",
                    "SELECT id FROM quarantine WHERE state IN ('filed', 'discarded') AND shred_key IS NOT NULL",
                    &[],
                )
                .await?
                .iter()
                .map(|r| r.get("id", "SELECT stale quarantine raw"))
                .collect::<Result<_, _>>()?;
            for id in &ids {
                drop_quarantine_raw(tx, *id, "filed").await?;
            }
            Ok(ids.len())
        })
        .await
    }

    /// Replaces the reason of a quarantine entry after a failed retry.
    pub async fn update_quarantine_reason(
        &self,
        id: i64,
        reason: &str,
        detail: &str,
    ) -> Result<(), RegisterError> {
        self.exec(
            "UPDATE quarantine reason",
            "UPDATE quarantine SET reason = $1, detail = $2 WHERE id = $3",
            args![reason, detail, id],
        )
        .await?;
        Ok(())
    }

    /// The intake record for a keyed fingerprint, if this message was taken before.
    pub async fn intake_by_fingerprint(
        &self,
        fingerprint: &str,
    ) -> Result<Option<IntakeRow>, RegisterError> {
        self.opt(
            "SELECT intake by fingerprint",
            &format!("{INTAKE_SELECT} WHERE i.fingerprint = $1"),
            args![fingerprint],
        )
        .await?
        .as_ref()
        .map(intake_row)
        .transpose()
    }

    /// The records of those of `fingerprints` filed before (deletion pending or left on the
    /// server), by fingerprint, in one query: a batch's lookups before any of it is decided.
    pub async fn intakes_by_fingerprints(
        &self,
        fingerprints: &[&str],
    ) -> Result<std::collections::HashMap<String, IntakeRow>, RegisterError> {
        let mut found = std::collections::HashMap::new();
        if fingerprints.is_empty() {
            return Ok(found);
        }
        let rows = self
            .all(
                "SELECT intakes by fingerprints",
                &format!(
                    "{INTAKE_SELECT} WHERE i.fingerprint IN ({}) ORDER BY i.id",
                    placeholders(fingerprints.len())
                ),
                &text_args(fingerprints),
            )
            .await?;
        for row in &rows {
            let row = intake_row(row)?;
            found.entry(row.fingerprint.clone()).or_insert(row);
        }
        Ok(found)
    }

    /// Whether the message at this position was deliberately left on the server.
    pub async fn left_on_server(&self, at: &Position) -> Result<bool, RegisterError> {
        let n: i64 = self
            .one(
                "SELECT intake left on server",
                "SELECT COUNT(*) AS n FROM intake WHERE mailbox = $1 AND uidvalidity = $2 AND uid = $3 \
                 AND deletion = 'left-on-server'",
                args![
                    at.mailbox.as_str(),
                    i64::from(at.uidvalidity),
                    i64::from(at.uid)
                ],
            )
            .await?
            .get("n", "SELECT intake left on server")?;
        Ok(n > 0)
    }

    /// Intake records of `mailbox` whose message was left on the server (too large to take).
    pub async fn left_on_server_rows(
        &self,
        mailbox: &str,
    ) -> Result<Vec<IntakeRow>, RegisterError> {
        self.all(
            "SELECT left on server",
            &format!(
                "{INTAKE_SELECT} WHERE i.deletion = 'left-on-server' AND i.mailbox = $1 ORDER BY i.id"
            ),
            args![mailbox],
        )
        .await?
        .iter()
        .map(intake_row)
        .collect()
    }

    /// Ends the record of a message left on the server: it is taken now (the limit was
    /// raised), or it is gone (removed by hand). Its quarantine entry becomes `discarded`
    /// (it never held the message), with an audit entry saying why.
    pub async fn resolve_left_on_server(
        &self,
        row: &IntakeRow,
        why: &str,
    ) -> Result<(), RegisterError> {
        self.write(async |tx| {
            let what = "SELECT left-on-server entry";
            let qid: Option<i64> = tx
                .one(what, "SELECT quarantine_id FROM intake WHERE id = $1", args![row.id])
                .await?
                .get("quarantine_id", what)?;
            tx.exec(
                "DELETE FROM intake",
                "DELETE FROM intake WHERE id = $1 AND deletion = 'left-on-server'",
                args![row.id],
            )
            .await?;
            if let Some(qid) = qid {
                tx.exec(
                    "UPDATE quarantine",
                    "UPDATE quarantine SET state = 'discarded' WHERE id = $1 AND state = 'left-on-server'",
                    args![qid],
                )
                .await?;
            }
            tx.audit(
                "gateway",
                Event::LeftOnServerResolved,
                None,
                &format!("{}: {why}", row.label),
            )
            .await?;
            Ok(())
        })
        .await
    }

    /// Intake records of `mailbox` whose server copy still has to be deleted.
    pub async fn pending_deletions(&self, mailbox: &str) -> Result<Vec<IntakeRow>, RegisterError> {
        self.all(
            "SELECT pending deletions",
            &format!(
                "{INTAKE_SELECT} WHERE i.deletion = 'pending' AND i.mailbox = $1 ORDER BY i.id"
            ),
            args![mailbox],
        )
        .await?
        .iter()
        .map(intake_row)
        .collect()
    }

    /// Records that the server copy is gone (with an audit entry), and forgets where it was and
    /// its fingerprint: exactly-once needs them only until now.
    pub async fn mark_deleted(&self, row: &IntakeRow) -> Result<(), RegisterError> {
        self.write(async |tx| mark_deleted_in(tx, row).await).await
    }

    /// Records, durably, that processing of the message with this fingerprint starts now;
    /// returns how many attempts there have been, this one included. Attempts that ended
    /// without a result (the process killed or aborted) are what it counts.
    pub async fn record_attempt(&self, fingerprint: &str) -> Result<u32, RegisterError> {
        self.write(async |tx| record_attempt_in(tx, fingerprint).await)
            .await
    }

    /// Intake records that still hold a position or fingerprint although their server copy is
    /// gone (zero unless the register was edited by hand).
    pub async fn intake_positions_after_deletion(&self) -> Result<i64, RegisterError> {
        self.one(
            "SELECT intake kept positions",
            "SELECT COUNT(*) AS n FROM intake WHERE deletion = 'deleted' \
             AND (fingerprint IS NOT NULL OR uid IS NOT NULL OR mailbox IS NOT NULL)",
            &[],
        )
        .await?
        .get("n", "SELECT intake kept positions")
    }

    /// Whether any record still holds a content fingerprint (made with the fingerprint key):
    /// while none does, the key protects nothing and is replaced.
    pub async fn content_fingerprints_in_use(&self) -> Result<bool, RegisterError> {
        let n: i64 = self
            .one(
                "SELECT intake fingerprints in use",
                "SELECT (SELECT COUNT(*) FROM intake WHERE fingerprint IS NOT NULL \
                 AND fingerprint NOT LIKE 'oversize:%') + (SELECT COUNT(*) FROM intake_attempts) AS n",
                &[],
            )
            .await?
            .get("n", "SELECT intake fingerprints in use")?;
        Ok(n > 0)
    }

    /// Points an intake record at the position where its message was found again.
    pub async fn move_intake(&self, intake_id: i64, at: &Position) -> Result<(), RegisterError> {
        self.exec(
            "UPDATE intake position",
            "UPDATE intake SET mailbox = $1, uidvalidity = $2, uid = $3 WHERE id = $4",
            args![
                at.mailbox.as_str(),
                i64::from(at.uidvalidity),
                i64::from(at.uid),
                intake_id
            ],
        )
        .await?;
        Ok(())
    }

    /// Stores the UIDVALIDITY seen now; returns the one stored before, if different.
    pub async fn note_uidvalidity(
        &self,
        mailbox: &str,
        uidvalidity: u32,
    ) -> Result<Option<u32>, RegisterError> {
        self.write(async |tx| {
            let old: Option<i64> = match tx
                .opt(
                    "SELECT mailbox_state",
                    "SELECT uidvalidity FROM mailbox_state WHERE mailbox = $1",
                    args![mailbox],
                )
                .await?
            {
                Some(r) => Some(r.get("uidvalidity", "SELECT mailbox_state")?),
                None => None,
            };
            let now = today_stored();
            tx.exec(
                "UPSERT mailbox_state",
                "INSERT INTO mailbox_state (mailbox, uidvalidity, updated_at) VALUES ($1, $2, $3)
                 ON CONFLICT (mailbox) DO UPDATE SET uidvalidity = excluded.uidvalidity, updated_at = excluded.updated_at",
                args![mailbox, i64::from(uidvalidity), now.as_str()],
            )
            .await?;
            Ok(old
                .and_then(|o| u32::try_from(o).ok())
                .filter(|o| *o != uidvalidity))
        })
        .await
    }
}

/// Drops a quarantine entry's raw message and queues its shred key for destruction.
async fn drop_quarantine_raw(tx: &mut Tx, id: i64, became: &str) -> Result<(), RegisterError> {
    let what = "SELECT quarantine shred key";
    let shred: Option<String> = tx
        .one(
            what,
            "SELECT shred_key FROM quarantine WHERE id = $1",
            args![id],
        )
        .await?
        .get("shred_key", what)?;
    tx.exec(
        "UPDATE quarantine raw",
        "UPDATE quarantine SET shred_key = NULL, raw_pkesks = NULL, raw_body = NULL WHERE id = $1",
        args![id],
    )
    .await?;
    chunks::delete(tx, &chunks::owner("quarantine.raw", id)).await?;
    if let Some(shred) = shred {
        queue_shred(
            tx,
            &shred,
            &format!("raw message of quarantine #{id}, {became}"),
        )
        .await?;
    }
    Ok(())
}
