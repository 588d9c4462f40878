//! What a reseal run takes and gives: options, readers' keys for content rotation, the summary,
//! the errors and the reader set it seals to. Shared by the re-wrapping and the rotating run.

use sequoia_openpgp::Cert;

use crate::keystore::KeyStoreError;
use crate::openpgp;
use crate::register::{BlobSlot, RegisterError};
use crate::vault::VaultError;

/// Blobs per transaction: small enough that a crash redoes little, large enough that fsyncs do
/// not dominate.
pub const DEFAULT_BATCH: usize = 64;

/// How to reseal.
#[derive(Debug, Clone)]
pub struct ResealOptions {
    /// Count and check only; write nothing.
    pub dry_run: bool,
    /// Blobs per transaction.
    pub batch: usize,
    /// Who runs it, for the audit trail.
    pub actor: String,
    /// Re-encrypt content under fresh session keys and fresh shred keys (after removing a
    /// reader who may have kept session keys); old shred keys are destroyed.
    pub rotate_content: bool,
}

/// Readers' secret keys for `--rotate-content`, which must open the content itself.
pub struct ContentKeys {
    /// Secret keys (possibly protected).
    pub certs: Vec<Cert>,
    /// Passphrase for protected ones.
    pub passphrase: Option<secrecy::SecretString>,
}

/// What a reseal covered.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct ResealSummary {
    /// Reports re-wrapped.
    pub cases: u64,
    /// Identity records re-wrapped.
    pub identities: u64,
    /// Quarantined raw messages re-wrapped.
    pub quarantined: u64,
    /// Sealed case notes re-wrapped.
    pub notes: u64,
    /// Sealed details of identity events re-wrapped.
    pub details: u64,
    /// Attachment copies sealed apart (cleaned and original) re-wrapped.
    pub attachments: u64,
    /// Blobs an earlier, interrupted run of the same target had already done.
    pub already_done: u64,
    /// Blobs the given keys cannot open (e.g. identities with a handler's key): labels.
    pub not_readable: Vec<String>,
    /// The run was resumed after an interruption.
    pub resumed: bool,
    /// Dry run: nothing written.
    pub dry_run: bool,
}

impl ResealSummary {
    /// One line for the audit trail and the terminal.
    pub fn line(&self) -> String {
        format!(
            "{} cases, {} identities, {} notes, {} sealed details, {} attachment copies, {} quarantined messages{}{}",
            self.cases,
            self.identities,
            self.notes,
            self.details,
            self.attachments,
            self.quarantined,
            if self.already_done > 0 {
                format!(", {} done before an interruption", self.already_done)
            } else {
                String::new()
            },
            if self.not_readable.is_empty() {
                String::new()
            } else {
                format!(
                    ", {} not readable with the given key(s)",
                    self.not_readable.len()
                )
            }
        )
    }

    pub(crate) fn count(&mut self, slot: BlobSlot) {
        let c = match slot {
            BlobSlot::CaseReport | BlobSlot::MessageReport => &mut self.cases,
            BlobSlot::CaseIdentity | BlobSlot::MessageIdentity => &mut self.identities,
            BlobSlot::QuarantineRaw => &mut self.quarantined,
            BlobSlot::CaseNote => &mut self.notes,
            BlobSlot::SealedDetail => &mut self.details,
            BlobSlot::AttachmentCleaned | BlobSlot::AttachmentOriginal => &mut self.attachments,
        };
        *c = c.saturating_add(1);
    }
}

/// Why a reseal stopped.
#[derive(Debug, thiserror::Error)]
pub enum ResealError {
    /// Register access failed.
    #[error(transparent)]
    Register(#[from] RegisterError),
    /// A shred key is missing or unreadable.
    #[error(transparent)]
    KeyStore(#[from] KeyStoreError),
    /// A reader's stored certificate is unusable: it would silently lose a reader.
    #[error("reader {fingerprint} cannot be sealed to: {source}")]
    Reader {
        /// Fingerprint.
        fingerprint: String,
        /// Cause.
        source: openpgp::KeyError,
    },
    /// No handler or no custodian: sealing to nobody would lose the records.
    #[error("no {0} among the readers: add one before resealing")]
    NoReaders(&'static str),
    /// The reader set could not be prepared for wrapping.
    #[error("readers unusable: {0}")]
    Recipients(String),
    /// `--rotate-content` without the keys to open content.
    #[error("--rotate-content needs readers' secret keys")]
    NoContentKeys,
    /// A blob failed in a way other than "not a reader" (altered, malformed).
    #[error("{label} ({slot}): {source}")]
    Blob {
        /// Case number or quarantine id.
        label: String,
        /// Slot name.
        slot: &'static str,
        /// Cause.
        source: VaultError,
    },
}

pub(crate) struct Target {
    pub(crate) all: Vec<Cert>,
    pub(crate) custodians: Vec<Cert>,
    pub(crate) name: String,
}
