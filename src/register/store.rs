//! The storage primitives every backend provides, and nothing more: run one statement with
//! neutral arguments, read neutral rows, inside a write transaction or on the pool. The rules
//! (what filing writes, which dates a status sets, the audit chain) are written once over these,
//! in the backend-neutral files of `register/`; SQL text is shared, with `$N` placeholders,
//! wherever the dialects agree. A backend is a thin folder: connect, migrate, check durability,
//! begin and finish a transaction, bind and decode.

pub(crate) use super::value::{args, Row, Value};
use super::{postgres, sqlite};
use super::{Register, RegisterError};
use crate::audit::{self, Event};

/// A write transaction: every statement inside it commits together or not at all.
pub(crate) enum Tx {
    /// SQLite, `BEGIN IMMEDIATE`.
    Sqlite(sqlite::Tx),
    /// PostgreSQL, READ COMMITTED under the register's advisory write lock.
    Postgres(postgres::Tx),
}

impl Tx {
    /// Runs a statement; returns the rows it changed.
    pub(crate) async fn exec(
        &mut self,
        what: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<u64, RegisterError> {
        match self {
            Tx::Sqlite(t) => t.exec(what, sql, args).await,
            Tx::Postgres(t) => t.exec(what, sql, args).await,
        }
    }

    /// Runs a query expecting at most one row.
    pub(crate) async fn opt(
        &mut self,
        what: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<Option<Row>, RegisterError> {
        match self {
            Tx::Sqlite(t) => t.opt(what, sql, args).await,
            Tx::Postgres(t) => t.opt(what, sql, args).await,
        }
    }

    /// Runs a query expecting one row.
    pub(crate) async fn one(
        &mut self,
        what: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<Row, RegisterError> {
        match self {
            Tx::Sqlite(t) => t.one(what, sql, args).await,
            Tx::Postgres(t) => t.one(what, sql, args).await,
        }
    }

    /// Runs a query for all its rows.
    pub(crate) async fn all(
        &mut self,
        what: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<Vec<Row>, RegisterError> {
        match self {
            Tx::Sqlite(t) => t.all(what, sql, args).await,
            Tx::Postgres(t) => t.all(what, sql, args).await,
        }
    }

    /// The end of the audit trail, read inside this transaction so no other writer can append
    /// in between.
    pub(crate) async fn audit_tip(&mut self) -> Result<audit::Tip, RegisterError> {
        let sql = match self {
            Tx::Sqlite(_) => sqlite::AUDIT_TIP,
            Tx::Postgres(_) => postgres::AUDIT_TIP,
        };
        let row = self.one("SELECT audit tip", sql, &[]).await?;
        Ok(audit::Tip {
            last_id: row.get("last_id", "SELECT audit tip")?,
            last_hash: row.get("last_hash", "SELECT audit tip")?,
        })
    }

    /// A query whose one row's `now_ms` is the database's clock in ms since 1970.
    pub(crate) fn now_ms_sql(&self) -> &'static str {
        match self {
            Tx::Sqlite(_) => sqlite::NOW_MS,
            Tx::Postgres(_) => postgres::NOW_MS,
        }
    }

    /// After rows were copied in with their ids (`register migrate`): ids the database gives
    /// from now on continue after the highest copied, in each of `tables`.
    pub(crate) async fn finish_bulk_copy(
        &mut self,
        tables: impl Iterator<Item = &'static str>,
    ) -> Result<(), RegisterError> {
        match self {
            // AUTOINCREMENT follows explicit ids by itself (sqlite_sequence).
            Tx::Sqlite(_) => Ok(()),
            Tx::Postgres(_) => {
                for table in tables {
                    let sql = postgres::continue_ids(table);
                    self.one("continue the ids after a copy", &sql, &[]).await?;
                }
                Ok(())
            }
        }
    }

    /// Raises the highest audit id ever given to at least `id` (the source's, when copying),
    /// so ids of a removed tail are not given again in the new register either.
    pub(crate) async fn raise_audit_high(&mut self, id: i64) -> Result<(), RegisterError> {
        let sql = match self {
            Tx::Sqlite(_) => sqlite::RAISE_AUDIT_HIGH,
            Tx::Postgres(_) => postgres::RAISE_AUDIT_HIGH,
        };
        self.exec("raise the audit high-water mark", sql, args![id])
            .await?;
        Ok(())
    }

    /// Appends an audit entry, chained to the one before; returns its id.
    pub(crate) async fn audit(
        &mut self,
        actor: &str,
        event: Event,
        case_number: Option<&str>,
        detail: &str,
    ) -> Result<i64, RegisterError> {
        let tip = self.audit_tip().await?;
        let entry = audit::Entry {
            actor,
            event,
            case_number,
            detail,
        };
        let at = if entry.dated_to_the_day() {
            today_stored()
        } else {
            now_rfc3339()
        };
        let link = audit::append(&tip, &at, &entry);
        self.exec(
            "INSERT INTO audit",
            "INSERT INTO audit (id, at, actor, action, case_number, detail, prev_hash, hash)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            args![
                link.id,
                at.as_str(),
                actor,
                event.as_str(),
                case_number,
                detail,
                link.prev_hash.as_str(),
                link.hash.as_str()
            ],
        )
        .await?;
        Ok(link.id)
    }
}

impl Register {
    /// Runs `work` in one write transaction: committed when it returns Ok, rolled back
    /// otherwise. A failed COMMIT is reported as such, never assumed to have succeeded. A
    /// transaction the server aborted to break a deadlock or a serialization conflict is run
    /// again from the start (it changed nothing), a few times.
    pub(crate) async fn write<T>(
        &self,
        mut work: impl AsyncFnMut(&mut Tx) -> Result<T, RegisterError>,
    ) -> Result<T, RegisterError> {
        let mut tries = 0;
        loop {
            let mut tx = match self {
                Register::Sqlite(r) => Tx::Sqlite(r.begin().await?),
                Register::Postgres(r) => Tx::Postgres(r.begin().await?),
            };
            let result = work(&mut tx).await;
            let result = match tx {
                Tx::Sqlite(t) => t.finish(result).await,
                Tx::Postgres(t) => t.finish(result).await,
            };
            match result {
                Err(e) if e.is_conflict_retry() && tries < CONFLICT_RETRIES => {
                    tries += 1;
                    tokio::time::sleep(std::time::Duration::from_millis(10 << tries)).await;
                }
                other => return other,
            }
        }
    }

    /// A read outside a transaction, for all its rows.
    pub(crate) async fn all(
        &self,
        what: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<Vec<Row>, RegisterError> {
        match self {
            Register::Sqlite(r) => r.all(what, sql, args).await,
            Register::Postgres(r) => r.all(what, sql, args).await,
        }
    }

    /// A read outside a transaction, for at most one row.
    pub(crate) async fn opt(
        &self,
        what: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<Option<Row>, RegisterError> {
        match self {
            Register::Sqlite(r) => r.opt(what, sql, args).await,
            Register::Postgres(r) => r.opt(what, sql, args).await,
        }
    }

    /// A read outside a transaction, for one row.
    pub(crate) async fn one(
        &self,
        what: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<Row, RegisterError> {
        match self {
            Register::Sqlite(r) => r.one(what, sql, args).await,
            Register::Postgres(r) => r.one(what, sql, args).await,
        }
    }

    /// Proves the register takes writes now (not full, not read-only, not locked out):
    /// rewrites the one row of `write_probe` in a transaction of its own. Touches no case,
    /// intake record or audit entry.
    pub async fn probe_write(&self) -> Result<(), RegisterError> {
        self.write(async |tx| {
            tx.exec(
                "UPSERT write_probe",
                "INSERT INTO write_probe (id, probed_at) VALUES (1, $1) \
                 ON CONFLICT (id) DO UPDATE SET probed_at = excluded.probed_at",
                args![now_rfc3339().as_str()],
            )
            .await?;
            Ok(())
        })
        .await
    }

    /// A single-statement write outside an explicit transaction.
    pub(crate) async fn exec(
        &self,
        what: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<u64, RegisterError> {
        match self {
            Register::Sqlite(r) => r.exec(what, sql, args).await,
            Register::Postgres(r) => r.exec(what, sql, args).await,
        }
    }
}

/// How often a transaction aborted by a deadlock or serialization conflict is run again.
const CONFLICT_RETRIES: u32 = 5;

/// Today, as stored where a time would tie a case to the mail server's logs (`YYYY-MM-DD`).
pub(crate) fn today_stored() -> String {
    super::today().to_string()
}

/// Now, as stored (RFC 3339, seconds, UTC).
pub(crate) fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
