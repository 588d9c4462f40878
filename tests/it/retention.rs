//! Retention through the real binary, with GnuPG-made reports and keys and the clock moved
//! years ahead by libfaketime: expired cases are destroyed by crypto-shredding (no key opens
//! them, not even from a register backup taken before), recorded for the yearly review; a hold
//! keeps a case until released; the others still open.

use crate::support::dovecot::Dovecot;
use crate::support::gateway::{assert_success, str_field, Setup, EXIT_NOT_FOUND};
use crate::support::gnupg::{unique, Gpg};
use crate::support::pdf::{ocr_pdf, pdf_text};

/// A day years ahead, past the retention date of a case closed today.
pub(crate) const LATER: &str = "2031-01-02 12:00:00";

/// Moves a case through follow-up to closed, with the handler's key.
pub(crate) fn close(s: &Setup, number: &str) {
    let key = s.handler.key_file.to_str().unwrap();
    s.gateway
        .run_ok(&["cases", "status", number, "in-follow-up", "--key", key]);
    s.gateway.run_ok(&[
        "cases",
        "close",
        number,
        "--outcome",
        "unsubstantiated",
        "--key",
        key,
    ]);
}

#[test]
fn expired_cases_are_shredded_for_every_key_and_backup_a_hold_keeps_one_and_the_rest_open() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let reporter = Gpg::new();
    let token = unique("RET");
    for i in 0..3 {
        dovecot.append(
            "INBOX",
            &reporter.encrypt_pgp_mime(
                &s.intake_cert,
                &format!("Reporter <r{i}.{token}@example.net>"),
                "zgloszenia@urzad.example.org",
                &format!("Sprawa {i} {token}"),
                &format!("Treść {i}.\n"),
                None,
                None,
            ),
        );
    }
    s.gateway.run_once();
    let numbers = s.gateway.case_numbers();
    let (expired, on_hold, open) = (&numbers[0], &numbers[1], &numbers[2]);
    close(&s, expired);
    close(&s, on_hold);
    let handler = s.handler.key_file.to_str().unwrap();
    s.gateway.run_ok(&[
        "cases",
        "hold",
        on_hold,
        "--reason",
        "postępowanie sądowe",
        "--key",
        handler,
    ]);
    // Today nothing is due.
    let now = s.gateway.run_ok(&["retention", "run", "--dry-run"]);
    assert!(now.contains("nothing past its retention date"), "{now}");

    // A backup of the register taken before the destruction.
    let register = s.gateway.dir().join("var/register.db");
    let backup = s.gateway.dir().join("backup-register.db");
    std::fs::copy(&register, &backup).unwrap();

    let dry = s.gateway.run_at(LATER, &["retention", "run", "--dry-run"]);
    assert_success(&["retention", "run", "--dry-run"], &dry);
    let dry = String::from_utf8_lossy(&dry.stdout);
    assert!(dry.contains(&format!("would destroy {expired}")), "{dry}");
    assert!(
        dry.contains(&format!("kept {on_hold}: on legal hold")),
        "{dry}"
    );
    assert!(!dry.contains(open.as_str()), "{dry}");

    let ran = s.gateway.run_at(LATER, &["retention", "run"]);
    assert_success(&["retention", "run"], &ran);
    assert!(String::from_utf8_lossy(&ran.stdout).contains(&format!("destroyed {expired}")));

    // No key opens the destroyed case: not the handler's, not the custodian's.
    let shown = s.gateway.run(&["cases", "show", expired, "--key", handler]);
    assert_eq!(shown.status.code(), Some(EXIT_NOT_FOUND), "{shown:?}");
    assert!(String::from_utf8_lossy(&shown.stderr).contains("destroyed"));
    assert!(!s
        .gateway
        .unseal(expired, &s.custodian.key_file)
        .status
        .success());
    // The list says so (number and dates stay).
    let list = s.gateway.run_ok(&["cases", "list"]);
    assert!(
        list.lines()
            .any(|l| l.starts_with(expired.as_str()) && l.contains("DESTROYED on 2031-01-02")),
        "{list}"
    );
    let listed = s.gateway.cases_json();
    let gone = listed
        .iter()
        .find(|c| c["number"] == expired.as_str())
        .unwrap();
    assert_eq!(gone["destroyed_on"], "2031-01-02", "{gone}");
    assert!(listed
        .iter()
        .filter(|c| c["number"] != expired.as_str())
        .all(|c| c.get("destroyed_on").is_none()));
    // The others still open.
    for number in [on_hold, open] {
        let case = s.gateway.show_case(number, &s.handler.key_file, None);
        assert!(str_field(&case, "subject").contains(&token));
    }
    // The backup still holds the ciphertext, but its shred key is gone: nothing opens it.
    let current = s.gateway.dir().join("current-register.db");
    std::fs::copy(&register, &current).unwrap();
    std::fs::copy(&backup, &register).unwrap();
    let from_backup = s.gateway.run(&["cases", "show", expired, "--key", handler]);
    assert!(!from_backup.status.success());
    assert!(
        String::from_utf8_lossy(&from_backup.stderr).contains("shred key"),
        "{}",
        String::from_utf8_lossy(&from_backup.stderr)
    );
    assert!(!s
        .gateway
        .unseal(expired, &s.custodian.key_file)
        .status
        .success());
    std::fs::copy(&current, &register).unwrap();

    // Released, the held case goes on the next run (the proceedings it started ended in
    // 2027: kept until the end of 2030, so gone by 2031).
    let released = s.gateway.run_at(
        "2028-03-01 12:00:00",
        &[
            "cases",
            "release",
            on_hold,
            "--proceedings-ended",
            "2027-06-30",
            "--key",
            handler,
        ],
    );
    assert_success(&["cases", "release"], &released);
    assert!(
        String::from_utf8_lossy(&released.stdout).contains("kept until 2030-12-31"),
        "{released:?}"
    );
    let ran = s.gateway.run_at(LATER, &["retention", "run"]);
    assert!(String::from_utf8_lossy(&ran.stdout).contains(&format!("destroyed {on_hold}")));

    // The record for the yearly review, in CSV and JSON, lists both.
    let out = s
        .gateway
        .run_at(LATER, &["retention", "report", "--year", "2031"]);
    let csv = String::from_utf8_lossy(&out.stdout);
    let json_out = s.gateway.run_at(
        LATER,
        &["retention", "report", "--year", "2031", "--format", "json"],
    );
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&json_out.stdout).unwrap();
    assert_eq!(rows.len(), 2, "{rows:?}");
    for number in [expired, on_hold] {
        assert!(
            csv.lines()
                .any(|l| l.starts_with(&format!("{number},case,"))),
            "{csv}"
        );
        assert!(rows
            .iter()
            .any(|r| r["case_number"] == number.as_str() && r["actor"] == "schedule"));
    }
    // The review record to sign, as PDF: rendered to PNG and read back by OCR, every
    // destruction is on the page; in Polish by default, English on request.
    for (lang, heading) in [("pl", "Zniszczenia"), ("en", "Destructions")] {
        let pdf = s.gateway.dir().join(format!("review-{lang}.pdf"));
        let out = s.gateway.run_at(
            LATER,
            &[
                "retention",
                "report",
                "--year",
                "2031",
                "--format",
                "pdf",
                "--lang",
                lang,
                "--output",
                pdf.to_str().unwrap(),
            ],
        );
        assert_success(&["retention", "report", "--format", "pdf"], &out);
        let seen = ocr_pdf(&pdf);
        assert!(seen.contains(heading), "{lang}: {seen}");
        for number in [expired, on_hold] {
            assert!(
                seen.contains(number.as_str()),
                "{number} not on the page:\n{seen}"
            );
        }
        // The open case is reviewed and kept, not destroyed.
        assert!(seen.contains(open.as_str()), "{seen}");
        let text = pdf_text(&pdf);
        if lang == "pl" {
            assert!(text.contains("PROTOKÓŁ PRZEGLĄDU"), "{text}");
            assert!(text.contains("Sprawy objęte przeglądem"), "{text}");
        }
        assert!(
            !text.contains(&token),
            "report content in the record:\n{text}"
        );
    }

    // The art. 29 register still lists the destroyed cases (number and dates), and exports
    // with a handler's key for the others.
    let export = s
        .gateway
        .run_ok(&["register", "export", "--format", "json", "--key", handler]);
    let entries: Vec<serde_json::Value> = serde_json::from_str(&export).unwrap();
    assert_eq!(entries.len(), 3, "{export}");
    s.gateway.run_ok(&["audit", "verify"]);
    let trail = s.gateway.run_ok(&["audit", "show"]);
    for event in [
        "CaseDestroyed",
        "ShredKeyDestroyed",
        "CaseHeld",
        "CaseReleased",
    ] {
        assert!(trail.contains(event), "{event} missing:\n{trail}");
    }
}

/// Art. 29 ust. 3: an attachment a handler finds irrelevant is destroyed within 14 days, alone:
/// afterwards no key opens it (not even from a register backup taken before), while the report,
/// the identity and the notes still open; the destruction is on the record with its item.
#[test]
fn an_attachment_found_irrelevant_is_gone_after_fourteen_days_and_the_rest_still_opens() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let reporter = Gpg::new();
    let token = unique("IRR");
    let attachment = format!("private notes {token}\n").into_bytes();
    dovecot.append(
        "INBOX",
        &reporter.encrypt_pgp_mime(
            &s.intake_cert,
            &format!("Reporter <r.{token}@example.net>"),
            "zgloszenia@urzad.example.org",
            &format!("Sprawa {token}"),
            "Treść zgłoszenia.\n",
            Some(("notatki.txt", &attachment)),
            None,
        ),
    );
    s.gateway.run_once();
    let number = s.gateway.case_numbers().remove(0);
    let handler = s.handler.key_file.to_str().unwrap();
    let saved = s.gateway.dir().join("saved-before");
    s.gateway
        .show_case(&number, &s.handler.key_file, Some(&saved));
    assert_eq!(
        std::fs::read(saved.join("notatki.txt")).unwrap(),
        attachment
    );
    let register = s.gateway.dir().join("var/register.db");
    let backup = s.gateway.dir().join("backup-register.db");
    std::fs::copy(&register, &backup).unwrap();

    let marked = s.gateway.run_ok(&[
        "cases",
        "mark-irrelevant",
        &number,
        "--attachment",
        "1",
        "--reason",
        "dane osobowe osoby trzeciej bez związku ze sprawą",
        "--key",
        handler,
    ]);
    let today = chrono::Utc::now().date_naive();
    let by = today + chrono::Days::new(14);
    assert!(marked.contains(&format!("destroyed by {by}")), "{marked}");
    let due = s.gateway.run_ok(&["cases", "due"]);
    assert!(
        due.lines().any(
            |l| l.contains(&number) && l.contains("destroy irrelevant material (attachment 1)")
        ),
        "{due}"
    );
    // Before the 14 days are up nothing goes.
    let early = s.gateway.run_ok(&["retention", "run"]);
    assert!(!early.contains("attachment 1"), "{early}");

    let later = format!("{} 12:00:00", today + chrono::Days::new(15));
    let ran = s.gateway.run_at(&later, &["retention", "run"]);
    assert_success(&["retention", "run"], &ran);
    let ran = String::from_utf8_lossy(&ran.stdout);
    assert!(
        ran.contains(&format!("destroyed attachment 1 of {number}")),
        "{ran}"
    );

    // The attachment opens no more; the report, the identity and the note still do.
    let saved = s.gateway.dir().join("saved-after");
    let case = s
        .gateway
        .show_case(&number, &s.handler.key_file, Some(&saved));
    assert!(str_field(&case, "subject").contains(&token));
    let listed = &case["attachments"][0];
    assert!(listed["destroyed_on"].is_string(), "{case}");
    assert!(!saved.join("notatki.txt").exists());
    let unsealed = s.gateway.unseal(&number, &s.custodian.key_file);
    assert!(unsealed.status.success(), "{unsealed:?}");
    let history = s
        .gateway
        .run_ok(&["cases", "history", &number, "--key", handler]);
    assert!(history.contains("nieistotny"), "{history}");

    // A note found irrelevant goes too (at once, with `redact`); the other notes stay.
    let note_file = s.gateway.dir().join("note.txt");
    for text in ["note-to-keep", "note-to-destroy"] {
        std::fs::write(&note_file, format!("{text} {token}\n")).unwrap();
        s.gateway.run_ok(&[
            "cases",
            "note",
            &number,
            "--key",
            handler,
            "--file",
            note_file.to_str().unwrap(),
        ]);
    }
    let events = s
        .gateway
        .run_ok(&["cases", "history", &number, "--key", handler, "--json"]);
    let events: serde_json::Value = serde_json::from_str(&events).unwrap();
    let note_id = events["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| {
            e["note"]
                .as_str()
                .is_some_and(|n| n.contains("note-to-destroy"))
        })
        .map(|e| e["id"].as_i64().unwrap())
        .unwrap()
        .to_string();
    s.gateway.run_ok(&[
        "cases",
        "mark-irrelevant",
        &number,
        "--note",
        &note_id,
        "--reason",
        "notatka o innej sprawie",
        "--key",
        handler,
    ]);
    let due = s.gateway.run_ok(&["cases", "due"]);
    assert!(
        due.contains(&format!("destroy irrelevant material (note #{note_id})")),
        "{due}"
    );
    let redacted = s.gateway.run_ok(&[
        "cases", "redact", &number, "--note", &note_id, "--key", handler,
    ]);
    assert!(
        redacted.contains(&format!("note #{note_id} destroyed")),
        "{redacted}"
    );
    let history = s
        .gateway
        .run_ok(&["cases", "history", &number, "--key", handler]);
    assert!(history.contains("note-to-keep"), "{history}");
    assert!(!history.contains("note-to-destroy"), "{history}");
    assert!(history.contains("note destroyed on"), "{history}");
    let case = s.gateway.show_case(&number, &s.handler.key_file, None);
    assert!(str_field(&case, "subject").contains(&token));

    // From the backup taken before, the attachment's ciphertext is there but its own key is
    // gone: it does not open.
    let current = s.gateway.dir().join("current-register.db");
    std::fs::copy(&register, &current).unwrap();
    std::fs::copy(&backup, &register).unwrap();
    let from_backup = s
        .gateway
        .run(&["cases", "show", &number, "--key", handler, "--json"]);
    assert!(
        !from_backup.status.success()
            && String::from_utf8_lossy(&from_backup.stderr).contains("shred key"),
        "{from_backup:?}"
    );
    std::fs::copy(&current, &register).unwrap();

    let report = s
        .gateway
        .run_at(&later, &["retention", "report", "--format", "json"]);
    let rows: Vec<serde_json::Value> = serde_json::from_slice(&report.stdout).unwrap();
    assert!(
        rows.iter().any(|r| r["case_number"] == number.as_str()
            && r["material"] == "attachment"
            && r["item"] == "attachment 1"
            && r["actor"] == "schedule"),
        "{rows:?}"
    );
    s.gateway.run_ok(&["audit", "verify"]);
    let trail = s.gateway.run_ok(&["audit", "show"]);
    for event in [
        "MaterialMarkedIrrelevant",
        "MaterialDestroyed",
        "ShredKeyDestroyed",
    ] {
        assert!(trail.contains(event), "{event} missing:\n{trail}");
    }
}
