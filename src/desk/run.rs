//! Starting intake: what is checked and logged each time the gateway starts, before it touches
//! the mailbox.

use std::sync::Arc;
use std::time::Duration;

use tracing::Instrument as _;

use super::audit::verify_rows;
use super::{Desk, DeskError, Disposition, Installation};
use crate::config::Deployment;
use crate::intake::{DrainReport, Gateway, GatewayError, Share, Shutdown};

/// Longest wait between attempts to open an unavailable register.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Runs intake: drains the folder once (`once`), or stays up until `shutdown`. In service mode
/// a register that is locked, full or read-only at start is waited for, as it is while running:
/// mail stays on the server meanwhile, nothing is lost. None when shut down while waiting.
/// Without a tenant named, a deployment with several tenants drains every tenant's mailbox,
/// each on its own (one tenant's trouble does not stop the others); the first failure is
/// returned once all have ended.
///
/// With `replicas` > 1 this process takes about its share of the tenants' mailboxes (tenants /
/// replicas) and leaves the rest to the other replicas, taking them too only when nobody else
/// does.
pub async fn run_intake(
    at: &Installation,
    once: bool,
    shutdown: Shutdown,
    replicas: usize,
) -> Result<Option<DrainReport>, DeskError> {
    if at.tenant.is_some() {
        return run_tenant(at, once, shutdown, Arc::new(Share::new(1, replicas))).await;
    }
    let deployment = Deployment::load(&at.config)?;
    let names: Vec<String> = deployment.names().into_iter().map(str::to_owned).collect();
    if names.is_empty() {
        return run_tenant(at, once, shutdown, Arc::new(Share::new(1, replicas))).await;
    }
    let share = Arc::new(Share::new(names.len(), replicas));
    let runs = names.into_iter().map(|name| {
        let one = Installation {
            config: at.config.clone(),
            tenant: Some(name.clone()),
        };
        let shutdown = shutdown.clone();
        let share = share.clone();
        async move {
            let result = run_tenant(&one, once, shutdown, share).await;
            if let Err(e) = &result {
                tracing::error!(error = %format!("{e:#}"), "TenantStopped: this tenant's intake ended; the others go on");
            }
            result
        }
        .instrument(tracing::info_span!("tenant", name = %name))
    });
    let mut total: Option<DrainReport> = None;
    let mut first_error = None;
    for result in futures::future::join_all(runs).await {
        match result {
            Ok(Some(r)) => total.get_or_insert_with(DrainReport::default).add(&r),
            Ok(None) => {}
            Err(e) => {
                first_error.get_or_insert(e);
            }
        }
    }
    match first_error {
        Some(e) => Err(e),
        None => Ok(total),
    }
}

async fn run_tenant(
    config_path: &Installation,
    once: bool,
    mut shutdown: Shutdown,
    share: Arc<Share>,
) -> Result<Option<DrainReport>, DeskError> {
    let mut backoff = Duration::from_secs(1);
    let gateway = loop {
        match open_gateway(config_path).await {
            Ok(g) => break g.with_share(share),
            Err(e) if !once && e.disposition() == Disposition::Retry => {
                tracing::warn!(
                    error = %format!("{e:#}"),
                    retry_in_secs = backoff.as_secs(),
                    "RegisterUnavailable: mail stays on the server; retrying"
                );
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = shutdown.wait() => return Ok(None),
                }
                backoff = (backoff * 2).min(MAX_BACKOFF);
            }
            Err(e) => return Err(e),
        }
    };
    let mailbox = gateway.config().mailbox.clone();
    // A mailbox failure is told with its server, login and folder.
    let told = |e: GatewayError| match e {
        GatewayError::Imap(source) => super::mailbox::mailbox_error(&mailbox, None, source),
        e => DeskError::from(e),
    };
    if once {
        let report = gateway.run(once, shutdown).await.map_err(told)?;
        // What this pass filed is acknowledged in the same run.
        deliver(config_path).await;
        return Ok(Some(report));
    }
    // In service mode retention runs beside intake: at start, then daily; the outbox is sent
    // every few seconds.
    let (done_tx, done) = tokio::sync::watch::channel(false);
    let intake = async {
        let result = gateway.run(once, shutdown.clone()).await;
        let _ = done_tx.send(true);
        result
    };
    let (report, (), ()) = tokio::join!(
        intake,
        daily_retention(config_path, done.clone()),
        keep_delivering(config_path, done)
    );
    Ok(Some(report.map_err(told)?))
}

/// How often `sygnal run` looks for mail to send to reporters.
const DELIVER_EVERY: Duration = Duration::from_secs(10);

/// How often `sygnal run` looks whether today's deadline digest is due.
const DIGEST_EVERY: Duration = Duration::from_secs(15 * 60);

/// One pass over the outbox, then (`digest`) the deadline digest; a failure is logged, never
/// stops intake. The desk is kept.
async fn deliver_with(at: &Installation, desk: Option<Desk>, digest: bool) -> Option<Desk> {
    let desk = match desk {
        Some(d) => d,
        None => match Desk::open(at).await {
            Ok(d) => d,
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "OutboxFailed: register unavailable");
                return None;
            }
        },
    };
    if desk.config.contact.is_none() {
        return Some(desk);
    }
    match desk.deliver_messages().await {
        Ok(d) if d.sent + d.failed + d.retrying + d.limited > 0 => tracing::info!(
            sent = d.sent,
            resent = d.resent,
            retrying = d.retrying,
            failed = d.failed,
            limited = d.limited,
            "OutboxDelivered"
        ),
        Ok(_) => {}
        Err(e) => {
            tracing::error!(error = %format!("{e:#}"), "OutboxFailed: tried again shortly; `sygnal cases due` lists what is unsent")
        }
    }
    if digest {
        if let Err(e) = desk.send_deadline_digests().await {
            tracing::error!(error = %format!("{e:#}"), "DeadlineDigestFailed: tried again later");
        }
    }
    Some(desk)
}

/// One pass over the outbox, and the deadline digest.
async fn deliver(at: &Installation) {
    if let Some(desk) = deliver_with(at, None, true).await {
        desk.close().await;
    }
}

async fn keep_delivering(at: &Installation, mut done: tokio::sync::watch::Receiver<bool>) {
    let mut desk = None;
    let mut digest_at = std::time::Instant::now();
    loop {
        let digest = std::time::Instant::now() >= digest_at;
        if digest {
            digest_at = std::time::Instant::now() + DIGEST_EVERY;
        }
        desk = deliver_with(at, desk.take(), digest).await;
        if desk.as_ref().is_some_and(|d| d.config.contact.is_none()) {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep(DELIVER_EVERY) => {}
            _ = done.changed() => break,
        }
    }
    if let Some(desk) = desk {
        desk.close().await;
    }
}

/// How often `sygnal run` destroys what is past its retention date.
const RETENTION_EVERY: Duration = Duration::from_secs(24 * 3600);

/// Runs retention now and every day until `done`. A failed run is logged and tried again the
/// next day; it never stops intake.
async fn daily_retention(at: &Installation, mut done: tokio::sync::watch::Receiver<bool>) {
    loop {
        match Desk::open(at).await {
            Ok(desk) => {
                match desk.run_retention(false).await {
                    Ok(run) if run.running_elsewhere.is_some() => {
                        tracing::info!("RetentionRunElsewhere: another replica runs it today");
                    }
                    Ok(run) => {
                        if !run.destroyed.is_empty() || !run.on_hold.is_empty() {
                            tracing::info!(
                                destroyed = run.destroyed.len(),
                                on_hold = run.on_hold.len(),
                                "RetentionRun"
                            );
                        }
                    }
                    Err(e) => {
                        tracing::error!(error = %format!("{e:#}"), "RetentionFailed: tried again tomorrow; `sygnal retention run` does it now")
                    }
                }
                desk.close().await;
            }
            Err(e) => {
                tracing::warn!(error = %format!("{e:#}"), "RetentionFailed: register unavailable")
            }
        }
        tokio::select! {
            _ = tokio::time::sleep(RETENTION_EVERY) => {}
            _ = done.changed() => return,
        }
    }
}

/// Opens the gateway: records the configuration, logs the audit chain's head (logs shipped to
/// another system witness it, so a later truncation of the trail can be caught) and the keys
/// that expire or end their grace soon. A broken chain needs the operator, but intake goes on:
/// mail must not pile up on the server.
async fn open_gateway(config_path: &Installation) -> Result<Gateway, DeskError> {
    let desk = Desk::open(config_path).await?;
    let rows = desk.register.audit_entries().await;
    let warnings = desk.key_warnings().await;
    let config = desk.config.clone();
    desk.close().await;
    match verify_rows(&rows?, None) {
        Ok(h) => {
            tracing::info!(id = h.id, hash = %h.hash, entries = h.entries, "AuditChainVerified")
        }
        Err(b) => tracing::error!(error = %b, "AuditChainBroken: run `sygnal audit verify`"),
    }
    match warnings {
        Ok(warnings) => {
            for w in warnings {
                tracing::warn!("KeyExpiryApproached: {w}");
            }
        }
        Err(e) => tracing::warn!("KeyCheckFailed: {e}"),
    }
    Ok(Gateway::open(config).await?)
}
