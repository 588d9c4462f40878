//! `sygnal identity unseal`: custodians only, with a reason that is recorded before anything is shown.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Subcommand;
use serde_json::Value;

use super::admin::open_all;
use super::cases::{actor, unseal_error, MAX_RECORD_BYTES};
use super::disclosure;
use super::{coded, exit, print_json, reader_key, terminal_safe};
use crate::register::AuditEntry;
use crate::vault::{self, BlobKind};

#[derive(Subcommand, Debug)]
pub enum IdentityCommand {
    /// Open the sealed identity record of a case (custodian key; the reason is recorded).
    Unseal {
        /// Case number.
        number: String,
        /// The custodian's secret key file.
        #[arg(long)]
        key: PathBuf,
        /// Why the identity is needed (recorded in the audit trail).
        #[arg(long)]
        reason: String,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Record a disclosure of the reporter's identity to a third party (custodian key).
    ///
    /// The reporter must be told beforehand, in writing, with the reasons, unless telling them
    /// would endanger the investigation or the proceedings (art. 8 of the act): say which with
    /// --reporter-notice.
    Disclose {
        /// Case number.
        number: String,
        /// The custodian's secret key file.
        #[arg(long)]
        key: PathBuf,
        /// Who receives the identity (e.g. "Prokuratura Rejonowa Warszawa-Mokotów").
        #[arg(long)]
        to: String,
        /// Legal basis (e.g. "art. 8 ust. 3 ustawy o ochronie sygnalistów; postanowienie ...").
        #[arg(long)]
        legal_basis: String,
        /// Why.
        #[arg(long)]
        reason: String,
        /// informed (the reporter was told beforehand) or withheld-would-endanger.
        #[arg(long)]
        reporter_notice: Option<String>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// List every unseal and disclosure of identity, optionally of one case.
    Log {
        /// Case number.
        number: Option<String>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

pub async fn identity(config_path: &Path, command: IdentityCommand) -> anyhow::Result<()> {
    let (number, key, reason, json) = match command {
        IdentityCommand::Unseal {
            number,
            key,
            reason,
            json,
        } => (number, key, reason, json),
        IdentityCommand::Disclose {
            number,
            key,
            to,
            legal_basis,
            reason,
            reporter_notice,
            json,
        } => {
            return disclosure::disclose(
                config_path,
                &number,
                &key,
                disclosure::Request {
                    to,
                    legal_basis,
                    reason,
                    reporter_notice,
                },
                json,
            )
            .await
        }
        IdentityCommand::Log { number, json } => {
            return disclosure::log(config_path, number.as_deref(), json).await
        }
    };
    if reason.trim().chars().count() < 5 {
        return Err(coded(
            exit::USAGE,
            "--reason must say why the identity is needed (at least a few words); it is recorded",
        ));
    }
    let (register, keys) = open_all(config_path).await?;
    let record = register
        .case(&number)
        .await?
        .ok_or_else(|| coded(exit::NOT_FOUND, format!("no case {number}")))?;
    let key = reader_key::load(&key)?;
    let shred = keys.shred_key(&record.shred_key)?;
    let plaintext = vault::open(
        &record.identity,
        &shred,
        BlobKind::Identity,
        &key.cert,
        key.passphrase.as_ref(),
        MAX_RECORD_BYTES,
    )
    .map_err(|e| unseal_error(e, &number, "an identity custodian"))?;
    // Recorded durably before anything is shown: no disclosure without its record.
    register
        .audit(&AuditEntry {
            actor: actor(&register, &key.fingerprint).await?,
            action: "IdentityUnsealed",
            case_number: Some(number.clone()),
            detail: format!("reason: {}", reason.trim()),
        })
        .await?;
    register.close().await;

    let mut identity: Value = serde_json::from_slice(&plaintext)
        .context("the opened identity record is not valid JSON")?;
    if let Value::Object(map) = &mut identity {
        map.insert("number".into(), Value::from(number.as_str()));
    }
    if json {
        return print_json(&identity);
    }
    println!("Identity record of case {number} (this disclosure is recorded)");
    let show = |label: &str, key: &str| {
        if let Some(v) = identity.get(key).filter(|v| !v.is_null()) {
            let text = match v {
                Value::String(s) => s.clone(),
                Value::Array(items) => items
                    .iter()
                    .map(|i| {
                        i.as_str()
                            .map(str::to_owned)
                            .unwrap_or_else(|| i.to_string())
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                other => other.to_string(),
            };
            if !text.is_empty() && text != "[]" {
                println!("{label:<18} {}", terminal_safe(&text));
            }
        }
    };
    show("From:", "from");
    show("Reply-To:", "reply_to");
    show("Sender:", "sender");
    show("Return-Path:", "return_path");
    show("To:", "to");
    show("Cc:", "cc");
    show("Message-ID:", "message_id");
    show("User-Agent:", "user_agent");
    show("Originating IP:", "x_originating_ip");
    show("Received via:", "received_hosts_ips");
    if let Some(pgp) = identity.get("openpgp") {
        let list = |key: &str| -> String {
            match pgp.get(key) {
                Some(Value::Array(items)) if !items.is_empty() => items
                    .iter()
                    .map(|i| match i {
                        Value::String(s) => s.clone(),
                        Value::Object(o) => format!(
                            "{} ({})",
                            o.get("issuer").and_then(Value::as_str).unwrap_or("?"),
                            if o.get("verified").and_then(Value::as_bool) == Some(true) {
                                "verified"
                            } else {
                                "not verified"
                            }
                        ),
                        other => other.to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(", "),
                _ => "none".to_owned(),
            }
        };
        println!(
            "{:<18} {}",
            "Signed by:",
            terminal_safe(&list("signatures"))
        );
        println!(
            "{:<18} {}",
            "Also encrypted to:",
            terminal_safe(&list("foreign_recipients"))
        );
        if let Some(name) = pgp.get("literal_filename").and_then(Value::as_str) {
            println!("{:<18} {}", "PGP file name:", terminal_safe(name));
        }
    }
    print_original_attachments(&identity);
    println!("(all headers: use --json)");
    Ok(())
}

/// Metadata found in the attachments before cleaning (the originals themselves: `--json`).
fn print_original_attachments(identity: &Value) {
    let Some(items) = identity
        .get("original_attachments")
        .and_then(Value::as_array)
        .filter(|a| !a.is_empty())
    else {
        return;
    };
    println!("Attachment metadata (originals sealed here; the case has cleaned copies):");
    for item in items {
        println!(
            "  attachment {} (original sha256 {}):",
            item.get("index").and_then(Value::as_u64).unwrap_or(0),
            item.get("sha256").and_then(Value::as_str).unwrap_or("?")
        );
        for m in item
            .get("metadata")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let field = m.get("field").and_then(Value::as_str).unwrap_or("?");
            let value = m.get("value").and_then(Value::as_str).unwrap_or("");
            // One line per value: a multi-line XMP packet is shown whole by --json.
            let first = value.lines().next().unwrap_or("");
            let more = if value.lines().nth(1).is_some() {
                " …"
            } else {
                ""
            };
            println!(
                "    {field}: {}{more}",
                crate::mail::sanitize::one_line(first)
            );
        }
    }
}
