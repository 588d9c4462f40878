//! Tests for re-wrapping: new readers open, removed readers do not, the body is untouched.

use sequoia_openpgp as sq;

use super::keys::KeyAlgorithm;
use super::rewrap::*;
use super::seal::*;
use super::test_support::intake;

const MAX: usize = 1024 * 1024;

fn public(c: &sq::Cert) -> sq::Cert {
    c.clone().strip_secret_key_material()
}

#[test]
fn rewrap_moves_readers_and_keeps_the_body() {
    let (old, _) = intake(KeyAlgorithm::Cv25519);
    let (stay, _) = intake(KeyAlgorithm::Rsa4096);
    let (new, _) = intake(KeyAlgorithm::Cv25519);
    let blob = seal(b"tajne zgloszenie", &[public(&old), public(&stay)]).unwrap();

    let mut keys = ReaderKeys::unlock(std::slice::from_ref(&stay), None).unwrap();
    let pkesks = rewrap(
        &blob.pkesks,
        &blob.body,
        &mut keys,
        &[public(&stay), public(&new)],
    )
    .unwrap();
    let moved = SealedBlob {
        pkesks,
        body: blob.body.clone(),
    };
    for reader in [&stay, &new] {
        let text = unseal(&moved, reader, None, MAX).unwrap();
        assert_eq!(text.as_slice(), b"tajne zgloszenie");
    }
    assert!(matches!(
        unseal(&moved, &old, None, MAX),
        Err(UnsealError::NotARecipient { .. })
    ));
    // Wrapping is deterministic in readers: exactly one PKESK per new encryption subkey.
    assert_eq!(pkesk_key_ids(&moved.pkesks).unwrap().len(), 2);
}

#[test]
fn rewrap_refuses_a_key_that_is_not_a_reader() {
    let (a, _) = intake(KeyAlgorithm::Cv25519);
    let (stranger, _) = intake(KeyAlgorithm::Cv25519);
    let blob = seal(b"x", &[public(&a)]).unwrap();
    let mut keys = ReaderKeys::unlock(&[stranger], None).unwrap();
    assert!(matches!(
        rewrap(&blob.pkesks, &blob.body, &mut keys, &[public(&a)]),
        Err(RewrapError::NotARecipient)
    ));
}

#[test]
fn rewrap_refuses_a_body_from_another_record() {
    let (a, _) = intake(KeyAlgorithm::Cv25519);
    let one = seal(b"one", &[public(&a)]).unwrap();
    let two = seal(b"two", &[public(&a)]).unwrap();
    let mut keys = ReaderKeys::unlock(std::slice::from_ref(&a), None).unwrap();
    // The session key of `one` does not open `two`'s body: never wrap a key that reads nothing.
    let err = rewrap(&one.pkesks, &two.body, &mut keys, &[public(&a)]).unwrap_err();
    assert!(matches!(err, RewrapError::Integrity), "{err:?}");
}

#[test]
fn rewrap_to_nobody_is_refused() {
    let (a, _) = intake(KeyAlgorithm::Cv25519);
    let blob = seal(b"x", &[public(&a)]).unwrap();
    let mut keys = ReaderKeys::unlock(std::slice::from_ref(&a), None).unwrap();
    assert!(matches!(
        rewrap(&blob.pkesks, &blob.body, &mut keys, &[]),
        Err(RewrapError::NoRecipients)
    ));
}
