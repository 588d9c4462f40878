//! A case's material held apart (attachments under their own shred keys): opened into the
//! report or the identity record for a reader, found irrelevant by a handler (a 14-day clock,
//! art. 8 of the act), and destroyed at it or sooner. Destruction destroys the
//! attachment's own key, so no copy of it opens again, a register backup included, while the
//! rest of the case opens as before.

use chrono::NaiveDate;
use serde::Serialize;
use zeroize::Zeroizing;

use super::{Desk, DeskError, Opener, ReaderKey, Sealed, Why};
use crate::register::{today, AttachmentCopy, CaseShredSet, EventKind, NewEvent, RegisterError};
use crate::split::{Report, SenderIdentity};
use crate::vault::{self, BlobKind, MAX_RECORD_BYTES};

use super::SCHEDULE;

/// Material found irrelevant, waiting for destruction: an attachment or a note.
#[derive(Debug, Clone, Serialize)]
pub struct IrrelevantItem {
    /// Case number.
    pub number: String,
    /// Attachment position, from 1.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub attachment: Option<u32>,
    /// Note (event id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<i64>,
    /// Found irrelevant on.
    pub found_on: Option<NaiveDate>,
    /// Destroyed by (inclusive): by the daily retention run at the latest.
    pub destroy_by: Option<NaiveDate>,
    /// Days left (negative: overdue, e.g. no retention run).
    pub days_left: Option<i64>,
}

impl Desk {
    /// Puts the data of a report's attachments sealed apart back into it, opened with `key`;
    /// one destroyed (or waiting for it) says so and carries no data.
    /// `first` is the case's number of the report's attachment 1 (1 for the report itself, later
    /// for a follow-up message).
    pub(super) async fn fill_report(
        &self,
        number: &str,
        key: &ReaderKey,
        report: &mut Report,
        first: u32,
    ) -> Result<(), DeskError> {
        let states = self.register.attachment_states(number).await?;
        for (i, a) in report.attachments.iter_mut().enumerate() {
            let index = u32::try_from(i).unwrap_or(u32::MAX).saturating_add(first);
            let state = states.iter().find(|s| s.index == index);
            a.destroy_by = state.and_then(|s| s.destroy_by);
            a.destroyed_on = state.and_then(|s| s.destroyed_on);
            if a.apart && a.destroyed_on.is_none() {
                if let Some(mut data) = self
                    .open_copy(number, index, AttachmentCopy::Cleaned, key)
                    .await?
                {
                    a.data = std::mem::take(&mut *data);
                }
            }
        }
        Ok(())
    }

    /// Puts the originals sealed apart back into an identity record, opened with a
    /// custodian's `key`.
    pub(super) async fn fill_identity(
        &self,
        number: &str,
        key: &ReaderKey,
        identity: &mut SenderIdentity,
        first: u32,
    ) -> Result<(), DeskError> {
        for o in &mut identity.original_attachments {
            if !o.apart {
                continue;
            }
            let index = u32::try_from(o.index)
                .unwrap_or(u32::MAX)
                .saturating_add(first.saturating_sub(1));
            if let Some(mut data) = self
                .open_copy(number, index, AttachmentCopy::Original, key)
                .await?
            {
                o.data = std::mem::take(&mut *data);
            }
        }
        Ok(())
    }

    /// One copy of an attachment, opened with `key`; None when there is none to open (not
    /// filed apart, no original, or destroyed).
    async fn open_copy(
        &self,
        number: &str,
        index: u32,
        copy: AttachmentCopy,
        key: &ReaderKey,
    ) -> Result<Option<Zeroizing<Vec<u8>>>, DeskError> {
        let sealed = match self.register.attachment_copy(number, index, copy).await {
            Ok(Some(sealed)) => sealed,
            Ok(None) | Err(RegisterError::Destroyed(_)) => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        let shred = self.keys.shred_key(&sealed.shred_key)?;
        let plain = vault::open(
            &sealed.blob,
            &shred,
            copy.kind(),
            &key.cert,
            key.passphrase.as_ref(),
            MAX_RECORD_BYTES,
        )
        .map_err(|e| {
            let role = match copy {
                AttachmentCopy::Cleaned => Opener::Handler,
                AttachmentCopy::Original => Opener::Custodian,
            };
            DeskError::unseal(e, Sealed::Attachment(number, index), role)
        })?;
        Ok(Some(plain))
    }

    /// A decision recorded with its reason: the reason must say something (`missing` is the message
    /// saying what is wanted otherwise), the reader is proven by the key that opens the case, `record`
    /// changes the register as that reader, and the reason is sealed as a note headed
    /// `heading`, never stored in the clear.
    pub(super) async fn record_with_reason<T>(
        &self,
        number: &str,
        key: &ReaderKey,
        reason: Zeroizing<Vec<u8>>,
        missing: &'static str,
        heading: &str,
        record: impl AsyncFnOnce(&str) -> Result<T, RegisterError>,
    ) -> Result<T, DeskError> {
        if reason.iter().all(u8::is_ascii_whitespace) {
            return Err(Why::invalid(missing).into());
        }
        let proven = self.prove_reader(number, key).await?;
        let mut text = Zeroizing::new(heading.as_bytes().to_vec());
        text.extend_from_slice(&reason);
        let note = self.seal_note(&text, &proven.shred).await?;
        let actor = proven.actor.into_string();
        let done = record(&actor).await?;
        self.register
            .add_event(
                number,
                &NewEvent {
                    kind: EventKind::Note,
                    on: today(),
                    actor,
                    note: Some(note),
                },
            )
            .await?;
        Ok(done)
    }

    /// A handler finds attachment `index` of case `number` irrelevant to the report: the
    /// reason is sealed as a note, and the attachment is destroyed within 14 days (by the
    /// daily retention run at the latest; `redact_attachment` does it at once). Returns the
    /// day it will be gone by.
    pub async fn mark_irrelevant(
        &self,
        number: &str,
        index: u32,
        key: &ReaderKey,
        reason: Zeroizing<Vec<u8>>,
    ) -> Result<NaiveDate, DeskError> {
        self.record_with_reason(
            number,
            key,
            reason,
            "err-reason-irrelevant-attachment",
            &format!("Załącznik {index} uznany za nieistotny dla zgłoszenia: "),
            async |actor| {
                self.register
                    .mark_attachment_irrelevant(number, index, actor, today())
                    .await
            },
        )
        .await
    }

    /// Destroys an attachment found irrelevant now, before its 14 days are up.
    pub async fn redact_attachment(
        &self,
        number: &str,
        index: u32,
        key: &ReaderKey,
    ) -> Result<crate::register::Destruction, DeskError> {
        let proven = self.prove_reader(number, key).await?;
        let record = self
            .register
            .destroy_attachment(number, index, proven.actor.as_str(), today())
            .await?;
        self.destroy_pending_shreds(&proven.actor).await?;
        Ok(record)
    }

    /// A handler finds note `note` of case `number` irrelevant to the report: as for an
    /// attachment, the reason is sealed as a note and the note is destroyed within 14 days.
    pub async fn mark_note_irrelevant(
        &self,
        number: &str,
        note: i64,
        key: &ReaderKey,
        reason: Zeroizing<Vec<u8>>,
    ) -> Result<NaiveDate, DeskError> {
        self.record_with_reason(
            number,
            key,
            reason,
            "err-reason-irrelevant-note",
            &format!("Notatka #{note} uznana za nieistotną dla zgłoszenia: "),
            async |actor| {
                self.register
                    .mark_note_irrelevant(number, note, actor, today())
                    .await
            },
        )
        .await
    }

    /// Destroys a note found irrelevant now, before its 14 days are up.
    pub async fn redact_note(
        &self,
        number: &str,
        note: i64,
        key: &ReaderKey,
    ) -> Result<crate::register::Destruction, DeskError> {
        let proven = self.prove_reader(number, key).await?;
        let record = self
            .destroy_note(number, note, proven.actor.as_str())
            .await?;
        self.destroy_pending_shreds(&proven.actor).await?;
        Ok(record)
    }

    /// Deletes the note and moves the rest of its case to a new shred key (the shred layer
    /// only: no reader key needed, nothing decrypted); the old key is queued.
    async fn destroy_note(
        &self,
        number: &str,
        note: i64,
        actor: &str,
    ) -> Result<crate::register::Destruction, DeskError> {
        let set = self.register.case_shred_set(number, note).await?;
        let old = self.keys.shred_key(&set.shred_key)?;
        let (new_id, new) = self.keys.new_shred_key()?;
        let moved = (|| -> Result<CaseShredSet, crate::vault::VaultError> {
            Ok(CaseShredSet {
                case_id: set.case_id,
                shred_key: set.shred_key.clone(),
                report: vault::reshred(&set.report, &old, &new, BlobKind::Report)?,
                identity: vault::reshred(&set.identity, &old, &new, BlobKind::Identity)?,
                notes: set
                    .notes
                    .iter()
                    .map(|(id, b)| Ok((*id, vault::reshred(b, &old, &new, BlobKind::Note)?)))
                    .collect::<Result<_, crate::vault::VaultError>>()?,
                details: set
                    .details
                    .iter()
                    .map(|(id, b)| Ok((*id, vault::reshred(b, &old, &new, BlobKind::Detail)?)))
                    .collect::<Result<_, crate::vault::VaultError>>()?,
            })
        })();
        let result = match moved {
            Ok(moved) => self
                .register
                .destroy_note(number, note, actor, today(), &moved, &new_id)
                .await
                .map_err(DeskError::from),
            Err(e) => Err(e.into()),
        };
        if result.is_err() {
            // Nothing was moved under the new key: it protects nothing.
            self.keys.destroy_shred_key(&new_id)?;
        }
        result
    }

    /// Material found irrelevant and not yet destroyed: attachments, then notes.
    pub async fn irrelevant_pending(&self) -> Result<Vec<IrrelevantItem>, DeskError> {
        let today = today();
        Ok(self
            .register
            .irrelevant_pending()
            .await?
            .into_iter()
            .map(|(number, s)| IrrelevantItem {
                number,
                attachment: Some(s.index),
                note: None,
                found_on: s.irrelevant_on,
                destroy_by: s.destroy_by,
                days_left: s.destroy_by.map(|d| (d - today).num_days()),
            })
            .chain(
                self.register
                    .irrelevant_notes()
                    .await?
                    .into_iter()
                    .map(|n| IrrelevantItem {
                        number: n.number,
                        attachment: None,
                        note: Some(n.note),
                        found_on: n.found_on,
                        destroy_by: n.destroy_by,
                        days_left: n.destroy_by.map(|d| (d - today).num_days()),
                    }),
            )
            .collect())
    }

    /// Destroys all material found irrelevant whose 14 days are up (the retention run's
    /// part); with `dry_run`, only names it.
    pub(super) async fn destroy_irrelevant_due(
        &self,
        dry_run: bool,
    ) -> Result<(Vec<crate::register::Destruction>, Vec<String>), DeskError> {
        let today = today();
        let (mut done, mut would) = (Vec::new(), Vec::new());
        for item in self.irrelevant_pending().await? {
            if item.destroy_by.is_none_or(|d| d > today) {
                continue;
            }
            let destroyed = match (item.attachment, item.note) {
                (Some(index), _) if dry_run => {
                    would.push(format!("{} attachment {index}", item.number));
                    continue;
                }
                (None, Some(note)) if dry_run => {
                    would.push(format!("{} note #{note}", item.number));
                    continue;
                }
                (Some(index), _) => self
                    .register
                    .destroy_attachment(&item.number, index, SCHEDULE, today)
                    .await
                    .map_err(DeskError::from),
                (None, Some(note)) => self.destroy_note(&item.number, note, SCHEDULE).await,
                (None, None) => continue,
            };
            match destroyed {
                Ok(d) => done.push(d),
                // Another process got there first.
                Err(DeskError::Register(RegisterError::Conflict(_))) => {}
                Err(e) => return Err(e),
            }
        }
        Ok((done, would))
    }
}
