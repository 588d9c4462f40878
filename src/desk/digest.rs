//! The daily deadline digest: each handler gets, once a day when deadlines are near, an e-mail
//! encrypted to their key with the case numbers, which deadline and its date: nothing of a
//! report, nobody's details. A handler who does not run `cases due` every morning still learns
//! that an acknowledgement or feedback is due before it is missed.
//!
//! The address is the one in the handler's certificate (the user ID they gave with their key).
//! One row per day and handler in the register keeps it to one a day across restarts and
//! replicas (see [`crate::register::Register::begin_digest`]).

use chrono::NaiveDate;
use serde::Serialize;

use super::{Desk, DeskError, DueItem};
use crate::cases::DeadlineKind;
use crate::config::ContactConfig;
use crate::contact::{self, AutoSubmitted, Outgoing};
use crate::i18n::Texts;
use crate::intake::Replica;
use crate::openpgp;
use crate::readers::Readers;
use crate::register::{today, Acquired, DigestAttempt};
use crate::smtp::{Sender, SmtpError};

/// One process at a time sends digests.
const DIGEST_LEASE: &str = "deadline-digest";
const DIGEST_LEASE_MS: i64 = 600_000;
/// Wait before trying a handler's digest again after a temporary failure.
const DIGEST_RETRY_MINUTES: i64 = 30;

/// What one pass of the deadline digest did.
#[derive(Debug, Default, Serialize)]
pub struct DigestRun {
    /// Deadlines in the digest (0: nothing near, nothing sent).
    pub deadlines: usize,
    /// Handlers whose digest the server accepted.
    pub sent: usize,
    /// Of those, sent again after an interrupted attempt (same Message-ID).
    pub resent: usize,
    /// To be tried again later.
    pub retrying: usize,
    /// Failed for good today.
    pub failed: usize,
    /// Handlers whose certificate names no e-mail address: nothing sent to them.
    pub no_address: Vec<String>,
    /// Nothing was done: another gateway process sends digests now (who).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub running_elsewhere: Option<String>,
}

/// The digest's subject and body: case numbers, deadlines and dates, in `tx`'s language.
pub(super) fn digest_text(
    tx: &Texts,
    day: NaiveDate,
    days: i64,
    items: &[DueItem],
) -> (String, String) {
    let day_text = day.to_string();
    let subject = tx.text(
        "digest-subject",
        Some(&crate::fluent_args!(day = day_text.as_str())),
    );
    let mut body = tx.text(
        "digest-intro",
        Some(&crate::fluent_args!(day = day_text.as_str(), days = days)),
    );
    body.push_str("\n\n");
    for item in items {
        let mut line = tx.text(
            "digest-line",
            Some(&crate::fluent_args!(
                number = item.number.as_str(),
                deadline = tx.deadline(item.deadline),
                when = tx.when(item.due, item.days_left)
            )),
        );
        if item.deadline == DeadlineKind::DestroyIrrelevant {
            if let Some(a) = item.attachment {
                line.push_str(
                    &tx.text("due-attachment", Some(&crate::fluent_args!(attachment = a))),
                );
            }
            if let Some(n) = item.note {
                line.push_str(&tx.text("due-note", Some(&crate::fluent_args!(note = n))));
            }
        }
        body.push_str(&line);
        body.push('\n');
    }
    body.push('\n');
    body.push_str(&tx.text("digest-details", None));
    body.push_str("\n\n-- \n");
    body.push_str(&tx.text("digest-footer", None));
    body.push('\n');
    (subject, body)
}

/// A handler the digest goes to.
struct Recipient {
    fingerprint: String,
    address: Option<String>,
    cert: Vec<u8>,
}

impl Desk {
    /// Sends today's deadline digest to every handler who has not had it yet, when deadlines
    /// are missed or due within `[contact] deadline-digest-days`. Nothing to do without
    /// `[contact]`, with the digest turned off, or when nothing is near.
    pub async fn send_deadline_digests(&self) -> Result<DigestRun, DeskError> {
        let mut run = DigestRun::default();
        let Some(config) = &self.config.contact else {
            return Ok(run);
        };
        let Some(days) = config.deadline_digest_days else {
            return Ok(run);
        };
        let day = today();
        let recipients = self.digest_recipients().await?;
        let settled = self.register.digests_on(day).await?;
        let open = |r: &&Recipient| {
            !settled
                .iter()
                .any(|s| s.reader == r.fingerprint && matches!(s.state.as_str(), "sent" | "failed"))
        };
        if !recipients.iter().any(|r| open(&r)) {
            return Ok(run);
        }
        let items = self.due(Some(days)).await?;
        run.deadlines = items.len();
        if items.is_empty() {
            return Ok(run);
        }
        let me = Replica::new();
        let gone = |h: &str| me.holder_gone(h);
        let lease = match self
            .register
            .acquire_lease(DIGEST_LEASE, &me.id, DIGEST_LEASE_MS, &gone, None)
            .await?
        {
            Acquired::Held { lease, .. } => lease,
            Acquired::Busy { holder, .. } => {
                run.running_elsewhere = Some(holder);
                return Ok(run);
            }
        };
        let tx = Texts::new(config.language);
        let (subject, body) = digest_text(&tx, day, days, &items);
        let result = self
            .send_digests(config, day, &recipients, &subject, &body, &mut run)
            .await;
        if let Err(e) = self
            .register
            .release_lease(DIGEST_LEASE, &me.id, lease.token)
            .await
        {
            tracing::warn!(error = %e, "LeaseNotReleased: it lapses by itself");
        }
        result?;
        if run.sent + run.retrying + run.failed > 0 {
            // Counts only: an address next to a case number in a log would say who works what.
            tracing::info!(
                deadlines = run.deadlines,
                sent = run.sent,
                resent = run.resent,
                retrying = run.retrying,
                failed = run.failed,
                "DeadlineDigestSent"
            );
        }
        Ok(run)
    }

    /// The readers sealed to (removed, unapproved and unusable ones get nothing), with the
    /// address in their certificate.
    async fn digest_recipients(&self) -> Result<Vec<Recipient>, DeskError> {
        let set = Readers::load(&self.register).await?;
        set.members
            .iter()
            .map(|m| {
                Ok(Recipient {
                    fingerprint: m.fingerprint.clone(),
                    address: openpgp::cert_email(&m.cert),
                    cert: openpgp::cert_bytes(&m.cert)
                        .map_err(|e| DeskError::Failed(e.to_string()))?,
                })
            })
            .collect()
    }

    /// For `doctor`: readers the digest cannot reach, and today's digests that failed.
    pub(super) async fn digest_checks(
        &self,
        warnings: &mut Vec<String>,
        checked: &mut Vec<String>,
    ) -> Result<(), DeskError> {
        let Some(days) = self
            .config
            .contact
            .as_ref()
            .and_then(|c| c.deadline_digest_days)
        else {
            return Ok(());
        };
        let recipients = self.digest_recipients().await?;
        let mut reachable = 0;
        for r in &recipients {
            if r.address.is_some() {
                reachable += 1;
            } else {
                warnings.push(format!(
                    "reader {} gets no deadline digest: the digest goes to the address \
                     in the key's user ID, and their key names none",
                    r.fingerprint
                ));
            }
        }
        checked.push(format!(
            "deadline digest (deadlines within {days} days) goes to {reachable} of {} reader(s)",
            recipients.len()
        ));
        for row in self.register.digests_on(today()).await? {
            if row.state == "failed" {
                warnings.push(format!(
                    "today's deadline digest to reader {} failed after {} attempt(s): {}",
                    row.reader, row.attempts, row.last_error
                ));
            }
        }
        Ok(())
    }

    async fn send_digests(
        &self,
        config: &ContactConfig,
        day: NaiveDate,
        recipients: &[Recipient],
        subject: &str,
        body: &str,
        run: &mut DigestRun,
    ) -> Result<(), DeskError> {
        let sender = Sender::new(&config.smtp).map_err(|e| DeskError::Failed(e.to_string()))?;
        for r in recipients {
            let Some(to) = &r.address else {
                run.no_address.push(r.fingerprint.clone());
                continue;
            };
            let (message_id, resend) = match self
                .register
                .begin_digest(day, &r.fingerprint, &config.from.new_message_id())
                .await?
            {
                DigestAttempt::Skip => continue,
                DigestAttempt::Send { message_id, resend } => (message_id, resend),
            };
            let message = contact::compose(&Outgoing {
                from: &config.from,
                to,
                reply_to: None,
                subject,
                body,
                message_id: &message_id,
                date: std::time::SystemTime::now(),
                auto_submitted: Some(AutoSubmitted::Generated),
                encrypt_to: Some(&r.cert),
            });
            let message = match message {
                Ok(m) => m,
                Err(e) => {
                    self.register
                        .digest_failed(day, &r.fingerprint, &e.to_string(), None)
                        .await?;
                    run.failed += 1;
                    continue;
                }
            };
            match sender
                .send(config.envelope_from.as_ref(), to, &message)
                .await
            {
                Ok(()) => {
                    self.register.digest_sent(day, &r.fingerprint).await?;
                    run.sent += 1;
                    if resend {
                        run.resent += 1;
                    }
                }
                Err(SmtpError::Permanent(why)) => {
                    tracing::warn!(reader = %r.fingerprint, error = %why, "DeadlineDigestFailed");
                    self.register
                        .digest_failed(day, &r.fingerprint, &why, None)
                        .await?;
                    run.failed += 1;
                }
                Err(SmtpError::Transient(why) | SmtpError::Setup(why)) => {
                    let at = (chrono::Utc::now() + chrono::Duration::minutes(DIGEST_RETRY_MINUTES))
                        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
                    tracing::warn!(reader = %r.fingerprint, error = %why, "DeadlineDigestDeferred");
                    self.register
                        .digest_failed(day, &r.fingerprint, &why, Some(&at))
                        .await?;
                    run.retrying += 1;
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::Status;
    use crate::i18n::Lang;

    fn item(number: &str, deadline: DeadlineKind, due: &str, days_left: i64) -> DueItem {
        DueItem {
            number: number.to_owned(),
            status: Status::Received,
            deadline,
            due: due.parse().unwrap(),
            days_left,
            overdue: days_left < 0,
            attachment: (deadline == DeadlineKind::DestroyIrrelevant).then_some(2),
            note: None,
        }
    }

    #[test]
    fn a_digest_names_cases_deadlines_and_dates_in_polish_and_nothing_else() {
        let day: NaiveDate = "2026-12-04".parse().unwrap();
        let items = [
            item(
                "ZW/2026/0001",
                DeadlineKind::Acknowledgement,
                "2026-12-02",
                -2,
            ),
            item("ZW/2026/0007", DeadlineKind::Feedback, "2026-12-04", 0),
            item(
                "ZW/2026/0009",
                DeadlineKind::DestroyIrrelevant,
                "2026-12-10",
                6,
            ),
        ];
        let (subject, body) = digest_text(&Texts::new(Lang::Pl), day, 7, &items);
        assert_eq!(subject, "sygnal: terminy spraw na 2026-12-04");
        assert!(body.contains("w ciągu 7 dni"), "{body}");
        assert!(
            body.contains(
                "ZW/2026/0001  potwierdzenie przyjęcia: 2026-12-02 (PO TERMINIE o 2 dni)"
            ),
            "{body}"
        );
        assert!(
            body.contains("ZW/2026/0007  informacja zwrotna: 2026-12-04 (dziś)"),
            "{body}"
        );
        assert!(
            body.contains("2026-12-10 (za 6 dni) (załącznik 2)"),
            "{body}"
        );
        // Subject and body are built from the items alone: the text has no slot for a report's
        // subject, body or a person.
        assert!(
            !subject.contains("ZW/"),
            "case numbers stay in the encrypted body"
        );
    }

    #[test]
    fn an_english_digest_is_available() {
        let day: NaiveDate = "2026-12-04".parse().unwrap();
        let items = [item(
            "ZW/2026/0007",
            DeadlineKind::Feedback,
            "2026-12-05",
            1,
        )];
        let (subject, body) = digest_text(&Texts::new(Lang::En), day, 1, &items);
        assert_eq!(subject, "sygnal: case deadlines for 2026-12-04");
        assert!(body.contains("within 1 day"), "{body}");
        assert!(
            body.contains("ZW/2026/0007  feedback: 2026-12-05"),
            "{body}"
        );
    }
}
