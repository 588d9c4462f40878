//! The audit trail (invariant 6): show it, verify its hash chain against an optional head
//! recorded elsewhere, print its head. Reading it needs no key: it holds actors, events, case
//! numbers and reasons, never content.

use serde::Serialize;

use super::{Desk, DeskError};
use crate::audit::{self, ChainBreak, Head, Stored};
use crate::register::AuditRow;

/// A head recorded earlier that the chain must still contain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpectedHead {
    /// Entry id (0 when only a hash was given and no entry carries it).
    pub id: i64,
    /// Its hash, lower-case hex.
    pub hash: String,
}

impl ExpectedHead {
    /// `ID:HASH` as `audit head` prints it, or a bare `HASH` (looked up in `rows`).
    fn parse(text: &str, rows: &[AuditRow]) -> Result<ExpectedHead, DeskError> {
        if let Some((id, hash)) = audit::parse_head(text) {
            return Ok(ExpectedHead { id, hash });
        }
        let hash = text.trim().to_ascii_lowercase();
        if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(DeskError::Invalid(
                "--head must be ID:HASH (or HASH) as printed by `sygnal audit head`".to_owned(),
            ));
        }
        let id = rows
            .iter()
            .find(|r| r.hash.as_deref() == Some(hash.as_str()))
            .map(|r| r.id)
            .unwrap_or(0);
        Ok(ExpectedHead { id, hash })
    }
}

/// The outcome of a verification: the verified head, or the first break.
#[derive(Debug, Clone, Serialize)]
pub struct AuditVerdict {
    /// The chain holds.
    pub ok: bool,
    /// Its head, when it holds.
    pub head: Option<Head>,
    /// The first place it does not hold.
    #[serde(rename = "break")]
    pub broken: Option<ChainBreak>,
}

/// Checks stored rows as the chain sees them.
pub(crate) fn verify_rows(
    rows: &[AuditRow],
    expect: Option<&ExpectedHead>,
) -> Result<Head, ChainBreak> {
    let stored: Vec<Stored<'_>> = rows.iter().map(AuditRow::stored).collect();
    audit::verify(&stored, expect.map(|e| (e.id, e.hash.as_str())))
}

/// A broken chain, as a refusal to go on.
fn broken(b: ChainBreak) -> DeskError {
    DeskError::Failed(format!("audit chain BROKEN: {b}"))
}

impl Desk {
    /// The trail, oldest first; only one case's entries with `case`.
    pub async fn audit_trail(&self, case: Option<&str>) -> Result<Vec<AuditRow>, DeskError> {
        let rows = self.register.audit_entries().await?;
        Ok(rows
            .into_iter()
            .filter(|r| case.is_none() || r.case_number.as_deref() == case)
            .collect())
    }

    /// Checks the hash chain link by link; with `head`, that recorded head must still be there.
    pub async fn verify_audit(&self, head: Option<&str>) -> Result<AuditVerdict, DeskError> {
        let rows = self.register.audit_entries().await?;
        let expect = head.map(|h| ExpectedHead::parse(h, &rows)).transpose()?;
        let result = verify_rows(&rows, expect.as_ref());
        Ok(AuditVerdict {
            ok: result.is_ok(),
            head: result.as_ref().ok().cloned(),
            broken: result.err(),
        })
    }

    /// The head to record elsewhere. A broken chain's head witnesses nothing: refused.
    pub async fn audit_head(&self) -> Result<Head, DeskError> {
        let rows = self.register.audit_entries().await?;
        verify_rows(&rows, None).map_err(broken)
    }
}

/// The verdict as a refusal when the chain is broken.
pub fn audit_broken(verdict: &AuditVerdict) -> Result<(), DeskError> {
    match &verdict.broken {
        Some(b) => Err(broken(b.clone())),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recorded_head_is_id_colon_hash_or_a_bare_hash_found_in_the_trail() {
        let hash = "a".repeat(64);
        assert_eq!(
            ExpectedHead::parse(&format!("7:{hash}"), &[]).unwrap(),
            ExpectedHead {
                id: 7,
                hash: hash.clone()
            }
        );
        // A bare hash no entry carries is id 0: the verification then reports it missing.
        assert_eq!(ExpectedHead::parse(&hash, &[]).unwrap().id, 0);
        assert!(matches!(
            ExpectedHead::parse("nonsense", &[]),
            Err(DeskError::Invalid(_))
        ));
    }
}
