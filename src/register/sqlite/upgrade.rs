//! One-time upgrades of SQLite registers written by earlier versions: audit rows from before
//! the hash chain (migration 0002 leaves a marker) are chained once, in id order.

use super::SqliteRegister;
use crate::register::value::args;
use crate::register::RegisterError;

impl SqliteRegister {
    /// Chains audit rows written before migration 0002, once.
    pub(super) async fn upgrade(&self) -> Result<(), RegisterError> {
        let mut tx = self.begin().await?;
        let result = async {
            let pending: i64 = tx
                .one(
                    "SELECT audit_backfill",
                    "SELECT COUNT(*) AS n FROM audit_backfill",
                    &[],
                )
                .await?
                .get("n", "SELECT audit_backfill")?;
            if pending == 0 {
                return Ok(());
            }
            let rows = tx
                .all(
                    "SELECT unchained audit",
                    "SELECT id, at, actor, action, case_number, detail FROM audit \
                     WHERE hash IS NULL ORDER BY id",
                    &[],
                )
                .await?;
            let mut prev = crate::audit::GENESIS.to_owned();
            for r in &rows {
                let what = "read audit row";
                let id: i64 = r.get("id", what)?;
                let at: String = r.get("at", what)?;
                let actor: String = r.get("actor", what)?;
                let action: String = r.get("action", what)?;
                let case_number: Option<String> = r.get("case_number", what)?;
                let detail: String = r.get("detail", what)?;
                let hash = crate::audit::Link {
                    id,
                    at: &at,
                    actor: &actor,
                    action: &action,
                    case_number: case_number.as_deref(),
                    detail: &detail,
                    prev_hash: &prev,
                }
                .hash();
                tx.exec(
                    "UPDATE audit chain",
                    "UPDATE audit SET prev_hash = $1, hash = $2 WHERE id = $3",
                    args![prev.as_str(), hash.as_str(), id],
                )
                .await?;
                prev = hash;
            }
            tx.exec("DELETE audit_backfill", "DELETE FROM audit_backfill", &[])
                .await?;
            Ok(())
        }
        .await;
        tx.finish(result).await
    }
}
