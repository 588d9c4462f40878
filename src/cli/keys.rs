//! `sygnal keys …` and `sygnal doctor`: intake keys, reseal, publishing, checks. Parses,
//! calls the desk, prints; the rules (who may reseal, what is audited) are the desk's.

use crate::desk::Installation;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Subcommand};
use secrecy::SecretString;

use super::{coded, exit, print_json, reader_key, term, with_desk};
use crate::desk::IntakeKeyStateKind;
use crate::desk::{self, ReaderStanding, ResealRequest};
use crate::lifecycle::{self, wkd};
use crate::openpgp::{self, KeyAlgorithm};

/// Parses `30d`, `12h`, `90m`, `45s` or plain seconds.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (num, unit) = match s.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (s.get(..i).unwrap_or(""), c),
        _ => (s, 's'),
    };
    let n: u64 = num
        .parse()
        .map_err(|_| format!("{s:?} is not a duration like 30d, 12h, 90m or 45s"))?;
    let mult = match unit {
        'd' => 86_400,
        'h' => 3_600,
        'm' => 60,
        's' => 1,
        _ => return Err(format!("{s:?}: unit must be d, h, m or s")),
    };
    Ok(Duration::from_secs(n.saturating_mul(mult)))
}

#[derive(Args, Debug)]
pub struct RotateArgs {
    /// How long earlier keys keep decrypting (mail in flight, cached keys).
    #[arg(long, default_value = "30d", value_parser = parse_duration)]
    grace: Duration,
    /// User ID of the new key (default: the current key's first User ID).
    #[arg(long)]
    user_id: Option<String>,
    /// RSA-4096 instead of Curve25519.
    #[arg(long)]
    rsa: bool,
}

#[derive(Args, Debug)]
pub struct RetireArgs {
    /// Also retire superseded keys whose grace period has not ended yet (asks first: mail
    /// still encrypted to them will never open).
    #[arg(long)]
    now: bool,
    /// Confirm `--now` without being asked (scripts).
    #[arg(long, requires = "now")]
    yes: bool,
}

#[derive(Args, Debug)]
pub struct ResealArgs {
    /// A current reader's secret key (repeat to add a custodian's key for identities).
    #[arg(long = "key", required = true)]
    keys: Vec<PathBuf>,
    /// Check and count only; change nothing.
    #[arg(long)]
    dry_run: bool,
    /// Records per transaction.
    #[arg(long, default_value_t = lifecycle::DEFAULT_BATCH)]
    batch: usize,
    /// JSON summary.
    #[arg(long)]
    json: bool,
    /// Also re-encrypt content under fresh session keys and shred keys (after removing a reader
    /// who may have kept session keys); the old shred keys are destroyed.
    #[arg(long)]
    rotate_content: bool,
}

#[derive(Args, Debug)]
pub struct ExportArgs {
    /// Write the Web Key Directory layouts (advanced and direct) under this web root.
    #[arg(long, requires = "domain")]
    wkd: Option<PathBuf>,
    /// Mail domain of the reporting address (for --wkd).
    #[arg(long)]
    domain: Option<String>,
    /// Print the fingerprint in groups of four (for posters and intranet pages).
    #[arg(long, conflicts_with = "wkd")]
    fingerprint: bool,
}

#[derive(Subcommand, Debug)]
pub enum KeysCommand {
    /// Print the armored public intake certificate (for the website and reporters), or write
    /// a Web Key Directory (--wkd DIR --domain DOMAIN), or print the fingerprint (--fingerprint).
    ExportIntake(ExportArgs),
    /// Make a new intake key the published one; earlier keys decrypt until the grace ends.
    RotateIntake(RotateArgs),
    /// Destroy the secret parts of intake keys whose grace period has ended.
    Retire(RetireArgs),
    /// List intake keys: role, fingerprint, algorithm, created, expires, state.
    List {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Re-wrap every sealed case, identity and quarantined message to the current readers.
    Reseal(ResealArgs),
    /// Encrypt intake secret keys stored unprotected under the configured passphrase.
    Protect,
    /// Add intake secret keys (e.g. the organisation's existing reporting key) so mail
    /// encrypted to them opens. Takes an armored or binary key, an export of several, or a
    /// GnuPG 1.x secring.gpg; a protected key is unlocked with its own passphrase
    /// (SYGNAL_IMPORT_PASSPHRASE or a prompt) and stored under the configured one.
    ImportIntake {
        /// Key or keyring file.
        file: PathBuf,
    },
    /// Register a reporter's certificate as a trusted signer: only a signature verified with
    /// such a key marks a report "verified by a key you trust".
    TrustSigner {
        /// Certificate file.
        #[arg(long)]
        cert: PathBuf,
        /// Whose key it is.
        #[arg(long)]
        name: String,
    },
    /// Remove a trusted signer.
    DistrustSigner {
        /// Its primary fingerprint.
        fingerprint: String,
    },
    /// List trusted signers.
    Signers {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

pub async fn keys(config_path: &Installation, command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::ExportIntake(a) => export(config_path, a).await,
        KeysCommand::RotateIntake(a) => rotate(config_path, a).await,
        KeysCommand::Retire(a) => retire(config_path, a).await,
        KeysCommand::List { json } => list(config_path, json).await,
        KeysCommand::Reseal(a) => reseal(config_path, a).await,
        KeysCommand::Protect => protect(config_path).await,
        KeysCommand::TrustSigner { cert, name } => {
            let bytes = std::fs::read(&cert)
                .with_context(|| format!("cannot read certificate {}", cert.display()))?;
            let source = cert.display().to_string();
            let s = with_desk(config_path, async |d| {
                d.trust_signer(&source, &bytes, &name).await
            })
            .await?;
            println!("trusted signer {} ({})", s.fingerprint, term::line(&s.name));
            Ok(())
        }
        KeysCommand::DistrustSigner { fingerprint } => {
            let f = with_desk(config_path, async |d| d.distrust_signer(&fingerprint).await).await?;
            println!("{f} is no longer a trusted signer");
            Ok(())
        }
        KeysCommand::Signers { json } => {
            let list = with_desk(config_path, async |d| d.trusted_signers().await).await?;
            if json {
                return print_json(&list);
            }
            if list.is_empty() {
                println!("no trusted signers: no report is marked as verified by a key you trust");
            }
            for s in &list {
                println!(
                    "{} {} (added {})",
                    s.fingerprint,
                    term::line(&s.name),
                    s.added_at
                );
            }
            Ok(())
        }
        KeysCommand::ImportIntake { file } => {
            let bytes = zeroize::Zeroizing::new(
                std::fs::read(&file).with_context(|| format!("cannot read {}", file.display()))?,
            );
            let source = file.display().to_string();
            let mut ask = |fpr: &str| -> Result<SecretString, desk::DeskError> {
                if let Ok(p) = std::env::var("SYGNAL_IMPORT_PASSPHRASE") {
                    return Ok(SecretString::from(p));
                }
                rpassword::prompt_password(format!("Passphrase of the imported key {fpr}: "))
                    .map(SecretString::from)
                    .map_err(|_| {
                        desk::DeskError::KeyRefused(format!(
                            "key {fpr} is passphrase-protected: give its passphrase at the prompt \
                             or in SYGNAL_IMPORT_PASSPHRASE"
                        ))
                    })
            };
            let keys = with_desk(config_path, async |d| {
                d.import_intake_keys(&source, &bytes, &mut ask).await
            })
            .await?;
            for k in &keys {
                if k.imported {
                    println!("imported intake key: {} ({})", k.fingerprint, k.note);
                } else {
                    println!("skipped {}: {}", k.fingerprint, k.note);
                }
            }
            if !keys.iter().any(|k| k.imported) {
                return Err(coded(
                    exit::KEY_REFUSED,
                    format!("{source}: no intake key imported"),
                ));
            }
            Ok(())
        }
    }
}

async fn rotate(config_path: &Installation, args: RotateArgs) -> anyhow::Result<()> {
    let algo = if args.rsa {
        KeyAlgorithm::Rsa4096
    } else {
        KeyAlgorithm::Cv25519
    };
    let fpr = with_desk(config_path, async |d| {
        d.rotate_intake_key(args.grace, args.user_id, algo).await
    })
    .await?;
    println!("intake key: {fpr} (current)");
    println!(
        "earlier keys decrypt for {} more day(s); publish the new key (`sygnal keys export-intake`)",
        args.grace.as_secs() / 86_400
    );
    Ok(())
}

async fn retire(config_path: &Installation, args: RetireArgs) -> anyhow::Result<()> {
    if args.now && !args.yes {
        let in_grace: Vec<String> = with_desk(config_path, async |d| d.intake_keys().await)
            .await?
            .into_iter()
            .filter(|k| k.state == IntakeKeyStateKind::Grace)
            .map(|k| k.fingerprint)
            .collect();
        if !in_grace.is_empty() && !confirm_early_retirement(&in_grace)? {
            println!("nothing retired");
            return Ok(());
        }
    }
    let retired = with_desk(config_path, async |d| d.retire_intake_keys(args.now).await).await?;
    if retired.is_empty() {
        println!("no intake key to retire");
    }
    for f in retired {
        println!("retired intake key {f}: secret key overwritten and removed");
    }
    Ok(())
}

/// Destroying a key in its grace period cannot be undone: a reporter who still encrypts to it
/// (an old WKD copy, a message in flight) is never read. Asked on a terminal; elsewhere only
/// `--yes` will do.
fn confirm_early_retirement(in_grace: &[String]) -> anyhow::Result<bool> {
    let list = in_grace.join(", ");
    let warning = format!(
        "`keys retire --now` destroys {} intake key(s) still in their grace period: {list}. \
         Mail encrypted to them that has not been filed yet (in flight, or from a reporter \
         with an old copy of the key) will never open",
        in_grace.len()
    );
    if !std::io::stdin().is_terminal() {
        return Err(coded(
            exit::USAGE,
            format!("{warning}; add --yes to do it anyway"),
        ));
    }
    eprintln!("{warning}.");
    eprint!("Type \"yes\" to destroy them now: ");
    let mut answer = String::new();
    std::io::stdin()
        .read_line(&mut answer)
        .context("reading the answer")?;
    Ok(answer.trim() == "yes")
}

async fn list(config_path: &Installation, json: bool) -> anyhow::Result<()> {
    let rows = with_desk(config_path, async |d| d.intake_keys().await).await?;
    if json {
        return print_json(&rows);
    }
    for k in &rows {
        let state = match (k.state, &k.grace_until, &k.retired_at) {
            (IntakeKeyStateKind::Grace, Some(g), _) => format!("grace until {g}"),
            (IntakeKeyStateKind::Grace, None, _) => "grace (no end set)".to_owned(),
            (IntakeKeyStateKind::Retired, _, Some(r)) => format!("retired {r}"),
            (s, _, _) => s.as_str().to_owned(),
        };
        println!(
            "{} {} {} created {} expires {} {}",
            k.role,
            k.fingerprint,
            k.algorithm,
            k.created,
            k.expires.as_deref().unwrap_or("never"),
            state
        );
    }
    Ok(())
}

/// A progress bar on a terminal's stderr, every 25 records.
fn progress_bar() -> impl FnMut(u64, u64) {
    let tty = std::io::stderr().is_terminal();
    let mut last_shown = 0u64;
    move |done: u64, total: u64| {
        if tty && (done == total || done.saturating_sub(last_shown) >= 25) {
            last_shown = done;
            let width = 30u64;
            let filled = done
                .saturating_mul(width)
                .checked_div(total)
                .unwrap_or(width);
            let bar: String = (0..width)
                .map(|i| if i < filled { '#' } else { '.' })
                .collect();
            let mut err = std::io::stderr().lock();
            let _ = write!(err, "\rreseal [{bar}] {done}/{total}");
            if done == total {
                let _ = writeln!(err);
            }
            let _ = err.flush();
        }
    }
}

async fn reseal(config_path: &Installation, args: ResealArgs) -> anyhow::Result<()> {
    let keys = args
        .keys
        .iter()
        .map(|p| reader_key::load(p))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let request = ResealRequest {
        keys,
        dry_run: args.dry_run,
        batch: args.batch,
        rotate_content: args.rotate_content,
    };
    let mut progress = progress_bar();
    let summary = with_desk(config_path, async |d| {
        // Say whom the records will be sealed to, and whom not, before anything is written.
        for r in d.readers().await? {
            let line = format!(
                "{} {} ({})",
                r.role.as_str(),
                r.fingerprint,
                term::line(&r.name)
            );
            match &r.standing {
                ReaderStanding::Sealed => eprintln!("sealing to   {line}"),
                ReaderStanding::NotApproved { why } | ReaderStanding::Unusable { why } => {
                    eprintln!("REFUSED      {line}: {why}")
                }
            }
        }
        d.reseal(request, &mut progress).await
    })
    .await?;
    if args.json {
        print_json(&summary)?;
    } else {
        println!(
            "{}: {}",
            if summary.dry_run {
                "reseal (dry run, nothing written)"
            } else {
                "resealed"
            },
            summary.line()
        );
    }
    Ok(desk::reseal_incomplete(&summary)?)
}

async fn export(config_path: &Installation, args: ExportArgs) -> anyhow::Result<()> {
    let domain = args.domain.clone().unwrap_or_default();
    let (export, files) = with_desk(config_path, async |d| {
        let export = d.intake_export()?;
        let files = match &args.wkd {
            Some(_) => Some(d.intake_wkd(&export, &domain)?),
            None => None,
        };
        Ok((export, files))
    })
    .await?;
    if args.fingerprint {
        println!("{}", wkd::printable_fingerprint(&export.fingerprint));
        return Ok(());
    }
    let (Some(root), Some(files)) = (args.wkd, files) else {
        print!("{}", openpgp::armored_public(&export.cert)?);
        return Ok(());
    };
    for (rel, bytes) in files {
        let path = root.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("create {}", parent.display()))?;
        }
        std::fs::write(&path, &bytes).with_context(|| format!("write {}", path.display()))?;
        println!("{}", path.display());
    }
    std::fs::write(
        root.join("intake-key.asc"),
        openpgp::armored_public(&export.cert)?,
    )
    .context("write intake-key.asc")?;
    println!("{}", root.join("intake-key.asc").display());
    Ok(())
}

async fn protect(config_path: &Installation) -> anyhow::Result<()> {
    let done = with_desk(config_path, async |d| d.protect_intake_keys().await).await?;
    for fpr in &done {
        println!("protected intake key {fpr}");
    }
    if done.is_empty() {
        println!("every intake key is already passphrase-protected");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::parse_duration;
    use std::time::Duration;

    #[test]
    fn durations_take_days_hours_minutes_seconds() {
        assert_eq!(
            parse_duration("30d").unwrap(),
            Duration::from_secs(30 * 86_400)
        );
        assert_eq!(
            parse_duration("12h").unwrap(),
            Duration::from_secs(12 * 3_600)
        );
        assert_eq!(parse_duration("90m").unwrap(), Duration::from_secs(5_400));
        assert_eq!(parse_duration("45").unwrap(), Duration::from_secs(45));
        assert!(parse_duration("3w").is_err());
        assert!(parse_duration("d").is_err());
        assert!(parse_duration("-1d").is_err());
    }
}
