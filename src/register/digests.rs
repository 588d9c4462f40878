//! The daily deadline digest to each handler: one row per day and handler keeps it to one a
//! day across restarts and replicas. A row is marked `sending` before the attempt and `sent`
//! once the server accepted it; one found `sending` was cut off and is sent once more with the
//! same Message-ID. Only the day, the handler's fingerprint and the state are stored: what the
//! digest says is computed when it is sent.

use chrono::NaiveDate;

use super::store::{args, now_rfc3339};
use super::{Register, RegisterError};

/// Attempts at one digest, at most: a handler whose mail keeps failing is told in `doctor`.
pub const DIGEST_ATTEMPTS: i64 = 5;

/// Whether to send a handler's digest now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DigestAttempt {
    /// Sent already today, failed for good, or waiting for its next attempt.
    Skip,
    /// Send it with this Message-ID (`resend`: an earlier attempt was cut off).
    Send {
        /// Message-ID, without angle brackets.
        message_id: String,
        /// An earlier attempt was interrupted.
        resend: bool,
    },
}

/// One handler's digest of one day, as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct DigestRow {
    /// The day (organisation's calendar).
    pub day: NaiveDate,
    /// The handler's fingerprint.
    pub reader: String,
    /// sending, retry, sent or failed.
    pub state: String,
    /// Attempts made.
    pub attempts: i64,
    /// The last error (no address or server words in it).
    pub last_error: String,
}

impl Register {
    /// Marks `reader`'s digest of `day` as being sent, durably, before the attempt; `message_id`
    /// is used for a digest not tried before.
    pub async fn begin_digest(
        &self,
        day: NaiveDate,
        reader: &str,
        message_id: &str,
    ) -> Result<DigestAttempt, RegisterError> {
        let day = day.to_string();
        let now = now_rfc3339();
        self.write(async |tx| {
            let what = "SELECT deadline digest";
            let row = tx
                .opt(
                    what,
                    "SELECT state, message_id, attempts, next_attempt FROM deadline_digests
                     WHERE day = $1 AND reader = $2",
                    args![day.as_str(), reader],
                )
                .await?;
            let Some(row) = row else {
                tx.exec(
                    "INSERT deadline digest",
                    "INSERT INTO deadline_digests (day, reader, message_id, state, attempts, next_attempt)
                     VALUES ($1, $2, $3, 'sending', 1, $4)",
                    args![day.as_str(), reader, message_id, now.as_str()],
                )
                .await?;
                return Ok(DigestAttempt::Send {
                    message_id: message_id.to_owned(),
                    resend: false,
                });
            };
            let state: String = row.get("state", what)?;
            let stored_id: String = row.get("message_id", what)?;
            let attempts: i64 = row.get("attempts", what)?;
            let next: String = row.get("next_attempt", what)?;
            let resend = match state.as_str() {
                "sending" => true,
                "retry" if next <= now => false,
                _ => return Ok(DigestAttempt::Skip),
            };
            if attempts >= DIGEST_ATTEMPTS {
                tx.exec(
                    "UPDATE deadline digest failed",
                    "UPDATE deadline_digests SET state = 'failed' WHERE day = $1 AND reader = $2",
                    args![day.as_str(), reader],
                )
                .await?;
                return Ok(DigestAttempt::Skip);
            }
            tx.exec(
                "UPDATE deadline digest sending",
                "UPDATE deadline_digests SET state = 'sending', attempts = attempts + 1
                 WHERE day = $1 AND reader = $2",
                args![day.as_str(), reader],
            )
            .await?;
            Ok(DigestAttempt::Send {
                message_id: stored_id,
                resend,
            })
        })
        .await
    }

    /// Records that the server accepted `reader`'s digest of `day`.
    pub async fn digest_sent(&self, day: NaiveDate, reader: &str) -> Result<(), RegisterError> {
        self.exec(
            "UPDATE deadline digest sent",
            "UPDATE deadline_digests SET state = 'sent', sent_at = $1, last_error = ''
             WHERE day = $2 AND reader = $3",
            args![now_rfc3339().as_str(), day.to_string().as_str(), reader],
        )
        .await
        .map(drop)
    }

    /// Records a failed attempt: tried again at `retry_at` (RFC 3339), or failed for good.
    pub async fn digest_failed(
        &self,
        day: NaiveDate,
        reader: &str,
        error: &str,
        retry_at: Option<&str>,
    ) -> Result<(), RegisterError> {
        let (state, next) = match retry_at {
            Some(at) => ("retry", at.to_owned()),
            None => ("failed", now_rfc3339()),
        };
        self.exec(
            "UPDATE deadline digest failed",
            "UPDATE deadline_digests SET state = $1, next_attempt = $2, last_error = $3
             WHERE day = $4 AND reader = $5",
            args![
                state,
                next.as_str(),
                error,
                day.to_string().as_str(),
                reader
            ],
        )
        .await
        .map(drop)
    }

    /// The digests of `day`, by handler.
    pub async fn digests_on(&self, day: NaiveDate) -> Result<Vec<DigestRow>, RegisterError> {
        let what = "read deadline digests";
        self.all(
            what,
            "SELECT day, reader, state, attempts, last_error FROM deadline_digests
             WHERE day = $1 ORDER BY reader",
            args![day.to_string().as_str()],
        )
        .await?
        .iter()
        .map(|r| {
            let stored: String = r.get("day", what)?;
            Ok(DigestRow {
                day: stored.parse().map_err(|_| {
                    RegisterError::Corrupt(format!("deadline_digests.day {stored:?}"))
                })?,
                reader: r.get("reader", what)?,
                state: r.get("state", what)?,
                attempts: r.get("attempts", what)?,
                last_error: r.get("last_error", what)?,
            })
        })
        .collect()
    }
}
