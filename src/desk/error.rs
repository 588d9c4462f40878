//! One typed error for every use case and its disposition, which each front end maps once:
//! the CLI to exit codes, a web console later to HTTP statuses.

use crate::config::ConfigError;
use crate::intake::GatewayError;
use crate::keystore::KeyStoreError;
use crate::lifecycle::intake::IntakeKeyError;
use crate::lifecycle::ResealError;
use crate::openpgp::KeyError;
use crate::readers::ReadersError;
use crate::register::RegisterError;
use crate::vault::VaultError;

/// Why a use case refused: the person can act on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// The request breaks a rule (a missing outcome, a reason too short, a bad date).
    Invalid,
    /// No such case, entry, reader or key.
    NotFound,
    /// The key given is not allowed to do this (not a reader, wrong role, wrong passphrase).
    KeyRefused,
    /// The installation is not set up for this (configuration, keys).
    Setup,
}

/// What the caller should do with a failure.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Disposition {
    /// The register or the mailbox is unavailable for now: try again later.
    Retry,
    /// Refused: tell the person why.
    Refused(Refusal),
    /// Something is broken that needs the operator.
    Halt,
}

/// A use case's failure. Messages name cases, entries and fingerprints, never content.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// The request breaks a rule; the message says which and what to do.
    #[error("{0}")]
    Invalid(String),
    /// Nothing by that name.
    #[error("{0}")]
    NotFound(String),
    /// The key may not do this.
    #[error("{0}")]
    KeyRefused(String),
    /// Not set up for this.
    #[error("{0}")]
    Setup(String),
    /// Something that needs the operator (a broken audit chain, a stopped worker).
    #[error("{0}")]
    Failed(String),
    /// A sealed record could not be opened for another reason (altered, malformed).
    #[error("cannot open {what}: {source}")]
    Open {
        /// Which record (`case ZW/2026/0001`, `quarantine #3`).
        what: String,
        /// Cause.
        source: VaultError,
    },
    /// An opened record is not what sygnal seals.
    #[error("the opened {what} is not valid: {detail}")]
    Damaged {
        /// Which record.
        what: &'static str,
        /// Parser's word.
        detail: String,
    },
    /// Configuration.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Register.
    #[error(transparent)]
    Register(#[from] RegisterError),
    /// Key folder.
    #[error(transparent)]
    KeyStore(#[from] KeyStoreError),
    /// Sealing.
    #[error(transparent)]
    Vault(#[from] VaultError),
    /// Reader set.
    #[error(transparent)]
    Readers(#[from] ReadersError),
    /// Reseal.
    #[error(transparent)]
    Reseal(#[from] ResealError),
    /// Intake key lifecycle.
    #[error(transparent)]
    IntakeKey(#[from] IntakeKeyError),
    /// OpenPGP key handling.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// Intake.
    #[error(transparent)]
    Gateway(#[from] GatewayError),
    /// The mailbox's server.
    #[error("mailbox {server}: {source}{hint}")]
    Mailbox {
        /// `host:port` and the login.
        server: String,
        /// Cause.
        source: crate::imap::ImapError,
        /// What to check, naming the setting (empty when there is nothing to add).
        hint: String,
    },
    /// A file the use case reads or writes.
    #[error("{context}: {source}")]
    Io {
        /// Which file, doing what.
        context: String,
        /// Cause.
        source: std::io::Error,
    },
}

impl DeskError {
    /// What the caller should do.
    pub fn disposition(&self) -> Disposition {
        match self {
            DeskError::Invalid(_) => Disposition::Refused(Refusal::Invalid),
            DeskError::NotFound(_) => Disposition::Refused(Refusal::NotFound),
            DeskError::KeyRefused(_) => Disposition::Refused(Refusal::KeyRefused),
            DeskError::Setup(_) | DeskError::Config(_) => Disposition::Refused(Refusal::Setup),
            DeskError::Register(e) if e.is_transient() => Disposition::Retry,
            DeskError::Register(RegisterError::Conflict(_)) => {
                Disposition::Refused(Refusal::Invalid)
            }
            DeskError::Register(RegisterError::NotFound(_) | RegisterError::Destroyed(_)) => {
                Disposition::Refused(Refusal::NotFound)
            }
            DeskError::Register(RegisterError::Setup(_) | RegisterError::Durability(_)) => {
                Disposition::Refused(Refusal::Setup)
            }
            DeskError::Gateway(e) if e.is_transient() => Disposition::Retry,
            DeskError::Mailbox { source, .. } if source.is_transient() => Disposition::Retry,
            _ => Disposition::Halt,
        }
    }

    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> DeskError {
        let context = context.into();
        move |source| DeskError::Io { context, source }
    }

    /// A sealed record that would not open with `key`: refused when the key is not among its
    /// readers or its passphrase is wrong; otherwise the record itself is at fault.
    /// `what` names the record ("case ZW/2026/0001", "quarantine #3").
    pub(crate) fn unseal(e: VaultError, what: &str, role: &str) -> DeskError {
        use crate::openpgp::UnsealError;
        match e {
            VaultError::Unseal(UnsealError::NotARecipient { .. }) => DeskError::KeyRefused(
                format!("this key is not {role} of {what}: it cannot open it"),
            ),
            VaultError::Unseal(UnsealError::WrongPassphrase { .. }) => {
                DeskError::KeyRefused("wrong passphrase for the secret key".to_owned())
            }
            source => DeskError::Open {
                what: what.to_owned(),
                source,
            },
        }
    }

    /// As [`DeskError::unseal`], for a key already known to be a current reader's: if the
    /// record was not sealed to it, it was filed before the reader was added (or re-added),
    /// and a reseal is what brings it in.
    pub(crate) fn unseal_by_reader(e: VaultError, what: &str, role: &str) -> DeskError {
        use crate::openpgp::UnsealError;
        match e {
            VaultError::Unseal(UnsealError::NotARecipient { .. }) => {
                DeskError::KeyRefused(format!(
                "this key is not {role} of {what}: it cannot open it. It is a current reader's, \
                 so {what} was sealed before it was added (or added again): it opens for this \
                 key after `sygnal keys reseal --key KEY` with a key that opens it"
            ))
            }
            e => DeskError::unseal(e, what, role),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{DeskError, Disposition, Refusal};

    #[test]
    fn refusals_are_told_to_the_person_and_storage_trouble_is_retried() {
        assert_eq!(
            DeskError::KeyRefused("x".into()).disposition(),
            Disposition::Refused(Refusal::KeyRefused)
        );
        assert_eq!(
            DeskError::NotFound("x".into()).disposition(),
            Disposition::Refused(Refusal::NotFound)
        );
        let locked = DeskError::Register(crate::register::RegisterError::Io {
            context: "open".into(),
            source: std::io::Error::other("locked"),
        });
        assert_eq!(locked.disposition(), Disposition::Retry);
        let corrupt = DeskError::Register(crate::register::RegisterError::Corrupt("x".into()));
        assert_eq!(corrupt.disposition(), Disposition::Halt);
    }
}
