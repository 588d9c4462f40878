//! Sealed storage: plaintext encrypted once (SEIPDv1 with MDC) and its session key wrapped
//! for each reader in separate PKESK packets, so readers change by re-wrapping, not by
//! re-encrypting content. The gateway seals with public keys only and cannot read back.

use sequoia_openpgp as sq;
use sq::crypto::{Password, SessionKey};
use sq::packet::key::{SecretParts, UnspecifiedRole};
use sq::packet::{pkesk::PKESK3, Key, Packet};
use sq::parse::{PacketParser, PacketParserResult, Parse};
use sq::serialize::stream::{Encryptor, LiteralWriter, Message};
use sq::serialize::Serialize;
use sq::types::SymmetricAlgorithm;
use sq::{Cert, KeyID};
use zeroize::Zeroizing;

use super::keys::{encryption_keys, fingerprint_hex, KeyError};
use super::open::{decrypt_with, OpenError, OpenLimits};
use super::POLICY;

/// Cipher for sealed content: AES-256, read by every OpenPGP implementation.
const SEAL_CIPHER: SymmetricAlgorithm = SymmetricAlgorithm::AES256;

/// A sealed record: the wrapped session keys and the encrypted body, stored apart so the
/// first can be replaced without touching the second.
#[derive(Clone, PartialEq, Eq)]
pub struct SealedBlob {
    /// Serialized PKESK packets, one per reader encryption subkey.
    pub pkesks: Vec<u8>,
    /// Serialized SEIPD (version 1, with MDC) packet.
    pub body: Vec<u8>,
}

impl std::fmt::Debug for SealedBlob {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "SealedBlob(pkesks: {} bytes, body: {} bytes)",
            self.pkesks.len(),
            self.body.len()
        )
    }
}

/// Why sealing failed.
#[derive(Debug, thiserror::Error)]
pub enum SealError {
    /// No reader given: sealing to nobody would lose the data.
    #[error("no recipients")]
    NoRecipients,
    /// A reader's certificate cannot be encrypted to.
    #[error("recipient unusable: {0}")]
    Recipient(#[from] KeyError),
    /// Sequoia failed to encrypt (fixed label).
    #[error("encryption failed: {0}")]
    Encrypt(&'static str),
}

/// Why unsealing failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnsealError {
    /// The key is not among the blob's readers.
    #[error("key {fingerprint} is not a reader of this record")]
    NotARecipient {
        /// Primary fingerprint of the key tried.
        fingerprint: String,
    },
    /// The secret key is protected and the passphrase is missing or wrong.
    #[error("wrong or missing passphrase for key {fingerprint}")]
    WrongPassphrase {
        /// Primary fingerprint of the key tried.
        fingerprint: String,
    },
    /// The given certificate holds no secret encryption key.
    #[error("certificate {fingerprint} holds no secret encryption key")]
    NoSecretKey {
        /// Primary fingerprint.
        fingerprint: String,
    },
    /// The record was altered.
    #[error("integrity check failed")]
    Integrity,
    /// The plaintext exceeds the limit.
    #[error("plaintext exceeds {limit} bytes")]
    TooLarge {
        /// The limit in bytes.
        limit: usize,
    },
    /// The record is not a sealed OpenPGP message.
    #[error("malformed sealed record: {detail}")]
    Malformed {
        /// Fixed label.
        detail: String,
    },
}

/// The blob as one ordinary OpenPGP message (`gpg --decrypt` opens it).
pub fn message_bytes(blob: &SealedBlob) -> Vec<u8> {
    let mut out = Vec::with_capacity(blob.pkesks.len() + blob.body.len());
    out.extend_from_slice(&blob.pkesks);
    out.extend_from_slice(&blob.body);
    out
}

/// Encrypts `plaintext` to every currently valid encryption subkey of every recipient.
/// The literal packet carries no file name and a zero date.
pub fn seal(plaintext: &[u8], recipients: &[Cert]) -> Result<SealedBlob, SealError> {
    seal_with(recipients, plaintext.len(), |w| w.write_all(plaintext))
}

/// Like [`seal`], with the plaintext written by `write` straight into the encryption (of about
/// `size` bytes): a record serialized this way is never held in plaintext beside its sealed copy.
pub fn seal_with(
    recipients: &[Cert],
    size: usize,
    write: impl FnOnce(&mut dyn std::io::Write) -> std::io::Result<()>,
) -> Result<SealedBlob, SealError> {
    if recipients.is_empty() {
        return Err(SealError::NoRecipients);
    }
    let session_key = SessionKey::new(SEAL_CIPHER.key_size().map_err(|_| enc("cipher"))?)
        .map_err(|_| enc("session key"))?;
    let pkesks = wrap_session_key(&session_key, recipients)?;

    let mut body = Vec::with_capacity(size.saturating_add(size / 1024).saturating_add(256));
    {
        let message = Message::new(&mut body);
        let message = Encryptor::with_session_key(message, SEAL_CIPHER, session_key)
            .map_err(|_| enc("encryptor"))?
            .build()
            .map_err(|_| enc("encryptor"))?;
        let mut literal = LiteralWriter::new(message)
            .build()
            .map_err(|_| enc("literal"))?;
        write(&mut literal).map_err(|_| enc("write"))?;
        literal.finalize().map_err(|_| enc("finalize"))?;
    }
    Ok(SealedBlob { pkesks, body })
}

fn enc(label: &'static str) -> SealError {
    SealError::Encrypt(label)
}

/// One PKESK (v3, for SEIPDv1) per live encryption subkey of each recipient.
fn wrap_session_key(session_key: &SessionKey, recipients: &[Cert]) -> Result<Vec<u8>, SealError> {
    let mut out = Vec::new();
    for cert in recipients {
        for key in encryption_keys(cert)? {
            let pkesk = PKESK3::for_recipient(SEAL_CIPHER, session_key, &key)
                .map_err(|_| enc("wrap session key"))?;
            Packet::PKESK(pkesk.into())
                .serialize(&mut out)
                .map_err(|_| enc("serialize"))?;
        }
    }
    Ok(out)
}

impl SealedBlob {
    /// The blob of a whole message as [`message_bytes`] wrote it (its PKESKs, then the
    /// encrypted body): for sealed files kept outside the register.
    pub fn from_message(bytes: &[u8]) -> Result<SealedBlob, UnsealError> {
        let malformed = |d: &str| UnsealError::Malformed {
            detail: d.to_owned(),
        };
        let mut pkesks = Vec::new();
        let mut ppr = PacketParser::from_bytes(bytes).map_err(|_| malformed("message"))?;
        while let PacketParserResult::Some(pp) = ppr {
            match &pp.packet {
                Packet::PKESK(_) => pp
                    .packet
                    .serialize(&mut pkesks)
                    .map_err(|_| malformed("pkesk"))?,
                _ => break,
            }
            ppr = pp.next().map_err(|_| malformed("message"))?.1;
        }
        // Re-serialized as written: what follows them is the encrypted body.
        match bytes.strip_prefix(pkesks.as_slice()) {
            Some(body) if !pkesks.is_empty() => Ok(SealedBlob {
                body: body.to_vec(),
                pkesks,
            }),
            _ => Err(malformed("not a sealed message of this program")),
        }
    }
}

/// Key IDs named by the blob's PKESKs; `None` stands for a wildcard recipient.
fn pkesk_recipients(pkesks: &[u8]) -> Result<Vec<Option<KeyID>>, UnsealError> {
    let malformed = |d: &str| UnsealError::Malformed {
        detail: d.to_owned(),
    };
    let mut out = Vec::new();
    if pkesks.is_empty() {
        return Ok(out);
    }
    let mut ppr = PacketParser::from_bytes(pkesks).map_err(|_| malformed("pkesks"))?;
    while let PacketParserResult::Some(pp) = ppr {
        match &pp.packet {
            Packet::PKESK(p) => out.push(p.recipient().map(|h| KeyID::from(&h))),
            _ => return Err(malformed("unexpected packet among pkesks")),
        }
        ppr = pp.next().map_err(|_| malformed("pkesks"))?.1;
    }
    Ok(out)
}

/// Opens a sealed blob with a reader's secret key. A protected key needs its passphrase.
pub fn unseal(
    blob: &SealedBlob,
    secret: &Cert,
    passphrase: Option<&secrecy::SecretString>,
    max_bytes: usize,
) -> Result<Zeroizing<Vec<u8>>, UnsealError> {
    use secrecy::ExposeSecret;

    let fingerprint = fingerprint_hex(secret);
    let recipients = pkesk_recipients(&blob.pkesks)?;
    let vc = secret
        .with_policy(&POLICY, None)
        .map_err(|_| UnsealError::NoSecretKey {
            fingerprint: fingerprint.clone(),
        })?;
    // Expired or revoked reader keys still open old records: no `alive()` filter here.
    let candidates: Vec<Key<SecretParts, UnspecifiedRole>> = vc
        .keys()
        .supported()
        .secret()
        .for_storage_encryption()
        .for_transport_encryption()
        .map(|ka| ka.key().clone().role_into_unspecified())
        .collect();
    if candidates.is_empty() {
        return Err(UnsealError::NoSecretKey { fingerprint });
    }
    let ours: Vec<&Key<SecretParts, UnspecifiedRole>> = candidates
        .iter()
        .filter(|k| {
            let id = k.keyid();
            recipients
                .iter()
                .any(|r| r.as_ref().is_none_or(|r| *r == id))
        })
        .collect();
    if ours.is_empty() {
        return Err(UnsealError::NotARecipient { fingerprint });
    }
    let mut unlocked: Vec<Key<SecretParts, UnspecifiedRole>> = Vec::with_capacity(ours.len());
    for key in ours {
        if key.has_unencrypted_secret() {
            unlocked.push(key.clone());
            continue;
        }
        let Some(pass) = passphrase else {
            return Err(UnsealError::WrongPassphrase { fingerprint });
        };
        let password = Password::from(pass.expose_secret());
        match key.clone().decrypt_secret(&password) {
            Ok(k) => unlocked.push(k),
            Err(_) => return Err(UnsealError::WrongPassphrase { fingerprint }),
        }
    }
    let keys: Vec<(&Key<SecretParts, UnspecifiedRole>, &Cert)> =
        unlocked.iter().map(|k| (k, secret)).collect();
    let limits = OpenLimits {
        max_plaintext_bytes: max_bytes,
        // Re-wrapping may add readers over the years; the blob is our own data.
        max_pkesks: recipients.len().max(1),
    };
    let message = message_bytes(blob);
    match decrypt_with(&keys, &message, &[], &limits) {
        Ok(opened) => Ok(opened.plaintext),
        Err(OpenError::NoMatchingKey { .. }) => Err(UnsealError::NotARecipient { fingerprint }),
        Err(OpenError::Integrity) => Err(UnsealError::Integrity),
        Err(OpenError::TooLarge { limit }) => Err(UnsealError::TooLarge { limit }),
        Err(e) => Err(UnsealError::Malformed {
            detail: e.code().to_owned(),
        }),
    }
}
