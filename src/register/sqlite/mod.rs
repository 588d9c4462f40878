//! SQLite backend: one file, WAL with `synchronous=FULL` and `secure_delete=ON`, checked at
//! start; the storage primitives (`register/store.rs`) over it. No rule lives here.

mod upgrade;

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::sqlite::{
    SqliteArguments, SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Row as _, Sqlite, SqliteExecutor, SqlitePool};

use super::value::{Row, Value};
use super::RegisterError;

/// The end of the audit trail: the highest id ever given (from `sqlite_sequence`, so the ids of
/// a deleted tail are never given again) and the last entry's hash.
pub(crate) const AUDIT_TIP: &str =
    "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'audit'), 0),
                COALESCE((SELECT MAX(id) FROM audit), 0)) AS last_id,
            (SELECT hash FROM audit ORDER BY id DESC LIMIT 1) AS last_hash";

/// The clock, ms since 1970 (for leases).
pub(crate) const NOW_MS: &str =
    "SELECT CAST((julianday('now') - 2440587.5) * 86400000.0 AS INTEGER) AS now_ms";

/// Raises the highest audit id ever given (see [`AUDIT_TIP`]). The row exists once an entry was
/// inserted, which copying the entries just did.
pub(crate) const RAISE_AUDIT_HIGH: &str =
    "UPDATE sqlite_sequence SET seq = MAX(seq, $1) WHERE name = 'audit'";

/// The SQLite register.
pub struct SqliteRegister {
    pub(crate) pool: SqlitePool,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");

impl SqliteRegister {
    /// Opens or creates the database file (0600 in a 0700 folder), migrates it and checks that
    /// the durability settings really took effect.
    pub async fn open(path: &Path) -> Result<SqliteRegister, RegisterError> {
        prepare_file(path)?;
        let url = format!("sqlite://{}", path.display());
        let options = SqliteConnectOptions::from_str(&url)
            .map_err(RegisterError::db("parse database path"))?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: a committed transaction survives power loss in WAL mode (NORMAL may not).
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(30))
            .pragma("secure_delete", "ON");
        // One connection: the gateway is a single writer; BEGIN IMMEDIATE serialises with any
        // other process on the same file.
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(RegisterError::db("open database"))?;
        let register = SqliteRegister { pool };
        register.check_durability().await?;
        MIGRATOR.run(&register.pool).await?;
        register.upgrade().await?;
        Ok(register)
    }

    async fn check_durability(&self) -> Result<(), RegisterError> {
        let mode: String = sqlx::query("PRAGMA journal_mode")
            .fetch_one(&self.pool)
            .await
            .map_err(RegisterError::db("read journal_mode"))?
            .try_get(0)
            .map_err(RegisterError::db("read journal_mode"))?;
        let sync: i64 = sqlx::query("PRAGMA synchronous")
            .fetch_one(&self.pool)
            .await
            .map_err(RegisterError::db("read synchronous"))?
            .try_get(0)
            .map_err(RegisterError::db("read synchronous"))?;
        let secure: i64 = sqlx::query("PRAGMA secure_delete")
            .fetch_one(&self.pool)
            .await
            .map_err(RegisterError::db("read secure_delete"))?
            .try_get(0)
            .map_err(RegisterError::db("read secure_delete"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(RegisterError::Durability(format!(
                "journal_mode is {mode}, expected wal (is the file on a filesystem without shared memory?)"
            )));
        }
        // 2 = FULL, 3 = EXTRA.
        if sync < 2 {
            return Err(RegisterError::Durability(format!(
                "synchronous is {sync}, expected FULL (2) or EXTRA (3)"
            )));
        }
        if secure != 1 {
            return Err(RegisterError::Durability(format!(
                "secure_delete is {secure}, expected ON (1)"
            )));
        }
        Ok(())
    }

    /// Closes the pool (checkpoints the WAL).
    pub async fn close(self) {
        self.pool.close().await;
    }

    /// Starts a write transaction. IMMEDIATE takes the write lock at once, so no other writer
    /// (another gateway process on the same file) can slip in between its reads and writes.
    pub(crate) async fn begin(&self) -> Result<Tx, RegisterError> {
        let mut conn = self
            .pool
            .acquire()
            .await
            .map_err(RegisterError::db("acquire connection"))?;
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut *conn)
            .await
            .map_err(RegisterError::db("BEGIN IMMEDIATE"))?;
        Ok(Tx(conn))
    }

    pub(crate) async fn exec(
        &self,
        what: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<u64, RegisterError> {
        exec(&self.pool, what, sql, args).await
    }

    pub(crate) async fn opt(
        &self,
        what: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<Option<Row>, RegisterError> {
        opt(&self.pool, what, sql, args).await
    }

    pub(crate) async fn one(
        &self,
        what: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<Row, RegisterError> {
        one(&self.pool, what, sql, args).await
    }

    pub(crate) async fn all(
        &self,
        what: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<Vec<Row>, RegisterError> {
        all(&self.pool, what, sql, args).await
    }
}

async fn exec<'e>(
    on: impl SqliteExecutor<'e>,
    what: &'static str,
    sql: &str,
    args: &[Value<'_>],
) -> Result<u64, RegisterError> {
    Ok(query(sql, args)
        .execute(on)
        .await
        .map_err(RegisterError::db(what))?
        .rows_affected())
}

async fn opt<'e>(
    on: impl SqliteExecutor<'e>,
    what: &'static str,
    sql: &str,
    args: &[Value<'_>],
) -> Result<Option<Row>, RegisterError> {
    let row = query(sql, args)
        .fetch_optional(on)
        .await
        .map_err(RegisterError::db(what))?;
    Ok(row.map(Row::Sqlite))
}

async fn one<'e>(
    on: impl SqliteExecutor<'e>,
    what: &'static str,
    sql: &str,
    args: &[Value<'_>],
) -> Result<Row, RegisterError> {
    let row = query(sql, args)
        .fetch_one(on)
        .await
        .map_err(RegisterError::db(what))?;
    Ok(Row::Sqlite(row))
}

async fn all<'e>(
    on: impl SqliteExecutor<'e>,
    what: &'static str,
    sql: &str,
    args: &[Value<'_>],
) -> Result<Vec<Row>, RegisterError> {
    let rows = query(sql, args)
        .fetch_all(on)
        .await
        .map_err(RegisterError::db(what))?;
    Ok(rows.into_iter().map(Row::Sqlite).collect())
}

/// A statement with its arguments bound (`$N` binds argument N).
fn query<'q>(
    sql: &'q str,
    args: &[Value<'q>],
) -> sqlx::query::Query<'q, Sqlite, SqliteArguments<'q>> {
    args.iter().fold(sqlx::query(sql), |q, v| match *v {
        Value::Int(i) => q.bind(i),
        Value::Text(t) => q.bind(t),
        Value::Blob(b) => q.bind(b),
        Value::Bool(b) => q.bind(b),
    })
}

/// A write transaction on the one connection.
pub(crate) struct Tx(PoolConnection<Sqlite>);

impl Tx {
    pub(crate) async fn exec(
        &mut self,
        what: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<u64, RegisterError> {
        exec(&mut *self.0, what, sql, args).await
    }

    pub(crate) async fn opt(
        &mut self,
        what: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<Option<Row>, RegisterError> {
        opt(&mut *self.0, what, sql, args).await
    }

    pub(crate) async fn one(
        &mut self,
        what: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<Row, RegisterError> {
        one(&mut *self.0, what, sql, args).await
    }

    pub(crate) async fn all(
        &mut self,
        what: &'static str,
        sql: &str,
        args: &[Value<'_>],
    ) -> Result<Vec<Row>, RegisterError> {
        all(&mut *self.0, what, sql, args).await
    }

    /// Commits when `result` is Ok, rolls back otherwise. A failed COMMIT is reported as such
    /// and never assumed to have succeeded: the message stays on the server and is looked up
    /// again.
    pub(crate) async fn finish<T>(
        mut self,
        result: Result<T, RegisterError>,
    ) -> Result<T, RegisterError> {
        match result {
            Ok(v) => {
                sqlx::query("COMMIT")
                    .execute(&mut *self.0)
                    .await
                    .map_err(RegisterError::db("COMMIT"))?;
                Ok(v)
            }
            Err(e) => {
                // The original error matters more than a failed rollback.
                let _ = sqlx::query("ROLLBACK").execute(&mut *self.0).await;
                Err(e)
            }
        }
    }
}

fn prepare_file(path: &Path) -> Result<(), RegisterError> {
    use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        if !dir.exists() {
            std::fs::DirBuilder::new()
                .recursive(true)
                .mode(0o700)
                .create(dir)
                .map_err(|source| RegisterError::Io {
                    context: format!("create folder {}", dir.display()),
                    source,
                })?;
        }
    }
    // Create the file 0600 ourselves: SQLite gives its WAL and journal the same mode.
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .mode(0o600)
        .open(path)
        .map_err(|source| RegisterError::Io {
            context: format!("open {}", path.display()),
            source,
        })?;
    Ok(())
}
