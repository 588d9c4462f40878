//! `sygnal run`: drain the mailbox once, or stay up with IDLE until SIGTERM/Ctrl-C.

use std::path::Path;

use clap::Args;

use super::load_config;
use crate::intake::{Gateway, Shutdown};

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Drain the folder and exit.
    #[arg(long)]
    once: bool,
}

pub async fn run(config_path: &Path, args: RunArgs) -> anyhow::Result<()> {
    let config = load_config(config_path)?;
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
    let gateway = Gateway::open(config).await?;
    let (trigger, shutdown) = Shutdown::new();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("ShutdownRequested: finishing the message in hand");
        let _ = trigger.send(true);
    });
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
