//! The reporter's answers filed into a case: opened with the case's report (a handler's key)
//! or with its identity record (a custodian's), under each message's own shred key.

use chrono::NaiveDate;
use serde::Serialize;

use super::{Desk, DeskError, Opener, ReaderKey, Sealed};
use crate::register::StoredFollowUp;
use crate::split::{Report, SenderIdentity, SignatureLabel};
use crate::vault::{self, BlobKind, MAX_RECORD_BYTES};

/// A follow-up message, opened.
#[derive(Debug, Serialize)]
pub struct OpenedFollowUp {
    /// 2 for the reporter's first answer (the report is message 1).
    pub message: i64,
    /// Day received.
    pub received_at: NaiveDate,
    /// Arrived encrypted.
    pub encrypted: bool,
    /// What its signatures say.
    pub signature: SignatureLabel,
    /// The case's number of its attachment 1.
    pub first_attachment: u32,
    /// What the reporter wrote.
    pub report: Report,
}

/// Who sent a follow-up message (custodians only).
#[derive(Debug, Serialize)]
pub struct FollowUpIdentity {
    /// Message number.
    pub message: i64,
    /// Its identity record.
    pub identity: SenderIdentity,
}

impl Desk {
    fn open_part(
        &self,
        number: &str,
        m: &StoredFollowUp,
        identity: bool,
        key: &ReaderKey,
    ) -> Result<zeroize::Zeroizing<Vec<u8>>, DeskError> {
        let shred = self.keys.shred_key(&m.shred_key)?;
        let (blob, kind, who) = if identity {
            (&m.identity, BlobKind::Identity, Opener::Custodian)
        } else {
            (&m.report, BlobKind::Report, Opener::Handler)
        };
        vault::open(
            blob,
            &shred,
            kind,
            &key.cert,
            key.passphrase.as_ref(),
            MAX_RECORD_BYTES,
        )
        .map_err(|e| DeskError::unseal(e, Sealed::Message(number, m.seq), who))
    }

    /// The reporter's answers in case `number`, opened with a reader's `key` (already proven
    /// a reader of the case by its caller).
    pub(super) async fn open_follow_ups(
        &self,
        number: &str,
        key: &ReaderKey,
    ) -> Result<Vec<OpenedFollowUp>, DeskError> {
        let mut out = Vec::new();
        for m in self.register.follow_ups(number).await? {
            let plain = self.open_part(number, &m, false, key)?;
            let mut report: Report =
                serde_json::from_slice(&plain).map_err(|e| DeskError::Damaged {
                    what: "follow-up message",
                    detail: e.to_string(),
                })?;
            self.fill_report(number, key, &mut report, m.first_attachment)
                .await?;
            out.push(OpenedFollowUp {
                message: m.seq,
                received_at: m.received_at,
                encrypted: m.encrypted,
                signature: m.signature,
                first_attachment: m.first_attachment,
                report,
            });
        }
        Ok(out)
    }

    /// Who sent each answer in case `number`, opened with a custodian's `key` (already proven
    /// and the read recorded by its caller).
    pub(super) async fn open_follow_up_identities(
        &self,
        number: &str,
        key: &ReaderKey,
    ) -> Result<Vec<FollowUpIdentity>, DeskError> {
        let mut out = Vec::new();
        for m in self.register.follow_ups(number).await? {
            let plain = self.open_part(number, &m, true, key)?;
            let mut identity: SenderIdentity =
                serde_json::from_slice(&plain).map_err(|e| DeskError::Damaged {
                    what: "follow-up identity record",
                    detail: e.to_string(),
                })?;
            self.fill_identity(number, key, &mut identity, m.first_attachment)
                .await?;
            out.push(FollowUpIdentity {
                message: m.seq,
                identity,
            });
        }
        Ok(out)
    }
}
