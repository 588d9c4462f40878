//! Tests for opening reporters' mail: gpg interop, metadata, integrity, limits.

use std::io::Write;

use sequoia_openpgp as sq;
use sq::policy::StandardPolicy;
use sq::serialize::stream::{Compressor, Encryptor, LiteralWriter, Message};
use sq::types::{CompressionAlgorithm, CompressionLevel};

use super::keys::{
    armored_public, fingerprint_hex, parse_cert, parse_secret_key, IntakeKeyring, KeyAlgorithm,
};
use super::open::*;
use super::seal::{message_bytes, seal};
use super::test_support::{enc_key_fprs, enc_key_ids, intake, Gpg};

const LIMITS: OpenLimits = OpenLimits {
    max_plaintext_bytes: 10 * 1024 * 1024,
    max_pkesks: 16,
};

/// A gpg home that knows our intake key (public) and has a key of its own, "S".
fn gpg_for(cert: &sq::Cert) -> Gpg {
    let gpg = Gpg::new();
    gpg.import(armored_public(cert).unwrap().as_bytes());
    gpg.gen_key("S <s@example.org>", "future-default", "");
    gpg
}

fn gpg_encrypt(gpg: &Gpg, cert: &sq::Cert, extra: &[&str], plaintext: &[u8]) -> Vec<u8> {
    let fpr = fingerprint_hex(cert);
    let mut args = vec!["--armor", "-r", fpr.as_str()];
    args.extend_from_slice(extra);
    args.extend_from_slice(&["--encrypt"]);
    gpg.ok(&args, plaintext)
}

fn flip(bytes: &[u8], at: usize) -> Vec<u8> {
    let mut v = bytes.to_vec();
    v[at] ^= 0x01;
    v
}

/// Offset of the first encrypted byte of a SEIPD v1 packet at the start of `body`.
fn seipd_payload_start(body: &[u8]) -> usize {
    assert_eq!(body[0], 0xC0 | 18, "new-format SEIPD packet");
    let len_octets = match body[1] {
        0..=191 => 1,
        192..=223 => 2,
        224..=254 => 1, // partial body length
        255 => 5,
    };
    1 + len_octets + 1 // tag, length, version
}

#[test]
fn gpg_encrypted_mail_opens_with_either_algorithm() {
    for algo in [KeyAlgorithm::Cv25519, KeyAlgorithm::Rsa4096] {
        let (cert, ring) = intake(algo);
        let gpg = gpg_for(&cert);
        let ct = gpg_encrypt(&gpg, &cert, &[], b"Report: the books are cooked.\n");
        let opened = open(&ring, &ct, &[], &LIMITS).unwrap();
        assert_eq!(&opened.plaintext[..], b"Report: the books are cooked.\n");
        assert_eq!(opened.meta.decrypted_with, enc_key_fprs(&cert)[0]);
        assert_eq!(opened.meta.recipients, enc_key_ids(&cert));
        assert!(opened.meta.signatures.is_empty());
        assert!(opened.meta.compressed, "gpg compresses by default");
    }
}

#[test]
fn gpg_signed_and_encrypted_reports_the_signer() {
    let (cert, ring) = intake(KeyAlgorithm::Cv25519);
    let gpg = gpg_for(&cert);
    let signer = parse_cert(&gpg.export_public("s@example.org")).unwrap();
    let ct = gpg_encrypt(
        &gpg,
        &cert,
        &["-u", "s@example.org", "--sign"],
        b"signed report",
    );

    let opened = open(&ring, &ct, std::slice::from_ref(&signer), &LIMITS).unwrap();
    assert_eq!(&opened.plaintext[..], b"signed report");
    assert_eq!(
        opened.meta.signatures,
        vec![SignatureInfo {
            issuer: fingerprint_hex(&signer),
            status: SignatureStatus::Good
        }]
    );

    // Without the signer's certificate: reported, not verified.
    let opened = open(&ring, &ct, &[], &LIMITS).unwrap();
    assert_eq!(opened.meta.signatures.len(), 1);
    assert_eq!(
        opened.meta.signatures[0].status,
        SignatureStatus::UnknownKey
    );
    assert_eq!(opened.meta.signatures[0].issuer, fingerprint_hex(&signer));

    // A different certificate with the same claim does not make it good.
    let (other, _) = intake(KeyAlgorithm::Cv25519);
    let opened = open(&ring, &ct, &[other], &LIMITS).unwrap();
    assert_eq!(
        opened.meta.signatures[0].status,
        SignatureStatus::UnknownKey
    );
}

#[test]
fn encrypt_to_self_reveals_the_other_recipient_key_id() {
    let (cert, ring) = intake(KeyAlgorithm::Cv25519);
    let gpg = gpg_for(&cert);
    let sender = parse_cert(&gpg.export_public("s@example.org")).unwrap();
    let ct = gpg_encrypt(&gpg, &cert, &["-r", "s@example.org"], b"hello");
    let opened = open(&ring, &ct, &[], &LIMITS).unwrap();
    assert_eq!(opened.meta.recipients.len(), 2);
    let others: Vec<&String> = opened
        .meta
        .recipients
        .iter()
        .filter(|r| !ring.owns_key_id(r))
        .collect();
    assert_eq!(others, vec![&enc_key_ids(&sender)[0]]);
}

#[test]
fn hidden_recipient_is_reported_as_wildcard_and_still_opens() {
    let (cert, ring) = intake(KeyAlgorithm::Cv25519);
    let gpg = gpg_for(&cert);
    let ct = gpg_encrypt(&gpg, &cert, &["--throw-keyids"], b"hidden");
    let opened = open(&ring, &ct, &[], &LIMITS).unwrap();
    assert_eq!(&opened.plaintext[..], b"hidden");
    assert_eq!(opened.meta.recipients, vec!["0000000000000000".to_owned()]);
}

#[test]
fn literal_filename_and_date_are_reported_but_never_printed() {
    let (cert, ring) = intake(KeyAlgorithm::Cv25519);
    let gpg = gpg_for(&cert);
    let name = r"C:\Users\jkowalski\Desktop\report.docx";
    let ct = gpg_encrypt(&gpg, &cert, &["--set-filename", name], b"body");
    let opened = open(&ring, &ct, &[], &LIMITS).unwrap();
    assert_eq!(
        opened.meta.literal_filename.as_deref(),
        Some(name.as_bytes())
    );
    let date = opened.meta.literal_date.unwrap();
    let now = chrono::Utc::now().timestamp();
    assert!((now - 600..=now + 60).contains(&date));

    let dbg = format!("{opened:?}");
    assert!(!dbg.contains("jkowalski") && !dbg.contains("body"), "{dbg}");
    assert!(dbg.contains("<redacted, 4 bytes>"), "{dbg}");
}

#[test]
fn sed_without_mdc_is_refused() {
    let (cert, ring) = intake(KeyAlgorithm::Cv25519);
    let gpg = gpg_for(&cert);
    // gpg 2.2.40 still writes a SED (no MDC) packet in RFC 2440 mode.
    let ct = gpg_encrypt(&gpg, &cert, &["--rfc2440"], b"no mdc");
    let listing = gpg.run(&["--list-packets"], &ct);
    assert!(!String::from_utf8_lossy(&listing.stdout).contains("mdc_method"));
    let err = open(&ring, &ct, &[], &LIMITS).unwrap_err();
    assert!(matches!(err, OpenError::PolicyRejected { .. }), "{err:?}");
    assert_eq!(err.code(), "openpgp-policy-rejected");

    // Corpus: rnp's no-MDC message (binary) and Thunderbird's (armored in a MIME part).
    let rnp = include_bytes!("../../tests/corpus/openpgp/rnp-message.txt.enc-no-mdc");
    let err = open(&ring, rnp, &[], &LIMITS).unwrap_err();
    assert!(matches!(err, OpenError::PolicyRejected { .. }), "{err:?}");

    let eml = include_str!("../../tests/corpus/thunderbird/rc-openpgp-nomdc.eml");
    let begin = eml.find("-----BEGIN PGP MESSAGE-----").unwrap();
    let end = eml.find("-----END PGP MESSAGE-----").unwrap() + 25;
    let alice = parse_secret_key(include_bytes!(
        "../../tests/corpus/openpgp/KEY_alice-secret.asc"
    ))
    .unwrap();
    let alice_ring = IntakeKeyring::new(vec![alice]);
    let err = open(&alice_ring, &eml.as_bytes()[begin..end], &[], &LIMITS).unwrap_err();
    assert!(matches!(err, OpenError::PolicyRejected { .. }), "{err:?}");
}

#[test]
fn any_flipped_bit_in_the_seipd_body_is_an_integrity_error() {
    let (cert, ring) = intake(KeyAlgorithm::Cv25519);
    let blob = seal(b"a short report that must not leak", &[cert]).unwrap();
    assert!(open(&ring, &message_bytes(&blob), &[], &LIMITS).is_ok());
    let start = seipd_payload_start(&blob.body);
    for at in start..blob.body.len() {
        let mut tampered = blob.clone();
        tampered.body = flip(&blob.body, at);
        let err = open(&ring, &message_bytes(&tampered), &[], &LIMITS).unwrap_err();
        assert_eq!(err, OpenError::Integrity, "flip at {at}");
    }
}

#[test]
fn one_mib_message_with_last_block_flipped_is_an_integrity_error() {
    let (cert, ring) = intake(KeyAlgorithm::Cv25519);
    let mut plaintext = vec![0u8; 1024 * 1024];
    sq::crypto::random(&mut plaintext).unwrap();
    let blob = seal(&plaintext, &[cert]).unwrap();
    let ok = open(&ring, &message_bytes(&blob), &[], &LIMITS).unwrap();
    assert_eq!(&ok.plaintext[..], &plaintext[..]);
    for at in [
        blob.body.len() - 1,
        blob.body.len() - 17,
        blob.body.len() / 2,
    ] {
        let mut tampered = blob.clone();
        tampered.body = flip(&blob.body, at);
        let err = open(&ring, &message_bytes(&tampered), &[], &LIMITS).unwrap_err();
        assert_eq!(err, OpenError::Integrity, "flip at {at}");
    }
    // Truncated: no plaintext either.
    let mut cut = blob.clone();
    cut.body.truncate(blob.body.len() - 10);
    assert!(open(&ring, &message_bytes(&cut), &[], &LIMITS).is_err());
}

#[test]
fn gpg_message_with_flipped_bit_is_an_integrity_error() {
    let (cert, ring) = intake(KeyAlgorithm::Rsa4096);
    let gpg = gpg_for(&cert);
    let fpr = fingerprint_hex(&cert);
    let mut big = vec![0u8; 256 * 1024];
    sq::crypto::random(&mut big).unwrap();
    let ct = gpg.ok(&["-r", &fpr, "-z", "0", "--encrypt"], &big);
    assert_eq!(
        &open(&ring, &ct, &[], &LIMITS).unwrap().plaintext[..],
        &big[..]
    );
    for at in [ct.len() - 1, ct.len() - 30, ct.len() - 100_000] {
        let err = open(&ring, &flip(&ct, at), &[], &LIMITS).unwrap_err();
        assert_eq!(err, OpenError::Integrity, "flip at {at}");
    }
}

/// Peak resident memory of this process in KiB.
fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap()
}

#[test]
fn decompression_bomb_stops_at_the_cap_with_bounded_memory() {
    // Peak memory is per process and other tests run in parallel: measure in a child
    // process that runs only this test.
    const CHILD: &str = "SYGNAL_OPENPGP_BOMB_CHILD";
    if std::env::var_os(CHILD).is_none() {
        let out = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "openpgp::open_tests::decompression_bomb_stops_at_the_cap_with_bounded_memory",
                "--exact",
                "--test-threads=1",
                "--nocapture",
            ])
            .env(CHILD, "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success() && stdout.contains("1 passed"),
            "child failed: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    let (cert, ring) = intake(KeyAlgorithm::Cv25519);
    // 200 MiB of zeros, compressed inside the encryption, written in 1 MiB steps.
    let mut ct = Vec::new();
    {
        let p = StandardPolicy::new();
        let recipients = cert
            .keys()
            .with_policy(&p, None)
            .supported()
            .for_transport_encryption();
        let m = Message::new(&mut ct);
        let m = Encryptor::for_recipients(m, recipients).build().unwrap();
        let m = Compressor::new(m)
            .algo(CompressionAlgorithm::Zlib)
            .level(CompressionLevel::best())
            .build()
            .unwrap();
        let mut m = LiteralWriter::new(m).build().unwrap();
        let zeros = vec![0u8; 1024 * 1024];
        for _ in 0..200 {
            m.write_all(&zeros).unwrap();
        }
        m.finalize().unwrap();
    }
    assert!(
        ct.len() < 2 * 1024 * 1024,
        "compressed to {} bytes",
        ct.len()
    );

    let before = peak_rss_kib();
    let err = open(&ring, &ct, &[], &LIMITS).unwrap_err();
    let grown_mib = (peak_rss_kib() - before) / 1024;
    assert_eq!(
        err,
        OpenError::TooLarge {
            limit: LIMITS.max_plaintext_bytes
        }
    );
    assert_eq!(err.code(), "openpgp-too-large");
    // Cap 10 MiB: we hold up to the cap (plus one copy while growing), Sequoia about 2 MiB.
    // Reading it all would take 200 MiB.
    assert!(grown_mib < 50, "peak memory grew by {grown_mib} MiB");
}

#[test]
fn plaintext_cap_is_exact() {
    let (cert, ring) = intake(KeyAlgorithm::Cv25519);
    let blob = seal(&[7u8; 5000], &[cert]).unwrap();
    let msg = message_bytes(&blob);
    let at = |n| OpenLimits {
        max_plaintext_bytes: n,
        max_pkesks: 4,
    };
    assert_eq!(
        open(&ring, &msg, &[], &at(5000)).unwrap().plaintext.len(),
        5000
    );
    assert_eq!(
        open(&ring, &msg, &[], &at(4999)).unwrap_err(),
        OpenError::TooLarge { limit: 4999 }
    );
}

#[test]
fn wrong_key_lists_the_recipients() {
    let (_ours, ring) = intake(KeyAlgorithm::Cv25519);
    let (other, _) = intake(KeyAlgorithm::Rsa4096);
    let blob = seal(b"not for you", std::slice::from_ref(&other)).unwrap();
    let err = open(&ring, &message_bytes(&blob), &[], &LIMITS).unwrap_err();
    assert_eq!(
        err,
        OpenError::NoMatchingKey {
            recipients: enc_key_ids(&other)
        }
    );
    assert_eq!(err.code(), "openpgp-no-matching-key");
    // An empty keyring behaves the same.
    let empty = IntakeKeyring::new(vec![]);
    assert!(empty.is_empty());
    assert!(matches!(
        open(&empty, &message_bytes(&blob), &[], &LIMITS),
        Err(OpenError::NoMatchingKey { .. })
    ));
}

#[test]
fn too_many_recipients_are_refused() {
    let (cert, ring) = intake(KeyAlgorithm::Cv25519);
    let others: Vec<sq::Cert> = (0..3).map(|_| intake(KeyAlgorithm::Cv25519).0).collect();
    let mut all = others.clone();
    all.push(cert);
    let blob = seal(b"x", &all).unwrap();
    let limits = OpenLimits {
        max_plaintext_bytes: 1024,
        max_pkesks: 3,
    };
    let err = open(&ring, &message_bytes(&blob), &[], &limits).unwrap_err();
    assert_eq!(err, OpenError::TooManyRecipients { limit: 3 });
    let limits = OpenLimits {
        max_pkesks: 4,
        ..limits
    };
    assert!(open(&ring, &message_bytes(&blob), &[], &limits).is_ok());
}

#[test]
fn password_only_and_unencrypted_messages_are_refused() {
    let (cert, ring) = intake(KeyAlgorithm::Cv25519);
    let gpg = gpg_for(&cert);
    let sym = gpg.ok(&["--passphrase", "x", "--armor", "--symmetric"], b"pw");
    assert_eq!(
        open(&ring, &sym, &[], &LIMITS).unwrap_err(),
        OpenError::Symmetric
    );

    let signed = gpg.ok(&["-u", "s@example.org", "--sign"], b"signed only");
    assert_eq!(
        open(&ring, &signed, &[], &LIMITS).unwrap_err(),
        OpenError::NotEncrypted
    );
    let stored = gpg.ok(&["--store"], b"literal only");
    assert_eq!(
        open(&ring, &stored, &[], &LIMITS).unwrap_err(),
        OpenError::NotEncrypted
    );
}

#[test]
fn armor_from_mail_bodies_is_normalised() {
    let (cert, ring) = intake(KeyAlgorithm::Cv25519);
    let gpg = gpg_for(&cert);
    let ct = String::from_utf8(gpg_encrypt(&gpg, &cert, &[], b"inline")).unwrap();

    // CRLF, trailing blanks, indented lines, NBSP in the separator line, blank lines around.
    let mut odd = String::from("\r\n  \r\n");
    for (i, line) in ct.lines().enumerate() {
        match i {
            1 => odd.push_str("\u{a0}\r\n"),
            _ if i % 3 == 0 => odd.push_str(&format!(" {line} \t\r\n")),
            _ => odd.push_str(&format!("{line}\r\n")),
        }
    }
    odd.push_str("\r\n\r\n");
    assert_eq!(
        &open(&ring, odd.as_bytes(), &[], &LIMITS).unwrap().plaintext[..],
        b"inline"
    );

    // Text outside the armored block is refused, not silently dropped.
    let before = format!("Hi,\n{ct}");
    assert!(matches!(
        open(&ring, before.as_bytes(), &[], &LIMITS),
        Err(OpenError::Malformed { .. })
    ));
    let after = format!("{ct}\n-- \nsignature line\n");
    assert!(matches!(
        open(&ring, after.as_bytes(), &[], &LIMITS),
        Err(OpenError::Malformed { .. })
    ));
}

/// Minimal quoted-printable decoding for the corpus mail below.
fn qp_decode(s: &str) -> Vec<u8> {
    let s = s.replace("=\r\n", "").replace("=\n", "");
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'=' && i + 2 < b.len() {
            out.push(
                u8::from_str_radix(std::str::from_utf8(&b[i + 1..i + 3]).unwrap(), 16).unwrap(),
            );
            i += 3;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

#[test]
fn thunderbird_inline_message_with_nbsp_separator_opens() {
    let eml = include_str!("../../tests/corpus/thunderbird/bob-enc-inline-nbsp-qp.eml");
    let body = eml.split_once("\n\n").unwrap().1;
    let decoded = qp_decode(body);
    assert!(decoded.windows(2).any(|w| w == b"\xc2\xa0"));
    let alice = parse_secret_key(include_bytes!(
        "../../tests/corpus/openpgp/KEY_alice-secret.asc"
    ))
    .unwrap();
    let ring = IntakeKeyring::new(vec![alice]);
    let opened = open(&ring, &decoded, &[], &LIMITS).unwrap();
    assert!(!opened.plaintext.is_empty());
}

#[test]
fn garbage_never_panics_and_is_malformed() {
    let (cert, ring) = intake(KeyAlgorithm::Cv25519);
    for input in [
        &b""[..],
        b"hello",
        b"-----BEGIN PGP MESSAGE-----\n\n!!!!\n-----END PGP MESSAGE-----\n",
        b"-----BEGIN PGP MESSAGE-----\n\nAAAA\n",
        b"-----BEGIN PGP SIGNATURE-----\n\nAAAA\n-----END PGP SIGNATURE-----\n",
        &[0xff; 64],
        &[0x85, 0x01],
    ] {
        let err = open(&ring, input, &[], &LIMITS).unwrap_err();
        assert!(
            matches!(
                err,
                OpenError::Malformed { .. } | OpenError::PolicyRejected { .. }
            ),
            "{err:?}"
        );
    }
    // Every prefix of a real message fails cleanly.
    let msg = message_bytes(&seal(b"prefix test", &[cert]).unwrap());
    for n in 0..msg.len() {
        assert!(open(&ring, &msg[..n], &[], &LIMITS).is_err(), "prefix {n}");
    }
}

#[test]
fn error_codes_are_stable_and_carry_no_content() {
    let cases = [
        (
            OpenError::NoMatchingKey { recipients: vec![] },
            "openpgp-no-matching-key",
        ),
        (OpenError::Integrity, "openpgp-integrity"),
        (
            OpenError::Malformed {
                detail: String::new(),
            },
            "openpgp-malformed",
        ),
        (OpenError::TooLarge { limit: 1 }, "openpgp-too-large"),
        (
            OpenError::TooManyRecipients { limit: 1 },
            "openpgp-too-many-recipients",
        ),
        (
            OpenError::PolicyRejected {
                detail: String::new(),
            },
            "openpgp-policy-rejected",
        ),
        (OpenError::Symmetric, "openpgp-symmetric"),
        (OpenError::NotEncrypted, "openpgp-not-encrypted"),
    ];
    for (e, code) in cases {
        assert_eq!(e.code(), code);
    }
}

#[test]
fn expired_intake_key_still_opens_mail_sent_before_rotation() {
    use std::time::{Duration, SystemTime};
    let (cert, _) = sq::cert::CertBuilder::new()
        .add_userid("Sygnal intake (old) <sygnalista@example.org>")
        .set_creation_time(SystemTime::now() - Duration::from_secs(3 * 365 * 86400))
        .set_validity_period(Duration::from_secs(2 * 365 * 86400))
        .add_transport_encryption_subkey()
        .generate()
        .unwrap();
    assert!(super::keys::check_recipient(&cert).is_err());
    let mut ct = Vec::new();
    {
        let p = StandardPolicy::new();
        let recipients = cert.keys().with_policy(&p, None).for_transport_encryption();
        let m = Message::new(&mut ct);
        let m = Encryptor::for_recipients(m, recipients).build().unwrap();
        let mut m = LiteralWriter::new(m).build().unwrap();
        m.write_all(b"late mail").unwrap();
        m.finalize().unwrap();
    }
    let (current, _) = intake(KeyAlgorithm::Cv25519);
    let ring = IntakeKeyring::new(vec![current, cert.clone()]);
    let opened = open(&ring, &ct, &[], &LIMITS).unwrap();
    assert_eq!(&opened.plaintext[..], b"late mail");
    assert_eq!(opened.meta.decrypted_with, enc_key_fprs(&cert)[0]);
}

#[test]
fn a_plaintext_of_the_expected_length_is_read_without_growing() {
    use crate::openpgp::{read_capped, ReadCapError};
    let data: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let out = read_capped(&mut data.as_slice(), 1 << 20, data.len()).unwrap();
    assert_eq!(out.as_slice(), data.as_slice());
    // Reserved once: no second buffer (and no copy of the plaintext) was ever needed.
    assert_eq!(out.capacity(), data.len().next_power_of_two() + 1);
    // Longer than expected (a compressed message): grown, still whole.
    let out = read_capped(&mut data.as_slice(), 1 << 20, 1000).unwrap();
    assert_eq!(out.as_slice(), data.as_slice());
    // Past the cap: refused, whatever was expected.
    assert!(matches!(
        read_capped(&mut data.as_slice(), 1000, data.len()),
        Err(ReadCapError::TooLarge)
    ));
}
