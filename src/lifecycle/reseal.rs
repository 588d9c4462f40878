//! Reseal: re-wraps the session key of every sealed blob (reports, identities, quarantined raw
//! mail) to the current readers. Each batch of new PKESKs commits in one transaction together
//! with the run's progress, so a crash leaves each blob with its old or its new readers, and a
//! re-run resumes where the last commit ended.

use sequoia_openpgp::Cert;

use crate::intake::failpoint;
use crate::keystore::{KeyStore, KeyStoreError};
use crate::openpgp::{self, ReaderKeys};
use crate::register::{BlobSlot, PkeskUpdate, Register, RegisterError, Role, SlotReaders};
use crate::vault::{self, VaultError};

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

/// Largest record re-encrypted by `--rotate-content` (a report's JSON with its attachments).
pub(super) const MAX_RECORD_BYTES: usize = 512 * 1024 * 1024;

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
            "{} cases, {} identities, {} notes, {} quarantined messages{}{}",
            self.cases,
            self.identities,
            self.notes,
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

    pub(super) fn count(&mut self, slot: BlobSlot) {
        let c = match slot {
            BlobSlot::CaseReport => &mut self.cases,
            BlobSlot::CaseIdentity => &mut self.identities,
            BlobSlot::QuarantineRaw => &mut self.quarantined,
            BlobSlot::CaseNote => &mut self.notes,
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

pub(super) struct Target {
    pub(super) all: Vec<Cert>,
    pub(super) custodians: Vec<Cert>,
    pub(super) name: String,
}

async fn target(register: &Register) -> Result<Target, ResealError> {
    let mut all = Vec::new();
    let mut custodians = Vec::new();
    let mut names = Vec::new();
    for r in register.readers().await? {
        let reader = |source| ResealError::Reader {
            fingerprint: r.fingerprint.clone(),
            source,
        };
        let cert = openpgp::parse_cert(&r.cert).map_err(reader)?;
        openpgp::check_recipient(&cert).map_err(reader)?;
        names.push(format!("{}:{}", r.role.as_str(), r.fingerprint));
        if r.role == Role::Custodian {
            custodians.push(cert.clone());
        }
        all.push(cert);
    }
    if all.is_empty() {
        return Err(ResealError::NoReaders("readers"));
    }
    if custodians.is_empty() {
        return Err(ResealError::NoReaders("custodian"));
    }
    names.sort();
    Ok(Target {
        all,
        custodians,
        name: names.join(","),
    })
}

/// Re-wraps every sealed blob to the current readers with `keys` (one or more current readers'
/// unlocked secret keys). `progress(done, total)` is called after each blob.
pub async fn reseal(
    register: &Register,
    store: &KeyStore,
    keys: &mut ReaderKeys,
    content: Option<&ContentKeys>,
    options: &ResealOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ResealSummary, ResealError> {
    let target = target(register).await?;
    if options.rotate_content && !options.dry_run {
        let content = content.ok_or(ResealError::NoContentKeys)?;
        return super::rotate::rotate_content(register, store, content, &target, options, progress)
            .await;
    }
    let mut summary = ResealSummary {
        dry_run: options.dry_run,
        ..ResealSummary::default()
    };
    let mut total: u64 = 0;
    for slot in BlobSlot::ALL {
        total = total.saturating_add(u64::try_from(register.slot_count(slot).await?).unwrap_or(0));
    }
    let run = if options.dry_run {
        None
    } else {
        let run = register
            .reseal_begin(&target.name, false, &options.actor)
            .await?;
        summary.resumed = run.resumed;
        Some(run)
    };
    let batch = options.batch.max(1);
    let mut done: u64 = 0;
    let recipients = |certs: &[Cert]| {
        openpgp::RecipientKeys::new(certs).map_err(|e| ResealError::Recipients(e.to_string()))
    };
    let (all, custodians) = (recipients(&target.all)?, recipients(&target.custodians)?);
    for slot in BlobSlot::ALL {
        let readers = match slot.readers() {
            SlotReaders::HandlersAndCustodians => &all,
            SlotReaders::Custodians => &custodians,
        };
        let already = match &run {
            Some(run) => register.reseal_done(run.id, slot).await?,
            None => Default::default(),
        };
        let mut after = 0i64;
        let mut pending: Vec<PkeskUpdate> = Vec::with_capacity(batch);
        loop {
            let page = register
                .slot_page(slot, after, i64::try_from(batch).unwrap_or(64))
                .await?;
            let Some(last) = page.last() else { break };
            after = last.row_id;
            for item in page {
                done = done.saturating_add(1);
                if already.contains(&item.row_id) {
                    summary.already_done = summary.already_done.saturating_add(1);
                    progress(done, total);
                    continue;
                }
                let shred = store.shred_key(&item.shred_key)?;
                match vault::rewrap(&item.blob, &shred, slot.kind(), keys, readers) {
                    Ok(new_pkesks) => {
                        summary.count(slot);
                        pending.push(PkeskUpdate {
                            slot,
                            row_id: item.row_id,
                            old_pkesks: item.blob.pkesks,
                            new_pkesks,
                        });
                    }
                    Err(VaultError::Rewrap(openpgp::RewrapError::NotARecipient)) => {
                        summary.not_readable.push(item.label);
                    }
                    Err(source) => {
                        return Err(ResealError::Blob {
                            label: item.label,
                            slot: slot.as_str(),
                            source,
                        })
                    }
                }
                progress(done, total);
            }
            if let Some(run) = &run {
                if !pending.is_empty() {
                    failpoint::hit("reseal-before-commit");
                    register.reseal_commit(run.id, &pending).await?;
                    failpoint::hit("reseal-batch-committed");
                }
            }
            pending.clear();
        }
    }
    if let Some(run) = &run {
        // A run that could not cover everything stays open: a re-run with the missing key
        // (e.g. a custodian's) resumes it.
        if summary.not_readable.is_empty() {
            register
                .reseal_finish(run.id, &options.actor, &summary.line())
                .await?;
        }
    }
    Ok(summary)
}
