//! Admin commands: `init` and readers (`handlers add|remove|list`). Admins read nothing.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};

use super::{coded, exit, print_json, with_desk};
use crate::desk::Role;
use crate::openpgp::KeyAlgorithm;

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

pub async fn init(config_path: &Path, args: InitArgs) -> anyhow::Result<()> {
    let algo = match args.algo {
        Algo::Cv25519 => KeyAlgorithm::Cv25519,
        Algo::Rsa4096 => KeyAlgorithm::Rsa4096,
    };
    let done = with_desk(config_path, async |d| d.init(algo, args.user_id).await).await?;
    if done.existed {
        println!("intake key: {} (exists)", done.fingerprint);
    } else {
        println!("intake key: {}", done.fingerprint);
    }
    Ok(())
}

pub async fn handlers(config_path: &Path, command: HandlersCommand) -> anyhow::Result<()> {
    match command {
        HandlersCommand::Add { cert, name, role } => {
            let role = Role::parse(&role).ok_or_else(|| coded(exit::USAGE, "unknown role"))?;
            let bytes = std::fs::read(&cert)
                .with_context(|| format!("cannot read certificate {}", cert.display()))?;
            let source = cert.display().to_string();
            let added = with_desk(config_path, async |d| {
                d.add_reader(&source, &bytes, &name, role).await
            })
            .await?;
            println!(
                "added {} {} ({})",
                added.role.as_str(),
                added.fingerprint,
                added.name
            );
        }
        HandlersCommand::Remove { fingerprint } => {
            let removed =
                with_desk(config_path, async |d| d.remove_reader(&fingerprint).await).await?;
            println!("removed {removed}; run `sygnal keys reseal --key KEY` so it opens nothing");
        }
        HandlersCommand::List { json } => {
            let readers = with_desk(config_path, async |d| d.readers().await).await?;
            if json {
                print_json(&readers)?;
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
    Ok(())
}
