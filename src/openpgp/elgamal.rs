//! ElGamal decryption of a session key, for legacy DSA/ElGamal intake keys (GnuPG's default
//! until 2014). No Sequoia backend implements ElGamal, and an organisation moving its existing
//! reporting key in may hold one. Decryption only, with our own secret key; nothing is ever
//! encrypted to ElGamal. RFC 4880 §5.1 and §13.1: m = c · (e^x)^-1 mod p, then EME-PKCS1-v1_5.

use num_bigint_dig::BigUint;
use sequoia_openpgp as sq;
use sq::crypto::mpi::{Ciphertext, PublicKey, SecretKeyMaterial};
use sq::crypto::SessionKey;
use sq::packet::key::{SecretParts, UnspecifiedRole};
use sq::packet::Key;
use sq::types::{PublicKeyAlgorithm, SymmetricAlgorithm};
use zeroize::Zeroizing;

/// Whether `key` is an ElGamal key (which only this module can use).
pub(crate) fn is_elgamal(key: &Key<SecretParts, UnspecifiedRole>) -> bool {
    #[allow(deprecated)]
    let elgamal = matches!(
        key.pk_algo(),
        PublicKeyAlgorithm::ElGamalEncrypt | PublicKeyAlgorithm::ElGamalEncryptSign
    );
    elgamal
}

/// The session key in `esk`, decrypted with the unencrypted ElGamal secret `key`; None if it
/// does not decrypt (not ours, damaged, bad padding or checksum).
pub(crate) fn decrypt_session_key(
    key: &Key<SecretParts, UnspecifiedRole>,
    esk: &Ciphertext,
) -> Option<(SymmetricAlgorithm, SessionKey)> {
    let (Ciphertext::ElGamal { e, c }, PublicKey::ElGamal { p, .. }) = (esk, key.mpis()) else {
        return None;
    };
    let x = match key.optional_secret()? {
        sq::packet::key::SecretKeyMaterial::Unencrypted(u) => u.map(|m| match m {
            SecretKeyMaterial::ElGamal { x } => Some(Zeroizing::new(x.value().to_vec())),
            _ => None,
        })?,
        sq::packet::key::SecretKeyMaterial::Encrypted(_) => return None,
    };
    let p_bytes = p.value();
    let p = BigUint::from_bytes_be(p_bytes);
    let (e, c, x) = (
        BigUint::from_bytes_be(e.value()),
        BigUint::from_bytes_be(c.value()),
        BigUint::from_bytes_be(&x),
    );
    let two = BigUint::from(2u8);
    if p <= two || e >= p || c >= p {
        return None;
    }
    let s = e.modpow(&x, &p);
    // p is prime: s^-1 = s^(p-2) mod p.
    let m = (c * s.modpow(&(&p - &two), &p)) % &p;
    let em = Zeroizing::new(m.to_bytes_be());
    session_key_of(&pkcs1_unpad(&em, p_bytes.len())?)
}

/// EME-PKCS1-v1_5 decoding of `em` (big-endian, leading zeros dropped) for a modulus of `k`
/// bytes: 00 02 PS(≥8 non-zero) 00 M.
fn pkcs1_unpad(em: &[u8], k: usize) -> Option<Zeroizing<Vec<u8>>> {
    // The leading 00 is gone from the integer, so a well-formed block is k-1 bytes here.
    if em.len() + 1 != k || em.first() != Some(&2) {
        return None;
    }
    let rest = em.get(1..)?;
    let zero = rest.iter().position(|b| *b == 0)?;
    if zero < 8 {
        return None;
    }
    Some(Zeroizing::new(rest.get(zero + 1..)?.to_vec()))
}

/// RFC 4880 §5.1: algorithm octet, key, two-octet checksum of the key octets.
fn session_key_of(m: &[u8]) -> Option<(SymmetricAlgorithm, SessionKey)> {
    let (&algo, rest) = m.split_first()?;
    if rest.len() < 2 {
        return None;
    }
    let (key, sum) = rest.split_at(rest.len() - 2);
    let want = u16::from_be_bytes([*sum.first()?, *sum.get(1)?]);
    let got = key.iter().fold(0u16, |a, b| a.wrapping_add(u16::from(*b)));
    if want != got {
        return None;
    }
    let algo = SymmetricAlgorithm::from(algo);
    if algo.key_size().ok()? != key.len() {
        return None;
    }
    Some((algo, SessionKey::from(key)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkcs1_padding_is_checked_before_a_session_key_is_believed() {
        // 00 02 PS 00 M for a 17-byte modulus: PS of 8 non-zero bytes, then M.
        let mut em = vec![2u8];
        em.extend([7u8; 8]);
        em.push(0);
        em.extend([1u8, 2, 3, 4, 5, 6]);
        assert_eq!(em.len() + 1, 17);
        assert_eq!(pkcs1_unpad(&em, 17).unwrap().as_slice(), [1, 2, 3, 4, 5, 6]);
        let mut short_ps = em.clone();
        short_ps[3] = 0;
        assert!(pkcs1_unpad(&short_ps, 17).is_none());
        let mut wrong_type = em.clone();
        wrong_type[0] = 1;
        assert!(pkcs1_unpad(&wrong_type, 17).is_none());
        assert!(pkcs1_unpad(&em, 18).is_none());
    }

    #[test]
    fn a_session_key_needs_a_known_cipher_its_size_and_its_checksum() {
        let key = [0x11u8; 16];
        let sum = key.iter().fold(0u16, |a, b| a.wrapping_add(u16::from(*b)));
        let mut m = vec![7u8]; // AES-128
        m.extend(key);
        m.extend(sum.to_be_bytes());
        let (algo, _) = session_key_of(&m).unwrap();
        assert_eq!(algo, SymmetricAlgorithm::AES128);
        let mut bad = m.clone();
        *bad.last_mut().unwrap() ^= 1;
        assert!(session_key_of(&bad).is_none());
        let mut wrong_size = m.clone();
        wrong_size[0] = 9; // AES-256 with a 16-byte key
        assert!(session_key_of(&wrong_size).is_none());
    }
}
