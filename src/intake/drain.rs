//! One pass over the folder: finish deletions left from before, then take every message in
//! batches (`batch.rs`).

use super::gateway::{Gateway, GatewayError, Shutdown};
use super::process::{IntakeContact, SealedCase};
use super::report::DrainReport;
use crate::config::{ContactConfig, IntakeConfig};
use crate::contact::ReplyToken;
use crate::imap::{Listed, Mailbox, Selected};
use crate::keystore::PendingKeys;
use crate::register::{
    today, IntakeRef, NewAttachment, NewCase, NewContact, NewFollowUp, NewQuarantine, Position,
};

impl Gateway {
    /// Drains the configured folder once.
    pub(super) async fn drain(
        &self,
        mailbox: &mut Mailbox,
        shutdown: &Shutdown,
        report: &mut DrainReport,
    ) -> Result<(), GatewayError> {
        let folder = self.config.mailbox.folder.clone();
        self.reload_fingerprint_key()?;
        let (keyring, readers) = self.load_keys().await?;
        let mut pool = self.worker_pool(&keyring, &readers)?;
        drop(keyring);
        let selected = mailbox.select(&folder).await?;
        if let Some(old) = self
            .register
            .note_uidvalidity(&folder, selected.uidvalidity)
            .await?
        {
            tracing::warn!(
                old,
                new = selected.uidvalidity,
                "UidValidityChanged: the server renumbered the folder; messages are recognised by fingerprint, no stale UID is used"
            );
        }
        let listed = mailbox.list().await?;
        let finished = self
            .finish_pending(mailbox, &selected, &listed, report)
            .await?;
        self.reexamine_left(&selected, &listed).await?;
        let mut queue = Vec::new();
        for item in listed.into_iter().filter(|l| !finished.contains(&l.uid)) {
            let at = position(&selected, item.uid);
            if self.register.left_on_server(&at).await? {
                continue;
            }
            if usize::try_from(item.size).unwrap_or(usize::MAX)
                > self.config.limits.max_message_bytes
            {
                self.leave_oversized(&at, &item, report).await?;
                continue;
            }
            queue.push(item);
        }
        for batch in batches(&queue, &self.config.intake) {
            if shutdown.requested() {
                tracing::info!("shutdown requested; stopping after the batch in hand");
                break;
            }
            self.take_batch(mailbox, &selected, &batch, &mut pool, &readers, report)
                .await?;
        }
        self.keep_pool(pool);
        self.rotate_fingerprint_key().await
    }

    /// Deletes server copies whose case was committed by an earlier run that stopped before
    /// deleting. Only by a UID of the current UIDVALIDITY, and only after checking that the
    /// message there is still the one that was filed. Returns the UIDs it deleted.
    async fn finish_pending(
        &self,
        mailbox: &mut Mailbox,
        selected: &Selected,
        listed: &[Listed],
        report: &mut DrainReport,
    ) -> Result<Vec<u32>, GatewayError> {
        let mut finished = Vec::new();
        for row in self.register.pending_deletions(&selected.folder).await? {
            if row.at.uidvalidity != selected.uidvalidity {
                // Stale UID: never used. The message, if still there, is recognised by its
                // fingerprint when it is fetched again under its new UID.
                continue;
            }
            if !listed.iter().any(|l| l.uid == row.at.uid) {
                // Gone from the folder: our expunge went through before the crash, or (without
                // UIDPLUS) it was moved to the gateway's folder, which must be emptied first.
                self.fence().await?;
                mailbox.purge_moved().await?;
                self.register.mark_deleted(&row).await?;
                report.deleted += 1;
                continue;
            }
            let raw = mailbox.fetch(row.at.uid).await?;
            if self.fingerprint(&raw) != row.fingerprint {
                tracing::warn!(
                    uid = row.at.uid,
                    "UidReassigned: the message at a pending UID is not the one filed; not deleting it"
                );
                continue;
            }
            finished.push(row.at.uid);
            self.delete_batch(mailbox, vec![row], report).await?;
        }
        Ok(finished)
    }

    /// Messages left on the server for being too large are not left forever: once the limit
    /// allows them they are taken like any other, and one removed by hand is forgotten.
    async fn reexamine_left(
        &self,
        selected: &Selected,
        listed: &[Listed],
    ) -> Result<(), GatewayError> {
        let limit = self.config.limits.max_message_bytes;
        for row in self.register.left_on_server_rows(&selected.folder).await? {
            if row.at.uidvalidity != selected.uidvalidity {
                // Renumbered: the position says nothing now; the message, if still there, is
                // listed under a new UID and examined as a new one.
                self.register
                    .resolve_left_on_server(&row, "the folder was renumbered")
                    .await?;
                continue;
            }
            match listed.iter().find(|l| l.uid == row.at.uid) {
                None => {
                    self.register
                        .resolve_left_on_server(&row, "removed from the server by hand")
                        .await?;
                }
                Some(l) if usize::try_from(l.size).unwrap_or(usize::MAX) <= limit => {
                    tracing::info!(
                        uid = l.uid,
                        "LeftOnServerTaken: the size limit now allows it"
                    );
                    self.register
                        .resolve_left_on_server(&row, "taken: the size limit now allows it")
                        .await?;
                }
                Some(_) => {}
            }
        }
        Ok(())
    }

    /// The case a message answers: its reply token names one still held. A token that names
    /// none (forged, mistyped, or of a destroyed case) makes the message a new case.
    pub(super) async fn answered_case(
        &self,
        sealed: &SealedCase,
    ) -> Result<Option<(i64, String)>, GatewayError> {
        let Some(token) = sealed.reply_token.as_deref().and_then(ReplyToken::parse) else {
            return Ok(None);
        };
        let case = self.register.case_for_reply_token(&token.hash()).await?;
        if case.is_none() {
            tracing::info!("UnknownReplyToken: filed as a new case");
        }
        Ok(case)
    }

    async fn leave_oversized(
        &self,
        at: &Position,
        item: &Listed,
        report: &mut DrainReport,
    ) -> Result<(), GatewayError> {
        let limit = self.config.limits.max_message_bytes;
        let intake = IntakeRef {
            // Not downloaded, so no content fingerprint: the position identifies it.
            fingerprint: format!("oversize:{}:{}:{}", at.mailbox, at.uidvalidity, at.uid),
            at: at.clone(),
        };
        let entry = NewQuarantine {
            received_at: today(),
            reason: "message-too-large".to_owned(),
            detail: format!(
                "{} bytes, over the limit of {limit} bytes; not downloaded and left on the server \
                 ({} uid {}): raise limits.max-message-bytes (it is then taken on the next run) \
                 or remove it from the server by hand (its entry then ends by itself)",
                item.size, at.mailbox, at.uid
            ),
            raw: None,
        };
        let filed = self.register.file_quarantine(&intake, &entry).await?;
        tracing::warn!(
            quarantine = filed.id,
            size = item.size,
            limit,
            "MessageTooLarge: left on the server"
        );
        report.quarantined += 1;
        crate::telemetry::metrics().quarantined(&entry.reason);
        report.left += 1;
        Ok(())
    }
}

/// Whether attempt number `attempt` is past `limits.max-attempts`.
pub(super) fn exhausted(attempt: u32, limits: &crate::config::Limits) -> bool {
    usize::try_from(attempt).unwrap_or(usize::MAX) > limits.max_attempts
}

/// Where message `uid` of the selected folder is.
pub(super) fn position(selected: &Selected, uid: u32) -> Position {
    Position {
        mailbox: selected.folder.clone(),
        uidvalidity: selected.uidvalidity,
        uid,
    }
}

/// The queue cut into batches of at most `intake.batch-messages` messages and
/// `intake.batch-bytes` bytes (by RFC822.SIZE); a message larger than that is a batch alone.
pub(super) fn batches(queue: &[Listed], intake: &IntakeConfig) -> Vec<Vec<Listed>> {
    let mut out = Vec::new();
    let mut current: Vec<Listed> = Vec::new();
    let mut bytes = 0usize;
    for item in queue {
        let size = usize::try_from(item.size).unwrap_or(usize::MAX);
        if !current.is_empty()
            && (current.len() >= intake.batch_messages
                || bytes.saturating_add(size) > intake.batch_bytes)
        {
            out.push(std::mem::take(&mut current));
            bytes = 0;
        }
        current.push(*item);
        bytes = bytes.saturating_add(size);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// A follow-up message as the register files it into its case (attachments' keys gathered
/// to be written before the filing commits, as for a case).
pub(super) fn follow_up_to_file(
    sealed: SealedCase,
    received_at: chrono::NaiveDate,
    shred_key: String,
    keys: &mut PendingKeys<'_>,
) -> NewFollowUp {
    NewFollowUp {
        received_at,
        encrypted: sealed.encrypted,
        signature: sealed.signature,
        shred_key,
        attachments: attachments_to_file(sealed.attachments, keys),
        report: sealed.report,
        identity: sealed.identity,
    }
}

fn attachments_to_file(
    sealed: Vec<crate::intake::SealedAttachment>,
    keys: &mut PendingKeys<'_>,
) -> Vec<NewAttachment> {
    sealed
        .into_iter()
        .map(|a| NewAttachment {
            index: a.index,
            shred_key: keys.add(a.shred),
            cleaned: a.cleaned,
            original: a.original,
        })
        .collect()
}

/// A sealed case as the register files it. Each attachment's and the contact's own shred key
/// is gathered in `keys`, to be written durably before anything it protects is filed.
pub(crate) fn case_to_file(
    sealed: SealedCase,
    received_at: chrono::NaiveDate,
    shred_key: String,
    keys: &mut PendingKeys<'_>,
    contact: Option<&ContactConfig>,
) -> NewCase {
    let (new_contact, acknowledgement) = match (sealed.contact, contact) {
        (Some(IntakeContact::Unreachable(why)), Some(_)) => {
            (Some(NewContact::None(why.code().to_owned())), None)
        }
        (
            Some(IntakeContact::Reachable {
                key,
                record,
                encrypted,
            }),
            Some(config),
        ) => {
            let token = ReplyToken::generate();
            let token_text = crate::contact::seal_text(&key, token.as_str());
            let filed = NewContact::Open {
                key_id: keys.add(key),
                record,
                token: token_text,
                token_hash: token.hash(),
                encrypted,
            };
            let ack = config.acknowledge.then(|| config.from.new_message_id());
            (Some(filed), ack)
        }
        _ => (None, None),
    };
    let attachments = attachments_to_file(sealed.attachments, keys);
    NewCase {
        received_at,
        encrypted: sealed.encrypted,
        signature: sealed.signature,
        flags: sealed.flags,
        shred_key,
        report: sealed.report,
        identity: sealed.identity,
        attachments,
        contact: new_contact,
        acknowledgement,
    }
}
