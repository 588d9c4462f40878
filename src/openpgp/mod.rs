//! OpenPGP for sygnal: intake keys, opening reporters' mail, sealing cases to readers.
//!
//! Keeps invariant "ciphertext failing integrity never yields plaintext": every decryption
//! buffers the whole plaintext and hands it out only after Sequoia reached the end of the
//! message and checked the MDC/AEAD tag. Everything here is synchronous and does no I/O;
//! callers run it in `spawn_blocking`. All policy decisions use Sequoia's `StandardPolicy`.

mod elgamal;
pub mod keys;
pub mod open;
pub mod rewrap;
pub mod seal;
pub mod sign;

#[cfg(test)]
mod keys_tests;
#[cfg(test)]
mod open_tests;
#[cfg(test)]
mod rewrap_tests;
#[cfg(test)]
mod seal_tests;
#[cfg(test)]
mod test_support;

use std::io::Read;

use sequoia_openpgp as sq;
use sq::policy::StandardPolicy;
use zeroize::Zeroizing;

pub use keys::{
    armored_public, armored_secret, can_decrypt, cert_bytes, cert_email, check_recipient,
    fingerprint_hex, generate_intake_key, holds_secret_key, needs_passphrase, parse_cert,
    parse_secret_key, parse_secret_keyring, protect, unlock, IntakeKeyring, KeyAlgorithm, KeyError,
    KeyringParts,
};
pub use open::{open, OpenError, OpenLimits, Opened, PgpMetadata, SignatureInfo, SignatureStatus};
pub use rewrap::{rewrap, rewrap_to, ReaderKeys, RecipientKeys, RewrapError};
pub use seal::{message_bytes, seal, seal_with, unseal, SealError, SealedBlob, UnsealError};
pub use sign::{sign_detached, verify_detached, SignError};
pub use sq::Cert;

/// The policy for everything but decrypting with our own intake keys (SHA-1 signatures, SED
/// packets, 1024-bit keys etc. are refused): sealing, judging signatures, readers' keys.
pub(crate) static POLICY: StandardPolicy<'static> = StandardPolicy::new();

/// Decrypting mail with our own intake keys, as GnuPG would: an organisation moving its
/// existing reporting key in has a 2005–2014 key with SHA-1 self-signatures, 1024-bit RSA or
/// DSA/ElGamal, and reporters' old clients use CAST5 or 3DES. Safe because only our own secret
/// key is used and only to decrypt: never to seal, never to judge a signature. Integrity
/// protection is not relaxed (SED without MDC stays refused, invariant 3).
pub(crate) static INTAKE_POLICY: std::sync::LazyLock<StandardPolicy<'static>> =
    std::sync::LazyLock::new(|| {
        use sq::policy::AsymmetricAlgorithm as A;
        use sq::types::{HashAlgorithm, SymmetricAlgorithm as S};
        let mut p = StandardPolicy::new();
        p.accept_hash(HashAlgorithm::SHA1);
        for a in [
            A::RSA1024,
            A::DSA1024,
            A::ElGamal1024,
            A::ElGamal2048,
            A::ElGamal3072,
        ] {
            p.accept_asymmetric_algo(a);
        }
        // Deprecated for encrypting; accepted here for decrypting old mail only.
        #[allow(deprecated)]
        let old_ciphers = [S::CAST5, S::TripleDES, S::IDEA, S::Blowfish];
        for s in old_ciphers {
            p.accept_symmetric_algo(s);
        }
        p
    });

/// Key ID written by senders who hide the recipient ("wildcard" / `--throw-keyids`).
pub const WILDCARD_KEY_ID: &str = "0000000000000000";

/// What went wrong inside Sequoia, reduced to a class we can act on. Sequoia's own messages
/// are not passed on: for errors inside the decrypted layer they might describe plaintext.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Failure {
    /// MDC/AEAD check failed, or the decrypted layer was broken (indistinguishable).
    Manipulated,
    /// The policy refused something; carries Sequoia's name of the thing (an algorithm or
    /// packet type, never content).
    Policy(String),
    /// Structure or packet problems, with a fixed label.
    Malformed(&'static str),
    /// An algorithm we cannot use.
    Unsupported(&'static str),
    /// Anything else, with a fixed label.
    Other(&'static str),
}

/// Classifies an error from Sequoia by walking its cause chain.
pub(crate) fn classify(err: &(dyn std::error::Error + 'static)) -> Failure {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(pe) = e.downcast_ref::<sq::Error>() {
            return classify_openpgp(pe);
        }
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            if let Some(inner) = io.get_ref() {
                // `io::Error::source` skips the wrapped error itself; look at it directly.
                return classify(inner);
            }
            if io.kind() == std::io::ErrorKind::UnexpectedEof {
                return Failure::Malformed("truncated");
            }
        }
        cur = e.source();
    }
    Failure::Other("unclassified")
}

/// Same as [`classify`] for `anyhow::Error` (Sequoia's `Result`).
pub(crate) fn classify_anyhow(err: &anyhow::Error) -> Failure {
    for e in err.chain() {
        let c = classify(e);
        if c != Failure::Other("unclassified") {
            return c;
        }
    }
    Failure::Other("unclassified")
}

fn classify_openpgp(e: &sq::Error) -> Failure {
    use sq::Error as E;
    match e {
        E::ManipulatedMessage => Failure::Manipulated,
        E::PolicyViolation(what, _) => Failure::Policy(what.clone()),
        E::MalformedPacket(_) => Failure::Malformed("malformed packet"),
        E::MalformedMessage(_) => Failure::Malformed("malformed message"),
        E::MalformedMPI(_) => Failure::Malformed("malformed MPI"),
        E::MalformedCert(_) => Failure::Malformed("malformed certificate"),
        E::UnsupportedPacketType(_) => Failure::Unsupported("packet type"),
        E::UnsupportedSymmetricAlgorithm(_) => Failure::Unsupported("symmetric algorithm"),
        E::UnsupportedAEADAlgorithm(_) => Failure::Unsupported("AEAD algorithm"),
        E::UnsupportedPublicKeyAlgorithm(_) => Failure::Unsupported("public-key algorithm"),
        E::UnsupportedCompressionAlgorithm(_) => Failure::Unsupported("compression algorithm"),
        E::UnsupportedHashAlgorithm(_) => Failure::Unsupported("hash algorithm"),
        E::MissingSessionKey(_) => Failure::Other("no session key"),
        E::InvalidPassword => Failure::Other("invalid password"),
        _ => Failure::Other("openpgp error"),
    }
}

/// Uppercase hex of a key handle reduced to its key ID (16 hex digits).
pub(crate) fn keyid_hex(handle: &sq::KeyHandle) -> String {
    sq::KeyID::from(handle).to_hex()
}

/// Why [`read_capped`] stopped.
#[derive(Debug)]
pub(crate) enum ReadCapError {
    TooLarge,
    Read(std::io::Error),
}

/// Reads `reader` to its end into zeroizing memory, failing once more than `max` bytes came.
/// `expected` is the likely length, reserved at once (rounded up to a power of two): up to it
/// the plaintext is read without growing (growth holds the old buffer and its copy at once);
/// past it, it doubles from there.
///
/// Growth copies into a fresh `Zeroizing` buffer instead of `Vec::extend` so that no
/// reallocation leaves plaintext behind in freed memory. On error the partial buffer is
/// dropped, which wipes it.
pub(crate) fn read_capped<R: Read>(
    reader: &mut R,
    max: usize,
    expected: usize,
) -> Result<Zeroizing<Vec<u8>>, ReadCapError> {
    const CHUNK: usize = 64 * 1024;
    // Capacities are CHUNK times a power of two, as if grown from CHUNK: the last growth before
    // a power-of-two cap then starts from half of it, never from just below it (which would
    // hold nearly twice the cap at once).
    let first = expected
        .max(CHUNK)
        .checked_next_power_of_two()
        .unwrap_or(max)
        .min(max)
        .saturating_add(1);
    let mut out: Zeroizing<Vec<u8>> = Zeroizing::new(Vec::with_capacity(first));
    let mut chunk: Zeroizing<Vec<u8>> = Zeroizing::new(vec![0u8; CHUNK]);
    loop {
        let n = match reader.read(chunk.as_mut_slice()) {
            Ok(0) => return Ok(out),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(ReadCapError::Read(e)),
        };
        let got = chunk.get(..n).ok_or(ReadCapError::TooLarge)?;
        if out.len().saturating_add(got.len()) > max {
            // Stop here: the rest (possibly a decompression bomb) is never read.
            return Err(ReadCapError::TooLarge);
        }
        if out.capacity() - out.len() < got.len() {
            let want = out
                .len()
                .saturating_add(got.len())
                .max(out.capacity().saturating_mul(2))
                .min(max.saturating_add(1));
            let mut bigger: Zeroizing<Vec<u8>> = Zeroizing::new(Vec::with_capacity(want));
            bigger.extend_from_slice(&out);
            out = bigger; // the old buffer is wiped on drop
        }
        out.extend_from_slice(got);
    }
}
