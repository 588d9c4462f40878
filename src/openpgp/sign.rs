//! Detached signatures over short statements sygnal makes (a custodian's consent to a reader,
//! a checkpoint of the audit chain), made with a reader's own key and checked against the
//! certificate the register holds. A signature proves the signer held the secret key; the
//! statement says what they agreed to.

use std::io::Write;

use sequoia_openpgp as sq;
use sq::parse::stream::{
    DetachedVerifierBuilder, MessageLayer, MessageStructure, VerificationHelper,
};
use sq::parse::Parse;
use sq::serialize::stream::{Message, Signer};
use sq::{Cert, KeyHandle};

use super::keys::{fingerprint_hex, unlock};
use super::POLICY;

/// A statement could not be signed or its signature does not hold.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum SignError {
    /// The key has no usable signing (sub)key with its secret part.
    #[error("key {fingerprint} has no usable signing key with its secret part")]
    NoSigningKey {
        /// Primary fingerprint.
        fingerprint: String,
    },
    /// The passphrase does not unlock the key.
    #[error("wrong passphrase for key {fingerprint}")]
    WrongPassphrase {
        /// Primary fingerprint.
        fingerprint: String,
    },
    /// Signing failed inside the OpenPGP library.
    #[error("signing with key {fingerprint} failed")]
    Failed {
        /// Primary fingerprint.
        fingerprint: String,
    },
    /// The signature is not a good signature by the expected certificate over the statement.
    #[error("not a good signature by {signer} over this statement")]
    Bad {
        /// Expected signer's fingerprint.
        signer: String,
    },
}

/// Signs `statement` with `key` (unlocked with `passphrase` if protected); returns the binary
/// detached signature.
pub fn sign_detached(
    key: &Cert,
    passphrase: Option<&secrecy::SecretString>,
    statement: &[u8],
) -> Result<Vec<u8>, SignError> {
    let fingerprint = fingerprint_hex(key);
    let key = match passphrase {
        Some(p) => unlock(key.clone(), p).map_err(|_| SignError::WrongPassphrase {
            fingerprint: fingerprint.clone(),
        })?,
        None => key.clone(),
    };
    let no_key = || SignError::NoSigningKey {
        fingerprint: fingerprint.clone(),
    };
    let keypair = key
        .keys()
        .with_policy(&POLICY, None)
        .secret()
        .alive()
        .revoked(false)
        .for_signing()
        .find_map(|ka| {
            let k = ka.key().clone();
            k.has_unencrypted_secret()
                .then(|| k.into_keypair().ok())
                .flatten()
        })
        .ok_or_else(no_key)?;
    let failed = |_| SignError::Failed {
        fingerprint: fingerprint.clone(),
    };
    let mut sink = Vec::new();
    {
        let message = Message::new(&mut sink);
        let mut signer = Signer::new(message, keypair)
            .map_err(failed)?
            .detached()
            .build()
            .map_err(failed)?;
        signer.write_all(statement).map_err(|_| SignError::Failed {
            fingerprint: fingerprint.clone(),
        })?;
        signer.finalize().map_err(failed)?;
    }
    Ok(sink)
}

struct Expect<'a> {
    signer: &'a Cert,
}

impl VerificationHelper for Expect<'_> {
    fn get_certs(&mut self, _ids: &[KeyHandle]) -> sq::Result<Vec<Cert>> {
        Ok(vec![self.signer.clone()])
    }

    fn check(&mut self, structure: MessageStructure) -> sq::Result<()> {
        for layer in structure {
            if let MessageLayer::SignatureGroup { results } = layer {
                if results.iter().any(Result::is_ok) {
                    return Ok(());
                }
            }
        }
        Err(anyhow::anyhow!("no good signature"))
    }
}

/// Checks that `signature` is a good detached signature by `signer` over `statement` (the
/// signing key valid when it signed).
pub fn verify_detached(signer: &Cert, statement: &[u8], signature: &[u8]) -> Result<(), SignError> {
    let bad = || SignError::Bad {
        signer: fingerprint_hex(signer),
    };
    let mut verifier = DetachedVerifierBuilder::from_bytes(signature)
        .map_err(|_| bad())?
        .with_policy(&POLICY, None, Expect { signer })
        .map_err(|_| bad())?;
    verifier.verify_bytes(statement).map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openpgp::{generate_intake_key, KeyAlgorithm};

    fn signing_key(name: &str) -> Cert {
        let (cert, _) =
            sq::cert::CertBuilder::general_purpose(Some(format!("{name} <{name}@example.org>")))
                .generate()
                .unwrap();
        cert
    }

    #[test]
    fn a_signature_holds_only_for_its_signer_and_its_statement() {
        let alice = signing_key("alice");
        let mallory = signing_key("mallory");
        let sig = sign_detached(&alice, None, b"reader X may be custodian").unwrap();
        assert!(verify_detached(&alice, b"reader X may be custodian", &sig).is_ok());
        assert!(verify_detached(&alice, b"reader Y may be custodian", &sig).is_err());
        assert!(verify_detached(&mallory, b"reader X may be custodian", &sig).is_err());
        assert!(verify_detached(&alice, b"reader X may be custodian", b"garbage").is_err());
    }

    #[test]
    fn a_key_without_a_signing_subkey_cannot_consent() {
        // Intake keys certify and encrypt only.
        let intake = generate_intake_key("intake <i@example.org>", KeyAlgorithm::Cv25519).unwrap();
        assert!(matches!(
            sign_detached(&intake, None, b"x"),
            Err(SignError::NoSigningKey { .. })
        ));
    }

    #[test]
    fn a_public_certificate_cannot_sign() {
        let alice = signing_key("alice");
        let public = alice.strip_secret_key_material();
        assert!(matches!(
            sign_detached(&public, None, b"x"),
            Err(SignError::NoSigningKey { .. })
        ));
    }
}
