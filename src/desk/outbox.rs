//! Talking with the reporter: sending what the outbox holds, a handler's reply, ending contact.
//!
//! Who can read the reply address, when: the gateway host, through the case's contact key in
//! the key store, from filing until follow-up ends (or contact is withdrawn); then the key is
//! destroyed. Handlers never: they write through the gateway and see only that a message was
//! sent. Custodians: in the identity record, as always. A host that sends mail has to read the
//! address at the moment it sends; keeping it readable only while a case is open, and only to
//! the sending process, is the least exposure that allows that.

use std::time::{Duration, SystemTime};

use serde::Serialize;
use zeroize::Zeroizing;

use super::{Desk, DeskError, Message, ReaderKey, Why};
use crate::cases::Deadlines;
use crate::config::ContactConfig;
use crate::contact::{self, Outgoing, ReplyToken, Template, Texts};
use crate::failpoint;
use crate::intake::Replica;
use crate::lifecycle;
use crate::register::{today, Acquired, Attempt, Due, EventKind, NewEvent, OutKind, OutboxEntry};
use crate::smtp::{Sender, SmtpError};

/// What one pass over the outbox did.
#[derive(Debug, Default, Serialize)]
pub struct Delivery {
    /// Accepted by the outgoing server.
    pub sent: usize,
    /// Re-sent after an interrupted attempt (same Message-ID).
    pub resent: usize,
    /// To be tried again later.
    pub retrying: usize,
    /// Failed for good (shown in `cases due`).
    pub failed: usize,
    /// Held back by the hourly limit on acknowledgements.
    pub limited: usize,
    /// Cases whose contact ended (follow-up over): their address and key destroyed.
    pub contacts_ended: Vec<String>,
    /// Nothing was done: another gateway process sends now (who).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub running_elsewhere: Option<String>,
}

/// A handler's reply, planned.
#[derive(Debug, Serialize)]
pub struct ReplyPlanned {
    /// Case number.
    pub number: String,
    /// Outbox id.
    pub outbox: i64,
    /// Marked as the statutory feedback.
    pub feedback: bool,
    /// Encrypted to the reporter's key.
    pub encrypted: bool,
    /// The pass over the outbox that followed (the reply sent, or to be tried again).
    pub delivery: Delivery,
}

/// One process at a time sends: a message marked `sending` by one must not look interrupted to
/// another.
const OUTBOX_LEASE: &str = "outbox";
const OUTBOX_LEASE_MS: i64 = 600_000;

/// The longest text a handler may send in one reply.
pub const MAX_REPLY_BYTES: usize = 64 * 1024;

/// Waits before the attempts after the first: 1 min, 5 min, 30 min, 2 h, then every 6 h.
fn backoff(attempts: i64) -> Duration {
    let minutes = match attempts {
        ..=1 => 1,
        2 => 5,
        3 => 30,
        4 => 120,
        _ => 360,
    };
    Duration::from_secs(minutes * 60)
}

fn rfc3339(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// The texts of `config`: its templates folder's files where there are, built-in otherwise.
pub fn texts(config: &ContactConfig) -> Result<Texts, DeskError> {
    let mut texts = Texts::builtin(config.language);
    let Some(dir) = &config.templates_dir else {
        return Ok(texts);
    };
    let lang = match config.language {
        crate::cases::acknowledgement::Lang::Pl => "pl",
        crate::cases::acknowledgement::Lang::En => "en",
    };
    for (name, reply) in [("acknowledgement", false), ("reply", true)] {
        let file = dir.join(format!("{name}.{lang}.txt"));
        let text = match std::fs::read_to_string(&file) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => continue,
            Err(e) => {
                return Err(DeskError::Failed(format!(
                    "cannot read template {}: {e}",
                    file.display()
                )))
            }
        };
        let template = Template::parse(&file.display().to_string(), &text, reply)
            .map_err(|e| DeskError::Invalid(e.to_string()))?;
        if reply {
            texts.reply = template;
        } else {
            texts.acknowledgement = template;
        }
    }
    Ok(texts)
}

impl Desk {
    fn contact_config(&self) -> Result<&ContactConfig, DeskError> {
        self.config
            .contact
            .as_ref()
            .ok_or_else(|| DeskError::from(Why::invalid("err-contact-off")))
    }

    /// Sends what is due in the outbox, then ends the contacts no longer needed. Nothing to do
    /// without `[contact]`.
    pub async fn deliver_messages(&self) -> Result<Delivery, DeskError> {
        let mut delivery = Delivery::default();
        let Some(config) = &self.config.contact else {
            return Ok(delivery);
        };
        let me = Replica::new();
        let gone = |h: &str| me.holder_gone(h);
        let lease = match self
            .register
            .acquire_lease(OUTBOX_LEASE, &me.id, OUTBOX_LEASE_MS, &gone, None)
            .await?
        {
            Acquired::Held { lease, .. } => lease,
            Acquired::Busy { holder, .. } => {
                delivery.running_elsewhere = Some(holder);
                return Ok(delivery);
            }
        };
        let result = self.deliver_due(config, &mut delivery).await;
        if let Err(e) = self
            .register
            .release_lease(OUTBOX_LEASE, &me.id, lease.token)
            .await
        {
            tracing::warn!(error = %e, "LeaseNotReleased: it lapses by itself");
        }
        result?;
        delivery.contacts_ended = self.register.end_finished_contacts(false).await?;
        if !delivery.contacts_ended.is_empty() {
            lifecycle::destroy_pending_shreds(&self.register, &self.keys, "gateway")
                .await
                .map_err(|e| DeskError::Failed(e.to_string()))?;
        }
        Ok(delivery)
    }

    async fn deliver_due(
        &self,
        config: &ContactConfig,
        delivery: &mut Delivery,
    ) -> Result<(), DeskError> {
        let due = self.register.due_messages().await?;
        if due.is_empty() {
            return Ok(());
        }
        let texts = texts(config)?;
        let sender = Sender::new(&config.smtp).map_err(|e| DeskError::Failed(e.to_string()))?;
        let hour_ago = rfc3339(chrono::Utc::now() - chrono::Duration::hours(1));
        let mut acks_this_hour = self.register.acknowledgements_sent_since(&hour_ago).await?;
        for due in due {
            if due.kind == OutKind::Acknowledgement
                && acks_this_hour >= i64::from(config.max_acknowledgements_per_hour)
            {
                let later = rfc3339(chrono::Utc::now() + chrono::Duration::minutes(10));
                self.register
                    .message_failed(
                        due.id,
                        "held back by contact.max-acknowledgements-per-hour",
                        Some(&later),
                    )
                    .await?;
                delivery.limited += 1;
                continue;
            }
            let resend = match self.register.begin_attempt(due.id).await? {
                Attempt::Skip => continue,
                Attempt::Send { resend } => resend,
            };
            let (to, message) = match self.compose_due(config, &texts, &due) {
                Ok(composed) => composed,
                Err(why) => {
                    self.register.message_failed(due.id, &why, None).await?;
                    delivery.failed += 1;
                    continue;
                }
            };
            match sender
                .send(config.envelope_from.as_ref(), &to, &message)
                .await
            {
                Ok(()) => {
                    failpoint::hit("message-sent");
                    self.register.message_sent(due.id, today()).await?;
                    // No case number here: with the mail server's log it would name the
                    // reporter.
                    tracing::info!(kind = due.kind.as_str(), resend, "MessageSent");
                    delivery.sent += 1;
                    if resend {
                        delivery.resent += 1;
                    }
                    if due.kind == OutKind::Acknowledgement {
                        acks_this_hour += 1;
                    }
                }
                Err(SmtpError::Permanent(why)) => {
                    tracing::warn!(kind = due.kind.as_str(), error = %why, "MessageFailed");
                    self.register.message_failed(due.id, &why, None).await?;
                    delivery.failed += 1;
                }
                // A refused login is the installation's, not the message's: tried again once
                // the operator fixed it (`sygnal doctor` says so).
                Err(SmtpError::Transient(why) | SmtpError::Setup(why)) => {
                    let at = chrono::Utc::now()
                        + chrono::Duration::from_std(backoff(due.attempts + 1))
                            .unwrap_or_else(|_| chrono::Duration::hours(6));
                    tracing::warn!(kind = due.kind.as_str(), error = %why, "MessageDeferred");
                    self.register
                        .message_failed(due.id, &why, Some(&rfc3339(at)))
                        .await?;
                    delivery.retrying += 1;
                }
            }
        }
        Ok(())
    }

    /// The recipient and the whole message of a due one, or why it cannot be made (no address
    /// or text in the reason).
    fn compose_due(
        &self,
        config: &ContactConfig,
        texts: &Texts,
        due: &Due,
    ) -> Result<(Zeroizing<String>, Zeroizing<Vec<u8>>), String> {
        let Some((key_id, record, token)) = &due.contact else {
            return Err("the case's contact ended before it was sent".to_owned());
        };
        let key = self
            .keys
            .shred_key(key_id)
            .map_err(|e| format!("the contact key is unavailable: {e}"))?;
        let contact = contact::open_contact(&key, record)
            .ok_or("the contact record does not open under its key")?;
        let token = contact::open_text(&key, token)
            .and_then(|t| ReplyToken::parse(&t))
            .ok_or("the reply token does not open under its key")?;
        let reply_to = config.reply_address.fill(&token);
        let (subject, body) = match due.kind {
            OutKind::Acknowledgement => {
                // The feedback is due 3 months from the acknowledgement, i.e. from today.
                let deadlines = Deadlines::compute(due.received, Some(today()), None);
                texts.acknowledgement(&due.number, due.received, deadlines.feedback_due)
            }
            OutKind::Reply | OutKind::Feedback => {
                let text = due
                    .text
                    .as_ref()
                    .and_then(|t| contact::open_text(&key, t))
                    .ok_or("the reply's text does not open under the contact key")?;
                texts.reply(&due.number, &text)
            }
        };
        let (subject, body) = (Zeroizing::new(subject), Zeroizing::new(body));
        let date = due
            .first_attempt
            .as_deref()
            .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
            .map_or_else(SystemTime::now, SystemTime::from);
        let message = contact::compose(&Outgoing {
            from: &config.from,
            to: &contact.to,
            reply_to: Some(&reply_to),
            subject: &subject,
            body: &body,
            message_id: &due.message_id,
            date,
            auto_submitted: (due.kind == OutKind::Acknowledgement)
                .then_some(contact::AutoSubmitted::Replied),
            encrypt_to: contact.cert.as_deref(),
        })
        .map_err(|e| e.to_string())?;
        Ok((Zeroizing::new(contact.to.clone()), Zeroizing::new(message)))
    }

    /// A handler's reply to the reporter of case `number` (`feedback`: the statutory feedback,
    /// which dates it once the server accepts it). The text is sealed to the case's readers as
    /// a reporter-contact action, and under the contact key for sending; the handler never
    /// sees the address. Sent right after the commit ([`Desk::deliver_messages`]); what fails
    /// is tried again by `sygnal run`.
    pub async fn reply_to_reporter(
        &self,
        key: &ReaderKey,
        number: &str,
        text: &str,
        feedback: bool,
    ) -> Result<ReplyPlanned, DeskError> {
        let config = self.contact_config()?;
        if text.trim().is_empty() {
            return Err(Why::invalid("err-reply-empty").into());
        }
        if text.len() > MAX_REPLY_BYTES {
            return Err(Why::invalid("err-reply-too-large")
                .arg("bytes", text.len())
                .arg("max", MAX_REPLY_BYTES)
                .into());
        }
        let proven = self.prove_reader(number, key).await?;
        let state = self.register.contact_state(number).await?;
        let Some((key_id, _)) = self.register.open_contact(number).await? else {
            let why = match state {
                Some(s) if s.state == "none" => {
                    let why = Why::invalid("err-no-contact").arg("number", number);
                    match contact::NoContact::parse(&s.reason) {
                        Some(n) => why.arg("why", Message::new(n.message_id())),
                        // A code this version does not know: told as stored.
                        None => why.arg("why", s.reason),
                    }
                }
                Some(s) if s.state == "ended" => Why::invalid("err-contact-ended")
                    .arg("number", number)
                    .arg("why", s.reason),
                _ => Why::invalid("err-no-reply-address").arg("number", number),
            };
            return Err(why.into());
        };
        let contact_key = self.keys.shred_key(&key_id).map_err(|e| {
            DeskError::Failed(format!(
                "the contact key of case {number} is unavailable: {e}"
            ))
        })?;
        let note = self.seal_note(text.as_bytes(), &proven.shred).await?;
        let kind = if feedback {
            OutKind::Feedback
        } else {
            OutKind::Reply
        };
        let outbox = self
            .register
            .plan_reply(
                number,
                &crate::register::PlannedMessage {
                    kind,
                    message_id: config.from.new_message_id(),
                    text: Some(contact::seal_text(&contact_key, text)),
                    actor: proven.actor.as_str().to_owned(),
                },
                &NewEvent {
                    kind: EventKind::Action(crate::cases::ActionKind::ReporterContact),
                    on: today(),
                    actor: proven.actor.as_str().to_owned(),
                    note: Some(note),
                },
            )
            .await?;
        let delivery = self.deliver_messages().await?;
        Ok(ReplyPlanned {
            number: number.to_owned(),
            outbox,
            feedback,
            encrypted: state.is_some_and(|s| s.encrypted),
            delivery,
        })
    }

    /// Ends contact with the reporter of case `number` (they asked not to be written to, or
    /// the address is known to be wrong): the address, their key and the reply token are
    /// destroyed with the contact key, and what was not yet sent is dropped. Returns false
    /// when there was no open contact.
    pub async fn end_contact(
        &self,
        key: &ReaderKey,
        number: &str,
        reason: &str,
    ) -> Result<bool, DeskError> {
        let reason = crate::mail::sanitize::one_line(reason.trim());
        if reason.is_empty() || reason.len() > 200 {
            return Err(Why::invalid("err-end-contact-reason").into());
        }
        let proven = self.prove_reader(number, key).await?;
        let ended = self
            .register
            .withdraw_contact(number, &format!("{reason} ({})", proven.actor.as_str()))
            .await?;
        if ended {
            lifecycle::destroy_pending_shreds(&self.register, &self.keys, proven.actor.as_str())
                .await
                .map_err(|e| DeskError::Failed(e.to_string()))?;
        }
        Ok(ended)
    }

    /// For `doctor`: the templates parse, the outgoing server answers and takes the login, and
    /// nothing waits unsent for good.
    pub(super) async fn contact_checks(
        &self,
        warnings: &mut Vec<String>,
        checked: &mut Vec<String>,
    ) -> Result<(), DeskError> {
        let Some(config) = &self.config.contact else {
            return Ok(());
        };
        match texts(config) {
            Ok(_) => checked.push("reporter-facing texts (templates) are complete".to_owned()),
            Err(e) => warnings.push(format!("contact.templates-dir: {e}")),
        }
        let server = format!("{}:{}", config.smtp.host, config.smtp.port);
        match Sender::new(&config.smtp) {
            Ok(sender) => match sender.check().await {
                Ok(()) => checked.push(format!(
                    "outgoing server {server} answers and accepts the login"
                )),
                Err(e) => warnings.push(format!("outgoing server: {e}")),
            },
            Err(e) => warnings.push(format!("outgoing server: {e}")),
        }
        let failed = self
            .register
            .unsent_messages()
            .await?
            .into_iter()
            .filter(|m| m.state == "failed")
            .count();
        if failed > 0 {
            warnings.push(format!(
                "{failed} message(s) to reporters failed for good: see `sygnal cases due`"
            ));
        }
        self.digest_checks(warnings, checked).await
    }

    /// Mail to reporters not yet sent (planned, being sent, failed): no address, no text.
    pub async fn unsent_messages(&self) -> Result<Vec<OutboxEntry>, DeskError> {
        Ok(self.register.unsent_messages().await?)
    }
}
