//! `sygnal mailbox purge` and `sygnal doctor --mailbox`: leftover copies in the mailbox's other
//! folders, found and removed. What counts as a leftover and what is refused is the desk's.

use clap::{Args, Subcommand};

use super::keys::parse_duration;
use super::{coded, exit, print_json, with_desk};
use crate::desk::{received, Installation};

#[derive(Subcommand, Debug)]
pub enum MailboxCommand {
    /// Delete messages from the mailbox's folders other than the intake folder (Trash, Sent,
    /// Archive, Junk, ...): copies of reports that no deletion by the gateway reaches. Each
    /// folder purged is an audit entry.
    Purge {
        /// Only messages that arrived on the server at least this long ago (whole days: 7d;
        /// 0d for all).
        #[arg(long, value_parser = whole_days)]
        older_than: u64,
        /// Only this folder (repeatable); default: every folder but the intake folder (an
        /// all-mail view only when named).
        #[arg(long)]
        folder: Vec<String>,
        /// Only count what would be deleted.
        #[arg(long)]
        dry_run: bool,
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
}

/// `doctor --mailbox` options.
#[derive(Args, Debug)]
pub struct MailboxCheck {
    /// Also look at the mailbox: leftover copies in other folders, mail waiting too long, and
    /// whether the server keeps what the gateway deletes (a test message is added, expunged
    /// and looked for).
    #[arg(long)]
    pub mailbox: bool,
    /// With --mailbox: messages that arrived at least this long ago count as old.
    #[arg(long, value_parser = whole_days, default_value = "7d")]
    pub older_than: u64,
}

/// Days in `7d` (IMAP compares arrival by day, so nothing finer).
fn whole_days(s: &str) -> Result<u64, String> {
    let secs = parse_duration(s)?.as_secs();
    if secs % 86_400 != 0 {
        return Err(format!(
            "{s:?}: give whole days (7d, 0d): the server compares arrival dates by day"
        ));
    }
    Ok(secs / 86_400)
}

pub async fn mailbox(at: &Installation, command: MailboxCommand) -> anyhow::Result<()> {
    let MailboxCommand::Purge {
        older_than,
        folder,
        dry_run,
        json,
    } = command;
    let purge = with_desk(at, async |d| {
        d.purge_mailbox(older_than, &folder, dry_run).await
    })
    .await?;
    if json {
        return print_json(&purge);
    }
    let verb = if dry_run { "would delete" } else { "deleted" };
    let when = received(purge.before);
    for p in &purge.purged {
        println!(
            "{}: {verb} {} message(s) received {when}",
            p.folder, p.messages
        );
    }
    for (f, why) in &purge.skipped {
        println!("{f}: left alone: {why}");
    }
    if purge.purged.is_empty() {
        println!("no message received {when} outside the intake folder");
    }
    Ok(())
}

/// The mailbox part of `doctor`: prints findings; the number of warnings.
pub async fn check(at: &Installation, older_than: u64) -> anyhow::Result<usize> {
    let i = with_desk(at, async |d| d.inspect_mailbox(older_than).await).await?;
    println!("ok   mailbox {} reached", i.server);
    let offered: Vec<&str> = [("UIDPLUS", i.uidplus), ("MOVE", i.r#move), ("IDLE", i.idle)]
        .into_iter()
        .filter_map(|(name, on)| on.then_some(name))
        .collect();
    if !offered.is_empty() {
        println!("ok   the server offers {}", offered.join(", "));
    }
    println!(
        "ok   intake folder {}: {} message(s) waiting",
        i.intake_folder, i.intake_waiting
    );
    if i.folders.is_empty() {
        println!("ok   no other folder holds messages");
    }
    if i.expunged_mail_kept_in.is_empty() {
        println!("ok   the server removes what the gateway expunges (checked with a test message)");
    }
    for w in &i.warnings {
        println!("WARN {w}");
    }
    Ok(i.warnings.len())
}

/// Exit 1 when a check warned.
pub fn warned(count: usize) -> anyhow::Result<()> {
    if count == 0 {
        Ok(())
    } else {
        Err(coded(exit::ERROR, format!("{count} warning(s)")))
    }
}
