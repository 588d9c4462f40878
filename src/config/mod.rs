//! Configuration: raw TOML structs, then a validated [`Config`] with every problem reported at once.
//!
//! Secrets (the IMAP password) never live in the config file: it names a file or an environment
//! variable, read into zeroizing memory only when the mailbox is opened.

mod contact;
mod raw;
mod secret;
mod tls;

#[cfg(test)]
mod config_tests;

use std::path::{Path, PathBuf};
use std::time::Duration;

pub use contact::{ContactConfig, SmtpConfig, DEFAULT_ACKS_PER_HOUR};
pub use secret::{PasswordSource, SecretError};

use crate::imap::{ImapSettings, TlsMode};

/// Validated configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Folder of the config file; relative paths were resolved against it.
    pub base_dir: PathBuf,
    /// The tenant this is, in a deployment with several (`[tenants.NAME]`); None for the
    /// single-mailbox form.
    pub tenant: Option<String>,
    /// The reporting mailbox.
    pub mailbox: MailboxConfig,
    /// The case register.
    pub register: RegisterConfig,
    /// Where intake keys and shred keys live.
    pub keys: KeysConfig,
    /// Case numbering.
    pub cases: CasesConfig,
    /// Bounds on memory and time per message.
    pub limits: Limits,
    /// How intake takes mail in batches and in parallel (`[intake]`).
    pub intake: IntakeConfig,
    /// Management statistics.
    pub stats: StatsConfig,
    /// Retention (`[retention]`).
    pub retention: RetentionConfig,
    /// Talking with reporters by e-mail (`[contact]`); None: nothing is ever sent.
    pub contact: Option<ContactConfig>,
    /// Metrics and health for operators (`[operations]`).
    pub operations: OperationsConfig,
}

/// Metrics and health for operators (`[operations]`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OperationsConfig {
    /// Where `sygnal run` serves `/metrics` and `/health` (`listen`, loopback only); None: not
    /// served.
    pub listen: Option<std::net::SocketAddr>,
    /// `/health` fails when the mailbox was not drained for this long (`max-drain-age-secs`).
    /// A gateway waiting in IDLE drains again at half of it, so a quiet mailbox stays healthy.
    pub max_drain_age: Duration,
}

impl Default for OperationsConfig {
    fn default() -> Self {
        OperationsConfig {
            listen: None,
            max_drain_age: Duration::from_secs(600),
        }
    }
}

/// Batches and parallel work of intake (`[intake]`). A batch is fetched in one round trip,
/// decided by the workers in parallel, filed in one transaction and deleted with one
/// `UID STORE` and one `UID EXPUNGE`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeConfig {
    /// Intake workers deciding messages at once (`workers`; default: one per core).
    pub workers: usize,
    /// Most messages in one batch (`batch-messages`).
    pub batch_messages: usize,
    /// Most raw bytes in one batch (`batch-bytes`): every message of a batch is in memory at
    /// once. A message larger than this is a batch of its own.
    pub batch_bytes: usize,
}

impl Default for IntakeConfig {
    fn default() -> Self {
        IntakeConfig {
            workers: std::thread::available_parallelism().map_or(2, std::num::NonZero::get),
            batch_messages: 64,
            batch_bytes: 4 * 1024 * 1024,
        }
    }
}

/// How long a quarantine entry never filed as a case is kept, by default.
pub const DEFAULT_QUARANTINE_DAYS: u64 = 180;

/// Retention (`[retention]`); cases follow the act, this covers what it does not name.
#[derive(Debug, Clone)]
pub struct RetentionConfig {
    /// Days a quarantine entry that never became a case is kept before its raw message is
    /// destroyed by the retention run.
    pub quarantine_days: u64,
    /// What the register keeps of a destroyed case.
    pub keep_after_destruction: KeepAfterDestruction,
}

/// What the register keeps of a case destroyed by retention (`keep-after-destruction`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum KeepAfterDestruction {
    /// `number-and-dates`: the art. 29 register's number and dates (default).
    #[default]
    NumberAndDates,
    /// `nothing`: no row but the destruction record (number and day of destruction).
    Nothing,
}

/// Management statistics (`[stats]`).
#[derive(Debug, Clone)]
pub struct StatsConfig {
    /// Smallest count shown; smaller cells are suppressed.
    pub min_cell: u64,
}

/// The IMAP mailbox the gateway drains.
#[derive(Debug, Clone)]
pub struct MailboxConfig {
    /// Server host name or address.
    pub host: String,
    /// Server port.
    pub port: u16,
    /// Transport security.
    pub tls: TlsMode,
    /// Login name.
    pub username: String,
    /// Where the password comes from.
    pub password: PasswordSource,
    /// Folder to drain.
    pub folder: String,
    /// Extra trust anchor (PEM) for servers with a private CA.
    pub ca_file: Option<PathBuf>,
    /// Use IDLE when the server offers it.
    pub idle: bool,
    /// How often to poll when IDLE is off or missing.
    pub poll_interval: Duration,
}

impl MailboxConfig {
    /// How to reach the mailbox and log in: the password and the extra CA file are read now.
    /// The error says which and where.
    pub fn imap_settings(&self) -> Result<ImapSettings, String> {
        let password = self.password.read().map_err(|e| e.to_string())?;
        let extra_ca_pem = match &self.ca_file {
            Some(p) => Some(
                std::fs::read(p)
                    .map_err(|e| format!("cannot read mailbox.ca-file {}: {e}", p.display()))?,
            ),
            None => None,
        };
        Ok(ImapSettings {
            host: self.host.clone(),
            port: self.port,
            tls: self.tls,
            username: self.username.clone(),
            password,
            extra_ca_pem,
            connect_timeout: Duration::from_secs(30),
            command_timeout: Duration::from_secs(120),
        })
    }
}

/// Register backend.
#[derive(Debug, Clone)]
pub enum RegisterConfig {
    /// An embedded SQLite file.
    Sqlite {
        /// Path to the database file.
        path: PathBuf,
    },
    /// A PostgreSQL database: the register lives in one schema of it.
    Postgres {
        /// Where the connection URL comes from (it holds the password, so never the config).
        url: PasswordSource,
        /// The schema holding this register's tables.
        schema: String,
    },
}

/// The schema a PostgreSQL register uses when the config names none.
pub const DEFAULT_PG_SCHEMA: &str = "sygnal";

impl RegisterConfig {
    /// A register named on the command line (`register migrate`): `sqlite:PATH`,
    /// `postgres:URL_FILE` or `postgres:env:VARIABLE` (the URL holds a password, so never the
    /// command line itself), with `schema` for PostgreSQL.
    pub fn from_spec(spec: &str, schema: &str) -> Result<RegisterConfig, String> {
        let postgres = |url| {
            if raw::valid_schema(schema) {
                Ok(RegisterConfig::Postgres {
                    url,
                    schema: schema.to_owned(),
                })
            } else {
                Err(format!(
                    "schema \"{schema}\" is not a plain lower-case name (a-z, 0-9 and _, \
                     starting with a letter, not pg_…)"
                ))
            }
        };
        match spec.split_once(':') {
            Some(("sqlite", path)) if !path.is_empty() => Ok(RegisterConfig::Sqlite {
                path: PathBuf::from(path),
            }),
            Some(("postgres", rest))
                if rest.starts_with("postgres://") || rest.starts_with("postgresql://") =>
            {
                Err(
                    "the URL holds a password and would be seen in the process list and the \
                     shell history: put it in a 0600 file and give postgres:FILE, or in a \
                     variable and give postgres:env:VARIABLE"
                        .to_owned(),
                )
            }
            Some(("postgres", rest)) => match rest.strip_prefix("env:") {
                Some(var) if !var.is_empty() => postgres(PasswordSource::Env(var.to_owned())),
                Some(_) => Err("postgres:env: needs a variable name".to_owned()),
                None if !rest.is_empty() => postgres(PasswordSource::File(PathBuf::from(rest))),
                None => Err("postgres: needs the file holding the URL".to_owned()),
            },
            _ => Err(format!(
                "\"{spec}\" is not a register: give sqlite:PATH, postgres:URL_FILE or \
                 postgres:env:VARIABLE"
            )),
        }
    }
}

/// Key storage.
#[derive(Debug, Clone)]
pub struct KeysConfig {
    /// Folder (0700) for intake secret keys, the fingerprint key and shred keys.
    pub dir: PathBuf,
    /// How intake secret keys are protected at rest.
    pub protection: KeyProtection,
}

/// At-rest protection of intake secret keys (`[keys]` passphrase-* or `unprotected = true`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyProtection {
    /// Stored unencrypted: tests and demos only, chosen explicitly.
    Unprotected,
    /// Encrypted with a passphrase from this source.
    Passphrase(PassphraseSource),
}

/// Where the intake key passphrase comes from; it never sits in the config itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PassphraseSource {
    /// A file (0600) holding it.
    File(PathBuf),
    /// An environment variable.
    Env(String),
    /// A systemd credential: `$CREDENTIALS_DIRECTORY/<name>`.
    Credential(String),
}

/// Case numbering.
#[derive(Debug, Clone)]
pub struct CasesConfig {
    /// Pattern such as `ZW/{year}/{seq:04}`.
    pub number_pattern: crate::cases::NumberPattern,
}

/// Bounds that keep memory and time per message finite (invariant 4).
#[derive(Debug, Clone)]
pub struct Limits {
    /// Largest raw message fetched (checked with RFC822.SIZE before download).
    pub max_message_bytes: usize,
    /// Largest decrypted (and decompressed) payload.
    pub max_plaintext_bytes: usize,
    /// Largest header block.
    pub max_header_bytes: usize,
    /// Deepest MIME nesting.
    pub max_mime_depth: usize,
    /// Most MIME parts.
    pub max_mime_parts: usize,
    /// Time allowed for opening, parsing and sealing one message.
    pub message_timeout: Duration,
    /// Attempts at one message that may end without a result (the process killed, out of
    /// memory, aborted) before it is quarantined raw, unparsed.
    pub max_attempts: usize,
    /// Address space an intake worker may map (its RLIMIT_AS): past it, allocation fails and
    /// the message is quarantined as `worker-out-of-memory`.
    pub worker_memory_bytes: usize,
}

/// The least address space an intake worker is given: the binary and its libraries map some
/// tens of MiB before the first message.
pub const MIN_WORKER_MEMORY_BYTES: usize = 128 * 1024 * 1024;

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_message_bytes: 25 * 1024 * 1024,
            max_plaintext_bytes: 64 * 1024 * 1024,
            max_header_bytes: 256 * 1024,
            max_mime_depth: 16,
            max_mime_parts: 1000,
            message_timeout: Duration::from_secs(120),
            max_attempts: 3,
            worker_memory_bytes: 1024 * 1024 * 1024,
        }
    }
}

/// Everything wrong with a config file, reported at once.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read.
    #[error(
        "cannot read config file {path} (give one with --config or SYGNAL_CONFIG; README.md, \
         section Configuration, has an example)"
    )]
    Read {
        /// Path tried.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// The file is not valid TOML or has unknown keys.
    #[error("config file {path} is not valid: {detail}")]
    Syntax {
        /// Path.
        path: PathBuf,
        /// Parser message (names the key and line).
        detail: String,
    },
    /// The tenant asked for is not there, or one must be chosen.
    #[error("config file {path}: {detail}")]
    Tenant {
        /// Path.
        path: PathBuf,
        /// What is wrong and the tenants there are.
        detail: String,
    },
    /// Values that parse but are not acceptable.
    #[error("config file {path} has {} problem(s):\n  - {}", problems.len(), problems.join("\n  - "))]
    Invalid {
        /// Path.
        path: PathBuf,
        /// One line per problem, each naming its key.
        problems: Vec<String>,
    },
}

/// Every tenant of a config file: one for the single-mailbox form, one per `[tenants.NAME]`
/// otherwise, each a complete [`Config`] (its own mailbox, register partition, key folder and
/// case numbers; the rest shared).
#[derive(Debug, Clone)]
pub struct Deployment {
    /// The tenants, in name order.
    pub tenants: Vec<Config>,
}

impl Deployment {
    /// Reads and validates the config file.
    pub fn load(path: &Path) -> Result<Deployment, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.to_path_buf(),
            source,
        })?;
        let base_dir = path
            .parent()
            .map(|p| {
                if p.as_os_str().is_empty() {
                    PathBuf::from(".")
                } else {
                    p.to_path_buf()
                }
            })
            .unwrap_or_else(|| PathBuf::from("."));
        let base_dir = std::fs::canonicalize(&base_dir).unwrap_or(base_dir);
        Deployment::from_toml(&text, &base_dir).map_err(|e| match e {
            FromTomlError::Syntax(detail) => ConfigError::Syntax {
                path: path.to_path_buf(),
                detail,
            },
            FromTomlError::Invalid(problems) => ConfigError::Invalid {
                path: path.to_path_buf(),
                problems,
            },
        })
    }

    /// Parses and validates config text; paths are resolved against `base_dir`.
    pub fn from_toml(text: &str, base_dir: &Path) -> Result<Deployment, FromTomlError> {
        let mut table: toml::Table =
            toml::from_str(text).map_err(|e| FromTomlError::Syntax(e.to_string()))?;
        // Every mistake is told in one run: unknown keys and values of the wrong type are
        // named and taken out, and the rest is still checked.
        let mut problems = Vec::new();
        for unknown in raw::unknown_keys(&table) {
            remove_key(&mut table, &unknown.path);
            problems.push(unknown.problem);
        }
        let mut mistyped = Vec::new();
        if let Some(raw) = typed(&mut table, &mut problems, &mut mistyped) {
            match raw.validate(base_dir) {
                Ok(tenants) if problems.is_empty() => return Ok(Deployment { tenants }),
                Ok(_) => {}
                // A check that names a key already reported as mistyped only follows from it.
                Err(more) => problems.extend(more.into_iter().filter(|p| !names_any(p, &mistyped))),
            }
        }
        Err(FromTomlError::Invalid(problems))
    }

    /// The tenants' names (empty for the single-mailbox form).
    pub fn names(&self) -> Vec<&str> {
        self.tenants
            .iter()
            .filter_map(|c| c.tenant.as_deref())
            .collect()
    }

    /// The tenant `name`; without one, the only tenant there is.
    pub fn tenant(&self, name: Option<&str>) -> Result<&Config, TenantError> {
        match name {
            Some(n) => self
                .tenants
                .iter()
                .find(|c| c.tenant.as_deref() == Some(n))
                .ok_or_else(|| match self.names().as_slice() {
                    [] => TenantError::NoTenants(n.to_owned()),
                    names => TenantError::Unknown {
                        name: n.to_owned(),
                        known: names.join(", "),
                    },
                }),
            None => match self.tenants.as_slice() {
                [only] => Ok(only),
                _ => Err(TenantError::Ambiguous(self.names().join(", "))),
            },
        }
    }
}

/// The config read into its types, each value of the wrong type named in `problems` and taken
/// out (its key added to `mistyped`); `None` when a required key is missing (nothing more can
/// be checked without it).
fn typed(
    table: &mut toml::Table,
    problems: &mut Vec<String>,
    mistyped: &mut Vec<String>,
) -> Option<raw::RawConfig> {
    // One wrong value per pass; a config has a few dozen keys.
    for _ in 0..=table_size(table) {
        let error = match serde_path_to_error::deserialize(toml::Value::Table(table.clone())) {
            Ok(raw) => return Some(raw),
            Err(e) => e,
        };
        let mut path = Vec::new();
        for segment in error.path().iter() {
            match segment {
                serde_path_to_error::Segment::Map { key } => path.push(key.clone()),
                _ => {
                    problems.push(format!("{}: {}", error.path(), error.inner()));
                    return None;
                }
            }
        }
        // The TOML error repeats the key on lines of its own: the first line is the news.
        let inner = error.inner().to_string();
        let said = inner.lines().next().unwrap_or_default();
        if let Some(field) = said.strip_prefix("missing field ") {
            path.push(field.trim_matches('`').to_owned());
            problems.push(format!("{}: missing", path.join(".")));
            return None;
        }
        problems.push(format!("{}: {said}", path.join(".")));
        if !remove_key(table, &path) {
            return None;
        }
        mistyped.extend(path.last().cloned());
    }
    None
}

/// Whether `problem` names one of `keys` as a word of its own (`password` is not named by
/// `password-file`).
fn names_any(problem: &str, keys: &[String]) -> bool {
    problem
        .split(|c: char| !(c.is_alphanumeric() || c == '-' || c == '_'))
        .any(|word| keys.iter().any(|k| k == word))
}

/// Takes the key at `path` out of `table`; false when it is not there.
fn remove_key(table: &mut toml::Table, path: &[String]) -> bool {
    match path {
        [] => false,
        [key] => table.remove(key).is_some(),
        [first, rest @ ..] => match table.get_mut(first).and_then(toml::Value::as_table_mut) {
            Some(inner) => remove_key(inner, rest),
            None => false,
        },
    }
}

fn table_size(table: &toml::Table) -> usize {
    table
        .values()
        .map(|v| 1 + v.as_table().map_or(0, table_size))
        .sum()
}

/// `--tenant` names no tenant of the config, or is needed and missing.
#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    /// Several tenants, none chosen.
    #[error(
        "this config has several tenants ({0}): choose one with --tenant NAME (or SYGNAL_TENANT)"
    )]
    Ambiguous(String),
    /// No such tenant.
    #[error("no tenant \"{name}\" in the config (its tenants: {known})")]
    Unknown {
        /// The name given.
        name: String,
        /// The names there are.
        known: String,
    },
    /// A tenant named where the config has one mailbox.
    #[error("--tenant {0}: this config has a single mailbox and no [tenants.NAME] tables; leave --tenant out")]
    NoTenants(String),
}

impl Config {
    /// Reads and validates the config file of a single-mailbox deployment (or one with a
    /// single tenant).
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        Config::load_tenant(path, None)
    }

    /// Reads the config file and picks tenant `name` (or the only one).
    pub fn load_tenant(path: &Path, name: Option<&str>) -> Result<Config, ConfigError> {
        let deployment = Deployment::load(path)?;
        deployment
            .tenant(name)
            .cloned()
            .map_err(|e| ConfigError::Tenant {
                path: path.to_path_buf(),
                detail: e.to_string(),
            })
    }

    /// Parses and validates config text of a single-mailbox deployment.
    pub fn from_toml(text: &str, base_dir: &Path) -> Result<Config, FromTomlError> {
        let deployment = Deployment::from_toml(text, base_dir)?;
        deployment
            .tenant(None)
            .cloned()
            .map_err(|e| FromTomlError::Invalid(vec![e.to_string()]))
    }
}

/// Why config text was refused (paths not yet attached).
#[derive(Debug)]
pub enum FromTomlError {
    /// TOML syntax error or unknown key.
    Syntax(String),
    /// Validation problems, one per line.
    Invalid(Vec<String>),
}
