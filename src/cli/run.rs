//! `sygnal run`: drain the mailbox once, or stay up with IDLE until SIGTERM/Ctrl-C.

use std::path::Path;
use std::time::Duration;

use clap::Args;

use super::load_config;
use crate::config::Config;
use crate::intake::{Gateway, GatewayError, Shutdown};
use crate::register::RegisterError;

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Drain the folder and exit.
    #[arg(long)]
    once: bool,
}

pub async fn run(config_path: &Path, args: RunArgs) -> anyhow::Result<()> {
    let config = load_config(config_path)?;
    let (trigger, mut shutdown) = Shutdown::new();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("ShutdownRequested: finishing the message in hand");
        let _ = trigger.send(true);
    });
    // A register that is locked, full or read-only at start is waited for in service mode, as
    // it is while running: mail stays on the server meanwhile, nothing is lost.
    let mut backoff = Duration::from_secs(1);
    let gateway = loop {
        match open_gateway(config_path, &config).await {
            Ok(g) => break g,
            Err(e) if !args.once && register_unavailable(&e) => {
                tracing::warn!(
                    error = %format!("{e:#}"),
                    retry_in_secs = backoff.as_secs(),
                    "RegisterUnavailable: mail stays on the server; retrying"
                );
                tokio::select! {
                    _ = tokio::time::sleep(backoff) => {}
                    _ = shutdown.wait() => return Ok(()),
                }
                backoff = (backoff * 2).min(Duration::from_secs(300));
            }
            Err(e) => return Err(e),
        }
    };
    let report = gateway.run(args.once, shutdown).await?;
    tracing::info!(
        filed = report.filed,
        quarantined = report.quarantined,
        recognised = report.recognised,
        deleted = report.deleted,
        left_on_server = report.left,
        "GatewayStopped"
    );
    Ok(())
}

async fn open_gateway(config_path: &Path, config: &Config) -> anyhow::Result<Gateway> {
    {
        let register = crate::register::Register::open(&config.register).await?;
        let noted = super::admin::note_config(config_path, &register).await;
        let rows = register.audit_entries().await;
        register.close().await;
        noted?;
        // The head goes to the log at every start: logs shipped to another system witness it,
        // so a later truncation of the trail can be caught. A broken chain needs the operator,
        // but intake goes on (mail must not pile up on the server).
        match super::audit::verify_rows(&rows?, None) {
            Ok(h) => {
                tracing::info!(id = h.id, hash = %h.hash, entries = h.entries, "AuditChainVerified")
            }
            Err(b) => tracing::error!(error = %b, "AuditChainBroken: run `sygnal audit verify`"),
        }
    }
    Ok(Gateway::open(config.clone()).await?)
}

/// A database or file-system failure of the register (locked, full, read-only), as opposed to
/// a configuration that can never work.
fn register_unavailable(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        matches!(
            cause.downcast_ref::<RegisterError>(),
            Some(RegisterError::Db { .. } | RegisterError::Io { .. })
        ) || matches!(
            cause.downcast_ref::<GatewayError>(),
            Some(GatewayError::Register(
                RegisterError::Db { .. } | RegisterError::Io { .. }
            ))
        )
    })
}

async fn wait_for_signal() {
    let mut term = match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(s) => s,
        Err(_) => {
            let _ = tokio::signal::ctrl_c().await;
            return;
        }
    };
    tokio::select! {
        _ = term.recv() => {}
        _ = tokio::signal::ctrl_c() => {}
    }
}
