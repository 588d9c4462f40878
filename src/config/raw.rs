//! Raw serde structs for the TOML file and their validation into [`super::Config`].

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use super::{
    CasesConfig, Config, IntakeConfig, KeepAfterDestruction, KeyProtection, KeysConfig, Limits,
    MailboxConfig, OperationsConfig, PassphraseSource, PasswordSource, RegisterConfig,
    RetentionConfig, StatsConfig,
};
use crate::cases::NumberPattern;
use crate::imap::TlsMode;

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(super) struct RawConfig {
    mailbox: Option<RawMailbox>,
    #[serde(default)]
    tenants: std::collections::BTreeMap<String, RawTenant>,
    register: RawRegister,
    keys: RawKeys,
    #[serde(default)]
    cases: RawCases,
    #[serde(default)]
    limits: RawLimits,
    #[serde(default)]
    intake: RawIntake,
    #[serde(default)]
    stats: RawStats,
    #[serde(default)]
    retention: RawRetention,
    contact: Option<super::contact::RawContact>,
    #[serde(default)]
    operations: RawOperations,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawOperations {
    listen: Option<String>,
    max_drain_age_secs: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawStats {
    min_cell: Option<u64>,
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawRetention {
    quarantine_days: Option<u64>,
    keep_after_destruction: Option<String>,
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
    password_credential: Option<String>,
    #[serde(default = "default_folder")]
    folder: String,
    ca_file: Option<PathBuf>,
    #[serde(default = "default_true")]
    idle: bool,
    poll_interval_secs: Option<u64>,
}

/// One mailbox of a deployment with several (`[tenants.NAME]`): its own mailbox, key folder,
/// case numbers and register partition; everything else is shared.
#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawTenant {
    mailbox: RawMailbox,
    keys_dir: Option<PathBuf>,
    number_pattern: Option<String>,
    schema: Option<String>,
    path: Option<PathBuf>,
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

#[derive(Deserialize, Default)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawIntake {
    workers: Option<usize>,
    batch_messages: Option<usize>,
    batch_bytes: Option<usize>,
}

/// Every key the file may hold, per section.
const MAILBOX_KEYS: &[&str] = &[
    "host",
    "port",
    "tls",
    "username",
    "password-file",
    "password-env",
    "password-credential",
    "folder",
    "ca-file",
    "idle",
    "poll-interval-secs",
];

const TENANT_KEYS: &[&str] = &["mailbox", "keys-dir", "number-pattern", "schema", "path"];

const KNOWN: &[(&str, &[&str])] = &[
    ("mailbox", MAILBOX_KEYS),
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
    ("retention", &["quarantine-days", "keep-after-destruction"]),
    ("intake", &["workers", "batch-messages", "batch-bytes"]),
    ("operations", &["listen", "max-drain-age-secs"]),
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

/// A key or section the config does not know: what to tell, and where it sits (so the rest of
/// the file can still be checked without it).
pub(super) struct Unknown {
    /// Keys from the top, e.g. `["mailbox", "foldr"]`.
    pub path: Vec<String>,
    /// The line to show.
    pub problem: String,
}

/// Every unknown section and key, named at once.
pub(super) fn unknown_keys(table: &toml::Table) -> Vec<Unknown> {
    let mut found = Vec::new();
    for (section, value) in table {
        let at = [section.as_str()];
        if section == "tenants" {
            unknown_tenant_keys(value, &mut found);
            continue;
        }
        if section == "contact" {
            if let Some(contact) = value.as_table() {
                unknown_in(&at, contact, super::contact::CONTACT_KEYS, &mut found);
                if let Some(smtp) = contact.get("smtp").and_then(toml::Value::as_table) {
                    unknown_in(
                        &["contact", "smtp"],
                        smtp,
                        super::contact::SMTP_KEYS,
                        &mut found,
                    );
                }
                continue;
            }
        }
        let Some((_, keys)) = KNOWN.iter().find(|(name, _)| name == section) else {
            let hint = if section == "imap" {
                " (the mailbox's settings go in [mailbox])"
            } else {
                ""
            };
            found.push(unknown(&at, format!("{section}: unknown section{hint}")));
            continue;
        };
        let Some(inner) = value.as_table() else {
            found.push(unknown(
                &at,
                format!("{section}: must be a table ([{section}])"),
            ));
            continue;
        };
        unknown_in(&at, inner, keys, &mut found);
    }
    found
}

fn unknown(path: &[&str], problem: String) -> Unknown {
    Unknown {
        path: path.iter().map(|s| (*s).to_owned()).collect(),
        problem,
    }
}

fn unknown_in(at: &[&str], table: &toml::Table, known: &[&str], found: &mut Vec<Unknown>) {
    for key in table.keys() {
        if !known.contains(&key.as_str()) {
            let hint = if key == "password" {
                " (the password never goes in the config: use password-file or password-env)"
            } else {
                ""
            };
            let mut path = at.to_vec();
            path.push(key);
            found.push(unknown(
                &path,
                format!("{}: unknown key{hint}", path.join(".")),
            ));
        }
    }
}

fn unknown_tenant_keys(value: &toml::Value, found: &mut Vec<Unknown>) {
    let Some(tenants) = value.as_table() else {
        found.push(unknown(
            &["tenants"],
            "tenants: must be tables ([tenants.NAME])".to_owned(),
        ));
        return;
    };
    for (name, tenant) in tenants {
        let at = ["tenants", name.as_str()];
        let Some(tenant) = tenant.as_table() else {
            found.push(unknown(
                &at,
                format!("tenants.{name}: must be a table ([tenants.{name}])"),
            ));
            continue;
        };
        unknown_in(&at, tenant, TENANT_KEYS, found);
        if let Some(mailbox) = tenant.get("mailbox").and_then(toml::Value::as_table) {
            unknown_in(
                &["tenants", name.as_str(), "mailbox"],
                mailbox,
                MAILBOX_KEYS,
                found,
            );
        }
    }
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

impl RawOperations {
    fn validate(self, problems: &mut Vec<String>) -> OperationsConfig {
        let d = OperationsConfig::default();
        let listen = self.listen.and_then(|text| match text.parse::<std::net::SocketAddr>() {
            Ok(addr) if addr.ip().is_loopback() => Some(addr),
            Ok(_) => {
                problems.push(format!(
                    "operations.listen: {text} is not a loopback address; the endpoint has no \
                     authentication, so it listens on 127.0.0.1 or [::1] only (let a local agent \
                     or a TLS reverse proxy carry it further)"
                ));
                None
            }
            Err(_) => {
                problems.push(format!(
                    "operations.listen: {text:?} is not an address and port, e.g. \"127.0.0.1:9464\""
                ));
                None
            }
        });
        let max_drain_age = self
            .max_drain_age_secs
            .map_or(d.max_drain_age, Duration::from_secs);
        if max_drain_age < Duration::from_secs(60) {
            problems.push(
                "operations.max-drain-age-secs: at least 60 (the gateway drains at least twice \
                 within it, and a mail server's IDLE answers take seconds)"
                    .to_owned(),
            );
        }
        OperationsConfig {
            listen,
            max_drain_age,
        }
    }
}

impl RawMailbox {
    /// The mailbox at `at` (`mailbox` or `tenants.NAME.mailbox`, for messages).
    fn validate(self, base: &Path, at: &str, problems: &mut Vec<String>) -> Option<MailboxConfig> {
        let m = self;

        let tls = super::tls::tls_mode(at, &m.tls, &m.host, "IMAP", problems);
        if m.host.trim().is_empty() {
            problems.push(format!("{at}.host: must not be empty"));
        }
        if m.username.trim().is_empty() {
            problems.push(format!("{at}.username: must not be empty"));
        }
        let port = m.port.unwrap_or(match tls {
            Some(TlsMode::Implicit) => 993,
            _ => 143,
        });
        if port == 0 {
            problems.push(format!("{at}.port: must be 1-65535"));
        }
        let password = match (m.password_file, m.password_env, m.password_credential) {
            (Some(f), None, None) => Some(PasswordSource::File(resolve(base, &f))),
            (None, Some(v), None) if !v.is_empty() => Some(PasswordSource::Env(v)),
            (None, Some(_), None) => {
                problems.push(format!("{at}.password-env: must name a variable"));
                None
            }
            (None, None, Some(c)) if !c.is_empty() && !c.contains('/') && c != ".." => {
                Some(PasswordSource::Credential(c))
            }
            (None, None, Some(_)) => {
                problems.push(format!(
                    "{at}.password-credential: must be a systemd credential name (no '/')"
                ));
                None
            }
            (None, None, None) => {
                problems.push(format!("{at}: password-file, password-env or password-credential is required (the password itself never goes in the config)"));
                None
            }
            _ => {
                problems.push(format!(
                    "{at}: set only one of password-file, password-env and password-credential"
                ));
                None
            }
        };
        if m.folder.is_empty() {
            problems.push(format!("{at}.folder: must not be empty"));
        } else if m.folder.chars().any(char::is_control) {
            // Any other name, Polish letters included, travels in modified UTF-7.
            problems.push(format!(
                "{at}.folder: must not hold control characters (tabs, line breaks)"
            ));
        }
        let poll = m.poll_interval_secs.unwrap_or(30);
        if poll == 0 {
            problems.push(format!("{at}.poll-interval-secs: must be at least 1"));
        }

        match (tls, password) {
            (Some(tls), Some(password)) => Some(MailboxConfig {
                host: m.host,
                port,
                tls,
                username: m.username,
                password,
                folder: m.folder,
                ca_file: m.ca_file.map(|p| resolve(base, &p)),
                idle: m.idle,
                poll_interval: Duration::from_secs(poll),
            }),
            _ => None,
        }
    }
}

impl RawConfig {
    pub(super) fn validate(self, base: &Path) -> Result<Vec<Config>, Vec<String>> {
        let mut problems = Vec::new();
        let schema_set = self.register.schema.is_some();
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

        let quarantine_days = self
            .retention
            .quarantine_days
            .unwrap_or(super::DEFAULT_QUARANTINE_DAYS);
        if quarantine_days < 30 {
            problems.push(
                "retention.quarantine-days: at least 30 (a custodian needs time to add a missing \
                 key and retry)"
                    .to_owned(),
            );
        }

        let keep_after_destruction = match self.retention.keep_after_destruction.as_deref() {
            None | Some("number-and-dates") => KeepAfterDestruction::NumberAndDates,
            Some("nothing") => KeepAfterDestruction::Nothing,
            Some(other) => {
                problems.push(format!(
                    "retention.keep-after-destruction: {other:?} is not \"number-and-dates\" or \"nothing\""
                ));
                KeepAfterDestruction::NumberAndDates
            }
        };

        let contact = match self.contact {
            Some(_) if !self.tenants.is_empty() => {
                problems.push(
                    "contact: not available with [tenants.NAME] yet (each tenant needs its own \
                     reply address); run one sygnal per mailbox to talk with reporters"
                        .to_owned(),
                );
                None
            }
            Some(c) => c.validate(base, resolve, &mut problems),
            None => None,
        };

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
        let d = IntakeConfig::default();
        let intake = IntakeConfig {
            workers: self.intake.workers.unwrap_or(d.workers),
            batch_messages: self.intake.batch_messages.unwrap_or(d.batch_messages),
            batch_bytes: self.intake.batch_bytes.unwrap_or(d.batch_bytes),
        };
        for (name, value) in [
            ("intake.workers", intake.workers),
            ("intake.batch-messages", intake.batch_messages),
            ("intake.batch-bytes", intake.batch_bytes),
        ] {
            if value == 0 {
                problems.push(format!("{name}: must be greater than 0"));
            }
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

        let operations = self.operations.validate(&mut problems);

        let shared = (register, number_pattern, protection);
        let (Some(register), Some(number_pattern), Some(protection)) = shared else {
            // Tenants are still checked, so every problem is named at once.
            if let Some(m) = self.mailbox {
                m.validate(base, "mailbox", &mut problems);
            }
            for (name, t) in self.tenants {
                t.mailbox
                    .validate(base, &format!("tenants.{name}.mailbox"), &mut problems);
            }
            return Err(problems);
        };
        let keys_dir = resolve(base, &self.keys.dir);
        let common = |mailbox, register, dir, number_pattern, tenant| Config {
            base_dir: base.to_path_buf(),
            tenant,
            mailbox,
            register,
            keys: KeysConfig {
                dir,
                protection: protection.clone(),
            },
            cases: CasesConfig { number_pattern },
            stats: StatsConfig { min_cell },
            retention: RetentionConfig {
                quarantine_days,
                keep_after_destruction,
            },
            limits: limits.clone(),
            intake: intake.clone(),
            contact: contact.clone(),
            operations: operations.clone(),
        };
        let mut configs = Vec::new();
        if self.tenants.is_empty() {
            match self.mailbox {
                Some(m) => {
                    if let Some(mailbox) = m.validate(base, "mailbox", &mut problems) {
                        configs.push(common(mailbox, register, keys_dir, number_pattern, None));
                    }
                }
                None => problems.push(
                    "mailbox: required (or one [tenants.NAME] table per mailbox, each with its \
                     own [tenants.NAME.mailbox])"
                        .to_owned(),
                ),
            }
        } else {
            if self.mailbox.is_some() {
                problems.push(
                    "mailbox: with [tenants.NAME] tables each tenant has its own mailbox \
                     ([tenants.NAME.mailbox]); remove the top-level [mailbox]"
                        .to_owned(),
                );
            }
            if schema_set {
                problems.push(
                    "register.schema: with tenants each has its own schema (schema = … in \
                     [tenants.NAME], by default the tenant's name)"
                        .to_owned(),
                );
            }
            for (name, t) in self.tenants {
                let at = format!("tenants.{name}");
                if !valid_tenant_name(&name) {
                    problems.push(format!(
                        "{at}: \"{name}\" is not a tenant name (a-z, 0-9 and -, starting with a \
                         letter or digit, at most 40 characters)"
                    ));
                    continue;
                }
                let mailbox = t
                    .mailbox
                    .validate(base, &format!("{at}.mailbox"), &mut problems);
                let register =
                    tenant_register(&register, &name, t.schema, t.path, base, &at, &mut problems);
                let pattern = match t.number_pattern {
                    Some(text) => match NumberPattern::parse(&text) {
                        Ok(p) => Some(p),
                        Err(e) => {
                            problems.push(format!("{at}.number-pattern: {e}"));
                            None
                        }
                    },
                    None => Some(number_pattern.clone()),
                };
                let dir = t
                    .keys_dir
                    .map(|d| resolve(base, &d))
                    .unwrap_or_else(|| keys_dir.join(&name));
                if let (Some(mailbox), Some(register), Some(pattern)) = (mailbox, register, pattern)
                {
                    configs.push(common(mailbox, register, dir, pattern, Some(name)));
                }
            }
            apart(&configs, &mut problems);
        }
        if problems.is_empty() {
            Ok(configs)
        } else {
            Err(problems)
        }
    }
}

/// Tenants share nothing of their own: two on one mailbox, register or key folder would see
/// each other's cases (or drain one mailbox under two leases).
fn apart(configs: &[Config], problems: &mut Vec<String>) {
    let name = |c: &Config| c.tenant.clone().unwrap_or_default();
    for (i, a) in configs.iter().enumerate() {
        for b in configs.iter().skip(i + 1) {
            let m = (&a.mailbox, &b.mailbox);
            if m.0.host == m.1.host
                && m.0.port == m.1.port
                && m.0.username == m.1.username
                && m.0.folder == m.1.folder
            {
                problems.push(format!(
                    "tenants.{} and tenants.{}: the same mailbox",
                    name(a),
                    name(b)
                ));
            }
            let same_register = match (&a.register, &b.register) {
                (RegisterConfig::Sqlite { path: p }, RegisterConfig::Sqlite { path: q }) => p == q,
                (
                    RegisterConfig::Postgres { schema: s, .. },
                    RegisterConfig::Postgres { schema: t, .. },
                ) => s == t,
                _ => false,
            };
            if same_register {
                problems.push(format!(
                    "tenants.{} and tenants.{}: the same register (schema or path)",
                    name(a),
                    name(b)
                ));
            }
            if a.keys.dir == b.keys.dir {
                problems.push(format!(
                    "tenants.{} and tenants.{}: the same key folder",
                    name(a),
                    name(b)
                ));
            }
        }
    }
}

/// A tenant's register: the shared one, in the tenant's own schema (PostgreSQL) or file (SQLite).
fn tenant_register(
    shared: &RegisterConfig,
    name: &str,
    schema: Option<String>,
    path: Option<PathBuf>,
    base: &Path,
    at: &str,
    problems: &mut Vec<String>,
) -> Option<RegisterConfig> {
    match shared {
        RegisterConfig::Postgres { url, .. } => {
            if path.is_some() {
                problems.push(format!(
                    "{at}.path: only for driver \"sqlite\" (use schema)"
                ));
            }
            let schema = schema.unwrap_or_else(|| name.replace('-', "_"));
            if !valid_schema(&schema) {
                problems.push(format!(
                    "{at}.schema: \"{schema}\" is not a plain lower-case name (a-z, 0-9 and _, \
                     starting with a letter, not pg_…)"
                ));
                return None;
            }
            Some(RegisterConfig::Postgres {
                url: url.clone(),
                schema,
            })
        }
        RegisterConfig::Sqlite { path: shared_path } => {
            if schema.is_some() {
                problems.push(format!(
                    "{at}.schema: only for driver \"postgres\" (use path)"
                ));
            }
            let path = match path {
                Some(p) => resolve(base, &p),
                None => {
                    let stem = shared_path
                        .file_stem()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_else(|| "register".to_owned());
                    shared_path.with_file_name(format!("{stem}-{name}.db"))
                }
            };
            Some(RegisterConfig::Sqlite { path })
        }
    }
}

/// A tenant's name: short, plain, usable in file names and on the command line.
fn valid_tenant_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name.len() <= 40
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
