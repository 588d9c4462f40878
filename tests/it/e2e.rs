//! End to end through the real binary, a real Dovecot and GnuPG as the reporters' and readers'
//! client: reports are filed sealed, open only with the right key, and leave no plaintext behind.

use crate::support::dovecot::Dovecot;
use crate::support::gateway::{
    bool_field, normalize_text, sha256_hex, str_field, Gateway, Setup, EXIT_KEY_REFUSED,
};
use crate::support::gnupg::{plain_mail, unique, Gpg, Holder, Report};

const TO: &str = "zgloszenia@urzad.example.org";

/// Bytes that look like a small PDF with a unique marker and every byte value, so "byte for
/// byte" covers NUL, CR, LF and high bytes.
fn attachment_bytes(marker: &str) -> Vec<u8> {
    let mut data = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n".to_vec();
    data.extend_from_slice(marker.as_bytes());
    data.extend_from_slice(b"\r\n\0");
    for i in 0..4000u32 {
        data.push((i.wrapping_mul(2_654_435_761) >> 13) as u8);
    }
    data.extend((0..=255u8).rev());
    data
}

fn assert_date(s: &str) {
    let b = s.as_bytes();
    assert!(
        b.len() == 10
            && b[4] == b'-'
            && b[7] == b'-'
            && b.iter()
                .enumerate()
                .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit()),
        "received_at is not YYYY-MM-DD: {s}"
    );
}

#[test]
fn acceptance_gpg_pgp_mime_report_with_attachment_filed_sealed_and_split() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let reporter = Gpg::new();

    let token = unique("T");
    let subject = format!("Nieprawidłowości w przetargu {token}-SUBJECT");
    let body = format!(
        "Dzień dobry,\nzgłaszam nieprawidłowości w przetargu nr 17/2025 {token}-BODY.\n\
         Zażółć gęślą jaźń — załączam umowę.\n"
    );
    let from_addr = format!("jan.kowalski.{token}@example.net");
    let from = format!("Jan Kowalski <{from_addr}>");
    let att_name = format!("umowa-{token}.pdf");
    let att_marker = format!("{token}-ATTACHMENT");
    let att = attachment_bytes(&att_marker);

    let raw = reporter.encrypt_pgp_mime(
        &s.intake_cert,
        &from,
        TO,
        &subject,
        &body,
        Some((&att_name, &att)),
        None,
    );
    // The message as delivered carries the sender but none of the report in the clear.
    assert!(String::from_utf8_lossy(&raw).contains(&from_addr));
    assert!(!String::from_utf8_lossy(&raw).contains(&format!("{token}-BODY")));
    dovecot.append("INBOX", &raw);
    assert_eq!(dovecot.count("INBOX"), 1);

    s.gateway.run_once();
    assert_eq!(
        dovecot.count("INBOX"),
        0,
        "server copy not deleted after filing"
    );

    let cases = s.gateway.cases_json();
    assert_eq!(cases.len(), 1, "{cases:?}");
    let listed = &cases[0];
    let number = str_field(listed, "number").to_owned();
    assert_date(str_field(listed, "received_at"));
    assert_eq!(str_field(listed, "status"), "received");
    assert!(bool_field(listed, "encrypted"));
    assert_eq!(str_field(listed, "signature"), "unsigned");
    let listing = serde_json::to_string(&cases).unwrap();
    assert!(
        !listing.contains(&token),
        "cases list shows content: {listing}"
    );
    assert!(s.gateway.quarantine_json().is_empty());

    // A handler opens the case with a gpg-made key: body and attachment byte for byte.
    let save = tempfile::tempdir().unwrap();
    let case = s
        .gateway
        .show_case(&number, &s.handler.key_file, Some(save.path()));
    assert_eq!(str_field(&case, "number"), number);
    assert_eq!(str_field(&case, "subject"), subject, "protected Subject");
    assert_eq!(
        normalize_text(str_field(&case, "body")),
        normalize_text(&body)
    );
    assert!(bool_field(&case, "encrypted"));
    assert_eq!(str_field(&case, "signature"), "unsigned");
    let atts = case["attachments"].as_array().expect("attachments array");
    assert_eq!(atts.len(), 1, "{case}");
    assert_eq!(str_field(&atts[0], "name"), att_name);
    assert_eq!(atts[0]["size"].as_u64(), Some(att.len() as u64));
    assert_eq!(
        str_field(&atts[0], "sha256").to_lowercase(),
        sha256_hex(&att)
    );
    let saved = std::fs::read(save.path().join(&att_name)).expect("attachment saved by name");
    assert!(saved == att, "saved attachment differs from the one sent");
    // Not a parseable PDF: kept as it came and flagged, never lost.
    assert_eq!(atts[0]["cleaned"], false, "{case}");
    assert_eq!(
        case["unencrypted_parts"].as_array().map(Vec::len),
        Some(0),
        "{case}"
    );
    // The case holds the report only: nothing of the sender.
    let case_text = case.to_string();
    assert!(
        !case_text.contains(&from_addr),
        "sender address in the case: {case_text}"
    );
    assert!(!case_text.contains("83.11.7.42"), "sender IP in the case");

    // A custodian unseals the identity: From is there.
    let out = s.gateway.unseal(&number, &s.custodian.key_file);
    assert!(
        out.status.success(),
        "identity unseal: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let identity: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!(
        identity["from"].to_string().contains(&from_addr),
        "From not in identity: {identity}"
    );
    assert!(identity["headers"].is_array(), "{identity}");
    assert!(
        identity.to_string().contains("83.11.7.42"),
        "X-Originating-IP kept"
    );

    // Keys of the wrong role are refused.
    let out = s.gateway.unseal(&number, &s.handler.key_file);
    assert_eq!(
        out.status.code(),
        Some(EXIT_KEY_REFUSED),
        "handler key on identity unseal: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains(&from_addr));
    // Nothing in plaintext at rest or in the logs.
    let files = s.gateway.files();
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
    assert!(
        names.iter().any(|n| n.ends_with("register.db")),
        "register not where configured: {names:?}"
    );
    assert!(
        names.iter().any(|n| n.contains("/var/keys/")),
        "keys folder empty or elsewhere: {names:?}"
    );
    assert!(
        names.iter().any(|n| n.ends_with(".stderr")),
        "no logs captured"
    );
    let att_chunk = &att[20..80];
    let subject_token = format!("{token}-SUBJECT");
    let body_token = format!("{token}-BODY");
    let needles: Vec<&[u8]> = vec![
        subject.as_bytes(),
        subject_token.as_bytes(),
        body_token.as_bytes(),
        "Zażółć gęślą jaźń".as_bytes(),
        att_marker.as_bytes(),
        att_chunk,
        &att,
        att_name.as_bytes(),
        from_addr.as_bytes(),
        b"jan.kowalski",
        b"83.11.7.42",
        b"dsl-83-11-7-42",
    ];
    let hits = s.gateway.canary_grep(&needles);
    assert!(
        hits.is_empty(),
        "plaintext found at rest or in logs: {hits:#?}"
    );
}

#[test]
fn inline_pgp_report_filed() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let reporter = Gpg::new();
    let token = unique("I");
    let body = format!("Inline PGP report {token}-BODY\nsecond line\n");
    let subject = format!("inline {token}");
    let raw = reporter.encrypt_inline(
        &s.intake_cert,
        "Anna <anna@example.net>",
        TO,
        &subject,
        &body,
        None,
    );
    dovecot.append("INBOX", &raw);
    s.gateway.run_once();
    assert_eq!(dovecot.count("INBOX"), 0);
    let cases = s.gateway.cases_json();
    assert_eq!(cases.len(), 1, "{cases:?}");
    assert!(bool_field(&cases[0], "encrypted"));
    assert_eq!(str_field(&cases[0], "signature"), "unsigned");
    let case = s
        .gateway
        .show_case(str_field(&cases[0], "number"), &s.handler.key_file, None);
    assert_eq!(
        normalize_text(str_field(&case, "body")),
        normalize_text(&body)
    );
    assert!(
        !case.to_string().contains("BEGIN PGP MESSAGE"),
        "armor left in the case: {case}"
    );
    let hits = s
        .gateway
        .canary_grep(&[format!("{token}-BODY").as_bytes(), b"anna@example.net"]);
    assert!(hits.is_empty(), "{hits:#?}");
}

#[test]
fn plain_report_filed_marked_unencrypted() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let token = unique("P");
    let body = format!("Plain report {token}-BODY\n");
    let subject = format!("plain {token}-SUBJECT");
    let raw = plain_mail(&Report {
        from: "Piotr <piotr@example.net>",
        to: TO,
        subject: &subject,
        body: &body,
        attachment: None,
    });
    dovecot.append("INBOX", &raw);
    s.gateway.run_once();
    assert_eq!(dovecot.count("INBOX"), 0);
    let cases = s.gateway.cases_json();
    assert_eq!(cases.len(), 1, "{cases:?}");
    assert!(!bool_field(&cases[0], "encrypted"));
    assert_eq!(str_field(&cases[0], "signature"), "unsigned");
    let case = s
        .gateway
        .show_case(str_field(&cases[0], "number"), &s.handler.key_file, None);
    assert!(!bool_field(&case, "encrypted"));
    assert_eq!(str_field(&case, "subject"), subject);
    assert_eq!(
        normalize_text(str_field(&case, "body")),
        normalize_text(&body)
    );
    // Arrived in the clear, but sealed at rest all the same.
    let hits = s.gateway.canary_grep(&[
        format!("{token}-BODY").as_bytes(),
        format!("{token}-SUBJECT").as_bytes(),
        b"piotr@example.net",
    ]);
    assert!(hits.is_empty(), "{hits:#?}");
}

/// How the signer's key is known.
#[derive(Clone, Copy, PartialEq, Eq)]
enum SignerKey {
    /// Not at all.
    Unknown,
    /// Only from inside the message (which anyone can put there).
    Attached,
    /// Registered beforehand with `keys trust-signer`.
    Trusted,
}

/// A signed-and-encrypted report: the case says "verified by a key you trust" only for a key
/// registered beforehand, never for one inside the message; the signer's fingerprint goes to
/// the identity record only.
fn signed_report(key: SignerKey) {
    let attach_key = key == SignerKey::Attached;
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let reporter = Holder::new("Reporter Signing", "signer@example.net");
    if key == SignerKey::Trusted {
        let cert = s.gateway.dir().join("signer.asc");
        std::fs::write(&cert, reporter.cert()).unwrap();
        s.gateway.run_ok(&[
            "keys",
            "trust-signer",
            "--cert",
            cert.to_str().unwrap(),
            "--name",
            "Compliance officer",
        ]);
    }
    let token = unique("S");
    let body = format!("Signed report {token}-BODY\n");
    let from = "Reporter Signing <signer@example.net>";
    let raw = if attach_key {
        reporter.gpg.encrypt_pgp_mime_signed_with_key(
            &s.intake_cert,
            from,
            TO,
            "signed",
            &body,
            &reporter.fpr,
        )
    } else {
        reporter.gpg.encrypt_pgp_mime(
            &s.intake_cert,
            from,
            TO,
            "signed",
            &body,
            None,
            Some(&reporter.fpr),
        )
    };
    dovecot.append("INBOX", &raw);
    s.gateway.run_once();
    assert_eq!(dovecot.count("INBOX"), 0);
    let cases = s.gateway.cases_json();
    assert_eq!(cases.len(), 1, "{cases:?}");
    assert!(bool_field(&cases[0], "encrypted"));
    let label = match key {
        SignerKey::Trusted => "trusted-signer",
        SignerKey::Attached | SignerKey::Unknown => "unknown-signer",
    };
    assert_eq!(str_field(&cases[0], "signature"), label, "{cases:?}");
    let number = str_field(&cases[0], "number").to_owned();
    let case = s.gateway.show_case(&number, &s.handler.key_file, None);
    assert_eq!(str_field(&case, "signature"), label);
    assert_eq!(
        normalize_text(str_field(&case, "body")),
        normalize_text(&body)
    );
    let case_text = case.to_string().to_lowercase();
    let fpr_lc = reporter.fpr.to_lowercase();
    let key_id_lc = fpr_lc.get(24..).unwrap().to_owned();
    assert!(
        !case_text.contains(&key_id_lc),
        "signer's key belongs to the identity record, found in the case: {case}"
    );
    assert!(
        !case_text.contains("public key block"),
        "attached key left in the case: {case}"
    );
    let out = s.gateway.unseal(&number, &s.custodian.key_file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let identity = String::from_utf8_lossy(&out.stdout).to_lowercase();
    assert!(
        identity.contains(&key_id_lc),
        "signer fingerprint missing from identity: {identity}"
    );
}

#[test]
fn signed_and_encrypted_with_attached_key_is_signer_unknown_with_signer_in_identity_only() {
    // A key inside the message proves nothing: any forger attaches one.
    signed_report(SignerKey::Attached);
}

#[test]
fn signed_and_encrypted_without_key_unverified_signer_in_identity_only() {
    signed_report(SignerKey::Unknown);
}

#[test]
fn signed_by_a_registered_trusted_signer_is_verified_by_a_key_you_trust() {
    signed_report(SignerKey::Trusted);
}

#[test]
fn rsa_keys_made_by_gpg_work_for_intake_and_readers() {
    let dovecot = Dovecot::start();
    let gateway = Gateway::new(&dovecot);
    gateway.run_ok(&["init", "--algo", "rsa4096"]);
    let handler = Holder::new_rsa("Old Client Handler", "old-handler@example.org");
    let custodian = Holder::new_rsa("Old Client Custodian", "old-custodian@example.org");
    gateway.add_handler(&handler);
    gateway.add_custodian(&custodian);
    let listed = gateway.run_ok(&["handlers", "list", "--json"]);
    let listed: serde_json::Value = serde_json::from_str(&listed).unwrap();
    let text = listed.to_string().to_uppercase();
    assert!(
        text.contains(&handler.fpr) && text.contains(&custodian.fpr),
        "{listed}"
    );
    let token = unique("R");
    let body = format!("RSA report {token}\n");
    let raw = Gpg::new().encrypt_pgp_mime(
        &gateway.intake_cert(),
        "R <r@example.net>",
        TO,
        "rsa",
        &body,
        None,
        None,
    );
    dovecot.append("INBOX", &raw);
    gateway.run_once();
    assert_eq!(dovecot.count("INBOX"), 0);
    let numbers = gateway.case_numbers();
    assert_eq!(numbers.len(), 1);
    let case = gateway.show_case(&numbers[0], &handler.key_file, None);
    assert_eq!(
        normalize_text(str_field(&case, "body")),
        normalize_text(&body)
    );
    let out = gateway.unseal(&numbers[0], &custodian.key_file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("r@example.net"));
}

#[test]
fn init_is_idempotent_and_keeps_the_intake_key() {
    let dovecot = Dovecot::start();
    let gateway = Gateway::new(&dovecot);
    let first = gateway.init();
    let second = gateway.init();
    assert_eq!(
        first, second,
        "a second init must not replace the intake key"
    );
    let cert = gateway.intake_cert();
    let imported = Gpg::new().import(&cert);
    assert_eq!(imported[0].to_uppercase(), first.to_uppercase());
}

#[test]
fn roles_custodian_also_handles_but_a_handler_cannot_unseal() {
    // Roles as the register defines them: a handler reads and works cases; a custodian may
    // also unseal identity. The identity record is sealed to custodians only.
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let token = unique("C");
    let raw = Gpg::new().encrypt_pgp_mime(
        &s.intake_cert,
        "Cezary <cezary@example.net>",
        TO,
        "custodian",
        &format!("report for handlers {token}\n"),
        None,
        None,
    );
    dovecot.append("INBOX", &raw);
    s.gateway.run_once();
    let numbers = s.gateway.case_numbers();
    assert_eq!(numbers.len(), 1);
    let number = &numbers[0];
    let out = s.gateway.run(&[
        "cases",
        "show",
        number,
        "--key",
        s.custodian.key_file.to_str().unwrap(),
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains(&token));

    let out = s.gateway.run(&[
        "identity",
        "unseal",
        number,
        "--key",
        s.handler.key_file.to_str().unwrap(),
        "--reason",
        "handler trying to see who reported",
        "--json",
    ]);
    assert_eq!(out.status.code(), Some(EXIT_KEY_REFUSED));
    assert!(!String::from_utf8_lossy(&out.stdout).contains("cezary@example.net"));
}

/// `--log-format json`: every line the gateway writes is one JSON object with a timestamp, a
/// level, the event's name and its fields as values, and it carries no content, as plain text
/// does not.
#[test]
fn json_logs_are_one_object_per_line_with_fields_and_no_content() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let token = unique("J");
    dovecot.append(
        "INBOX",
        &plain_mail(&Report {
            from: "Jan <jan.json@example.net>",
            to: TO,
            subject: &format!("{token}-SUBJECT"),
            body: &format!("{token}-BODY\n"),
            attachment: None,
        }),
    );
    let out = s.gateway.run(&["--log-format", "json", "run", "--once"]);
    let stderr = String::from_utf8(out.stderr).expect("UTF-8 logs");
    assert!(out.status.success(), "{stderr}");
    let events: Vec<serde_json::Value> = stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    assert!(events.len() > 5, "{stderr}");
    for e in &events {
        assert!(
            e["timestamp"].is_string() && e["level"].is_string() && e["message"].is_string(),
            "{e}"
        );
    }
    let event = |name: &str| {
        events
            .iter()
            .find(|e| e["message"] == name)
            .unwrap_or_else(|| panic!("no {name} in {stderr}"))
    };
    let filed = event("CaseFiled");
    assert_eq!(filed["level"], "INFO");
    assert_eq!(filed["encrypted"], false);
    assert_eq!(filed["signature"], "unsigned");
    assert_eq!(event("GatewayStopped")["filed"], 1);
    assert!(
        !stderr.contains(&token) && !stderr.contains("jan.json"),
        "{stderr}"
    );

    // A command that fails says so as a JSON line too, with its exit code.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_sygnal"))
        .args([
            "--log-format",
            "json",
            "--config",
            "/nonexistent/sygnal.toml",
            "stats",
        ])
        .env_remove("SYGNAL_CONFIG")
        .env_remove("SYGNAL_TENANT")
        .output()
        .expect("spawn sygnal");
    assert!(!out.status.success());
    let stderr = String::from_utf8(out.stderr).expect("UTF-8 logs");
    let last: serde_json::Value = stderr
        .lines()
        .last()
        .and_then(|l| serde_json::from_str(l).ok())
        .unwrap_or_else(|| panic!("the error is not a JSON line: {stderr}"));
    assert_eq!(last["level"], "ERROR");
    assert_eq!(last["message"], "CommandFailed");
    assert_eq!(
        last["exit_code"].as_u64(),
        out.status.code().and_then(|c| u64::try_from(c).ok())
    );
}
