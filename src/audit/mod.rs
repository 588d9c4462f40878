//! The audit trail's hash chain (invariant 6): every entry commits to its own fields and to the
//! entry before it, so editing, deleting or reordering any row breaks a link, and truncating
//! the tail is caught against a head recorded elsewhere. Pure: no IO.
//!
//! `hash = SHA-256("sygnal/audit/v1" ‖ field*)` over (id, at, actor, action, case_number,
//! detail, prev_hash), each field length-prefixed (u64 big-endian) so no two entries share an
//! encoding; an absent case number is a distinct tag, not an empty string.

use sha2::{Digest, Sha256};

mod event;

pub use event::Event;

#[cfg(test)]
mod audit_tests;

/// `prev_hash` of the first entry.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

const DOMAIN: &[u8] = b"sygnal/audit/v1";

/// The fields an entry's hash covers.
#[derive(Debug, Clone, Copy)]
pub struct Link<'a> {
    /// Row id.
    pub id: i64,
    /// When (RFC 3339).
    pub at: &'a str,
    /// Who.
    pub actor: &'a str,
    /// What.
    pub action: &'a str,
    /// Which case.
    pub case_number: Option<&'a str>,
    /// Detail.
    pub detail: &'a str,
    /// Hash of the entry before (or [`GENESIS`]).
    pub prev_hash: &'a str,
}

impl Link<'_> {
    /// Lower-case hex SHA-256 of the canonical encoding.
    pub fn hash(&self) -> String {
        let mut h = Sha256::new();
        h.update(DOMAIN);
        let mut field = |bytes: &[u8]| {
            h.update((bytes.len() as u64).to_be_bytes());
            h.update(bytes);
        };
        field(self.id.to_string().as_bytes());
        field(self.at.as_bytes());
        field(self.actor.as_bytes());
        field(self.action.as_bytes());
        match self.case_number {
            None => field(b"\x00"),
            Some(c) => field(format!("\x01{c}").as_bytes()),
        }
        field(self.detail.as_bytes());
        field(self.prev_hash.as_bytes());
        hex::encode(h.finalize())
    }
}

/// A stored entry as the verifier sees it.
#[derive(Debug, Clone)]
pub struct Stored<'a> {
    /// The covered fields, with the stored `prev_hash`.
    pub link: Link<'a>,
    /// The stored hash (None: a row that was never chained).
    pub hash: Option<&'a str>,
}

/// The verified end of the chain.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Head {
    /// Id of the last entry (0 when empty).
    pub id: i64,
    /// Its hash ([`GENESIS`] when empty).
    pub hash: String,
    /// Number of entries checked.
    pub entries: usize,
}

/// The first place the chain does not hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum ChainBreak {
    /// The row's fields no longer give its stored hash: it was edited.
    #[error("audit entry {id}: its content does not match its hash (edited)")]
    Edited {
        /// Row id.
        id: i64,
    },
    /// The row does not point at the entry before it: rows were deleted, inserted or reordered.
    #[error("audit entry {id}: does not follow entry {after} (an entry before it was deleted, inserted or reordered)")]
    Unlinked {
        /// Row id.
        id: i64,
        /// The entry it should follow (0: the start of the trail).
        after: i64,
    },
    /// The row carries no hash.
    #[error("audit entry {id}: has no hash (written outside sygnal)")]
    Unhashed {
        /// Row id.
        id: i64,
    },
    /// The recorded head is missing or different: the tail was truncated or rewritten.
    #[error(
        "recorded head {id}:{hash} not found in the trail (the tail was truncated or rewritten)"
    )]
    HeadMissing {
        /// Recorded id.
        id: i64,
        /// Recorded hash.
        hash: String,
    },
    /// A custodian's signed checkpoint covers an entry that is gone or different now: entries
    /// up to it were changed or removed and the chain was rehashed.
    #[error(
        "checkpoint #{checkpoint} signed by custodian {signer} covers entry {id} with hash {hash}, \
         which the trail no longer holds (entries up to it were changed or removed, and the chain rehashed)"
    )]
    CheckpointBroken {
        /// Checkpoint id.
        checkpoint: i64,
        /// Covered entry.
        id: i64,
        /// Its hash when signed.
        hash: String,
        /// Custodian's fingerprint.
        signer: String,
    },
    /// A checkpoint's signature does not hold: it was not made by the custodian it names.
    #[error(
        "checkpoint #{checkpoint}: not a good signature by custodian {signer} (forged or altered)"
    )]
    CheckpointForged {
        /// Checkpoint id.
        checkpoint: i64,
        /// The custodian it names.
        signer: String,
    },
}

/// The statement a custodian signs for a checkpoint: the chain, up to and including entry
/// `id`, ends in `hash`.
pub fn checkpoint_statement(id: i64, hash: &str) -> Vec<u8> {
    format!(
        "sygnal audit checkpoint v1\nentry: {id}\nhash: {}\n",
        hash.to_ascii_lowercase()
    )
    .into_bytes()
}

/// Whether a verified chain still holds entry `id` with `hash` (what a checkpoint signed).
pub fn holds(entries: &[Stored<'_>], id: i64, hash: &str) -> bool {
    entries
        .iter()
        .any(|e| e.link.id == id && e.hash.is_some_and(|h| h.eq_ignore_ascii_case(hash)))
}

/// Checks `entries` (in id order) link by link; when `expect` (id, hash) is given, that entry
/// must be present with that hash, so nothing up to it was dropped or rewritten.
pub fn verify(entries: &[Stored<'_>], expect: Option<(i64, &str)>) -> Result<Head, ChainBreak> {
    let mut prev_hash = GENESIS.to_owned();
    let mut prev_id = 0;
    let mut head_seen = expect.is_none();
    for e in entries {
        let id = e.link.id;
        let Some(stored) = e.hash else {
            return Err(ChainBreak::Unhashed { id });
        };
        if e.link.prev_hash != prev_hash || id <= prev_id {
            return Err(ChainBreak::Unlinked { id, after: prev_id });
        }
        if e.link.hash() != stored {
            return Err(ChainBreak::Edited { id });
        }
        if let Some((hid, hhash)) = expect {
            if hid == id && hhash.eq_ignore_ascii_case(stored) {
                head_seen = true;
            }
        }
        prev_hash = stored.to_owned();
        prev_id = id;
    }
    if !head_seen {
        if let Some((id, hash)) = expect {
            return Err(ChainBreak::HeadMissing {
                id,
                hash: hash.to_owned(),
            });
        }
    }
    Ok(Head {
        id: prev_id,
        hash: prev_hash,
        entries: entries.len(),
    })
}

/// The end of the trail a new entry is appended to, as the register reads it inside the
/// writing transaction.
#[derive(Debug, Clone, Default)]
pub struct Tip {
    /// The highest id ever given (a deleted tail's ids included: ids are never reused, so a
    /// truncation cannot be papered over by new entries taking the old ids).
    pub last_id: i64,
    /// The hash of the last entry present; None for an empty trail.
    pub last_hash: Option<String>,
}

/// A new entry's place in the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Appended {
    /// Its id.
    pub id: i64,
    /// The hash it links to.
    pub prev_hash: String,
    /// Its own hash.
    pub hash: String,
}

/// What one audit entry says (the register adds the time and the chain).
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// Who.
    pub actor: &'a str,
    /// What.
    pub event: Event,
    /// Which case.
    pub case_number: Option<&'a str>,
    /// Detail.
    pub detail: &'a str,
}

impl Entry<'_> {
    /// Entries about a case, or about a message's arrival, are dated to the day only: a finer
    /// time would let anyone with the mail server's logs (delivery times, sizes, senders) tell
    /// which message became which case.
    pub fn dated_to_the_day(&self) -> bool {
        self.case_number.is_some() || self.event.marks_arrival()
    }
}

/// Links `entry`, made at `at`, after `tip`.
pub fn append(tip: &Tip, at: &str, entry: &Entry<'_>) -> Appended {
    let id = tip.last_id.saturating_add(1);
    let prev_hash = tip.last_hash.clone().unwrap_or_else(|| GENESIS.to_owned());
    let hash = Link {
        id,
        at,
        actor: entry.actor,
        action: entry.event.as_str(),
        case_number: entry.case_number,
        detail: entry.detail,
        prev_hash: &prev_hash,
    }
    .hash();
    Appended {
        id,
        prev_hash,
        hash,
    }
}

/// Parses a recorded head given as `ID:HASH`.
pub fn parse_head(text: &str) -> Option<(i64, String)> {
    let (id, hash) = text.trim().split_once(':')?;
    let id = id.parse().ok()?;
    (hash.len() == 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
        .then(|| (id, hash.to_ascii_lowercase()))
}
