//! Tests for intake key generation, certificate parsing and recipient checks.

use std::time::{Duration, SystemTime};

use sequoia_openpgp as sq;
use sq::cert::prelude::*;
use sq::types::{KeyFlags, ReasonForRevocation};

use super::keys::*;
use super::test_support::{enc_key_ids, intake, Gpg};

#[test]
fn generated_intake_keys_are_usable_and_round_trip() {
    for algo in [KeyAlgorithm::Cv25519, KeyAlgorithm::Rsa4096] {
        let (cert, ring) = intake(algo);
        check_recipient(&cert).unwrap();
        let fpr = fingerprint_hex(&cert);
        assert_eq!(fpr.len(), 40);
        assert!(fpr
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));

        let public = armored_public(&cert).unwrap();
        assert!(public.starts_with("-----BEGIN PGP PUBLIC KEY BLOCK-----"));
        assert!(!public.contains("PRIVATE"));
        let parsed = parse_cert(public.as_bytes()).unwrap();
        assert_eq!(fingerprint_hex(&parsed), fpr);
        assert!(!parsed.is_tsk());
        assert!(matches!(
            parse_secret_key(public.as_bytes()),
            Err(KeyError::NoSecretKey { .. })
        ));

        let secret = armored_secret(&cert).unwrap();
        assert!(secret.starts_with(b"-----BEGIN PGP PRIVATE KEY BLOCK-----"));
        let tsk = parse_secret_key(&secret).unwrap();
        assert_eq!(fingerprint_hex(&tsk), fpr);
        assert!(!needs_passphrase(&tsk));

        // Certify-only primary, one transport+storage encryption subkey, ~2 years.
        let p = sq::policy::StandardPolicy::new();
        let vc = cert.with_policy(&p, None).unwrap();
        let primary_flags = vc.primary_key().key_flags().unwrap();
        assert!(primary_flags.for_certification());
        assert!(!primary_flags.for_signing());
        assert_eq!(enc_key_ids(&cert).len(), 1);
        let exp = vc.primary_key().key_expiration_time().unwrap();
        let days = exp.duration_since(SystemTime::now()).unwrap().as_secs() / 86400;
        assert!((725..=731).contains(&days), "{days}");
        assert_eq!(
            vc.userids().next().unwrap().userid().value(),
            b"Sygnal intake <sygnalista@example.org>"
        );

        // The keyring knows its subkey and prints fingerprints only.
        let sub = &enc_key_ids(&cert)[0];
        assert!(ring.owns_key_id(sub));
        assert!(ring.owns_key_id(&sub.to_lowercase()));
        assert!(!ring.owns_key_id("0000000000000000"));
        assert!(!ring.owns_key_id("not hex"));
        assert_eq!(ring.fingerprints(), vec![fpr.clone()]);
        assert!(!ring.is_empty());
        let dbg = format!("{ring:?}");
        assert!(dbg.contains(&fpr));
        assert!(!dbg.contains("Secret") && !dbg.contains("secret:"), "{dbg}");
    }
}

#[test]
fn parse_cert_accepts_gpg_export_and_refuses_two_certs_and_garbage() {
    let gpg = Gpg::new();
    gpg.gen_key("H <h@example.org>", "default", "");
    gpg.gen_key("E <e@example.org>", "future-default", "");
    let one = gpg.export_public("h@example.org");
    let cert = parse_cert(&one).unwrap();
    check_recipient(&cert).unwrap();
    // CRLF line endings, as pasted from a mail client.
    let crlf = String::from_utf8(one.clone())
        .unwrap()
        .replace('\n', "\r\n");
    assert_eq!(
        fingerprint_hex(&parse_cert(crlf.as_bytes()).unwrap()),
        fingerprint_hex(&cert)
    );
    // A gpg secret export given as a reader cert loses its secrets.
    let secret = gpg.export_secret("h@example.org", "");
    assert!(!parse_cert(&secret).unwrap().is_tsk());
    assert!(parse_secret_key(&secret).unwrap().is_tsk());

    let both = gpg.ok(&["--export"], b"");
    assert!(matches!(
        parse_cert(&both),
        Err(KeyError::NotOneCert { found: 2 })
    ));
    assert!(parse_cert(b"hello").is_err());
    assert!(parse_cert(b"").is_err());
}

#[test]
fn check_recipient_names_the_reason() {
    // Expired: created three days ago, valid for one.
    let (expired, _) = CertBuilder::new()
        .add_userid("x")
        .set_creation_time(SystemTime::now() - Duration::from_secs(3 * 86400))
        .set_validity_period(Duration::from_secs(86400))
        .add_storage_encryption_subkey()
        .generate()
        .unwrap();
    assert!(matches!(
        check_recipient(&expired),
        Err(KeyError::Expired { .. })
    ));

    // Revoked with the revocation certificate made at generation.
    let (cert, rev) = CertBuilder::new()
        .add_userid("x")
        .add_transport_encryption_subkey()
        .generate()
        .unwrap();
    let (revoked, _) = cert.insert_packets(rev).unwrap();
    assert!(matches!(
        check_recipient(&revoked),
        Err(KeyError::Revoked { .. })
    ));

    // Only the encryption subkey revoked.
    let (cert, _) = CertBuilder::new()
        .add_userid("x")
        .add_transport_encryption_subkey()
        .generate()
        .unwrap();
    let mut signer = cert
        .primary_key()
        .key()
        .clone()
        .parts_into_secret()
        .unwrap()
        .into_keypair()
        .unwrap();
    let sub = cert.keys().subkeys().next().unwrap();
    let sig = SubkeyRevocationBuilder::new()
        .set_reason_for_revocation(ReasonForRevocation::KeyRetired, b"")
        .unwrap()
        .build(&mut signer, &cert, sub.key(), None)
        .unwrap();
    let (sub_revoked, _) = cert.insert_packets(sig).unwrap();
    assert!(matches!(
        check_recipient(&sub_revoked),
        Err(KeyError::Revoked { .. })
    ));

    // Signing only.
    let (signing_only, _) = CertBuilder::new()
        .add_userid("x")
        .add_subkey(KeyFlags::empty().set_signing(), None, None)
        .generate()
        .unwrap();
    assert!(matches!(
        check_recipient(&signing_only),
        Err(KeyError::NoEncryptionKey { .. })
    ));
    assert!(matches!(
        parse_secret_key(&armored_secret(&signing_only).unwrap()),
        Err(KeyError::NoSecretKey { .. })
    ));

    // Errors carry the fingerprint, nothing from the user ID.
    let msg = check_recipient(&signing_only).unwrap_err().to_string();
    assert!(msg.contains(&fingerprint_hex(&signing_only)));
}

#[test]
fn keyring_with_protected_key_knows_its_ids_but_cannot_decrypt() {
    let gpg = Gpg::new();
    gpg.gen_key("P <p@example.org>", "future-default", "pw");
    let tsk = parse_secret_key(&gpg.export_secret("p@example.org", "pw")).unwrap();
    assert!(needs_passphrase(&tsk));
    let ring = IntakeKeyring::new(vec![tsk.clone()]);
    assert!(ring.owns_key_id(&enc_key_ids(&tsk)[0]));
    assert_eq!(ring.secrets().count(), 0);
}
