//! Waiting for new mail: IDLE (RFC 2177) where offered, a sleep plus NOOP otherwise; both bounded
//! by a timeout and cut short by the caller's shutdown future, leaving the connection usable.

use std::future::Future;
use std::time::Duration;

use async_imap::imap_proto::{Response, Status};

use super::connect::within;
use super::session::{completion, Mailbox};
use super::{from_async_imap, from_io, IdleOutcome, ImapError};

/// RFC 2177: clients should re-issue IDLE at least every 29 minutes to avoid being logged out.
pub const MAX_IDLE: Duration = Duration::from_secs(29 * 60);

impl Mailbox {
    /// Waits until the server reports a change in the selected folder, `timeout` (capped at
    /// [`MAX_IDLE`]) passes, or `shutdown` completes. Without IDLE (or with it switched off)
    /// this sleeps for `timeout` and then polls with NOOP.
    ///
    /// Changes seen by earlier commands and not yet listed return [`IdleOutcome::Changed`] at
    /// once. Prefer `shutdown` over dropping the future: a dropped wait leaves the connection in
    /// IDLE, and it is then marked unusable.
    pub async fn idle_wait(
        &mut self,
        timeout: Duration,
        shutdown: impl Future<Output = ()>,
    ) -> Result<IdleOutcome, ImapError> {
        if self.selected.is_none() {
            return Err(ImapError::NotSelected);
        }
        if self.poisoned {
            return Err(ImapError::ConnectionLost);
        }
        if std::mem::take(&mut self.view.changed) {
            return Ok(IdleOutcome::Changed);
        }
        let timeout = timeout.min(MAX_IDLE);
        let mut shutdown = std::pin::pin!(shutdown);

        if !self.caps.idle {
            tokio::select! {
                () = tokio::time::sleep(timeout) => {}
                () = &mut shutdown => return Ok(IdleOutcome::Shutdown),
            }
            self.run("NOOP", "NOOP", |_| {}).await?;
            return Ok(if std::mem::take(&mut self.view.changed) {
                IdleOutcome::Changed
            } else {
                IdleOutcome::Timeout
            });
        }

        // From here until DONE is answered the connection is mid-command.
        self.poisoned = true;
        let Mailbox {
            session,
            view,
            command_timeout,
            ..
        } = self;
        let command_timeout = *command_timeout;

        let tag = within(command_timeout, "IDLE", async {
            let tag = session
                .run_command("IDLE")
                .await
                .map_err(|e| from_async_imap("IDLE", e))?;
            loop {
                let data = session
                    .read_response()
                    .await
                    .map_err(|e| from_io(&e))?
                    .ok_or(ImapError::ConnectionLost)?;
                let response = data.parsed();
                if let Response::Continue(_) = response {
                    return Ok(tag);
                }
                view.observe(response);
                if let Some(done) = completion(response, &tag, "IDLE") {
                    // IDLE refused or ended before it started.
                    done?;
                    return Err(ImapError::Protocol {
                        detail: "IDLE completed without continuation",
                    });
                }
            }
        })
        .await?;

        let deadline = tokio::time::Instant::now() + timeout;
        let outcome = loop {
            tokio::select! {
                read = session.read_response() => {
                    let data = read.map_err(|e| from_io(&e))?.ok_or(ImapError::ConnectionLost)?;
                    let response = data.parsed();
                    if let Response::Data { status: Status::Bye, .. } = response {
                        return Err(ImapError::ConnectionLost);
                    }
                    if let Some(done) = completion(response, &tag, "IDLE") {
                        // The server ended IDLE on its own: treat as an error, reconnect.
                        done?;
                        return Err(ImapError::Protocol { detail: "server ended IDLE" });
                    }
                    view.observe(response);
                    if view.changed {
                        break IdleOutcome::Changed;
                    }
                }
                () = tokio::time::sleep_until(deadline) => break IdleOutcome::Timeout,
                () = &mut shutdown => break IdleOutcome::Shutdown,
            }
        };

        within(command_timeout, "IDLE", async {
            session
                .run_command_untagged("DONE")
                .await
                .map_err(|e| from_async_imap("IDLE", e))?;
            loop {
                let data = session
                    .read_response()
                    .await
                    .map_err(|e| from_io(&e))?
                    .ok_or(ImapError::ConnectionLost)?;
                let response = data.parsed();
                view.observe(response);
                if let Some(done) = completion(response, &tag, "IDLE") {
                    return done;
                }
            }
        })
        .await?;

        self.poisoned = false;
        if outcome == IdleOutcome::Changed {
            self.view.changed = false;
        }
        tracing::debug!(outcome = ?outcome, "IMAP idle ended");
        Ok(outcome)
    }
}
