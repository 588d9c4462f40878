//! `sygnal run`: drain the mailbox once, or stay up with IDLE until SIGTERM/Ctrl-C.

use std::path::Path;
use std::time::Duration;

use clap::Args;

use crate::desk::{self, Disposition};
use crate::intake::Shutdown;

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Drain the folder and exit.
    #[arg(long)]
    once: bool,
}

pub async fn run(config_path: &Path, args: RunArgs) -> anyhow::Result<()> {
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
        match desk::open_gateway(config_path).await {
            Ok(g) => break g,
            Err(e) if !args.once && e.disposition() == Disposition::Retry => {
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
            Err(e) => return Err(e.into()),
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
