//! Starting intake: what is checked and logged each time the gateway starts, before it touches
//! the mailbox.

use std::path::Path;
use std::time::Duration;

use super::audit::verify_rows;
use super::{Desk, DeskError, Disposition};
use crate::intake::{DrainReport, Gateway, Shutdown};

/// Longest wait between attempts to open an unavailable register.
const MAX_BACKOFF: Duration = Duration::from_secs(300);

/// Runs intake: drains the folder once (`once`), or stays up until `shutdown`. In service mode
/// a register that is locked, full or read-only at start is waited for, as it is while running:
/// mail stays on the server meanwhile, nothing is lost. None when shut down while waiting.
pub async fn run_intake(
    config_path: &Path,
    once: bool,
    mut shutdown: Shutdown,
) -> Result<Option<DrainReport>, DeskError> {
    let mut backoff = Duration::from_secs(1);
    let gateway = loop {
        match open_gateway(config_path).await {
            Ok(g) => break g,
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
    Ok(Some(gateway.run(once, shutdown).await?))
}

/// Opens the gateway: records the configuration, logs the audit chain's head (logs shipped to
/// another system witness it, so a later truncation of the trail can be caught) and the keys
/// that expire or end their grace soon. A broken chain needs the operator, but intake goes on:
/// mail must not pile up on the server.
async fn open_gateway(config_path: &Path) -> Result<Gateway, DeskError> {
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
