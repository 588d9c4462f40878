//! `keys reseal --rotate-content`: opens each record with a reader's key, seals it again under a
//! fresh session key and a fresh shred key, commits per batch, then destroys the old shred keys.
//! Plaintext lives only in zeroizing memory (invariant 2); each row keeps its old or its new
//! content, never neither, and a shred key is destroyed only after no row refers to it.

use super::reseal_run::{ContentKeys, ResealError, ResealOptions, ResealSummary, Target};
use crate::failpoint;
use crate::keystore::KeyStore;
use crate::openpgp::UnsealError;
use crate::register::{BlobSlot, ContentTarget, ContentUpdate, Register, SlotBlob};
use crate::vault::{self, ShredKey, StoredBlob, VaultError};

/// Opens a blob with the first key that is one of its readers; `None` if none is.
fn open_any(
    content: &ContentKeys,
    item: &SlotBlob,
    shred: &ShredKey,
) -> Result<Option<zeroize::Zeroizing<Vec<u8>>>, ResealError> {
    for cert in &content.certs {
        match vault::open(
            &item.blob,
            shred,
            item.slot.kind(),
            cert,
            content.passphrase.as_ref(),
            vault::MAX_RECORD_BYTES,
        ) {
            Ok(plain) => return Ok(Some(plain)),
            Err(VaultError::Unseal(UnsealError::NotARecipient { .. })) => continue,
            Err(source) => {
                return Err(ResealError::Blob {
                    label: item.label.clone(),
                    slot: item.slot.as_str(),
                    source,
                })
            }
        }
    }
    Ok(None)
}

fn seal(
    plain: &[u8],
    readers: &[sequoia_openpgp::Cert],
    shred: &ShredKey,
    item: &SlotBlob,
) -> Result<StoredBlob, ResealError> {
    vault::seal(plain, readers, shred, item.slot.kind()).map_err(|source| ResealError::Blob {
        label: item.label.clone(),
        slot: item.slot.as_str(),
        source,
    })
}

/// Destroys every shred key queued for destruction (a content rotation's old keys, raw
/// quarantined messages filed or discarded), each with its audit entry. Idempotent: a crash
/// in between leaves the rest queued for the next call.
pub async fn destroy_pending(
    register: &Register,
    store: &KeyStore,
    actor: &str,
) -> Result<(), ResealError> {
    for (id, why) in register.pending_shreds().await? {
        store.destroy_shred_key(&id)?;
        register.shred_destroyed(&id, &why, actor).await?;
    }
    Ok(())
}

pub(super) async fn rotate_content(
    register: &Register,
    store: &KeyStore,
    content: &ContentKeys,
    target: &Target,
    options: &ResealOptions,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<ResealSummary, ResealError> {
    let run = register
        .reseal_begin(&target.name, true, &options.actor)
        .await?;
    let mut summary = ResealSummary {
        resumed: run.resumed,
        ..ResealSummary::default()
    };
    // Shred keys a crashed run left behind after its commit.
    destroy_pending(register, store, &options.actor).await?;
    let cases = u64::try_from(register.slot_count(BlobSlot::CaseReport).await?).unwrap_or(0);
    let held = u64::try_from(register.slot_count(BlobSlot::QuarantineRaw).await?).unwrap_or(0);
    let total = cases.saturating_add(held);
    let batch = i64::try_from(options.batch.max(1)).unwrap_or(64);
    let mut done: u64 = 0;

    // Cases: report and identity share a shred key, so both move together.
    let already = register.reseal_done(run.id, BlobSlot::CaseReport).await?;
    let mut after = 0i64;
    loop {
        let pairs = paired_page(register, BlobSlot::CaseReport, after, batch).await?;
        let Some((last, _)) = pairs.last() else { break };
        after = last.row_id;
        let mut updates = Vec::new();
        for (report, identity) in &pairs {
            done = done.saturating_add(1);
            if already.contains(&report.row_id) {
                summary.already_done = summary.already_done.saturating_add(2);
                progress(done, total);
                continue;
            }
            let old = store.shred_key(&report.shred_key)?;
            let (Some(r), Some(i)) = (
                open_any(content, report, &old)?,
                open_any(content, identity, &old)?,
            ) else {
                summary.not_readable.push(report.label.clone());
                progress(done, total);
                continue;
            };
            // The case's notes share its shred key: they move with it.
            let mut old_notes = Vec::new();
            for event in register.events(&report.label).await? {
                if let Some(blob) = event.note {
                    old_notes.push(SlotBlob {
                        slot: BlobSlot::CaseNote,
                        row_id: event.id,
                        label: format!("{} note #{}", report.label, event.id),
                        shred_key: report.shred_key.clone(),
                        blob,
                    });
                }
            }
            let mut opened_notes = Vec::new();
            for note in &old_notes {
                match open_any(content, note, &old)? {
                    Some(plain) => opened_notes.push((note, plain)),
                    None => break,
                }
            }
            if opened_notes.len() != old_notes.len() {
                summary.not_readable.push(report.label.clone());
                progress(done, total);
                continue;
            }
            // So do the sealed details of its identity events (custodians' keys open them).
            let mut opened_details = Vec::new();
            let old_details = register.sealed_details(&report.label).await?;
            for (audit_id, blob) in old_details.iter() {
                let item = SlotBlob {
                    slot: BlobSlot::SealedDetail,
                    row_id: *audit_id,
                    label: format!("{} detail #{audit_id}", report.label),
                    shred_key: report.shred_key.clone(),
                    blob: blob.clone(),
                };
                match open_any(content, &item, &old)? {
                    Some(plain) => opened_details.push((item, plain)),
                    None => break,
                }
            }
            if opened_details.len() != old_details.len() {
                summary.not_readable.push(report.label.clone());
                progress(done, total);
                continue;
            }
            let (new_id, new_shred) = store.new_shred_key()?;
            let blobs = vec![
                seal(&r, &target.all, &new_shred, report)?,
                seal(&i, &target.custodians, &new_shred, identity)?,
            ];
            let mut notes = Vec::new();
            for (note, plain) in &opened_notes {
                notes.push((note.row_id, seal(plain, &target.all, &new_shred, note)?));
                summary.count(BlobSlot::CaseNote);
            }
            let mut details = Vec::new();
            for (item, plain) in &opened_details {
                details.push((
                    item.row_id,
                    seal(plain, &target.custodians, &new_shred, item)?,
                ));
                summary.count(BlobSlot::SealedDetail);
            }
            updates.push(ContentUpdate {
                target: ContentTarget::Case,
                row_id: report.row_id,
                old_shred: report.shred_key.clone(),
                new_shred: new_id,
                blobs,
                notes,
                details,
            });
            summary.count(BlobSlot::CaseReport);
            summary.count(BlobSlot::CaseIdentity);
            progress(done, total);
        }
        commit(register, store, run.id, &updates, &options.actor).await?;
    }

    // Quarantined raw messages: one blob per shred key.
    let already = register
        .reseal_done(run.id, BlobSlot::QuarantineRaw)
        .await?;
    let mut after = 0i64;
    loop {
        let page = register
            .slot_page(BlobSlot::QuarantineRaw, after, batch)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.row_id;
        let mut updates = Vec::new();
        for item in &page {
            done = done.saturating_add(1);
            if already.contains(&item.row_id) {
                summary.already_done = summary.already_done.saturating_add(1);
                progress(done, total);
                continue;
            }
            let old = store.shred_key(&item.shred_key)?;
            let Some(raw) = open_any(content, item, &old)? else {
                summary.not_readable.push(item.label.clone());
                progress(done, total);
                continue;
            };
            let (new_id, new_shred) = store.new_shred_key()?;
            updates.push(ContentUpdate {
                target: ContentTarget::Quarantine,
                row_id: item.row_id,
                old_shred: item.shred_key.clone(),
                new_shred: new_id,
                blobs: vec![seal(&raw, &target.custodians, &new_shred, item)?],
                notes: Vec::new(),
                details: Vec::new(),
            });
            summary.count(BlobSlot::QuarantineRaw);
            progress(done, total);
        }
        commit(register, store, run.id, &updates, &options.actor).await?;
    }

    // Attachments held apart: each under its own shred key, both copies together.
    let already = register
        .reseal_done(run.id, BlobSlot::AttachmentCleaned)
        .await?;
    let mut after = 0i64;
    loop {
        let page = register
            .slot_page(BlobSlot::AttachmentCleaned, after, batch)
            .await?;
        let Some(last) = page.last() else { break };
        after = last.row_id;
        let mut updates = Vec::new();
        for cleaned in &page {
            if already.contains(&cleaned.row_id) {
                summary.already_done = summary.already_done.saturating_add(1);
                continue;
            }
            let old = store.shred_key(&cleaned.shred_key)?;
            let original = register
                .attachment_original(cleaned.row_id)
                .await?
                .map(|blob| SlotBlob {
                    slot: BlobSlot::AttachmentOriginal,
                    row_id: cleaned.row_id,
                    label: cleaned.label.clone(),
                    shred_key: cleaned.shred_key.clone(),
                    blob,
                });
            let Some(plain) = open_any(content, cleaned, &old)? else {
                summary.not_readable.push(cleaned.label.clone());
                continue;
            };
            let plain_original = match &original {
                Some(o) => match open_any(content, o, &old)? {
                    Some(p) => Some(p),
                    None => {
                        summary.not_readable.push(o.label.clone());
                        continue;
                    }
                },
                None => None,
            };
            let (new_id, new_shred) = store.new_shred_key()?;
            let mut blobs = vec![seal(&plain, &target.all, &new_shred, cleaned)?];
            summary.count(BlobSlot::AttachmentCleaned);
            if let (Some(o), Some(p)) = (&original, &plain_original) {
                blobs.push(seal(p, &target.custodians, &new_shred, o)?);
                summary.count(BlobSlot::AttachmentOriginal);
            }
            updates.push(ContentUpdate {
                target: ContentTarget::Attachment,
                row_id: cleaned.row_id,
                old_shred: cleaned.shred_key.clone(),
                new_shred: new_id,
                blobs,
                notes: Vec::new(),
                details: Vec::new(),
            });
        }
        commit(register, store, run.id, &updates, &options.actor).await?;
    }

    // The reporter's answers: report and identity share the message's own shred key.
    let already = register
        .reseal_done(run.id, BlobSlot::MessageReport)
        .await?;
    let mut after = 0i64;
    loop {
        let pairs = paired_page(register, BlobSlot::MessageReport, after, batch).await?;
        let Some((last, _)) = pairs.last() else { break };
        after = last.row_id;
        let mut updates = Vec::new();
        for (report, identity) in &pairs {
            if already.contains(&report.row_id) {
                summary.already_done = summary.already_done.saturating_add(2);
                continue;
            }
            let old = store.shred_key(&report.shred_key)?;
            let (Some(r), Some(i)) = (
                open_any(content, report, &old)?,
                open_any(content, identity, &old)?,
            ) else {
                summary.not_readable.push(report.label.clone());
                continue;
            };
            let (new_id, new_shred) = store.new_shred_key()?;
            updates.push(ContentUpdate {
                target: ContentTarget::Message,
                row_id: report.row_id,
                old_shred: report.shred_key.clone(),
                new_shred: new_id,
                blobs: vec![
                    seal(&r, &target.all, &new_shred, report)?,
                    seal(&i, &target.custodians, &new_shred, identity)?,
                ],
                notes: Vec::new(),
                details: Vec::new(),
            });
            summary.count(BlobSlot::MessageReport);
            summary.count(BlobSlot::MessageIdentity);
        }
        commit(register, store, run.id, &updates, &options.actor).await?;
    }

    if summary.not_readable.is_empty() {
        register
            .reseal_finish(
                run.id,
                &options.actor,
                &format!("content rotated: {}", summary.line()),
            )
            .await?;
    }
    Ok(summary)
}

/// A page of reports (`slot`: the case's or an answer's) with their identity records, which
/// share their row and shred key and so move together.
async fn paired_page(
    register: &Register,
    slot: BlobSlot,
    after: i64,
    batch: i64,
) -> Result<Vec<(SlotBlob, SlotBlob)>, ResealError> {
    let identity_slot = match slot {
        BlobSlot::MessageReport => BlobSlot::MessageIdentity,
        _ => BlobSlot::CaseIdentity,
    };
    let reports = register.slot_page(slot, after, batch).await?;
    let identities = register.slot_page(identity_slot, after, batch).await?;
    if reports.len() != identities.len()
        || reports
            .iter()
            .zip(&identities)
            .any(|(r, i)| r.row_id != i.row_id)
    {
        return Err(ResealError::Register(
            crate::register::RegisterError::Corrupt(
                "records changed during reseal; run it again".to_owned(),
            ),
        ));
    }
    Ok(reports.into_iter().zip(identities).collect())
}

async fn commit(
    register: &Register,
    store: &KeyStore,
    run_id: i64,
    updates: &[ContentUpdate],
    actor: &str,
) -> Result<(), ResealError> {
    if updates.is_empty() {
        return Ok(());
    }
    failpoint::hit("reseal-before-commit");
    register
        .reseal_replace_content(run_id, updates, actor)
        .await?;
    failpoint::hit("reseal-batch-committed");
    destroy_pending(register, store, actor).await
}
