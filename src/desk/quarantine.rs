//! Quarantine: list entries; retry held ones through the same intake sequence as `run`
//! (open → split → seal, [`crate::intake::decide`], in an intake worker), or discard them. A raw message carries the
//! sender's address, Received trail and Message-ID, so it is sealed to the custodians only: a
//! retry is an identity read, with a custodian's key and its own audit entry. Once an entry is
//! filed or discarded its raw message is destroyed (its shred key), so nothing opens it again.

use serde::Serialize;

use super::{Desk, DeskError, Opener, ReaderKey, Sealed};
use crate::audit::Event;
use crate::intake::worker::{self, protocol::Request, WorkerPool};
use crate::intake::{case_to_file, Decision};
use crate::lifecycle;
use crate::readers::Readers;
use crate::register::{AuditEntry, QuarantineSummary};
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
    /// Quarantine entries, oldest first: reason, size and date, no content, no key needed.
    pub async fn quarantine(&self) -> Result<Vec<QuarantineSummary>, DeskError> {
        Ok(self.register.list_quarantine().await?)
    }

    /// Discards a held entry with a custodian's key: its raw message is destroyed, audited.
    pub async fn discard_quarantine(&self, id: i64, key: &ReaderKey) -> Result<(), DeskError> {
        let actor = self.require_custodian(key).await?;
        if !self.register.discard_quarantine(id, actor.as_str()).await? {
            return Err(DeskError::NotFound(format!(
                "no held quarantine entry #{id} (see `sygnal quarantine list`)"
            )));
        }
        self.destroy_pending_shreds(&actor).await?;
        self.checkpoint_after(key).await
    }

    /// Destroys the shred keys queued for destruction, each with its audit entry.
    pub(super) async fn destroy_pending_shreds(
        &self,
        actor: &super::Actor,
    ) -> Result<(), DeskError> {
        lifecycle::destroy_pending_shreds(&self.register, &self.keys, actor.as_str())
            .await
            .map_err(DeskError::Reseal)
    }

    /// Processes held entries again (all, or one); files those that now open. `each` sees
    /// every entry's outcome as soon as it is committed.
    pub async fn retry_quarantine(
        &self,
        id: Option<i64>,
        key: &ReaderKey,
        mut each: impl FnMut(&RetryItem),
    ) -> Result<Vec<RetryItem>, DeskError> {
        let actor = self.require_custodian(key).await?;
        // Raw messages of entries filed before they were destroyed on filing go first.
        self.register.drop_stale_quarantine_raw().await?;
        self.destroy_pending_shreds(&actor).await?;
        let keyring = self
            .keys
            .intake_keyring()?
            .with_trusted_signers(crate::readers::trusted_signers(&self.register).await?);
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
        let limits = &self.config.limits;
        let mut pool = WorkerPool::for_keys(
            worker::this_binary().map_err(|e| DeskError::Failed(e.to_string()))?,
            &keyring,
            &readers,
            limits,
            // One entry at a time from a person's command.
            1,
            self.config.contact.as_ref().map(|c| &c.reply_address),
        )
        .map_err(|e| DeskError::Failed(e.to_string()))?;
        drop(keyring);
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
                .map_err(|e| DeskError::unseal(e, Sealed::Quarantine(qid), Opener::Custodian))?;
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
                // In a worker, as at intake: the message may be the one that killed it.
                let request = Request {
                    shred_key: new_shred.expose(),
                    received_at,
                    raw: &raw,
                };
                let decided = match pool.decide(&request).await {
                    Ok(outcome) => outcome.into_decision(limits).map_err(DeskError::Failed),
                    Err(e) => Err(DeskError::Failed(e.to_string())),
                };
                drop(raw);
                match decided {
                    Ok(Decision::File(sealed)) => {
                        let mut keys = self.keys.pending_keys();
                        let case = case_to_file(
                            sealed,
                            received_at,
                            new_shred_id,
                            &mut keys,
                            self.config.contact.as_ref(),
                        );
                        keys.write()?;
                        let filed = self
                            .register
                            .file_case_from_quarantine(
                                qid,
                                &case,
                                &self.config.cases.number_pattern,
                            )
                            .await?;
                        self.destroy_pending_shreds(&actor).await?;
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
                        return Err(e);
                    }
                }
            } else {
                RetryItem::NoMessage { id: qid }
            };
            each(&item);
            out.push(item);
        }
        self.checkpoint_after(key).await?;
        Ok(out)
    }
}
