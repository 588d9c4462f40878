//! The audit trail (invariant 6): show it, verify its hash chain against an optional head
//! recorded elsewhere and against every checkpoint a custodian signed, print its head. Reading
//! it needs no key: it holds actors, events and case numbers, never content or free text.
//!
//! The chain alone is an unkeyed hash: whoever holds the register file could drop the triggers,
//! delete an entry and rehash. A checkpoint is a custodian's OpenPGP signature over the head at
//! one entry, made with `audit checkpoint` and automatically whenever a custodian acts; nobody
//! without a custodian's key can make one, so a rewrite of anything a checkpoint covers shows.

use serde::Serialize;

use super::{Desk, DeskError, ReaderKey};
use crate::audit::{self, ChainBreak, Head, Stored};
use crate::openpgp;
use crate::register::{AuditRow, CheckpointRow, ReaderRow, Role};

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
    /// Custodians' checkpoints that were checked and hold.
    pub checkpoints: usize,
    /// The latest of them.
    pub latest_checkpoint: Option<Checkpoint>,
}

/// A custodian's signed checkpoint.
#[derive(Debug, Clone, Serialize)]
pub struct Checkpoint {
    /// The entry it covers, with all before it.
    pub entry: i64,
    /// That entry's hash.
    pub hash: String,
    /// The custodian's fingerprint.
    pub signer: String,
}

/// Checks every checkpoint against a chain that verified: a good signature by a custodian the
/// register knows (removed ones included), over an entry the chain still holds with that hash.
fn verify_checkpoints(
    rows: &[AuditRow],
    checkpoints: &[CheckpointRow],
    readers: &[ReaderRow],
) -> Result<(), ChainBreak> {
    let stored: Vec<Stored<'_>> = rows.iter().map(AuditRow::stored).collect();
    for c in checkpoints {
        let forged = || ChainBreak::CheckpointForged {
            checkpoint: c.id,
            signer: c.signer.clone(),
        };
        let signer = readers
            .iter()
            .find(|r| r.fingerprint == c.signer && r.role == Role::Custodian)
            .and_then(|r| openpgp::parse_cert(&r.cert).ok())
            .ok_or_else(forged)?;
        openpgp::verify_detached(
            &signer,
            &audit::checkpoint_statement(c.audit_id, &c.hash),
            &c.signature,
        )
        .map_err(|_| forged())?;
        if !audit::holds(&stored, c.audit_id, &c.hash) {
            return Err(ChainBreak::CheckpointBroken {
                checkpoint: c.id,
                id: c.audit_id,
                hash: c.hash.clone(),
                signer: c.signer.clone(),
            });
        }
    }
    Ok(())
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

    /// Checks the hash chain link by link and against every custodian's checkpoint; with
    /// `head`, that recorded head must still be there.
    pub async fn verify_audit(&self, head: Option<&str>) -> Result<AuditVerdict, DeskError> {
        let rows = self.register.audit_entries().await?;
        let expect = head.map(|h| ExpectedHead::parse(h, &rows)).transpose()?;
        let checkpoints = self.register.checkpoints().await?;
        let readers = self.register.all_readers().await?;
        let result = verify_rows(&rows, expect.as_ref())
            .and_then(|h| verify_checkpoints(&rows, &checkpoints, &readers).map(|()| h));
        let ok = result.is_ok();
        Ok(AuditVerdict {
            ok,
            head: result.as_ref().ok().cloned(),
            broken: result.err(),
            checkpoints: if ok { checkpoints.len() } else { 0 },
            latest_checkpoint: checkpoints.last().filter(|_| ok).map(|c| Checkpoint {
                entry: c.audit_id,
                hash: c.hash.clone(),
                signer: c.signer.clone(),
            }),
        })
    }

    /// The head to record elsewhere. A broken chain's head witnesses nothing: refused.
    pub async fn audit_head(&self) -> Result<Head, DeskError> {
        let rows = self.register.audit_entries().await?;
        verify_rows(&rows, None).map_err(broken)
    }

    /// A custodian signs the current head. Refused when the chain or an earlier checkpoint
    /// does not hold: a signature must never bless a rewritten trail.
    pub async fn audit_checkpoint(&self, key: &ReaderKey) -> Result<Checkpoint, DeskError> {
        self.require_custodian(key).await?;
        let verdict = self.verify_audit(None).await?;
        audit_broken(&verdict)?;
        let head = verdict
            .head
            .ok_or_else(|| DeskError::Failed("audit chain has no head".to_owned()))?;
        if head.id == 0 {
            return Err(DeskError::Invalid(
                "the audit trail is empty: nothing to sign yet".to_owned(),
            ));
        }
        let signature = openpgp::sign_detached(
            &key.cert,
            key.passphrase.as_ref(),
            &audit::checkpoint_statement(head.id, &head.hash),
        )
        .map_err(|e| DeskError::KeyRefused(format!("cannot sign the checkpoint: {e}")))?;
        self.register
            .add_checkpoint(&CheckpointRow {
                id: 0,
                audit_id: head.id,
                hash: head.hash.clone(),
                signer: key.fingerprint.clone(),
                signature,
            })
            .await?;
        Ok(Checkpoint {
            entry: head.id,
            hash: head.hash,
            signer: key.fingerprint.clone(),
        })
    }

    /// The checkpoint a custodian's action ends with. The action itself is done and recorded,
    /// so a checkpoint that cannot be made (a broken chain) is reported, not a failure of it.
    pub(super) async fn checkpoint_after(&self, key: &ReaderKey) -> Result<(), DeskError> {
        match self.audit_checkpoint(key).await {
            Ok(_) => Ok(()),
            Err(e) if e.disposition() == super::Disposition::Retry => Err(e),
            Err(e) => {
                tracing::warn!(error = %e, "AuditCheckpointSkipped: no checkpoint was signed");
                Ok(())
            }
        }
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
    use crate::desk::Refusal;

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
            Err(ref e) if e.refusal() == Some(Refusal::Invalid)
        ));
    }
}
