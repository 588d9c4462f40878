//! Key lifecycle commands: rotate, retire, list, reseal, publish, doctor. Parses and prints;
//! the rules live in `lifecycle`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use clap::Args;

use super::admin::open_all;
use super::{coded, exit, load_config, print_json, reader_key};
use crate::lifecycle::{self, intake, wkd};
use crate::openpgp::{self, KeyAlgorithm, ReaderKeys};
use crate::register::IntakeKeyStateKind;

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
    /// Also retire superseded keys whose grace period has not ended yet.
    #[arg(long)]
    now: bool,
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
    #[arg(long, default_value_t = lifecycle::reseal::DEFAULT_BATCH)]
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

pub async fn rotate(config_path: &Path, args: RotateArgs) -> anyhow::Result<()> {
    let (register, keys) = open_all(config_path).await?;
    let current = keys.current_intake()?.ok_or_else(|| {
        coded(
            exit::NOT_FOUND,
            "no intake key yet: run `sygnal init` first",
        )
    })?;
    let user_id = match args.user_id {
        Some(u) => u,
        None => current
            .userids()
            .next()
            .map(|u| String::from_utf8_lossy(u.userid().value()).into_owned())
            .unwrap_or_else(|| "Sygnal intake".to_owned()),
    };
    let algo = if args.rsa {
        KeyAlgorithm::Rsa4096
    } else {
        KeyAlgorithm::Cv25519
    };
    let fpr = intake::rotate(&register, &keys, user_id, algo, args.grace).await?;
    register.close().await;
    println!("intake key: {fpr} (current)");
    println!(
        "earlier keys decrypt for {} more day(s); publish the new key (`sygnal keys export-intake`)",
        args.grace.as_secs() / 86_400
    );
    Ok(())
}

pub async fn retire(config_path: &Path, args: RetireArgs) -> anyhow::Result<()> {
    let (register, keys) = open_all(config_path).await?;
    let retired = intake::retire(&register, &keys, args.now).await?;
    register.close().await;
    if retired.is_empty() {
        println!("no intake key to retire");
    }
    for f in retired {
        println!("retired intake key {f}: secret key overwritten and removed");
    }
    Ok(())
}

pub async fn list(config_path: &Path, json: bool) -> anyhow::Result<()> {
    let (register, keys) = open_all(config_path).await?;
    let rows = intake::list(&register, &keys).await?;
    register.close().await;
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

pub async fn reseal(config_path: &Path, args: ResealArgs) -> anyhow::Result<()> {
    let (register, store) = open_all(config_path).await?;
    let mut certs = Vec::new();
    let mut passphrase = None;
    let mut fprs = Vec::new();
    for path in &args.keys {
        let k = reader_key::load(path)?;
        fprs.push(k.fingerprint.clone());
        if k.passphrase.is_some() {
            passphrase = k.passphrase;
        }
        certs.push(k.cert);
    }
    // Only current readers may reseal: a removed reader's key must not decide the new set.
    let readers = register.readers().await?;
    for f in &fprs {
        if !readers.iter().any(|r| &r.fingerprint == f) {
            return Err(coded(
                exit::KEY_REFUSED,
                format!("key {f} is not a current reader; reseal with a current handler's or custodian's key"),
            ));
        }
    }
    let mut keys = ReaderKeys::unlock(&certs, passphrase.as_ref())
        .map_err(|e| coded(exit::KEY_REFUSED, e.to_string()))?;
    let content = args
        .rotate_content
        .then(|| lifecycle::reseal::ContentKeys { certs, passphrase });
    let options = lifecycle::ResealOptions {
        dry_run: args.dry_run,
        batch: args.batch,
        // "FPR (name)" like the other readers' audit entries.
        actor: fprs
            .iter()
            .map(|f| {
                let name = readers
                    .iter()
                    .find(|r| &r.fingerprint == f)
                    .map(|r| r.name.as_str())
                    .unwrap_or("?");
                format!("{f} ({name})")
            })
            .collect::<Vec<_>>()
            .join(" + "),
        rotate_content: args.rotate_content,
    };
    let tty = std::io::stderr().is_terminal();
    let mut last_shown = 0u64;
    let mut progress = |done: u64, total: u64| {
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
    };
    let summary = lifecycle::reseal(
        &register,
        &store,
        &mut keys,
        content.as_ref(),
        &options,
        &mut progress,
    )
    .await?;
    register.close().await;
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
    if !summary.not_readable.is_empty() {
        return Err(coded(
            exit::KEY_REFUSED,
            format!(
                "{} record(s) not readable with the given key(s) (e.g. identities need a custodian's key): {}; run again with --key for them",
                summary.not_readable.len(),
                summary.not_readable.join(", ")
            ),
        ));
    }
    Ok(())
}

pub async fn export(config_path: &Path, args: ExportArgs) -> anyhow::Result<()> {
    let config = load_config(config_path)?;
    let (register, keys) = open_all(config_path).await?;
    register.close().await;
    let cert = keys.current_intake()?.ok_or_else(|| {
        coded(
            exit::NOT_FOUND,
            "no intake key yet: run `sygnal init` first",
        )
    })?;
    let fpr = openpgp::fingerprint_hex(&cert);
    if args.fingerprint {
        println!("{}", wkd::printable_fingerprint(&fpr));
        return Ok(());
    }
    let Some(root) = args.wkd else {
        print!("{}", openpgp::armored_public(&cert)?);
        return Ok(());
    };
    let domain = args.domain.unwrap_or_default();
    let address = cert
        .userids()
        .filter_map(|u| u.userid().email().ok().flatten().map(str::to_owned))
        .find(|e| e.to_ascii_lowercase().ends_with(&format!("@{}", domain.to_ascii_lowercase())))
        .or_else(|| {
            let user = &config.mailbox.username;
            user.contains('@').then(|| user.clone())
        })
        .ok_or_else(|| {
            coded(
                exit::USAGE,
                format!("the intake key has no User ID at {domain}; rotate with --user-id 'Name <address@{domain}>'"),
            )
        })?;
    let local = address.split('@').next().unwrap_or_default().to_owned();
    let public = cert.clone().strip_secret_key_material();
    let binary = sequoia_openpgp::serialize::SerializeInto::to_vec(&public)
        .context("serialize the public certificate")?;
    for (rel, bytes) in wkd::layout(&local, &domain, &binary) {
        let path = root.join(&rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("create {}", parent.display()))?;
        }
        std::fs::write(&path, &bytes).with_context(|| format!("write {}", path.display()))?;
        println!("{}", path.display());
    }
    std::fs::write(root.join("intake-key.asc"), openpgp::armored_public(&cert)?)
        .context("write intake-key.asc")?;
    println!("{}", root.join("intake-key.asc").display());
    Ok(())
}

pub async fn protect(config_path: &Path) -> anyhow::Result<()> {
    let (register, keys) = open_all(config_path).await?;
    if !keys.protected() {
        register.close().await;
        return Err(coded(
            exit::CONFIG,
            "no passphrase configured: set [keys] passphrase-file, passphrase-env or passphrase-credential",
        ));
    }
    let done = keys.protect_intake_keys()?;
    for fpr in &done {
        register
            .audit(&crate::register::AuditEntry {
                actor: "admin".to_owned(),
                action: "IntakeKeyProtected",
                case_number: None,
                detail: fpr.clone(),
            })
            .await?;
        println!("protected intake key {fpr}");
    }
    register.close().await;
    if done.is_empty() {
        println!("every intake key is already passphrase-protected");
    }
    Ok(())
}

/// Key and storage checks; exit 1 if any warning.
pub async fn doctor(config_path: &Path) -> anyhow::Result<()> {
    let config = load_config(config_path)?;
    println!("ok   config {}", config_path.display());
    crate::keystore::check_private_dir(&config.keys.dir)
        .map_err(|e| coded(exit::ERROR, format!("FAIL {e}")))?;
    println!("ok   key folder {} is private", config.keys.dir.display());
    let (register, keys) = open_all(config_path).await?;
    println!("ok   register durable (WAL, synchronous=FULL, secure_delete)");
    let intake_count = keys.intake_keyring()?.fingerprints().len();
    println!("ok   {intake_count} intake secret key(s) readable");
    let mut warnings = intake::warnings(&register, &keys, Duration::from_secs(30 * 86_400)).await?;
    if keys.protected() {
        for fpr in keys.unprotected_intake_keys()? {
            warnings.push(format!(
                "intake key {fpr} is stored without passphrase protection: run `sygnal keys protect`"
            ));
        }
    }
    register.close().await;
    for w in &warnings {
        println!("WARN {w}");
    }
    if warnings.is_empty() {
        println!("ok   no key expires or ends its grace period within 30 days");
        Ok(())
    } else {
        Err(coded(exit::ERROR, format!("{} warning(s)", warnings.len())))
    }
}

#[cfg(test)]
mod tests {
    #![allow(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )]
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
