//! Tests for sealed storage: round trips, gpg interop, passphrases, tampering.

use secrecy::SecretString;
use sequoia_openpgp as sq;
use sq::packet::SEIP;
use sq::parse::Parse;
use sq::Packet;

use super::keys::{parse_cert, parse_secret_key, KeyAlgorithm, KeyError};
use super::open::{open, OpenLimits};
use super::seal::*;
use super::test_support::{enc_key_ids, intake, Gpg};

const MAX: usize = 1024 * 1024;

#[test]
fn seal_and_unseal_round_trip_for_every_reader() {
    for algo in [KeyAlgorithm::Cv25519, KeyAlgorithm::Rsa4096] {
        let (a, _) = intake(algo);
        let (b, _) = intake(KeyAlgorithm::Cv25519);
        let (stranger, _) = intake(algo);
        let public: Vec<sq::Cert> = [&a, &b]
            .iter()
            .map(|c| (*c).clone().strip_secret_key_material())
            .collect();
        let blob = seal(b"identity: J. Kowalski, ext. 4711", &public).unwrap();

        for reader in [&a, &b] {
            let pt = unseal(&blob, reader, None, MAX).unwrap();
            assert_eq!(&pt[..], b"identity: J. Kowalski, ext. 4711");
        }
        assert!(matches!(
            unseal(&blob, &stranger, None, MAX),
            Err(UnsealError::NotARecipient { .. })
        ));
        assert_eq!(
            unseal(&blob, &a, None, 10).unwrap_err(),
            UnsealError::TooLarge { limit: 10 }
        );
        // A public certificate cannot unseal.
        assert!(matches!(
            unseal(&blob, &public[0], None, MAX),
            Err(UnsealError::NoSecretKey { .. })
        ));
        let dbg = format!("{blob:?}");
        assert!(dbg.starts_with("SealedBlob(pkesks: "), "{dbg}");
    }
}

#[test]
fn sealed_body_is_seipd_v1_without_file_name_or_date() {
    let (a, ring) = intake(KeyAlgorithm::Cv25519);
    let blob = seal(b"x", std::slice::from_ref(&a)).unwrap();
    let pile = sq::PacketPile::from_bytes(&blob.body).unwrap();
    let top: Vec<&Packet> = pile.children().collect();
    assert_eq!(top.len(), 1);
    assert!(matches!(top[0], Packet::SEIP(SEIP::V1(_))));
    let pkesks = sq::PacketPile::from_bytes(&blob.pkesks).unwrap();
    assert!(pkesks.children().all(|p| matches!(p, Packet::PKESK(_))));
    assert_eq!(pkesks.children().count(), 1);

    let opened = open(&ring, &message_bytes(&blob), &[], &OpenLimits::default()).unwrap();
    assert_eq!(opened.meta.literal_filename, None);
    assert_eq!(opened.meta.literal_date, None);
    assert!(!opened.meta.compressed);
    assert_eq!(opened.meta.recipients, enc_key_ids(&a));
}

#[test]
fn readers_change_by_rewrapping_the_session_key_only() {
    // The body stays; only the PKESK part differs per reader set. Swapping in another
    // blob's PKESKs must not open this body (each blob has its own session key).
    let (a, _) = intake(KeyAlgorithm::Cv25519);
    let one = seal(b"first", std::slice::from_ref(&a)).unwrap();
    let two = seal(b"second", std::slice::from_ref(&a)).unwrap();
    let mixed = SealedBlob {
        pkesks: two.pkesks.clone(),
        body: one.body.clone(),
    };
    assert!(unseal(&mixed, &a, None, MAX).is_err());
}

#[test]
fn tampered_blob_is_an_integrity_error() {
    let (a, _) = intake(KeyAlgorithm::Cv25519);
    let blob = seal(&[42u8; 4096], std::slice::from_ref(&a)).unwrap();
    let mut bad = blob.clone();
    let last = bad.body.len() - 1;
    bad.body[last] ^= 0x80;
    assert_eq!(
        unseal(&bad, &a, None, MAX).unwrap_err(),
        UnsealError::Integrity
    );
    let mut bad = blob.clone();
    bad.body[200] ^= 0x04;
    assert_eq!(
        unseal(&bad, &a, None, MAX).unwrap_err(),
        UnsealError::Integrity
    );
    let garbage = SealedBlob {
        pkesks: b"junk".to_vec(),
        body: blob.body.clone(),
    };
    assert!(matches!(
        unseal(&garbage, &a, None, MAX),
        Err(UnsealError::Malformed { .. })
    ));
}

#[test]
fn seal_refuses_no_or_unusable_recipients() {
    assert!(matches!(seal(b"x", &[]), Err(SealError::NoRecipients)));
    let (signing_only, _) = sq::cert::CertBuilder::new()
        .add_userid("x")
        .add_signing_subkey()
        .generate()
        .unwrap();
    assert!(matches!(
        seal(b"x", &[signing_only]),
        Err(SealError::Recipient(KeyError::NoEncryptionKey { .. }))
    ));
}

#[test]
fn gpg_decrypts_what_we_seal_rsa_and_cv25519() {
    let gpg = Gpg::new();
    gpg.gen_key("H <h@example.org>", "default", "");
    gpg.gen_key("E <e@example.org>", "future-default", "");
    for uid in ["h@example.org", "e@example.org"] {
        let reader = parse_cert(&gpg.export_public(uid)).unwrap();
        let plaintext = format!("case 2024-0042 for {uid}\n");
        let blob = seal(plaintext.as_bytes(), &[reader]).unwrap();
        let out = gpg.run(&["--decrypt"], &message_bytes(&blob));
        assert!(
            out.status.success(),
            "gpg --decrypt failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(out.stdout, plaintext.as_bytes());

        // And gpg's secret key (as exported) unseals it here too.
        let secret = parse_secret_key(&gpg.export_secret(uid, "")).unwrap();
        assert_eq!(
            &unseal(&blob, &secret, None, MAX).unwrap()[..],
            plaintext.as_bytes()
        );
    }
}

#[test]
fn gpg_passphrase_protected_key_unseals_with_its_passphrase() {
    let gpg = Gpg::new();
    gpg.gen_key("P <p@example.org>", "default", "correct horse");
    let secret = parse_secret_key(&gpg.export_secret("p@example.org", "correct horse")).unwrap();
    let reader = secret.clone().strip_secret_key_material();
    let blob = seal(b"sealed to a protected key", &[reader]).unwrap();

    let good = SecretString::from("correct horse");
    assert_eq!(
        &unseal(&blob, &secret, Some(&good), MAX).unwrap()[..],
        b"sealed to a protected key"
    );
    let bad = SecretString::from("battery staple");
    assert!(matches!(
        unseal(&blob, &secret, Some(&bad), MAX),
        Err(UnsealError::WrongPassphrase { .. })
    ));
    assert!(matches!(
        unseal(&blob, &secret, None, MAX),
        Err(UnsealError::WrongPassphrase { .. })
    ));
}

#[test]
fn a_sealed_message_written_whole_opens_again_as_a_blob_and_garbage_does_not() {
    let (a, _) = intake(KeyAlgorithm::Cv25519);
    let public = [a.clone().strip_secret_key_material()];
    let blob = seal(b"key folder archive", &public).unwrap();
    let whole = message_bytes(&blob);
    let back = SealedBlob::from_message(&whole).unwrap();
    assert_eq!(back, blob);
    assert_eq!(
        &unseal(&back, &a, None, MAX).unwrap()[..],
        b"key folder archive"
    );
    for garbage in [&b""[..], b"PK\x03\x04 a zip", &blob.body] {
        assert!(SealedBlob::from_message(garbage).is_err());
    }
}
