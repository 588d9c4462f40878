//! A consistent copy of the register as one SQLite file: the backup format of both backends.
//! SQLite's own `VACUUM INTO` writes it from a read snapshot, so intake goes on meanwhile; a
//! PostgreSQL register is copied table by table into a new file (and checked), as a migration.

use std::path::Path;

use super::store::args;
use super::{Register, RegisterError};
use crate::config::RegisterConfig;

impl Register {
    /// Writes this register, whole and as it stands now, to the new SQLite file `path`.
    pub async fn snapshot_into(&self, path: &Path) -> Result<(), RegisterError> {
        let text = path.to_str().ok_or_else(|| {
            RegisterError::Setup(format!("{} is not a UTF-8 path", path.display()))
        })?;
        match self {
            Register::Sqlite(_) => {
                self.exec("VACUUM INTO the backup", "VACUUM INTO $1", args![text])
                    .await?;
            }
            Register::Postgres(_) => {
                let target = Register::open(&RegisterConfig::Sqlite {
                    path: path.to_path_buf(),
                })
                .await?;
                let copied = self.copy_into(&target, "postgres").await;
                target.close().await;
                copied?;
            }
        }
        Ok(())
    }
}
