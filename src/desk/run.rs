//! Starting intake: what is checked and logged each time the gateway starts, before it touches
//! the mailbox.

use std::path::Path;

use super::audit::verify_rows;
use super::{Desk, DeskError};
use crate::intake::Gateway;

/// Opens the gateway: records the configuration, logs the audit chain's head (logs shipped to
/// another system witness it, so a later truncation of the trail can be caught) and the keys
/// that expire or end their grace soon. A broken chain needs the operator, but intake goes on:
/// mail must not pile up on the server.
pub async fn open_gateway(config_path: &Path) -> Result<Gateway, DeskError> {
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
