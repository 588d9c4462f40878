//! The IMAP mailbox: connect (TLS), select, list, fetch, idle, and the only place anything is
//! deleted on the server (by UID, never by sequence number, never a bare EXPUNGE in a shared folder).
//!
//! Invariants kept here:
//! - every network operation runs under a timeout ([`ImapSettings::connect_timeout`],
//!   [`ImapSettings::command_timeout`]);
//! - a fetch yields the complete message or an error, never an empty or partial message;
//! - deletion names the UIDVALIDITY the caller filed the message under and is refused when the
//!   server's differs;
//! - errors and logs carry UIDs, counts, sizes and protocol codes only, never server text (which
//!   may quote message content) and never credentials.
//!
//! async-imap logs raw protocol traffic (including the LOGIN line and message bodies) through the
//! `log` crate at TRACE level; the binary must keep [`LOG_DIRECTIVES`] in its filter.

mod batch;
mod connect;
mod folders;
mod idle;
mod session;
pub mod utf7;

use std::time::Duration;

pub use batch::Fetched;
pub use connect::is_loopback;
pub use folders::{Folder, SpecialUse, PROBE_FOLDER};
pub use idle::MAX_IDLE;
pub use session::{Mailbox, EXPUNGE_FOLDER};

/// Filter directives that silence the IMAP libraries' own wire logging (it contains credentials
/// and message content). Add them after the user's `RUST_LOG` directives.
pub const LOG_DIRECTIVES: &[&str] = &["async_imap=off", "imap_proto=off"];

/// How the connection is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsMode {
    /// TLS from the first byte (port 993).
    Implicit,
    /// Plain connection upgraded with STARTTLS before login; refusal is an error, never a fallback.
    StartTls,
    /// No TLS at all. The caller allows this only for loopback hosts (see [`is_loopback`]).
    None,
}

/// Everything needed to reach and log in to the mailbox.
#[derive(Debug, Clone)]
pub struct ImapSettings {
    pub host: String,
    pub port: u16,
    pub tls: TlsMode,
    pub username: String,
    pub password: secrecy::SecretString,
    /// Extra trust anchors (PEM certificates) added to the system's roots.
    pub extra_ca_pem: Option<Vec<u8>>,
    /// Bound on TCP connect + TLS handshake + greeting (+ STARTTLS).
    pub connect_timeout: Duration,
    /// Bound on each command, including the transfer of a whole message.
    pub command_timeout: Duration,
}

/// The capabilities sygnal cares about, as announced after login.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Capabilities {
    /// RFC 4315: `UID EXPUNGE` removes exactly the named UIDs.
    pub uidplus: bool,
    /// RFC 6851: `UID MOVE`.
    pub r#move: bool,
    /// RFC 2177: `IDLE`.
    pub idle: bool,
}

impl Capabilities {
    /// Both sides' capabilities: used to switch features off (e.g. `idle = false`).
    #[must_use]
    pub fn intersect(self, other: Capabilities) -> Capabilities {
        Capabilities {
            uidplus: self.uidplus && other.uidplus,
            r#move: self.r#move && other.r#move,
            idle: self.idle && other.idle,
        }
    }
}

/// The mailbox currently selected.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selected {
    pub folder: String,
    pub uidvalidity: u32,
    /// Number of messages at selection time.
    pub exists: u32,
    /// The server opened the folder read-only: nothing can be deleted.
    pub read_only: bool,
}

/// One message as listed: UID and size, no content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Listed {
    pub uid: u32,
    /// RFC822.SIZE: the exact length `fetch` will return.
    pub size: u32,
    /// Flagged `\Deleted` (by us in an interrupted deletion, or by another client).
    pub deleted: bool,
}

/// Why [`Mailbox::idle_wait`] returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdleOutcome {
    /// The server reported new, removed or changed messages: list again.
    Changed,
    /// The timeout passed without news (or, without IDLE, one poll interval passed).
    Timeout,
    /// The caller's shutdown future completed; the connection is still usable.
    Shutdown,
}

/// Everything that can go wrong talking to the mailbox. Variants carry codes, UIDs and sizes only.
#[derive(Debug, thiserror::Error)]
pub enum ImapError {
    /// TCP connection (or name resolution) failed.
    #[error("cannot connect to the IMAP server: {kind}")]
    Connect { kind: std::io::ErrorKind },
    /// TLS set-up failed: certificate not trusted, handshake refused, STARTTLS refused.
    #[error("IMAP TLS failure: {reason}")]
    Tls { reason: String },
    /// The server rejected the username or password.
    #[error("the IMAP server rejected the login")]
    Auth,
    /// The server could not check the login right now (`[UNAVAILABLE]`).
    #[error("the IMAP server cannot check logins right now")]
    AuthUnavailable,
    /// The server answered NO or BAD to a command.
    #[error("the IMAP server answered {status} to {command}")]
    Rejected {
        command: &'static str,
        status: &'static str,
    },
    /// The server said something we cannot work with.
    #[error("IMAP protocol error: {detail}")]
    Protocol { detail: &'static str },
    /// A FETCH completed without the message body (or with an empty one).
    #[error("the IMAP server returned no body for uid {uid}")]
    NoBody { uid: u32 },
    /// The body's length differs from the RFC822.SIZE the server announced.
    #[error("uid {uid}: body has {got} bytes, server announced {expected}")]
    SizeMismatch { uid: u32, expected: u32, got: usize },
    /// The folder's UIDVALIDITY is not the one the caller's UIDs belong to; nothing was sent.
    #[error("UIDVALIDITY changed: expected {expected}, found {found}")]
    UidValidityChanged { expected: u32, found: u32 },
    /// No folder is selected (or the selection was lost).
    #[error("no IMAP folder selected")]
    NotSelected,
    /// The server offers neither UIDPLUS nor MOVE: deleting one message would risk others.
    #[error("the IMAP server has neither UIDPLUS nor MOVE: uid {uid} cannot be deleted safely")]
    CannotDeleteSafely { uid: u32 },
    /// The message is still in the folder after the expunge (e.g. another client cleared `\Deleted`).
    #[error("uid {uid} is still present after expunge")]
    NotExpunged { uid: u32 },
    /// The gateway's own folder still holds messages after it was emptied: a copy moved there
    /// is not gone, so its deletion is not recorded.
    #[error("the gateway's folder still holds {left} message(s) after it was emptied")]
    ExpungeFolderNotEmpty { left: u32 },
    /// An operation did not finish in time; the connection must be replaced.
    #[error("IMAP {what} timed out")]
    Timeout { what: &'static str },
    /// The server closed the connection (or an earlier failure left it unusable).
    #[error("IMAP connection lost")]
    ConnectionLost,
    /// Reading or writing the connection failed.
    #[error("IMAP I/O error: {kind}")]
    Io { kind: std::io::ErrorKind },
    /// The settings cannot work (e.g. an unusable CA file or host name).
    #[error("invalid IMAP settings: {detail}")]
    Settings { detail: &'static str },
}

impl ImapError {
    /// Whether retrying later, on a new connection, may succeed (back off and retry), as opposed
    /// to errors that need an operator or a different decision by the caller.
    #[must_use]
    pub fn is_transient(&self) -> bool {
        match self {
            ImapError::Connect { .. }
            | ImapError::AuthUnavailable
            | ImapError::NoBody { .. }
            | ImapError::NotExpunged { .. }
            | ImapError::ExpungeFolderNotEmpty { .. }
            | ImapError::Timeout { .. }
            | ImapError::ConnectionLost
            | ImapError::Io { .. }
            | ImapError::NotSelected => true,
            ImapError::Rejected { status, .. } => *status == "NO",
            ImapError::Tls { .. }
            | ImapError::Auth
            | ImapError::Protocol { .. }
            | ImapError::SizeMismatch { .. }
            | ImapError::UidValidityChanged { .. }
            | ImapError::CannotDeleteSafely { .. }
            | ImapError::Settings { .. } => false,
        }
    }
}

/// Maps an async-imap error to ours without keeping its text (it may quote server output).
fn from_async_imap(command: &'static str, err: async_imap::error::Error) -> ImapError {
    use async_imap::error::Error;
    match err {
        Error::Io(e) => from_io(&e),
        Error::Bad(_) => ImapError::Rejected {
            command,
            status: "BAD",
        },
        Error::No(_) => ImapError::Rejected {
            command,
            status: "NO",
        },
        Error::ConnectionLost => ImapError::ConnectionLost,
        Error::Parse(_) => ImapError::Protocol {
            detail: "unparseable server response",
        },
        Error::Validate(_) => ImapError::Settings {
            detail: "CR or LF in a command argument",
        },
        _ => ImapError::Protocol {
            detail: "unexpected client library error",
        },
    }
}

/// Maps an I/O error by kind only (async-imap puts raw server bytes into some messages).
fn from_io(err: &std::io::Error) -> ImapError {
    use std::io::ErrorKind;
    match err.kind() {
        ErrorKind::UnexpectedEof
        | ErrorKind::ConnectionReset
        | ErrorKind::ConnectionAborted
        | ErrorKind::BrokenPipe => ImapError::ConnectionLost,
        // async-imap reports unparseable input as `Other`.
        ErrorKind::Other => ImapError::Protocol {
            detail: "unparseable or oversized server response",
        },
        kind => ImapError::Io { kind },
    }
}

#[cfg(test)]
#[path = "mod_tests.rs"]
mod tests;
