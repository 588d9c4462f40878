//! Keys: intake key generation, parsing readers' certificates and secret keys, and the intake
//! keyring. Secret key material stays in Sequoia's protected memory; nothing here derives
//! `Debug` on a key holder.

use std::time::Duration;

use sequoia_openpgp as sq;
use sq::cert::prelude::*;
use sq::packet::key::{SecretParts, UnspecifiedRole};
use sq::packet::Key;
use sq::parse::Parse;
use sq::serialize::SerializeInto;
use sq::types::{KeyFlags, RevocationStatus};
use sq::{KeyID, Profile};
use zeroize::Zeroizing;

use super::{classify_anyhow, Failure, INTAKE_POLICY, POLICY};

/// Validity of a generated intake key.
const INTAKE_KEY_VALIDITY: Duration = Duration::from_secs(2 * 365 * 24 * 60 * 60);

/// Public-key algorithm for a generated intake key.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum KeyAlgorithm {
    /// Ed25519 primary key, Curve25519 encryption subkey (small, fast, read by GnuPG >= 2.1).
    #[default]
    Cv25519,
    /// RSA 4096 for correspondents whose software only speaks RSA.
    Rsa4096,
}

/// Errors about keys and certificates. Carries fingerprints and fixed labels only.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The bytes are not an OpenPGP certificate (or key).
    #[error("not a usable OpenPGP certificate: {detail}")]
    Parse {
        /// Fixed label of what was wrong.
        detail: &'static str,
    },
    /// Exactly one certificate was expected.
    #[error("expected exactly one certificate, found {found}")]
    NotOneCert {
        /// How many were found (2 means "two or more").
        found: usize,
    },
    /// A secret key was expected, but no encryption-capable secret key material is present.
    #[error("certificate {fingerprint} holds no secret encryption key")]
    NoSecretKey {
        /// Primary key fingerprint.
        fingerprint: String,
    },
    /// The certificate is not valid under the standard policy (e.g. SHA-1 binding signatures).
    #[error("certificate {fingerprint} is not valid under the standard policy ({detail})")]
    Invalid {
        /// Primary key fingerprint.
        fingerprint: String,
        /// What the policy refused (an algorithm or packet name) or a fixed label.
        detail: String,
    },
    /// The certificate or all of its encryption subkeys expired.
    #[error("certificate {fingerprint} has expired")]
    Expired {
        /// Primary key fingerprint.
        fingerprint: String,
    },
    /// The certificate or all of its encryption subkeys are revoked.
    #[error("certificate {fingerprint} is revoked")]
    Revoked {
        /// Primary key fingerprint.
        fingerprint: String,
    },
    /// No live, non-revoked subkey can encrypt.
    #[error("certificate {fingerprint} has no usable encryption subkey")]
    NoEncryptionKey {
        /// Primary key fingerprint.
        fingerprint: String,
    },
    /// Key generation failed.
    #[error("key generation failed: {detail}")]
    Generate {
        /// Fixed label.
        detail: String,
    },
    /// Serializing a key failed.
    #[error("key serialization failed")]
    Serialize,
    /// A protected secret key and a wrong (or no) passphrase.
    #[error("wrong or missing passphrase for key {fingerprint}")]
    WrongPassphrase {
        /// Primary key fingerprint.
        fingerprint: String,
    },
}

/// Encrypts every unprotected secret (sub)key of `cert` with `passphrase` (at-rest protection).
pub fn protect(cert: Cert, passphrase: &secrecy::SecretString) -> Result<Cert, KeyError> {
    use secrecy::ExposeSecret;
    let password = sq::crypto::Password::from(passphrase.expose_secret());
    let mut packets: Vec<sq::Packet> = Vec::new();
    for ka in cert.keys().secret() {
        let key = ka.key().clone();
        if !key.has_unencrypted_secret() {
            continue;
        }
        let locked = key
            .role_into_unspecified()
            .encrypt_secret(&password)
            .map_err(|_| KeyError::Serialize)?;
        packets.push(if ka.primary() {
            locked.role_into_primary().into()
        } else {
            locked.role_into_subordinate().into()
        });
    }
    cert.insert_packets(packets)
        .map(|(c, _)| c)
        .map_err(|_| KeyError::Serialize)
}

/// Decrypts every protected secret (sub)key of `cert` in memory; a wrong passphrase is an error
/// naming the key.
pub fn unlock(cert: Cert, passphrase: &secrecy::SecretString) -> Result<Cert, KeyError> {
    use secrecy::ExposeSecret;
    let fingerprint = fingerprint_hex(&cert);
    let password = sq::crypto::Password::from(passphrase.expose_secret());
    let mut packets: Vec<sq::Packet> = Vec::new();
    for ka in cert.keys().secret() {
        let key = ka.key().clone();
        if key.has_unencrypted_secret() {
            continue;
        }
        let open = key
            .role_into_unspecified()
            .decrypt_secret(&password)
            .map_err(|_| KeyError::WrongPassphrase {
                fingerprint: fingerprint.clone(),
            })?;
        packets.push(if ka.primary() {
            open.role_into_primary().into()
        } else {
            open.role_into_subordinate().into()
        });
    }
    cert.insert_packets(packets)
        .map(|(c, _)| c)
        .map_err(|_| KeyError::Serialize)
}

/// Turns a Sequoia failure into a label safe for logs (policy names, fixed strings).
fn describe(err: &anyhow::Error) -> String {
    match classify_anyhow(err) {
        Failure::Policy(what) => format!("policy rejected {what}"),
        Failure::Manipulated => "manipulated".to_owned(),
        Failure::Malformed(l) | Failure::Unsupported(l) | Failure::Other(l) => l.to_owned(),
    }
}

/// Generates an intake key: a certification-only primary key and one subkey for transport and
/// storage encryption, valid for two years, v4 (RFC 4880) so GnuPG 2.2 reads it.
pub fn generate_intake_key(user_id: &str, algo: KeyAlgorithm) -> Result<Cert, KeyError> {
    let suite = match algo {
        KeyAlgorithm::Cv25519 => CipherSuite::Cv25519,
        KeyAlgorithm::Rsa4096 => CipherSuite::RSA4k,
    };
    let gen_err = |e: anyhow::Error| KeyError::Generate {
        detail: describe(&e),
    };
    let (cert, _revocation) = CertBuilder::new()
        .set_profile(Profile::RFC4880)
        .map_err(gen_err)?
        .set_cipher_suite(suite)
        .set_primary_key_flags(KeyFlags::empty().set_certification())
        .set_validity_period(INTAKE_KEY_VALIDITY)
        .add_userid(user_id)
        .add_subkey(
            KeyFlags::empty()
                .set_transport_encryption()
                .set_storage_encryption(),
            None,
            None,
        )
        .generate()
        .map_err(gen_err)?;
    Ok(cert)
}

/// Parses exactly one certificate (armored or binary).
fn parse_one(bytes: &[u8]) -> Result<Cert, KeyError> {
    let parser = CertParser::from_bytes(bytes).map_err(|e| KeyError::Parse {
        detail: parse_label(&e),
    })?;
    let mut found: Option<Cert> = None;
    for (count, item) in parser.enumerate() {
        if count >= 1 {
            return Err(KeyError::NotOneCert { found: 2 });
        }
        found = Some(item.map_err(|e| KeyError::Parse {
            detail: parse_label(&e),
        })?);
    }
    found.ok_or(KeyError::NotOneCert { found: 0 })
}

fn parse_label(err: &anyhow::Error) -> &'static str {
    match classify_anyhow(err) {
        Failure::Malformed(l) | Failure::Unsupported(l) | Failure::Other(l) => l,
        Failure::Policy(_) => "policy",
        Failure::Manipulated => "manipulated",
    }
}

/// Parses a public certificate (from `gpg --export --armor`, sq, Kleopatra). Any secret key
/// material in the input is dropped: readers' certificates must only ever be public.
pub fn parse_cert(bytes: &[u8]) -> Result<Cert, KeyError> {
    Ok(parse_one(bytes)?.strip_secret_key_material())
}

/// Whether `bytes` (a certificate file as given) carry secret key material: someone handed
/// over a secret key where a certificate was asked for.
pub fn holds_secret_key(bytes: &[u8]) -> bool {
    parse_one(bytes).is_ok_and(|c| c.is_tsk())
}

/// A certificate's public parts, serialized (binary).
pub fn cert_bytes(cert: &Cert) -> Result<Vec<u8>, KeyError> {
    cert.to_vec().map_err(|_| KeyError::Parse {
        detail: "cannot serialize a certificate",
    })
}

/// Parses a transferable secret key. Fails unless it holds secret material for at least one
/// encryption-capable key (the material may be passphrase-protected).
pub fn parse_secret_key(bytes: &[u8]) -> Result<Cert, KeyError> {
    let cert = parse_one(bytes)?;
    let fingerprint = fingerprint_hex(&cert);
    let vc = cert
        .with_policy(&*INTAKE_POLICY, None)
        .map_err(|e| KeyError::Invalid {
            fingerprint: fingerprint.clone(),
            detail: describe(&e),
        })?;
    let has_secret_enc = vc
        .keys()
        .secret()
        .any(|ka| decrypts(ka.key_flags(), ka.key().pk_algo()));
    if !has_secret_enc {
        return Err(KeyError::NoSecretKey { fingerprint });
    }
    Ok(cert)
}

/// Whether an intake (sub)key decrypts mail: flagged for encryption, or, on keys from before
/// key flags existed (GnuPG 1.x made them), of an encryption algorithm, as GnuPG reads them;
/// and of an algorithm sygnal can decrypt with.
fn decrypts(flags: Option<sq::types::KeyFlags>, algo: sq::types::PublicKeyAlgorithm) -> bool {
    let for_encryption = match flags {
        Some(f) => f.for_storage_encryption() || f.for_transport_encryption(),
        None => algo.for_encryption(),
    };
    for_encryption && decryptable(algo)
}

/// Whether sygnal can decrypt with a key of this algorithm: whatever the backend supports, and
/// ElGamal (see `elgamal`), which no backend does.
fn decryptable(algo: sq::types::PublicKeyAlgorithm) -> bool {
    #[allow(deprecated)]
    let elgamal = matches!(
        algo,
        sq::types::PublicKeyAlgorithm::ElGamalEncrypt
            | sq::types::PublicKeyAlgorithm::ElGamalEncryptSign
    );
    algo.is_supported() || elgamal
}

/// Every certificate with secret key material in an armored or binary keyring (one key, an
/// export of several, a GnuPG 1.x `secring.gpg`). Certificates without secret parts are left
/// out; a keyring that parses to none is an error.
pub fn parse_secret_keyring(bytes: &[u8]) -> Result<Vec<Cert>, KeyError> {
    let parser = CertParser::from_bytes(bytes).map_err(|e| KeyError::Parse {
        detail: parse_label(&e),
    })?;
    let mut out = Vec::new();
    for item in parser.take(1000) {
        let cert = item.map_err(|e| KeyError::Parse {
            detail: parse_label(&e),
        })?;
        if cert.is_tsk() {
            out.push(cert);
        }
    }
    if out.is_empty() {
        return Err(KeyError::NotOneCert { found: 0 });
    }
    Ok(out)
}

/// Whether the intake keyring built from `cert` alone has a secret key it can decrypt with
/// (after unlocking).
pub fn can_decrypt(cert: &Cert) -> bool {
    !IntakeKeyring::new(vec![cert.clone()]).secrets.is_empty()
}

/// Whether any secret encryption key of `cert` is passphrase-protected.
pub fn needs_passphrase(cert: &Cert) -> bool {
    cert.keys()
        .secret()
        .any(|ka| !ka.key().has_unencrypted_secret())
}

/// The keys of a reader that receive a session key: every live, supported encryption subkey
/// valid under our policy. Sealing and re-wrapping both use this, so they never disagree on
/// who can read.
pub(crate) fn encryption_keys(
    cert: &Cert,
) -> Result<Vec<Key<sq::packet::key::PublicParts, UnspecifiedRole>>, KeyError> {
    check_recipient(cert)?;
    let vc = cert
        .with_policy(&POLICY, None)
        .map_err(|_| KeyError::Invalid {
            fingerprint: fingerprint_hex(cert),
            detail: "policy".to_owned(),
        })?;
    Ok(vc
        .keys()
        .supported()
        .alive()
        .revoked(false)
        .for_storage_encryption()
        .for_transport_encryption()
        .map(|ka| ka.key().clone().role_into_unspecified())
        .collect())
}

/// ASCII-armored public certificate (no secret material, even if `cert` holds some).
pub fn armored_public(cert: &Cert) -> Result<String, KeyError> {
    let bytes = cert.armored().to_vec().map_err(|_| KeyError::Serialize)?;
    String::from_utf8(bytes).map_err(|_| KeyError::Serialize)
}

/// ASCII-armored transferable secret key, in zeroizing memory.
pub fn armored_secret(cert: &Cert) -> Result<Zeroizing<Vec<u8>>, KeyError> {
    let tsk = cert.as_tsk();
    let armored = tsk.armored();
    // Sized up front so the buffer never reallocates (a reallocation would leave a copy).
    let mut buf = Zeroizing::new(vec![0u8; armored.serialized_len()]);
    let n = armored
        .serialize_into(buf.as_mut_slice())
        .map_err(|_| KeyError::Serialize)?;
    buf.truncate(n);
    Ok(buf)
}

/// Primary key fingerprint as uppercase hex without spaces.
pub fn fingerprint_hex(cert: &Cert) -> String {
    cert.fingerprint().to_hex()
}

/// The e-mail address of a certificate's primary user ID valid under the standard policy (the
/// first user ID with an address, when the primary has none): where a reader's deadline digest
/// goes.
pub fn cert_email(cert: &Cert) -> Option<String> {
    let vc = cert.with_policy(&POLICY, None).ok()?;
    let primary = vc.primary_userid().ok().map(|u| u.userid().clone());
    primary
        .into_iter()
        .chain(vc.userids().map(|u| u.userid().clone()))
        .find_map(|u| u.email().ok().flatten().map(|e| e.to_string()))
}

/// Checks that a reader's (handler's or custodian's) certificate can be encrypted to now:
/// valid under the standard policy, not revoked, not expired, with a live encryption subkey.
pub fn check_recipient(cert: &Cert) -> Result<(), KeyError> {
    let fingerprint = fingerprint_hex(cert);
    let vc = cert
        .with_policy(&POLICY, None)
        .map_err(|e| KeyError::Invalid {
            fingerprint: fingerprint.clone(),
            detail: describe(&e),
        })?;
    if let RevocationStatus::Revoked(_) = vc.revocation_status() {
        return Err(KeyError::Revoked { fingerprint });
    }
    if vc.alive().is_err() {
        return Err(KeyError::Expired { fingerprint });
    }
    let usable = vc
        .keys()
        .supported()
        .alive()
        .revoked(false)
        .for_storage_encryption()
        .for_transport_encryption()
        .next()
        .is_some();
    if usable {
        return Ok(());
    }
    // Say why: every encryption subkey revoked, or expired, or there never was one.
    let mut any = false;
    let mut any_unrevoked = false;
    for ka in vc
        .keys()
        .supported()
        .for_storage_encryption()
        .for_transport_encryption()
    {
        any = true;
        if !matches!(ka.revocation_status(), RevocationStatus::Revoked(_)) {
            any_unrevoked = true;
        }
    }
    Err(match (any, any_unrevoked) {
        (false, _) => KeyError::NoEncryptionKey { fingerprint },
        (true, false) => KeyError::Revoked { fingerprint },
        (true, true) => KeyError::Expired { fingerprint },
    })
}

/// One unlocked secret encryption (sub)key of an intake certificate.
pub(crate) struct IntakeSecret {
    pub(crate) key: Key<SecretParts, UnspecifiedRole>,
    pub(crate) cert_index: usize,
}

/// The gateway's intake secret keys: the current one and earlier ones still receiving mail.
///
/// Only unencrypted secret subkeys valid under the standard policy are used for decryption
/// (expired ones included: mail encrypted before a rotation still arrives). `Debug` prints
/// fingerprints only.
pub struct IntakeKeyring {
    certs: Vec<Cert>,
    secrets: Vec<IntakeSecret>,
    /// Key IDs of all encryption-capable subkeys, locked or not.
    enc_key_ids: Vec<KeyID>,
    /// Encryption subkey IDs of retired intake keys, with their primary fingerprints.
    retired: Vec<(KeyID, String)>,
    /// Reporters' certificates registered as trusted signers (public parts only).
    trusted_signers: Vec<Cert>,
}

impl IntakeKeyring {
    /// Builds the keyring; certificates without usable secret encryption keys contribute only
    /// their key IDs (so their mail is still recognised as ours).
    pub fn new(keys: Vec<Cert>) -> Self {
        let mut secrets = Vec::new();
        let mut enc_key_ids = Vec::new();
        for (cert_index, cert) in keys.iter().enumerate() {
            let Ok(vc) = cert.with_policy(&*INTAKE_POLICY, None) else {
                continue;
            };
            for ka in vc
                .keys()
                .filter(|ka| decrypts(ka.key_flags(), ka.key().pk_algo()))
            {
                enc_key_ids.push(ka.key().keyid());
            }
            for ka in vc
                .keys()
                .unencrypted_secret()
                .filter(|ka| decrypts(ka.key_flags(), ka.key().pk_algo()))
            {
                secrets.push(IntakeSecret {
                    key: ka.key().clone().role_into_unspecified(),
                    cert_index,
                });
            }
        }
        IntakeKeyring {
            certs: keys,
            secrets,
            enc_key_ids,
            retired: Vec::new(),
            trusted_signers: Vec::new(),
        }
    }

    /// Adds the certificates registered as trusted signers: a signature verified with one of
    /// them, and only then, makes a report "verified by a key you trust".
    pub fn with_trusted_signers(mut self, certs: Vec<Cert>) -> Self {
        self.trusted_signers = certs;
        self
    }

    /// The registered trusted signers.
    pub fn trusted_signers(&self) -> &[Cert] {
        &self.trusted_signers
    }

    /// Whether a verified signer's fingerprint (hex) is a registered trusted signer.
    pub fn trusts_signer(&self, fingerprint_hex_: &str) -> bool {
        self.trusted_signers
            .iter()
            .any(|c| fingerprint_hex(c).eq_ignore_ascii_case(fingerprint_hex_.trim()))
    }

    /// Adds retired intake keys (public parts): mail encrypted to them is recognised and
    /// named, never decrypted.
    pub fn with_retired(mut self, retired: &[Cert]) -> Self {
        for cert in retired {
            let fpr = fingerprint_hex(cert);
            // Every (sub)key, without a policy filter: an expired retired key must still be named.
            for ka in cert.keys() {
                let id = ka.key().keyid();
                if !self.retired.iter().any(|(k, _)| *k == id) {
                    self.retired.push((id, fpr.clone()));
                }
            }
        }
        self
    }

    /// The primary fingerprint of the retired intake key with this (sub)key ID (hex).
    pub fn retired_key(&self, keyid_hex: &str) -> Option<&str> {
        let cleaned: String = keyid_hex.chars().filter(|c| !c.is_whitespace()).collect();
        let id = cleaned.parse::<KeyID>().ok()?;
        self.retired
            .iter()
            .find(|(k, _)| *k == id)
            .map(|(_, f)| f.as_str())
    }

    /// Primary fingerprints of all intake certificates.
    pub fn fingerprints(&self) -> Vec<String> {
        self.certs.iter().map(fingerprint_hex).collect()
    }

    /// True if no certificate is held.
    pub fn is_empty(&self) -> bool {
        self.certs.is_empty()
    }

    /// Whether a recipient key ID (hex, any case, spaces ignored) is one of our encryption
    /// subkeys. Tells our own PKESK from other recipients' (encrypt-to-self leaks identity).
    pub fn owns_key_id(&self, keyid_hex: &str) -> bool {
        let cleaned: String = keyid_hex.chars().filter(|c| !c.is_whitespace()).collect();
        match cleaned.parse::<KeyID>() {
            Ok(id) => self.enc_key_ids.contains(&id),
            Err(_) => false,
        }
    }

    /// Unlocked secret keys with the certificate each belongs to.
    pub(crate) fn secrets(
        &self,
    ) -> impl Iterator<Item = (&Key<SecretParts, UnspecifiedRole>, &Cert)> {
        self.secrets
            .iter()
            .filter_map(|s| self.certs.get(s.cert_index).map(|c| (&s.key, c)))
    }
}

/// An intake keyring taken apart for the pipe to an intake worker: unlocked secret keys as
/// serialized transferable secret keys (zeroized when dropped), retired key IDs with their
/// fingerprints, and trusted signers' public certificates.
pub struct KeyringParts {
    /// Intake certificates with their unlocked secret keys.
    pub certs: Vec<Zeroizing<Vec<u8>>>,
    /// `(key ID hex, primary fingerprint)` of retired intake (sub)keys.
    pub retired: Vec<(String, String)>,
    /// Trusted signers' certificates.
    pub trusted_signers: Vec<Vec<u8>>,
}

impl IntakeKeyring {
    /// Takes the keyring apart for an intake worker (see [`KeyringParts`]).
    pub fn to_parts(&self) -> Result<KeyringParts, KeyError> {
        let serialize_err = |_| KeyError::Parse {
            detail: "cannot serialize a key",
        };
        let certs = self
            .certs
            .iter()
            .map(|c| {
                c.as_tsk()
                    .to_vec()
                    .map(Zeroizing::new)
                    .map_err(serialize_err)
            })
            .collect::<Result<_, _>>()?;
        let trusted_signers = self
            .trusted_signers
            .iter()
            .map(|c| c.to_vec().map_err(serialize_err))
            .collect::<Result<_, _>>()?;
        Ok(KeyringParts {
            certs,
            retired: self
                .retired
                .iter()
                .map(|(id, fpr)| (id.to_hex(), fpr.clone()))
                .collect(),
            trusted_signers,
        })
    }

    /// Puts a keyring back together from [`IntakeKeyring::to_parts`].
    pub fn from_parts(parts: &KeyringParts) -> Result<IntakeKeyring, KeyError> {
        let parse = |bytes: &[u8]| {
            Cert::from_bytes(bytes).map_err(|e| KeyError::Parse {
                detail: parse_label(&e),
            })
        };
        let certs = parts
            .certs
            .iter()
            .map(|b| parse(b))
            .collect::<Result<Vec<_>, _>>()?;
        let mut keyring = IntakeKeyring::new(certs);
        for (id, fpr) in &parts.retired {
            let id = id.parse::<KeyID>().map_err(|_| KeyError::Parse {
                detail: "not a key ID",
            })?;
            keyring.retired.push((id, fpr.clone()));
        }
        keyring.trusted_signers = parts
            .trusted_signers
            .iter()
            .map(|b| parse(b))
            .collect::<Result<_, _>>()?;
        Ok(keyring)
    }
}

impl std::fmt::Debug for IntakeKeyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("IntakeKeyring")
            .field("fingerprints", &self.fingerprints())
            .field("unlocked_subkeys", &self.secrets.len())
            .finish()
    }
}
