//! `sygnal run`: drain the mailbox once, or stay up with IDLE until SIGTERM/Ctrl-C.

use crate::desk::Installation;

use anyhow::Context as _;
use clap::Args;

use crate::desk;
use crate::intake::Shutdown;

#[derive(Args, Debug)]
pub struct RunArgs {
    /// Drain the folder and exit.
    #[arg(long)]
    once: bool,
    /// How many replicas of this gateway run (on this and other hosts): each takes about its
    /// share of the tenants' mailboxes, and the rest when the others stop.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    replicas: u16,
}

pub async fn run(config_path: &Installation, args: RunArgs) -> anyhow::Result<()> {
    let (trigger, shutdown) = Shutdown::new();
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("ShutdownRequested: finishing the message in hand");
        let _ = trigger.send(true);
    });
    let endpoints = match desk::Operations::configured(config_path)? {
        Some((listen, operations)) if !args.once => {
            let listener = tokio::net::TcpListener::bind(listen)
                .await
                .with_context(|| {
                    format!(
                        "cannot listen on {listen} ([operations] listen in {}): another program \
                         holds the port, or choose another",
                        config_path.display()
                    )
                })?;
            tracing::info!(listen = %listen, "OperationsEndpointsServed: /metrics and /health");
            Some(super::operations::serve(listener, operations))
        }
        _ => None,
    };
    let intake = desk::run_intake(config_path, args.once, shutdown, usize::from(args.replicas));
    let report = match endpoints {
        // The endpoints live as long as intake runs, on the same task.
        Some(endpoints) => tokio::select! {
            report = intake => report,
            never = endpoints => match never {},
        },
        None => intake.await,
    };
    let Some(report) = report? else {
        return Ok(());
    };
    tracing::info!(
        filed = report.filed,
        quarantined = report.quarantined,
        recognised = report.recognised,
        deleted = report.deleted,
        left_on_server = report.left,
        gateway_peak_kib = crate::telemetry::peak_rss_kib(),
        worker_peak_kib = report.worker_peak_kib,
        "GatewayStopped"
    );
    Ok(())
}

/// Resolves on SIGTERM or Ctrl-C.
pub(super) async fn wait_for_signal() {
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
