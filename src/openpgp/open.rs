//! Opening reporters' encrypted mail with the intake keyring. Keeps "integrity failure yields
//! no plaintext": the whole plaintext is buffered (capped, also against decompression bombs)
//! and returned only after Sequoia reached the end and checked the MDC/AEAD tag.

use std::borrow::Cow;
use std::time::UNIX_EPOCH;

use sequoia_openpgp as sq;
use sq::packet::key::{SecretParts, UnspecifiedRole};
use sq::packet::{Key, Tag, PKESK, SKESK};
use sq::parse::stream::{
    DecryptionHelper, DecryptorBuilder, MessageLayer, MessageStructure, VerificationError,
    VerificationHelper,
};
use sq::parse::{PacketParser, Parse};
use sq::policy::Policy as _;
use sq::types::SymmetricAlgorithm;
use sq::{crypto::SessionKey, Cert, KeyHandle, Packet};
use zeroize::Zeroizing;

use super::keys::IntakeKeyring;
use super::{classify, WILDCARD_KEY_ID};
use super::{
    classify_anyhow, keyid_hex, read_capped, Failure, ReadCapError, INTAKE_POLICY, POLICY,
};

/// Upper bound for Sequoia's read-ahead buffer. It may stay small: we buffer the whole
/// plaintext ourselves and release nothing before the end, so Sequoia's hold-back is not
/// what protects us, and every byte it buffers is memory on top of ours (it holds up to
/// twice this while streaming).
const MAX_SEQUOIA_BUFFER: usize = 1024 * 1024;

/// Limits applied while opening a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OpenLimits {
    /// Largest plaintext accepted, counted after decompression.
    pub max_plaintext_bytes: usize,
    /// Most public-key encrypted session key packets (recipients) accepted.
    pub max_pkesks: usize,
}

impl Default for OpenLimits {
    fn default() -> Self {
        OpenLimits {
            max_plaintext_bytes: 64 * 1024 * 1024,
            max_pkesks: 64,
        }
    }
}

/// A decrypted, integrity-checked message.
pub struct Opened {
    /// The literal data.
    pub plaintext: Zeroizing<Vec<u8>>,
    /// What the OpenPGP layer revealed besides the plaintext (may identify the sender).
    pub meta: PgpMetadata,
}

impl std::fmt::Debug for Opened {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Opened(<redacted, {} bytes>, {:?})",
            self.plaintext.len(),
            self.meta
        )
    }
}

/// OpenPGP metadata of an opened message. Recipients, issuers and the literal file name can
/// identify the sender: treat all of it as identity data.
#[derive(Clone, PartialEq, Eq)]
pub struct PgpMetadata {
    /// Fingerprint of our intake (sub)key that decrypted the session key.
    pub decrypted_with: String,
    /// Key IDs (hex) of all PKESK recipients in order, wildcards as `0000000000000000`.
    pub recipients: Vec<String>,
    /// One entry per signature found.
    pub signatures: Vec<SignatureInfo>,
    /// Raw file name from the literal data packet (e.g. `C:\Users\name\...`).
    pub literal_filename: Option<Vec<u8>>,
    /// Date from the literal data packet, Unix seconds (absent when zero).
    pub literal_date: Option<i64>,
    /// Whether a compressed data packet was present.
    pub compressed: bool,
    /// What only the decryption-only policy let through, as stable codes for an admin:
    /// `weak-encryption` (an old cipher), `weak-intake-key` (a key the standard policy refuses:
    /// SHA-1 binding, 1024 bits, ElGamal), `expired-intake-key`, `revoked-intake-key`.
    pub legacy: Vec<&'static str>,
}

impl std::fmt::Debug for PgpMetadata {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Counts only: recipients, issuers and file names are identity data.
        f.debug_struct("PgpMetadata")
            .field("decrypted_with", &self.decrypted_with)
            .field("recipients", &self.recipients.len())
            .field("signatures", &self.signatures.len())
            .field(
                "literal_filename",
                &self.literal_filename.as_ref().map(|_| "<redacted>"),
            )
            .field("literal_date", &self.literal_date.map(|_| "<redacted>"))
            .field("compressed", &self.compressed)
            .finish()
    }
}

/// One signature over the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureInfo {
    /// Signer's certificate fingerprint when verified; else the issuer fingerprint from the
    /// signature if present, else its issuer key ID; empty if the signature names none.
    pub issuer: String,
    /// Verification result.
    pub status: SignatureStatus,
}

/// Result of checking one signature.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SignatureStatus {
    /// Verified against one of the given signer certificates.
    Good,
    /// The key is known and valid but the signature does not match.
    Bad,
    /// No certificate for the issuer was given.
    UnknownKey,
    /// Cannot be checked (malformed, key not bound or not alive, policy).
    Unverifiable,
}

/// Why a message could not be opened. No variant carries content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OpenError {
    /// None of our keys can decrypt it; lists all recipient key IDs.
    #[error("no intake key matches the message's {} recipient(s)", recipients.len())]
    NoMatchingKey {
        /// Key IDs (hex) of all PKESK recipients.
        recipients: Vec<String>,
    },
    /// The MDC/AEAD check failed, or the decrypted layer was corrupt.
    #[error("integrity check failed")]
    Integrity,
    /// Not a well-formed OpenPGP message.
    #[error("malformed OpenPGP message: {detail}")]
    Malformed {
        /// Fixed label, never content.
        detail: String,
    },
    /// The plaintext (after decompression) exceeds the limit.
    #[error("plaintext exceeds {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// More PKESK packets than allowed.
    #[error("more than {limit} recipients")]
    TooManyRecipients {
        /// The limit.
        limit: usize,
    },
    /// The standard policy refused something (e.g. SED without MDC, a weak algorithm).
    #[error("refused by policy: {detail}")]
    PolicyRejected {
        /// What was refused (Sequoia's name of an algorithm or packet type).
        detail: String,
    },
    /// Only password-encrypted (SKESK) session keys: not for us.
    #[error("message is encrypted with a password only")]
    Symmetric,
    /// The message is not encrypted (or its literal data is outside the encryption).
    #[error("message is not encrypted")]
    NotEncrypted,
}

impl OpenError {
    /// Short stable code for quarantine reasons and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            OpenError::NoMatchingKey { .. } => "openpgp-no-matching-key",
            OpenError::Integrity => "openpgp-integrity",
            OpenError::Malformed { .. } => "openpgp-malformed",
            OpenError::TooLarge { .. } => "openpgp-too-large",
            OpenError::TooManyRecipients { .. } => "openpgp-too-many-recipients",
            OpenError::PolicyRejected { .. } => "openpgp-policy-rejected",
            OpenError::Symmetric => "openpgp-symmetric",
            OpenError::NotEncrypted => "openpgp-not-encrypted",
        }
    }
}

/// Decrypts `ciphertext` (armored or binary) with any key in `keyring`, verifying signatures
/// against `signer_certs`. Returns the plaintext only after the whole message was read and
/// authenticated. Never panics on input (a panic inside Sequoia is caught and reported as
/// malformed input).
pub fn open(
    keyring: &IntakeKeyring,
    ciphertext: &[u8],
    signer_certs: &[Cert],
    limits: &OpenLimits,
) -> Result<Opened, OpenError> {
    let keys: Vec<(&Key<SecretParts, UnspecifiedRole>, &Cert)> = keyring.secrets().collect();
    decrypt_with(&keys, ciphertext, signer_certs, limits)
}

/// Shared by [`open`] and sealed-blob unsealing: decrypt with the given unlocked keys.
pub(crate) fn decrypt_with(
    keys: &[(&Key<SecretParts, UnspecifiedRole>, &Cert)],
    ciphertext: &[u8],
    signer_certs: &[Cert],
    limits: &OpenLimits,
) -> Result<Opened, OpenError> {
    // Defence in depth: Sequoia asserts internally; a hostile message must not take the
    // gateway down.
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        decrypt_inner(keys, ciphertext, signer_certs, limits)
    }))
    .unwrap_or_else(|_| {
        Err(OpenError::Malformed {
            detail: "internal error while parsing".to_owned(),
        })
    })
}

/// What the helper learned while Sequoia parsed the message.
#[derive(Default)]
struct State {
    recipients: Vec<String>,
    pkesk_count: usize,
    decrypted_with: Option<String>,
    literal_filename: Option<Vec<u8>>,
    literal_date: Option<i64>,
    compressed: bool,
    outermost_encrypted: bool,
    quick_check_failed: bool,
    legacy: Vec<&'static str>,
    signatures: Vec<SignatureInfo>,
    /// A precise error decided in a callback; takes precedence over Sequoia's error.
    failure: Option<OpenError>,
}

struct Helper<'s, 'k> {
    state: &'s mut State,
    keys: &'k [(&'k Key<SecretParts, UnspecifiedRole>, &'k Cert)],
    signer_certs: &'k [Cert],
    max_pkesks: usize,
}

impl VerificationHelper for Helper<'_, '_> {
    fn inspect(&mut self, pp: &PacketParser) -> sq::Result<()> {
        match &pp.packet {
            Packet::PKESK(p) => {
                self.state.pkesk_count += 1;
                self.state.recipients.push(
                    p.recipient()
                        .map(|h| keyid_hex(&h))
                        .unwrap_or_else(|| WILDCARD_KEY_ID.to_owned()),
                );
            }
            Packet::Unknown(u) if u.tag() == Tag::PKESK => {
                // Unparsed (e.g. unsupported algorithm), yet a v3 PKESK still names its
                // recipient in bytes 1..9: report it, it may identify the sender.
                self.state.pkesk_count += 1;
                let body = u.body();
                if body.first() == Some(&3) {
                    if let Some(id) = body.get(1..9) {
                        self.state
                            .recipients
                            .push(sq::KeyID::from_bytes(id).to_hex());
                    }
                }
            }
            Packet::CompressedData(_) => self.state.compressed = true,
            Packet::Literal(l) => {
                self.state.literal_filename = l.filename().map(<[u8]>::to_vec);
                self.state.literal_date = l.date().and_then(|d| {
                    d.duration_since(UNIX_EPOCH)
                        .ok()
                        .and_then(|d| i64::try_from(d.as_secs()).ok())
                });
            }
            _ => {}
        }
        if self.state.pkesk_count > self.max_pkesks {
            self.state.failure = Some(OpenError::TooManyRecipients {
                limit: self.max_pkesks,
            });
            return Err(anyhow::anyhow!("too many PKESK packets"));
        }
        Ok(())
    }

    fn get_certs(&mut self, _ids: &[KeyHandle]) -> sq::Result<Vec<Cert>> {
        Ok(self.signer_certs.to_vec())
    }

    fn check(&mut self, structure: MessageStructure) -> sq::Result<()> {
        for (depth, layer) in structure.into_iter().enumerate() {
            match layer {
                MessageLayer::Encryption { .. } if depth == 0 => {
                    self.state.outermost_encrypted = true;
                }
                MessageLayer::SignatureGroup { results } => {
                    for r in results {
                        self.state.signatures.push(signature_info(&r));
                    }
                }
                _ => {}
            }
        }
        // Signatures never decide whether a message opens; the caller judges them.
        Ok(())
    }
}

fn signature_info(r: &Result<sq::parse::stream::GoodChecksum, VerificationError>) -> SignatureInfo {
    let issuer_of = |sig: &sq::packet::Signature| {
        let issuers = sig.get_issuers();
        issuers
            .iter()
            .find(|h| matches!(h, KeyHandle::Fingerprint(_)))
            .or_else(|| issuers.first())
            .map(|h| match h {
                KeyHandle::Fingerprint(f) => f.to_hex(),
                KeyHandle::KeyID(k) => k.to_hex(),
            })
            .unwrap_or_default()
    };
    match r {
        // Decryption runs under the intake policy; a signature is judged under the standard
        // one: a SHA-1 signature, or a signer key bound only by one, verifies nothing.
        Ok(good) => SignatureInfo {
            issuer: good.ka.cert().fingerprint().to_hex(),
            status: if POLICY
                .signature(good.sig, sq::policy::HashAlgoSecurity::CollisionResistance)
                .is_ok()
                && good.ka.cert().with_policy(&POLICY, None).is_ok()
            {
                SignatureStatus::Good
            } else {
                SignatureStatus::Unverifiable
            },
        },
        Err(VerificationError::MissingKey { sig }) => SignatureInfo {
            issuer: issuer_of(sig),
            status: SignatureStatus::UnknownKey,
        },
        Err(VerificationError::BadSignature { ka, .. }) => SignatureInfo {
            issuer: ka.cert().fingerprint().to_hex(),
            status: SignatureStatus::Bad,
        },
        Err(VerificationError::UnboundKey { cert, .. }) => SignatureInfo {
            issuer: cert.fingerprint().to_hex(),
            status: SignatureStatus::Unverifiable,
        },
        Err(VerificationError::BadKey { ka, .. }) => SignatureInfo {
            issuer: ka.cert().fingerprint().to_hex(),
            status: SignatureStatus::Unverifiable,
        },
        Err(VerificationError::MalformedSignature { sig, .. }) => SignatureInfo {
            issuer: issuer_of(sig),
            status: SignatureStatus::Unverifiable,
        },
        Err(_) => SignatureInfo {
            issuer: String::new(),
            status: SignatureStatus::Unverifiable,
        },
    }
}

impl DecryptionHelper for Helper<'_, '_> {
    fn decrypt(
        &mut self,
        pkesks: &[PKESK],
        skesks: &[SKESK],
        sym_algo: Option<SymmetricAlgorithm>,
        decrypt: &mut dyn FnMut(Option<SymmetricAlgorithm>, &SessionKey) -> bool,
    ) -> sq::Result<Option<Cert>> {
        for pkesk in pkesks {
            let recipient = pkesk.recipient();
            for (key, cert) in self.keys {
                // A wildcard recipient may be any of our keys: try them all.
                let matches = recipient
                    .as_ref()
                    .is_none_or(|r| r.aliases(KeyHandle::from(key.keyid())));
                if !matches {
                    continue;
                }
                let decrypted = if super::elgamal::is_elgamal(key) {
                    super::elgamal::decrypt_session_key(key, pkesk.esk())
                        .map(|(algo, sk)| (Some(algo), sk))
                } else {
                    let Ok(mut pair) = (*key).clone().into_keypair() else {
                        continue;
                    };
                    pkesk.decrypt(&mut pair, sym_algo)
                };
                if let Some((algo, sk)) = decrypted {
                    if decrypt(algo, &sk) {
                        self.state.decrypted_with = Some(key.fingerprint().to_hex());
                        self.state.legacy = legacy(cert, key, algo);
                        return Ok(Some((*cert).clone()));
                    }
                    // A session key addressed to our key by name that fails the quick check
                    // means the start of the encrypted data was altered.
                    if recipient.is_some() {
                        self.state.quick_check_failed = true;
                    }
                }
            }
        }
        self.state.failure = Some(if self.state.quick_check_failed {
            OpenError::Integrity
        } else if pkesks.is_empty() && !skesks.is_empty() {
            OpenError::Symmetric
        } else {
            OpenError::NoMatchingKey {
                recipients: self.state.recipients.clone(),
            }
        });
        Err(anyhow::anyhow!("no matching key"))
    }
}

/// Why reading failed, before mapping with the helper's state.
enum RunError {
    Sequoia(anyhow::Error),
    Io(std::io::Error),
    TooLarge,
}

/// The likely plaintext length of `binary` bytes of OpenPGP: GnuPG compresses by default, and
/// the bulk of a large message, base64-encoded attachments, compresses to about 3/4. Reserved
/// at once, so that such a message is read without a second buffer; what is reserved and
/// unused is wiped on drop, so the guess stays close.
fn likely_plaintext(binary: usize) -> usize {
    binary.saturating_add(binary / 2)
}

fn run(
    helper: Helper<'_, '_>,
    binary: &[u8],
    limits: &OpenLimits,
) -> Result<Zeroizing<Vec<u8>>, RunError> {
    let buffer = limits
        .max_plaintext_bytes
        .saturating_add(1)
        .min(MAX_SEQUOIA_BUFFER);
    let mut decryptor = DecryptorBuilder::from_bytes(binary)
        .map_err(RunError::Sequoia)?
        .buffer_size(buffer)
        .with_policy(&*INTAKE_POLICY, None, helper)
        .map_err(RunError::Sequoia)?;
    let plaintext = read_capped(
        &mut decryptor,
        limits.max_plaintext_bytes,
        likely_plaintext(binary.len()),
    )
    .map_err(|e| match e {
        ReadCapError::TooLarge => RunError::TooLarge,
        ReadCapError::Read(io) => RunError::Io(io),
    })?;
    if !decryptor.message_processed() {
        // EOF without Sequoia having authenticated the message: never hand this out.
        return Err(RunError::Sequoia(anyhow::anyhow!(
            sq::Error::ManipulatedMessage
        )));
    }
    Ok(plaintext)
}

fn decrypt_inner(
    keys: &[(&Key<SecretParts, UnspecifiedRole>, &Cert)],
    ciphertext: &[u8],
    signer_certs: &[Cert],
    limits: &OpenLimits,
) -> Result<Opened, OpenError> {
    let binary = dearmor(ciphertext)?;
    let mut state = State::default();
    let helper = Helper {
        state: &mut state,
        keys,
        signer_certs,
        max_pkesks: limits.max_pkesks,
    };
    let result = run(helper, &binary, limits);
    let plaintext = match result {
        Ok(p) => p,
        Err(e) => return Err(map_failure(e, &mut state, limits)),
    };
    if state.decrypted_with.is_none() || !state.outermost_encrypted {
        // Sequoia also "opens" unencrypted messages; such plaintext is dropped (and wiped).
        return Err(OpenError::NotEncrypted);
    }
    Ok(Opened {
        plaintext,
        meta: PgpMetadata {
            decrypted_with: state.decrypted_with.unwrap_or_default(),
            recipients: state.recipients,
            signatures: state.signatures,
            literal_filename: state.literal_filename,
            literal_date: state.literal_date.filter(|d| *d != 0),
            compressed: state.compressed,
            legacy: state.legacy,
        },
    })
}

/// What of this decryption the standard policy would have refused (see `PgpMetadata::legacy`).
fn legacy(
    cert: &Cert,
    key: &Key<SecretParts, UnspecifiedRole>,
    algo: Option<SymmetricAlgorithm>,
) -> Vec<&'static str> {
    let mut out = Vec::new();
    if algo.is_some_and(|a| POLICY.symmetric_algorithm(a).is_err()) {
        out.push("weak-encryption");
    }
    let handle = KeyHandle::from(key.keyid());
    let strict = cert
        .with_policy(&POLICY, None)
        .ok()
        .is_some_and(|vc| vc.keys().key_handle(handle.clone()).next().is_some());
    if !strict {
        out.push("weak-intake-key");
    }
    if let Ok(vc) = cert.with_policy(&*INTAKE_POLICY, None) {
        if vc
            .keys()
            .key_handle(handle.clone())
            .alive()
            .next()
            .is_none()
            || vc.alive().is_err()
        {
            out.push("expired-intake-key");
        }
        if vc.keys().key_handle(handle).revoked(false).next().is_none()
            || !matches!(
                vc.revocation_status(),
                sq::types::RevocationStatus::NotAsFarAsWeKnow
            )
        {
            out.push("revoked-intake-key");
        }
    }
    out
}

fn map_failure(e: RunError, state: &mut State, limits: &OpenLimits) -> OpenError {
    if let Some(f) = state.failure.take() {
        return f;
    }
    let failure = match &e {
        RunError::TooLarge => {
            return OpenError::TooLarge {
                limit: limits.max_plaintext_bytes,
            }
        }
        RunError::Sequoia(err) => classify_anyhow(err),
        RunError::Io(io) => classify(io),
    };
    let decrypted = state.decrypted_with.is_some();
    match failure {
        Failure::Manipulated => OpenError::Integrity,
        Failure::Policy(what) => OpenError::PolicyRejected { detail: what },
        // Once decrypted, a broken inner layer cannot be told apart from tampering: the MDC
        // was never reached. Treat it as an integrity failure.
        _ if decrypted => OpenError::Integrity,
        Failure::Malformed(l) | Failure::Unsupported(l) | Failure::Other(l) => {
            OpenError::Malformed {
                detail: l.to_owned(),
            }
        }
    }
}

/// Whitespace found around armor lines in mail: ASCII blanks, and NBSP (UTF-8 or Latin-1)
/// that some clients put into the blank separator line.
fn trim_line(mut line: &[u8]) -> &[u8] {
    loop {
        line = line.trim_ascii();
        if let Some(rest) = line.strip_prefix(b"\xc2\xa0") {
            line = rest;
        } else if let Some(rest) = line.strip_suffix(b"\xc2\xa0") {
            line = rest;
        } else if let Some(rest) = line.strip_prefix(b"\xa0") {
            line = rest;
        } else if let Some(rest) = line.strip_suffix(b"\xa0") {
            line = rest;
        } else {
            return line;
        }
    }
}

const BEGIN: &[u8] = b"-----BEGIN PGP MESSAGE-----";
const END: &[u8] = b"-----END PGP MESSAGE-----";

/// Returns binary OpenPGP data. Armored input is normalised line by line (CRLF, blanks,
/// NBSP) and decoded; text before or after the armored block is refused, so nothing
/// unencrypted travels along unnoticed.
fn dearmor(input: &[u8]) -> Result<Cow<'_, [u8]>, OpenError> {
    let malformed = |d: &str| OpenError::Malformed {
        detail: d.to_owned(),
    };
    let lines: Vec<&[u8]> = input.split(|b| *b == b'\n').map(trim_line).collect();
    let Some(begin) = lines.iter().position(|l| !l.is_empty()) else {
        return Err(malformed("empty input"));
    };
    let first = lines.get(begin).copied().unwrap_or_default();
    if !first.starts_with(b"-----BEGIN PGP") {
        // Binary OpenPGP always has the high bit set in its first byte.
        return match input.first() {
            Some(b) if b & 0x80 != 0 => Ok(Cow::Borrowed(input)),
            _ => Err(malformed("neither binary OpenPGP nor an armored message")),
        };
    }
    if first != BEGIN {
        return Err(malformed("armor is not a PGP MESSAGE"));
    }
    let Some(end_rel) = lines.iter().skip(begin).position(|l| *l == END) else {
        return Err(malformed("armor without end line"));
    };
    let end = begin + end_rel;
    if lines.iter().skip(end + 1).any(|l| !l.is_empty()) {
        return Err(malformed("text after the armored block"));
    }
    // The trimmed lines are streamed to the armor reader, not copied into a normalized text
    // first: a 25 MiB armored message is then held once, not twice, while it is decoded.
    let armored = lines.get(begin..=end).unwrap_or_default();
    let armored_len: usize = armored.iter().map(|l| l.len() + 1).sum();
    let mut reader = sq::armor::Reader::from_reader(
        Lines {
            lines: armored,
            at: 0,
            offset: 0,
        },
        sq::armor::ReaderMode::Tolerant(Some(sq::armor::Kind::Message)),
    );
    let mut out = Vec::with_capacity(armored_len / 4 * 3 + 1024);
    std::io::Read::read_to_end(&mut reader, &mut out).map_err(|_| malformed("bad armor"))?;
    if out.is_empty() {
        return Err(malformed("empty armor"));
    }
    Ok(Cow::Owned(out))
}

/// Reads lines back as text, each ended by `\n`.
struct Lines<'a> {
    lines: &'a [&'a [u8]],
    at: usize,
    offset: usize,
}

impl std::io::Read for Lines<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut n = 0;
        while n < buf.len() {
            let Some(line) = self.lines.get(self.at) else {
                break;
            };
            let rest = line.get(self.offset..).unwrap_or_default();
            let room = buf.len() - n;
            if rest.len() >= room {
                if let (Some(dst), Some(src)) = (buf.get_mut(n..), rest.get(..room)) {
                    dst.copy_from_slice(src);
                }
                self.offset += room;
                return Ok(n + room);
            }
            if let Some(dst) = buf.get_mut(n..n + rest.len()) {
                dst.copy_from_slice(rest);
            }
            n += rest.len();
            if let Some(slot) = buf.get_mut(n) {
                *slot = b'\n';
                n += 1;
                self.at += 1;
                self.offset = 0;
            }
        }
        Ok(n)
    }
}
