//! `sygnal identity disclose|log`: disclosures of the reporter's identity to third parties are
//! recorded apart (with the legal basis and whether the reporter was told first) and listed
//! with every unseal (invariant 5).

use std::path::Path;

use serde::Serialize;

use super::admin::open_all;
use super::cases::{actor, unseal_error, MAX_RECORD_BYTES};
use super::{coded, exit, print_json, reader_key};
use crate::register::{NewDisclosure, ReporterNotice};
use crate::vault::{self, BlobKind};

/// What the custodian asked to record.
pub(super) struct Request {
    pub to: String,
    pub legal_basis: String,
    pub reason: String,
    pub reporter_notice: Option<String>,
}

const NOTICE_REMINDER: &str =
    "before the identity is disclosed the reporter must be told, in writing, with the reasons \
     for the disclosure, unless telling them would endanger the investigation or the proceedings \
     (art. 8 of the act of 14 June 2024). Say which applies: \
     --reporter-notice informed | --reporter-notice withheld-would-endanger";

pub(super) async fn disclose(
    config_path: &Path,
    number: &str,
    key_path: &Path,
    req: Request,
    json: bool,
) -> anyhow::Result<()> {
    let notice = match req.reporter_notice.as_deref() {
        None => return Err(coded(exit::USAGE, NOTICE_REMINDER)),
        Some(n) => ReporterNotice::parse(n).ok_or_else(|| coded(exit::USAGE, NOTICE_REMINDER))?,
    };
    for (flag, v) in [
        ("--to", &req.to),
        ("--legal-basis", &req.legal_basis),
        ("--reason", &req.reason),
    ] {
        if v.trim().chars().count() < 3 {
            return Err(coded(
                exit::USAGE,
                format!("{flag} must be given (it is recorded)"),
            ));
        }
    }
    let (register, keys) = open_all(config_path).await?;
    let result = async {
        let record = register
            .case(number)
            .await?
            .ok_or_else(|| coded(exit::NOT_FOUND, format!("no case {number}")))?;
        let key = reader_key::load(key_path)?;
        let shred = keys.shred_key(&record.shred_key)?;
        // Only a custodian (a key the identity was sealed to) may record a disclosure.
        vault::open(
            &record.identity,
            &shred,
            BlobKind::Identity,
            &key.cert,
            key.passphrase.as_ref(),
            MAX_RECORD_BYTES,
        )
        .map_err(|e| unseal_error(e, number, "an identity custodian"))?;
        let id = register
            .record_disclosure(
                number,
                &NewDisclosure {
                    actor: actor(&register, &key.fingerprint).await?,
                    recipient: req.to.trim().to_owned(),
                    legal_basis: req.legal_basis.trim().to_owned(),
                    reason: req.reason.trim().to_owned(),
                    notice,
                },
            )
            .await?;
        anyhow::Ok(id)
    }
    .await;
    register.close().await;
    let id = result?;
    if json {
        return print_json(&serde_json::json!({
            "number": number, "disclosure": id, "reporter_notice": notice
        }));
    }
    println!("disclosure #{id} of the identity in case {number} recorded");
    match notice {
        ReporterNotice::Informed => println!("recorded: the reporter was told beforehand"),
        ReporterNotice::WithheldWouldEndanger => println!(
            "recorded: the reporter was NOT told because it would endanger the proceedings; \
             tell them once that no longer applies"
        ),
    }
    Ok(())
}

#[derive(Serialize)]
struct LogEntry {
    at: String,
    case_number: Option<String>,
    kind: &'static str,
    actor: String,
    detail: String,
    disclosure: Option<crate::register::DisclosureRow>,
}

pub(super) async fn log(
    config_path: &Path,
    number: Option<&str>,
    json: bool,
) -> anyhow::Result<()> {
    let (register, _keys) = open_all(config_path).await?;
    let audit = register.audit_entries().await;
    let disclosures = register.disclosures(number).await;
    register.close().await;
    let (audit, disclosures) = (audit?, disclosures?);
    let mut out = Vec::new();
    for r in audit {
        let kind = match r.action.as_str() {
            "IdentityUnsealed" => "unsealed",
            "IdentityDisclosed" => "disclosed",
            _ => continue,
        };
        if number.is_some() && r.case_number.as_deref() != number {
            continue;
        }
        let disclosure = (kind == "disclosed")
            .then(|| disclosures.iter().find(|d| d.audit_id == r.id).cloned())
            .flatten();
        out.push(LogEntry {
            at: r.at,
            case_number: r.case_number,
            kind,
            actor: r.actor,
            detail: r.detail,
            disclosure,
        });
    }
    if json {
        return print_json(&out);
    }
    if out.is_empty() {
        println!("no unseals or disclosures");
    }
    for e in &out {
        println!(
            "{} {:<14} {:<9} {} {}",
            e.at,
            e.case_number.as_deref().unwrap_or("-"),
            e.kind,
            e.actor,
            e.detail
        );
    }
    Ok(())
}
