//! `sygnal doctor`: the installation's checks (config, key folder, register durability, key
//! expiry) and, with `--mailbox`, the mailbox's. Each check is the desk's; this prints them.

use super::mailbox::{self, MailboxCheck};
use super::{coded, exit, with_desk};
use crate::desk::{self, Installation};

/// Key and storage checks; exit 1 if any warning.
pub async fn doctor(config_path: &Installation, check: &MailboxCheck) -> anyhow::Result<()> {
    let config = config_path.load()?;
    println!("ok   config {}", config_path.display());
    desk::check_key_folder(&config).map_err(|e| coded(exit::ERROR, format!("FAIL {e}")))?;
    println!("ok   key folder {} is private", config.keys.dir.display());
    let report = with_desk(config_path, async |d| d.doctor().await).await?;
    println!("ok   register durable ({})", report.register);
    println!("ok   {} intake secret key(s) readable", report.intake_keys);
    for c in &report.checked {
        println!("ok   {c}");
    }
    for w in &report.warnings {
        println!("WARN {w}");
    }
    for n in &report.notes {
        println!("note {n}");
    }
    if report.warnings.is_empty() {
        println!("ok   no key expires or ends its grace period within 30 days");
    }
    let mut warnings = report.warnings.len();
    if check.mailbox {
        warnings += mailbox::check(config_path, check.older_than).await?;
    }
    mailbox::warned(warnings)
}
