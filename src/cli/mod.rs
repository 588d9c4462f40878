//! Command line: parses, calls one use case of [`crate::desk`], renders, and maps its error to
//! an exit code. No rule lives here: who may do what, what is recorded and what stays sealed
//! are the desk's.

/// A message of the CLI in the user's language: `t!("cases-none")`, `t!("due-in", due = d, days = 3)`.
macro_rules! t {
    ($id:literal) => {
        $crate::cli::texts().text($id, None)
    };
    ($id:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $crate::cli::texts().text($id, Some(&$crate::fluent_args!($($name = $value),+)))
    };
    // In a language other than the session's (a document asked for in another language).
    ($tx:expr => $id:literal) => {
        $tx.text($id, None)
    };
    ($tx:expr => $id:literal, $($name:ident = $value:expr),+ $(,)?) => {
        $tx.text($id, Some(&$crate::fluent_args!($($name = $value),+)))
    };
}

mod admin;
mod audit;
mod backup;
mod case_files;
mod case_pdf;
mod case_text;
mod cases;
mod console;
mod contact;
mod doctor;
mod help_pl;
mod identity;
mod input;
mod keys;
mod mailbox;
mod operations;
mod pdf;
mod quarantine;
mod reader_key;
mod register_export;
mod report_view;
mod retention;
mod review_pdf;
mod run;
mod stats;
mod storage_check;
mod term;

use std::path::PathBuf;

use crate::desk::Installation;

use clap::{Parser, Subcommand};

use crate::desk::{Desk, DeskError, Disposition, Refusal};

/// The CLI's texts, in the language the environment asks for (see
/// [`crate::i18n::lang_from_env`]); chosen once per process.
pub fn texts() -> &'static crate::i18n::Texts {
    static TEXTS: std::sync::OnceLock<crate::i18n::Texts> = std::sync::OnceLock::new();
    TEXTS.get_or_init(|| crate::i18n::Texts::new(crate::i18n::lang_from_env()))
}

/// Exit codes (documented in the README).
pub mod exit {
    /// Success.
    pub const OK: u8 = 0;
    /// Runtime error.
    pub const ERROR: u8 = 1;
    /// Usage error (clap).
    pub const USAGE: u8 = 2;
    /// Configuration invalid.
    pub const CONFIG: u8 = 3;
    /// Key refused: not a reader, wrong role, wrong passphrase.
    pub const KEY_REFUSED: u8 = 4;
    /// Case or entry not found.
    pub const NOT_FOUND: u8 = 5;
}

/// An error with a specific exit code.
#[derive(Debug, thiserror::Error)]
#[error("{message}")]
pub struct Coded {
    /// Exit code.
    pub code: u8,
    /// What to tell the user.
    pub message: String,
}

pub(crate) fn coded(code: u8, message: impl Into<String>) -> anyhow::Error {
    anyhow::Error::new(Coded {
        code,
        message: message.into(),
    })
}

/// sygnal: a whistleblower mailbox gateway that files sealed cases.
#[derive(Parser, Debug)]
#[command(name = "sygnal", version, about, propagate_version = true)]
pub struct Cli {
    /// Config file.
    #[arg(
        long,
        global = true,
        env = "SYGNAL_CONFIG",
        default_value = "sygnal.toml"
    )]
    pub config: PathBuf,
    /// The tenant (mailbox) to work on, in a config with several `[tenants.NAME]`; not needed
    /// when there is only one. `run` without it drains every tenant's mailbox.
    #[arg(long, global = true, env = "SYGNAL_TENANT")]
    pub tenant: Option<String>,
    /// How log lines on stderr are written: `plain` text (without timestamps when stderr is
    /// the systemd journal) or `json`, one object per line.
    #[arg(
        long,
        global = true,
        env = "SYGNAL_LOG_FORMAT",
        value_enum,
        default_value_t = crate::telemetry::LogFormat::Plain
    )]
    pub log_format: crate::telemetry::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create the register and, if none exists, an intake key. Safe to run twice.
    Init(admin::InitArgs),
    /// Intake keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Readers: handlers and identity custodians.
    #[command(subcommand)]
    Handlers(admin::HandlersCommand),
    /// Drain the mailbox into the register.
    Run(run::RunArgs),
    /// Cases.
    #[command(subcommand)]
    Cases(cases::CasesCommand),
    /// The reporter's identity (custodians only).
    #[command(subcommand)]
    Identity(identity::IdentityCommand),
    /// Messages that could not be filed as cases.
    #[command(subcommand)]
    Quarantine(quarantine::QuarantineCommand),
    /// The audit trail.
    #[command(subcommand)]
    Audit(audit::AuditCommand),
    /// Statistics for management: counts only, small numbers hidden.
    Stats {
        /// JSON output.
        #[arg(long)]
        json: bool,
    },
    /// Retention: destroy cases past their date, and the record of destructions.
    #[command(subcommand)]
    Retention(retention::RetentionCommand),
    /// The register of internal reports (art. 29).
    #[command(subcommand)]
    Register(register_export::RegisterCommand),
    /// Check config, key folder, register durability and key expiry (and, with --mailbox,
    /// the mailbox's other folders).
    Doctor(mailbox::MailboxCheck),
    /// The mailbox's folders other than the intake folder.
    #[command(subcommand)]
    Mailbox(mailbox::MailboxCommand),
    /// Copy the register (and, on request, the key folder sealed to the custodians).
    Backup(backup::BackupArgs),
    /// Restore the register (and the key folder) from a backup, then run retention.
    Restore(backup::RestoreArgs),
    /// The web console in this machine's browser: due list, cases, deadlines.
    Console(console::ConsoleArgs),
    /// An intake worker: started by `run` on a pipe, never by hand.
    #[command(hide = true)]
    Worker,
}

impl Cli {
    /// Parses the process's arguments, with the help in the user's language.
    pub fn parse_localized() -> Cli {
        use clap::{CommandFactory, FromArgMatches};
        let mut command = Cli::command();
        if texts().lang() == crate::i18n::Lang::Pl {
            command = help_pl::localize(command, texts());
        }
        let matches = command.get_matches();
        Cli::from_arg_matches(&matches).unwrap_or_else(|e| e.exit())
    }

    /// Whether this is an intake worker, which runs without logging or an async runtime
    /// (see [`crate::intake::worker`]).
    pub fn is_worker(&self) -> bool {
        matches!(self.command, Command::Worker)
    }

    /// Whether this runs the gateway (`sygnal run`), a process that lives for months.
    pub fn is_gateway(&self) -> bool {
        matches!(self.command, Command::Run(_))
    }
}

/// Runs the parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let config_path = Installation {
        config: cli.config,
        tenant: cli.tenant,
    };
    match cli.command {
        Command::Init(a) => admin::init(&config_path, a).await,
        Command::Keys(c) => keys::keys(&config_path, c).await,
        Command::Handlers(c) => admin::handlers(&config_path, c).await,
        Command::Run(a) => run::run(&config_path, a).await,
        Command::Cases(c) => cases::cases(&config_path, c).await,
        Command::Identity(c) => identity::identity(&config_path, c).await,
        Command::Quarantine(c) => quarantine::quarantine(&config_path, c).await,
        Command::Audit(c) => audit::audit(&config_path, c).await,
        Command::Stats { json } => stats::stats(&config_path, json).await,
        Command::Register(c) => register_export::register(&config_path, c).await,
        Command::Retention(c) => retention::retention(&config_path, c).await,
        Command::Doctor(check) => doctor::doctor(&config_path, &check).await,
        Command::Mailbox(c) => mailbox::mailbox(&config_path, c).await,
        Command::Backup(a) => backup::backup(&config_path, a).await,
        Command::Restore(a) => backup::restore(&config_path, a).await,
        Command::Console(a) => console::console(&config_path, a).await,
        Command::Worker => Err(coded(
            exit::USAGE,
            "`sygnal worker` is started by `sygnal run` on a pipe, not by hand",
        )),
    }
}

/// Maps an error to its exit code: the one place a use case's disposition becomes a number.
pub fn exit_code(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if let Some(c) = cause.downcast_ref::<Coded>() {
            return c.code;
        }
        if let Some(d) = cause.downcast_ref::<DeskError>() {
            return match d.disposition() {
                Disposition::Refused(Refusal::Invalid) => exit::USAGE,
                Disposition::Refused(Refusal::NotFound) => exit::NOT_FOUND,
                Disposition::Refused(Refusal::KeyRefused) => exit::KEY_REFUSED,
                Disposition::Refused(Refusal::Setup) => exit::CONFIG,
                Disposition::Retry | Disposition::Halt => exit::ERROR,
            };
        }
        if cause.downcast_ref::<crate::config::ConfigError>().is_some() {
            return exit::CONFIG;
        }
    }
    exit::ERROR
}

/// An error as told to the user: each cause once. Many errors already say their cause in their
/// own message; the chain adds only what was not said yet. A refusal of the desk is told in the
/// session's language.
pub fn error_text(err: &anyhow::Error) -> String {
    let told = |cause: &(dyn std::error::Error + 'static)| match cause.downcast_ref::<DeskError>() {
        Some(DeskError::Refused(why)) => why.text(texts()),
        _ => cause.to_string(),
    };
    let mut chain = err.chain();
    let mut out = chain.next().map(told).unwrap_or_default();
    for cause in chain {
        let said = told(cause);
        if !out.contains(&said) {
            out.push_str(": ");
            out.push_str(&said);
        }
    }
    out
}

/// Opens the installation, runs one use case, and closes it again whether or not the use case
/// succeeded (closing checkpoints the register's journal).
pub(crate) async fn with_desk<T>(
    config_path: &Installation,
    use_case: impl AsyncFnOnce(&Desk) -> Result<T, DeskError>,
) -> anyhow::Result<T> {
    let desk = Desk::open(config_path).await?;
    let result = use_case(&desk).await;
    desk.close().await;
    Ok(result?)
}

pub(crate) fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::error_text;

    #[derive(Debug, thiserror::Error)]
    #[error("cannot read key file k.asc: {source}")]
    struct Outer {
        #[source]
        source: std::io::Error,
    }

    #[test]
    fn an_error_is_told_once_not_with_its_cause_repeated() {
        let inner = std::io::Error::new(std::io::ErrorKind::NotFound, "no such file");
        let e = anyhow::Error::new(Outer { source: inner });
        assert_eq!(error_text(&e), "cannot read key file k.asc: no such file");
        let e =
            anyhow::Error::new(std::io::Error::other("disk full")).context("writing the register");
        assert_eq!(error_text(&e), "writing the register: disk full");
    }
}
