//! What crosses the storage primitives: statement arguments and result rows, neutral across
//! backends. Each backend binds [`Value`]s and decodes [`Column`]s its own way.

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
}

/// A column type every backend can decode.
pub(crate) trait Column: Sized {
    /// From a SQLite row.
    fn from_sqlite(row: &SqliteRow, name: &str) -> Result<Self, sqlx::Error>;
}

macro_rules! columns {
    ($($t:ty),*) => {
        $(impl Column for $t {
            fn from_sqlite(row: &SqliteRow, name: &str) -> Result<Self, sqlx::Error> {
                sqlx::Row::try_get(row, name)
            }
        })*
    };
}
columns!(
    i64,
    bool,
    String,
    Vec<u8>,
    Option<i64>,
    Option<String>,
    Option<Vec<u8>>
);

impl Row {
    /// The column `name`; `what` names the read for the error.
    pub(crate) fn get<T: Column>(
        &self,
        name: &str,
        what: &'static str,
    ) -> Result<T, RegisterError> {
        match self {
            Row::Sqlite(r) => T::from_sqlite(r, name),
        }
        .map_err(RegisterError::db(what))
    }
}
