//! Files a handler takes out of a case: attachments and exported case files, written 0600 in
//! a 0700 folder. The names are report content: messages name the folder, never a file.

use std::collections::BTreeSet;
use std::path::Path;

use anyhow::Context;
use zeroize::Zeroizing;

use super::{coded, exit, report_view};
use crate::desk::CaseExport;
use crate::split::Report;

/// An export goes into a new (or empty) folder only: nothing of an earlier one is mixed in.
pub(super) fn check_new_folder(out: &Path) -> anyhow::Result<()> {
    if out.exists() && std::fs::read_dir(out)?.next().is_some() {
        return Err(coded(
            exit::USAGE,
            format!("{} is not empty; give a new folder", out.display()),
        ));
    }
    Ok(())
}

/// Writes case.json, report.json (without attachment bytes), events.json and attachments/.
pub(super) fn write_export(export: &CaseExport, out: &Path) -> anyhow::Result<()> {
    save_attachments(&export.report, &out.join("attachments"))?;
    for f in &export.follow_ups {
        save_attachments(&f.report, &out.join("attachments"))?;
    }
    let write = |name: &str, text: Zeroizing<String>| -> anyhow::Result<()> {
        write_private(&out.join(name), text.as_bytes())
            .with_context(|| format!("cannot write {name} into {}", out.display()))
    };
    write(
        "case.json",
        Zeroizing::new(serde_json::to_string_pretty(&export.file)?),
    )?;
    write(
        "report.json",
        Zeroizing::new(serde_json::to_string_pretty(
            &report_view::report_file_json(&export.report)?,
        )?),
    )?;
    write(
        "follow-ups.json",
        Zeroizing::new(serde_json::to_string_pretty(
            &report_view::follow_ups_json(&export.follow_ups)?,
        )?),
    )?;
    write(
        "events.json",
        Zeroizing::new(serde_json::to_string_pretty(&export.events)?),
    )?;
    Ok(())
}

fn create_private_dir(dir: &Path) -> anyhow::Result<()> {
    use std::os::unix::fs::DirBuilderExt;
    if !dir.exists() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .with_context(|| format!("cannot create {}", dir.display()))?;
    }
    Ok(())
}

/// Writes every attachment into `dir` under its display name made a single file name, never
/// overwriting anything.
pub(super) fn save_attachments(report: &Report, dir: &Path) -> anyhow::Result<()> {
    super::storage_check::warn_if_risky(dir);
    create_private_dir(dir)?;
    let mut used = BTreeSet::new();
    for (i, item) in report.attachments.iter().enumerate() {
        if item.destroyed_on.is_some() {
            continue;
        }
        let name = item
            .name
            .as_deref()
            .map(safe_file_name)
            .filter(|n| !n.is_empty())
            .unwrap_or_else(|| format!("attachment-{}", i + 1));
        let mut candidate = name.clone();
        let mut n = 1;
        while used.contains(&candidate) || dir.join(&candidate).exists() {
            n += 1;
            candidate = format!("{n}-{name}");
        }
        used.insert(candidate.clone());
        write_private(&dir.join(&candidate), &item.data)
            .with_context(|| format!("cannot write attachment {} into {}", i + 1, dir.display()))?;
    }
    // Counts only: the names are report content and stderr may end up in a log.
    eprintln!(
        "saved {} attachment(s) into {}",
        report
            .attachments
            .iter()
            .filter(|a| a.destroyed_on.is_none())
            .count(),
        dir.display()
    );
    Ok(())
}

/// Evidence files and records are readable by their owner only; an existing file is kept.
pub(super) fn write_private(path: &Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)?;
    f.write_all(data)?;
    f.sync_all()
}

/// Display names are already sanitised at intake; this keeps a file name a single component.
fn safe_file_name(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c == '/' || c == '\\' || c.is_control() {
                '_'
            } else {
                c
            }
        })
        .collect::<String>()
        .trim_start_matches('.')
        .to_owned()
}
