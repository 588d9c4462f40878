use super::*;
use crate::openpgp::{generate_intake_key, KeyAlgorithm};

#[test]
fn sealed_record_opens_only_with_reader_key_and_its_shred_key() {
    let reader = generate_intake_key("Reader <r@example.org>", KeyAlgorithm::Cv25519).unwrap();
    let other = generate_intake_key("Other <o@example.org>", KeyAlgorithm::Cv25519).unwrap();
    let shred = ShredKey::generate();
    let stored = seal(
        b"secret report",
        std::slice::from_ref(&reader),
        &shred,
        BlobKind::Report,
    )
    .unwrap();
    assert!(!stored
        .body
        .windows(b"secret report".len())
        .any(|w| w == b"secret report"));

    let opened = open(&stored, &shred, BlobKind::Report, &reader, None, 1 << 20).unwrap();
    assert_eq!(opened.as_slice(), b"secret report");

    assert!(open(&stored, &shred, BlobKind::Report, &other, None, 1 << 20).is_err());
    let wrong_shred = ShredKey::generate();
    assert!(matches!(
        open(
            &stored,
            &wrong_shred,
            BlobKind::Report,
            &reader,
            None,
            1 << 20
        ),
        Err(VaultError::ShredLayer)
    ));
    // A report blob cannot be passed off as an identity blob.
    assert!(matches!(
        open(&stored, &shred, BlobKind::Identity, &reader, None, 1 << 20),
        Err(VaultError::ShredLayer)
    ));
}

#[test]
fn altered_body_is_refused() {
    let reader = generate_intake_key("Reader <r@example.org>", KeyAlgorithm::Cv25519).unwrap();
    let shred = ShredKey::generate();
    let mut stored = seal(
        b"x",
        std::slice::from_ref(&reader),
        &shred,
        BlobKind::Report,
    )
    .unwrap();
    let last = stored.body.len() - 1;
    stored.body[last] ^= 1;
    assert!(matches!(
        open(&stored, &shred, BlobKind::Report, &reader, None, 1 << 20),
        Err(VaultError::ShredLayer)
    ));
}

#[test]
fn a_reshredded_record_opens_under_the_new_key_only_and_keeps_its_readers() {
    let reader = generate_intake_key("Reader <r@example.org>", KeyAlgorithm::Cv25519).unwrap();
    let (old, new) = (ShredKey::generate(), ShredKey::generate());
    let stored = seal(
        b"a note",
        std::slice::from_ref(&reader),
        &old,
        BlobKind::Note,
    )
    .unwrap();
    let moved = reshred(&stored, &old, &new, BlobKind::Note).unwrap();
    assert_eq!(moved.pkesks, stored.pkesks, "readers unchanged");
    assert_ne!(moved.body, stored.body);
    let opened = open(&moved, &new, BlobKind::Note, &reader, None, 1 << 20).unwrap();
    assert_eq!(opened.as_slice(), b"a note");
    assert!(matches!(
        open(&moved, &old, BlobKind::Note, &reader, None, 1 << 20),
        Err(VaultError::ShredLayer)
    ));
    // Without the old key, nothing moves.
    assert!(matches!(
        reshred(&stored, &new, &old, BlobKind::Note),
        Err(VaultError::ShredLayer)
    ));
}
