use super::*;
use crate::mail::content::{content_from_text, parse_content};
use crate::mail::envelope::{classify, Envelope};
use crate::mail::limits::MailLimits;

const RAW: &str = "Return-Path: <jan.kowalski@example.org>\r\n\
Received: from mail.home-isp.example (host-203-0-113-7.home-isp.example [203.0.113.7])\r\n\
\tby mx.gateway.example (Postfix) with ESMTPS id 4AB12;\r\n\
\tMon, 3 Mar 2025 09:15:00 +0100 (CET)\r\n\
DKIM-Signature: v=1; a=rsa-sha256; d=example.org; s=sel; b=abc\r\n\
Authentication-Results: mx.gateway.example; spf=pass smtp.mailfrom=example.org\r\n\
From: =?UTF-8?Q?Jan_Kowalski?= <jan.kowalski@example.org>\r\n\
Reply-To: Private <jk.private@mailbox.example>\r\n\
To: Sygnalista <sygnal@firma.example>\r\n\
Cc: witness@example.net\r\n\
Subject: =?UTF-8?Q?Nieprawid=C5=82owo=C5=9Bci_w_przetargu?=\r\n\
Date: Mon, 3 Mar 2025 09:14:58 +0100\r\n\
Message-ID: <unique-7781@laptop-jk.example.org>\r\n\
In-Reply-To: <prev-1@firma.example>\r\n\
User-Agent: Mozilla/5.0 (Windows NT 10.0; Win64; x64) Thunderbird/128.3.0\r\n\
X-Mailer: JK-Mailer 9.9\r\n\
X-Originating-IP: [198.51.100.23]\r\n\
Autocrypt: addr=jan.kowalski@example.org; keydata=xjMEZ\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\n\
Przetarg 12/2025 był ustawiony.\r\n";

const IDENTIFYING: &[&str] = &[
    "kowalski",
    "jk.private",
    "mailbox.example",
    "203.0.113.7",
    "home-isp",
    "198.51.100.23",
    "unique-7781",
    "laptop-jk",
    "Thunderbird",
    "JK-Mailer",
    "+0100",
    "09:14",
    "witness",
    "DKIM",
    "keydata",
    "C:\\\\Users",
    "ABCDEF0123456789",
];

fn date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2025, 3, 4).unwrap()
}

fn split_plain(raw: &[u8]) -> Split {
    let limits = MailLimits::default();
    let env = classify(raw, &limits).unwrap();
    let content = parse_content(raw, &limits).unwrap();
    let Envelope::Plain { outer } = env else {
        panic!()
    };
    split(&outer, content, PgpTraces::default(), Vec::new(), date())
}

fn report_json(report: &Report) -> String {
    let mut buf = Zeroizing::new(Vec::new());
    serde_json::to_writer(&mut *buf, report).unwrap();
    String::from_utf8(buf.to_vec()).unwrap()
}

fn identity_json(identity: &SenderIdentity) -> String {
    serde_json::to_string(identity).unwrap()
}

#[test]
fn identity_headers_go_to_identity_and_never_to_report() {
    let s = split_plain(RAW.as_bytes());
    let report = report_json(&s.report);
    for needle in IDENTIFYING {
        assert!(!report.contains(needle), "report leaks {needle}: {report}");
    }
    assert_eq!(
        s.report.subject.as_deref(),
        Some("Nieprawidłowości w przetargu")
    );
    assert_eq!(
        s.report.body.as_deref().unwrap().trim(),
        "Przetarg 12/2025 był ustawiony."
    );
    assert_eq!(s.report.received_at, "2025-03-04");
    assert!(!s.report.encrypted && !s.report.signed);

    let id = &s.identity;
    assert_eq!(id.from, ["Jan Kowalski <jan.kowalski@example.org>"]);
    assert_eq!(id.reply_to, ["Private <jk.private@mailbox.example>"]);
    assert_eq!(id.to, ["Sygnalista <sygnal@firma.example>"]);
    assert_eq!(id.cc, ["witness@example.net"]);
    assert_eq!(id.return_path, ["<jan.kowalski@example.org>"]);
    assert_eq!(id.received.len(), 1);
    for host in [
        "mail.home-isp.example",
        "203.0.113.7",
        "mx.gateway.example",
        "198.51.100.23",
    ] {
        assert!(
            id.received_hosts_ips.iter().any(|h| h == host),
            "{host}: {:?}",
            id.received_hosts_ips
        );
    }
    assert_eq!(
        id.message_id.as_deref(),
        Some("<unique-7781@laptop-jk.example.org>")
    );
    assert_eq!(id.in_reply_to, ["<prev-1@firma.example>"]);
    assert_eq!(id.user_agent.len(), 2);
    assert_eq!(id.x_originating_ip, ["[198.51.100.23]"]);
    assert_eq!(
        id.date_header.as_deref(),
        Some("Mon, 3 Mar 2025 09:14:58 +0100")
    );
    assert_eq!(id.authentication.len(), 2);
    assert_eq!(id.autocrypt.len(), 1);
    assert!(id.raw_headers.starts_with("Return-Path:"));
    assert!(id.headers.iter().any(|f| f.name == "Subject"));
    let json = identity_json(id);
    for needle in ["jk.private", "203.0.113.7", "Thunderbird", "+0100"] {
        assert!(json.contains(needle), "identity lacks {needle}");
    }
}

#[test]
fn protected_subject_wins_and_placeholders_are_dropped() {
    let outer_raw =
        b"From: jan@example.org\r\nSubject: ...\r\nContent-Type: text/plain\r\n\r\nx\r\n";
    let Envelope::Plain { outer } = classify(outer_raw, &MailLimits::default()).unwrap() else {
        panic!()
    };
    let inner = b"Content-Type: text/plain; charset=utf-8; protected-headers=v1\r\n\
        Subject: Real subject\r\nFrom: Jan <jan@private.example>\r\n\r\nbody\r\n";
    let content = parse_content(inner, &MailLimits::default()).unwrap();
    let traces = PgpTraces {
        encrypted: true,
        signatures: vec![("ABCDEF0123456789".into(), true, true)],
        foreign_recipients: vec!["1122334455667788".into()],
        literal_filename: Some(b"C:\\Users\\jkowalski\\report.txt".to_vec()),
        literal_date: Some(1_700_000_000),
        signature: SignatureLabel::TrustedSigner,
        legacy: Vec::new(),
    };
    let s = split(&outer, content, traces, Vec::new(), date());
    assert_eq!(s.report.subject.as_deref(), Some("Real subject"));
    assert!(s.report.encrypted);
    assert_eq!(s.report.signature(), SignatureLabel::TrustedSigner);
    assert!(!s.report.subject_outside_encryption);
    let report = report_json(&s.report);
    assert!(
        !report.contains("jan@") && !report.contains("jkowalski") && !report.contains("ABCDEF")
    );
    assert!(!report.contains("1700000000") && !report.contains("1122334455667788"));
    let id = &s.identity;
    assert!(id
        .protected_headers
        .iter()
        .any(|f| f.name == "From" && f.value.contains("jan@private.example")));
    assert!(!id.protected_headers.iter().any(|f| f.name == "Subject"));
    assert_eq!(id.openpgp.signatures[0].issuer, "ABCDEF0123456789");
    assert_eq!(id.openpgp.foreign_recipients, ["1122334455667788"]);
    assert_eq!(
        id.openpgp.literal_filename.as_deref(),
        Some("C:\\Users\\jkowalski\\report.txt")
    );
    assert_eq!(id.openpgp.literal_date, Some(1_700_000_000));

    // Without a protected subject a placeholder outer subject says nothing.
    let s = split(
        &outer,
        content_from_text(Zeroizing::new(b"inline".to_vec())),
        PgpTraces {
            encrypted: true,
            ..PgpTraces::default()
        },
        Vec::new(),
        date(),
    );
    assert_eq!(s.report.subject, None);
    assert_eq!(s.report.body.as_deref(), Some("inline"));
}

#[test]
fn outer_subject_is_used_when_it_is_real() {
    let raw = b"From: jan@example.org\r\nSubject: Budget fraud\r\n\r\nx\r\n";
    let s = split_plain(raw);
    assert_eq!(s.report.subject.as_deref(), Some("Budget fraud"));
}

#[test]
fn unencrypted_parts_stay_apart_and_keys_go_to_identity() {
    let raw = "From: jan@example.org\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n\
        --m\r\nContent-Type: text/html\r\n\r\n<img src=\"http://attacker.example/\">\r\n\
        --m\r\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=e\r\n\r\n\
        --e\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\
        --e\r\nContent-Type: application/octet-stream\r\n\r\n-----BEGIN PGP MESSAGE-----\r\n\r\nhQ\r\n-----END PGP MESSAGE-----\r\n--e--\r\n\
        --m\r\nContent-Type: application/pgp-keys\r\n\r\n-----BEGIN PGP PUBLIC KEY BLOCK-----\r\n\r\nxjMEZ\r\n-----END PGP PUBLIC KEY BLOCK-----\r\n\
        --m\r\nContent-Type: image/png; name=\"C:\\\\Users\\\\jk\\\\x.png\"\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0K\r\n--m--\r\n";
    let Envelope::PgpMime {
        outer,
        unencrypted_parts,
        ..
    } = classify(raw.as_bytes(), &MailLimits::default()).unwrap()
    else {
        panic!()
    };
    let content = parse_content(
        b"Content-Type: text/plain\r\n\r\ndecrypted report\r\n",
        &MailLimits::default(),
    )
    .unwrap();
    let s = split(
        &outer,
        content,
        PgpTraces {
            encrypted: true,
            ..PgpTraces::default()
        },
        unencrypted_parts,
        date(),
    );
    assert_eq!(s.report.body.as_deref().unwrap().trim(), "decrypted report");
    let parts = &s.report.unencrypted_parts;
    assert_eq!(parts.len(), 2);
    assert_eq!(parts[0].content_type, "text/html");
    assert!(parts[0].text.as_deref().unwrap().contains("attacker"));
    assert_eq!(parts[1].name.as_deref(), Some("x.png"));
    assert_eq!(parts[1].data.as_deref(), Some("iVBORw0K"));
    assert_eq!(parts[1].size, 6);
    assert_eq!(s.identity.attached_keys.len(), 1);
    assert!(!report_json(&s.report).contains("PUBLIC KEY"));
}

#[test]
fn attachments_carry_hash_and_base64() {
    let raw = b"From: a@example.org\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n\
        --m\r\nContent-Type: text/plain\r\n\r\nsee file\r\n\
        --m\r\nContent-Type: application/pdf; name=\"r.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--m--\r\n";
    let s = split_plain(raw);
    let a = &s.report.attachments[0];
    assert_eq!(a.name.as_deref(), Some("r.pdf"));
    assert_eq!(a.size, 9);
    assert_eq!(a.sha256, hex::encode(Sha256::digest(b"%PDF-1.4\n")));
    let json = report_json(&s.report);
    assert!(json.contains("\"data\":\"JVBERi0xLjQK\""), "{json}");
}

#[test]
fn base64_matches_rfc4648_vectors() {
    for (input, want) in [
        ("", ""),
        ("f", "Zg=="),
        ("fo", "Zm8="),
        ("foo", "Zm9v"),
        ("foob", "Zm9vYg=="),
        ("fooba", "Zm9vYmE="),
        ("foobar", "Zm9vYmFy"),
    ] {
        assert_eq!(base64(input.as_bytes()).as_str(), want);
    }
    assert_eq!(base64(&[0xff, 0xfe, 0xfd]).as_str(), "//79");
}

#[test]
fn debug_is_redacted() {
    let s = split_plain(RAW.as_bytes());
    let shown = format!("{s:?}");
    for needle in ["kowalski", "przetarg", "Przetarg", "203.0.113.7"] {
        assert!(!shown.contains(needle), "{shown}");
    }
}

#[test]
fn an_outer_subject_standing_in_under_encryption_is_marked_as_sent_in_the_clear() {
    let outer_raw =
        b"From: jan@example.org\r\nSubject: Visible to every relay\r\nContent-Type: text/plain\r\n\r\nx\r\n";
    let Envelope::Plain { outer } = classify(outer_raw, &MailLimits::default()).unwrap() else {
        panic!()
    };
    let encrypted = PgpTraces {
        encrypted: true,
        ..PgpTraces::default()
    };
    let s = split(
        &outer,
        content_from_text(Zeroizing::new(b"inline".to_vec())),
        encrypted,
        Vec::new(),
        date(),
    );
    assert_eq!(s.report.subject.as_deref(), Some("Visible to every relay"));
    assert!(s.report.subject_outside_encryption);
    // Plain mail says it arrived unencrypted as a whole; its subject is not singled out.
    let s = split(
        &outer,
        content_from_text(Zeroizing::new(b"plain".to_vec())),
        PgpTraces::default(),
        Vec::new(),
        date(),
    );
    assert!(!s.report.subject_outside_encryption);
    assert_eq!(s.report.signature(), SignatureLabel::Unsigned);
}

#[test]
fn records_sealed_before_labels_read_signed_as_signer_unknown() {
    let old: Report = serde_json::from_str(r#"{"subject":"x","signed":true}"#).unwrap();
    assert_eq!(old.signature(), SignatureLabel::UnknownSigner);
    let old: Report = serde_json::from_str(r#"{"subject":"x","signed":false}"#).unwrap();
    assert_eq!(old.signature(), SignatureLabel::Unsigned);
    // New records never write the ambiguous flag.
    let json = report_json(&old);
    assert!(!json.contains("\"signed\""), "{json}");
}
