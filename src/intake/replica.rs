//! This gateway as one of several replicas of one register: who it is, whether another holder
//! on this machine is gone, and draining the mailbox only while it holds the mailbox's lease.
//! A replica that cannot get the lease stands by and takes over when the holder stops (at once,
//! when it stopped cleanly or was a process of this machine that no longer runs; otherwise when
//! its lease lapses). Every deletion on the server is preceded by a check, in the register, that
//! the lease is still ours under the same token with time to spare.

use std::time::Duration;

use tokio::sync::watch;

use super::gateway::{Gateway, GatewayError, Shutdown};
use crate::register::{Acquired, Lease};

/// The register's lease on its mailbox.
pub(super) const LEASE_NAME: &str = "intake";
/// How long a lease lasts unless renewed: how long a replica that vanished without a trace (a
/// machine that died) keeps the others waiting.
const LEASE_TTL: Duration = Duration::from_secs(15);
/// How often the holder renews it.
const RENEW_EVERY: Duration = Duration::from_secs(5);
/// How much of the lease must be left for a deletion to start under it.
const DELETE_MARGIN: Duration = Duration::from_secs(5);
/// How often a standing-by replica asks for the lease.
const STANDBY_POLL: Duration = Duration::from_secs(2);
/// How long a lease must stay free before a replica past its share takes it: long enough for
/// one within its share to take it first (it asks every [`STANDBY_POLL`]).
const OVER_SHARE_WAIT: Duration = Duration::from_secs(3);

impl Gateway {
    /// Takes the lease, or says who holds it. With `once` a busy lease is an error (another
    /// gateway drains the mailbox now); otherwise None: stand by.
    pub(super) async fn take_lease(&self, once: bool) -> Result<Option<Lease>, GatewayError> {
        let replica = &self.replica;
        let gone = |h: &str| replica.holder_gone(h);
        let holding = self.lease().is_some();
        // Counted before asking, so this process's tenants, asking at once, stay within it.
        let within_share = holding || self.share.reserve();
        let acquired = self
            .register
            .acquire_lease(
                LEASE_NAME,
                &replica.id,
                millis(LEASE_TTL),
                &gone,
                (!within_share).then(|| millis(OVER_SHARE_WAIT)),
            )
            .await;
        let got = matches!(acquired, Ok(Acquired::Held { .. }));
        match (holding, within_share, got) {
            (false, true, false) => self.share.remove(),
            (false, false, true) => self.share.add(),
            _ => {}
        }
        match acquired? {
            Acquired::Held { lease, taken_over } => {
                if let Some(previous) = taken_over {
                    tracing::info!(token = lease.token, previous = %previous, "LeaseTakenOver: this gateway drains the mailbox now");
                } else {
                    tracing::debug!(token = lease.token, "LeaseHeld");
                }
                self.set_lease(Some(lease));
                Ok(Some(lease))
            }
            Acquired::Busy {
                holder,
                remaining_ms,
            } if once => Err(GatewayError::Busy(format!(
                "another gateway is draining this mailbox ({holder}; its lease runs {} s more \
                 unless renewed): nothing was done; stop it, or let it work",
                (remaining_ms + 999) / 1000
            ))),
            Acquired::Busy {
                holder,
                remaining_ms,
            } => {
                tracing::debug!(holder = %holder, remaining_ms, "StandbyReplica");
                Ok(None)
            }
        }
    }

    /// Waits before asking for the lease again; false when shut down meanwhile.
    pub(super) async fn stand_by(&self, shutdown: &mut Shutdown) -> bool {
        tokio::select! {
            _ = tokio::time::sleep(STANDBY_POLL) => true,
            _ = shutdown.wait() => false,
        }
    }

    /// Renews `lease` until `done`; forwards the outer shutdown to `stop`, and sets it when the
    /// lease is lost, so the session ends after the message in hand either way.
    pub(super) async fn keep_lease(
        &self,
        mut lease: Lease,
        mut outer: Shutdown,
        stop: watch::Sender<bool>,
        mut done: watch::Receiver<bool>,
    ) {
        let mut forwarded = false;
        loop {
            tokio::select! {
                _ = tokio::time::sleep(RENEW_EVERY) => {
                    match self.register.renew_lease(LEASE_NAME, &self.replica.id, lease.token, millis(LEASE_TTL)).await {
                        Ok(Some(renewed)) => {
                            lease = renewed;
                            self.set_lease(Some(lease));
                        }
                        Ok(None) => {
                            tracing::warn!(token = lease.token, "LeaseLost: another gateway holds the mailbox now; stopping after the message in hand");
                            self.set_lease(None);
                            let _ = stop.send(true);
                            return;
                        }
                        // The fencing check before a deletion fails by itself once the lease
                        // runs short; keep trying meanwhile.
                        Err(e) => tracing::warn!(error = %e, "LeaseRenewalFailed"),
                    }
                }
                _ = outer.wait(), if !forwarded => {
                    forwarded = true;
                    let _ = stop.send(true);
                }
                _ = done.changed() => return,
            }
        }
    }

    /// The fencing check before a deletion on the server: the lease is still ours, under the
    /// same token, with time left for the deletion to finish.
    pub(super) async fn fence(&self) -> Result<(), GatewayError> {
        let Some(lease) = self.lease() else {
            return Err(GatewayError::LeaseLost);
        };
        if self
            .register
            .lease_holds(
                LEASE_NAME,
                &self.replica.id,
                lease.token,
                millis(DELETE_MARGIN),
            )
            .await?
        {
            Ok(())
        } else {
            self.set_lease(None);
            Err(GatewayError::LeaseLost)
        }
    }

    /// Gives the lease up (a clean stop), so a standing-by replica takes over at once.
    pub(super) async fn release_lease(&self) {
        if let Some(lease) = self.lease() {
            if let Err(e) = self
                .register
                .release_lease(LEASE_NAME, &self.replica.id, lease.token)
                .await
            {
                tracing::warn!(error = %e, "LeaseNotReleased: it lapses by itself");
            }
            self.set_lease(None);
        }
    }

    pub(super) fn lease(&self) -> Option<Lease> {
        *self
            .lease
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Records the lease held (its share was counted when it was taken), or that none is:
    /// then it no longer counts against the share.
    fn set_lease(&self, lease: Option<Lease>) {
        let mut held = self
            .lease
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if held.is_some() && lease.is_none() {
            self.share.remove();
        }
        *held = lease;
    }
}

fn millis(d: Duration) -> i64 {
    i64::try_from(d.as_millis()).unwrap_or(i64::MAX)
}
