//! `sygnal identity unseal|disclose|log`: custodians only; the reason is recorded before anything
//! is shown, and a disclosure with its legal basis and the art. 8 notice (rules in the desk).

use crate::desk::Installation;
use std::path::PathBuf;

use clap::Subcommand;

use super::{case_text, print_json, reader_key, term, with_desk};
use crate::desk::Disclosure;
use crate::desk::{IdentityAccessKind, ReporterNotice};
use crate::split::SenderIdentity;

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
    /// List every read and disclosure of identity, optionally of one case. With a custodian's
    /// key, the sealed reasons, recipients and legal bases are shown too.
    Log {
        /// Case number.
        number: Option<String>,
        /// An identity custodian's secret key, to open the sealed reasons.
        #[arg(long)]
        key: Option<PathBuf>,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

pub async fn identity(config_path: &Installation, command: IdentityCommand) -> anyhow::Result<()> {
    match command {
        IdentityCommand::Unseal {
            number,
            key,
            reason,
            json,
        } => {
            let key = reader_key::load(&key)?;
            let unsealed = with_desk(config_path, async |d| {
                d.unseal_identity(&number, &key, &reason).await
            })
            .await?;
            if json {
                let mut v = serde_json::to_value(&unsealed.identity)?;
                if let serde_json::Value::Object(map) = &mut v {
                    map.insert("number".into(), serde_json::Value::from(number.as_str()));
                    map.insert(
                        "follow_ups".into(),
                        serde_json::to_value(&unsealed.follow_ups)?,
                    );
                }
                return print_json(&v);
            }
            print_identity(&number, &unsealed.identity);
            for f in &unsealed.follow_ups {
                println!();
                println!("{}", t!("identity-later-message", message = f.message));
                print_identity(&number, &f.identity);
            }
            Ok(())
        }
        IdentityCommand::Disclose {
            number,
            key,
            to,
            legal_basis,
            reason,
            reporter_notice,
            json,
        } => {
            let key = reader_key::load(&key)?;
            let request = Disclosure {
                to,
                legal_basis,
                reason,
                reporter_notice,
            };
            let done = with_desk(config_path, async |d| {
                d.disclose_identity(&number, &key, &request).await
            })
            .await?;
            if json {
                return print_json(&done);
            }
            println!(
                "{}",
                t!(
                    "disclosure-recorded",
                    id = done.id,
                    number = number.as_str()
                )
            );
            match done.reporter_notice {
                ReporterNotice::Informed => println!("{}", t!("disclosure-informed")),
                ReporterNotice::WithheldWouldEndanger => {
                    println!("{}", t!("disclosure-withheld"))
                }
            }
            Ok(())
        }
        IdentityCommand::Log { number, key, json } => {
            let key = key.as_deref().map(reader_key::load).transpose()?;
            let log = with_desk(config_path, async |d| {
                d.identity_log(number.as_deref(), key.as_ref()).await
            })
            .await?;
            if json {
                return print_json(&log);
            }
            if log.is_empty() {
                println!("{}", t!("identity-log-none"));
            }
            for e in &log {
                // The audit entry's own words stay in `audit show` and --json.
                let kind = match e.kind {
                    IdentityAccessKind::Unsealed => t!("identity-log-unsealed"),
                    IdentityAccessKind::Disclosed => t!("identity-log-disclosed"),
                };
                println!(
                    "{} {:<14} {kind:<11} {}",
                    term::local_time(&e.at),
                    term::line(e.case_number.as_deref().unwrap_or("-")),
                    term::line(&e.actor),
                );
                if let Some(d) = &e.disclosure {
                    let notice = match d.reporter_notice {
                        ReporterNotice::Informed => t!("identity-log-informed"),
                        ReporterNotice::WithheldWouldEndanger => t!("identity-log-withheld"),
                    };
                    println!("    {notice}");
                }
                if let Some(d) = &e.sealed {
                    for (label, v) in [
                        (t!("identity-log-reason"), &d.reason),
                        (t!("identity-log-to"), &d.to),
                        (t!("identity-log-legal-basis"), &d.legal_basis),
                    ] {
                        if let Some(v) = v {
                            println!("    {label}: {}", term::line(v));
                        }
                    }
                }
            }
            if key.is_none() && !log.is_empty() {
                println!("{}", t!("identity-log-sealed"));
            }
            Ok(())
        }
    }
}

fn print_identity(number: &str, id: &SenderIdentity) {
    println!("{}", t!("identity-heading", number = number));
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut show = |label: String, values: &[String]| {
        let text = values.join(", ");
        if !text.is_empty() {
            rows.push((label, term::line(&text)));
        }
    };
    let headers: [(&str, &[String]); 8] = [
        ("From:", &id.from),
        ("Reply-To:", &id.reply_to),
        ("Sender:", &id.sender),
        ("Return-Path:", &id.return_path),
        ("To:", &id.to),
        ("Cc:", &id.cc),
        ("Message-ID:", id.message_id.as_slice()),
        ("User-Agent:", &id.user_agent),
    ];
    for (header, values) in headers {
        show(header.to_owned(), values);
    }
    show(t!("identity-originating-ip"), &id.x_originating_ip);
    show(t!("identity-received-via"), &id.received_hosts_ips);
    let pgp = &id.openpgp;
    let list = |items: Vec<String>| {
        if items.is_empty() {
            t!("identity-none")
        } else {
            term::line(&items.join(", "))
        }
    };
    let signatures = pgp
        .signatures
        .iter()
        .map(|s| {
            format!(
                "{} ({})",
                s.issuer,
                match (s.verified, s.trusted) {
                    (true, true) => t!("identity-signature-trusted"),
                    (true, false) => t!("identity-signature-self"),
                    (false, _) => t!("identity-signature-unverified"),
                }
            )
        })
        .collect();
    rows.push((t!("identity-signed-by"), list(signatures)));
    rows.push((
        t!("identity-also-encrypted-to"),
        list(pgp.foreign_recipients.clone()),
    ));
    if let Some(name) = &pgp.literal_filename {
        rows.push((t!("identity-pgp-file-name"), term::line(name)));
    }
    case_text::print_rows(&rows);
    print_original_attachments(id);
    println!("{}", t!("identity-all-headers"));
}

/// Metadata found in the attachments before cleaning (the originals themselves: `--json`).
fn print_original_attachments(id: &SenderIdentity) {
    if id.original_attachments.is_empty() {
        return;
    }
    println!("{}", t!("identity-attachments-heading"));
    for item in &id.original_attachments {
        println!(
            "  {}",
            t!(
                "identity-attachment",
                index = item.index,
                sha256 = item.sha256.as_str()
            )
        );
        for m in &item.metadata {
            // One line per value: a multi-line XMP packet is shown whole by --json.
            let first = m.value.lines().next().unwrap_or("");
            let more = if m.value.lines().nth(1).is_some() {
                " …"
            } else {
                ""
            };
            println!(
                "    {}: {}{more}",
                term::line(&m.field),
                term::line(&crate::mail::sanitize::one_line(first))
            );
        }
    }
}
