//! Parsed mail → (SenderIdentity, Report), pure. Everything that could say who sent a report
//! (addresses, relays, clients, keys, OpenPGP metadata, the Date header's time zone) goes to the
//! identity, sealed to custodians; the report keeps only what was said and when it arrived.

use std::fmt;

use chrono::NaiveDate;
use mail_parser::{Address, HeaderName, HeaderValue, Host, MessageParser};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};
use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::mail::content::Content;
use crate::mail::envelope::{HeaderBlock, LoosePart};

/// What OpenPGP processing learnt about the sender (supplied by the openpgp stage).
#[derive(Default)]
pub struct PgpTraces {
    /// The content came out of a successful decryption.
    pub encrypted: bool,
    /// (issuer key ID or fingerprint, signature verified good, by a trusted key).
    pub signatures: Vec<(String, bool, bool)>,
    /// Recipient key IDs other than ours (encrypt-to-self names the sender's key).
    pub foreign_recipients: Vec<String>,
    /// The literal data packet's file name (may be a sender's path).
    pub literal_filename: Option<Vec<u8>>,
    /// The literal data packet's date (Unix seconds).
    pub literal_date: Option<i64>,
    /// What the signatures over the decrypted pieces say, taken together.
    pub signature: SignatureLabel,
    /// What only the decryption-only policy let through (codes, see `PgpMetadata::legacy`).
    pub legacy: Vec<String>,
}

/// What a report's signatures say, in the three states a handler can act on. A signature that
/// verifies with a key found inside the same message proves nothing (any forger attaches one),
/// so only a key registered beforehand (`sygnal keys trust-signer`) makes a report "verified".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, Zeroize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureLabel {
    /// Every decrypted piece carries a good signature by a key registered as trusted, and no
    /// signature is bad.
    TrustedSigner,
    /// Signed, but not (wholly) by a trusted key: signer unknown, key inside the message,
    /// signature bad or unverifiable, or only part of the message signed.
    UnknownSigner,
    /// No signature.
    #[default]
    Unsigned,
}

impl SignatureLabel {
    /// Stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureLabel::TrustedSigner => "trusted-signer",
            SignatureLabel::UnknownSigner => "unknown-signer",
            SignatureLabel::Unsigned => "unsigned",
        }
    }

    /// Parses stored text.
    pub fn parse(s: &str) -> Option<SignatureLabel> {
        [
            SignatureLabel::TrustedSigner,
            SignatureLabel::UnknownSigner,
            SignatureLabel::Unsigned,
        ]
        .into_iter()
        .find(|l| l.as_str() == s)
    }

    /// What a reader is told.
    pub fn describe(self) -> &'static str {
        match self {
            SignatureLabel::TrustedSigner => "signature verified by a key you trust",
            SignatureLabel::UnknownSigner => {
                "signed, signer unknown (not verified by a key you trust)"
            }
            SignatureLabel::Unsigned => "unsigned",
        }
    }
}

impl fmt::Debug for PgpTraces {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PgpTraces(<redacted, encrypted: {}, {} signatures>)",
            self.encrypted,
            self.signatures.len()
        )
    }
}

/// A header field as (name, decoded value).
#[derive(Serialize, Deserialize, Zeroize, Clone, PartialEq, Eq, Default)]
#[serde(default)]
pub struct Field {
    pub name: String,
    pub value: String,
}

/// A signature seen on the message.
#[derive(Serialize, Deserialize, Zeroize, Default)]
#[serde(default)]
pub struct SignatureTrace {
    pub issuer: String,
    pub verified: bool,
    /// Verified with a key registered as trusted (not one found inside the message).
    pub trusted: bool,
}

/// OpenPGP metadata that points at the sender.
#[derive(Serialize, Deserialize, Zeroize, Default)]
#[serde(default)]
pub struct OpenPgpIdentity {
    pub signatures: Vec<SignatureTrace>,
    pub foreign_recipients: Vec<String>,
    pub literal_filename: Option<String>,
    pub literal_date: Option<i64>,
}

/// Everything that may identify the sender. Sealed to custodians only; serialized only into a
/// zeroizing buffer for sealing; wiped on drop.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop, Default)]
// Per field: a container default would move out of a ZeroizeOnDrop value.
pub struct SenderIdentity {
    #[serde(default)]
    pub from: Vec<String>,
    #[serde(default)]
    pub sender: Vec<String>,
    #[serde(default)]
    pub reply_to: Vec<String>,
    #[serde(default)]
    pub return_path: Vec<String>,
    #[serde(default)]
    pub to: Vec<String>,
    #[serde(default)]
    pub cc: Vec<String>,
    #[serde(default)]
    pub received: Vec<String>,
    /// Hosts and IP addresses named in Received fields.
    #[serde(default)]
    pub received_hosts_ips: Vec<String>,
    #[serde(default)]
    pub message_id: Option<String>,
    #[serde(default)]
    pub in_reply_to: Vec<String>,
    #[serde(default)]
    pub references: Vec<String>,
    /// User-Agent and X-Mailer.
    #[serde(default)]
    pub user_agent: Vec<String>,
    #[serde(default)]
    pub x_originating_ip: Vec<String>,
    /// DKIM-Signature, ARC-*, Authentication-Results, Received-SPF (raw decoded values).
    #[serde(default)]
    pub authentication: Vec<Field>,
    /// Autocrypt and Autocrypt-Gossip, outer and protected.
    #[serde(default)]
    pub autocrypt: Vec<Field>,
    /// application/pgp-keys parts (armored text or base64 of binary keys).
    #[serde(default)]
    pub attached_keys: Vec<String>,
    /// application/pgp-signature parts, inside or beside the encryption (armored or base64).
    #[serde(default)]
    pub detached_signatures: Vec<String>,
    #[serde(default)]
    pub openpgp: OpenPgpIdentity,
    /// Headers from inside the encrypted part (From, To, ...), Subject excepted.
    #[serde(default)]
    pub protected_headers: Vec<Field>,
    /// Every outer header, decoded, in order.
    #[serde(default)]
    pub headers: Vec<Field>,
    /// The raw outer header block (lossy UTF-8).
    #[serde(default)]
    pub raw_headers: String,
    /// The Date header: its time zone may reveal where the sender is.
    #[serde(default)]
    pub date_header: Option<String>,
    /// Attachments as they arrived, where the report holds a cleaned copy.
    #[serde(default)]
    pub original_attachments: Vec<OriginalAttachment>,
}

impl fmt::Debug for SenderIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SenderIdentity(<redacted>)")
    }
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_false(b: &bool) -> bool {
    !*b
}

/// An attachment as filed in the report.
#[derive(Serialize, Deserialize, Zeroize, Default)]
#[serde(default)]
pub struct ReportAttachment {
    pub name: Option<String>,
    pub content_type: String,
    pub size: u64,
    /// SHA-256 of `data`, lower-case hex.
    pub sha256: String,
    #[serde(serialize_with = "base64_bytes", deserialize_with = "from_base64")]
    pub data: Vec<u8>,
    /// `data` is sealed apart, under the attachment's own shred key (so that it can be
    /// destroyed alone, e.g. found irrelevant); empty here.
    #[serde(skip_serializing_if = "is_false")]
    pub apart: bool,
    /// Found irrelevant to the report: destroyed by this day (set when the case is opened,
    /// never sealed).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[zeroize(skip)]
    pub destroy_by: Option<chrono::NaiveDate>,
    /// Destroyed on this day as irrelevant: only its name, type, size and hash remain (set
    /// when the case is opened, never sealed).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[zeroize(skip)]
    pub destroyed_on: Option<chrono::NaiveDate>,
    /// Identifying metadata was removed (or there was none to remove); false when the file is
    /// kept as it came.
    pub cleaned: bool,
    /// Why the file was kept as it came.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_cleaned_reason: Option<String>,
    /// Names of the metadata fields removed ("GPS position", "author"), never their values.
    pub metadata_removed: Vec<String>,
}

/// An attachment as it arrived, before cleaning: evidence, sealed with the identity.
#[derive(Serialize, Deserialize, Zeroize, Default)]
#[serde(default)]
pub struct OriginalAttachment {
    /// Position in the report's attachment list, from 1.
    pub index: usize,
    pub name: Option<String>,
    /// SHA-256 of `data`, lower-case hex.
    pub sha256: String,
    #[serde(serialize_with = "base64_bytes", deserialize_with = "from_base64")]
    pub data: Vec<u8>,
    /// `data` is sealed apart with the cleaned copy, under the attachment's own key; empty here.
    #[serde(skip_serializing_if = "is_false")]
    pub apart: bool,
    /// The metadata values the cleaned copy no longer has.
    pub metadata: Vec<crate::clean::FoundValue>,
}

/// A part that arrived without encryption beside encrypted content: shown apart, never joined.
#[derive(Serialize, Deserialize, Zeroize, Default)]
#[serde(default)]
pub struct ReportPart {
    pub content_type: String,
    pub name: Option<String>,
    pub size: u64,
    pub sha256: String,
    /// The text, for text/* parts.
    pub text: Option<String>,
    /// Base64 of the bytes, for other parts.
    pub data: Option<String>,
}

/// What the reporter said. Sealed to handlers; serialized only into a zeroizing buffer for
/// sealing; wiped on drop.
#[derive(Serialize, Deserialize, Zeroize, ZeroizeOnDrop, Default)]
// Per field: a container default would move out of a ZeroizeOnDrop value.
pub struct Report {
    #[serde(default)]
    pub subject: Option<String>,
    /// Text body, or the HTML reduced to text when there is no text.
    #[serde(default)]
    pub body: Option<String>,
    #[serde(default)]
    pub html: Option<String>,
    #[serde(default)]
    pub attachments: Vec<ReportAttachment>,
    /// The content came out of a successful decryption.
    #[serde(default)]
    pub encrypted: bool,
    /// What the signatures say. None in records sealed before labels existed: see `signature()`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signature: Option<SignatureLabel>,
    /// Records sealed before labels existed said "signed" when a signature verified with any
    /// key, one inside the message included: read as "signer unknown", never written.
    #[serde(default, skip_serializing)]
    pub signed: bool,
    /// The subject was sent outside the encryption (no protected subject inside): anyone on the
    /// way could read or change it.
    #[serde(default)]
    pub subject_outside_encryption: bool,
    /// What only the decryption-only policy let through (`weak-encryption`, ...): the reporter
    /// used an old client or an old intake key.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub decryption_flags: Vec<String>,
    #[serde(default)]
    pub unencrypted_parts: Vec<ReportPart>,
    /// A protected-headers legacy display part was dropped.
    #[serde(default)]
    pub legacy_display_removed: bool,
    /// Day the gateway received the message (YYYY-MM-DD); the only date a case keeps.
    #[serde(default)]
    pub received_at: String,
}

impl Report {
    /// The signature label, for records of any age.
    pub fn signature(&self) -> SignatureLabel {
        self.signature.unwrap_or(if self.signed {
            SignatureLabel::UnknownSigner
        } else {
            SignatureLabel::Unsigned
        })
    }
}

impl fmt::Debug for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let body = self.body.as_ref().map_or(0, String::len);
        write!(
            f,
            "Report(<redacted, {body} bytes, {} attachments>)",
            self.attachments.len()
        )
    }
}

/// The two halves, sealed to different readers.
pub struct Split {
    pub identity: SenderIdentity,
    pub report: Report,
}

impl fmt::Debug for Split {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Split {{ {:?}, {:?} }}", self.identity, self.report)
    }
}

/// Subjects that say nothing: what clients put outside when the real subject is protected.
const PLACEHOLDER_SUBJECTS: &[&str] = &[
    "...",
    "…",
    "[...]",
    "encrypted message",
    "encrypted subject",
    "pgp encrypted message",
];

/// Outer header fields that authenticate the path a message took.
const AUTH_FIELDS: &[&str] = &[
    "dkim-signature",
    "arc-seal",
    "arc-message-signature",
    "arc-authentication-results",
    "authentication-results",
    "received-spf",
];

/// Splits one parsed message. `outer` is the envelope's header block, `content` the readable
/// entity (decrypted payload or the plain message), `unencrypted_parts` what was sent beside
/// the ciphertext.
pub fn split(
    outer: &HeaderBlock,
    mut content: Content,
    traces: PgpTraces,
    unencrypted_parts: Vec<LoosePart>,
    received_at: NaiveDate,
) -> Split {
    let mut identity = identity_from_outer(outer);

    for key in &content.attached_keys {
        identity.attached_keys.push(armor_or_base64(key));
    }
    for sig in &content.detached_signatures {
        identity.detached_signatures.push(armor_or_base64(sig));
    }
    if traces.encrypted {
        for f in &content.headers.fields {
            let lower = f.name.to_ascii_lowercase();
            if lower == "subject" || lower.starts_with("content-") || lower == "mime-version" {
                continue;
            }
            let field = Field {
                name: f.name.clone(),
                value: f.value.to_string(),
            };
            if lower.starts_with("autocrypt") {
                identity.autocrypt.push(field.clone());
            }
            identity.protected_headers.push(field);
        }
    }
    identity.openpgp = OpenPgpIdentity {
        signatures: traces
            .signatures
            .iter()
            .map(|(issuer, verified, trusted)| SignatureTrace {
                issuer: issuer.clone(),
                verified: *verified,
                trusted: *trusted,
            })
            .collect(),
        foreign_recipients: traces.foreign_recipients.clone(),
        literal_filename: traces
            .literal_filename
            .as_deref()
            .map(|n| crate::mail::sanitize::one_line(&String::from_utf8_lossy(n))),
        literal_date: traces.literal_date,
    };

    let outer_subject = outer
        .first("Subject")
        .map(str::trim)
        .filter(|s| !is_placeholder(s));
    let protected_subject = content
        .subject
        .as_deref()
        .map(|s| s.trim())
        .filter(|s| !is_placeholder(s));
    // Under encryption, an outer subject standing in for a missing protected one travelled in
    // the clear and is said to have.
    let subject_outside_encryption =
        traces.encrypted && protected_subject.is_none() && outer_subject.is_some();
    let subject = protected_subject.or(outer_subject).map(str::to_owned);
    let signature = match traces.signature {
        // A multipart/signed part nobody verified is still a signature, of an unknown signer.
        SignatureLabel::Unsigned if !content.detached_signatures.is_empty() => {
            SignatureLabel::UnknownSigner
        }
        label => label,
    };

    let body = content
        .text
        .as_deref()
        .or(content.html_as_text.as_deref())
        .map(|s| s.to_string());

    let mut report = Report {
        subject,
        body,
        html: content.html.as_deref().map(|s| s.to_string()),
        attachments: Vec::new(),
        encrypted: traces.encrypted,
        signature: Some(signature),
        signed: false,
        subject_outside_encryption,
        decryption_flags: traces.legacy.clone(),
        unencrypted_parts: Vec::new(),
        legacy_display_removed: content.legacy_display_removed,
        received_at: received_at.format("%Y-%m-%d").to_string(),
    };

    let limits = crate::clean::CleanLimits::default();
    for (i, a) in std::mem::take(&mut content.attachments)
        .into_iter()
        .enumerate()
    {
        let (attachment, original) = clean_attachment(a, i + 1, &limits);
        report.attachments.push(attachment);
        identity.original_attachments.extend(original);
    }

    for part in &unencrypted_parts {
        match part.content_type.as_str() {
            // Keys and signatures name the sender, wherever they were sent.
            "application/pgp-keys" => identity.attached_keys.push(armor_or_base64(&part.data)),
            "application/pgp-signature" => {
                identity
                    .detached_signatures
                    .push(armor_or_base64(&part.data));
            }
            _ => report.unencrypted_parts.push(report_part(part)),
        }
    }

    Split { identity, report }
}

/// The report's copy of an attachment, cleaned when its format is known, and the original for
/// the identity record when cleaning changed anything (the two together stay within twice the
/// attachment's size).
fn clean_attachment(
    mut a: crate::mail::content::Attachment,
    index: usize,
    limits: &crate::clean::CleanLimits,
) -> (ReportAttachment, Option<OriginalAttachment>) {
    use crate::clean::Outcome;
    let name = a.name.as_ref().map(|n| n.as_str().to_owned());
    let outcome = crate::clean::clean(&a.data, limits);
    // The bytes are moved, not copied, from the zeroizing buffers into the zeroize-on-drop
    // records: at most the cleaned copy and the original are held per attachment.
    let kept = |a: &mut crate::mail::content::Attachment, cleaned: bool, reason: Option<String>| {
        ReportAttachment {
            name: name.clone(),
            content_type: a.content_type.clone(),
            size: a.data.len() as u64,
            sha256: sha256_hex(&a.data),
            data: std::mem::take(&mut *a.data),
            apart: false,
            destroy_by: None,
            destroyed_on: None,
            cleaned,
            not_cleaned_reason: reason,
            metadata_removed: Vec::new(),
        }
    };
    match outcome {
        Outcome::NoMetadata => (kept(&mut a, true, None), None),
        Outcome::NotCleaned { reason } => (kept(&mut a, false, Some(reason)), None),
        Outcome::Cleaned(c) if c.removed.is_empty() && c.data.as_slice() == a.data.as_slice() => {
            (kept(&mut a, true, None), None)
        }
        Outcome::Cleaned(mut c) => {
            let report = ReportAttachment {
                name: name.clone(),
                content_type: a.content_type.clone(),
                size: c.data.len() as u64,
                sha256: sha256_hex(&c.data),
                data: std::mem::take(&mut *c.data),
                apart: false,
                destroy_by: None,
                destroyed_on: None,
                cleaned: true,
                not_cleaned_reason: None,
                metadata_removed: std::mem::take(&mut c.removed),
            };
            let original = OriginalAttachment {
                index,
                name,
                sha256: sha256_hex(&a.data),
                data: std::mem::take(&mut *a.data),
                apart: false,
                metadata: std::mem::take(&mut c.found_values),
            };
            (report, Some(original))
        }
    }
}

fn is_placeholder(subject: &str) -> bool {
    let s = subject.trim();
    s.is_empty()
        || PLACEHOLDER_SUBJECTS
            .iter()
            .any(|p| s.eq_ignore_ascii_case(p))
}

fn report_part(part: &LoosePart) -> ReportPart {
    let is_text = part.content_type.starts_with("text/");
    ReportPart {
        content_type: part.content_type.clone(),
        name: part.name.as_ref().map(|n| n.as_str().to_owned()),
        size: part.data.len() as u64,
        sha256: sha256_hex(&part.data),
        text: is_text.then(|| String::from_utf8_lossy(&part.data).into_owned()),
        data: (!is_text).then(|| base64(&part.data).to_string()),
    }
}

/// Identity fields from the outer header block, re-parsed with mail-parser's structured
/// parsers (addresses, Received) from the raw bytes.
fn identity_from_outer(outer: &HeaderBlock) -> SenderIdentity {
    let mut id = SenderIdentity::default();
    id.headers = outer
        .fields
        .iter()
        .map(|f| Field {
            name: f.name.clone(),
            value: f.value.to_string(),
        })
        .collect();
    id.raw_headers = String::from_utf8_lossy(&outer.raw).into_owned();
    id.date_header = outer.first("Date").map(str::to_owned);
    id.message_id = outer.first("Message-ID").map(str::to_owned);
    for f in &outer.fields {
        let lower = f.name.to_ascii_lowercase();
        let field = || Field {
            name: f.name.clone(),
            value: f.value.to_string(),
        };
        match lower.as_str() {
            "user-agent" | "x-mailer" => id.user_agent.push(f.value.to_string()),
            "x-originating-ip" => id.x_originating_ip.push(f.value.to_string()),
            "received" => id.received.push(f.value.to_string()),
            "in-reply-to" => id.in_reply_to.push(f.value.to_string()),
            "references" => id.references.push(f.value.to_string()),
            "return-path" => id.return_path.push(f.value.to_string()),
            "autocrypt" | "autocrypt-gossip" => id.autocrypt.push(field()),
            l if AUTH_FIELDS.contains(&l) || l.starts_with("arc-") => {
                id.authentication.push(field());
            }
            _ => {}
        }
    }

    // Structured views from the raw block; the header size was bounded by the envelope.
    let parsed =
        std::panic::catch_unwind(|| MessageParser::default().parse_headers(&outer.raw[..]))
            .ok()
            .flatten();
    if let Some(msg) = parsed {
        for h in msg
            .parts
            .first()
            .map(|p| p.headers.as_slice())
            .unwrap_or_default()
        {
            let target = match &h.name {
                HeaderName::From => &mut id.from,
                HeaderName::Sender => &mut id.sender,
                HeaderName::ReplyTo => &mut id.reply_to,
                HeaderName::To => &mut id.to,
                HeaderName::Cc => &mut id.cc,
                HeaderName::Received => {
                    if let HeaderValue::Received(r) = &h.value {
                        let mut push = |s: String| {
                            let s = crate::mail::sanitize::one_line(&s);
                            if !s.is_empty() && !id.received_hosts_ips.contains(&s) {
                                id.received_hosts_ips.push(s);
                            }
                        };
                        for host in [r.from(), r.by(), r.helo()].into_iter().flatten() {
                            push(host_string(host));
                        }
                        if let Some(ip) = r.from_ip() {
                            push(ip.to_string());
                        }
                        if let Some(rev) = r.from_iprev() {
                            push(rev.to_owned());
                        }
                    }
                    continue;
                }
                _ => continue,
            };
            if let HeaderValue::Address(a) = &h.value {
                target.extend(addresses(a));
            }
        }
    }
    for ip in &id.x_originating_ip {
        let ip = ip
            .trim_matches(|c| c == '[' || c == ']' || c == ' ')
            .to_owned();
        if !ip.is_empty() && !id.received_hosts_ips.contains(&ip) {
            id.received_hosts_ips.push(ip);
        }
    }
    id
}

fn host_string(host: &Host<'_>) -> String {
    match host {
        Host::Name(n) => n.to_string(),
        Host::IpAddr(ip) => ip.to_string(),
    }
}

fn addresses(a: &Address<'_>) -> Vec<String> {
    a.iter()
        .map(|addr| {
            let name = addr.name().map(crate::mail::sanitize::one_line);
            let email = addr.address().map(crate::mail::sanitize::one_line);
            match (name, email) {
                (Some(n), Some(e)) if !n.is_empty() => format!("{n} <{e}>"),
                (_, Some(e)) => e,
                (Some(n), None) => n,
                (None, None) => String::new(),
            }
        })
        .filter(|s| !s.is_empty())
        .collect()
}

fn armor_or_base64(data: &[u8]) -> String {
    match std::str::from_utf8(data) {
        Ok(s) if s.trim_start().starts_with("-----BEGIN PGP") => s.to_owned(),
        _ => base64(data).to_string(),
    }
}

fn sha256_hex(data: &[u8]) -> String {
    hex::encode(Sha256::digest(data))
}

/// Standard base64 with padding (RFC 4648), into a zeroizing buffer.
fn base64(data: &[u8]) -> Zeroizing<String> {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let sym = |i: u32| char::from(ALPHABET.get((i & 63) as usize).copied().unwrap_or(b'='));
    let mut out = Zeroizing::new(String::with_capacity(data.len().div_ceil(3) * 4));
    for chunk in data.chunks(3) {
        let b = |i: usize| u32::from(chunk.get(i).copied().unwrap_or(0));
        let n = (b(0) << 16) | (b(1) << 8) | b(2);
        out.push(sym(n >> 18));
        out.push(sym(n >> 12));
        out.push(if chunk.len() > 1 { sym(n >> 6) } else { '=' });
        out.push(if chunk.len() > 2 { sym(n) } else { '=' });
    }
    out
}

fn base64_bytes<S: Serializer>(data: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&base64(data))
}

/// Reads back what [`base64_bytes`] wrote (an opened record), without a non-zeroizing copy
/// of the text surviving.
fn from_base64<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<u8>, D::Error> {
    use base64::Engine as _;
    let text = Zeroizing::new(String::deserialize(d)?);
    base64::engine::general_purpose::STANDARD
        .decode(text.as_bytes())
        .map_err(serde::de::Error::custom)
}

#[cfg(test)]
#[path = "split_tests.rs"]
mod tests;
