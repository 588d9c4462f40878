//! PostgreSQL backend: the register in one schema of a database, the same tables and SQL text
//! as SQLite, the same durability promise (checked at start), writers serialised per register
//! by a transaction-scoped advisory lock, as `BEGIN IMMEDIATE` does for SQLite. No rule lives
//! here.

mod connect;

use sqlx::postgres::{PgArguments, PgConnection, PgPool, PgPoolOptions};
use sqlx::{Connection as _, PgExecutor, Postgres};

use super::value::{Row, Value};
use super::RegisterError;

/// The end of the audit trail: the highest id ever given (kept by a trigger in `audit_high`, so
/// the ids of a removed tail are never given again) and the last entry's hash.
pub(crate) const AUDIT_TIP: &str = "SELECT GREATEST(
                (SELECT high FROM audit_high WHERE one = 1),
                COALESCE((SELECT MAX(id) FROM audit), 0)) AS last_id,
            (SELECT hash FROM audit ORDER BY id DESC LIMIT 1) AS last_hash";

/// The server's clock, ms since 1970 (for leases; the same for every replica).
pub(crate) const NOW_MS: &str =
    "SELECT CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT) AS now_ms";

/// Raises the highest audit id ever given (see [`AUDIT_TIP`]).
pub(crate) const RAISE_AUDIT_HIGH: &str =
    "UPDATE audit_high SET high = GREATEST(high, $1) WHERE one = 1";

/// Sets `table`'s identity so the next id given follows the highest stored one (after rows
/// were inserted with their own ids). `table` is one of the register's own names.
pub(crate) fn continue_ids(table: &str) -> String {
    format!(
        "SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 0) + 1, false) \
         AS next FROM {table}"
    )
}

/// The PostgreSQL register.
pub struct PgRegister {
    pub(crate) pool: PgPool,
    /// The advisory lock every write transaction of this register takes first.
    write_lock: i64,
}

static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Connections per register in a process: intake on one, the lease renewed beside it on
/// another, a third for a command's reads. A deployment holds up to this many per tenant per
/// replica (idle ones close after a minute): size the server's max_connections for it.
const MAX_CONNECTIONS: u32 = 3;

impl PgRegister {
    /// Connects, creates the schema if missing, checks the server's durability settings and
    /// migrates.
    pub async fn open(
        url: &secrecy::SecretString,
        schema: &str,
    ) -> Result<PgRegister, RegisterError> {
        let options = connect::options(url, schema)?;
        // One connection first, for the checks and migrations: an unreachable server or a
        // refused login is reported at once, not after the pool's patience runs out.
        let mut first = PgConnection::connect_with(&options)
            .await
            .map_err(|source| connect::unreachable(&options, source))?;
        let write_lock = write_lock_key(schema);
        check_durability(&mut first).await?;
        create_schema(&mut first, schema, write_lock).await?;
        MIGRATOR.run(&mut first).await?;
        first
            .close()
            .await
            .map_err(RegisterError::db("close the first connection"))?;
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(std::time::Duration::from_secs(30))
            .idle_timeout(std::time::Duration::from_secs(60))
            .connect_lazy_with(options);
        Ok(PgRegister { pool, write_lock })
    }

    /// Closes the pool.
    pub async fn close(self) {
        self.pool.close().await;
    }

    /// Starts a write transaction and takes this register's write lock, so no other writer
    /// (another replica, another command) slips in between its reads and writes. READ
    /// COMMITTED: every statement after the lock sees everything committed before it.
    pub(crate) async fn begin(&self) -> Result<Tx, RegisterError> {
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL READ COMMITTED")
            .await
            .map_err(RegisterError::db("BEGIN"))?;
        exec(
            &mut *tx,
            "take the register's write lock",
            "SELECT pg_advisory_xact_lock($1)",
            &[Value::Int(Some(self.write_lock))],
        )
        .await?;
        Ok(Tx(tx))
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

/// Refuses a server that may lose a committed transaction: the gateway deletes the server copy
/// of a message right after its case commits (invariant 1).
async fn check_durability(conn: &mut PgConnection) -> Result<(), RegisterError> {
    async fn setting(conn: &mut PgConnection, name: &'static str) -> Result<String, RegisterError> {
        let row = one(
            &mut *conn,
            "read server settings",
            &format!("SHOW {name}"),
            &[],
        )
        .await?;
        row.get(name, "read server settings")
    }
    let fsync = setting(conn, "fsync").await?;
    if fsync != "on" {
        return Err(RegisterError::Durability(format!(
            "the PostgreSQL server runs with fsync = {fsync}: a committed case could be lost in \
             a crash; set fsync = on in postgresql.conf"
        )));
    }
    let full_page_writes = setting(conn, "full_page_writes").await?;
    if full_page_writes != "on" {
        return Err(RegisterError::Durability(format!(
            "the PostgreSQL server runs with full_page_writes = {full_page_writes}: a crash could \
             tear a page; set full_page_writes = on in postgresql.conf"
        )));
    }
    // `local` does not wait for a synchronous standby: the case could be lost with the primary
    // even though the server copy is already deleted.
    let commit = setting(conn, "synchronous_commit").await?;
    if !matches!(commit.as_str(), "on" | "remote_write" | "remote_apply") {
        return Err(RegisterError::Durability(format!(
            "synchronous_commit is {commit} for the register's connections: a committed case \
             could be lost; set it to on (ALTER ROLE … SET synchronous_commit = on, or in \
             postgresql.conf, and not in the URL's options)"
        )));
    }
    Ok(())
}

async fn create_schema(
    conn: &mut PgConnection,
    schema: &str,
    write_lock: i64,
) -> Result<(), RegisterError> {
    // Two replicas starting together race on CREATE SCHEMA; the advisory lock orders them.
    let mut tx = conn.begin().await.map_err(RegisterError::db("BEGIN"))?;
    exec(
        &mut *tx,
        "lock for CREATE SCHEMA",
        "SELECT pg_advisory_xact_lock($1)",
        &[Value::Int(Some(write_lock))],
    )
    .await?;
    // The name is checked at config time (plain lower-case), so it needs no quoting.
    exec(
        &mut *tx,
        "CREATE SCHEMA",
        &format!("CREATE SCHEMA IF NOT EXISTS {schema}"),
        &[],
    )
    .await?;
    tx.commit().await.map_err(RegisterError::db("COMMIT"))
}

/// The advisory lock key of a register: stable across processes and versions, different per
/// schema, so registers in one database do not wait on each other.
fn write_lock_key(schema: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(format!("sygnal register write lock:{schema}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(digest.get(..8).unwrap_or(&[0; 8]));
    i64::from_be_bytes(first)
}

async fn exec<'e>(
    on: impl PgExecutor<'e>,
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
    on: impl PgExecutor<'e>,
    what: &'static str,
    sql: &str,
    args: &[Value<'_>],
) -> Result<Option<Row>, RegisterError> {
    let row = query(sql, args)
        .fetch_optional(on)
        .await
        .map_err(RegisterError::db(what))?;
    Ok(row.map(Row::Postgres))
}

async fn one<'e>(
    on: impl PgExecutor<'e>,
    what: &'static str,
    sql: &str,
    args: &[Value<'_>],
) -> Result<Row, RegisterError> {
    let row = query(sql, args)
        .fetch_one(on)
        .await
        .map_err(RegisterError::db(what))?;
    Ok(Row::Postgres(row))
}

async fn all<'e>(
    on: impl PgExecutor<'e>,
    what: &'static str,
    sql: &str,
    args: &[Value<'_>],
) -> Result<Vec<Row>, RegisterError> {
    let rows = query(sql, args)
        .fetch_all(on)
        .await
        .map_err(RegisterError::db(what))?;
    Ok(rows.into_iter().map(Row::Postgres).collect())
}

/// A statement with its arguments bound (`$N` binds argument N). Flags are bound as 0/1
/// integers, as the columns store them on both backends.
fn query<'q>(sql: &'q str, args: &[Value<'q>]) -> sqlx::query::Query<'q, Postgres, PgArguments> {
    args.iter().fold(sqlx::query(sql), |q, v| match *v {
        Value::Int(i) => q.bind(i),
        Value::Text(t) => q.bind(t),
        Value::Blob(b) => q.bind(b),
        Value::Bool(b) => q.bind(i64::from(b)),
    })
}

/// A write transaction; rolled back if dropped unfinished.
pub(crate) struct Tx(sqlx::Transaction<'static, Postgres>);

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
    /// and never assumed to have succeeded.
    pub(crate) async fn finish<T>(
        self,
        result: Result<T, RegisterError>,
    ) -> Result<T, RegisterError> {
        match result {
            Ok(v) => {
                self.0.commit().await.map_err(RegisterError::db("COMMIT"))?;
                Ok(v)
            }
            Err(e) => {
                // The original error matters more than a failed rollback.
                let _ = self.0.rollback().await;
                Err(e)
            }
        }
    }
}
