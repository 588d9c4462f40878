//! What `sygnal run` tells operators over HTTP: the metrics text and the health verdict. The
//! register's figures (deletions pending, deadlines overdue) are read at each request; intake's
//! counters live in the process ([`crate::telemetry::metrics`]). Numbers and codes only.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::sync::Mutex;

use super::{Desk, DeskError, Installation};
use crate::cases::compliance::DeadlineKind;
use crate::config::Deployment;
use crate::telemetry::metrics;

/// The deadline kinds `sygnal_deadlines_overdue` always names (0 included), so a dashboard
/// sees every series from the first scrape.
const KINDS: [DeadlineKind; 3] = [
    DeadlineKind::Acknowledgement,
    DeadlineKind::Feedback,
    DeadlineKind::DestroyIrrelevant,
];

/// How long `/health` waits for the register to take its probe write: a health checker gives
/// up after seconds, and a batch commit holds the write lock for far less.
const PROBE_LIMIT: Duration = Duration::from_secs(5);

/// The operators' view of every tenant this process drains, with each tenant's register kept
/// open between requests.
pub struct Operations {
    tenants: Mutex<Vec<(Installation, Option<Desk>)>>,
    max_drain_age: Duration,
}

/// The health verdict: healthy when `problems` is empty.
#[derive(Debug, Default)]
pub struct Health {
    /// One line per problem, each saying what to look at.
    pub problems: Vec<String>,
}

impl Operations {
    /// Where to serve the operators' endpoints for `at`, and what they serve; None when the
    /// config sets no `[operations] listen`.
    pub fn configured(at: &Installation) -> Result<Option<(SocketAddr, Operations)>, DeskError> {
        let chosen: Vec<_> = match &at.tenant {
            Some(_) => vec![at.load()?],
            None => Deployment::load(&at.config)?.tenants,
        };
        let Some(first) = chosen.first() else {
            return Ok(None);
        };
        let Some(listen) = first.operations.listen else {
            return Ok(None);
        };
        let max_drain_age = first.operations.max_drain_age;
        let tenants = chosen
            .into_iter()
            .map(|c| {
                let one = Installation {
                    config: at.config.clone(),
                    tenant: c.tenant,
                };
                (one, None)
            })
            .collect();
        Ok(Some((
            listen,
            Operations {
                tenants: Mutex::new(tenants),
                max_drain_age,
            },
        )))
    }

    /// The operators' view of one installation with this drain limit (tests).
    #[cfg(test)]
    pub(super) fn with_limit(at: Installation, max_drain_age: Duration) -> Operations {
        Operations {
            tenants: Mutex::new(vec![(at, None)]),
            max_drain_age,
        }
    }

    /// The Prometheus text: intake's counters and the registers' figures summed over tenants.
    /// A register that cannot be read leaves its figures out (and `/health` says why).
    pub async fn metrics_text(&self) -> String {
        let mut pending = 0u64;
        let mut overdue = [0u64; KINDS.len()];
        let mut tenants = self.tenants.lock().await;
        for (at, desk) in tenants.iter_mut() {
            let d = match open(at, desk).await {
                Ok(d) => d,
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "MetricsRegisterUnavailable");
                    continue;
                }
            };
            match d.figures().await {
                Ok((p, o)) => {
                    pending += p;
                    for (sum, n) in overdue.iter_mut().zip(o) {
                        *sum += n;
                    }
                }
                Err(e) => {
                    tracing::warn!(error = %format!("{e:#}"), "MetricsRegisterUnreadable");
                    drop_desk(desk).await;
                }
            }
        }
        let by_kind: Vec<(&'static str, u64)> = KINDS
            .iter()
            .zip(overdue)
            .map(|(k, n)| (k.as_str(), n))
            .collect();
        metrics().render(pending, &by_kind)
    }

    /// Healthy when every tenant's mailbox was drained within `max-drain-age-secs` and every
    /// register takes a write now.
    pub async fn health(&self) -> Health {
        let mut health = Health::default();
        let mut tenants = self.tenants.lock().await;
        for (at, desk) in tenants.iter_mut() {
            let name = at
                .tenant
                .as_deref()
                .map(|t| format!("tenant {t}: "))
                .unwrap_or_default();
            let since = metrics().since_drained(at.tenant.as_deref());
            if since > self.max_drain_age {
                health.problems.push(format!(
                    "{name}mailbox not drained for {} s (limit {} s): see the log for \
                     MailboxConnected and 'mailbox session failed', and run `sygnal doctor --mailbox`",
                    since.as_secs(),
                    self.max_drain_age.as_secs()
                ));
            }
            let written = match open(at, desk).await {
                Ok(d) => match tokio::time::timeout(PROBE_LIMIT, d.register.probe_write()).await {
                    Ok(written) => written.map_err(|e| format!("{:#}", DeskError::from(e))),
                    Err(_) => Err(format!(
                        "no write went through within {} s (another process holds the \
                         register's write lock, or its disk stalls)",
                        PROBE_LIMIT.as_secs()
                    )),
                },
                Err(e) => Err(format!("{e:#}")),
            };
            if let Err(e) = written {
                health.problems.push(format!(
                    "{name}register does not take writes: {e} (check disk space, file \
                     permissions and the database server; `sygnal doctor` checks the register)"
                ));
                // Not closed: closing waits for the stuck write. The next request opens anew.
                *desk = None;
            }
        }
        health
    }
}

impl Desk {
    /// Deletions pending and, per [`KINDS`], deadlines overdue.
    async fn figures(&self) -> Result<(u64, [u64; KINDS.len()]), DeskError> {
        let pending = self
            .register
            .pending_deletions(&self.config.mailbox.folder)
            .await?
            .len();
        let mut overdue = [0u64; KINDS.len()];
        for item in self.due(Some(0)).await? {
            if !item.overdue {
                continue;
            }
            if let Some(i) = KINDS.iter().position(|k| *k == item.deadline) {
                if let Some(n) = overdue.get_mut(i) {
                    *n += 1;
                }
            }
        }
        Ok((u64::try_from(pending).unwrap_or(u64::MAX), overdue))
    }
}

/// The tenant's desk, opened now if it was not open.
async fn open<'d>(at: &Installation, desk: &'d mut Option<Desk>) -> Result<&'d Desk, DeskError> {
    match desk {
        Some(d) => Ok(d),
        None => Ok(desk.insert(Desk::open(at).await?)),
    }
}

/// Closes a desk that failed, so the next request opens the register afresh.
async fn drop_desk(desk: &mut Option<Desk>) {
    if let Some(d) = desk.take() {
        d.close().await;
    }
}
