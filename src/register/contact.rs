//! The contact record of a case and its outbox: mail to the reporter is planned in the same
//! transaction as what causes it (filing, a handler's reply) and sent after the commit.
//!
//! A message is marked `sending` before each attempt and `sent` once the server accepted it. One
//! found `sending` at the next pass was interrupted between the two (a crash): it is sent once
//! more with the same Message-ID, so that the reporter's mail system sees the same message, and
//! never a third time (`resent`).

use chrono::NaiveDate;

use super::destruction::queue_shred;
use super::store::{args, now_rfc3339, today_stored, Row, Tx};
use super::workflow::{add_event_in, case_file_in, change_status_in};
use super::{NewEvent, Register, RegisterError, StatusChange};
use crate::audit::Event;
use crate::cases::{CaseDays, Status};

/// What intake keeps for talking with the reporter, as filed.
pub enum NewContact {
    /// Reachable: the sealed record, its key's id in the key store, and the reply token
    /// (sealed under the same key, and hashed for finding the case).
    Open {
        /// Contact key id (key store).
        key_id: String,
        /// Sealed address and key.
        record: Vec<u8>,
        /// Sealed reply token.
        token: Vec<u8>,
        /// SHA-256 of the token.
        token_hash: String,
        /// The reporter's key is known.
        encrypted: bool,
    },
    /// Nothing may be sent automatically (the code says why).
    None(String),
}

/// Kinds of outgoing message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutKind {
    /// The automatic acknowledgement of receipt.
    Acknowledgement,
    /// A handler's reply.
    Reply,
    /// A handler's reply that is the statutory feedback.
    Feedback,
}

impl OutKind {
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            OutKind::Acknowledgement => "acknowledgement",
            OutKind::Reply => "reply",
            OutKind::Feedback => "feedback",
        }
    }

    fn parse(s: &str) -> Option<OutKind> {
        [OutKind::Acknowledgement, OutKind::Reply, OutKind::Feedback]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// A message to plan.
pub struct Planned {
    /// What it is.
    pub kind: OutKind,
    /// Its Message-ID (without brackets), fixed now.
    pub message_id: String,
    /// The handler's text, sealed under the contact key (replies).
    pub text: Option<Vec<u8>>,
    /// Who planned it.
    pub actor: String,
}

/// A message due for an attempt, with what composing it needs.
#[derive(Debug, Clone)]
pub struct Due {
    /// Outbox id.
    pub id: i64,
    /// Case number.
    pub number: String,
    /// What it is.
    pub kind: OutKind,
    /// Message-ID.
    pub message_id: String,
    /// Attempts so far.
    pub attempts: i64,
    /// The sealed handler's text.
    pub text: Option<Vec<u8>>,
    /// Time of the first attempt (the Date header; kept for a re-send).
    pub first_attempt: Option<String>,
    /// The contact: key id, sealed record, sealed token; None once contact ended.
    pub contact: Option<(String, Vec<u8>, Vec<u8>)>,
    /// Day received (for the acknowledgement's text).
    pub received: NaiveDate,
}

/// What to do with a due message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// Send it (`resend`: an earlier attempt was interrupted; same Message-ID).
    Send {
        /// The earlier attempt may have reached the server.
        resend: bool,
    },
    /// Not any more (sent, failed, or interrupted twice).
    Skip,
}

/// A message's state as `cases due` shows it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct OutboxEntry {
    /// Case number.
    pub number: String,
    /// `acknowledgement`, `reply`, `feedback`.
    pub kind: &'static str,
    /// `planned`, `sending`, `sent`, `failed`.
    pub state: String,
    /// Attempts so far.
    pub attempts: i64,
    /// Next attempt (UTC), while planned.
    pub next_attempt: String,
    /// Last error (no address, no text).
    pub last_error: String,
}

/// The contact state of a case, as handlers may see it (no address).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ContactState {
    /// `open`, `none` or `ended`.
    pub state: String,
    /// Why none, or why it ended.
    pub reason: String,
    /// The reporter's key is known (mail to them is encrypted).
    pub encrypted: bool,
}

pub(super) async fn insert(
    tx: &mut Tx,
    case_id: i64,
    contact: &NewContact,
) -> Result<(), RegisterError> {
    match contact {
        NewContact::Open {
            key_id,
            record,
            token,
            token_hash,
            encrypted,
        } => {
            tx.exec(
                "INSERT INTO contacts",
                "INSERT INTO contacts (case_id, state, key_id, record, token, token_hash, encrypted)
                 VALUES ($1, 'open', $2, $3, $4, $5, $6)",
                args![
                    case_id,
                    key_id.as_str(),
                    record.as_slice(),
                    token.as_slice(),
                    token_hash.as_str(),
                    *encrypted
                ],
            )
            .await?;
        }
        NewContact::None(reason) => {
            tx.exec(
                "INSERT INTO contacts",
                "INSERT INTO contacts (case_id, state, reason) VALUES ($1, 'none', $2)",
                args![case_id, reason.as_str()],
            )
            .await?;
        }
    }
    Ok(())
}

pub(super) async fn plan(
    tx: &mut Tx,
    case_id: i64,
    message: &Planned,
) -> Result<i64, RegisterError> {
    let now = now_rfc3339();
    tx.one(
        "INSERT INTO outbox",
        "INSERT INTO outbox (case_id, kind, message_id, state, next_attempt, text, planned_on, actor)
         VALUES ($1, $2, $3, 'planned', $4, $5, $6, $7) RETURNING id",
        args![
            case_id,
            message.kind.as_str(),
            message.message_id.as_str(),
            now.as_str(),
            message.text.as_deref(),
            today_stored().as_str(),
            message.actor.as_str()
        ],
    )
    .await?
    .get("id", "INSERT INTO outbox")
}

/// Deletes a destroyed case's contact and outbox rows, queueing its contact key.
pub(super) async fn forget(tx: &mut Tx, case_id: i64, number: &str) -> Result<(), RegisterError> {
    end_in(tx, case_id, number, "the case was destroyed").await?;
    for (what, sql) in [
        ("DELETE outbox", "DELETE FROM outbox WHERE case_id = $1"),
        ("DELETE contacts", "DELETE FROM contacts WHERE case_id = $1"),
    ] {
        tx.exec(what, sql, args![case_id]).await?;
    }
    Ok(())
}

/// Ends an open contact: its key is queued for destruction, the sealed address and token are
/// deleted, messages not yet sent are dropped. Returns whether there was one to end.
async fn end_in(tx: &mut Tx, case_id: i64, number: &str, why: &str) -> Result<bool, RegisterError> {
    let key: Option<Option<String>> = tx
        .opt(
            "SELECT contact key",
            "SELECT key_id FROM contacts WHERE case_id = $1 AND state = 'open'",
            args![case_id],
        )
        .await?
        .map(|r| r.get("key_id", "SELECT contact key"))
        .transpose()?;
    let Some(Some(key_id)) = key else {
        return Ok(false);
    };
    tx.exec(
        "UPDATE contacts ended",
        "UPDATE contacts SET state = 'ended', reason = $1, key_id = NULL, record = NULL,
                token = NULL, ended_on = $2 WHERE case_id = $3",
        args![why, today_stored().as_str(), case_id],
    )
    .await?;
    tx.exec(
        "UPDATE outbox dropped",
        "UPDATE outbox SET state = 'dropped', text = NULL, last_error = $1
         WHERE case_id = $2 AND state IN ('planned', 'sending', 'failed')",
        args![format!("contact ended: {why}").as_str(), case_id],
    )
    .await?;
    queue_shred(
        tx,
        &key_id,
        &format!("contact of case {number} ended: {why}"),
    )
    .await?;
    tx.audit(
        "gateway",
        Event::ContactEnded,
        Some(number),
        &format!("the reply address and token were destroyed: {why}"),
    )
    .await?;
    Ok(true)
}

fn due_row(r: &Row) -> Result<Due, RegisterError> {
    let what = "read outbox";
    let kind: String = r.get("kind", what)?;
    let received: String = r.get("received_at", what)?;
    let key_id: Option<String> = r.get("key_id", what)?;
    let record: Option<Vec<u8>> = r.get("record", what)?;
    let token: Option<Vec<u8>> = r.get("token", what)?;
    Ok(Due {
        id: r.get("id", what)?,
        number: r.get("number", what)?,
        kind: OutKind::parse(&kind)
            .ok_or_else(|| RegisterError::Corrupt(format!("outbox.kind = {kind:?}")))?,
        message_id: r.get("message_id", what)?,
        attempts: r.get("attempts", what)?,
        text: r.get("text", what)?,
        first_attempt: r.get("first_attempt", what)?,
        contact: match (key_id, record, token) {
            (Some(k), Some(r), Some(t)) => Some((k, r, t)),
            _ => None,
        },
        received: received
            .parse()
            .map_err(|_| RegisterError::Corrupt(format!("cases.received_at = {received:?}")))?,
    })
}

impl Register {
    /// Messages due for an attempt now (planned, or interrupted while sending), oldest first.
    pub async fn due_messages(&self) -> Result<Vec<Due>, RegisterError> {
        self.all(
            "SELECT due outbox",
            "SELECT o.id, o.kind, o.message_id, o.attempts, o.text, o.first_attempt, c.number,
                    c.received_at, k.key_id, k.record, k.token
             FROM outbox o JOIN cases c ON c.id = o.case_id
             LEFT JOIN contacts k ON k.case_id = o.case_id
             WHERE o.state IN ('planned', 'sending') AND o.next_attempt <= $1
             ORDER BY o.id",
            args![now_rfc3339().as_str()],
        )
        .await?
        .iter()
        .map(due_row)
        .collect()
    }

    /// Acknowledgements sent since `since` (RFC 3339, UTC): the hourly limit counts them.
    pub async fn acknowledgements_sent_since(&self, since: &str) -> Result<i64, RegisterError> {
        self.one(
            "count sent acknowledgements",
            "SELECT COUNT(*) AS n FROM outbox WHERE kind = 'acknowledgement' AND state = 'sent'
             AND sent_on >= $1",
            args![since],
        )
        .await?
        .get("n", "count sent acknowledgements")
    }

    /// Marks message `id` as being sent, durably, before the attempt. A message found already
    /// `sending` was interrupted: it is sent once more (`resend`), and one interrupted twice is
    /// marked failed instead of being sent a third time.
    pub async fn begin_attempt(&self, id: i64) -> Result<Attempt, RegisterError> {
        self.write(async |tx| {
            let what = "SELECT outbox state";
            let Some(row) = tx
                .opt(
                    what,
                    "SELECT state, resent FROM outbox WHERE id = $1",
                    args![id],
                )
                .await?
            else {
                return Ok(Attempt::Skip);
            };
            let state: String = row.get("state", what)?;
            let resent: bool = row.get("resent", what)?;
            let interrupted = state == "sending";
            if interrupted && resent {
                tx.exec(
                    "UPDATE outbox failed",
                    "UPDATE outbox SET state = 'failed', last_error = $1 WHERE id = $2",
                    args![
                        "sending was interrupted twice; it may have reached the reporter: \
                         check with them before planning it again",
                        id
                    ],
                )
                .await?;
                return Ok(Attempt::Skip);
            }
            if state != "planned" && !interrupted {
                return Ok(Attempt::Skip);
            }
            tx.exec(
                "UPDATE outbox sending",
                "UPDATE outbox SET state = 'sending', attempts = attempts + 1,
                        resent = $1, first_attempt = COALESCE(first_attempt, $2)
                 WHERE id = $3",
                args![interrupted, now_rfc3339().as_str(), id],
            )
            .await?;
            Ok(Attempt::Send {
                resend: interrupted,
            })
        })
        .await
    }

    /// Records that the server accepted message `id` on `on`: an acknowledgement dates the
    /// case's acknowledgement (and moves a received case to acknowledged), feedback the
    /// feedback; an audit entry either way.
    pub async fn message_sent(&self, id: i64, on: NaiveDate) -> Result<(), RegisterError> {
        self.write(async |tx| {
            let what = "SELECT sent outbox";
            let row = tx
                .one(
                    what,
                    "SELECT o.kind, o.actor, c.number FROM outbox o
                     JOIN cases c ON c.id = o.case_id WHERE o.id = $1",
                    args![id],
                )
                .await?;
            let kind: String = row.get("kind", what)?;
            let actor: String = row.get("actor", what)?;
            let number: String = row.get("number", what)?;
            let (_, file) = case_file_in(tx, &number).await?;
            tx.exec(
                "UPDATE outbox sent",
                "UPDATE outbox SET state = 'sent', sent_on = $1, text = NULL, last_error = ''
                 WHERE id = $2",
                args![now_rfc3339().as_str(), id],
            )
            .await?;
            let to = match OutKind::parse(&kind) {
                Some(OutKind::Acknowledgement) if file.acknowledged_at.is_none() => {
                    Some(Status::Acknowledged)
                }
                Some(OutKind::Feedback) => Some(Status::FeedbackGiven),
                _ => None,
            };
            if let Some(to) = to {
                let change = StatusChange {
                    to,
                    on,
                    outcome: None,
                    end_reason: None,
                    actor: actor.clone(),
                };
                // A status the lifecycle does not allow from here (an acknowledgement after
                // follow-up started) only dates the event.
                if file.status.check_transition(to).is_ok() {
                    change_status_in(tx, &number, &change).await?.ok();
                } else if to == Status::Acknowledged {
                    // The feedback deadline follows from the acknowledgement date.
                    let days = CaseDays {
                        acknowledged: Some(on),
                        ..file.days()
                    };
                    tx.exec(
                        "UPDATE case acknowledged",
                        "UPDATE cases SET acknowledged_at = $1, feedback_due = $2 WHERE number = $3",
                        args![
                            on.to_string().as_str(),
                            days.deadlines().feedback_due.to_string().as_str(),
                            number.as_str()
                        ],
                    )
                    .await?;
                }
            }
            tx.audit(
                &actor,
                Event::MessageSent,
                Some(&number),
                &format!("{kind} accepted by the outgoing server"),
            )
            .await?;
            Ok(())
        })
        .await
    }

    /// Records a failed attempt: tried again at `retry_at` (RFC 3339), or failed for good.
    pub async fn message_failed(
        &self,
        id: i64,
        error: &str,
        retry_at: Option<&str>,
    ) -> Result<(), RegisterError> {
        self.write(async |tx| {
            match retry_at {
                Some(at) => {
                    tx.exec(
                        "UPDATE outbox retry",
                        "UPDATE outbox SET state = 'planned', next_attempt = $1, last_error = $2
                         WHERE id = $3",
                        args![at, error, id],
                    )
                    .await?;
                }
                None => {
                    let number: String = tx
                        .one(
                            "SELECT failed outbox",
                            "SELECT c.number FROM outbox o JOIN cases c ON c.id = o.case_id
                             WHERE o.id = $1",
                            args![id],
                        )
                        .await?
                        .get("number", "SELECT failed outbox")?;
                    tx.exec(
                        "UPDATE outbox failed",
                        "UPDATE outbox SET state = 'failed', last_error = $1 WHERE id = $2",
                        args![error, id],
                    )
                    .await?;
                    tx.audit(
                        "gateway",
                        Event::MessageFailed,
                        Some(&number),
                        &format!("outbox #{id}: {error}"),
                    )
                    .await?;
                }
            }
            Ok(())
        })
        .await
    }

    /// Messages not yet sent (planned, sending, failed), for `cases due`.
    pub async fn unsent_messages(&self) -> Result<Vec<OutboxEntry>, RegisterError> {
        let what = "read outbox";
        self.all(
            what,
            "SELECT c.number, o.kind, o.state, o.attempts, o.next_attempt, o.last_error
             FROM outbox o JOIN cases c ON c.id = o.case_id
             WHERE o.state IN ('planned', 'sending', 'failed') ORDER BY o.id",
            &[],
        )
        .await?
        .iter()
        .map(|r| {
            let kind: String = r.get("kind", what)?;
            Ok(OutboxEntry {
                number: r.get("number", what)?,
                kind: OutKind::parse(&kind).map_or("unknown", OutKind::as_str),
                state: r.get("state", what)?,
                attempts: r.get("attempts", what)?,
                next_attempt: r.get("next_attempt", what)?,
                last_error: r.get("last_error", what)?,
            })
        })
        .collect()
    }

    /// The contact state of case `number` (no address).
    pub async fn contact_state(&self, number: &str) -> Result<Option<ContactState>, RegisterError> {
        let what = "read contact";
        self.opt(
            what,
            "SELECT k.state, k.reason, k.encrypted FROM contacts k JOIN cases c ON c.id = k.case_id
             WHERE c.number = $1",
            args![number],
        )
        .await?
        .map(|r| {
            Ok(ContactState {
                state: r.get("state", what)?,
                reason: r.get("reason", what)?,
                encrypted: r.get("encrypted", what)?,
            })
        })
        .transpose()
    }

    /// The open contact of case `number`: key id and sealed record; None when there is none.
    pub async fn open_contact(
        &self,
        number: &str,
    ) -> Result<Option<(String, Vec<u8>)>, RegisterError> {
        let what = "read open contact";
        self.opt(
            what,
            "SELECT k.key_id, k.record FROM contacts k JOIN cases c ON c.id = k.case_id
             WHERE c.number = $1 AND k.state = 'open'",
            args![number],
        )
        .await?
        .map(|r| Ok((r.get("key_id", what)?, r.get("record", what)?)))
        .transpose()
    }

    /// Plans a handler's reply in case `number` and records it as a reporter-contact action
    /// (its text sealed to the case's readers), in one transaction. Returns the outbox id.
    pub async fn plan_reply(
        &self,
        number: &str,
        message: &Planned,
        event: &NewEvent,
    ) -> Result<i64, RegisterError> {
        self.write(async |tx| {
            let what = "SELECT case for reply";
            let case_id: i64 = tx
                .opt(
                    what,
                    "SELECT c.id FROM cases c JOIN contacts k ON k.case_id = c.id
                     WHERE c.number = $1 AND k.state = 'open'",
                    args![number],
                )
                .await?
                .ok_or_else(|| {
                    RegisterError::NotFound(format!("an open contact in case {number}"))
                })?
                .get("id", what)?;
            let id = plan(tx, case_id, message).await?;
            add_event_in(tx, number, event).await?;
            tx.audit(
                &message.actor,
                Event::MessagePlanned,
                Some(number),
                &format!("{} #{id}", message.kind.as_str()),
            )
            .await?;
            Ok(id)
        })
        .await
    }

    /// Ends the contacts no longer needed: of cases whose follow-up ended, with nothing left
    /// to send (`sending_off`: nothing will be sent any more, so unsent mail does not keep a
    /// contact). Returns the case numbers.
    pub async fn end_finished_contacts(
        &self,
        sending_off: bool,
    ) -> Result<Vec<String>, RegisterError> {
        let what = "SELECT finished contacts";
        let rows = self
            .all(
                what,
                "SELECT c.id, c.number FROM contacts k JOIN cases c ON c.id = k.case_id
                 WHERE k.state = 'open' AND c.ended_at IS NOT NULL
                 AND ($1 = 1 OR NOT EXISTS (SELECT 1 FROM outbox o WHERE o.case_id = c.id
                                            AND o.state IN ('planned', 'sending')))",
                args![i64::from(sending_off)],
            )
            .await?;
        let mut ended = Vec::new();
        for r in rows {
            let (id, number): (i64, String) = (r.get("id", what)?, r.get("number", what)?);
            if self
                .write(async |tx| end_in(tx, id, &number, "follow-up ended").await)
                .await?
            {
                ended.push(number);
            }
        }
        Ok(ended)
    }

    /// Ends case `number`'s contact at a handler's request (the reporter withdrew it).
    pub async fn withdraw_contact(&self, number: &str, why: &str) -> Result<bool, RegisterError> {
        self.write(async |tx| {
            let id: Option<i64> = tx
                .opt(
                    "SELECT case id",
                    "SELECT id FROM cases WHERE number = $1",
                    args![number],
                )
                .await?
                .map(|r| r.get("id", "SELECT case id"))
                .transpose()?;
            let Some(id) = id else {
                return Err(RegisterError::NotFound(format!("case {number}")));
            };
            end_in(tx, id, number, why).await
        })
        .await
    }
}
