//! What crosses the storage primitives: statement arguments and result rows, neutral across
//! backends. Each backend binds [`Value`]s and decodes [`Column`]s its own way.

use sqlx::postgres::PgRow;
use sqlx::sqlite::SqliteRow;

use super::RegisterError;

/// A statement argument.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Value<'a> {
    /// An integer (or NULL).
    Int(Option<i64>),
    /// Text (or NULL).
    Text(Option<&'a str>),
    /// Bytes (or NULL).
    Blob(Option<&'a [u8]>),
    /// A boolean.
    Bool(bool),
}

impl From<i64> for Value<'_> {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}
impl From<Option<i64>> for Value<'_> {
    fn from(v: Option<i64>) -> Self {
        Value::Int(v)
    }
}
impl<'a> From<&'a str> for Value<'a> {
    fn from(v: &'a str) -> Self {
        Value::Text(Some(v))
    }
}
impl<'a> From<&'a String> for Value<'a> {
    fn from(v: &'a String) -> Self {
        Value::Text(Some(v.as_str()))
    }
}
impl<'a> From<Option<&'a str>> for Value<'a> {
    fn from(v: Option<&'a str>) -> Self {
        Value::Text(v)
    }
}
impl<'a> From<&'a [u8]> for Value<'a> {
    fn from(v: &'a [u8]) -> Self {
        Value::Blob(Some(v))
    }
}
impl<'a> From<Option<&'a [u8]>> for Value<'a> {
    fn from(v: Option<&'a [u8]>) -> Self {
        Value::Blob(v)
    }
}
impl From<bool> for Value<'_> {
    fn from(v: bool) -> Self {
        Value::Bool(v)
    }
}

/// Statement arguments: `args![a, b, c]`.
macro_rules! args {
    ($($v:expr),* $(,)?) => {
        &[$($crate::register::value::Value::from($v)),*]
    };
}
pub(crate) use args;

/// A result row.
pub(crate) enum Row {
    /// From SQLite.
    Sqlite(SqliteRow),
    /// From PostgreSQL.
    Postgres(PgRow),
}

/// A column type every backend can decode.
pub(crate) trait Column: Sized {
    /// From a SQLite row.
    fn from_sqlite(row: &SqliteRow, name: &str) -> Result<Self, sqlx::Error>;
    /// From a PostgreSQL row.
    fn from_postgres(row: &PgRow, name: &str) -> Result<Self, sqlx::Error>;
}

/// Decoded the same way by both drivers.
macro_rules! columns {
    ($($t:ty),*) => {
        $(impl Column for $t {
            fn from_sqlite(row: &SqliteRow, name: &str) -> Result<Self, sqlx::Error> {
                sqlx::Row::try_get(row, name)
            }
            fn from_postgres(row: &PgRow, name: &str) -> Result<Self, sqlx::Error> {
                sqlx::Row::try_get(row, name)
            }
        })*
    };
}
columns!(String, Vec<u8>, Option<String>, Option<Vec<u8>>);

// PostgreSQL types integers strictly: columns are BIGINT, but an expression such as LENGTH()
// is INTEGER, so the narrower types are widened here rather than cast in every query.
impl Column for Option<i64> {
    fn from_sqlite(row: &SqliteRow, name: &str) -> Result<Self, sqlx::Error> {
        sqlx::Row::try_get(row, name)
    }
    fn from_postgres(row: &PgRow, name: &str) -> Result<Self, sqlx::Error> {
        sqlx::Row::try_get::<Option<i64>, _>(row, name)
            .or_else(|_| Ok(sqlx::Row::try_get::<Option<i32>, _>(row, name)?.map(i64::from)))
            .or_else(|_: sqlx::Error| {
                Ok(sqlx::Row::try_get::<Option<i16>, _>(row, name)?.map(i64::from))
            })
    }
}

impl Column for i64 {
    fn from_sqlite(row: &SqliteRow, name: &str) -> Result<Self, sqlx::Error> {
        sqlx::Row::try_get(row, name)
    }
    fn from_postgres(row: &PgRow, name: &str) -> Result<Self, sqlx::Error> {
        Option::<i64>::from_postgres(row, name)?.ok_or_else(|| sqlx::Error::ColumnDecode {
            index: name.to_owned(),
            source: "unexpected NULL".into(),
        })
    }
}

// Flags are stored as 0/1 integers on both backends (one shared SQL text); a boolean
// expression decodes as itself.
impl Column for bool {
    fn from_sqlite(row: &SqliteRow, name: &str) -> Result<Self, sqlx::Error> {
        sqlx::Row::try_get(row, name)
    }
    fn from_postgres(row: &PgRow, name: &str) -> Result<Self, sqlx::Error> {
        sqlx::Row::try_get::<bool, _>(row, name)
            .or_else(|_| Ok(i64::from_postgres(row, name)? != 0))
    }
}

impl Row {
    /// The column `name`; `what` names the read for the error.
    pub(crate) fn get<T: Column>(
        &self,
        name: &str,
        what: &'static str,
    ) -> Result<T, RegisterError> {
        match self {
            Row::Sqlite(r) => T::from_sqlite(r, name),
            Row::Postgres(r) => T::from_postgres(r, name),
        }
        .map_err(RegisterError::db(what))
    }
}
