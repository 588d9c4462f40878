//! Reads: case and quarantine listings, readers, audit.

use chrono::NaiveDate;
use sqlx::Row;

use super::filing::insert_audit;
use super::{finish, now_rfc3339, SqliteRegister};
use crate::audit::Event;
use crate::register::{
    AuditEntry, AuditRow, CaseRecord, CaseSummary, NewReader, QuarantineRecord, QuarantineSummary,
    ReaderRow, RegisterError, Role,
};
use crate::vault::StoredBlob;

fn date(s: &str) -> Result<NaiveDate, RegisterError> {
    s.parse()
        .map_err(|_| RegisterError::Corrupt(format!("date {s:?}")))
}

fn summary(r: &sqlx::sqlite::SqliteRow) -> Result<CaseSummary, sqlx::Error> {
    let received: String = r.try_get("received_at")?;
    Ok(CaseSummary {
        number: r.try_get("number")?,
        received_at: date(&received).map_err(|e| sqlx::Error::Decode(e.to_string().into()))?,
        status: r.try_get("status")?,
        encrypted: r.try_get("encrypted")?,
        signed: r.try_get("signed")?,
    })
}

fn quarantine_summary(r: &sqlx::sqlite::SqliteRow) -> Result<QuarantineSummary, sqlx::Error> {
    let received: String = r.try_get("received_at")?;
    Ok(QuarantineSummary {
        id: r.try_get("id")?,
        received_at: date(&received).map_err(|e| sqlx::Error::Decode(e.to_string().into()))?,
        reason: r.try_get("reason")?,
        detail: r.try_get("detail")?,
        state: r.try_get("state")?,
        case: r.try_get("case_number")?,
    })
}

const QUARANTINE_SELECT: &str = "SELECT q.id, q.received_at, q.reason, q.detail, q.state, \
     c.number AS case_number, q.shred_key, q.raw_pkesks, q.raw_body \
     FROM quarantine q LEFT JOIN cases c ON c.id = q.case_id";

impl SqliteRegister {
    /// Case summaries, oldest first.
    pub async fn list_cases(&self) -> Result<Vec<CaseSummary>, RegisterError> {
        let rows = sqlx::query(
            "SELECT number, received_at, status, encrypted, signed FROM cases ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(RegisterError::db("SELECT cases"))?;
        rows.iter()
            .map(summary)
            .collect::<Result<_, _>>()
            .map_err(RegisterError::db("read case row"))
    }

    /// One case with its sealed blobs.
    pub async fn case(&self, number: &str) -> Result<Option<CaseRecord>, RegisterError> {
        let row = sqlx::query(
            "SELECT number, received_at, status, encrypted, signed, shred_key,
                    report_pkesks, report_body, identity_pkesks, identity_body
             FROM cases WHERE number = ?",
        )
        .bind(number)
        .fetch_optional(&self.pool)
        .await
        .map_err(RegisterError::db("SELECT case"))?;
        let Some(r) = row else { return Ok(None) };
        let read = || -> Result<CaseRecord, sqlx::Error> {
            Ok(CaseRecord {
                summary: summary(&r)?,
                shred_key: r.try_get("shred_key")?,
                report: StoredBlob {
                    pkesks: r.try_get("report_pkesks")?,
                    body: r.try_get("report_body")?,
                },
                identity: StoredBlob {
                    pkesks: r.try_get("identity_pkesks")?,
                    body: r.try_get("identity_body")?,
                },
            })
        };
        read().map(Some).map_err(RegisterError::db("read case row"))
    }

    /// Quarantine entries, oldest first.
    pub async fn list_quarantine(&self) -> Result<Vec<QuarantineSummary>, RegisterError> {
        let rows = sqlx::query(&format!("{QUARANTINE_SELECT} ORDER BY q.id"))
            .fetch_all(&self.pool)
            .await
            .map_err(RegisterError::db("SELECT quarantine"))?;
        rows.iter()
            .map(quarantine_summary)
            .collect::<Result<_, _>>()
            .map_err(RegisterError::db("read quarantine row"))
    }

    /// One quarantine entry with its sealed raw message.
    pub async fn quarantine_entry(
        &self,
        id: i64,
    ) -> Result<Option<QuarantineRecord>, RegisterError> {
        let row = sqlx::query(&format!("{QUARANTINE_SELECT} WHERE q.id = ?"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(RegisterError::db("SELECT quarantine entry"))?;
        let Some(r) = row else { return Ok(None) };
        let read = || -> Result<QuarantineRecord, sqlx::Error> {
            let shred: Option<String> = r.try_get("shred_key")?;
            let pkesks: Option<Vec<u8>> = r.try_get("raw_pkesks")?;
            let body: Option<Vec<u8>> = r.try_get("raw_body")?;
            Ok(QuarantineRecord {
                summary: quarantine_summary(&r)?,
                raw: match (shred, pkesks, body) {
                    (Some(s), Some(pkesks), Some(body)) => Some((s, StoredBlob { pkesks, body })),
                    _ => None,
                },
            })
        };
        read()
            .map(Some)
            .map_err(RegisterError::db("read quarantine row"))
    }

    /// Adds a reader and records it in the audit log.
    pub async fn add_reader(&self, reader: &NewReader) -> Result<(), RegisterError> {
        let mut conn = self.begin_immediate().await?;
        let result = async {
            sqlx::query(
                "INSERT INTO readers (fingerprint, name, role, cert, added_at) VALUES (?, ?, ?, ?, ?)
                 ON CONFLICT (fingerprint) DO UPDATE SET name = excluded.name, role = excluded.role,
                     cert = excluded.cert, removed_at = NULL",
            )
            .bind(&reader.fingerprint)
            .bind(&reader.name)
            .bind(reader.role.as_str())
            .bind(reader.cert.as_slice())
            .bind(now_rfc3339())
            .execute(&mut *conn)
            .await
            .map_err(RegisterError::db("INSERT INTO readers"))?;
            insert_audit(
                &mut conn,
                "admin",
                Event::ReaderAdded,
                None,
                &format!("{} {} ({})", reader.role.as_str(), reader.fingerprint, reader.name),
            )
            .await
        }
        .await;
        finish(&mut conn, result).await
    }

    /// Active readers, in the order added.
    pub async fn readers(&self) -> Result<Vec<ReaderRow>, RegisterError> {
        let rows = sqlx::query(
            "SELECT fingerprint, name, role, cert, added_at FROM readers WHERE removed_at IS NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(RegisterError::db("SELECT readers"))?;
        rows.iter()
            .map(|r| {
                let role: String = r
                    .try_get("role")
                    .map_err(RegisterError::db("read reader row"))?;
                let read = || -> Result<ReaderRow, sqlx::Error> {
                    Ok(ReaderRow {
                        fingerprint: r.try_get("fingerprint")?,
                        name: r.try_get("name")?,
                        role: Role::Handler,
                        cert: r.try_get("cert")?,
                        added_at: r.try_get("added_at")?,
                    })
                };
                let mut row = read().map_err(RegisterError::db("read reader row"))?;
                row.role = Role::parse(&role)
                    .ok_or_else(|| RegisterError::Corrupt(format!("readers.role = {role}")))?;
                Ok(row)
            })
            .collect()
    }

    /// Appends an audit entry.
    pub async fn audit(&self, entry: &AuditEntry) -> Result<(), RegisterError> {
        let mut conn = self.begin_immediate().await?;
        let result = insert_audit(
            &mut conn,
            &entry.actor,
            entry.action,
            entry.case_number.as_deref(),
            &entry.detail,
        )
        .await;
        finish(&mut conn, result).await
    }

    /// Audit entries, oldest first.
    pub async fn audit_entries(&self) -> Result<Vec<AuditRow>, RegisterError> {
        let rows =
            sqlx::query("SELECT id, at, actor, action, case_number, detail, prev_hash, hash FROM audit ORDER BY id")
                .fetch_all(&self.pool)
                .await
                .map_err(RegisterError::db("SELECT audit"))?;
        rows.iter()
            .map(|r| {
                Ok(AuditRow {
                    id: r.try_get("id")?,
                    at: r.try_get("at")?,
                    actor: r.try_get("actor")?,
                    action: r.try_get("action")?,
                    case_number: r.try_get("case_number")?,
                    detail: r.try_get("detail")?,
                    prev_hash: r.try_get("prev_hash")?,
                    hash: r.try_get("hash")?,
                })
            })
            .collect::<Result<_, sqlx::Error>>()
            .map_err(RegisterError::db("read audit row"))
    }
}
