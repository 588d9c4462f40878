//! Reads without content (case and quarantine listings), sealed records for their readers,
//! readers, and the audit trail.

use chrono::NaiveDate;

use super::store::{args, now_rfc3339, Row};
use super::{
    AuditEntry, AuditRow, CaseRecord, CaseSummary, NewReader, QuarantineRecord, QuarantineSummary,
    ReaderRow, Register, RegisterError, Role,
};
use crate::audit::Event;
use crate::vault::StoredBlob;

const QUARANTINE_SELECT: &str = "SELECT q.id, q.received_at, q.reason, q.detail, q.state, \
     c.number AS case_number, q.shred_key, q.raw_pkesks, q.raw_body \
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
        signed: r.get("signed", what)?,
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
    })
}

impl Register {
    /// Case summaries, oldest first. No content.
    pub async fn list_cases(&self) -> Result<Vec<CaseSummary>, RegisterError> {
        self.all(
            "SELECT cases",
            "SELECT number, received_at, status, encrypted, signed FROM cases ORDER BY id",
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
                "SELECT number, received_at, status, encrypted, signed, shred_key,
                        report_pkesks, report_body, identity_pkesks, identity_body
                 FROM cases WHERE number = $1",
                args![number],
            )
            .await?
        else {
            return Ok(None);
        };
        let what = "read case row";
        Ok(Some(CaseRecord {
            summary: summary(&r)?,
            shred_key: r.get("shred_key", what)?,
            report: StoredBlob {
                pkesks: r.get("report_pkesks", what)?,
                body: r.get("report_body", what)?,
            },
            identity: StoredBlob {
                pkesks: r.get("identity_pkesks", what)?,
                body: r.get("identity_body", what)?,
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
        Ok(Some(QuarantineRecord {
            summary: quarantine_summary(&r)?,
            raw: match (shred, pkesks, body) {
                (Some(s), Some(pkesks), Some(body)) => Some((s, StoredBlob { pkesks, body })),
                _ => None,
            },
        }))
    }

    /// Adds a reader certificate (a removed one comes back), with an audit entry.
    pub async fn add_reader(&self, reader: &NewReader) -> Result<(), RegisterError> {
        self.write(async |tx| {
            let now = now_rfc3339();
            tx.exec(
                "INSERT INTO readers",
                "INSERT INTO readers (fingerprint, name, role, cert, added_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (fingerprint) DO UPDATE SET name = excluded.name, role = excluded.role,
                     cert = excluded.cert, removed_at = NULL",
                args![
                    reader.fingerprint.as_str(),
                    reader.name.as_str(),
                    reader.role.as_str(),
                    reader.cert.as_slice(),
                    now.as_str()
                ],
            )
            .await?;
            tx.audit(
                "admin",
                Event::ReaderAdded,
                None,
                &format!("{} {} ({})", reader.role.as_str(), reader.fingerprint, reader.name),
            )
            .await?;
            Ok(())
        })
        .await
    }

    /// Active readers, in the order added.
    pub async fn readers(&self) -> Result<Vec<ReaderRow>, RegisterError> {
        self.all(
            "SELECT readers",
            "SELECT fingerprint, name, role, cert, added_at FROM readers WHERE removed_at IS NULL ORDER BY id",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            let what = "read reader row";
            let role: String = r.get("role", what)?;
            Ok(ReaderRow {
                fingerprint: r.get("fingerprint", what)?,
                name: r.get("name", what)?,
                role: Role::parse(&role)
                    .ok_or_else(|| RegisterError::Corrupt(format!("readers.role = {role}")))?,
                cert: r.get("cert", what)?,
                added_at: r.get("added_at", what)?,
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

    /// Audit entries, oldest first.
    pub async fn audit_entries(&self) -> Result<Vec<AuditRow>, RegisterError> {
        self.all(
            "SELECT audit",
            "SELECT id, at, actor, action, case_number, detail, prev_hash, hash FROM audit ORDER BY id",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
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
        })
        .collect()
    }
}
