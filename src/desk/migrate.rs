//! Moving the register to another backend, e.g. from the SQLite file to PostgreSQL when one
//! machine is outgrown. Nothing is decrypted: sealed records are copied as they are and open with
//! the same keys; the key folder does not move.

use super::DeskError;
use crate::config::RegisterConfig;
use crate::register::{CopyReport, Register};

/// Copies the register `from` into the new, empty register `to` (created and migrated if
/// missing), checks it (row counts, a digest of every table, the audit chain with the source's
/// head in it) and records the move in the new register's audit chain. The source is left as
/// it was. Run it with the gateway stopped: the source is held locked while it is read.
pub async fn migrate_register(
    from: &RegisterConfig,
    to: &RegisterConfig,
) -> Result<CopyReport, DeskError> {
    if same_register(from, to) {
        return Err(DeskError::Invalid(
            "--from and --to name the same register: migrate into a new one".to_owned(),
        ));
    }
    // Opening a register creates it: a mistyped source path must not become an empty register
    // that is then "migrated".
    if let RegisterConfig::Sqlite { path } = from {
        if !path.exists() {
            return Err(DeskError::NotFound(format!(
                "no register at {} (--from): give the path of the existing register file",
                path.display()
            )));
        }
    }
    let source = Register::open(from).await?;
    let target = match Register::open(to).await {
        Ok(t) => t,
        Err(e) => {
            source.close().await;
            return Err(e.into());
        }
    };
    let result = source.copy_into(&target, kind(from)).await;
    source.close().await;
    target.close().await;
    Ok(result?)
}

fn kind(config: &RegisterConfig) -> &'static str {
    match config {
        RegisterConfig::Sqlite { .. } => "sqlite",
        RegisterConfig::Postgres { .. } => "postgres",
    }
}

fn same_register(a: &RegisterConfig, b: &RegisterConfig) -> bool {
    match (a, b) {
        (RegisterConfig::Sqlite { path: p }, RegisterConfig::Sqlite { path: q }) => {
            let canonical = |p: &std::path::Path| std::fs::canonicalize(p).ok();
            p == q || (canonical(p).is_some() && canonical(p) == canonical(q))
        }
        // Two URL sources may name one database; the target's emptiness check catches that.
        (
            RegisterConfig::Postgres { url: u, schema: s },
            RegisterConfig::Postgres { url: v, schema: t },
        ) => s == t && format!("{u:?}") == format!("{v:?}"),
        _ => false,
    }
}
