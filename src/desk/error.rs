//! One typed error for every use case and its disposition, which each front end maps once:
//! the CLI to exit codes, a web console later to HTTP statuses.

use std::sync::LazyLock;

use crate::config::ConfigError;
use crate::i18n::{FluentValue, Lang, Texts};
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

/// A refusal told in the person's language: its kind and the message that tells it, rendered
/// by the front end with the texts of its session (English when shown as `Display`).
/// The message names cases, fingerprints, flags and choices, never content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Why {
    /// Which kind of refusal.
    pub refusal: Refusal,
    message: Message,
}

/// A message of `locales/*.ftl` with its arguments: a refusal's text, or words inside one (a
/// status's name, a record's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    id: &'static str,
    args: Vec<(&'static str, Arg)>,
}

/// An argument of a [`Message`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Shown as it is (a case number, a fingerprint, a flag).
    Text(String),
    /// A number (Polish picks the plural form from it).
    Num(i64),
    /// Another message, in the same language.
    Message(Box<Message>),
}

impl From<&str> for Arg {
    fn from(s: &str) -> Arg {
        Arg::Text(s.to_owned())
    }
}

impl From<String> for Arg {
    fn from(s: String) -> Arg {
        Arg::Text(s)
    }
}

impl From<usize> for Arg {
    fn from(n: usize) -> Arg {
        Arg::Num(i64::try_from(n).unwrap_or(i64::MAX))
    }
}

impl From<Message> for Arg {
    fn from(m: Message) -> Arg {
        Arg::Message(Box::new(m))
    }
}

impl Message {
    /// Message `id`, without arguments yet.
    pub fn new(id: &'static str) -> Message {
        Message {
            id,
            args: Vec::new(),
        }
    }

    /// With argument `name`.
    pub fn arg(mut self, name: &'static str, value: impl Into<Arg>) -> Message {
        self.args.push((name, value.into()));
        self
    }

    /// The message in the language of `texts`.
    pub fn text(&self, texts: &Texts) -> String {
        let mut args = crate::i18n::Args::new();
        for (name, value) in &self.args {
            let value = match value {
                Arg::Text(s) => FluentValue::from(s.clone()),
                Arg::Num(n) => FluentValue::from(*n),
                Arg::Message(m) => FluentValue::from(m.text(texts)),
            };
            args.set(*name, value);
        }
        texts.text(self.id, Some(&args))
    }
}

impl std::fmt::Display for Message {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        static ENGLISH: LazyLock<Texts> = LazyLock::new(|| Texts::new(Lang::En));
        f.write_str(&self.text(&ENGLISH))
    }
}

impl Why {
    /// The request breaks a rule.
    pub fn invalid(id: &'static str) -> Why {
        Why::new(Refusal::Invalid, id)
    }

    /// No such thing.
    pub fn not_found(id: &'static str) -> Why {
        Why::new(Refusal::NotFound, id)
    }

    /// The key may not do this.
    pub fn key_refused(id: &'static str) -> Why {
        Why::new(Refusal::KeyRefused, id)
    }

    fn new(refusal: Refusal, id: &'static str) -> Why {
        Why {
            refusal,
            message: Message::new(id),
        }
    }

    /// With argument `name` (text, a number, or words told by another [`Message`]).
    pub fn arg(mut self, name: &'static str, value: impl Into<Arg>) -> Why {
        self.message = self.message.arg(name, value);
        self
    }

    /// The refusal in the language of `texts`.
    pub fn text(&self, texts: &Texts) -> String {
        self.message.text(texts)
    }
}

impl std::fmt::Display for Why {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.message.fmt(f)
    }
}

impl From<Why> for DeskError {
    fn from(why: Why) -> DeskError {
        DeskError::Refused(why)
    }
}

/// A use case's failure. Messages name cases, entries and fingerprints, never content.
#[derive(Debug, thiserror::Error)]
pub enum DeskError {
    /// Refused, told in the person's language.
    #[error("{0}")]
    Refused(Why),
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
            DeskError::Refused(why) => Disposition::Refused(why.refusal),
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

    /// Why the use case refused, if it did (rather than failing).
    pub fn refusal(&self) -> Option<Refusal> {
        match self.disposition() {
            Disposition::Refused(r) => Some(r),
            Disposition::Retry | Disposition::Halt => None,
        }
    }

    pub(crate) fn io(context: impl Into<String>) -> impl FnOnce(std::io::Error) -> DeskError {
        let context = context.into();
        move |source| DeskError::Io { context, source }
    }

    /// A sealed record that would not open with `key`: refused when the key is not among its
    /// readers or its passphrase is wrong; otherwise the record itself is at fault.
    pub(crate) fn unseal(e: VaultError, what: Sealed<'_>, role: Opener) -> DeskError {
        use crate::openpgp::UnsealError;
        match e {
            VaultError::Unseal(UnsealError::NotARecipient { .. }) => {
                Why::key_refused("err-not-recipient")
                    .arg("record", what.message())
                    .arg("role", role.message())
                    .into()
            }
            VaultError::Unseal(UnsealError::WrongPassphrase { .. }) => {
                Why::key_refused("err-wrong-passphrase").into()
            }
            source => DeskError::Open {
                what: what.message().to_string(),
                source,
            },
        }
    }

    /// As [`DeskError::unseal`], for a key already known to be a current reader's: if the
    /// record was not sealed to it, it was filed before the reader was added (or re-added),
    /// and a reseal is what brings it in.
    pub(crate) fn unseal_by_reader(e: VaultError, what: Sealed<'_>, role: Opener) -> DeskError {
        use crate::openpgp::UnsealError;
        match e {
            VaultError::Unseal(UnsealError::NotARecipient { .. }) => {
                Why::key_refused("err-not-recipient-reseal")
                    .arg("record", what.message())
                    .arg("role", role.message())
                    .into()
            }
            e => DeskError::unseal(e, what, role),
        }
    }
}

/// A sealed record named in a refusal.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Sealed<'a> {
    /// A case's report (or its notes, or its identity record).
    Case(&'a str),
    /// A sealed detail of a case's identity log (audit entry id).
    Detail(&'a str, i64),
    /// An attachment of a case (1-based).
    Attachment(&'a str, u32),
    /// A later message of a case (its sequence number).
    Message(&'a str, i64),
    /// A quarantine entry.
    Quarantine(i64),
}

impl Sealed<'_> {
    fn message(self) -> Message {
        match self {
            Sealed::Case(n) => Message::new("record-case").arg("number", n),
            Sealed::Detail(n, id) => Message::new("record-detail")
                .arg("number", n)
                .arg("id", Arg::Num(id)),
            Sealed::Attachment(n, i) => Message::new("record-attachment")
                .arg("number", n)
                .arg("index", Arg::Num(i.into())),
            Sealed::Message(n, seq) => Message::new("record-message")
                .arg("number", n)
                .arg("seq", Arg::Num(seq)),
            Sealed::Quarantine(id) => Message::new("record-quarantine").arg("id", Arg::Num(id)),
        }
    }
}

/// The role whose key would open a record.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Opener {
    /// A handler (or a custodian, who handles too).
    Handler,
    /// An identity custodian.
    Custodian,
    /// Whoever the notes were sealed to.
    NoteReader,
}

impl Opener {
    fn message(self) -> Message {
        Message::new(match self {
            Opener::Handler => "role-handler",
            Opener::Custodian => "role-custodian",
            Opener::NoteReader => "role-note-reader",
        })
    }
}

#[cfg(test)]
mod tests {
    use super::{DeskError, Disposition, Message, Opener, Refusal, Sealed, Why};
    use crate::cases::{Status, TransitionHint};
    use crate::i18n::{Lang, Texts};

    #[test]
    fn a_refusal_is_told_in_the_sessions_language_and_in_english_as_display() {
        let e = crate::vault::VaultError::Unseal(crate::openpgp::UnsealError::NotARecipient {
            fingerprint: "F00".into(),
        });
        let DeskError::Refused(why) =
            DeskError::unseal_by_reader(e, Sealed::Attachment("ZW/2026/0001", 2), Opener::Handler)
        else {
            panic!("not a refusal");
        };
        assert_eq!(why.refusal, Refusal::KeyRefused);
        let pl = why.text(&Texts::new(Lang::Pl));
        assert!(
            pl.starts_with("ten klucz nie otwiera załącznika 2 sprawy ZW/2026/0001: nie jest kluczem osoby rozpatrującej"),
            "{pl}"
        );
        assert!(pl.contains("sygnal keys reseal"), "{pl}");
        let en = why.to_string();
        assert!(
            en.starts_with("this key is not a handler of attachment 2 of case ZW/2026/0001"),
            "{en}"
        );
        let transition =
            super::super::casework::transition_refused(&crate::cases::TransitionError {
                from: Status::Received,
                to: Status::Closed,
                hint: TransitionHint::FollowUpFirst,
            });
        assert_eq!(
            transition.text(&Texts::new(Lang::Pl)),
            "sprawa nie może przejść ze statusu „przyjęta” do „zakończona” (najpierw rozpocznij \
             działania następcze: status in-follow-up)"
        );
        let none = Why::invalid("err-transition")
            .arg("from", Message::new("status-closed"))
            .arg("to", Message::new("status-closed"))
            .arg("hint", "none");
        assert_eq!(none.to_string(), "a case cannot go from closed to closed");
    }

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
