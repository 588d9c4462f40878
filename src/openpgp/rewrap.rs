//! Re-wrapping: moves a sealed record's session key to a new set of readers without touching
//! the encrypted body. Keeps "readable by the old or the new readers, never neither": new PKESKs
//! are only produced from a session key that the body's quick check accepted.

use sequoia_openpgp as sq;
use sq::crypto::{KeyPair, Password, SessionKey};
use sq::packet::{pkesk::PKESK3, Packet, PKESK};
use sq::parse::{PacketParser, PacketParserResult, Parse};
use sq::serialize::Serialize;
use sq::types::SymmetricAlgorithm;
use sq::{Cert, KeyID};

use super::keys::{encryption_keys, fingerprint_hex, KeyError};
use super::POLICY;

/// Why a record could not be re-wrapped. No variant carries content.
#[derive(Debug, thiserror::Error)]
pub enum RewrapError {
    /// None of the given secret keys is among the record's readers.
    #[error("none of the given keys is a reader of this record")]
    NotARecipient,
    /// A protected secret key and no (or a wrong) passphrase.
    #[error("wrong or missing passphrase for key {fingerprint}")]
    WrongPassphrase {
        /// Primary fingerprint.
        fingerprint: String,
    },
    /// A given certificate holds no secret encryption key.
    #[error("certificate {fingerprint} holds no secret encryption key")]
    NoSecretKey {
        /// Primary fingerprint.
        fingerprint: String,
    },
    /// A session key was recovered but the body's quick check refused it (altered record).
    #[error("the recovered session key does not fit the sealed body (record altered?)")]
    Integrity,
    /// The PKESK or body bytes are not what sealing writes.
    #[error("malformed sealed record: {0}")]
    Malformed(&'static str),
    /// No new reader given: wrapping to nobody would lose the record.
    #[error("no new readers")]
    NoRecipients,
    /// A new reader's certificate cannot be encrypted to.
    #[error("new reader unusable: {0}")]
    Recipient(#[from] KeyError),
    /// Sequoia failed to wrap (fixed label).
    #[error("wrapping failed: {0}")]
    Wrap(&'static str),
}

/// Unlocked secret encryption keys of one or more readers, ready to recover session keys.
/// Holds the keys in Sequoia's protected memory; `Debug` prints key IDs only.
pub struct ReaderKeys {
    pairs: Vec<KeyPair>,
}

impl std::fmt::Debug for ReaderKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<String> = self
            .pairs
            .iter()
            .map(|p| p.public().keyid().to_hex())
            .collect();
        f.debug_struct("ReaderKeys").field("key_ids", &ids).finish()
    }
}

impl ReaderKeys {
    /// Unlocks every secret encryption (sub)key of `certs` (expired ones included: old records
    /// were sealed to them). A protected key needs `passphrase`.
    pub fn unlock(
        certs: &[Cert],
        passphrase: Option<&secrecy::SecretString>,
    ) -> Result<ReaderKeys, RewrapError> {
        use secrecy::ExposeSecret;
        let mut pairs = Vec::new();
        for cert in certs {
            let fingerprint = fingerprint_hex(cert);
            let vc = cert
                .with_policy(&POLICY, None)
                .map_err(|_| RewrapError::NoSecretKey {
                    fingerprint: fingerprint.clone(),
                })?;
            let before = pairs.len();
            for ka in vc
                .keys()
                .supported()
                .secret()
                .for_storage_encryption()
                .for_transport_encryption()
            {
                let mut key = ka.key().clone().role_into_unspecified();
                if !key.has_unencrypted_secret() {
                    let Some(pass) = passphrase else {
                        return Err(RewrapError::WrongPassphrase { fingerprint });
                    };
                    let password = Password::from(pass.expose_secret());
                    key = key.decrypt_secret(&password).map_err(|_| {
                        RewrapError::WrongPassphrase {
                            fingerprint: fingerprint.clone(),
                        }
                    })?;
                }
                let pair = key.into_keypair().map_err(|_| RewrapError::NoSecretKey {
                    fingerprint: fingerprint.clone(),
                })?;
                pairs.push(pair);
            }
            if pairs.len() == before {
                return Err(RewrapError::NoSecretKey { fingerprint });
            }
        }
        Ok(ReaderKeys { pairs })
    }

    /// Key IDs of the unlocked keys.
    pub fn key_ids(&self) -> Vec<KeyID> {
        self.pairs.iter().map(|p| p.public().keyid()).collect()
    }

    /// Recovers the session key of a record, checked against the body (SEIPD packet).
    pub fn session_key(
        &mut self,
        pkesks: &[u8],
        seipd: &[u8],
    ) -> Result<(SymmetricAlgorithm, SessionKey), RewrapError> {
        let packets = parse_pkesks(pkesks)?;
        for pkesk in &packets {
            let recipient = pkesk.recipient().map(|h| KeyID::from(&h));
            for pair in self.pairs.iter_mut() {
                let id = pair.public().keyid();
                if recipient.as_ref().is_some_and(|r| *r != id) {
                    continue;
                }
                let Some((Some(algo), sk)) = pkesk.decrypt(pair, None) else {
                    continue;
                };
                if quick_check(seipd, algo, &sk)? {
                    return Ok((algo, sk));
                }
                if recipient.is_some() {
                    // Addressed to this key, decrypted, and refused by the body.
                    return Err(RewrapError::Integrity);
                }
            }
        }
        Err(RewrapError::NotARecipient)
    }
}

/// Parses the serialized PKESK packets of a record.
fn parse_pkesks(pkesks: &[u8]) -> Result<Vec<PKESK>, RewrapError> {
    let mut out = Vec::new();
    if pkesks.is_empty() {
        return Ok(out);
    }
    let mut ppr = PacketParser::from_bytes(pkesks).map_err(|_| RewrapError::Malformed("pkesks"))?;
    while let PacketParserResult::Some(pp) = ppr {
        let (packet, next) = pp.next().map_err(|_| RewrapError::Malformed("pkesks"))?;
        match packet {
            Packet::PKESK(p) => out.push(p),
            _ => return Err(RewrapError::Malformed("unexpected packet among pkesks")),
        }
        ppr = next;
    }
    Ok(out)
}

/// Whether `sk` opens the SEIPD packet (OpenPGP's quick check on the first block). Reads no
/// plaintext beyond that check.
fn quick_check(
    seipd: &[u8],
    algo: SymmetricAlgorithm,
    sk: &SessionKey,
) -> Result<bool, RewrapError> {
    let ppr = PacketParser::from_bytes(seipd).map_err(|_| RewrapError::Malformed("body"))?;
    let PacketParserResult::Some(mut pp) = ppr else {
        return Err(RewrapError::Malformed("empty body"));
    };
    if !matches!(pp.packet, Packet::SEIP(_)) {
        return Err(RewrapError::Malformed(
            "body is not an encrypted data packet",
        ));
    }
    Ok(pp.decrypt(algo, sk).is_ok())
}

/// The encryption subkeys of a reader set, checked once (policy, expiry, revocation) so that
/// re-wrapping thousands of records does not re-validate every certificate each time.
pub struct RecipientKeys {
    keys: Vec<sq::packet::Key<sq::packet::key::PublicParts, sq::packet::key::UnspecifiedRole>>,
}

impl std::fmt::Debug for RecipientKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let ids: Vec<String> = self.keys.iter().map(|k| k.keyid().to_hex()).collect();
        f.debug_struct("RecipientKeys")
            .field("key_ids", &ids)
            .finish()
    }
}

impl RecipientKeys {
    /// Every live, non-revoked encryption subkey of each recipient; a recipient without one is
    /// an error (it would silently lose a reader).
    pub fn new(recipients: &[Cert]) -> Result<RecipientKeys, RewrapError> {
        if recipients.is_empty() {
            return Err(RewrapError::NoRecipients);
        }
        let mut keys = Vec::new();
        for cert in recipients {
            keys.extend(encryption_keys(cert)?);
        }
        Ok(RecipientKeys { keys })
    }

    /// Key IDs addressed.
    pub fn key_ids(&self) -> Vec<KeyID> {
        self.keys.iter().map(|k| k.keyid()).collect()
    }

    /// One PKESK (v3) per key, for session key `sk`.
    pub(crate) fn wrap(
        &self,
        algo: SymmetricAlgorithm,
        sk: &SessionKey,
    ) -> Result<Vec<u8>, RewrapError> {
        let mut out = Vec::new();
        for key in &self.keys {
            let pkesk = PKESK3::for_recipient(algo, sk, key)
                .map_err(|_| RewrapError::Wrap("wrap session key"))?;
            Packet::PKESK(pkesk.into())
                .serialize(&mut out)
                .map_err(|_| RewrapError::Wrap("serialize"))?;
        }
        Ok(out)
    }
}

/// Re-wraps a record to readers prepared once with [`RecipientKeys::new`].
pub fn rewrap_to(
    pkesks: &[u8],
    seipd: &[u8],
    keys: &mut ReaderKeys,
    recipients: &RecipientKeys,
) -> Result<Vec<u8>, RewrapError> {
    let (algo, sk) = keys.session_key(pkesks, seipd)?;
    recipients.wrap(algo, &sk)
}

/// Re-wraps a record: recovers its session key with `keys` (checked against `seipd`) and
/// returns new PKESK packets for exactly `new_recipients`. The body is not touched.
pub fn rewrap(
    pkesks: &[u8],
    seipd: &[u8],
    keys: &mut ReaderKeys,
    new_recipients: &[Cert],
) -> Result<Vec<u8>, RewrapError> {
    rewrap_to(pkesks, seipd, keys, &RecipientKeys::new(new_recipients)?)
}

/// Key IDs named by serialized PKESKs (`None` for a wildcard recipient).
pub fn pkesk_key_ids(pkesks: &[u8]) -> Result<Vec<Option<KeyID>>, RewrapError> {
    Ok(parse_pkesks(pkesks)?
        .iter()
        .map(|p| p.recipient().map(|h| KeyID::from(&h)))
        .collect())
}
