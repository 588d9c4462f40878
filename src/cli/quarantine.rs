//! `sygnal quarantine`: list entries; retry them (e.g. after an earlier intake key was imported).
//!
//! Quarantined messages are sealed to the handlers, so a retry needs a handler's key to reopen
//! the raw message: the gateway cannot read what it quarantined.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use clap::Subcommand;

use super::admin::open_all;
use super::cases::{actor, unseal_error};
use super::{coded, exit, load_config, print_json, reader_key};
use crate::intake::{self, Readers};
use crate::openpgp;
use crate::register::{AuditEntry, NewCase, Role};
use crate::vault::{self, BlobKind};

#[derive(Subcommand, Debug)]
pub enum QuarantineCommand {
    /// List quarantine entries: id, date received, reason.
    List {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Process held entries again (all, or one ID); files those that now open.
    Retry {
        /// Entry id (default: every held entry).
        id: Option<i64>,
        /// A handler's secret key, to reopen the sealed raw messages.
        #[arg(long)]
        key: PathBuf,
    },
}

pub async fn quarantine(config_path: &Path, command: QuarantineCommand) -> anyhow::Result<()> {
    match command {
        QuarantineCommand::List { json } => {
            let (register, _) = open_all(config_path).await?;
            let entries = register.list_quarantine().await?;
            register.close().await;
            if json {
                return print_json(&entries);
            }
            if entries.is_empty() {
                println!("quarantine is empty");
            }
            for q in &entries {
                println!(
                    "#{:<5} {} {:<15} {:<28} {}{}",
                    q.id,
                    q.received_at,
                    q.state,
                    q.reason,
                    q.detail,
                    q.case
                        .as_deref()
                        .map(|c| format!(" -> {c}"))
                        .unwrap_or_default()
                );
            }
            Ok(())
        }
        QuarantineCommand::Retry { id, key } => retry(config_path, id, &key).await,
    }
}

async fn retry(config_path: &Path, id: Option<i64>, key_path: &Path) -> anyhow::Result<()> {
    let config = load_config(config_path)?;
    let (register, keys) = open_all(config_path).await?;
    let key = reader_key::load(key_path)?;
    let keyring = keys.intake_keyring()?;
    let mut handlers = Vec::new();
    let mut custodians = Vec::new();
    for r in register.readers().await? {
        let cert = openpgp::parse_cert(&r.cert)?;
        if openpgp::check_recipient(&cert).is_err() {
            continue;
        }
        if r.role == Role::Custodian {
            custodians.push(cert.clone());
        }
        handlers.push(cert);
    }
    let readers = Arc::new(Readers {
        handlers,
        custodians,
    });
    let ids: Vec<i64> = match id {
        Some(i) => vec![i],
        None => register
            .list_quarantine()
            .await?
            .into_iter()
            .filter(|q| q.state == "held")
            .map(|q| q.id)
            .collect(),
    };
    if ids.is_empty() {
        println!("no held entries");
    }
    let actor = actor(&register, &key.fingerprint).await?;
    let (mut filed, mut still) = (0, 0);
    for qid in ids {
        let entry = register
            .quarantine_entry(qid)
            .await?
            .ok_or_else(|| coded(exit::NOT_FOUND, format!("no quarantine entry #{qid}")))?;
        if entry.summary.state != "held" {
            println!("#{qid}: {} (nothing to retry)", entry.summary.state);
            continue;
        }
        let Some((shred_id, blob)) = entry.raw else {
            println!("#{qid}: no stored message");
            continue;
        };
        let shred = keys.shred_key(&shred_id)?;
        let raw = vault::open(
            &blob,
            &shred,
            BlobKind::Quarantine,
            &key.cert,
            key.passphrase.as_ref(),
            config.limits.max_message_bytes.saturating_mul(2),
        )
        .map_err(|e| unseal_error(e, &format!("quarantine #{qid}"), "a handler"))?;
        register
            .audit(&AuditEntry {
                actor: actor.clone(),
                action: "QuarantineRetried",
                case_number: None,
                detail: format!("quarantine #{qid}"),
            })
            .await?;
        let received_at = entry.summary.received_at;
        match intake::open_and_split(&raw, &keyring, &config.limits, received_at) {
            Ok(split) => {
                let (shred_id, shred) = keys.new_shred_key()?;
                let sealed = intake::seal_split(&split, &readers, &shred)?;
                let case = NewCase {
                    received_at,
                    encrypted: sealed.encrypted,
                    signed: sealed.signed,
                    shred_key: shred_id,
                    report: sealed.report,
                    identity: sealed.identity,
                };
                let done = register
                    .file_case_from_quarantine(qid, &case, &config.cases.number_pattern)
                    .await?;
                println!("#{qid}: filed as {}", done.number);
                filed += 1;
            }
            Err(rejection) => {
                register
                    .update_quarantine_reason(qid, &rejection.code, &rejection.detail)
                    .await?;
                println!(
                    "#{qid}: still quarantined: {} ({})",
                    rejection.code, rejection.detail
                );
                still += 1;
            }
        }
    }
    register.close().await;
    println!("{filed} filed, {still} still quarantined");
    Ok(())
}
