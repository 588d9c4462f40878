//! `sygnal audit show|verify|head`: the tamper-evident audit trail (invariant 6). Reading it
//! needs no key: it holds actors, actions, case numbers and reasons, never content.

use std::path::Path;

use clap::Subcommand;

use super::{print_json, with_desk};
use crate::desk;

#[derive(Subcommand, Debug)]
pub enum AuditCommand {
    /// Show the audit trail, oldest first.
    Show {
        /// Only entries of this case.
        #[arg(long)]
        case: Option<String>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Check the hash chain; reports the first broken link and exits 1 if there is one.
    Verify {
        /// A head recorded earlier (`ID:HASH` from `sygnal audit head`): it must still be in
        /// the chain, so a truncated or rewritten tail is caught.
        #[arg(long, alias = "expect-head")]
        head: Option<String>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Print the current head (`ID:HASH`) to record elsewhere.
    Head {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

pub async fn audit(config_path: &Path, command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Show { case, json } => {
            let rows =
                with_desk(config_path, async |d| d.audit_trail(case.as_deref()).await).await?;
            if json {
                return print_json(&rows);
            }
            for r in rows {
                println!(
                    "{:>5} {} {:<22} {:<14} {} {}",
                    r.id,
                    r.at,
                    r.action,
                    r.case_number.as_deref().unwrap_or("-"),
                    r.actor,
                    r.detail
                );
            }
            Ok(())
        }
        AuditCommand::Verify { head, json } => {
            let verdict =
                with_desk(config_path, async |d| d.verify_audit(head.as_deref()).await).await?;
            if json {
                print_json(&verdict)?;
            } else if let Some(h) = &verdict.head {
                println!(
                    "audit chain intact: {} entries, head {}:{}",
                    h.entries, h.id, h.hash
                );
            }
            Ok(desk::audit_broken(&verdict)?)
        }
        AuditCommand::Head { json } => {
            let h = with_desk(config_path, async |d| d.audit_head().await).await?;
            if json {
                return print_json(&h);
            }
            println!("{}:{}", h.id, h.hash);
            Ok(())
        }
    }
}
