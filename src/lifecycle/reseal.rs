//! Reseal: re-wraps the session key of every sealed blob (reports, identities, quarantined raw
//! mail) to the current readers. Each batch of new PKESKs commits in one transaction together
//! with the run's progress, so a crash leaves each blob with its old or its new readers, and a
//! re-run resumes where the last commit ended.

use sequoia_openpgp::Cert;

use super::reseal_run::{ContentKeys, ResealError, ResealOptions, ResealSummary, Target};
use crate::failpoint;
use crate::keystore::KeyStore;
use crate::openpgp::{self, ReaderKeys};
use crate::readers::{Readers, ReadersError};
use crate::register::{BlobSlot, PkeskUpdate, Register, SlotReaders};
use crate::vault::{self, VaultError};

async fn target(register: &Register) -> Result<Target, ResealError> {
    let set = Readers::load(register).await.map_err(|e| match e {
        ReadersError::Register(e) => ResealError::Register(e),
        ReadersError::Unreadable {
            fingerprint,
            source,
        } => ResealError::Reader {
            fingerprint,
            source,
        },
    })?;
    // A reader left out would silently lose access to everything: refuse instead.
    if let Some((fingerprint, source)) = set.unusable.into_iter().next() {
        return Err(ResealError::Reader {
            fingerprint,
            source,
        });
    }
    if set.handlers.is_empty() {
        return Err(ResealError::NoReaders("readers"));
    }
    if set.custodians.is_empty() {
        return Err(ResealError::NoReaders("custodian"));
    }
    Ok(Target {
        all: set.handlers,
        custodians: set.custodians,
        name: set.labels.join(","),
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
