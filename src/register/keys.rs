//! Key lifecycle in the register: reader removal, intake key states, resumable reseal runs and
//! content rotation. Every change commits together with its audit row (invariant 6); a reseal
//! batch commits with its progress, so a crash leaves each record with its old or its new
//! readers, never neither.

use std::collections::HashSet;

use super::chunks;
use super::store::{args, now_rfc3339};
use super::{
    BlobSlot, ContentTarget, ContentUpdate, IntakeKeyState, IntakeKeyStateKind, PkeskUpdate,
    Register, RegisterError, ResealRun, SlotBlob,
};
use crate::audit::Event;
use crate::vault::StoredBlob;

impl Register {
    /// Marks a reader removed (kept for the audit trail), with an audit entry. False if no
    /// active reader has that fingerprint.
    pub async fn remove_reader(
        &self,
        fingerprint: &str,
        actor: &str,
    ) -> Result<bool, RegisterError> {
        self.write(async |tx| {
            let now = now_rfc3339();
            let Some(row) = tx
                .opt(
                    "UPDATE readers",
                    "UPDATE readers SET removed_at = $1 WHERE fingerprint = $2 AND removed_at IS NULL \
                     RETURNING role, name",
                    args![now.as_str(), fingerprint],
                )
                .await?
            else {
                return Ok(false);
            };
            let role: String = row.get("role", "read reader")?;
            let name: String = row.get("name", "read reader")?;
            tx.audit(
                actor,
                Event::ReaderRemoved,
                None,
                &format!("{role} {fingerprint} ({name}); run `sygnal keys reseal` next"),
            )
            .await?;
            Ok(true)
        })
        .await
    }

    /// Registers a trusted signer's public certificate, with an audit entry.
    pub async fn add_trusted_signer(
        &self,
        fingerprint: &str,
        name: &str,
        cert: &[u8],
    ) -> Result<(), RegisterError> {
        self.write(async |tx| {
            let now = now_rfc3339();
            let changed = tx
                .exec(
                    "INSERT INTO trusted_signers",
                    "INSERT INTO trusted_signers (fingerprint, name, cert, added_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (fingerprint) DO NOTHING",
                    args![fingerprint, name, cert, now.as_str()],
                )
                .await?;
            if changed != 1 {
                return Err(RegisterError::Conflict(format!(
                    "{fingerprint} is already a trusted signer"
                )));
            }
            tx.audit("admin", Event::SignerTrusted, None, &format!("{fingerprint} ({name})"))
                .await?;
            Ok(())
        })
        .await
    }

    /// Removes a trusted signer, with an audit entry. False if none has that fingerprint.
    pub async fn remove_trusted_signer(&self, fingerprint: &str) -> Result<bool, RegisterError> {
        self.write(async |tx| {
            let changed = tx
                .exec(
                    "DELETE FROM trusted_signers",
                    "DELETE FROM trusted_signers WHERE fingerprint = $1",
                    args![fingerprint],
                )
                .await?;
            if changed == 1 {
                tx.audit("admin", Event::SignerDistrusted, None, fingerprint)
                    .await?;
            }
            Ok(changed == 1)
        })
        .await
    }

    /// Trusted signers: (fingerprint, name, certificate, added at), in the order added.
    pub async fn trusted_signers(
        &self,
    ) -> Result<Vec<(String, String, Vec<u8>, String)>, RegisterError> {
        let what = "read trusted signer";
        self.all(
            "SELECT trusted_signers",
            "SELECT fingerprint, name, cert, added_at FROM trusted_signers ORDER BY added_at, fingerprint",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.get("fingerprint", what)?,
                r.get("name", what)?,
                r.get("cert", what)?,
                r.get("added_at", what)?,
            ))
        })
        .collect()
    }

    /// Every intake key's lifecycle row.
    pub async fn intake_key_states(&self) -> Result<Vec<IntakeKeyState>, RegisterError> {
        self.all(
            "SELECT intake_keys",
            "SELECT fingerprint, state, created_at, superseded_at, grace_until, retired_at \
             FROM intake_keys ORDER BY created_at, fingerprint",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            let what = "read intake_keys";
            let state: String = r.get("state", what)?;
            Ok(IntakeKeyState {
                fingerprint: r.get("fingerprint", what)?,
                state: IntakeKeyStateKind::parse(&state).ok_or_else(|| {
                    RegisterError::Corrupt(format!("intake_keys.state = {state}"))
                })?,
                created_at: r.get("created_at", what)?,
                superseded_at: r.get("superseded_at", what)?,
                grace_until: r.get("grace_until", what)?,
                retired_at: r.get("retired_at", what)?,
            })
        })
        .collect()
    }

    /// Makes `fingerprint` current; other current keys enter grace until `grace_until`. One
    /// transaction with its audit row (`event`).
    pub async fn record_intake_current(
        &self,
        fingerprint: &str,
        grace_until: &str,
        event: Event,
    ) -> Result<(), RegisterError> {
        self.write(async |tx| {
            let now = now_rfc3339();
            let superseded = tx
                .all(
                    "UPDATE intake_keys",
                    "UPDATE intake_keys SET state = 'grace', superseded_at = $1, grace_until = $2 \
                     WHERE state = 'current' AND fingerprint <> $3 RETURNING fingerprint",
                    args![now.as_str(), grace_until, fingerprint],
                )
                .await?;
            tx.exec(
                "INSERT INTO intake_keys",
                "INSERT INTO intake_keys (fingerprint, state, created_at) VALUES ($1, 'current', $2) \
                 ON CONFLICT (fingerprint) DO UPDATE SET state = 'current', superseded_at = NULL, \
                 grace_until = NULL",
                args![fingerprint, now.as_str()],
            )
            .await?;
            let old: Vec<String> = superseded
                .iter()
                .filter_map(|r| r.get::<String>("fingerprint", "read intake_keys").ok())
                .collect();
            let detail = if old.is_empty() {
                fingerprint.to_owned()
            } else {
                format!(
                    "{fingerprint} replaces {} (grace until {grace_until})",
                    old.join(", ")
                )
            };
            tx.audit("admin", event, None, &detail).await?;
            Ok(())
        })
        .await
    }

    /// Records a key found in the key folder but unknown to the register (keys made before the
    /// lifecycle existed), without changing others.
    pub async fn adopt_intake_key(
        &self,
        fingerprint: &str,
        state: IntakeKeyStateKind,
    ) -> Result<(), RegisterError> {
        let now = now_rfc3339();
        let superseded = (state != IntakeKeyStateKind::Current).then_some(now.as_str());
        self.exec(
            "INSERT INTO intake_keys",
            "INSERT INTO intake_keys (fingerprint, state, created_at, superseded_at) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (fingerprint) DO NOTHING",
            args![fingerprint, state.as_str(), now.as_str(), superseded],
        )
        .await?;
        Ok(())
    }

    /// Records that a key's secret parts were destroyed, with an audit entry.
    pub async fn record_intake_retired(&self, fingerprint: &str) -> Result<(), RegisterError> {
        self.write(async |tx| {
            let now = now_rfc3339();
            tx.exec(
                "UPDATE intake_keys",
                "UPDATE intake_keys SET state = 'retired', retired_at = $1 WHERE fingerprint = $2",
                args![now.as_str(), fingerprint],
            )
            .await?;
            tx.audit(
                "admin",
                Event::IntakeKeyRetired,
                None,
                &format!("{fingerprint}: secret key overwritten and removed"),
            )
            .await?;
            Ok(())
        })
        .await
    }

    /// Number of blobs in a slot.
    pub async fn slot_count(&self, slot: BlobSlot) -> Result<i64, RegisterError> {
        self.one("SELECT COUNT", slot.count_sql(), &[])
            .await?
            .get("n", "SELECT COUNT")
    }

    /// Up to `limit` blobs of a slot with row id above `after`, in id order.
    pub async fn slot_page(
        &self,
        slot: BlobSlot,
        after: i64,
        limit: i64,
    ) -> Result<Vec<SlotBlob>, RegisterError> {
        let rows = self
            .all(
                "SELECT sealed blobs",
                slot.select_page_sql(),
                args![after, limit],
            )
            .await?;
        let mut page = Vec::with_capacity(rows.len());
        for r in rows {
            let what = "read sealed blob";
            let row_id: i64 = r.get("id", what)?;
            let body: Vec<u8> = r.get("body", what)?;
            let body = match slot.chunk_owner() {
                Some(prefix) => chunks::read(self, &chunks::owner(prefix, row_id), body).await?,
                None => body,
            };
            page.push(SlotBlob {
                slot,
                row_id,
                label: r.get("label", what)?,
                shred_key: r.get("shred_key", what)?,
                blob: StoredBlob {
                    pkesks: r.get("pkesks", what)?,
                    body,
                },
            });
        }
        Ok(page)
    }

    /// Resumes the unfinished run with the same target, or starts one (audit `ResealStarted`).
    /// Unfinished runs with another target are closed: their blobs are readable by either set.
    pub async fn reseal_begin(
        &self,
        target: &str,
        rotate_content: bool,
        actor: &str,
    ) -> Result<ResealRun, RegisterError> {
        self.write(async |tx| {
            let open = tx
                .opt(
                    "SELECT reseal_runs",
                    "SELECT id, done_count FROM reseal_runs WHERE finished_at IS NULL AND target = $1 \
                     AND rotate_content = $2 ORDER BY id DESC LIMIT 1",
                    args![target, i64::from(rotate_content)],
                )
                .await?;
            if let Some(r) = open {
                let id: i64 = r.get("id", "read reseal_runs")?;
                let done_count: i64 = r.get("done_count", "read reseal_runs")?;
                tx.audit(
                    actor,
                    Event::ResealResumed,
                    None,
                    &format!("run {id}, {done_count} blobs already done"),
                )
                .await?;
                return Ok(ResealRun {
                    id,
                    resumed: true,
                    done_count,
                });
            }
            let now = now_rfc3339();
            tx.exec(
                "UPDATE reseal_runs",
                "UPDATE reseal_runs SET finished_at = $1 WHERE finished_at IS NULL",
                args![now.as_str()],
            )
            .await?;
            let id: i64 = tx
                .one(
                    "INSERT INTO reseal_runs",
                    "INSERT INTO reseal_runs (started_at, target, rotate_content) VALUES ($1, $2, $3) \
                     RETURNING id",
                    args![now.as_str(), target, i64::from(rotate_content)],
                )
                .await?
                .get("id", "INSERT INTO reseal_runs")?;
            tx.audit(
                actor,
                Event::ResealStarted,
                None,
                &format!("run {id} to {target}"),
            )
            .await?;
            Ok(ResealRun {
                id,
                resumed: false,
                done_count: 0,
            })
        })
        .await
    }

    /// Row ids a run already committed in a slot.
    pub async fn reseal_done(
        &self,
        run_id: i64,
        slot: BlobSlot,
    ) -> Result<HashSet<i64>, RegisterError> {
        self.all(
            "SELECT reseal_done",
            "SELECT row_id FROM reseal_done WHERE run_id = $1 AND slot = $2",
            args![run_id, slot.as_str()],
        )
        .await?
        .iter()
        .map(|r| r.get("row_id", "read reseal_done"))
        .collect()
    }

    /// Commits a batch of re-wrapped blobs with the run's progress. A blob whose PKESKs changed
    /// since they were read (another writer) makes the whole batch fail.
    pub async fn reseal_commit(
        &self,
        run_id: i64,
        updates: &[PkeskUpdate],
    ) -> Result<(), RegisterError> {
        self.write(async |tx| {
            for u in updates {
                let changed = tx
                    .exec(
                        "UPDATE pkesks",
                        u.slot.update_sql(),
                        args![u.new_pkesks.as_slice(), u.row_id, u.old_pkesks.as_slice()],
                    )
                    .await?;
                if changed != 1 {
                    return Err(RegisterError::Corrupt(format!(
                        "{} row {} changed during reseal; run it again",
                        u.slot.as_str(),
                        u.row_id
                    )));
                }
                tx.exec(
                    "INSERT INTO reseal_done",
                    "INSERT INTO reseal_done (run_id, slot, row_id) VALUES ($1, $2, $3)",
                    args![run_id, u.slot.as_str(), u.row_id],
                )
                .await?;
            }
            let n = i64::try_from(updates.len()).unwrap_or(i64::MAX);
            tx.exec(
                "UPDATE reseal_runs",
                "UPDATE reseal_runs SET done_count = done_count + $1 WHERE id = $2",
                args![n, run_id],
            )
            .await?;
            Ok(())
        })
        .await
    }

    /// When readers last changed, if that was after the last completed reseal and records
    /// sealed before the change exist: those still decrypt for a removed reader's key (the
    /// desk refuses it, the ciphertext does not) and not for one added since.
    pub async fn reseal_pending_since(&self) -> Result<Option<String>, RegisterError> {
        let r = self
            .one(
                "SELECT reader changes",
                "SELECT \
                 (SELECT MAX(id) FROM audit WHERE action IN ('ReaderAdded', 'ReaderRemoved', \
                  'ReaderRoleChanged')) AS changed, \
                 (SELECT MAX(id) FROM audit WHERE action = 'ResealCompleted') AS resealed, \
                 (SELECT MIN(id) FROM audit WHERE action IN ('CaseFiled', 'MessageQuarantined')) \
                  AS first_sealed",
                &[],
            )
            .await?;
        let what = "read reader changes";
        let changed: Option<i64> = r.get("changed", what)?;
        let resealed: Option<i64> = r.get("resealed", what)?;
        let first_sealed: Option<i64> = r.get("first_sealed", what)?;
        let Some(changed) = changed else {
            return Ok(None);
        };
        let pending = changed > resealed.unwrap_or(0) && first_sealed.is_some_and(|f| f < changed);
        if !pending {
            return Ok(None);
        }
        let at = self
            .one(
                "SELECT reader change",
                "SELECT at FROM audit WHERE id = $1",
                args![changed],
            )
            .await?;
        Ok(Some(at.get("at", what)?))
    }

    /// Closes a run (audit `ResealCompleted` with the counts).
    pub async fn reseal_finish(
        &self,
        run_id: i64,
        actor: &str,
        summary: &str,
    ) -> Result<(), RegisterError> {
        self.write(async |tx| {
            let now = now_rfc3339();
            tx.exec(
                "UPDATE reseal_runs",
                "UPDATE reseal_runs SET finished_at = $1 WHERE id = $2",
                args![now.as_str(), run_id],
            )
            .await?;
            tx.audit(
                actor,
                Event::ResealCompleted,
                None,
                &format!("run {run_id}: {summary}"),
            )
            .await?;
            Ok(())
        })
        .await
    }

    /// Commits a batch of content rotations with the run's progress; shred keys no row uses
    /// any more are recorded for destruction in the same transaction.
    pub async fn reseal_replace_content(
        &self,
        run_id: i64,
        updates: &[ContentUpdate],
        actor: &str,
    ) -> Result<(), RegisterError> {
        self.write(async |tx| {
            let mut blobs: i64 = 0;
            for u in updates {
                let (changed, slots): (u64, &[BlobSlot]) = match (u.target, u.blobs.as_slice()) {
                    // A case and a reporter's answer hold a report and an identity record under
                    // one shred key, in columns of the same names.
                    (ContentTarget::Case | ContentTarget::Message, [report, identity]) => {
                        let (table, slots): (&str, &[BlobSlot]) = if u.target == ContentTarget::Case {
                            ("cases", &[BlobSlot::CaseReport, BlobSlot::CaseIdentity])
                        } else {
                            (
                                "case_messages",
                                &[BlobSlot::MessageReport, BlobSlot::MessageIdentity],
                            )
                        };
                        let sql = format!(
                            "UPDATE {table} SET shred_key = $1, report_pkesks = $2, report_body = $3, \
                             identity_pkesks = $4, identity_body = $5 WHERE id = $6 AND shred_key = $7"
                        );
                        (
                            tx.exec(
                                "UPDATE content",
                                &sql,
                                args![
                                    u.new_shred.as_str(),
                                    report.pkesks.as_slice(),
                                    chunks::column(&report.body),
                                    identity.pkesks.as_slice(),
                                    chunks::column(&identity.body),
                                    u.row_id,
                                    u.old_shred.as_str()
                                ],
                            )
                            .await?,
                            slots,
                        )
                    }
                    (ContentTarget::Quarantine, [raw]) => (
                        tx.exec(
                            "UPDATE content",
                            "UPDATE quarantine SET shred_key = $1, raw_pkesks = $2, raw_body = $3 \
                             WHERE id = $4 AND shred_key = $5",
                            args![
                                u.new_shred.as_str(),
                                raw.pkesks.as_slice(),
                                chunks::column(&raw.body),
                                u.row_id,
                                u.old_shred.as_str()
                            ],
                        )
                        .await?,
                        &[BlobSlot::QuarantineRaw],
                    ),
                    (ContentTarget::Attachment, [cleaned, rest @ ..]) if rest.len() <= 1 => {
                        let original = rest.first();
                        (
                            tx.exec(
                                "UPDATE content",
                                "UPDATE case_attachments SET shred_key = $1, cleaned_pkesks = $2, \
                                 cleaned_body = $3, original_pkesks = $4, original_body = $5 \
                                 WHERE id = $6 AND shred_key = $7",
                                args![
                                    u.new_shred.as_str(),
                                    cleaned.pkesks.as_slice(),
                                    chunks::column(&cleaned.body),
                                    original.map(|o| o.pkesks.as_slice()),
                                    original.map(|o| chunks::column(&o.body)),
                                    u.row_id,
                                    u.old_shred.as_str()
                                ],
                            )
                            .await?,
                            &[BlobSlot::AttachmentCleaned],
                        )
                    }
                    _ => {
                        return Err(RegisterError::Corrupt(
                            "content update with the wrong number of blobs".to_owned(),
                        ))
                    }
                };
                if changed != 1 {
                    return Err(RegisterError::Corrupt(format!(
                        "row {} changed during reseal; run it again",
                        u.row_id
                    )));
                }
                match (u.target, u.blobs.as_slice()) {
                    (ContentTarget::Case | ContentTarget::Message, [report, identity]) => {
                        for (slot, blob) in slots.iter().zip([report, identity]) {
                            let owner = chunks::owner(slot.chunk_owner().unwrap_or_default(), u.row_id);
                            chunks::write(tx, &owner, &blob.body).await?;
                        }
                    }
                    (ContentTarget::Quarantine, [raw]) => {
                        chunks::write(tx, &chunks::owner("quarantine.raw", u.row_id), &raw.body)
                            .await?;
                    }
                    (ContentTarget::Attachment, [cleaned, rest @ ..]) => {
                        let owner = |slot: BlobSlot| {
                            chunks::owner(slot.chunk_owner().unwrap_or_default(), u.row_id)
                        };
                        chunks::write(tx, &owner(BlobSlot::AttachmentCleaned), &cleaned.body)
                            .await?;
                        let original = rest.first().map_or(&[][..], |o| o.body.as_slice());
                        chunks::write(tx, &owner(BlobSlot::AttachmentOriginal), original).await?;
                    }
                    _ => {}
                }
                if u.target == ContentTarget::Case {
                    let sealed_notes: i64 = tx
                        .one(
                            "count case notes",
                            "SELECT COUNT(*) AS n FROM case_events WHERE case_id = $1 AND note_pkesks IS NOT NULL",
                            args![u.row_id],
                        )
                        .await?
                        .get("n", "count case notes")?;
                    if usize::try_from(sealed_notes).ok() != Some(u.notes.len()) {
                        return Err(RegisterError::Corrupt(format!(
                            "case row {} got a note during reseal; run it again",
                            u.row_id
                        )));
                    }
                }
                if u.target == ContentTarget::Case {
                    let sealed_details: i64 = tx
                        .one(
                            "count sealed details",
                            "SELECT COUNT(*) AS n FROM sealed_details WHERE case_id = $1",
                            args![u.row_id],
                        )
                        .await?
                        .get("n", "count sealed details")?;
                    if usize::try_from(sealed_details).ok() != Some(u.details.len()) {
                        return Err(RegisterError::Corrupt(format!(
                            "case row {} got an identity event during reseal; run it again",
                            u.row_id
                        )));
                    }
                }
                for (audit_id, detail) in &u.details {
                    tx.exec(
                        "UPDATE sealed_details",
                        "UPDATE sealed_details SET pkesks = $1, body = $2 WHERE audit_id = $3 AND case_id = $4",
                        args![detail.pkesks.as_slice(), detail.body.as_slice(), *audit_id, u.row_id],
                    )
                    .await?;
                }
                // Content rotation decrypted this record's identity (or raw message with its
                // sender details): an identity read, one entry each (invariant 6).
                match u.target {
                    ContentTarget::Case => {
                        let number: String = tx
                            .one("SELECT case number", "SELECT number FROM cases WHERE id = $1", args![u.row_id])
                            .await?
                            .get("number", "SELECT case number")?;
                        tx.audit(actor, Event::IdentityResealed, Some(&number), "content re-encrypted")
                            .await?;
                    }
                    ContentTarget::Quarantine => {
                        tx.audit(
                            actor,
                            Event::IdentityResealed,
                            None,
                            &format!("quarantine #{}: raw message re-encrypted", u.row_id),
                        )
                        .await?;
                    }
                    // An original (with the metadata cleaning removed) was decrypted.
                    ContentTarget::Attachment if u.blobs.len() == 2 => {
                        let row = tx
                            .one(
                                "SELECT attachment's case",
                                "SELECT c.number AS number, a.idx AS idx FROM case_attachments a \
                                 JOIN cases c ON c.id = a.case_id WHERE a.id = $1",
                                args![u.row_id],
                            )
                            .await?;
                        let number: String = row.get("number", "SELECT attachment's case")?;
                        let idx: i64 = row.get("idx", "SELECT attachment's case")?;
                        tx.audit(
                            actor,
                            Event::IdentityResealed,
                            Some(&number),
                            &format!("attachment {idx}: original re-encrypted"),
                        )
                        .await?;
                    }
                    ContentTarget::Message => {
                        let row = tx
                            .one(
                                "SELECT message's case",
                                "SELECT c.number AS number, m.seq AS seq FROM case_messages m \
                                 JOIN cases c ON c.id = m.case_id WHERE m.id = $1",
                                args![u.row_id],
                            )
                            .await?;
                        let number: String = row.get("number", "SELECT message's case")?;
                        let seq: i64 = row.get("seq", "SELECT message's case")?;
                        tx.audit(
                            actor,
                            Event::IdentityResealed,
                            Some(&number),
                            &format!("message {seq}: content re-encrypted"),
                        )
                        .await?;
                    }
                    ContentTarget::Attachment => {}
                }
                for (event_id, note) in &u.notes {
                    let changed = tx
                        .exec(
                            "UPDATE case_events note",
                            "UPDATE case_events SET note_pkesks = $1, note_body = $2 WHERE id = $3 AND case_id = $4",
                            args![
                                note.pkesks.as_slice(),
                                note.body.as_slice(),
                                *event_id,
                                u.row_id
                            ],
                        )
                        .await?;
                    if changed != 1 {
                        return Err(RegisterError::Corrupt(format!(
                            "note {event_id} changed during reseal; run it again"
                        )));
                    }
                }
                for slot in slots {
                    tx.exec(
                        "INSERT INTO reseal_done",
                        "INSERT INTO reseal_done (run_id, slot, row_id) VALUES ($1, $2, $3)",
                        args![run_id, slot.as_str(), u.row_id],
                    )
                    .await?;
                    blobs = blobs.saturating_add(1);
                }
                let users: i64 = tx
                    .one(
                        "count shred key users",
                        "SELECT (SELECT COUNT(*) FROM cases WHERE shred_key = $1) + \
                                (SELECT COUNT(*) FROM quarantine WHERE shred_key = $1) + \
                                (SELECT COUNT(*) FROM case_attachments WHERE shred_key = $1) + \
                                (SELECT COUNT(*) FROM case_messages WHERE shred_key = $1) AS n",
                        args![u.old_shred.as_str()],
                    )
                    .await?
                    .get("n", "count shred key users")?;
                if users == 0 {
                    tx.exec(
                        "INSERT INTO reseal_shred_pending",
                        "INSERT INTO reseal_shred_pending (shred_key) VALUES ($1) \
                         ON CONFLICT DO NOTHING",
                        args![u.old_shred.as_str()],
                    )
                    .await?;
                }
            }
            tx.exec(
                "UPDATE reseal_runs",
                "UPDATE reseal_runs SET done_count = done_count + $1 WHERE id = $2",
                args![blobs, run_id],
            )
            .await?;
            Ok(())
        })
        .await
    }

    /// Shred keys waiting to be destroyed (after a content rotation, or whose quarantined raw
    /// message was filed or discarded), with why.
    pub async fn pending_shreds(&self) -> Result<Vec<(String, String)>, RegisterError> {
        let what = "read reseal_shred_pending";
        self.all(
            "SELECT reseal_shred_pending",
            "SELECT shred_key, why FROM reseal_shred_pending ORDER BY shred_key",
            &[],
        )
        .await?
        .iter()
        .map(|r| Ok((r.get("shred_key", what)?, r.get("why", what)?)))
        .collect()
    }

    /// Records a destroyed shred key (audit `ShredKeyDestroyed`, saying why).
    pub async fn shred_destroyed(
        &self,
        id: &str,
        why: &str,
        actor: &str,
    ) -> Result<(), RegisterError> {
        self.write(async |tx| {
            tx.exec(
                "DELETE FROM reseal_shred_pending",
                "DELETE FROM reseal_shred_pending WHERE shred_key = $1",
                args![id],
            )
            .await?;
            tx.audit(
                actor,
                Event::ShredKeyDestroyed,
                None,
                &format!("shred key {id}: {why}"),
            )
            .await?;
            Ok(())
        })
        .await
    }
}
