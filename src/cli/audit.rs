//! `sygnal audit show|verify|head|checkpoint`: the tamper-evident audit trail (invariant 6).
//! Reading it needs no key: it holds actors, actions and case numbers, never content or free
//! text. Custodians sign checkpoints of it.

use crate::desk::Installation;
use std::path::PathBuf;

use clap::Subcommand;

use super::{print_json, reader_key, term, with_desk};
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
    /// Sign the current head with a custodian's key (also done whenever a custodian acts), so
    /// that changing or removing any entry up to it shows in `audit verify`.
    Checkpoint {
        /// An identity custodian's secret key.
        #[arg(long)]
        key: PathBuf,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

pub async fn audit(config_path: &Installation, command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::Show { case, json } => {
            let rows =
                with_desk(config_path, async |d| d.audit_trail(case.as_deref()).await).await?;
            if json {
                return print_json(&rows);
            }
            for r in rows {
                println!(
                    // A time with its offset is 25 wide; entries dated to the day only line up.
                    "{:>5} {:<25} {:<22} {:<14} {} {}",
                    r.id,
                    term::local_time(&r.at),
                    term::line(&r.action),
                    term::line(r.case_number.as_deref().unwrap_or("-")),
                    term::line(&r.actor),
                    term::line(&r.detail)
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
                match &verdict.latest_checkpoint {
                    Some(c) => println!(
                        "{} custodian checkpoint(s) hold; the latest covers entries up to {} (signed by {})",
                        verdict.checkpoints, c.entry, c.signer
                    ),
                    None => println!(
                        "no custodian checkpoint yet: whoever holds the register file could rewrite \
                         the chain unseen; sign one with `sygnal audit checkpoint --key CUSTODIAN-KEY`"
                    ),
                }
            }
            Ok(desk::audit_broken(&verdict)?)
        }
        AuditCommand::Checkpoint { key, json } => {
            let key = reader_key::load(&key)?;
            let c = with_desk(config_path, async |d| d.audit_checkpoint(&key).await).await?;
            if json {
                return print_json(&c);
            }
            println!(
                "checkpoint signed by {}: entries up to {}:{}",
                c.signer, c.entry, c.hash
            );
            println!(
                "keep `{}:{}` outside the register too; `sygnal audit verify --head` checks it",
                c.entry, c.hash
            );
            Ok(())
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
