//! `sygnal audit show|verify|head`: the tamper-evident audit trail (invariant 5). Reading it
//! needs no key: it holds actors, actions, case numbers and reasons, never content.

use std::path::Path;

use clap::Subcommand;
use serde::Serialize;

use super::admin::open_all;
use super::{coded, exit, print_json};
use crate::audit::{self, ChainBreak, Head, Link, Stored};
use crate::register::AuditRow;

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

/// Checks stored rows as the chain sees them.
pub(super) fn verify_rows(
    rows: &[AuditRow],
    expect: Option<(i64, &str)>,
) -> Result<Head, ChainBreak> {
    let stored: Vec<Stored<'_>> = rows
        .iter()
        .map(|r| Stored {
            link: Link {
                id: r.id,
                at: &r.at,
                actor: &r.actor,
                action: &r.action,
                case_number: r.case_number.as_deref(),
                detail: &r.detail,
                prev_hash: r.prev_hash.as_deref().unwrap_or(""),
            },
            hash: r.hash.as_deref(),
        })
        .collect();
    audit::verify(&stored, expect)
}

/// `ID:HASH`, or a bare `HASH` (then the entry carrying it is looked up; none is a break).
fn expected_head(text: &str, rows: &[AuditRow]) -> anyhow::Result<(i64, String)> {
    if let Some(h) = audit::parse_head(text) {
        return Ok(h);
    }
    let hash = text.trim().to_ascii_lowercase();
    if hash.len() != 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(coded(
            exit::USAGE,
            "--head must be ID:HASH (or HASH) as printed by `sygnal audit head`",
        ));
    }
    let id = rows
        .iter()
        .find(|r| r.hash.as_deref() == Some(hash.as_str()))
        .map(|r| r.id)
        .unwrap_or(0);
    Ok((id, hash))
}

#[derive(Serialize)]
struct Verdict {
    ok: bool,
    head: Option<Head>,
    #[serde(rename = "break")]
    broken: Option<ChainBreak>,
}

pub async fn audit(config_path: &Path, command: AuditCommand) -> anyhow::Result<()> {
    let (register, _keys) = open_all(config_path).await?;
    let rows = register.audit_entries().await;
    register.close().await;
    let rows = rows?;
    match command {
        AuditCommand::Show { case, json } => {
            let rows: Vec<&AuditRow> = rows
                .iter()
                .filter(|r| case.is_none() || r.case_number == case)
                .collect();
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
            let expect = match head.as_deref() {
                None => None,
                Some(h) => Some(expected_head(h, &rows)?),
            };
            let result = verify_rows(&rows, expect.as_ref().map(|(i, h)| (*i, h.as_str())));
            if json {
                print_json(&Verdict {
                    ok: result.is_ok(),
                    head: result.as_ref().ok().cloned(),
                    broken: result.as_ref().err().cloned(),
                })?;
            }
            match result {
                Ok(h) => {
                    if !json {
                        println!(
                            "audit chain intact: {} entries, head {}:{}",
                            h.entries, h.id, h.hash
                        );
                    }
                    Ok(())
                }
                Err(b) => Err(coded(exit::ERROR, format!("audit chain BROKEN: {b}"))),
            }
        }
        AuditCommand::Head { json } => {
            // The head of a broken chain is worthless as a witness: refuse to print one.
            let h = verify_rows(&rows, None)
                .map_err(|b| coded(exit::ERROR, format!("audit chain BROKEN: {b}")))?;
            if json {
                return print_json(&h);
            }
            println!("{}:{}", h.id, h.hash);
            Ok(())
        }
    }
}
