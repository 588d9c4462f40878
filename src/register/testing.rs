//! The register contract runs on every backend: a test written once with [`on_each_backend!`]
//! becomes one test per backend, each on a fresh register (a temp SQLite file, or a fresh schema
//! in this process's throwaway PostgreSQL cluster). Neither backend is ever skipped.

#[path = "../../tests/support/postgres.rs"]
pub(crate) mod cluster;

use std::path::Path;

use super::Register;
use crate::config::{PasswordSource, RegisterConfig};

/// A register backend under test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backend {
    Sqlite,
    Postgres,
}

/// What keeps a test register alive (its folder; the cluster outlives the test).
pub(crate) struct Held {
    pub(crate) dir: tempfile::TempDir,
}

impl Backend {
    /// The register's configuration for a fresh register under `dir`.
    pub(crate) fn config(self, dir: &Path) -> RegisterConfig {
        match self {
            Backend::Sqlite => RegisterConfig::Sqlite {
                path: dir.join("var").join("register.db"),
            },
            Backend::Postgres => {
                let pg = cluster::cluster();
                RegisterConfig::Postgres {
                    url: PasswordSource::File(pg.url_file(dir, &pg.url())),
                    schema: pg.fresh_schema(),
                }
            }
        }
    }

    /// The `[register]` table of a config file for a fresh register under `dir`.
    pub(crate) fn toml(self, dir: &Path) -> String {
        match self.config(dir) {
            RegisterConfig::Sqlite { .. } => {
                "[register]\ndriver = \"sqlite\"\npath = \"var/register.db\"\n".to_owned()
            }
            RegisterConfig::Postgres { url, schema } => {
                let PasswordSource::File(file) = url else {
                    unreachable!("test URLs are files")
                };
                format!(
                    "[register]\ndriver = \"postgres\"\nurl-file = \"{}\"\nschema = \"{schema}\"\n",
                    file.display()
                )
            }
        }
    }

    /// A fresh, empty register.
    pub(crate) async fn open(self) -> (Held, Register) {
        let dir = tempfile::tempdir().unwrap();
        let register = Register::open(&self.config(dir.path())).await.unwrap();
        (Held { dir }, register)
    }
}

/// Writes a test once, runs it on each backend: `on_each_backend! { async fn name(backend) {…} }`
/// makes `name::sqlite` and `name::postgres`, with `backend` bound to the one under test.
macro_rules! on_each_backend {
    ($($(#[$meta:meta])* async fn $name:ident($backend:ident) $body:block)*) => {$(
        $(#[$meta])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn run($backend: $crate::register::testing::Backend) $body

            #[tokio::test]
            async fn sqlite() {
                run($crate::register::testing::Backend::Sqlite).await
            }

            #[tokio::test]
            async fn postgres() {
                run($crate::register::testing::Backend::Postgres).await
            }
        }
    )*};
}
pub(crate) use on_each_backend;
