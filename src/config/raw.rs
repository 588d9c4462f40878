//! Raw serde structs for the TOML file and their validation into [`super::Config`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::{
    CasesConfig, Config, KeyProtection, KeysConfig, Limits, MailboxConfig, PassphraseSource,
    PasswordSource, RegisterConfig, StatsConfig,
};
use crate::cases::NumberPattern;
use crate::imap::TlsMode;

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(super) struct RawConfig {
    mailbox: RawMailbox,
    register: RawRegister,
    keys: RawKeys,
    #[serde(default)]
    cases: RawCases,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    stats: RawStats,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawStats {
    min_cell: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawMailbox {
    host: String,
    port: Option<u16>,
    tls: String,
    username: String,
    password_file: Option<PathBuf>,
    password_env: Option<String>,
    #[serde(default = "default_folder")]
    folder: String,
    ca_file: Option<PathBuf>,
    #[serde(default = "default_true")]
    idle: bool,
    poll_interval_secs: Option<u64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawRegister {
    driver: String,
    path: Option<PathBuf>,
    url_file: Option<PathBuf>,
    url_env: Option<String>,
    url_credential: Option<String>,
    schema: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawKeys {
    dir: PathBuf,
    passphrase_file: Option<PathBuf>,
    passphrase_env: Option<String>,
    passphrase_credential: Option<String>,
    unprotected: Option<bool>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawCases {
    number_pattern: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawLimits {
    max_message_bytes: Option<usize>,
    max_plaintext_bytes: Option<usize>,
    max_header_bytes: Option<usize>,
    max_mime_depth: Option<usize>,
    max_mime_parts: Option<usize>,
    message_timeout_secs: Option<u64>,
    max_attempts: Option<usize>,
    worker_memory_bytes: Option<usize>,
}

/// Every key the file may hold, per section.
const KNOWN: &[(&str, &[&str])] = &[
    (
        "mailbox",
        &[
            "host",
            "port",
            "tls",
            "username",
            "password-file",
            "password-env",
            "folder",
            "ca-file",
            "idle",
            "poll-interval-secs",
        ],
    ),
    (
        "register",
        &[
            "driver",
            "path",
            "url-file",
            "url-env",
            "url-credential",
            "schema",
        ],
    ),
    (
        "keys",
        &[
            "dir",
            "passphrase-file",
            "passphrase-env",
            "passphrase-credential",
            "unprotected",
        ],
    ),
    ("cases", &["number-pattern"]),
    ("stats", &["min-cell"]),
    (
        "limits",
        &[
            "max-message-bytes",
            "max-plaintext-bytes",
            "max-header-bytes",
            "max-mime-depth",
            "max-mime-parts",
            "message-timeout-secs",
            "max-attempts",
            "worker-memory-bytes",
        ],
    ),
];

/// Names every unknown section and key, with a hint for the common mistake of an inline secret.
pub(super) fn unknown_keys(table: &toml::Table) -> Vec<String> {
    let mut problems = Vec::new();
    for (section, value) in table {
        let Some((_, keys)) = KNOWN.iter().find(|(name, _)| name == section) else {
            problems.push(format!("{section}: unknown section"));
            continue;
        };
        let Some(inner) = value.as_table() else {
            problems.push(format!("{section}: must be a table ([{section}])"));
            continue;
        };
        for key in inner.keys() {
            if !keys.contains(&key.as_str()) {
                let hint = if key == "password" {
                    " (the password never goes in the config: use password-file or password-env)"
                } else {
                    ""
                };
                problems.push(format!("{section}.{key}: unknown key{hint}"));
            }
        }
    }
    problems
}

fn default_folder() -> String {
    "INBOX".to_owned()
}

fn default_true() -> bool {
    true
}

fn resolve(base: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

impl RawConfig {
    pub(super) fn validate(self, base: &Path) -> Result<Config, Vec<String>> {
        let mut problems = Vec::new();
        let m = self.mailbox;

        let tls = match m.tls.as_str() {
            "implicit" => Some(TlsMode::Implicit),
            "starttls" => Some(TlsMode::StartTls),
            "none" => Some(TlsMode::None),
            other => {
                problems.push(format!(
                    "mailbox.tls: \"{other}\" is not one of \"implicit\", \"starttls\", \"none\""
                ));
                None
            }
        };
        if tls == Some(TlsMode::None) && !crate::imap::is_loopback(&m.host) {
            problems.push(format!(
                "mailbox.tls: \"none\" is refused for {host}: plain IMAP is allowed only on loopback",
                host = m.host
            ));
        }
        if m.host.trim().is_empty() {
            problems.push("mailbox.host: must not be empty".to_owned());
        }
        if m.username.trim().is_empty() {
            problems.push("mailbox.username: must not be empty".to_owned());
        }
        let port = m.port.unwrap_or(match tls {
            Some(TlsMode::Implicit) => 993,
            _ => 143,
        });
        if port == 0 {
            problems.push("mailbox.port: must be 1-65535".to_owned());
        }
        let password = match (m.password_file, m.password_env) {
            (Some(f), None) => Some(PasswordSource::File(resolve(base, &f))),
            (None, Some(v)) if !v.is_empty() => Some(PasswordSource::Env(v)),
            (None, Some(_)) => {
                problems.push("mailbox.password-env: must name a variable".to_owned());
                None
            }
            (Some(_), Some(_)) => {
                problems.push("mailbox: set only one of password-file and password-env".to_owned());
                None
            }
            (None, None) => {
                problems.push(
                    "mailbox: password-file or password-env is required (the password itself never goes in the config)"
                        .to_owned(),
                );
                None
            }
        };
        if m.folder.is_empty() {
            problems.push("mailbox.folder: must not be empty".to_owned());
        }
        let poll = m.poll_interval_secs.unwrap_or(30);
        if poll == 0 {
            problems.push("mailbox.poll-interval-secs: must be at least 1".to_owned());
        }

        let register = self.register.validate(base, &mut problems);

        let min_cell = self
            .stats
            .min_cell
            .unwrap_or(crate::cases::stats::DEFAULT_MIN_CELL);
        if min_cell < 2 {
            problems.push(
                "stats.min-cell: must be at least 2 (a count of 1 points at a person)".to_owned(),
            );
        }

        let pattern_text = self
            .cases
            .number_pattern
            .unwrap_or_else(|| NumberPattern::DEFAULT.to_owned());
        let number_pattern = match NumberPattern::parse(&pattern_text) {
            Ok(p) => Some(p),
            Err(e) => {
                problems.push(format!("cases.number-pattern: {e}"));
                None
            }
        };

        let d = Limits::default();
        let l = self.limits;
        let limits = Limits {
            max_message_bytes: l.max_message_bytes.unwrap_or(d.max_message_bytes),
            max_plaintext_bytes: l.max_plaintext_bytes.unwrap_or(d.max_plaintext_bytes),
            max_header_bytes: l.max_header_bytes.unwrap_or(d.max_header_bytes),
            max_mime_depth: l.max_mime_depth.unwrap_or(d.max_mime_depth),
            max_mime_parts: l.max_mime_parts.unwrap_or(d.max_mime_parts),
            message_timeout: l
                .message_timeout_secs
                .map(Duration::from_secs)
                .unwrap_or(d.message_timeout),
            max_attempts: l.max_attempts.unwrap_or(d.max_attempts),
            worker_memory_bytes: l.worker_memory_bytes.unwrap_or(d.worker_memory_bytes),
        };
        for (name, value) in [
            ("limits.max-message-bytes", limits.max_message_bytes),
            ("limits.max-plaintext-bytes", limits.max_plaintext_bytes),
            ("limits.max-header-bytes", limits.max_header_bytes),
            ("limits.max-mime-depth", limits.max_mime_depth),
            ("limits.max-mime-parts", limits.max_mime_parts),
            ("limits.max-attempts", limits.max_attempts),
        ] {
            if value == 0 {
                problems.push(format!("{name}: must be greater than 0"));
            }
        }
        if limits.worker_memory_bytes < crate::config::MIN_WORKER_MEMORY_BYTES {
            problems.push(format!(
                "limits.worker-memory-bytes: must be at least {} (an intake worker cannot start \
                 in less)",
                crate::config::MIN_WORKER_MEMORY_BYTES
            ));
        }
        if limits.message_timeout.is_zero() {
            problems.push("limits.message-timeout-secs: must be greater than 0".to_owned());
        }

        let k = &self.keys;
        let protection = match (
            &k.passphrase_file,
            &k.passphrase_env,
            &k.passphrase_credential,
            k.unprotected,
        ) {
            (Some(f), None, None, None | Some(false)) => Some(KeyProtection::Passphrase(
                PassphraseSource::File(resolve(base, f)),
            )),
            (None, Some(v), None, None | Some(false)) if !v.is_empty() => {
                Some(KeyProtection::Passphrase(PassphraseSource::Env(v.clone())))
            }
            (None, None, Some(c), None | Some(false))
                if !c.is_empty() && !c.contains('/') && c != ".." =>
            {
                Some(KeyProtection::Passphrase(PassphraseSource::Credential(
                    c.clone(),
                )))
            }
            (None, None, None, Some(true)) => Some(KeyProtection::Unprotected),
            (None, None, None, _) => {
                problems.push(
                    "keys: intake keys must be protected at rest: set passphrase-file, passphrase-env or passphrase-credential (systemd LoadCredential name), or unprotected = true (tests and demos only)"
                        .to_owned(),
                );
                None
            }
            _ => {
                problems.push(
                    "keys: set exactly one of passphrase-file, passphrase-env, passphrase-credential (a plain name) or unprotected = true"
                        .to_owned(),
                );
                None
            }
        };

        match (tls, password, register, number_pattern, protection) {
            (Some(tls), Some(password), Some(register), Some(number_pattern), Some(protection))
                if problems.is_empty() =>
            {
                Ok(Config {
                    base_dir: base.to_path_buf(),
                    mailbox: MailboxConfig {
                        host: m.host,
                        port,
                        tls,
                        username: m.username,
                        password,
                        folder: m.folder,
                        ca_file: m.ca_file.map(|p| resolve(base, &p)),
                        idle: m.idle,
                        poll_interval: Duration::from_secs(poll),
                    },
                    register,
                    keys: KeysConfig {
                        dir: resolve(base, &self.keys.dir),
                        protection,
                    },
                    cases: CasesConfig { number_pattern },
                    stats: StatsConfig { min_cell },
                    limits,
                })
            }
            _ => Err(problems),
        }
    }
}

impl RawRegister {
    fn validate(self, base: &Path, problems: &mut Vec<String>) -> Option<RegisterConfig> {
        let postgres_keys = [
            ("url-file", self.url_file.is_some()),
            ("url-env", self.url_env.is_some()),
            ("url-credential", self.url_credential.is_some()),
            ("schema", self.schema.is_some()),
        ];
        match self.driver.as_str() {
            "sqlite" => {
                for (key, set) in postgres_keys {
                    if set {
                        problems.push(format!(
                            "register.{key}: only for driver \"postgres\" (driver is \"sqlite\")"
                        ));
                    }
                }
                match self.path {
                    Some(p) => Some(RegisterConfig::Sqlite {
                        path: resolve(base, &p),
                    }),
                    None => {
                        problems.push("register.path: required for driver \"sqlite\"".to_owned());
                        None
                    }
                }
            }
            "postgres" => {
                if self.path.is_some() {
                    problems.push(
                        "register.path: only for driver \"sqlite\" (PostgreSQL is reached by url-file, url-env or url-credential)"
                            .to_owned(),
                    );
                }
                let url = match (self.url_file, self.url_env, self.url_credential) {
                    (Some(f), None, None) => Some(PasswordSource::File(resolve(base, &f))),
                    (None, Some(v), None) if !v.is_empty() => Some(PasswordSource::Env(v)),
                    (None, None, Some(c)) if !c.is_empty() && !c.contains('/') && c != ".." => {
                        Some(PasswordSource::Credential(c))
                    }
                    (None, None, None) => {
                        problems.push(
                            "register: driver \"postgres\" needs url-file, url-env or url-credential (the URL holds a password, so it never goes in the config)"
                                .to_owned(),
                        );
                        None
                    }
                    _ => {
                        problems.push(
                            "register: set exactly one of url-file, url-env (a variable name) or url-credential (a plain name)"
                                .to_owned(),
                        );
                        None
                    }
                };
                let schema = self
                    .schema
                    .unwrap_or_else(|| crate::config::DEFAULT_PG_SCHEMA.to_owned());
                if !valid_schema(&schema) {
                    problems.push(format!(
                        "register.schema: \"{schema}\" is not a plain lower-case name \
                         (a-z, 0-9 and _, starting with a letter, at most 63 characters, not pg_…)"
                    ));
                    return None;
                }
                url.map(|url| RegisterConfig::Postgres { url, schema })
            }
            other => {
                problems.push(format!(
                    "register.driver: \"{other}\" is not one of \"sqlite\", \"postgres\""
                ));
                None
            }
        }
    }
}

/// A schema name used unquoted in SQL: plain lower-case, so it needs no quoting anywhere.
pub(super) fn valid_schema(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && name.len() <= 63
        && !name.starts_with("pg_")
}
