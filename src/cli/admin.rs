//! Admin commands: `init` and readers (`handlers add|remove|role|approve|list`). Admins read
//! nothing, and change readers only with a custodian's consent (`--approve-key`).

use crate::desk::Installation;
use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};

use super::{coded, exit, print_json, reader_key, with_desk};
use crate::desk::{ReaderKey, ReaderStanding, Role};
use crate::openpgp::KeyAlgorithm;

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Algorithm of a new intake key.
    #[arg(long, value_enum, default_value_t = Algo::Cv25519)]
    algo: Algo,
    /// User ID of a new intake key (default: "Sygnal intake <mailbox username>").
    #[arg(long)]
    user_id: Option<String>,
    /// Appoint the first identity custodian now: their public certificate...
    #[arg(long, requires_all = ["custodian_name", "custodian_key"])]
    custodian_cert: Option<PathBuf>,
    /// ...their name...
    #[arg(long)]
    custodian_name: Option<String>,
    /// ...and their secret key, with which they consent to their own appointment (used once,
    /// never stored).
    #[arg(long)]
    custodian_key: Option<PathBuf>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Algo {
    /// Curve25519: fast and current.
    Cv25519,
    /// RSA-4096, for reporters with old clients.
    Rsa4096,
}

#[derive(Subcommand, Debug)]
pub enum HandlersCommand {
    /// Add a reader's public certificate (GnuPG, sq, Kleopatra exports work).
    Add {
        /// Certificate file.
        #[arg(long)]
        cert: PathBuf,
        /// Holder's name.
        #[arg(long)]
        name: String,
        /// handler: reads cases; custodian: also unseals identity.
        #[arg(long, value_parser = ["handler", "custodian"])]
        role: String,
        /// A current custodian's secret key, consenting to this reader (the first custodian's
        /// own key when appointing the first custodian).
        #[arg(long)]
        approve_key: Option<PathBuf>,
    },
    /// Remove a reader (soft: kept for the audit trail); then run `sygnal keys reseal`.
    Remove {
        /// The reader's primary key fingerprint.
        fingerprint: String,
        /// A current custodian's secret key, consenting to the removal.
        #[arg(long)]
        approve_key: Option<PathBuf>,
    },
    /// Change a reader's role; then run `sygnal keys reseal`.
    Role {
        /// The reader's primary key fingerprint.
        fingerprint: String,
        /// The new role.
        #[arg(value_parser = ["handler", "custodian"])]
        role: String,
        /// A current custodian's secret key, consenting to the change.
        #[arg(long)]
        approve_key: Option<PathBuf>,
    },
    /// Consent to readers already in the register that are not sealed to for want of a
    /// custodian's consent (`handlers list` shows them).
    Approve {
        /// Fingerprints to consent to.
        fingerprints: Vec<String>,
        /// The consenting custodian's secret key.
        #[arg(long)]
        approve_key: PathBuf,
    },
    /// List readers.
    List {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

pub async fn init(config_path: &Installation, args: InitArgs) -> anyhow::Result<()> {
    let algo = match args.algo {
        Algo::Cv25519 => KeyAlgorithm::Cv25519,
        Algo::Rsa4096 => KeyAlgorithm::Rsa4096,
    };
    let custodian = match (
        &args.custodian_cert,
        &args.custodian_name,
        &args.custodian_key,
    ) {
        (Some(cert), Some(name), Some(key)) => Some((
            std::fs::read(cert)
                .with_context(|| format!("cannot read certificate {}", cert.display()))?,
            cert.display().to_string(),
            name.clone(),
            reader_key::load(key)?,
        )),
        _ => None,
    };
    let (done, added) = with_desk(config_path, async |d| {
        let done = d.init(algo, args.user_id).await?;
        let added = match &custodian {
            Some((bytes, source, name, key)) => Some(
                d.add_reader(source, bytes, name, Role::Custodian, Some(key))
                    .await?,
            ),
            None => None,
        };
        Ok((done, added))
    })
    .await?;
    if done.existed {
        println!("intake key: {} (exists)", done.fingerprint);
    } else {
        println!("intake key: {}", done.fingerprint);
    }
    if let Some(added) = added {
        print_added(&added);
    }
    Ok(())
}

fn print_added(added: &crate::desk::ReaderAdded) {
    println!(
        "added {} {} ({})",
        added.role.as_str(),
        added.fingerprint,
        added.name
    );
    match &added.approved_by {
        Some(by) if *by == added.fingerprint => {
            println!("  first custodian: consented to their own appointment")
        }
        Some(by) => println!("  consented to by custodian {by}"),
        None => println!(
            "  no custodian yet: the first custodian consents to this reader when appointed"
        ),
    }
    for f in &added.also_approved {
        println!("  the same consent covers reader {f}");
    }
    if added.secret_key_given {
        eprintln!(
            "WARN the file held {}'s SECRET key, not only the certificate: sygnal kept the public \
             part only. A secret key belongs to its holder alone; one that was sent or copied \
             around may be exposed: delete this copy, and if it left the holder's hands, have \
             them make a new key and replace this one (`sygnal handlers remove`, then add the \
             new certificate)",
            added.name
        );
    }
}

fn approver(path: Option<&Path>) -> anyhow::Result<Option<ReaderKey>> {
    path.map(reader_key::load).transpose()
}

pub async fn handlers(config_path: &Installation, command: HandlersCommand) -> anyhow::Result<()> {
    match command {
        HandlersCommand::Add {
            cert,
            name,
            role,
            approve_key,
        } => {
            let role = Role::parse(&role).ok_or_else(|| coded(exit::USAGE, "unknown role"))?;
            // Zeroized: the file may hold a secret key given by mistake.
            let bytes = zeroize::Zeroizing::new(
                std::fs::read(&cert)
                    .with_context(|| format!("cannot read certificate {}", cert.display()))?,
            );
            let source = cert.display().to_string();
            let key = approver(approve_key.as_deref())?;
            let added = with_desk(config_path, async |d| {
                d.add_reader(&source, &bytes, &name, role, key.as_ref())
                    .await
            })
            .await?;
            print_added(&added);
        }
        HandlersCommand::Remove {
            fingerprint,
            approve_key,
        } => {
            let key = approver(approve_key.as_deref())?;
            let removed = with_desk(config_path, async |d| {
                d.remove_reader(&fingerprint, key.as_ref()).await
            })
            .await?;
            println!("removed {removed}; run `sygnal keys reseal --key KEY` so it opens nothing");
        }
        HandlersCommand::Role {
            fingerprint,
            role,
            approve_key,
        } => {
            let role = Role::parse(&role).ok_or_else(|| coded(exit::USAGE, "unknown role"))?;
            let key = approver(approve_key.as_deref())?;
            let changed = with_desk(config_path, async |d| {
                d.set_reader_role(&fingerprint, role, key.as_ref()).await
            })
            .await?;
            println!(
                "{changed} is now a {}; run `sygnal keys reseal --key KEY` so old records follow",
                role.as_str()
            );
        }
        HandlersCommand::Approve {
            fingerprints,
            approve_key,
        } => {
            let key = reader_key::load(&approve_key)?;
            let approved = with_desk(config_path, async |d| {
                d.approve_readers(&fingerprints, &key).await
            })
            .await?;
            for f in &approved.readers {
                println!("approved {f} (consent by {})", approved.approved_by);
            }
        }
        HandlersCommand::List { json } => {
            let (readers, pending) = with_desk(config_path, async |d| {
                Ok((d.readers().await?, d.reseal_pending().await?))
            })
            .await?;
            if json {
                print_json(&readers)?;
            } else if readers.is_empty() {
                println!("no readers; add one with `sygnal handlers add`");
            } else {
                for r in &readers {
                    let standing = match &r.standing {
                        ReaderStanding::Sealed => String::new(),
                        ReaderStanding::NotApproved { why } => {
                            format!(" NOT SEALED TO: {why}; see `sygnal handlers approve`")
                        }
                        ReaderStanding::Unusable { why } => format!(" NOT SEALED TO: {why}"),
                    };
                    println!(
                        "{:<10} {} {} (added {}){standing}",
                        r.role.as_str(),
                        r.fingerprint,
                        super::term::line(&r.name),
                        super::term::local_time(&r.added_at)
                    );
                }
            }
            if let Some(p) = pending {
                eprintln!("WARN {p}");
            }
        }
    }
    Ok(())
}
