//! Admin commands: init, intake keys, readers, audit. Admins read nothing.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};

use super::{coded, exit, load_config, print_json};
use crate::keystore::KeyStore;
use crate::openpgp::{self, KeyAlgorithm};
use crate::register::{AuditEntry, NewReader, Register, Role};

#[derive(Args, Debug)]
pub struct InitArgs {
    /// Algorithm of a new intake key.
    #[arg(long, value_enum, default_value_t = Algo::Cv25519)]
    algo: Algo,
    /// User ID of a new intake key (default: "Sygnal intake <mailbox username>").
    #[arg(long)]
    user_id: Option<String>,
}

#[derive(ValueEnum, Clone, Copy, Debug)]
enum Algo {
    /// Curve25519: fast and current.
    Cv25519,
    /// RSA-4096, for reporters with old clients.
    Rsa4096,
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Print the armored public intake certificate (for the website and reporters), or write
    /// a Web Key Directory (--wkd DIR --domain DOMAIN), or print the fingerprint (--fingerprint).
    ExportIntake(super::keys::ExportArgs),
    /// Make a new intake key the published one; earlier keys decrypt until the grace ends.
    RotateIntake(super::keys::RotateArgs),
    /// Destroy the secret parts of intake keys whose grace period has ended.
    Retire(super::keys::RetireArgs),
    /// List intake keys: role, fingerprint, algorithm, created, expires, state.
    List {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Re-wrap every sealed case, identity and quarantined message to the current readers.
    Reseal(super::keys::ResealArgs),
    /// Encrypt intake secret keys stored unprotected under the configured passphrase.
    Protect,
    /// Add an intake secret key (e.g. an earlier one) so mail encrypted to it opens.
    ImportIntake {
        /// Armored or binary secret key file.
        file: PathBuf,
    },
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
    },
    /// Remove a reader (soft: kept for the audit trail); then run `sygnal keys reseal`.
    Remove {
        /// The reader's primary key fingerprint.
        fingerprint: String,
    },
    /// List readers.
    List {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

pub(super) async fn open_all(config_path: &Path) -> anyhow::Result<(Register, KeyStore)> {
    let config = load_config(config_path)?;
    let register = Register::open(&config.register).await?;
    note_config(config_path, &register).await?;
    let keys = KeyStore::open_config(&config.keys)?;
    Ok((register, keys))
}

/// A configuration change is an audit entry (invariant 5): the file's SHA-256 is compared with
/// the one last seen. The file holds no secrets (passwords live in their own files).
pub(super) async fn note_config(config_path: &Path, register: &Register) -> anyhow::Result<()> {
    use sha2::Digest;
    let bytes = std::fs::read(config_path)
        .with_context(|| format!("cannot read {}", config_path.display()))?;
    let changed = register
        .note_config(&hex::encode(sha2::Sha256::digest(&bytes)))
        .await?;
    if changed {
        tracing::info!(config = %config_path.display(), "ConfigRecorded");
    }
    Ok(())
}

pub async fn init(config_path: &Path, args: InitArgs) -> anyhow::Result<()> {
    let config = load_config(config_path)?;
    let register = Register::open(&config.register).await?;
    note_config(config_path, &register).await?;
    let keys = KeyStore::open_config(&config.keys)?;
    keys.fingerprint_key()?;
    if let Some(fpr) = keys.current_intake_fingerprint()? {
        println!("intake key: {fpr} (exists)");
        register.close().await;
        return Ok(());
    }
    let user_id = args.user_id.unwrap_or_else(|| {
        if config.mailbox.username.contains('@') {
            format!("Sygnal intake <{}>", config.mailbox.username)
        } else {
            "Sygnal intake".to_owned()
        }
    });
    let algo = match args.algo {
        Algo::Cv25519 => KeyAlgorithm::Cv25519,
        Algo::Rsa4096 => KeyAlgorithm::Rsa4096,
    };
    let cert = tokio::task::spawn_blocking(move || openpgp::generate_intake_key(&user_id, algo))
        .await
        .context("key generation stopped")??;
    let fpr = keys.save_intake(&cert, true)?;
    register
        .audit(&AuditEntry {
            actor: "admin".to_owned(),
            action: "IntakeKeyCreated",
            case_number: None,
            detail: fpr.clone(),
        })
        .await?;
    register.close().await;
    println!("intake key: {fpr}");
    Ok(())
}

pub async fn keys(config_path: &Path, command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::ExportIntake(a) => return super::keys::export(config_path, a).await,
        KeysCommand::RotateIntake(a) => return super::keys::rotate(config_path, a).await,
        KeysCommand::Retire(a) => return super::keys::retire(config_path, a).await,
        KeysCommand::List { json } => return super::keys::list(config_path, json).await,
        KeysCommand::Reseal(a) => return super::keys::reseal(config_path, a).await,
        KeysCommand::Protect => return super::keys::protect(config_path).await,
        KeysCommand::ImportIntake { .. } => {}
    }
    let (register, keys) = open_all(config_path).await?;
    match command {
        KeysCommand::ExportIntake(_)
        | KeysCommand::RotateIntake(_)
        | KeysCommand::Retire(_)
        | KeysCommand::List { .. }
        | KeysCommand::Reseal(_)
        | KeysCommand::Protect => {}
        KeysCommand::ImportIntake { file } => {
            let bytes = zeroize::Zeroizing::new(
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?,
            );
            let cert = openpgp::parse_secret_key(&bytes).map_err(|e| {
                coded(
                    exit::KEY_REFUSED,
                    format!("{} is not a usable intake secret key: {e}", file.display()),
                )
            })?;
            let make_current = keys.current_intake_fingerprint()?.is_none();
            let fpr = keys.save_intake(&cert, make_current)?;
            register
                .audit(&AuditEntry {
                    actor: "admin".to_owned(),
                    action: "IntakeKeyImported",
                    case_number: None,
                    detail: fpr.clone(),
                })
                .await?;
            println!("imported intake key: {fpr}");
        }
    }
    register.close().await;
    Ok(())
}

#[derive(serde::Serialize)]
struct ReaderJson<'a> {
    fingerprint: &'a str,
    name: &'a str,
    role: Role,
    added_at: &'a str,
}

pub async fn handlers(config_path: &Path, command: HandlersCommand) -> anyhow::Result<()> {
    let (register, _keys) = open_all(config_path).await?;
    match command {
        HandlersCommand::Add { cert, name, role } => {
            let bytes = std::fs::read(&cert)
                .with_context(|| format!("cannot read certificate {}", cert.display()))?;
            let parsed = openpgp::parse_cert(&bytes).map_err(|e| {
                coded(
                    exit::KEY_REFUSED,
                    format!("{} is not an OpenPGP certificate: {e}", cert.display()),
                )
            })?;
            openpgp::check_recipient(&parsed).map_err(|e| {
                coded(
                    exit::KEY_REFUSED,
                    format!("{} cannot be sealed to: {e}", cert.display()),
                )
            })?;
            let role = Role::parse(&role).ok_or_else(|| coded(exit::USAGE, "unknown role"))?;
            let fingerprint = openpgp::fingerprint_hex(&parsed);
            // Store the public part only, even if a secret key was given by mistake.
            let public = openpgp::armored_public(&parsed)?;
            register
                .add_reader(&NewReader {
                    fingerprint: fingerprint.clone(),
                    name: name.clone(),
                    role,
                    cert: public.into_bytes(),
                })
                .await?;
            println!("added {} {fingerprint} ({name})", role.as_str());
        }
        HandlersCommand::Remove { fingerprint } => {
            let fingerprint: String = fingerprint
                .chars()
                .filter(|c| !c.is_whitespace())
                .collect::<String>()
                .to_uppercase();
            if !register.remove_reader(&fingerprint, "admin").await? {
                register.close().await;
                return Err(coded(
                    exit::NOT_FOUND,
                    format!("no current reader {fingerprint}"),
                ));
            }
            println!(
                "removed {fingerprint}; run `sygnal keys reseal --key KEY` so it opens nothing"
            );
        }
        HandlersCommand::List { json } => {
            let readers = register.readers().await?;
            if json {
                let rows: Vec<ReaderJson> = readers
                    .iter()
                    .map(|r| ReaderJson {
                        fingerprint: &r.fingerprint,
                        name: &r.name,
                        role: r.role,
                        added_at: &r.added_at,
                    })
                    .collect();
                print_json(&rows)?;
            } else if readers.is_empty() {
                println!("no readers; add one with `sygnal handlers add`");
            } else {
                for r in &readers {
                    println!(
                        "{:<10} {} {} (added {})",
                        r.role.as_str(),
                        r.fingerprint,
                        r.name,
                        r.added_at
                    );
                }
            }
        }
    }
    register.close().await;
    Ok(())
}
