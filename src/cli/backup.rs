//! `sygnal backup` and `sygnal restore`: the register as one file, the key folder sealed to the
//! custodians on request, and the way back. The rules are the desk's.

use std::path::PathBuf;

use clap::Args;

use super::{print_json, reader_key, with_desk};
use crate::desk::{self, Installation};

#[derive(Args, Debug)]
pub struct BackupArgs {
    /// The register's copy to write (a new file, mode 0600): one SQLite file for either
    /// backend, taken while intake goes on.
    #[arg(long)]
    out: PathBuf,
    /// Also the key folder, sealed to the current custodians, to this new file. Keep it apart
    /// from the register's copies and only for as long as retention allows (see README).
    #[arg(long)]
    keys_out: Option<PathBuf>,
    /// JSON output.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Debug)]
pub struct RestoreArgs {
    /// The file `sygnal backup --out` wrote.
    #[arg(long)]
    from: PathBuf,
    /// The key folder's sealed archive (`sygnal backup --keys-out`), put back into the
    /// configured key folder (missing or empty).
    #[arg(long, requires = "key")]
    keys_from: Option<PathBuf>,
    /// A custodian's secret key, to open the key archive.
    #[arg(long, requires = "keys_from")]
    key: Option<PathBuf>,
    /// JSON output.
    #[arg(long)]
    json: bool,
}

pub async fn backup(at: &Installation, args: BackupArgs) -> anyhow::Result<()> {
    let made = with_desk(at, async |d| {
        d.backup(&args.out, args.keys_out.as_deref()).await
    })
    .await?;
    if args.json {
        return print_json(&made);
    }
    println!("register copied to {}", made.register.display());
    if let Some(keys) = &made.keys {
        println!(
            "key folder ({} file(s)) sealed to {} custodian(s) in {}",
            made.key_files,
            made.sealed_to.len(),
            keys.display()
        );
    }
    Ok(())
}

pub async fn restore(at: &Installation, args: RestoreArgs) -> anyhow::Result<()> {
    let key = match &args.key {
        Some(path) => Some(reader_key::load(path)?),
        None => None,
    };
    let keys = args.keys_from.as_deref().zip(key.as_ref());
    let restored = desk::restore(at, &args.from, keys).await?;
    if args.json {
        return print_json(&restored);
    }
    println!(
        "register restored from {}: {} case(s), audit chain verified (head {})",
        args.from.display(),
        restored.cases,
        restored.audit_head
    );
    if restored.key_files > 0 {
        println!("key folder restored: {} file(s)", restored.key_files);
    }
    for number in &restored.destroyed_again {
        println!("destroyed again (past its retention date): {number}");
    }
    for number in &restored.on_hold {
        println!("past its date, kept on legal hold: {number}");
    }
    println!(
        "next: `sygnal audit verify`, then start the gateway; redactions and content rotations \
         made after this backup are not in it: repeat them (the shipped log's ShredKeyDestroyed \
         and MaterialDestroyed lines after the backup's time say which)"
    );
    Ok(())
}
