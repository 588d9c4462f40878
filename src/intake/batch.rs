//! One batch of messages: fetched in one round trip, decided by the workers in parallel,
//! filed in one transaction, deleted with one `UID STORE` and one `UID EXPUNGE`.
//!
//! Invariant 1 holds per batch as it held per message: a batch's attempts are recorded before
//! any of it is decided, its shred keys are on disk before its filings commit, and nothing is
//! flagged or expunged before the transaction holding its case or quarantine entry committed.
//! A message tried before (a run died while it was in hand) is taken alone, so a message that
//! takes the gateway down is counted against itself, not against its batch.

use zeroize::Zeroizing;

use super::drain::{case_to_file, exhausted, follow_up_to_file, position};
use super::gateway::{Gateway, GatewayError};
use super::process::{self, Decision, Rejection};
use super::report::DrainReport;
use super::worker::protocol::Request;
use super::worker::{Death, Outcome, WorkerPool};
use crate::failpoint;
use crate::imap::{ImapError, Listed, Mailbox, Selected};
use crate::readers::Readers;
use crate::register::{
    today, Deletion, Filed, Filing, IntakeRef, IntakeRow, NewCase, NewFollowUp, NewQuarantine,
    RegisterError,
};
use crate::telemetry::metrics;
use crate::vault::ShredKey;

/// A message fetched and not recognised: to be decided and filed.
struct Arrival {
    intake: IntakeRef,
    raw: Zeroizing<Vec<u8>>,
}

/// What one arrival is filed as, ready for the batch's transaction.
enum Prepared {
    Case(NewCase),
    FollowUp(i64, NewFollowUp),
    Quarantine(NewQuarantine),
}

impl Gateway {
    /// Takes one batch of listed messages.
    pub(super) async fn take_batch(
        &self,
        mailbox: &mut Mailbox,
        selected: &Selected,
        items: &[Listed],
        pool: &mut WorkerPool,
        readers: &Readers,
        report: &mut DrainReport,
    ) -> Result<(), GatewayError> {
        let started = std::time::Instant::now();
        let uids: Vec<u32> = items.iter().map(|i| i.uid).collect();
        let fetched = mailbox.fetch_many(&uids).await?;
        failpoint::hit("fetched");
        let mut arrivals = Vec::with_capacity(fetched.len());
        for (uid, body) in fetched {
            match body {
                Ok(raw) => arrivals.push(Arrival {
                    intake: IntakeRef {
                        fingerprint: self.fingerprint(&raw),
                        at: position(selected, uid),
                    },
                    raw,
                }),
                // One message the server cannot hand over whole must not block the ones behind
                // it; it is never taken as empty, and is tried again on the next pass.
                Err(e @ (ImapError::NoBody { .. } | ImapError::SizeMismatch { .. })) => {
                    tracing::warn!(uid, error = %e, "MessageFetchFailed: will retry");
                    report.skipped += 1;
                }
                Err(e) => return Err(e.into()),
            }
        }
        let fingerprints: Vec<&str> = arrivals
            .iter()
            .map(|a| a.intake.fingerprint.as_str())
            .collect();
        let filed_before = self.register.intakes_by_fingerprints(&fingerprints).await?;
        let tried_before = self.register.attempts_so_far(&fingerprints).await?;
        let mut fresh: Vec<Arrival> = Vec::new();
        let mut alone = Vec::new();
        let mut done = Vec::new();
        for arrival in arrivals {
            if let Some(row) = filed_before.get(&arrival.intake.fingerprint).cloned() {
                done.push(self.recognised(row, &arrival.intake.at, report).await?);
                continue;
            }
            let twin = fresh
                .iter()
                .any(|f| f.intake.fingerprint == arrival.intake.fingerprint);
            let tried = tried_before
                .get(&arrival.intake.fingerprint)
                .is_some_and(|&n| n > 0);
            if twin || tried {
                alone.push(arrival);
            } else {
                fresh.push(arrival);
            }
        }
        if !fresh.is_empty() {
            done.extend(self.file_arrivals(fresh, pool, readers, report).await?);
        }
        let taken = done.len();
        self.delete_batch(mailbox, done, report).await?;
        for _ in 0..taken {
            metrics().intake_took(started.elapsed());
        }
        for arrival in alone {
            let rows = self
                .file_arrivals(vec![arrival], pool, readers, report)
                .await?;
            let taken = rows.len();
            self.delete_batch(mailbox, rows, report).await?;
            for _ in 0..taken {
                metrics().intake_took(started.elapsed());
            }
        }
        Ok(())
    }

    /// Decides and files `arrivals` together; returns their intake records, deletion pending.
    async fn file_arrivals(
        &self,
        arrivals: Vec<Arrival>,
        pool: &mut WorkerPool,
        readers: &Readers,
        report: &mut DrainReport,
    ) -> Result<Vec<IntakeRow>, GatewayError> {
        // Committed before processing starts: if processing takes the process down (out of
        // memory, an abort), the next start knows, and after `max-attempts` the message is kept
        // raw and unparsed instead of stopping intake for every message behind it.
        pool.ready(arrivals.len()).await?;
        let fingerprints: Vec<&str> = arrivals
            .iter()
            .map(|a| a.intake.fingerprint.as_str())
            .collect();
        let attempts = self.register.record_attempts(&fingerprints).await?;
        tracing::debug!(messages = attempts.len(), "BatchAttemptsRecorded");
        let received_at = today();
        let shreds: Vec<ShredKey> = arrivals.iter().map(|_| ShredKey::generate()).collect();
        let decisions = self
            .decide_all(&arrivals, &shreds, &attempts, received_at, pool, report)
            .await?;
        tracing::debug!(messages = decisions.len(), "BatchDecided");
        failpoint::hit("before-commit");

        let mut keys = self.keys.pending_keys();
        let mut prepared = Vec::with_capacity(arrivals.len());
        let mut intakes = Vec::with_capacity(arrivals.len());
        for ((arrival, shred), decision) in arrivals.into_iter().zip(shreds).zip(decisions) {
            // The raw message is let go as soon as it is sealed or no longer needed.
            let Arrival { intake, raw } = arrival;
            let filing = match decision {
                Decision::File(sealed) => {
                    drop(raw);
                    let shred_id = keys.add(shred);
                    match self.answered_case(&sealed).await? {
                        Some((case_id, _)) => Prepared::FollowUp(
                            case_id,
                            follow_up_to_file(sealed, received_at, shred_id, &mut keys),
                        ),
                        None => Prepared::Case(case_to_file(
                            sealed,
                            received_at,
                            shred_id,
                            &mut keys,
                            self.config.contact.as_ref(),
                        )),
                    }
                }
                Decision::Quarantine(rejection) => {
                    let sealed_raw = process::seal_raw(&raw, readers, &shred)?;
                    drop(raw);
                    Prepared::Quarantine(NewQuarantine {
                        received_at,
                        reason: rejection.code,
                        detail: rejection.detail,
                        raw: Some((keys.add(shred), sealed_raw)),
                    })
                }
            };
            prepared.push(filing);
            intakes.push(intake);
        }
        // Every key on disk, with one sync, before anything it protects is committed.
        let keys_written = keys.len();
        keys.write()?;
        tracing::debug!(keys = keys_written, "BatchKeysWritten");
        let rows = self.commit(&intakes, &prepared, report).await?;
        tracing::debug!(messages = rows.len(), "BatchCommitted");
        Ok(rows)
    }

    /// Files the batch in one transaction; if that fails, one by one, so a message another
    /// gateway filed meanwhile is recognised and the one at fault is found.
    async fn commit(
        &self,
        intakes: &[IntakeRef],
        prepared: &[Prepared],
        report: &mut DrainReport,
    ) -> Result<Vec<IntakeRow>, GatewayError> {
        let filings: Vec<Filing<'_>> = intakes
            .iter()
            .zip(prepared)
            .map(|(intake, p)| match p {
                Prepared::Case(case) => Filing::Case(intake, case),
                Prepared::FollowUp(case_id, message) => Filing::FollowUp(intake, *case_id, message),
                Prepared::Quarantine(entry) => Filing::Quarantine(intake, entry),
            })
            .collect();
        let pattern = &self.config.cases.number_pattern;
        let mut rows = Vec::with_capacity(filings.len());
        match self.register.file_batch(&filings, pattern).await {
            Ok(filed) => {
                for ((filed, intake), p) in filed.into_iter().zip(intakes).zip(prepared) {
                    rows.push(filed_row(filed, intake, p, report));
                }
            }
            Err(e) if filings.len() > 1 => {
                tracing::warn!(error = %e, messages = filings.len(), "BatchCommitFailed: filing one by one");
                for ((filing, intake), p) in filings.iter().zip(intakes).zip(prepared) {
                    let one = self
                        .register
                        .file_batch(std::slice::from_ref(filing), pattern)
                        .await;
                    rows.push(match one.map(|mut f| f.pop()) {
                        Ok(Some(filed)) => filed_row(filed, intake, p, report),
                        Ok(None) => return Err(GatewayError::Setup("a filing was lost".into())),
                        Err(e) => self.filed_elsewhere(intake, e, report).await?,
                    });
                }
            }
            Err(e) => match intakes.first() {
                Some(intake) => rows.push(self.filed_elsewhere(intake, e, report).await?),
                None => return Err(e.into()),
            },
        }
        failpoint::hit("committed");
        Ok(rows)
    }

    /// Each arrival's decision, the workers deciding in parallel. A worker killed from outside
    /// is replaced and its message tried again (each try a durable attempt); running out of its
    /// time or memory is the message's own doing and ends in quarantine at once.
    async fn decide_all(
        &self,
        arrivals: &[Arrival],
        shreds: &[ShredKey],
        attempts: &[u32],
        received_at: chrono::NaiveDate,
        pool: &mut WorkerPool,
        report: &mut DrainReport,
    ) -> Result<Vec<Decision>, GatewayError> {
        let limits = &self.config.limits;
        let requests: Vec<Request<'_>> = arrivals
            .iter()
            .zip(shreds)
            .map(|(a, shred)| Request {
                shred_key: shred.expose(),
                received_at,
                raw: &a.raw,
            })
            .collect();
        let spent: Vec<bool> = attempts.iter().map(|&a| exhausted(a, limits)).collect();
        let asked: Vec<Request<'_>> = requests
            .iter()
            .zip(&spent)
            .filter(|(_, &spent)| !spent)
            .map(|(r, _)| *r)
            .collect();
        let mut outcomes = pool.decide_all(&asked).await?.into_iter();
        let mut decisions = Vec::with_capacity(arrivals.len());
        for (((arrival, request), &attempt), &spent) in
            arrivals.iter().zip(&requests).zip(attempts).zip(&spent)
        {
            if spent {
                tracing::warn!(
                    uid = arrival.intake.at.uid,
                    attempts = attempt - 1,
                    "ProcessingFailedRepeatedly: kept raw, unparsed"
                );
                decisions.push(Decision::Quarantine(Rejection {
                    code: "processing-failed-repeatedly".to_owned(),
                    detail: format!(
                        "processing this message ended without a result {} times (the gateway \
                         was killed, ran out of memory or aborted); kept raw and unparsed",
                        attempt - 1
                    ),
                }));
                continue;
            }
            let first = outcomes.next().ok_or_else(|| {
                GatewayError::Setup("the workers left a message unanswered".to_owned())
            })?;
            let decision = self
                .settle(first, pool, request, attempt, &arrival.intake, report)
                .await?;
            decisions.push(decision);
        }
        Ok(decisions)
    }

    /// A worker's outcome as a decision, trying again in a new worker after a kill from
    /// outside while attempts are left.
    async fn settle(
        &self,
        mut outcome: Outcome,
        pool: &mut WorkerPool,
        request: &Request<'_>,
        mut attempt: u32,
        intake: &IntakeRef,
        report: &mut DrainReport,
    ) -> Result<Decision, GatewayError> {
        let limits = &self.config.limits;
        loop {
            match &outcome {
                Outcome::Answered(reply) => {
                    report.worker_peak_kib = report.worker_peak_kib.max(reply.peak_rss_kib);
                }
                Outcome::Died(death) => {
                    tracing::warn!(reason = death.code(), attempt, "WorkerDied");
                    if death.worth_retrying() && !exhausted(attempt + 1, limits) {
                        attempt = self.register.record_attempt(&intake.fingerprint).await?;
                        outcome = pool.decide(request).await?;
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
    /// commit and deletion, a renumbered folder, or a filing by another gateway). Its record,
    /// moved to where the message is now, to be deleted with the batch.
    async fn recognised(
        &self,
        mut row: IntakeRow,
        at: &crate::register::Position,
        report: &mut DrainReport,
    ) -> Result<IntakeRow, GatewayError> {
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
        Ok(row)
    }

    /// Filing failed. If another gateway on the same register filed the same message in the
    /// meantime (unique fingerprint), it is recognised; otherwise the failure stops the pass
    /// and the message stays on the server.
    async fn filed_elsewhere(
        &self,
        intake: &IntakeRef,
        error: RegisterError,
        report: &mut DrainReport,
    ) -> Result<IntakeRow, GatewayError> {
        match self
            .register
            .intake_by_fingerprint(&intake.fingerprint)
            .await
        {
            Ok(Some(row)) => self.recognised(row, &intake.at, report).await,
            _ => Err(error.into()),
        }
    }

    /// Deletes the server copies of `rows`, all filed and committed: flagged with one command,
    /// expunged with one, their deletion recorded in one transaction.
    pub(super) async fn delete_batch(
        &self,
        mailbox: &mut Mailbox,
        rows: Vec<IntakeRow>,
        report: &mut DrainReport,
    ) -> Result<(), GatewayError> {
        let Some(first) = rows.first() else {
            return Ok(());
        };
        let uidvalidity = first.at.uidvalidity;
        let uids: Vec<u32> = rows.iter().map(|r| r.at.uid).collect();
        // Only the lease's holder deletes, and only with time to spare on it.
        self.fence().await?;
        match mailbox.flag_deleted_many(uidvalidity, &uids).await {
            Ok(()) => {}
            Err(ImapError::CannotDeleteSafely { .. }) => {
                tracing::warn!(
                    messages = uids.len(),
                    "the server offers neither UIDPLUS nor MOVE; the server copies are left in place"
                );
                report.left += uids.len();
                return Ok(());
            }
            Err(e) => return Err(e.into()),
        }
        failpoint::hit("flagged-deleted");
        mailbox.expunge_many(uidvalidity, &uids).await?;
        failpoint::hit("expunged");
        self.register.mark_deleted_all(&rows).await?;
        failpoint::hit("deletion-recorded");
        for _ in &rows {
            tracing::info!("ServerCopyDeleted");
        }
        report.deleted += rows.len();
        Ok(())
    }
}

/// The intake record of a filing just committed, counted and logged.
fn filed_row(
    filed: Filed,
    intake: &IntakeRef,
    prepared: &Prepared,
    report: &mut DrainReport,
) -> IntakeRow {
    let label = match (&filed, prepared) {
        (Filed::Case(c), Prepared::Case(case)) => {
            tracing::info!(
                encrypted = case.encrypted,
                signature = case.signature.as_str(),
                "CaseFiled"
            );
            report.filed += 1;
            metrics().filed();
            c.number.clone()
        }
        (Filed::Case(c), Prepared::FollowUp(_, message)) => {
            tracing::info!(encrypted = message.encrypted, "FollowUpFiled");
            report.filed += 1;
            metrics().filed();
            c.number.clone()
        }
        (Filed::Quarantine(q), Prepared::Quarantine(entry)) => {
            tracing::warn!(quarantine = q.id, reason = %entry.reason, "MessageQuarantined");
            report.quarantined += 1;
            metrics().quarantined(&entry.reason);
            format!("quarantine #{}", q.id)
        }
        (Filed::Case(c), _) => c.number.clone(),
        (Filed::Quarantine(q), _) => format!("quarantine #{}", q.id),
    };
    IntakeRow {
        id: filed.intake_id(),
        fingerprint: intake.fingerprint.clone(),
        at: intake.at.clone(),
        deletion: Deletion::Pending,
        label,
    }
}
