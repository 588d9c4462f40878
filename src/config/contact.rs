//! `[contact]` and `[contact.smtp]`: talking with the reporter over e-mail (acknowledgements,
//! handlers' replies). Without the section nothing is ever sent.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::PasswordSource;
use crate::cases::acknowledgement::Lang;
use crate::contact::{ReplyPattern, SenderAddress};
use crate::imap::TlsMode;

/// Acknowledgements sent in any one hour, at most, by default: a flood of forged reports must
/// not turn the gateway into a mail cannon aimed at third parties.
pub const DEFAULT_ACKS_PER_HOUR: u32 = 60;
/// Days ahead the deadline digest looks by default: a week, so that a deadline shows in a
/// handler's mail on several days before it is due.
pub const DEFAULT_DIGEST_DAYS: i64 = 7;

/// Talking with the reporter (`[contact]`).
#[derive(Debug, Clone)]
pub struct ContactConfig {
    /// The outgoing server.
    pub smtp: SmtpConfig,
    /// The From of every message sent (the reporting mailbox's own address).
    pub from: SenderAddress,
    /// The Reply-To pattern with `{token}`: the reporter's answer finds its case by it.
    pub reply_address: ReplyPattern,
    /// Acknowledge every report automatically (on by default).
    pub acknowledge: bool,
    /// Language of reporter-facing texts.
    pub language: Lang,
    /// Folder of templates that replace the built-in texts (`acknowledgement.pl.txt`, ...).
    pub templates_dir: Option<PathBuf>,
    /// Acknowledgements sent in one hour, at most.
    pub max_acknowledgements_per_hour: u32,
    /// The SMTP envelope sender (where bounces go); None: the null sender `<>`, so that no
    /// bounce (which quotes the reporter's address) comes back into the reporting mailbox.
    pub envelope_from: Option<lettre::Address>,
    /// The daily deadline digest to handlers covers deadlines due within this many days (and
    /// missed ones); None: no digest.
    pub deadline_digest_days: Option<i64>,
}

/// The outgoing server (`[contact.smtp]`).
#[derive(Debug, Clone)]
pub struct SmtpConfig {
    /// Host name or address.
    pub host: String,
    /// Port (465 implicit TLS, 587 STARTTLS by default).
    pub port: u16,
    /// Transport security.
    pub tls: TlsMode,
    /// Login name, when the server wants one.
    pub username: Option<String>,
    /// Where the password comes from (with `username`).
    pub password: Option<PasswordSource>,
    /// Extra trust anchor (PEM) for a server with a private CA.
    pub ca_file: Option<PathBuf>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
pub(super) struct RawContact {
    smtp: RawSmtp,
    from: String,
    reply_address: String,
    acknowledge: Option<bool>,
    language: Option<String>,
    templates_dir: Option<PathBuf>,
    max_acknowledgements_per_hour: Option<u32>,
    envelope_from: Option<String>,
    deadline_digest: Option<bool>,
    deadline_digest_days: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "kebab-case", deny_unknown_fields)]
struct RawSmtp {
    host: String,
    port: Option<u16>,
    tls: String,
    username: Option<String>,
    password_file: Option<PathBuf>,
    password_env: Option<String>,
    password_credential: Option<String>,
    ca_file: Option<PathBuf>,
}

/// Keys of `[contact]`.
pub(super) const CONTACT_KEYS: &[&str] = &[
    "smtp",
    "from",
    "reply-address",
    "acknowledge",
    "language",
    "templates-dir",
    "max-acknowledgements-per-hour",
    "envelope-from",
    "deadline-digest",
    "deadline-digest-days",
];

/// Keys of `[contact.smtp]`.
pub(super) const SMTP_KEYS: &[&str] = &[
    "host",
    "port",
    "tls",
    "username",
    "password-file",
    "password-env",
    "password-credential",
    "ca-file",
];

impl RawContact {
    pub(super) fn validate(
        self,
        base: &Path,
        resolve: impl Fn(&Path, &Path) -> PathBuf,
        problems: &mut Vec<String>,
    ) -> Option<ContactConfig> {
        let smtp = self.smtp.validate(base, &resolve, problems);
        let from = SenderAddress::parse(&self.from)
            .map_err(|e| problems.push(format!("contact.from: {e}")))
            .ok();
        let reply_address = ReplyPattern::parse(&self.reply_address)
            .map_err(|e| problems.push(format!("contact.reply-address: {e}")))
            .ok();
        let language = match self.language.as_deref() {
            None => Some(Lang::Pl),
            Some(l) => Lang::parse(l).or_else(|| {
                problems.push(format!("contact.language: \"{l}\" is not \"pl\" or \"en\""));
                None
            }),
        };
        let per_hour = self
            .max_acknowledgements_per_hour
            .unwrap_or(DEFAULT_ACKS_PER_HOUR);
        if per_hour == 0 {
            problems.push(
                "contact.max-acknowledgements-per-hour: must be at least 1 (turn acknowledgements \
                 off with acknowledge = false)"
                    .to_owned(),
            );
        }
        let envelope_from = match self.envelope_from.as_deref().map(str::trim) {
            None | Some("") => Some(None),
            Some(a) => match a.parse::<lettre::Address>() {
                Ok(addr) => Some(Some(addr)),
                Err(e) => {
                    problems.push(format!(
                        "contact.envelope-from: \"{a}\" is not a bare address ({e})"
                    ));
                    None
                }
            },
        };
        let digest_days = self.deadline_digest_days.unwrap_or(DEFAULT_DIGEST_DAYS);
        if !(1..=90).contains(&digest_days) {
            problems.push(format!(
                "contact.deadline-digest-days: {digest_days} is not 1-90 (turn the digest off \
                 with deadline-digest = false)"
            ));
        }
        let templates_dir = self.templates_dir.map(|d| resolve(base, &d));
        if let Some(d) = &templates_dir {
            if !d.is_dir() {
                problems.push(format!(
                    "contact.templates-dir: {} is not a folder (copy examples/templates to start from the built-in texts)",
                    d.display()
                ));
            }
        }
        Some(ContactConfig {
            smtp: smtp?,
            from: from?,
            reply_address: reply_address?,
            acknowledge: self.acknowledge.unwrap_or(true),
            language: language?,
            templates_dir,
            max_acknowledgements_per_hour: per_hour,
            envelope_from: envelope_from?,
            deadline_digest_days: self.deadline_digest.unwrap_or(true).then_some(digest_days),
        })
    }
}

impl RawSmtp {
    fn validate(
        self,
        base: &Path,
        resolve: &impl Fn(&Path, &Path) -> PathBuf,
        problems: &mut Vec<String>,
    ) -> Option<SmtpConfig> {
        let at = "contact.smtp";
        let tls = super::tls::tls_mode(at, &self.tls, &self.host, "SMTP", problems);
        if self.host.trim().is_empty() {
            problems.push(format!("{at}.host: must not be empty"));
        }
        let port = self.port.unwrap_or(match tls {
            Some(TlsMode::Implicit) => 465,
            Some(TlsMode::None) => 25,
            _ => 587,
        });
        if port == 0 {
            problems.push(format!("{at}.port: must be 1-65535"));
        }
        let password = match (
            self.password_file,
            self.password_env,
            self.password_credential,
        ) {
            (None, None, None) => None,
            (Some(f), None, None) => Some(PasswordSource::File(resolve(base, &f))),
            (None, Some(v), None) if !v.is_empty() => Some(PasswordSource::Env(v)),
            (None, None, Some(c)) if !c.is_empty() && !c.contains('/') => {
                Some(PasswordSource::Credential(c))
            }
            _ => {
                problems.push(format!(
                    "{at}: set at most one of password-file, password-env and password-credential (a plain name)"
                ));
                None
            }
        };
        match (&self.username, &password) {
            (Some(_), None) => problems.push(format!(
                "{at}: username is set but no password-file, password-env or password-credential"
            )),
            (None, Some(_)) => {
                problems.push(format!("{at}: a password source is set but no username"))
            }
            _ => {}
        }
        Some(SmtpConfig {
            host: self.host,
            port,
            tls: tls?,
            username: self.username,
            password,
            ca_file: self.ca_file.map(|p| resolve(base, &p)),
        })
    }
}
