//! Reads without content (case and quarantine listings), sealed records for their readers,
//! readers, and the audit trail.

use chrono::NaiveDate;

use super::chunks;
use super::store::{args, now_rfc3339, Row, Tx};
use super::{
    AuditEntry, AuditRow, CaseRecord, CaseSummary, CheckpointRow, NewReader, QuarantineRecord,
    QuarantineSummary, ReaderConsent, ReaderRow, Register, RegisterError, Role,
};
use crate::audit::Event;
use crate::vault::StoredBlob;

const QUARANTINE_SELECT: &str = "SELECT q.id, q.received_at, q.reason, q.detail, q.state, \
     c.number AS case_number, q.shred_key, q.raw_pkesks, q.raw_body, \
     LENGTH(q.raw_pkesks) + LENGTH(q.raw_body) + COALESCE((SELECT SUM(LENGTH(b.data)) \
     FROM blob_chunks b WHERE b.owner = 'quarantine.raw:' || q.id), 0) AS sealed_bytes \
     FROM quarantine q LEFT JOIN cases c ON c.id = q.case_id";

fn date(s: &str) -> Result<NaiveDate, RegisterError> {
    s.parse()
        .map_err(|_| RegisterError::Corrupt(format!("date {s:?}")))
}

fn summary(r: &Row) -> Result<CaseSummary, RegisterError> {
    let what = "read case row";
    let received: String = r.get("received_at", what)?;
    Ok(CaseSummary {
        number: r.get("number", what)?,
        received_at: date(&received)?,
        status: r.get("status", what)?,
        encrypted: r.get("encrypted", what)?,
        signature: super::workflow::signature_label(r)?,
        flags: r
            .get::<String>("flags", what)?
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        destroyed_on: super::destruction::date(r, "destroyed_on")?,
    })
}

fn quarantine_summary(r: &Row) -> Result<QuarantineSummary, RegisterError> {
    let what = "read quarantine row";
    let received: String = r.get("received_at", what)?;
    Ok(QuarantineSummary {
        id: r.get("id", what)?,
        received_at: date(&received)?,
        reason: r.get("reason", what)?,
        detail: r.get("detail", what)?,
        state: r.get("state", what)?,
        case: r.get("case_number", what)?,
        sealed_bytes: r.get("sealed_bytes", what)?,
    })
}

impl Register {
    /// Case summaries, oldest first. No content.
    pub async fn list_cases(&self) -> Result<Vec<CaseSummary>, RegisterError> {
        self.all(
            "SELECT cases",
            "SELECT number, received_at, status, encrypted, signature, flags, destroyed_on FROM cases \
             ORDER BY id",
            &[],
        )
        .await?
        .iter()
        .map(summary)
        .collect()
    }

    /// One case with its sealed blobs.
    pub async fn case(&self, number: &str) -> Result<Option<CaseRecord>, RegisterError> {
        let Some(r) = self
            .opt(
                "SELECT case",
                "SELECT id, number, received_at, status, encrypted, signature, flags, shred_key,
                        report_pkesks, report_body, identity_pkesks, identity_body, destroyed_on
                 FROM cases WHERE number = $1",
                args![number],
            )
            .await?
        else {
            return Ok(None);
        };
        let what = "read case row";
        if let Some(on) = r.get::<Option<String>>("destroyed_on", what)? {
            return Err(RegisterError::Destroyed(format!(
                "case {number} was destroyed on {on} under the retention rule: nothing of it can \
                 be opened any more (its number and dates stay in the register)"
            )));
        }
        let id: i64 = r.get("id", what)?;
        Ok(Some(CaseRecord {
            summary: summary(&r)?,
            shred_key: r.get("shred_key", what)?,
            report: StoredBlob {
                pkesks: r.get("report_pkesks", what)?,
                body: chunks::read(
                    self,
                    &chunks::owner("cases.report", id),
                    r.get("report_body", what)?,
                )
                .await?,
            },
            identity: StoredBlob {
                pkesks: r.get("identity_pkesks", what)?,
                body: chunks::read(
                    self,
                    &chunks::owner("cases.identity", id),
                    r.get("identity_body", what)?,
                )
                .await?,
            },
        }))
    }

    /// Quarantine entries, oldest first.
    pub async fn list_quarantine(&self) -> Result<Vec<QuarantineSummary>, RegisterError> {
        self.all(
            "SELECT quarantine",
            &format!("{QUARANTINE_SELECT} ORDER BY q.id"),
            &[],
        )
        .await?
        .iter()
        .map(quarantine_summary)
        .collect()
    }

    /// One quarantine entry with its sealed raw message.
    pub async fn quarantine_entry(
        &self,
        id: i64,
    ) -> Result<Option<QuarantineRecord>, RegisterError> {
        let Some(r) = self
            .opt(
                "SELECT quarantine entry",
                &format!("{QUARANTINE_SELECT} WHERE q.id = $1"),
                args![id],
            )
            .await?
        else {
            return Ok(None);
        };
        let what = "read quarantine row";
        let shred: Option<String> = r.get("shred_key", what)?;
        let pkesks: Option<Vec<u8>> = r.get("raw_pkesks", what)?;
        let body: Option<Vec<u8>> = r.get("raw_body", what)?;
        let raw = match (shred, pkesks, body) {
            (Some(s), Some(pkesks), Some(body)) => {
                let body = chunks::read(self, &chunks::owner("quarantine.raw", id), body).await?;
                Some((s, StoredBlob { pkesks, body }))
            }
            _ => None,
        };
        Ok(Some(QuarantineRecord {
            summary: quarantine_summary(&r)?,
            raw,
        }))
    }

    /// Adds a reader certificate (a removed one comes back; an active one is never changed
    /// here), with the consents that come with it, each change an audit entry of its kind.
    pub async fn add_reader(
        &self,
        reader: &NewReader,
        consents: &[ReaderConsent],
        actor: &str,
    ) -> Result<(), RegisterError> {
        self.write(async |tx| {
            let now = now_rfc3339();
            let changed = tx
                .exec(
                    "INSERT INTO readers",
                    "INSERT INTO readers (fingerprint, name, role, cert, added_at) VALUES ($1, $2, $3, $4, $5)
                     ON CONFLICT (fingerprint) DO UPDATE SET name = excluded.name, role = excluded.role,
                         cert = excluded.cert, added_at = excluded.added_at, removed_at = NULL,
                         approved_by = NULL, consent = NULL
                     WHERE readers.removed_at IS NOT NULL",
                    args![
                        reader.fingerprint.as_str(),
                        reader.name.as_str(),
                        reader.role.as_str(),
                        reader.cert.as_slice(),
                        now.as_str()
                    ],
                )
                .await?;
            if changed != 1 {
                return Err(RegisterError::Conflict(format!(
                    "{} is already a reader; a role is changed with `sygnal handlers role`",
                    reader.fingerprint
                )));
            }
            tx.audit(
                actor,
                Event::ReaderAdded,
                None,
                &format!("{} {} ({})", reader.role.as_str(), reader.fingerprint, reader.name),
            )
            .await?;
            store_consents(tx, consents, actor, Some(&reader.fingerprint)).await
        })
        .await
    }

    /// Changes an active reader's role with its new consent, audited as `ReaderRoleChanged`.
    pub async fn set_reader_role(
        &self,
        fingerprint: &str,
        role: Role,
        consents: &[ReaderConsent],
        actor: &str,
    ) -> Result<(), RegisterError> {
        self.write(async |tx| {
            let what = "SELECT reader role";
            let Some(row) = tx
                .opt(
                    what,
                    "SELECT role FROM readers WHERE fingerprint = $1 AND removed_at IS NULL",
                    args![fingerprint],
                )
                .await?
            else {
                return Err(RegisterError::NotFound(format!("current reader {fingerprint}")));
            };
            let old: String = row.get("role", what)?;
            tx.exec(
                "UPDATE readers role",
                "UPDATE readers SET role = $1, approved_by = NULL, consent = NULL WHERE fingerprint = $2",
                args![role.as_str(), fingerprint],
            )
            .await?;
            tx.audit(
                actor,
                Event::ReaderRoleChanged,
                None,
                &format!("{fingerprint}: {old} -> {}", role.as_str()),
            )
            .await?;
            store_consents(tx, consents, actor, Some(fingerprint)).await
        })
        .await
    }

    /// Stores consents to readers already in the register, audited as `ReadersApproved`.
    pub async fn approve_readers(
        &self,
        consents: &[ReaderConsent],
        actor: &str,
    ) -> Result<(), RegisterError> {
        self.write(async |tx| store_consents(tx, consents, actor, None).await)
            .await
    }

    /// Active readers, in the order added.
    pub async fn readers(&self) -> Result<Vec<ReaderRow>, RegisterError> {
        Ok(self
            .all_readers()
            .await?
            .into_iter()
            .filter(|r| r.active)
            .collect())
    }

    /// Every reader ever added, removed ones too, in the order added: the consent chain runs
    /// through removed custodians as well.
    pub async fn all_readers(&self) -> Result<Vec<ReaderRow>, RegisterError> {
        self.all(
            "SELECT readers",
            "SELECT fingerprint, name, role, cert, added_at, removed_at IS NULL AS active, \
             approved_by, consent FROM readers ORDER BY id",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            let what = "read reader row";
            let role: String = r.get("role", what)?;
            let fingerprint: String = r.get("fingerprint", what)?;
            let by: Option<String> = r.get("approved_by", what)?;
            let signature: Option<Vec<u8>> = r.get("consent", what)?;
            Ok(ReaderRow {
                consent: match (by, signature) {
                    (Some(by), Some(signature)) => Some(ReaderConsent {
                        fingerprint: fingerprint.clone(),
                        by,
                        signature,
                    }),
                    _ => None,
                },
                fingerprint,
                name: r.get("name", what)?,
                role: Role::parse(&role)
                    .ok_or_else(|| RegisterError::Corrupt(format!("readers.role = {role}")))?,
                cert: r.get("cert", what)?,
                added_at: r.get("added_at", what)?,
                active: r.get("active", what)?,
            })
        })
        .collect()
    }

    /// Appends an audit entry.
    pub async fn audit(&self, entry: &AuditEntry) -> Result<(), RegisterError> {
        self.write(async |tx| {
            tx.audit(
                &entry.actor,
                entry.action,
                entry.case_number.as_deref(),
                &entry.detail,
            )
            .await?;
            Ok(())
        })
        .await
    }

    /// Stores a custodian's signed checkpoint; returns its id.
    pub async fn add_checkpoint(&self, c: &CheckpointRow) -> Result<i64, RegisterError> {
        self.one(
            "INSERT INTO audit_checkpoints",
            "INSERT INTO audit_checkpoints (audit_id, hash, signer, signature) VALUES ($1, $2, $3, $4) \
             RETURNING id",
            args![c.audit_id, c.hash.as_str(), c.signer.as_str(), c.signature.as_slice()],
        )
        .await?
        .get("id", "INSERT INTO audit_checkpoints")
    }

    /// Signed checkpoints, oldest first.
    pub async fn checkpoints(&self) -> Result<Vec<CheckpointRow>, RegisterError> {
        let what = "read audit checkpoint";
        self.all(
            "SELECT audit_checkpoints",
            "SELECT id, audit_id, hash, signer, signature FROM audit_checkpoints ORDER BY id",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            Ok(CheckpointRow {
                id: r.get("id", what)?,
                audit_id: r.get("audit_id", what)?,
                hash: r.get("hash", what)?,
                signer: r.get("signer", what)?,
                signature: r.get("signature", what)?,
            })
        })
        .collect()
    }

    /// Audit entries, oldest first.
    /// The day of the latest-dated audit entry (`YYYY-MM-DD`), if any: a clock set back
    /// shows as today coming before it.
    pub async fn latest_audit_day(&self) -> Result<Option<String>, RegisterError> {
        let row = self
            .one(
                "SELECT latest audit day",
                "SELECT MAX(substr(at, 1, 10)) AS day FROM audit",
                &[],
            )
            .await?;
        row.get("day", "SELECT latest audit day")
    }

    pub async fn audit_entries(&self) -> Result<Vec<AuditRow>, RegisterError> {
        self.all("SELECT audit", AUDIT_SELECT, &[])
            .await?
            .iter()
            .map(audit_row)
            .collect()
    }
}

/// The audit trail's columns, in id order.
pub(super) const AUDIT_SELECT: &str =
    "SELECT id, at, actor, action, case_number, detail, prev_hash, hash FROM audit ORDER BY id";

/// An audit row as read.
pub(super) fn audit_row(r: &Row) -> Result<AuditRow, RegisterError> {
    let what = "read audit row";
    Ok(AuditRow {
        id: r.get("id", what)?,
        at: r.get("at", what)?,
        actor: r.get("actor", what)?,
        action: r.get("action", what)?,
        case_number: r.get("case_number", what)?,
        detail: r.get("detail", what)?,
        prev_hash: r.get("prev_hash", what)?,
        hash: r.get("hash", what)?,
    })
}

/// Stores consents; those to readers other than `added` (already there) are one
/// `ReadersApproved` entry.
async fn store_consents(
    tx: &mut Tx,
    consents: &[ReaderConsent],
    actor: &str,
    added: Option<&str>,
) -> Result<(), RegisterError> {
    let mut approved = Vec::new();
    for c in consents {
        let changed = tx
            .exec(
                "UPDATE readers consent",
                "UPDATE readers SET approved_by = $1, consent = $2 WHERE fingerprint = $3",
                args![
                    c.by.as_str(),
                    c.signature.as_slice(),
                    c.fingerprint.as_str()
                ],
            )
            .await?;
        if changed != 1 {
            return Err(RegisterError::NotFound(format!("reader {}", c.fingerprint)));
        }
        if Some(c.fingerprint.as_str()) != added {
            approved.push(c.fingerprint.as_str());
        }
    }
    if !approved.is_empty() {
        tx.audit(actor, Event::ReadersApproved, None, &approved.join(", "))
            .await?;
    }
    Ok(())
}
