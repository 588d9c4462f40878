//! The gateway's own addresses: its From, and the reply address that carries a case's token.

use std::fmt;
use std::str::FromStr;

use lettre::message::Mailbox;
use lettre::Address;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The From of every message the gateway sends: `Name <addr>` or `addr`.
#[derive(Clone, PartialEq, Eq)]
pub struct SenderAddress(Mailbox);

impl SenderAddress {
    /// Parses `Name <addr>` or a bare address.
    pub fn parse(text: &str) -> Result<SenderAddress, String> {
        Mailbox::from_str(text.trim())
            .map(SenderAddress)
            .map_err(|e| format!("\"{text}\" is not an address ({e})"))
    }

    /// As a lettre mailbox.
    pub fn mailbox(&self) -> &Mailbox {
        &self.0
    }

    /// The domain, for Message-IDs.
    pub fn domain(&self) -> &str {
        self.0.email.domain()
    }

    /// A new Message-ID (without brackets) in this address's domain: random, so that it says
    /// nothing of the case or the time.
    pub fn new_message_id(&self) -> String {
        format!("{}@{}", ReplyToken::generate().0, self.domain())
    }
}

impl fmt::Debug for SenderAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SenderAddress({})", self.0)
    }
}

/// A reply address with `{token}` where a case's token goes, e.g.
/// `zgloszenia+{token}@example.org` (plus-addressing: the server delivers it to the same
/// mailbox).
#[derive(Clone, PartialEq, Eq)]
pub struct ReplyPattern {
    prefix: String,
    suffix: String,
}

/// The placeholder of [`ReplyPattern`].
const TOKEN: &str = "{token}";

impl ReplyPattern {
    /// Parses a pattern: one `{token}`, in the local part, and a valid address once filled.
    pub fn parse(text: &str) -> Result<ReplyPattern, String> {
        let text = text.trim();
        let Some((prefix, suffix)) = text.split_once(TOKEN) else {
            return Err(format!(
                "\"{text}\" has no {TOKEN}: write e.g. zgloszenia+{TOKEN}@example.org"
            ));
        };
        if suffix.contains(TOKEN) {
            return Err(format!("\"{text}\" has {TOKEN} more than once"));
        }
        if prefix.contains('@') || !suffix.contains('@') {
            return Err(format!(
                "\"{text}\": {TOKEN} must be in the local part (before the @)"
            ));
        }
        let pattern = ReplyPattern {
            prefix: prefix.to_owned(),
            suffix: suffix.to_owned(),
        };
        Address::from_str(&pattern.fill_text("a2345678901234567890123456"))
            .map_err(|e| format!("\"{text}\" does not give a valid address ({e})"))?;
        Ok(pattern)
    }

    /// The pattern as configured (for the worker pipe).
    pub fn as_text(&self) -> String {
        self.fill_text(TOKEN)
    }

    fn fill_text(&self, token: &str) -> String {
        format!("{}{token}{}", self.prefix, self.suffix)
    }

    /// The reply address of `token`.
    pub fn fill(&self, token: &ReplyToken) -> String {
        self.fill_text(&token.0)
    }

    /// The token of an address that fits the pattern, if one does (`Name <addr>` accepted).
    /// Letters compare without case: some servers lower-case addresses on the way.
    pub fn token_in(&self, address: &str) -> Option<ReplyToken> {
        let addr = bare_address(address).to_ascii_lowercase();
        let rest = addr.strip_prefix(&self.prefix.to_ascii_lowercase())?;
        let token = rest.strip_suffix(&self.suffix.to_ascii_lowercase())?;
        ReplyToken::parse(token)
    }
}

impl fmt::Debug for ReplyPattern {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReplyPattern({}{TOKEN}{})", self.prefix, self.suffix)
    }
}

/// `addr` out of `Name <addr>`; the text itself otherwise.
pub(super) fn bare_address(text: &str) -> &str {
    let text = text.trim();
    match (text.rfind('<'), text.rfind('>')) {
        (Some(open), Some(close)) if open < close => text.get(open + 1..close).unwrap_or(text),
        _ => text,
    }
}

/// A case's reply token: 130 random bits in 26 base32 letters (lower case, so that servers that
/// fold case do not break it). Only its hash is stored.
#[derive(Clone, PartialEq, Eq)]
pub struct ReplyToken(String);

const BASE32: &[u8; 32] = b"abcdefghijklmnopqrstuvwxyz234567";
const TOKEN_LEN: usize = 26;

impl ReplyToken {
    /// A fresh random token.
    pub fn generate() -> ReplyToken {
        let mut bytes = [0u8; TOKEN_LEN];
        rand::rngs::OsRng.fill_bytes(&mut bytes);
        ReplyToken(
            bytes
                .iter()
                .map(|b| char::from(BASE32.get(usize::from(b & 31)).copied().unwrap_or(b'a')))
                .collect(),
        )
    }

    /// A token as written in an address (any case), if it has the token's form.
    pub fn parse(text: &str) -> Option<ReplyToken> {
        let t = text.to_ascii_lowercase();
        (t.len() == TOKEN_LEN && t.bytes().all(|b| BASE32.contains(&b))).then_some(ReplyToken(t))
    }

    /// What the register stores: SHA-256, hex. The token itself is in the reporter's mailbox
    /// only, so the register's copy cannot be used to write into a case.
    pub fn hash(&self) -> String {
        hex::encode(Sha256::digest(self.0.as_bytes()))
    }

    /// The token's text (for the worker pipe).
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ReplyToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ReplyToken(<redacted>)")
    }
}
