//! The handlers' workflow through the real binary, Dovecot and gpg-made keys: a case from intake
//! to closing with every legal deadline checked, role rules (handler, custodian, admin without
//! a key, management), sealed notes that never show in the register or logs, and an audit
//! chain that catches edits, deletions, reordering and a truncated tail.

use chrono::{Datelike, Days, Months, NaiveDate};
use serde_json::Value;

use crate::support::dovecot::Dovecot;
use crate::support::gateway::{
    str_field, Gateway, Setup, EXIT_KEY_REFUSED, EXIT_RUNTIME, EXIT_USAGE,
};
use crate::support::gnupg::{unique, Gpg, Holder};
use crate::support::pdf::{ocr_pdf, pdf_text};

const TO: &str = "zgloszenia@urzad.example.org";

fn json(gw: &Gateway, args: &[&str]) -> Value {
    let out = gw.run_ok(args);
    serde_json::from_str(&out).unwrap_or_else(|e| panic!("{args:?}: not JSON ({e}): {out}"))
}

fn date(v: &Value, key: &str) -> NaiveDate {
    str_field(v, key).parse().unwrap()
}

fn code(gw: &Gateway, args: &[&str]) -> (i32, String) {
    let out = gw.run(args);
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn case_lifecycle_from_intake_to_closing_with_legal_deadlines_and_roles() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let gw = &s.gateway;
    let reporter = Gpg::new();
    let token = unique("W");
    let from = format!("Anna Nowak <anna.{token}@example.net>");
    let raw = reporter.encrypt_pgp_mime(
        &s.intake_cert,
        &from,
        TO,
        &format!("Zgłoszenie {token}-SUBJECT"),
        &format!("Treść zgłoszenia {token}-BODY\n"),
        None,
        None,
    );
    dovecot.append("INBOX", &raw);
    gw.run_once();
    let number = gw
        .case_numbers()
        .into_iter()
        .next()
        .expect("a case was filed");
    let n = number.as_str();
    // Dates of work are checked against today (nothing recorded in the future), so the case is
    // moved 60 days into the past, deadlines with it, to walk the whole lifecycle now.
    let d0 = chrono::Utc::now().date_naive() - Days::new(60);
    let ack_due = d0 + Days::new(7);
    tamper(
        gw,
        &format!(
            "UPDATE cases SET received_at = '{d0}', ack_due = '{ack_due}', feedback_due = '{}'",
            ack_due.checked_add_months(Months::new(3)).unwrap()
        ),
    );
    let h = s.handler.key_file.to_str().unwrap();
    let c = s.custodian.key_file.to_str().unwrap();
    // Notes live outside the gateway's folder so the canary grep only sees what sygnal wrote.
    let notes = tempfile::tempdir().unwrap();
    let note_text = format!("Rozmowa z kierownikiem {token}-NOTE");
    let action_text = format!("Wezwano do przedstawienia umów {token}-ACTION");
    let note_file = notes.path().join("note.txt");
    let action_file = notes.path().join("action.txt");
    std::fs::write(&note_file, &note_text).unwrap();
    std::fs::write(&action_file, &action_text).unwrap();

    // Deadlines at filing: acknowledgement 7 days after receipt, feedback 3 months after that.
    let due = json(gw, &["cases", "due", "--json"]);
    let item = &due.as_array().unwrap()[0];
    assert_eq!(str_field(item, "number"), n);
    assert_eq!(str_field(item, "deadline"), "acknowledgement");
    let file = json(
        gw,
        &[
            "cases",
            "set-category",
            n,
            "corruption",
            "--key",
            h,
            "--json",
        ],
    );
    let received = date(&file, "received_at");
    assert_eq!(received, d0);
    assert_eq!(item["overdue"], Value::Bool(true), "7 days are long past");
    assert_eq!(date(item, "due"), received + Days::new(7));
    assert_eq!(date(&file, "acknowledgement_due"), received + Days::new(7));
    assert_eq!(
        date(&file, "feedback_due"),
        (received + Days::new(7))
            .checked_add_months(Months::new(3))
            .unwrap()
    );
    assert_eq!(str_field(&file, "category"), "corruption");

    let ack_text = gw.run_ok(&["cases", "ack-text", n]);
    assert!(
        ack_text.contains(n) && ack_text.contains("Potwierdzamy przyjęcie"),
        "{ack_text}"
    );
    let ack_en = gw.run_ok(&["cases", "ack-text", n, "--lang", "en"]);
    assert!(ack_en.contains("We confirm receipt"), "{ack_en}");

    // An admin (a key that is no reader of this case) changes and reads nothing.
    let admin = Holder::new("Adam Admin", "adam@it.example.org");
    let a = admin.key_file.to_str().unwrap();
    for args in [
        vec!["cases", "status", n, "acknowledged", "--key", a],
        vec!["cases", "set-category", n, "privacy", "--key", a],
        vec!["cases", "history", n, "--key", a],
        vec!["cases", "action", n, "--kind", "interview", "--key", a],
    ] {
        assert_eq!(code(gw, &args).0, EXIT_KEY_REFUSED, "{args:?}");
    }

    // Lifecycle: acknowledged (feedback due moves to 3 months after it), follow-up, feedback.
    let ack = received + Days::new(2);
    let acks = ack.to_string();
    let file = json(
        gw,
        &[
            "cases",
            "status",
            n,
            "acknowledged",
            "--on",
            &acks,
            "--key",
            h,
            "--json",
        ],
    );
    assert_eq!(date(&file, "acknowledged_at"), ack);
    assert_eq!(
        date(&file, "feedback_due"),
        ack.checked_add_months(Months::new(3)).unwrap()
    );
    let (rc, err) = code(gw, &["cases", "status", n, "received", "--key", h]);
    assert_eq!(rc, EXIT_USAGE, "{err}");
    let (rc, err) = code(
        gw,
        &[
            "cases",
            "close",
            n,
            "--outcome",
            "substantiated",
            "--key",
            h,
        ],
    );
    assert_eq!(rc, EXIT_USAGE, "closing before follow-up: {err}");
    let tomorrow = (chrono::Utc::now().date_naive() + Days::new(1)).to_string();
    let (rc, err) = code(
        gw,
        &[
            "cases",
            "action",
            n,
            "--kind",
            "interview",
            "--on",
            &tomorrow,
            "--key",
            h,
        ],
    );
    assert_eq!(rc, EXIT_USAGE, "a future date: {err}");
    let before = (d0 - Days::new(1)).to_string();
    let (rc, err) = code(
        gw,
        &[
            "cases",
            "status",
            n,
            "in-follow-up",
            "--on",
            &before,
            "--key",
            h,
        ],
    );
    assert_eq!(rc, EXIT_USAGE, "before receipt: {err}");
    gw.run_ok(&["cases", "status", n, "in-follow-up", "--key", h]);
    let nf = note_file.to_str().unwrap();
    let af = action_file.to_str().unwrap();
    gw.run_ok(&["cases", "note", n, "--key", h, "--file", nf]);
    let rec = json(
        gw,
        &[
            "cases",
            "action",
            n,
            "--kind",
            "document-request",
            "--on",
            &acks,
            "--file",
            af,
            "--key",
            h,
            "--json",
        ],
    );
    assert_eq!(rec["sealed_note"], Value::Bool(true));

    // Notes open for the handler and the custodian (sealed to both), with their kinds and dates.
    for key in [h, c] {
        let hist = json(gw, &["cases", "history", n, "--key", key, "--json"]);
        let events = hist["events"].as_array().unwrap();
        assert_eq!(events.len(), 2);
        assert_eq!(str_field(&events[0], "note"), note_text);
        assert_eq!(str_field(&events[1], "action_kind"), "document-request");
        assert_eq!(str_field(&events[1], "note"), action_text);
        assert_eq!(date(&events[1], "on"), ack);
    }

    let fb = ack + Days::new(30);
    let file = json(
        gw,
        &[
            "cases",
            "status",
            n,
            "feedback-given",
            "--on",
            &fb.to_string(),
            "--key",
            h,
            "--json",
        ],
    );
    assert_eq!(date(&file, "feedback_at"), fb);
    let (rc, _) = code(gw, &["cases", "close", n, "--key", h]);
    assert_eq!(rc, EXIT_USAGE, "an outcome is required");
    let end = fb + Days::new(5);
    let file = json(
        gw,
        &[
            "cases",
            "close",
            n,
            "--outcome",
            "substantiated",
            "--on",
            &end.to_string(),
            "--key",
            h,
            "--json",
        ],
    );
    assert_eq!(str_field(&file, "status"), "closed");
    assert_eq!(date(&file, "ended_at"), end);
    assert_eq!(
        date(&file, "retention_until"),
        NaiveDate::from_ymd_opt(end.year() + 3, 12, 31).unwrap()
    );
    let (rc, _) = code(gw, &["cases", "status", n, "in-follow-up", "--key", h]);
    assert_eq!(rc, EXIT_USAGE, "no change after the end");
    assert!(json(gw, &["cases", "due", "--json"])
        .as_array()
        .unwrap()
        .is_empty());

    // Identity: a handler cannot unseal it; a disclosure needs the reporter-notice decision.
    let (rc, _) = code(
        gw,
        &[
            "identity",
            "unseal",
            n,
            "--key",
            h,
            "--reason",
            "check the sender",
        ],
    );
    assert_eq!(rc, EXIT_KEY_REFUSED);
    let disclose = |key: &str, notice: Option<&str>| {
        let mut args = vec![
            "identity",
            "disclose",
            n,
            "--key",
            key,
            "--to",
            "Prokuratura Rejonowa",
            "--legal-basis",
            "art. 8 ust. 3",
            "--reason",
            "wezwanie prokuratora",
        ];
        if let Some(x) = notice {
            args.extend(["--reporter-notice", x]);
        }
        code(gw, &args)
    };
    let (rc, err) = disclose(c, None);
    assert_eq!(rc, EXIT_USAGE);
    assert!(err.contains("reporter must be told"), "{err}");
    assert_eq!(disclose(h, Some("informed")).0, EXIT_KEY_REFUSED);
    assert_eq!(disclose(c, Some("informed")).0, 0);
    gw.run_ok(&[
        "identity",
        "unseal",
        n,
        "--key",
        c,
        "--reason",
        "przed ujawnieniem prokuraturze",
    ]);
    // Without a key the log says who did what; the free text is sealed to custodians.
    let log = json(gw, &["identity", "log", n, "--json"]);
    let log = log.as_array().unwrap();
    assert_eq!(log.len(), 2, "{log:?}");
    assert!(log.iter().all(|e| e["sealed"].is_null()), "{log:?}");
    assert!(!serde_json::to_string(log).unwrap().contains("Prokuratura"));
    let log = json(gw, &["identity", "log", n, "--key", c, "--json"]);
    let log = log.as_array().unwrap();
    assert_eq!(str_field(&log[0], "kind"), "disclosed");
    assert_eq!(
        str_field(&log[0]["disclosure"], "reporter_notice"),
        "informed"
    );
    assert_eq!(str_field(&log[0]["sealed"], "to"), "Prokuratura Rejonowa");
    assert_eq!(str_field(&log[1], "kind"), "unsealed");
    assert!(str_field(&log[1]["sealed"], "reason").contains("przed ujawnieniem"));
    assert_eq!(
        str_field(&log[1], "actor"),
        format!("{} (Custodian)", s.custodian.fpr)
    );
    assert!(json(gw, &["identity", "log", "ZW/1999/0001", "--json"])
        .as_array()
        .unwrap()
        .is_empty());
    assert_eq!(
        json(gw, &["cases", "history", n, "--key", h, "--json"])["case"]["identity_disclosed"],
        Value::Bool(true)
    );

    // Case file export for a handler: report and notes, never the identity.
    let out = notes.path().join("export");
    gw.run_ok(&[
        "cases",
        "export",
        n,
        "--key",
        h,
        "--out",
        out.to_str().unwrap(),
    ]);
    let events = std::fs::read_to_string(out.join("events.json")).unwrap();
    assert!(events.contains(&note_text));
    assert!(std::fs::read_to_string(out.join("report.json"))
        .unwrap()
        .contains(&format!("{token}-BODY")));
    for f in ["case.json", "report.json", "events.json"] {
        let text = std::fs::read_to_string(out.join(f)).unwrap();
        assert!(
            !text.contains(&format!("anna.{token}")),
            "{f} carries the identity"
        );
    }

    // Register export: art. 29 fields; sealed fields only with a handler's key.
    let csv = gw.run_ok(&["register", "export", "--format", "csv"]);
    assert!(csv.starts_with("number,received_at,category,status,acknowledged_at"));
    assert!(csv.contains(n) && csv.contains("(sealed)") && !csv.contains(&action_text));
    let with_key = json(
        gw,
        &[
            "register",
            "export",
            "--format",
            "json",
            "--key",
            h,
            "--year",
            &received.year().to_string(),
        ],
    );
    assert_eq!(str_field(&with_key[0]["actions"][0], "note"), action_text);
    assert_eq!(str_field(&with_key[0], "outcome"), "substantiated");
    assert_eq!(
        code(gw, &["register", "export", "--format", "json", "--key", a]).0,
        EXIT_KEY_REFUSED,
        "an admin's own key opens no sealed field"
    );
    let other_year = json(
        gw,
        &["register", "export", "--format", "json", "--year", "1999"],
    );
    assert!(other_year.as_array().unwrap().is_empty());

    // Management: counts only; one case is below the minimum cell, so everything is hidden.
    let stats = gw.run_ok(&["stats", "--json"]);
    assert!(!stats.contains(n) && !stats.contains(&token), "{stats}");
    let stats: Value = serde_json::from_str(&stats).unwrap();
    assert_eq!(stats["total"], Value::Null);
    assert_eq!(stats["by_status"]["closed"], Value::Null);

    // Every action is in the audit trail under the key holder's fingerprint and name.
    let audit = json(gw, &["audit", "show", "--case", n, "--json"]);
    let actions: Vec<&str> = audit
        .as_array()
        .unwrap()
        .iter()
        .map(|r| str_field(r, "action"))
        .collect();
    for want in [
        "CaseFiled",
        "CategorySet",
        "StatusChanged",
        "NoteAdded",
        "ActionRecorded",
        "NotesOpened",
        "CaseClosed",
        "IdentityDisclosed",
        "CaseExported",
    ] {
        assert!(actions.contains(&want), "{want} missing from {actions:?}");
    }
    let by_handler = audit
        .as_array()
        .unwrap()
        .iter()
        .find(|r| str_field(r, "action") == "NoteAdded")
        .unwrap();
    assert_eq!(
        str_field(by_handler, "actor"),
        format!("{} (Handler)", s.handler.fpr)
    );
    gw.run_ok(&["audit", "verify"]);

    // No note, action note, content or identity in plaintext anywhere sygnal wrote.
    let hits = gw.canary_grep(&[
        note_text.as_bytes(),
        action_text.as_bytes(),
        format!("{token}-NOTE").as_bytes(),
        format!("{token}-ACTION").as_bytes(),
        format!("{token}-BODY").as_bytes(),
        format!("{token}-SUBJECT").as_bytes(),
        format!("anna.{token}").as_bytes(),
    ]);
    assert!(hits.is_empty(), "plaintext found: {hits:?}");
}

/// Runs SQL on the register file directly, as someone with the file would (triggers dropped).
fn tamper(gw: &Gateway, sql: &str) {
    let path = gw.dir().join("var/register.db");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        for stmt in [
            "DROP TRIGGER IF EXISTS audit_no_update",
            "DROP TRIGGER IF EXISTS audit_no_delete",
        ] {
            sqlx::query(stmt).execute(&mut conn).await.unwrap();
        }
        sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    });
}

fn verify(gw: &Gateway, head: Option<&str>) -> (i32, String) {
    let mut args = vec!["audit", "verify"];
    if let Some(h) = head {
        args.extend(["--head", h]);
    }
    code(gw, &args)
}

#[test]
fn audit_verify_catches_edit_delete_reorder_and_truncation() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let gw = &s.gateway;
    // Init and two readers wrote 3 entries; each export writes one more.
    for _ in 0..3 {
        gw.run_ok(&["register", "export", "--format", "json"]);
    }
    // A configuration change is an entry too.
    gw.append_config("[stats]\nmin-cell = 4\n");
    gw.run_ok(&["register", "export", "--format", "json"]);
    let rows = json(gw, &["audit", "show", "--json"]);
    let rows = rows.as_array().unwrap();
    let actions: Vec<&str> = rows.iter().map(|r| str_field(r, "action")).collect();
    assert_eq!(
        actions.iter().filter(|a| **a == "ConfigRecorded").count(),
        1,
        "{actions:?}"
    );
    assert_eq!(
        actions.iter().filter(|a| **a == "ConfigChanged").count(),
        1,
        "{actions:?}"
    );
    assert!(rows.len() >= 7, "{actions:?}");
    let head = gw.run_ok(&["audit", "head"]).trim().to_owned();
    assert!(head.starts_with(&format!("{}:", rows.len())), "{head}");
    assert_eq!(verify(gw, Some(&head)).0, 0);
    assert_eq!(verify(gw, Some(head.split_once(':').unwrap().1)).0, 0);

    // The register itself refuses to change or delete a chained entry.
    let path = gw.dir().join("var/register.db");
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let refused = rt.block_on(async {
        use sqlx::Connection;
        let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
            .await
            .unwrap();
        let r = sqlx::query("DELETE FROM audit WHERE id = 2")
            .execute(&mut conn)
            .await;
        conn.close().await.unwrap();
        r
    });
    assert!(refused.is_err(), "append-only trigger missing");

    // Edit.
    tamper(gw, "CREATE TABLE saved AS SELECT * FROM audit; UPDATE audit SET detail = detail || ' x' WHERE id = 3");
    let (rc, err) = verify(gw, None);
    assert_eq!(rc, EXIT_RUNTIME);
    assert!(
        err.contains("audit entry 3") && err.contains("edited"),
        "{err}"
    );
    tamper(
        gw,
        "DELETE FROM audit; INSERT INTO audit SELECT * FROM saved",
    );
    assert_eq!(verify(gw, Some(&head)).0, 0, "restored");

    // Reorder: swap the contents of two rows (ids stay in order).
    tamper(gw, "UPDATE audit SET id = -3 WHERE id = 3; UPDATE audit SET id = 3 WHERE id = 4; UPDATE audit SET id = 4 WHERE id = -3");
    let (rc, err) = verify(gw, None);
    assert_eq!(rc, EXIT_RUNTIME, "{err}");
    assert!(err.contains("audit entry 3"), "{err}");
    tamper(
        gw,
        "DELETE FROM audit; INSERT INTO audit SELECT * FROM saved",
    );

    // Delete a row in the middle.
    tamper(gw, "DELETE FROM audit WHERE id = 2");
    let (rc, err) = verify(gw, None);
    assert_eq!(rc, EXIT_RUNTIME);
    assert!(
        err.contains("audit entry 3") && err.contains("deleted"),
        "{err}"
    );
    tamper(
        gw,
        "DELETE FROM audit; INSERT INTO audit SELECT * FROM saved",
    );

    // Truncate the tail: invisible without a recorded head, caught with one.
    tamper(gw, "DELETE FROM audit WHERE id >= 6");
    assert_eq!(verify(gw, None).0, 0);
    let (rc, err) = verify(gw, Some(&head));
    assert_eq!(rc, EXIT_RUNTIME);
    assert!(err.contains("truncated"), "{err}");
    let bare = head.split_once(':').unwrap().1;
    assert_eq!(
        verify(gw, Some(bare)).0,
        EXIT_RUNTIME,
        "a bare recorded hash works too"
    );

    // Rewriting the whole tail after truncation is caught the same way; new entries after the
    // cut chain on, but the recorded head is gone for good.
    gw.run_ok(&["register", "export", "--format", "json"]);
    assert_eq!(verify(gw, Some(&head)).0, EXIT_RUNTIME);
    let json: Value = serde_json::from_str(&gw.run_ok(&["audit", "verify", "--json"])).unwrap();
    assert_eq!(json["ok"], Value::Bool(true));

    // The gateway notices a broken chain at start, says so at ERROR, and keeps taking mail.
    tamper(gw, "UPDATE audit SET actor = 'someone else' WHERE id = 2");
    let out = gw.run_once();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        log.contains("AuditChainBroken") && log.contains("audit entry 2"),
        "{log}"
    );
    let (rc, err) = code(gw, &["audit", "head"]);
    assert_eq!(
        rc, EXIT_RUNTIME,
        "no head is printed for a broken chain: {err}"
    );
}

#[test]
fn run_logs_missed_deadlines_without_content() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let gw = &s.gateway;
    let token = unique("D");
    let raw = Gpg::new().encrypt_pgp_mime(
        &s.intake_cert,
        &format!("Ewa <ewa.{token}@example.net>"),
        TO,
        &format!("Temat {token}-SUBJECT"),
        &format!("Treść {token}-BODY\n"),
        None,
        None,
    );
    dovecot.append("INBOX", &raw);
    gw.run_once();
    let number = gw.case_numbers().into_iter().next().unwrap();
    // Received long ago: the acknowledgement deadline has passed.
    tamper(
        gw,
        "UPDATE cases SET received_at = '2020-01-01', ack_due = '2020-01-08', feedback_due = '2020-04-08'",
    );
    let out = gw.run_once();
    let log = String::from_utf8_lossy(&out.stderr);
    let line = log
        .lines()
        .find(|l| l.contains("DeadlineMissed"))
        .unwrap_or_else(|| panic!("no DeadlineMissed in:\n{log}"));
    assert!(
        line.contains(&number) && line.contains("acknowledgement"),
        "{line}"
    );
    assert!(log.contains("AuditChainVerified"), "{log}");
    let due = json(gw, &["cases", "due", "--json"]);
    assert_eq!(due[0]["overdue"], Value::Bool(true));
    assert!(gw.canary_grep(&[token.as_bytes()]).is_empty());
}

#[test]
fn register_export_into_a_closed_pipe_ends_quietly_not_with_a_panic() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let mut child = s
        .gateway
        .command(&["register", "export", "--format", "csv"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // `| head` that has what it wants: the reading end goes before sygnal prints.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

/// One plain report filed as a case; its number.
fn file_plain_report(s: &Setup, dovecot: &Dovecot) -> String {
    use crate::support::gnupg::{plain_mail, Report};
    dovecot.append(
        "INBOX",
        &plain_mail(&Report {
            from: "R <r@example.net>",
            to: TO,
            subject: "x",
            body: &format!("Body {}\n", unique("PLAIN")),
            attachment: None,
        }),
    );
    s.gateway.run_once();
    s.gateway.case_numbers().pop().unwrap()
}

#[test]
fn in_follow_up_straight_from_received_keeps_the_acknowledgement_due_until_it_is_recorded() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let number = file_plain_report(&s, &dovecot);
    let n = number.as_str();
    let h = s.handler.key_file.to_str().unwrap();
    s.gateway
        .run_ok(&["cases", "status", n, "in-follow-up", "--key", h]);
    // The reporter left an address: starting follow-up does not discharge the acknowledgement.
    let due = json(&s.gateway, &["cases", "due", "--json"]);
    assert_eq!(due[0]["deadline"], "acknowledgement", "{due}");
    // The handler wrote by hand and records the day; follow-up does not go back.
    let received = date(&s.gateway.cases_json()[0], "received_at");
    let on = received.to_string();
    let file = json(
        &s.gateway,
        &[
            "cases",
            "status",
            n,
            "acknowledged",
            "--on",
            &on,
            "--key",
            h,
            "--json",
        ],
    );
    assert_eq!(file["status"], "in-follow-up", "{file}");
    assert_eq!(file["acknowledged_at"], on.as_str(), "{file}");
    let due = json(&s.gateway, &["cases", "due", "--json"]);
    assert_eq!(due[0]["deadline"], "feedback", "{due}");
    // Once recorded, not twice.
    let (rc, err) = code(
        &s.gateway,
        &["cases", "status", n, "acknowledged", "--key", h],
    );
    assert_eq!(rc, EXIT_USAGE, "{err}");
    assert!(err.contains("recorded already"), "{err}");
}

#[test]
fn rejected_and_transferred_cases_record_why_and_to_whom() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let rejected = file_plain_report(&s, &dovecot);
    let transferred = file_plain_report(&s, &dovecot);
    let h = s.handler.key_file.to_str().unwrap();
    let (rc, err) = code(
        &s.gateway,
        &["cases", "status", &rejected, "rejected", "--key", h],
    );
    assert_eq!(rc, EXIT_USAGE, "{err}");
    assert!(
        err.contains("--reason") && err.contains("out-of-scope"),
        "{err}"
    );
    let (rc, err) = code(
        &s.gateway,
        &[
            "cases",
            "status",
            &transferred,
            "transferred",
            "--reason",
            "other",
            "--key",
            h,
        ],
    );
    assert_eq!(rc, EXIT_USAGE, "{err}");
    assert!(err.contains("--to"), "{err}");

    let shown = s.gateway.run_ok(&[
        "cases",
        "status",
        &rejected,
        "rejected",
        "--reason",
        "no-new-information",
        "--key",
        h,
    ]);
    assert!(
        shown.contains("Rejected because:  no-new-information"),
        "{shown}"
    );
    s.gateway.run_ok(&[
        "cases",
        "status",
        &transferred,
        "transferred",
        "--to",
        "prosecutor",
        "--key",
        h,
    ]);
    let csv = s.gateway.run_ok(&["register", "export", "--format", "csv"]);
    assert!(
        csv.lines().next().unwrap().contains("outcome,end_reason,"),
        "{csv}"
    );
    assert!(csv.contains(",no-new-information,"), "{csv}");
    assert!(csv.contains(",prosecutor,"), "{csv}");
    // For Excel in a Polish locale: a byte order mark and semicolons.
    let excel = s
        .gateway
        .run_ok(&["register", "export", "--format", "csv-excel"]);
    assert!(
        excel.starts_with("\u{feff}number;received_at;category;status;"),
        "{excel}"
    );
    assert!(excel.contains(";prosecutor;"), "{excel}");
}

#[test]
fn a_handler_lists_subjects_and_searches_content_with_each_case_opened_on_record() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let token = unique("SZUKAJ");
    dovecot.append(
        "INBOX",
        &Gpg::new().encrypt_pgp_mime(
            &s.intake_cert,
            "R <r@example.net>",
            TO,
            "Nieprawidłowości w przetargu",
            &format!("Pierwszy wiersz.\nKierownik {token} zmienił ofertę.\n"),
            None,
            None,
        ),
    );
    s.gateway.run_once();
    let other = file_plain_report(&s, &dovecot);
    let h = s.handler.key_file.to_str().unwrap();

    // Without a key: no subjects, nothing opened.
    let plain = s.gateway.run_ok(&["cases", "list"]);
    assert!(!plain.contains("przetargu"), "{plain}");
    let listed = s.gateway.run_ok(&["cases", "list", "--key", h]);
    assert!(listed.contains("Nieprawidłowości w przetargu"), "{listed}");

    let found = json(
        &s.gateway,
        &[
            "cases",
            "search",
            &token.to_lowercase(),
            "--key",
            h,
            "--json",
        ],
    );
    assert_eq!(found["searched"], 2, "{found}");
    assert_eq!(found["hits"].as_array().unwrap().len(), 1, "{found}");
    assert_eq!(found["hits"][0]["field"], "body", "{found}");
    assert!(
        str_field(&found["hits"][0], "line").contains(&token),
        "{found}"
    );
    let (rc, err) = code(&s.gateway, &["cases", "search", "ab", "--key", h]);
    assert_eq!(rc, EXIT_USAGE, "{err}");

    // A reader added later does not open the older cases: they are counted, not shown.
    let late = Holder::new("Lena Late", "lena@handlers.example.org");
    s.gateway.add_handler(&late);
    let out = s.gateway.run(&[
        "cases",
        "search",
        &token,
        "--key",
        late.key_file.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{out:?}");
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(!said.contains(&token), "{said}");
    assert!(String::from_utf8_lossy(&out.stderr).contains("2 cases this key does not open"));

    // Every case read was recorded, saying why.
    let trail = s.gateway.run_ok(&["audit", "show", "--case", &other]);
    assert!(trail.contains("subject shown in cases list"), "{trail}");
    assert!(trail.contains("searched (cases search)"), "{trail}");
}

/// The paper file the procedure keeps: a printed case file, Polish unless asked otherwise,
/// with the register fields, the report as written, its attachments listed and the notes, and
/// never anything that identifies the reporter. Taking it out is on the audit trail.
#[test]
fn a_printed_case_file_is_polish_by_default_holds_the_report_and_notes_and_never_the_identity() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let token = unique("AKTA");
    dovecot.append(
        "INBOX",
        &Gpg::new().encrypt_pgp_mime(
            &s.intake_cert,
            &format!("Zofia Zgłaszająca <zofia.{token}@example.net>"),
            TO,
            "Zażółcona gęśla jaźń",
            &format!("Kierownik {token}-BODY przyjął łapówkę.\n\nDrugi akapit zgłoszenia.\n"),
            Some(("faktura.txt", b"faktura 17/2026\n")),
            None,
        ),
    );
    s.gateway.run_once();
    let number = s.gateway.case_numbers().pop().unwrap();
    let n = number.as_str();
    let h = s.handler.key_file.to_str().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let note = dir.path().join("note.txt");
    std::fs::write(&note, format!("Rozmowa z kierownikiem {token}-NOTE.\n")).unwrap();
    s.gateway.run_ok(&[
        "cases",
        "note",
        n,
        "--key",
        h,
        "--file",
        note.to_str().unwrap(),
    ]);

    let polish = dir.path().join("akta.pdf");
    let said = s.gateway.run_ok(&[
        "cases",
        "export",
        n,
        "--key",
        h,
        "--pdf",
        polish.to_str().unwrap(),
    ]);
    assert!(!said.contains(&token), "{said}");
    let text = pdf_text(&polish);
    for expected in [
        format!("AKTA SPRAWY {n}"),
        "Dane sprawy w rejestrze".to_owned(),
        "Zażółcona gęśla jaźń".to_owned(),
        format!("Kierownik {token}-BODY przyjął łapówkę."),
        "Drugi akapit zgłoszenia.".to_owned(),
        "faktura.txt".to_owned(),
        format!("Rozmowa z kierownikiem {token}-NOTE."),
        "Termin (informacja zwrotna)".to_owned(),
        "Sporządził(a)".to_owned(),
        "strona 1/".to_owned(),
    ] {
        assert!(text.contains(&expected), "{expected:?} missing:\n{text}");
    }
    assert!(
        !text.contains("zofia."),
        "the identity is in the case file:\n{text}"
    );
    assert!(
        !text.contains("Zofia"),
        "the identity is in the case file:\n{text}"
    );
    // What a person sees on the page, not only the text layer: the glyphs are there.
    assert!(
        ocr_pdf(&polish).contains(n),
        "the case number is not on the page"
    );
    assert_private(&polish);

    // An existing file is never overwritten.
    let out = s.gateway.run(&[
        "cases",
        "export",
        n,
        "--key",
        h,
        "--pdf",
        polish.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(EXIT_USAGE), "{out:?}");

    // English on request; the export folder carries the printable file too.
    let folder = dir.path().join("export");
    s.gateway.run_ok(&[
        "cases",
        "export",
        n,
        "--key",
        h,
        "--out",
        folder.to_str().unwrap(),
        "--lang",
        "en",
    ]);
    let english = pdf_text(&folder.join("case.pdf"));
    assert!(english.contains(&format!("CASE FILE {n}")), "{english}");
    assert!(english.contains("Notes and follow-up actions"), "{english}");
    assert_private(&folder.join("case.pdf"));

    let trail = s.gateway.run_ok(&["audit", "show", "--case", n]);
    assert_eq!(trail.matches("CaseExported").count(), 2, "{trail}");
}

fn assert_private(path: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{}", path.display());
}
