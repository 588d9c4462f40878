//! Quarantine: list entries; retry held ones through the same intake sequence as `run`
//! (open → split → seal, [`crate::intake::decide`]). The raw messages are sealed to the
//! handlers, so a retry needs a handler's key: the gateway cannot read what it quarantined.

use serde::Serialize;

use super::{Desk, DeskError, ReaderKey};
use crate::audit::Event;
use crate::intake::{self, Decision};
use crate::readers::Readers;
use crate::register::{AuditEntry, NewCase, QuarantineSummary};
use crate::vault::{self, BlobKind};

/// What became of one entry on a retry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "result", rename_all = "kebab-case")]
pub enum RetryItem {
    /// Filed as a case.
    Filed {
        /// Entry id.
        id: i64,
        /// The new case.
        number: String,
    },
    /// Still cannot be filed: the new reason replaces the old.
    StillQuarantined {
        /// Entry id.
        id: i64,
        /// Reason code.
        code: String,
        /// Detail (no content).
        detail: String,
    },
    /// Not held (filed before, or left on the server): nothing to retry.
    NotHeld {
        /// Entry id.
        id: i64,
        /// Its state.
        state: String,
    },
    /// Held without a stored message.
    NoMessage {
        /// Entry id.
        id: i64,
    },
}

/// Held entries are the ones a retry may file.
const HELD: &str = "held";

impl Desk {
    /// Quarantine entries, oldest first. No content, no key needed.
    pub async fn quarantine(&self) -> Result<Vec<QuarantineSummary>, DeskError> {
        Ok(self.register.list_quarantine().await?)
    }

    /// Processes held entries again (all, or one); files those that now open. `each` sees
    /// every entry's outcome as soon as it is committed.
    pub async fn retry_quarantine(
        &self,
        id: Option<i64>,
        key: &ReaderKey,
        mut each: impl FnMut(&RetryItem),
    ) -> Result<Vec<RetryItem>, DeskError> {
        let keyring = self.keys.intake_keyring()?;
        let readers = Readers::load(&self.register).await?;
        let ids: Vec<i64> = match id {
            Some(i) => vec![i],
            None => self
                .register
                .list_quarantine()
                .await?
                .into_iter()
                .filter(|q| q.state == HELD)
                .map(|q| q.id)
                .collect(),
        };
        let actor = self.actor(&key.fingerprint).await?;
        let limits = &self.config.limits;
        let mut out = Vec::new();
        for qid in ids {
            let entry = self
                .register
                .quarantine_entry(qid)
                .await?
                .ok_or_else(|| DeskError::NotFound(format!("no quarantine entry #{qid}")))?;
            let item = if entry.summary.state != HELD {
                RetryItem::NotHeld {
                    id: qid,
                    state: entry.summary.state,
                }
            } else if let Some((shred_id, blob)) = entry.raw {
                let shred = self.keys.shred_key(&shred_id)?;
                let raw = vault::open(
                    &blob,
                    &shred,
                    BlobKind::Quarantine,
                    &key.cert,
                    key.passphrase.as_ref(),
                    limits.max_message_bytes.saturating_mul(2),
                )
                .map_err(|e| DeskError::unseal(e, &format!("quarantine #{qid}"), "a handler"))?;
                self.register
                    .audit(&AuditEntry {
                        actor: actor.as_str().to_owned(),
                        action: Event::QuarantineRetried,
                        case_number: None,
                        detail: format!("quarantine #{qid}"),
                    })
                    .await?;
                let received_at = entry.summary.received_at;
                let (new_shred_id, new_shred) = self.keys.new_shred_key()?;
                let decided =
                    intake::decide(&raw, &keyring, &readers, limits, &new_shred, received_at);
                match decided {
                    Ok(Decision::File(sealed)) => {
                        let case = NewCase {
                            received_at,
                            encrypted: sealed.encrypted,
                            signed: sealed.signed,
                            shred_key: new_shred_id,
                            report: sealed.report,
                            identity: sealed.identity,
                        };
                        let filed = self
                            .register
                            .file_case_from_quarantine(
                                qid,
                                &case,
                                &self.config.cases.number_pattern,
                            )
                            .await?;
                        RetryItem::Filed {
                            id: qid,
                            number: filed.number,
                        }
                    }
                    Ok(Decision::Quarantine(rejection)) => {
                        // Nothing was sealed under the fresh shred key: it protects nothing.
                        self.keys.destroy_shred_key(&new_shred_id)?;
                        self.register
                            .update_quarantine_reason(qid, &rejection.code, &rejection.detail)
                            .await?;
                        RetryItem::StillQuarantined {
                            id: qid,
                            code: rejection.code,
                            detail: rejection.detail,
                        }
                    }
                    Err(e) => {
                        self.keys.destroy_shred_key(&new_shred_id)?;
                        return Err(e.into());
                    }
                }
            } else {
                RetryItem::NoMessage { id: qid }
            };
            each(&item);
            out.push(item);
        }
        Ok(out)
    }
}
