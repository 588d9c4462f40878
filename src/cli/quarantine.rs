//! `sygnal quarantine`: list entries; retry them (e.g. after an earlier intake key was
//! imported) or discard them.
//!
//! A quarantined raw message carries the sender's details, so it is sealed to the identity
//! custodians only: retry and discard need a custodian's key. Anyone may list entries (reason,
//! size, date; never content).

use crate::desk::Installation;
use std::path::PathBuf;

use clap::Subcommand;

use super::{print_json, reader_key, term, with_desk};
use crate::desk::RetryItem;

#[derive(Subcommand, Debug)]
pub enum QuarantineCommand {
    /// List quarantine entries: id, date received, state, reason, sealed size.
    List {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Process held entries again (all, or one ID); files those that now open.
    Retry {
        /// Entry id (default: every held entry).
        id: Option<i64>,
        /// An identity custodian's secret key, to reopen the sealed raw messages.
        #[arg(long)]
        key: PathBuf,
    },
    /// Discard a held entry: its raw message is destroyed for good.
    Discard {
        /// Entry id.
        id: i64,
        /// An identity custodian's secret key.
        #[arg(long)]
        key: PathBuf,
    },
}

pub async fn quarantine(
    config_path: &Installation,
    command: QuarantineCommand,
) -> anyhow::Result<()> {
    match command {
        QuarantineCommand::List { json } => {
            let entries = with_desk(config_path, async |d| d.quarantine().await).await?;
            if json {
                return print_json(&entries);
            }
            if entries.is_empty() {
                println!("quarantine is empty");
            }
            for q in &entries {
                println!(
                    "#{:<5} {} {:<15} {:<28} {}{}{}",
                    q.id,
                    q.received_at,
                    q.state,
                    term::line(&q.reason),
                    term::line(&q.detail),
                    q.sealed_bytes
                        .map(|b| format!(" [{b} bytes sealed]"))
                        .unwrap_or_default(),
                    q.case
                        .as_deref()
                        .map(|c| format!(" -> {c}"))
                        .unwrap_or_default()
                );
            }
            Ok(())
        }
        QuarantineCommand::Discard { id, key } => {
            let key = reader_key::load(&key)?;
            with_desk(config_path, async |d| d.discard_quarantine(id, &key).await).await?;
            println!("#{id}: discarded; its raw message is destroyed");
            Ok(())
        }
        QuarantineCommand::Retry { id, key } => {
            let key = reader_key::load(&key)?;
            let items = with_desk(config_path, async |d| {
                d.retry_quarantine(id, &key, print_item).await
            })
            .await?;
            if items.is_empty() {
                println!("no held entries");
            }
            let filed = items
                .iter()
                .filter(|i| matches!(i, RetryItem::Filed { .. }))
                .count();
            let still = items
                .iter()
                .filter(|i| matches!(i, RetryItem::StillQuarantined { .. }))
                .count();
            println!("{filed} filed, {still} still quarantined");
            Ok(())
        }
    }
}

/// One entry's outcome, printed as soon as it is committed.
fn print_item(item: &RetryItem) {
    match item {
        RetryItem::Filed { id, number } => println!("#{id}: filed as {number}"),
        RetryItem::StillQuarantined { id, code, detail } => println!(
            "#{id}: still quarantined: {} ({})",
            term::line(code),
            term::line(detail)
        ),
        RetryItem::NotHeld { id, state } => println!("#{id}: {state} (nothing to retry)"),
        RetryItem::NoMessage { id } => println!("#{id}: no stored message"),
    }
}
