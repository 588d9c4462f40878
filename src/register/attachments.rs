//! Attachments sealed apart, each under its own shred key (migration 0011): a handler finds one
//! irrelevant to the report, a 14-day clock starts, and at it (or earlier, on request) that key
//! is destroyed and both copies' ciphertext deleted: the attachment opens nowhere any more, a
//! register backup included, while the report, identity and notes still open.

use chrono::{Days, NaiveDate};

use super::chunks;
use super::destruction::{date, insert_destruction, queue_shred, Destruction};
use super::store::{args, Row, Tx};
use super::{Register, RegisterError};
use crate::audit::Event;
use crate::vault::StoredBlob;

/// Days from the finding that material is irrelevant to its destruction (art. 8 of
/// the act: deleted within 14 days).
pub const IRRELEVANT_DAYS: u64 = 14;

/// The rule material found irrelevant is destroyed under.
pub const IRRELEVANT_RULE: &str =
    "art. 8 ustawy o ochronie sygnalistów: dane bez znaczenia dla zgłoszenia usuwa się w ciągu 14 dni od tego ustalenia";

/// An attachment to file with its case.
pub struct NewAttachment {
    /// Position in the report's list, from 1.
    pub index: u32,
    /// Id of its own shred key (already durable in the key folder).
    pub shred_key: String,
    /// The cleaned copy, sealed to the report's readers.
    pub cleaned: StoredBlob,
    /// The copy as it arrived, sealed to custodians, when cleaning changed it.
    pub original: Option<StoredBlob>,
}

/// Which copy of an attachment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Copy {
    /// As cleaned, for the report's readers.
    Cleaned,
    /// As it arrived, for custodians.
    Original,
}

impl Copy {
    /// The shred-layer binding of this copy's blobs.
    #[must_use]
    pub fn kind(self) -> crate::vault::BlobKind {
        match self {
            Copy::Cleaned => crate::vault::BlobKind::Attachment,
            Copy::Original => crate::vault::BlobKind::Original,
        }
    }

    fn columns(self) -> (&'static str, &'static str, &'static str) {
        match self {
            Copy::Cleaned => ("cleaned_pkesks", "cleaned_body", "case_attachments.cleaned"),
            Copy::Original => (
                "original_pkesks",
                "original_body",
                "case_attachments.original",
            ),
        }
    }
}

/// Where an attachment stands.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AttachmentState {
    /// Position in the report's list, from 1.
    pub index: u32,
    /// Found irrelevant on.
    pub irrelevant_on: Option<NaiveDate>,
    /// By whom.
    pub irrelevant_by: Option<String>,
    /// To be destroyed by (inclusive).
    pub destroy_by: Option<NaiveDate>,
    /// Destroyed on.
    pub destroyed_on: Option<NaiveDate>,
}

/// An attachment's sealed copy with the id of its shred key.
#[derive(Debug, Clone)]
pub struct SealedCopy {
    /// Shred key id.
    pub shred_key: String,
    /// The sealed bytes.
    pub blob: StoredBlob,
}

/// Files `attachments` of case `case_id` (inside the filing transaction), their indices moved
/// on by `offset` (a follow-up message's come after the ones before).
pub(super) async fn insert(
    tx: &mut Tx,
    case_id: i64,
    attachments: &[NewAttachment],
    offset: u32,
) -> Result<(), RegisterError> {
    for a in attachments {
        let none: Option<&[u8]> = None;
        let (op, ob) = match &a.original {
            Some(o) => (Some(o.pkesks.as_slice()), Some(chunks::column(&o.body))),
            None => (none, none),
        };
        let id: i64 = tx
            .one(
                "INSERT INTO case_attachments",
                "INSERT INTO case_attachments (case_id, idx, shred_key, cleaned_pkesks, \
                 cleaned_body, original_pkesks, original_body) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                 RETURNING id",
                args![
                    case_id,
                    i64::from(a.index.saturating_add(offset)),
                    a.shred_key.as_str(),
                    a.cleaned.pkesks.as_slice(),
                    chunks::column(&a.cleaned.body),
                    op,
                    ob
                ],
            )
            .await?
            .get("id", "INSERT INTO case_attachments")?;
        chunks::write(
            tx,
            &chunks::owner(Copy::Cleaned.columns().2, id),
            &a.cleaned.body,
        )
        .await?;
        if let Some(o) = &a.original {
            chunks::write(tx, &chunks::owner(Copy::Original.columns().2, id), &o.body).await?;
        }
    }
    Ok(())
}

/// Deletes every copy of attachment row `id` and queues its key (inside a transaction).
async fn shred(
    tx: &mut Tx,
    id: i64,
    shred_key: &str,
    why: &str,
    on: &str,
) -> Result<(), RegisterError> {
    for copy in [Copy::Cleaned, Copy::Original] {
        chunks::delete(tx, &chunks::owner(copy.columns().2, id)).await?;
    }
    tx.exec(
        "UPDATE destroyed attachment",
        "UPDATE case_attachments SET shred_key = NULL, cleaned_pkesks = NULL, cleaned_body = NULL, \
         original_pkesks = NULL, original_body = NULL, destroyed_on = $1 WHERE id = $2",
        args![on, id],
    )
    .await?;
    queue_shred(tx, shred_key, why).await
}

/// Records the destruction of material found irrelevant (`material`, its `item`) of case
/// `number`, whose dates `row` carries (`received_at`, `ended_at`, `retention_until`): the
/// audit entry and the destruction record, inside the destroying transaction.
pub(super) async fn record_irrelevant_destroyed(
    tx: &mut Tx,
    row: &Row,
    number: &str,
    (material, item): (&str, String),
    actor: &str,
    today: NaiveDate,
) -> Result<Destruction, RegisterError> {
    let audit_id = tx
        .audit(
            actor,
            Event::MaterialDestroyed,
            Some(number),
            &format!("{item}; {IRRELEVANT_RULE}"),
        )
        .await?;
    let record = Destruction {
        case_number: number.to_owned(),
        material: material.to_owned(),
        item,
        received_on: date(row, "received_at")?,
        ended_on: date(row, "ended_at")?,
        kept_until: date(row, "retention_until")?,
        destroyed_on: today,
        actor: actor.to_owned(),
        rule: IRRELEVANT_RULE.to_owned(),
        audit_id,
    };
    insert_destruction(tx, &record).await?;
    Ok(record)
}

/// Shreds every attachment of case `case_id` still held (the case is being destroyed).
pub(super) async fn shred_all(
    tx: &mut Tx,
    case_id: i64,
    number: &str,
    on: &str,
) -> Result<(), RegisterError> {
    let rows = tx
        .all(
            "SELECT attachments to destroy",
            "SELECT id, shred_key FROM case_attachments WHERE case_id = $1 AND shred_key IS NOT NULL",
            args![case_id],
        )
        .await?;
    for r in rows {
        let id: i64 = r.get("id", "read attachment to destroy")?;
        let key: String = r.get("shred_key", "read attachment to destroy")?;
        shred(
            tx,
            id,
            &key,
            &format!("case {number} destroyed (retention)"),
            on,
        )
        .await?;
    }
    Ok(())
}

fn state(r: &Row) -> Result<AttachmentState, RegisterError> {
    let what = "read attachment";
    let index: i64 = r.get("idx", what)?;
    Ok(AttachmentState {
        index: u32::try_from(index)
            .map_err(|_| RegisterError::Corrupt(format!("idx = {index}")))?,
        irrelevant_on: date(r, "irrelevant_on")?,
        irrelevant_by: r.get("irrelevant_by", what)?,
        destroy_by: date(r, "destroy_by")?,
        destroyed_on: date(r, "destroyed_on")?,
    })
}

const STATE_COLUMNS: &str = "a.idx, a.irrelevant_on, a.irrelevant_by, a.destroy_by, a.destroyed_on";

impl Register {
    /// The attachments of case `number` filed apart, in order.
    pub async fn attachment_states(
        &self,
        number: &str,
    ) -> Result<Vec<AttachmentState>, RegisterError> {
        self.all(
            "SELECT attachment states",
            &format!(
                "SELECT {STATE_COLUMNS} FROM case_attachments a JOIN cases c ON c.id = a.case_id \
                 WHERE c.number = $1 ORDER BY a.idx"
            ),
            args![number],
        )
        .await?
        .iter()
        .map(state)
        .collect()
    }

    /// One sealed copy of attachment `index` of case `number`; None when the case has no such
    /// attachment filed apart (or, for the original, cleaning left it as it was).
    /// [`RegisterError::Destroyed`] when it was destroyed.
    pub async fn attachment_copy(
        &self,
        number: &str,
        index: u32,
        copy: Copy,
    ) -> Result<Option<SealedCopy>, RegisterError> {
        let (pkesks, body, owner) = copy.columns();
        let Some(row) = self
            .opt(
                "SELECT attachment copy",
                &format!(
                    "SELECT a.id AS id, a.shred_key AS shred_key, a.destroyed_on AS destroyed_on, \
                     a.{pkesks} AS pkesks, a.{body} AS body FROM case_attachments a \
                     JOIN cases c ON c.id = a.case_id WHERE c.number = $1 AND a.idx = $2"
                ),
                args![number, i64::from(index)],
            )
            .await?
        else {
            return Ok(None);
        };
        let what = "read attachment copy";
        if let Some(d) = date(&row, "destroyed_on")? {
            return Err(RegisterError::Destroyed(format!(
                "attachment {index} of case {number} was destroyed on {d}"
            )));
        }
        let Some(pkesks) = row.get::<Option<Vec<u8>>>("pkesks", what)? else {
            return Ok(None);
        };
        let id: i64 = row.get("id", what)?;
        let column: Vec<u8> = row
            .get::<Option<Vec<u8>>>("body", what)?
            .unwrap_or_default();
        let body = chunks::read(self, &chunks::owner(owner, id), column).await?;
        Ok(Some(SealedCopy {
            shred_key: row.get("shred_key", what)?,
            blob: StoredBlob { pkesks, body },
        }))
    }

    /// The original copy of attachment row `id` (for content rotation), if it has one.
    pub async fn attachment_original(&self, id: i64) -> Result<Option<StoredBlob>, RegisterError> {
        let what = "read attachment original";
        let Some(row) = self
            .opt(
                "SELECT attachment original",
                "SELECT original_pkesks, original_body FROM case_attachments \
                 WHERE id = $1 AND original_pkesks IS NOT NULL",
                args![id],
            )
            .await?
        else {
            return Ok(None);
        };
        let column: Vec<u8> = row.get("original_body", what)?;
        let body =
            chunks::read(self, &chunks::owner(Copy::Original.columns().2, id), column).await?;
        Ok(Some(StoredBlob {
            pkesks: row.get("original_pkesks", what)?,
            body,
        }))
    }

    /// Records that attachment `index` of case `number` is irrelevant to the report (found so
    /// by `actor` on `on`): it is to be destroyed within 14 days. Returns that day.
    pub async fn mark_attachment_irrelevant(
        &self,
        number: &str,
        index: u32,
        actor: &str,
        on: NaiveDate,
    ) -> Result<NaiveDate, RegisterError> {
        let by = on
            .checked_add_days(Days::new(IRRELEVANT_DAYS))
            .ok_or_else(|| RegisterError::Conflict(format!("{on} + {IRRELEVANT_DAYS} days")))?;
        self.write(async |tx| {
            let changed = tx
                .exec(
                    "UPDATE irrelevant attachment",
                    "UPDATE case_attachments SET irrelevant_on = $1, irrelevant_by = $2, destroy_by = $3 \
                     WHERE idx = $4 AND destroyed_on IS NULL AND irrelevant_on IS NULL \
                     AND case_id = (SELECT id FROM cases WHERE number = $5 AND destroyed_on IS NULL)",
                    args![
                        on.to_string().as_str(),
                        actor,
                        by.to_string().as_str(),
                        i64::from(index),
                        number
                    ],
                )
                .await?;
            if changed == 0 {
                return Err(RegisterError::Conflict(format!(
                    "attachment {index} of case {number} is already marked irrelevant or destroyed, \
                     or the case has no attachment {index} filed apart (`cases show` lists them)"
                )));
            }
            tx.audit(
                actor,
                Event::MaterialMarkedIrrelevant,
                Some(number),
                &format!("attachment {index}; to be destroyed by {by}"),
            )
            .await?;
            Ok(())
        })
        .await?;
        Ok(by)
    }

    /// Attachments marked irrelevant, not yet destroyed, with their case number.
    pub async fn irrelevant_pending(
        &self,
    ) -> Result<Vec<(String, AttachmentState)>, RegisterError> {
        self.all(
            "SELECT irrelevant pending",
            &format!(
                "SELECT c.number AS number, {STATE_COLUMNS} FROM case_attachments a \
                 JOIN cases c ON c.id = a.case_id WHERE a.destroyed_on IS NULL \
                 AND a.destroy_by IS NOT NULL ORDER BY a.destroy_by, a.id"
            ),
            &[],
        )
        .await?
        .iter()
        .map(|r| Ok((r.get("number", "read irrelevant pending")?, state(r)?)))
        .collect()
    }

    /// Destroys attachment `index` of case `number` (both copies, its key queued), with its
    /// destruction record and audit entry. Refused unless it was marked irrelevant.
    pub async fn destroy_attachment(
        &self,
        number: &str,
        index: u32,
        actor: &str,
        today: NaiveDate,
    ) -> Result<Destruction, RegisterError> {
        self.write(async |tx| {
            let row = tx
                .opt(
                    "SELECT attachment to destroy",
                    "SELECT a.id AS id, a.shred_key AS shred_key, a.irrelevant_on AS irrelevant_on, \
                     a.destroyed_on AS destroyed_on, c.received_at AS received_at, \
                     c.ended_at AS ended_at, c.retention_until AS retention_until \
                     FROM case_attachments a JOIN cases c ON c.id = a.case_id \
                     WHERE c.number = $1 AND a.idx = $2",
                    args![number, i64::from(index)],
                )
                .await?
                .ok_or_else(|| {
                    RegisterError::NotFound(format!("attachment {index} of case {number}"))
                })?;
            let what = "read attachment to destroy";
            if let Some(d) = date(&row, "destroyed_on")? {
                return Err(RegisterError::Conflict(format!(
                    "attachment {index} of case {number} was already destroyed on {d}"
                )));
            }
            if date(&row, "irrelevant_on")?.is_none() {
                return Err(RegisterError::Conflict(format!(
                    "attachment {index} of case {number} was not found irrelevant: mark it first \
                     (`cases mark-irrelevant {number} --attachment {index} --reason …`)"
                )));
            }
            let id: i64 = row.get("id", what)?;
            let key: String = row.get("shred_key", what)?;
            let on = today.to_string();
            shred(tx, id, &key, &format!("attachment {index} of case {number} destroyed (irrelevant)"), &on).await?;
            let record = record_irrelevant_destroyed(
                tx,
                &row,
                number,
                ("attachment", format!("attachment {index}")),
                actor,
                today,
            )
            .await?;
            Ok(record)
        })
        .await
    }
}
