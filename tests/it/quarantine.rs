//! What can't be read ends in quarantine, whole and sealed, and the server copy goes: unknown
//! keys, tampered ciphertext (EFAIL: never any plaintext), malformed packets and MIME, limits;
//! `quarantine retry` files it once the key is there.

use crate::support::dovecot::Dovecot;
use crate::support::gateway::{normalize_text, str_field, Setup};
use crate::support::gnupg::{
    armor_message, inner_entity, pgp_mime, plain_mail, unique, Gpg, Holder, Report,
};
use crate::support::poison;

const TO: &str = "zgloszenia@urzad.example.org";

/// Asserts exactly `n` quarantine entries, each with an id, a date and a non-empty reason;
/// returns them.
fn assert_quarantined(s: &Setup, n: usize) -> Vec<serde_json::Value> {
    let q = s.gateway.quarantine_json();
    assert_eq!(q.len(), n, "quarantine: {q:?}; logs:\n{}", s.gateway.logs());
    for entry in &q {
        assert!(!entry["id"].is_null(), "no id: {entry}");
        assert!(!str_field(entry, "received_at").is_empty());
        assert!(
            !str_field(entry, "reason").trim().is_empty(),
            "no reason: {entry}"
        );
    }
    q
}

#[test]
fn undecryptable_unknown_key_quarantined_then_filed_by_retry_after_import_intake() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    // An earlier intake key the gateway does not hold yet, made by gpg.
    let old_intake = Holder::new("Old Intake", "intake-2023@urzad.example.org");
    let token = unique("Q");
    let body = format!("Report to an old key {token}-BODY\n");
    let raw = Gpg::new().encrypt_pgp_mime(
        &old_intake.cert(),
        "Ola <ola@example.net>",
        TO,
        &format!("old key {token}-SUBJECT"),
        &body,
        None,
        None,
    );
    dovecot.append("INBOX", &raw);
    s.gateway.run_once();

    assert_eq!(
        dovecot.count("INBOX"),
        0,
        "quarantined copy must leave the server"
    );
    assert!(s.gateway.cases_json().is_empty());
    let q = assert_quarantined(&s, 1);
    let listing = serde_json::to_string(&q).unwrap();
    assert!(!listing.contains(&token) && !listing.contains("ola@example.net"));
    // Kept sealed: the raw message is not at rest in the clear either.
    let hits = s
        .gateway
        .canary_grep(&[b"ola@example.net", b"83.11.7.42", token.as_bytes()]);
    assert!(hits.is_empty(), "{hits:#?}");

    s.gateway.run_ok(&[
        "keys",
        "import-intake",
        old_intake.key_file.to_str().unwrap(),
    ]);
    // The raw message carries the sender's details: a handler's key is refused (exit 4) and
    // nothing is filed.
    let refused = s.gateway.quarantine_retry(None, &s.handler.key_file);
    assert_eq!(
        refused.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(s.gateway.case_numbers().is_empty());
    let out = s.gateway.quarantine_retry(None, &s.custodian.key_file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let numbers = s.gateway.case_numbers();
    assert_eq!(numbers.len(), 1, "retry did not file the case");
    let case = s.gateway.show_case(&numbers[0], &s.handler.key_file, None);
    assert_eq!(
        normalize_text(str_field(&case, "body")),
        normalize_text(&body)
    );
    assert_eq!(
        str_field(&case, "subject"),
        format!("old key {token}-SUBJECT")
    );
    assert!(
        s.gateway
            .quarantine_json()
            .iter()
            .all(|e| e["state"].as_str() != Some("held")),
        "a filed entry must not stay held: {:?}",
        s.gateway.quarantine_json()
    );
    // Once filed, the raw copy is destroyed: no sealed bytes left, its shred key destroyed
    // (audited), so no key opens it again.
    let q = s.gateway.quarantine_json();
    assert!(q.iter().all(|e| e["sealed_bytes"].is_null()), "{q:?}");
    let audit = s.gateway.run_ok(&["audit", "show", "--json"]);
    assert!(audit.contains("ShredKeyDestroyed") && audit.contains("QuarantineRetried"));
    let shreds = std::fs::read_dir(s.gateway.dir().join("var/keys/shred"))
        .unwrap()
        .count();
    assert_eq!(shreds, 1, "only the new case's shred key is left");
    // Retrying again does not file it twice.
    let _ = s.gateway.quarantine_retry(None, &s.custodian.key_file);
    assert_eq!(s.gateway.case_numbers().len(), 1);
    let out = s.gateway.unseal(&numbers[0], &s.custodian.key_file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ola@example.net"));
}

#[test]
fn efail_tampered_ciphertext_quarantined_never_yields_plaintext() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    // The reporter also encrypts to self, so gpg can confirm the tampering breaks integrity.
    let reporter = Holder::new("Reporter", "rep@example.net");
    let intake = reporter.gpg.import(&s.intake_cert);
    let token = unique("E");
    let report = Report {
        from: "Reporter <rep@example.net>",
        to: TO,
        subject: "tampered",
        body: &format!("Tampered report {token}-BODY, padding the literal data a little.\n"),
        attachment: None,
    };
    // Uncompressed, so the flipped byte lands in literal data and only the MDC catches it.
    let binary = reporter.gpg.encrypt(
        &[&intake[0], &reporter.fpr],
        &inner_entity(&report),
        false,
        None,
        &["--compress-algo", "none"],
    );
    let mut tampered = binary.clone();
    let at = tampered.len() - 40;
    tampered[at] ^= 0x01;
    let (code, _) = reporter.gpg.decrypt(&armor_message(&binary));
    assert_eq!(code, 0, "untampered message must decrypt");
    let (code, _) = reporter.gpg.decrypt(&armor_message(&tampered));
    assert_ne!(code, 0, "gpg must see the tampering (test set-up)");

    dovecot.append("INBOX", &pgp_mime(&report, &armor_message(&tampered)));
    s.gateway.run_once();

    assert_eq!(dovecot.count("INBOX"), 0);
    assert!(
        s.gateway.cases_json().is_empty(),
        "tampered message filed as a case"
    );
    assert_quarantined(&s, 1);
    let body_token = format!("{token}-BODY");
    let hits = s.gateway.canary_grep(&[
        body_token.as_bytes(),
        b"Tampered report",
        b"padding the literal",
    ]);
    assert!(
        hits.is_empty(),
        "plaintext of a tampered message at rest: {hits:#?}"
    );

    // Retrying does not change the verdict and loses nothing.
    let _ = s.gateway.quarantine_retry(None, &s.custodian.key_file);
    assert!(s.gateway.cases_json().is_empty());
    assert_quarantined(&s, 1);
}

#[test]
fn malformed_packets_quarantined() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let report = Report {
        from: "M <m@example.net>",
        to: TO,
        subject: "x",
        body: "",
        attachment: None,
    };
    // Valid armor around bytes that are no OpenPGP message.
    let junk: Vec<u8> = (0..600u32).map(|i| (i * 7919 % 251) as u8).collect();
    dovecot.append("INBOX", &pgp_mime(&report, &armor_message(&junk)));
    // Armor that is not even base64.
    dovecot.append(
        "INBOX",
        &pgp_mime(
            &report,
            b"-----BEGIN PGP MESSAGE-----\n\n!!!! not base64 ****\n-----END PGP MESSAGE-----\n",
        ),
    );
    s.gateway.run_once();
    assert_eq!(dovecot.count("INBOX"), 0);
    assert!(s.gateway.cases_json().is_empty());
    assert_quarantined(&s, 2);
}

#[test]
fn garbage_and_truncated_mail_lose_nothing_and_block_nothing() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    // No header block, binary noise (no NUL: IMAP APPEND can't carry it without BINARY).
    let mut garbage = b"\xff\xfe\x80\x81 this is not a message \x01\x02\x03".to_vec();
    garbage.extend((0..2000u32).map(|i| ((i * 131 % 254) + 1) as u8));
    dovecot.append("INBOX", &garbage);
    // Truncated multipart: the boundary never comes, the encrypted part is cut mid-armor.
    let truncated = b"From: t@example.net\r\nTo: z@example.org\r\nSubject: x\r\nMIME-Version: 1.0\r\n\
        Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b\"\r\n\r\n\
        --b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n--b\r\n\
        Content-Type: application/octet-stream\r\n\r\n-----BEGIN PGP MESSAGE-----\r\n\r\nhF4DAAAA";
    dovecot.append("INBOX", truncated);
    let token = unique("G");
    dovecot.append(
        "INBOX",
        &plain_mail(&Report {
            from: "Fine <fine@example.net>",
            to: TO,
            subject: "behind the garbage",
            body: &format!("still filed {token}\n"),
            attachment: None,
        }),
    );
    s.gateway.run_once();
    assert_eq!(dovecot.count("INBOX"), 0, "logs:\n{}", s.gateway.logs());
    // The truncated ciphertext can't be opened: quarantined. Headerless noise may be filed as a
    // plain report (it is readable text to a MIME parser) or quarantined, but never lost.
    let q = s.gateway.quarantine_json();
    assert!(
        !q.is_empty() && q.len() <= 2,
        "quarantine: {q:?}; logs:\n{}",
        s.gateway.logs()
    );
    let numbers = s.gateway.case_numbers();
    assert_eq!(
        numbers.len() + q.len(),
        3,
        "something lost: {numbers:?} {q:?}"
    );
    let cases: Vec<serde_json::Value> = numbers
        .iter()
        .map(|n| s.gateway.show_case(n, &s.handler.key_file, None))
        .collect();
    for case in &cases {
        // A filed case must hold what arrived; an empty case would mean the bytes were dropped.
        let has_content = case["body"].as_str().is_some_and(|b| !b.is_empty())
            || case["html"].as_str().is_some_and(|b| !b.is_empty())
            || case["attachments"]
                .as_array()
                .is_some_and(|a| !a.is_empty())
            || case["unencrypted_parts"]
                .as_array()
                .is_some_and(|a| !a.is_empty());
        assert!(
            has_content,
            "case filed empty, the message's bytes are lost: {case}"
        );
    }
    let bodies: Vec<&str> = cases
        .iter()
        .map(|c| c["body"].as_str().unwrap_or(""))
        .collect();
    assert_eq!(
        bodies.iter().filter(|b| b.contains(&token)).count(),
        1,
        "the good message must be filed once"
    );
}

#[test]
fn mime_nesting_over_the_limit_quarantined() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    s.gateway.append_config("[limits]\nmax-mime-depth = 8\n");
    let depth = 40;
    let mut m = String::from(
        "From: n@example.net\r\nTo: z@example.org\r\nSubject: nested\r\nMIME-Version: 1.0\r\n",
    );
    for i in 0..depth {
        m.push_str(&format!(
            "Content-Type: multipart/mixed; boundary=\"n{i}\"\r\n\r\n--n{i}\r\n"
        ));
    }
    m.push_str("Content-Type: text/plain\r\n\r\ndeep\r\n");
    for i in (0..depth).rev() {
        m.push_str(&format!("--n{i}--\r\n"));
    }
    dovecot.append("INBOX", m.as_bytes());
    s.gateway.run_once();
    assert_eq!(dovecot.count("INBOX"), 0);
    assert!(s.gateway.cases_json().is_empty());
    assert_quarantined(&s, 1);
}

#[test]
fn message_over_the_size_limit_quarantined_without_blocking_the_next() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    s.gateway
        .append_config("[limits]\nmax-message-bytes = 20000\n");
    let big = "0123456789abcdef ".repeat(4000);
    dovecot.append(
        "INBOX",
        &plain_mail(&Report {
            from: "Big <big@example.net>",
            to: TO,
            subject: "big",
            body: &big,
            attachment: None,
        }),
    );
    let token = unique("B");
    dovecot.append(
        "INBOX",
        &plain_mail(&Report {
            from: "Small <small@example.net>",
            to: TO,
            subject: "small",
            body: &format!("small {token}\n"),
            attachment: None,
        }),
    );
    s.gateway.run_once();
    // Over RFC822.SIZE it is never downloaded: listed in quarantine with its reason and, since
    // the gateway can't hold it whole, left on the server rather than lost.
    let q = assert_quarantined(&s, 1);
    let numbers = s.gateway.case_numbers();
    assert_eq!(numbers.len(), 1, "the small message must be filed");
    let left = dovecot.count("INBOX");
    assert!(left <= 1, "only the oversized message may stay: {left}");
    if left == 1 {
        let text = q[0].to_string().to_lowercase();
        assert!(
            text.contains("size") || text.contains("large") || text.contains("limit"),
            "reason should name the limit: {text}"
        );
    }
    // A second run neither duplicates the entry nor files the big one.
    s.gateway.run_once();
    assert_quarantined(&s, 1);
    assert_eq!(s.gateway.case_numbers().len(), 1);
    // doctor names it with what to do.
    let doctor = s.gateway.run(&["doctor"]);
    let said = String::from_utf8_lossy(&doctor.stdout);
    assert!(
        said.contains("left on the server") && said.contains("max-message-bytes"),
        "{said}"
    );
}

#[test]
fn a_message_left_on_the_server_is_taken_once_the_limit_allows_it() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let config = std::fs::read_to_string(s.gateway.config()).unwrap();
    s.gateway
        .append_config("[limits]\nmax-message-bytes = 20000\n");
    let token = unique("BIG");
    let big = format!("{token} {}", "0123456789abcdef ".repeat(4000));
    dovecot.append(
        "INBOX",
        &plain_mail(&Report {
            from: "Big <big@example.net>",
            to: TO,
            subject: "big",
            body: &big,
            attachment: None,
        }),
    );
    s.gateway.run_once();
    assert_eq!(dovecot.count("INBOX"), 1, "left on the server");
    assert!(s.gateway.case_numbers().is_empty());
    // The admin raises the limit: the next run takes it, files it, and the entry ends.
    std::fs::write(s.gateway.config(), &config).unwrap();
    s.gateway.run_once();
    assert_eq!(dovecot.count("INBOX"), 0, "{}", s.gateway.logs());
    let numbers = s.gateway.case_numbers();
    assert_eq!(numbers.len(), 1);
    let case = s.gateway.show_case(&numbers[0], &s.handler.key_file, None);
    assert!(str_field(&case, "body").contains(&token));
    let q = s.gateway.quarantine_json();
    assert!(q.iter().all(|e| e["state"] != "left-on-server"), "{q:?}");
    let audit = s.gateway.run_ok(&["audit", "show", "--json"]);
    assert!(audit.contains("LeftOnServerResolved"));
    // Nothing left for doctor to warn about.
    let doctor = s.gateway.run(&["doctor"]);
    assert!(!String::from_utf8_lossy(&doctor.stdout).contains("left on the server"));
}

/// Poison messages do not stop intake: a PDF flate bomb is cleaned without being expanded, an
/// inline-PGP mail of 2,500 compressed blocks and a 25 MiB text part of ~450,000 tiny blocks end in
/// quarantine at once, and the report sent right after them is filed in the same run.
#[test]
fn poison_messages_do_not_stop_the_report_behind_them() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    dovecot.append("INBOX", &poison::pdf_bomb_mail());
    dovecot.append(
        "INBOX",
        &poison::compressed_blocks_mail(&s.intake_cert, 2_500),
    );
    dovecot.append("INBOX", &poison::tiny_blocks_mail());
    let token = unique("AFTER");
    dovecot.append(
        "INBOX",
        &plain_mail(&Report {
            from: "N <n@example.net>",
            to: TO,
            subject: "normal",
            body: &format!("normal report {token}\n"),
            attachment: None,
        }),
    );

    s.gateway.run_once();
    assert_eq!(dovecot.count("INBOX"), 0, "{}", s.gateway.logs());
    let q = s.gateway.quarantine_json();
    let reasons: Vec<&str> = q.iter().map(|e| str_field(e, "reason")).collect();
    assert_eq!(
        reasons,
        ["openpgp-too-many-blocks", "openpgp-too-many-blocks"],
        "{q:#?}"
    );
    let numbers = s.gateway.case_numbers();
    assert_eq!(numbers.len(), 2, "the PDF report and the normal one");
    let pdf_case = s.gateway.show_case(&numbers[0], &s.handler.key_file, None);
    let removed = pdf_case["attachments"][0]["metadata_removed"].to_string();
    assert!(
        removed.contains("XMP metadata (not readable)"),
        "{pdf_case}"
    );
    let normal = s.gateway.show_case(&numbers[1], &s.handler.key_file, None);
    assert!(str_field(&normal, "body").contains(&token));
}
