//! One pass over the folder: finish deletions left from before, then take every message.

use super::gateway::{Gateway, GatewayError, Shutdown};
use super::process::{self, Decision, IntakeContact, SealedCase};
use super::report::DrainReport;
use super::worker::protocol::Request;
use super::worker::{Death, Outcome, WorkerPool};
use crate::config::ContactConfig;
use crate::contact::ReplyToken;
use crate::failpoint;
use crate::imap::{ImapError, Listed, Mailbox, Selected};
use crate::keystore::{KeyStore, KeyStoreError};
use crate::readers::Readers;
use crate::register::{
    today, Deletion, IntakeRef, IntakeRow, NewAttachment, NewCase, NewContact, NewFollowUp,
    NewQuarantine, Position,
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
        for item in listed.into_iter().filter(|l| !finished.contains(&l.uid)) {
            if shutdown.requested() {
                tracing::info!("shutdown requested; stopping after the message in hand");
                break;
            }
            self.take(mailbox, &selected, &item, &mut pool, &readers, report)
                .await?;
        }
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
            self.delete_copy(mailbox, &row, report).await?;
            finished.push(row.at.uid);
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

    async fn take(
        &self,
        mailbox: &mut Mailbox,
        selected: &Selected,
        item: &Listed,
        pool: &mut WorkerPool,
        readers: &Readers,
        report: &mut DrainReport,
    ) -> Result<(), GatewayError> {
        let at = Position {
            mailbox: selected.folder.clone(),
            uidvalidity: selected.uidvalidity,
            uid: item.uid,
        };
        if self.register.left_on_server(&at).await? {
            return Ok(());
        }
        let limits = &self.config.limits;
        if usize::try_from(item.size).unwrap_or(usize::MAX) > limits.max_message_bytes {
            return self.leave_oversized(&at, item, report).await;
        }

        let raw = match mailbox.fetch(item.uid).await {
            Ok(raw) => zeroize::Zeroizing::new(raw),
            // One message the server cannot hand over whole must not block the ones behind it;
            // it is never taken as empty, and is tried again on the next pass.
            Err(e @ (ImapError::NoBody { .. } | ImapError::SizeMismatch { .. })) => {
                tracing::warn!(uid = item.uid, error = %e, "MessageFetchFailed: will retry");
                report.skipped += 1;
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        };
        failpoint::hit("fetched");
        let fingerprint = self.fingerprint(&raw);
        let intake = IntakeRef {
            fingerprint,
            at: at.clone(),
        };

        if let Some(mut row) = self
            .register
            .intake_by_fingerprint(&intake.fingerprint)
            .await?
        {
            return self.recognised(mailbox, &mut row, &at, report).await;
        }

        // Committed before processing starts: if processing takes the process down (out of
        // memory, an abort), the next start knows, and after `max-attempts` the message is kept
        // raw and unparsed instead of stopping intake for every message behind it.
        pool.ready().await?;
        let attempt = self.register.record_attempt(&intake.fingerprint).await?;
        let (shred_id, shred) = self.keys.new_shred_key()?;
        let received_at = today();
        let decision = if exhausted(attempt, &self.config.limits) {
            tracing::warn!(
                uid = item.uid,
                attempts = attempt - 1,
                "ProcessingFailedRepeatedly: kept raw, unparsed"
            );
            Decision::Quarantine(process::Rejection {
                code: "processing-failed-repeatedly".to_owned(),
                detail: format!(
                    "processing this message ended without a result {} times (the gateway was \
                     killed, ran out of memory or aborted); kept raw and unparsed",
                    attempt - 1
                ),
            })
        } else {
            let request = Request {
                shred_key: shred.expose(),
                received_at,
                raw: &raw,
            };
            self.decide_in_worker(pool, &request, attempt, &intake.fingerprint, report)
                .await?
        };

        failpoint::hit("before-commit");
        // The raw message is let go as soon as it is sealed or no longer needed: a 25 MiB
        // message must not be held beside its sealed copy and the database's copies of that.
        let (intake_id, label) = match decision {
            Decision::File(sealed) => {
                drop(raw);
                if let Some((case_id, number)) = self.answered_case(&sealed).await? {
                    let message = follow_up_to_file(sealed, received_at, shred_id, &self.keys)?;
                    let filed = match self
                        .register
                        .file_follow_up(&intake, case_id, &message)
                        .await
                    {
                        Ok(filed) => filed,
                        Err(e) => {
                            return self.filed_elsewhere(mailbox, &intake, &at, e, report).await
                        }
                    };
                    tracing::info!(encrypted = message.encrypted, "FollowUpFiled");
                    report.filed += 1;
                    let row = IntakeRow {
                        id: filed.intake_id,
                        fingerprint: intake.fingerprint,
                        at,
                        deletion: Deletion::Pending,
                        label: number,
                    };
                    failpoint::hit("committed");
                    return self.delete_copy(mailbox, &row, report).await;
                }
                let case = case_to_file(
                    sealed,
                    received_at,
                    shred_id,
                    &self.keys,
                    self.config.contact.as_ref(),
                )?;
                let filed = match self
                    .register
                    .file_case(&intake, &case, &self.config.cases.number_pattern)
                    .await
                {
                    Ok(filed) => filed,
                    Err(e) => return self.filed_elsewhere(mailbox, &intake, &at, e, report).await,
                };
                tracing::info!(
                    encrypted = case.encrypted,
                    signature = case.signature.as_str(),
                    "CaseFiled"
                );
                report.filed += 1;
                (filed.intake_id, filed.number)
            }
            Decision::Quarantine(rejection) => {
                let sealed_raw = process::seal_raw(&raw, readers, &shred)?;
                drop(raw);
                let entry = NewQuarantine {
                    received_at,
                    reason: rejection.code.clone(),
                    detail: rejection.detail.clone(),
                    raw: Some((shred_id, sealed_raw)),
                };
                let filed = match self.register.file_quarantine(&intake, &entry).await {
                    Ok(filed) => filed,
                    Err(e) => return self.filed_elsewhere(mailbox, &intake, &at, e, report).await,
                };
                tracing::warn!(quarantine = filed.id, reason = %rejection.code, "MessageQuarantined");
                report.quarantined += 1;
                (filed.intake_id, format!("quarantine #{}", filed.id))
            }
        };
        failpoint::hit("committed");

        let row = IntakeRow {
            id: intake_id,
            fingerprint: intake.fingerprint,
            at,
            deletion: Deletion::Pending,
            label,
        };
        self.delete_copy(mailbox, &row, report).await
    }

    /// The case a message answers: its reply token names one still held. A token that names
    /// none (forged, mistyped, or of a destroyed case) makes the message a new case.
    async fn answered_case(
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

    /// Has a worker decide the message. A worker killed from outside is replaced and the message
    /// tried again (each try is a durable attempt); running out of its time or memory is the
    /// message's own doing and ends in quarantine at once.
    async fn decide_in_worker(
        &self,
        pool: &mut WorkerPool,
        request: &Request<'_>,
        mut attempt: u32,
        fingerprint: &str,
        report: &mut DrainReport,
    ) -> Result<Decision, GatewayError> {
        let limits = &self.config.limits;
        loop {
            let outcome = pool.decide(request).await?;
            match &outcome {
                Outcome::Answered(reply) => {
                    report.worker_peak_kib = report.worker_peak_kib.max(reply.peak_rss_kib);
                }
                Outcome::Died(death) => {
                    tracing::warn!(reason = death.code(), attempt, "WorkerDied");
                    if death.worth_retrying() && !exhausted(attempt + 1, limits) {
                        attempt = self.register.record_attempt(fingerprint).await?;
                        continue;
                    }
                }
            }
            let killed = matches!(outcome, Outcome::Died(Death::Killed(_)));
            let mut decision = outcome.into_decision(limits).map_err(GatewayError::Setup)?;
            if let Decision::Quarantine(r) = &mut decision {
                if killed {
                    r.detail.push_str(&format!(
                        "; {attempt} attempt(s) (limits.max-attempts is {}); kept raw",
                        limits.max_attempts
                    ));
                }
            }
            return Ok(decision);
        }
    }

    /// A message whose fingerprint is already in the register: filed before (a crash between
    /// commit and deletion, a renumbered folder, or a byte-identical second delivery).
    async fn recognised(
        &self,
        mailbox: &mut Mailbox,
        row: &mut IntakeRow,
        at: &Position,
        report: &mut DrainReport,
    ) -> Result<(), GatewayError> {
        report.recognised += 1;
        // No case number beside a UID in the log: the two together name the sender in the
        // mail server's own logs.
        tracing::info!(
            uid = at.uid,
            "MessageRecognised: filed before; not filing again"
        );
        if row.at != *at {
            self.register.move_intake(row.id, at).await?;
            row.at = at.clone();
        }
        self.delete_copy(mailbox, row, report).await
    }

    /// Filing failed. If another gateway on the same register filed the same message in the
    /// meantime (unique fingerprint), treat it as recognised; otherwise report the failure and
    /// leave the message on the server.
    async fn filed_elsewhere(
        &self,
        mailbox: &mut Mailbox,
        intake: &IntakeRef,
        at: &Position,
        error: crate::register::RegisterError,
        report: &mut DrainReport,
    ) -> Result<(), GatewayError> {
        match self
            .register
            .intake_by_fingerprint(&intake.fingerprint)
            .await
        {
            Ok(Some(mut row)) => self.recognised(mailbox, &mut row, at, report).await,
            _ => Err(error.into()),
        }
    }

    async fn delete_copy(
        &self,
        mailbox: &mut Mailbox,
        row: &IntakeRow,
        report: &mut DrainReport,
    ) -> Result<(), GatewayError> {
        // Only the lease's holder deletes, and only with time to spare on it.
        self.fence().await?;
        match mailbox.flag_deleted(row.at.uidvalidity, row.at.uid).await {
            Ok(()) => {}
            Err(ImapError::CannotDeleteSafely { .. }) => {
                tracing::warn!(
                    uid = row.at.uid,
                    "the server offers neither UIDPLUS nor MOVE; the server copy is left in place"
                );
                report.left += 1;
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        }
        failpoint::hit("flagged-deleted");
        mailbox.expunge(row.at.uidvalidity, row.at.uid).await?;
        failpoint::hit("expunged");
        self.register.mark_deleted(row).await?;
        failpoint::hit("deletion-recorded");
        tracing::info!("ServerCopyDeleted");
        report.deleted += 1;
        Ok(())
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
        report.left += 1;
        Ok(())
    }
}

/// Whether attempt number `attempt` is past `limits.max-attempts`.
fn exhausted(attempt: u32, limits: &crate::config::Limits) -> bool {
    usize::try_from(attempt).unwrap_or(usize::MAX) > limits.max_attempts
}

/// A follow-up message as the register files it into its case (attachments' keys stored
/// first, as for a case).
fn follow_up_to_file(
    sealed: SealedCase,
    received_at: chrono::NaiveDate,
    shred_key: String,
    keys: &KeyStore,
) -> Result<NewFollowUp, KeyStoreError> {
    Ok(NewFollowUp {
        received_at,
        encrypted: sealed.encrypted,
        signature: sealed.signature,
        shred_key,
        attachments: attachments_to_file(sealed.attachments, keys)?,
        report: sealed.report,
        identity: sealed.identity,
    })
}

fn attachments_to_file(
    sealed: Vec<crate::intake::SealedAttachment>,
    keys: &KeyStore,
) -> Result<Vec<NewAttachment>, KeyStoreError> {
    let mut attachments = Vec::with_capacity(sealed.len());
    for a in sealed {
        attachments.push(NewAttachment {
            index: a.index,
            shred_key: keys.store_shred_key(&a.shred)?,
            cleaned: a.cleaned,
            original: a.original,
        });
    }
    Ok(attachments)
}

/// A sealed case as the register files it: each attachment's own shred key is stored durably
/// first, before anything it protects is filed.
pub(crate) fn case_to_file(
    sealed: SealedCase,
    received_at: chrono::NaiveDate,
    shred_key: String,
    keys: &KeyStore,
    contact: Option<&ContactConfig>,
) -> Result<NewCase, KeyStoreError> {
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
            let filed = NewContact::Open {
                key_id: keys.store_shred_key(&key)?,
                record,
                token: crate::contact::seal_text(&key, token.as_str()),
                token_hash: token.hash(),
                encrypted,
            };
            let ack = config.acknowledge.then(|| config.from.new_message_id());
            (Some(filed), ack)
        }
        _ => (None, None),
    };
    let attachments = attachments_to_file(sealed.attachments, keys)?;
    Ok(NewCase {
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
    })
}
