//! The reporter's answers: messages filed into an existing case because their reply token named
//! it. Each is sealed like a report under its own shred key; its attachments are the case's,
//! numbered on from the ones before. Destroying the case destroys them too.

use chrono::NaiveDate;

use super::chunks;
use super::destruction::queue_shred;
use super::store::{args, Row, Tx};
use super::{Deletion, FiledCase, IntakeRef, NewAttachment, Register, RegisterError};
use crate::audit::Event;
use crate::split::SignatureLabel;
use crate::vault::StoredBlob;

/// A follow-up message to file into a case.
pub struct NewFollowUp {
    /// Day received.
    pub received_at: NaiveDate,
    /// Arrived encrypted.
    pub encrypted: bool,
    /// What its signatures say.
    pub signature: SignatureLabel,
    /// Its own shred key (id in the key store).
    pub shred_key: String,
    /// What the reporter said, sealed to handlers.
    pub report: StoredBlob,
    /// Who sent it, sealed to custodians.
    pub identity: StoredBlob,
    /// Its attachments, numbered from 1 within the message (renumbered for the case).
    pub attachments: Vec<NewAttachment>,
}

/// A filed follow-up message, sealed.
#[derive(Debug, Clone)]
pub struct StoredFollowUp {
    /// 2 for the first answer (the report is message 1).
    pub seq: i64,
    /// Day received.
    pub received_at: NaiveDate,
    /// Arrived encrypted.
    pub encrypted: bool,
    /// What its signatures say.
    pub signature: SignatureLabel,
    /// Its shred key id.
    pub shred_key: String,
    /// The case's number of its attachment 1.
    pub first_attachment: u32,
    /// Sealed to handlers.
    pub report: StoredBlob,
    /// Sealed to custodians.
    pub identity: StoredBlob,
}

const REPORT_OWNER: &str = "case_messages.report";
const IDENTITY_OWNER: &str = "case_messages.identity";

impl Register {
    /// The case a reply token (its hash) names, if that case is still held: id and number.
    pub async fn case_for_reply_token(
        &self,
        token_hash: &str,
    ) -> Result<Option<(i64, String)>, RegisterError> {
        let what = "SELECT case by reply token";
        self.opt(
            what,
            "SELECT c.id, c.number FROM contacts k JOIN cases c ON c.id = k.case_id
             WHERE k.token_hash = $1 AND c.destroyed_on IS NULL",
            args![token_hash],
        )
        .await?
        .map(|r| Ok((r.get("id", what)?, r.get("number", what)?)))
        .transpose()
    }

    /// Files a follow-up message into case `case_id` and records its intake (deletion
    /// pending), in one transaction.
    pub async fn file_follow_up(
        &self,
        intake: &IntakeRef,
        case_id: i64,
        message: &NewFollowUp,
    ) -> Result<FiledCase, RegisterError> {
        self.write(async |tx| file_follow_up_in(tx, intake, case_id, message).await)
            .await
    }

    /// The follow-up messages of case `number`, in order (empty for a case without any).
    pub async fn follow_ups(&self, number: &str) -> Result<Vec<StoredFollowUp>, RegisterError> {
        let rows = self
            .all(
                "SELECT case messages",
                "SELECT m.id, m.seq, m.received_at, m.shred_key, m.encrypted, m.signature,
                        m.first_attachment, m.report_pkesks, m.report_body, m.identity_pkesks,
                        m.identity_body
                 FROM case_messages m JOIN cases c ON c.id = m.case_id
                 WHERE c.number = $1 ORDER BY m.seq",
                args![number],
            )
            .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            out.push(self.follow_up(r).await?);
        }
        Ok(out)
    }

    async fn follow_up(&self, r: &Row) -> Result<StoredFollowUp, RegisterError> {
        let what = "read case message";
        let id: i64 = r.get("id", what)?;
        let received: String = r.get("received_at", what)?;
        let signature: String = r.get("signature", what)?;
        let first: i64 = r.get("first_attachment", what)?;
        Ok(StoredFollowUp {
            seq: r.get("seq", what)?,
            received_at: received.parse().map_err(|_| {
                RegisterError::Corrupt(format!("case_messages.received_at = {received:?}"))
            })?,
            encrypted: r.get("encrypted", what)?,
            signature: SignatureLabel::parse(&signature).ok_or_else(|| {
                RegisterError::Corrupt(format!("case_messages.signature = {signature:?}"))
            })?,
            shred_key: r.get("shred_key", what)?,
            first_attachment: u32::try_from(first)
                .map_err(|_| RegisterError::Corrupt(format!("first_attachment = {first}")))?,
            report: StoredBlob {
                pkesks: r.get("report_pkesks", what)?,
                body: chunks::read(
                    self,
                    &chunks::owner(REPORT_OWNER, id),
                    r.get("report_body", what)?,
                )
                .await?,
            },
            identity: StoredBlob {
                pkesks: r.get("identity_pkesks", what)?,
                body: chunks::read(
                    self,
                    &chunks::owner(IDENTITY_OWNER, id),
                    r.get("identity_body", what)?,
                )
                .await?,
            },
        })
    }
}

/// Deletes every follow-up message of case `case_id` with its ciphertext and queues their keys
/// (the case is being destroyed).
pub(super) async fn shred_all(
    tx: &mut Tx,
    case_id: i64,
    number: &str,
) -> Result<(), RegisterError> {
    let rows = tx
        .all(
            "SELECT messages to destroy",
            "SELECT id, shred_key FROM case_messages WHERE case_id = $1",
            args![case_id],
        )
        .await?;
    for r in rows {
        let id: i64 = r.get("id", "read message to destroy")?;
        let key: String = r.get("shred_key", "read message to destroy")?;
        for owner in [REPORT_OWNER, IDENTITY_OWNER] {
            chunks::delete(tx, &chunks::owner(owner, id)).await?;
        }
        tx.exec(
            "DELETE case message",
            "DELETE FROM case_messages WHERE id = $1",
            args![id],
        )
        .await?;
        queue_shred(tx, &key, &format!("case {number} destroyed (retention)")).await?;
    }
    Ok(())
}

pub(super) async fn file_follow_up_in(
    tx: &mut Tx,
    intake: &IntakeRef,
    case_id: i64,
    message: &NewFollowUp,
) -> Result<FiledCase, RegisterError> {
    let what = "SELECT next message";
    let row = tx
        .one(
            what,
            "SELECT c.number,
                (SELECT COALESCE(MAX(seq), 1) + 1 FROM case_messages WHERE case_id = c.id) AS seq,
                (SELECT COALESCE(MAX(idx), 0) + 1 FROM case_attachments WHERE case_id = c.id) AS first
             FROM cases c WHERE c.id = $1 AND c.destroyed_on IS NULL",
            args![case_id],
        )
        .await?;
    let number: String = row.get("number", what)?;
    let seq: i64 = row.get("seq", what)?;
    let first: i64 = row.get("first", what)?;
    let id: i64 = tx
        .one(
            "INSERT INTO case_messages",
            "INSERT INTO case_messages (case_id, seq, received_at, shred_key, encrypted,
                 signature, first_attachment, report_pkesks, report_body, identity_pkesks,
                 identity_body)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
            args![
                case_id,
                seq,
                message.received_at.to_string().as_str(),
                message.shred_key.as_str(),
                message.encrypted,
                message.signature.as_str(),
                first,
                message.report.pkesks.as_slice(),
                chunks::column(&message.report.body),
                message.identity.pkesks.as_slice(),
                chunks::column(&message.identity.body)
            ],
        )
        .await?
        .get("id", "INSERT INTO case_messages")?;
    chunks::write(tx, &chunks::owner(REPORT_OWNER, id), &message.report.body).await?;
    chunks::write(
        tx,
        &chunks::owner(IDENTITY_OWNER, id),
        &message.identity.body,
    )
    .await?;
    let offset = u32::try_from(first - 1)
        .map_err(|_| RegisterError::Corrupt(format!("attachment index {first}")))?;
    super::attachments::insert(tx, case_id, &message.attachments, offset).await?;
    let intake_id =
        super::filing::insert_intake(tx, intake, Some(case_id), None, Deletion::Pending).await?;
    tx.audit(
        "gateway",
        Event::FollowUpFiled,
        Some(&number),
        &format!("message {seq} from the reporter"),
    )
    .await?;
    Ok(FiledCase { intake_id, number })
}
