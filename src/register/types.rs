//! Rows and inputs of the register. Blobs are sealed; nothing here holds plaintext content.

use chrono::NaiveDate;

use crate::vault::StoredBlob;

/// Where a message sat on the server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    /// Folder name.
    pub mailbox: String,
    /// UIDVALIDITY at the time.
    pub uidvalidity: u32,
    /// UID within that UIDVALIDITY.
    pub uid: u32,
}

/// What the register needs to know of a fetched message.
#[derive(Debug, Clone)]
pub struct IntakeRef {
    /// Keyed fingerprint (HMAC) of the raw bytes.
    pub fingerprint: String,
    /// Server position.
    pub at: Position,
}

/// Whether the server copy of a taken message still exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deletion {
    /// Filed; the server copy must still be deleted.
    Pending,
    /// The server copy is gone.
    Deleted,
    /// Deliberately left on the server (too large to take).
    LeftOnServer,
}

impl Deletion {
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Deletion::Pending => "pending",
            Deletion::Deleted => "deleted",
            Deletion::LeftOnServer => "left-on-server",
        }
    }

    /// Parses stored text.
    pub fn parse(s: &str) -> Option<Deletion> {
        match s {
            "pending" => Some(Deletion::Pending),
            "deleted" => Some(Deletion::Deleted),
            "left-on-server" => Some(Deletion::LeftOnServer),
            _ => None,
        }
    }
}

/// A case to file.
pub struct NewCase {
    /// Date received (UTC).
    pub received_at: NaiveDate,
    /// Arrived encrypted.
    pub encrypted: bool,
    /// What its signatures say.
    pub signature: crate::split::SignatureLabel,
    /// Id of the shred key protecting the blobs.
    pub shred_key: String,
    /// The report, sealed to handlers.
    pub report: StoredBlob,
    /// The identity record, sealed to custodians.
    pub identity: StoredBlob,
    /// Why decryption needed the decryption-only policy (codes; shown to admins).
    pub flags: Vec<String>,
    /// Attachments sealed apart, each under its own shred key.
    pub attachments: Vec<super::NewAttachment>,
    /// Where mail to the reporter may go (None: contact is off).
    pub contact: Option<super::NewContact>,
    /// The acknowledgement to plan with the filing (its Message-ID), when one is due.
    pub acknowledgement: Option<String>,
}

/// A quarantine entry to file.
pub struct NewQuarantine {
    /// Date received.
    pub received_at: NaiveDate,
    /// Stable reason code.
    pub reason: String,
    /// Detail without content (sizes, counts, fingerprints).
    pub detail: String,
    /// The raw message sealed to handlers, or None when left on the server.
    pub raw: Option<(String, StoredBlob)>,
}

/// Result of filing a case.
#[derive(Debug, Clone)]
pub struct FiledCase {
    /// Intake row id.
    pub intake_id: i64,
    /// Case number.
    pub number: String,
}

/// Result of filing a quarantine entry.
#[derive(Debug, Clone)]
pub struct FiledQuarantine {
    /// Intake row id.
    pub intake_id: i64,
    /// Entry id.
    pub id: i64,
}

/// An intake record.
#[derive(Debug, Clone)]
pub struct IntakeRow {
    /// Row id.
    pub id: i64,
    /// Keyed fingerprint.
    pub fingerprint: String,
    /// Last known server position.
    pub at: Position,
    /// Deletion state.
    pub deletion: Deletion,
    /// Case number or `quarantine #ID`, for logs.
    pub label: String,
}

/// A case without content.
#[derive(Debug, Clone, serde::Serialize)]
pub struct CaseSummary {
    /// Case number.
    pub number: String,
    /// Date received.
    pub received_at: NaiveDate,
    /// Status text.
    pub status: String,
    /// Arrived encrypted.
    pub encrypted: bool,
    /// What its signatures say.
    pub signature: crate::split::SignatureLabel,
    /// Why decryption needed the decryption-only policy (codes).
    pub flags: Vec<String>,
    /// Destroyed (retention) on this day: only its number and dates are left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub destroyed_on: Option<NaiveDate>,
}

/// A case with its sealed blobs.
pub struct CaseRecord {
    /// Summary fields.
    pub summary: CaseSummary,
    /// Shred key id.
    pub shred_key: String,
    /// Sealed report.
    pub report: StoredBlob,
    /// Sealed identity.
    pub identity: StoredBlob,
}

/// A quarantine entry without content.
#[derive(Debug, Clone, serde::Serialize)]
pub struct QuarantineSummary {
    /// Entry id.
    pub id: i64,
    /// Date received.
    pub received_at: NaiveDate,
    /// Reason code.
    pub reason: String,
    /// Detail (no content).
    pub detail: String,
    /// `held`, `filed`, `discarded` or `left-on-server`.
    pub state: String,
    /// The case filed from it by a retry.
    pub case: Option<String>,
    /// Size of the sealed raw message in bytes, while it is held (about the message's own).
    pub sealed_bytes: Option<i64>,
}

/// A quarantine entry with its sealed raw message.
pub struct QuarantineRecord {
    /// Summary.
    pub summary: QuarantineSummary,
    /// Shred key id and sealed raw message.
    pub raw: Option<(String, StoredBlob)>,
}

/// Role of a reader.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Reads and works cases.
    Handler,
    /// Handler who may also unseal identity.
    Custodian,
}

impl Role {
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Handler => "handler",
            Role::Custodian => "custodian",
        }
    }

    /// Parses stored or CLI text.
    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "handler" => Some(Role::Handler),
            "custodian" => Some(Role::Custodian),
            _ => None,
        }
    }
}

/// A reader to add.
pub struct NewReader {
    /// Primary key fingerprint (hex).
    pub fingerprint: String,
    /// Holder's name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Public certificate (binary).
    pub cert: Vec<u8>,
}

/// A reader row.
#[derive(Debug, Clone)]
pub struct ReaderRow {
    /// Fingerprint.
    pub fingerprint: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Public certificate (binary).
    pub cert: Vec<u8>,
    /// When added (RFC 3339).
    pub added_at: String,
    /// Still a reader (removed readers stay, as approvers of others and for the audit trail).
    pub active: bool,
    /// The custodian's consent to this reader in this role, if given.
    pub consent: Option<ReaderConsent>,
}

/// A custodian's consent to one reader in one role: a detached OpenPGP signature by `by` over
/// `readers::consent_statement`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReaderConsent {
    /// The reader consented to.
    pub fingerprint: String,
    /// The approving custodian's fingerprint (the reader's own for the first custodian).
    pub by: String,
    /// The signature.
    pub signature: Vec<u8>,
}

/// A custodian's signed checkpoint of the audit chain.
#[derive(Debug, Clone)]
pub struct CheckpointRow {
    /// Checkpoint id.
    pub id: i64,
    /// The entry it covers (with every entry before it).
    pub audit_id: i64,
    /// That entry's hash.
    pub hash: String,
    /// The custodian's fingerprint.
    pub signer: String,
    /// Detached signature over `audit::checkpoint_statement`.
    pub signature: Vec<u8>,
}

/// An audit entry to append. Never content: actor fingerprints, case numbers, codes, reasons.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// Who: `gateway`, `admin`, or a key fingerprint with its holder's name.
    pub actor: String,
    /// What.
    pub action: crate::audit::Event,
    /// Which case, if any.
    pub case_number: Option<String>,
    /// Detail (a reason given by a custodian, a fingerprint, a count).
    pub detail: String,
}

/// A stored audit entry.
#[derive(Debug, Clone, serde::Serialize)]
pub struct AuditRow {
    /// Row id.
    pub id: i64,
    /// When (RFC 3339).
    pub at: String,
    /// Who.
    pub actor: String,
    /// What: an [`crate::audit::Event`] name (kept as stored: the hash covers it).
    pub action: String,
    /// Which case.
    pub case_number: Option<String>,
    /// Detail.
    pub detail: String,
    /// Hash of the entry before (the chain link).
    pub prev_hash: Option<String>,
    /// This entry's hash.
    pub hash: Option<String>,
}

impl AuditRow {
    /// The row as the hash chain sees it.
    pub fn stored(&self) -> crate::audit::Stored<'_> {
        crate::audit::Stored {
            link: crate::audit::Link {
                id: self.id,
                at: &self.at,
                actor: &self.actor,
                action: &self.action,
                case_number: self.case_number.as_deref(),
                detail: &self.detail,
                prev_hash: self.prev_hash.as_deref().unwrap_or(""),
            },
            hash: self.hash.as_deref(),
        }
    }

    /// The stored action as an event; None for a name this version does not know.
    pub fn event(&self) -> Option<crate::audit::Event> {
        crate::audit::Event::parse(&self.action)
    }
}

/// Register failures. The context names the statement, never data.
#[derive(Debug, thiserror::Error)]
pub enum RegisterError {
    /// A database call failed.
    #[error("register: {context}: {source}")]
    Db {
        /// What was being done.
        context: &'static str,
        /// Driver error.
        source: sqlx::Error,
    },
    /// Migrations failed.
    #[error("register: migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Durability settings could not be established.
    #[error("register: refusing to run: {0}")]
    Durability(String),
    /// How to reach the database is misconfigured (its URL, its TLS settings).
    #[error("register: {0}")]
    Setup(String),
    /// The database server could not be reached or refused the login.
    #[error("register: cannot connect to PostgreSQL at {at}: {source}")]
    Unreachable {
        /// host:port or socket, never the URL (it holds the password).
        at: String,
        /// Driver error.
        source: sqlx::Error,
    },
    /// File-system problem around the database file.
    #[error("register: {context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// Cause.
        source: std::io::Error,
    },
    /// A stored value is not what the schema allows.
    #[error("register: corrupt row: {0}")]
    Corrupt(String),
    /// A referenced row does not exist.
    #[error("register: {0} not found")]
    NotFound(String),
    /// The change conflicts with what is there.
    #[error("{0}")]
    Conflict(String),
    /// The case was destroyed under retention: nothing of it can be opened.
    #[error("{0}")]
    Destroyed(String),
}

impl RegisterError {
    /// The database or its file system failed (locked, full, read-only, gone): waiting and
    /// trying again may help, and mail stays on the server meanwhile. Anything else (a damaged
    /// row, a refused durability setting) needs the operator.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            RegisterError::Db { .. } | RegisterError::Io { .. } | RegisterError::Unreachable { .. }
        )
    }

    /// The server aborted the transaction to break a deadlock or a serialization conflict
    /// (SQLSTATE 40P01, 40001): it changed nothing and may simply be run again.
    pub(crate) fn is_conflict_retry(&self) -> bool {
        match self {
            RegisterError::Db {
                source: sqlx::Error::Database(e),
                ..
            } => matches!(e.code().as_deref(), Some("40001" | "40P01")),
            _ => false,
        }
    }

    pub(crate) fn db(context: &'static str) -> impl FnOnce(sqlx::Error) -> RegisterError {
        move |source| RegisterError::Db { context, source }
    }
}
