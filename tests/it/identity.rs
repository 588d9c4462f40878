//! The identity promise, tried as someone with each seat's access would, against the real
//! binary, Dovecot and gpg-made keys: an admin cannot make himself a custodian, someone holding
//! the register file cannot rewrite the audit trail unseen once a custodian signed a
//! checkpoint, nothing in the register links a case to the mail server's logs, and free text
//! about identity is sealed.

use std::process::Command;

use crate::support::dovecot::Dovecot;
use crate::support::gateway::{Gateway, Setup};
use crate::support::gnupg::{plain_mail, unique, Holder, Report};

const TO: &str = "zgloszenia@urzad.example.org";

fn sql(gw: &Gateway, query: &str) -> String {
    let db = gw.dir().join("var/register.db");
    let out = Command::new("sqlite3")
        .arg("-separator")
        .arg("\u{1f}")
        .arg(&db)
        .arg(query)
        .output()
        .expect("sqlite3 runs");
    assert!(
        out.status.success(),
        "sqlite3 {query}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn file_one(s: &Setup, dovecot: &Dovecot) -> (String, u32, usize) {
    let token = unique("ID");
    let raw = plain_mail(&Report {
        from: "Zofia Zgłaszająca <zofia@example.net>",
        to: TO,
        subject: &format!("report {token}"),
        body: &format!("Report body {token}\n"),
        attachment: None,
    });
    dovecot.append("INBOX", &raw);
    let uid = *dovecot.uids("INBOX").last().unwrap();
    s.gateway.run_once();
    let numbers = s.gateway.case_numbers();
    (numbers.last().unwrap().clone(), uid, raw.len())
}

fn cert_file(gw: &Gateway, holder: &Holder) -> String {
    let file = gw.dir().join(format!("{}.asc", holder.fpr));
    std::fs::write(&file, holder.cert()).unwrap();
    file.to_str().unwrap().to_owned()
}

fn audit_json(gw: &Gateway) -> Vec<serde_json::Value> {
    serde_json::from_str(&gw.run_ok(&["audit", "show", "--json"])).unwrap()
}

#[test]
fn an_admin_cannot_make_himself_a_custodian_without_a_custodians_consent() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let admin = Holder::new("Adam Admin", "adam@urzad.example.org");
    let admin_cert = cert_file(&s.gateway, &admin);
    let readers_before = s.gateway.run_ok(&["handlers", "list", "--json"]);

    // Alone, or approving himself, or re-adding the handler as custodian: refused, no change.
    let alone = s.gateway.run(&[
        "handlers",
        "add",
        "--cert",
        &admin_cert,
        "--name",
        "Adam",
        "--role",
        "custodian",
    ]);
    assert_eq!(
        alone.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&alone.stderr)
    );
    let self_approved = s.gateway.run(&[
        "handlers",
        "add",
        "--cert",
        &admin_cert,
        "--name",
        "Adam",
        "--role",
        "custodian",
        "--approve-key",
        admin.key_file.to_str().unwrap(),
    ]);
    assert_eq!(self_approved.status.code(), Some(4));
    let by_handler = s.gateway.run(&[
        "handlers",
        "role",
        &s.handler.fpr,
        "custodian",
        "--approve-key",
        s.handler.key_file.to_str().unwrap(),
    ]);
    assert_eq!(by_handler.status.code(), Some(4));
    let handler_cert = cert_file(&s.gateway, &s.handler);
    let readd = s.gateway.run(&[
        "handlers",
        "add",
        "--cert",
        &handler_cert,
        "--name",
        "H",
        "--role",
        "custodian",
        "--approve-key",
        s.custodian.key_file.to_str().unwrap(),
    ]);
    assert_eq!(
        readd.status.code(),
        Some(2),
        "re-adding never changes a role"
    );
    assert_eq!(
        s.gateway.run_ok(&["handlers", "list", "--json"]),
        readers_before
    );

    // With the custodian's consent: done, and audited as its own kind of event.
    s.gateway.run_ok(&[
        "handlers",
        "role",
        &s.handler.fpr,
        "custodian",
        "--approve-key",
        s.custodian.key_file.to_str().unwrap(),
    ]);
    let audit = audit_json(&s.gateway);
    assert!(audit.iter().any(|e| e["action"] == "ReaderRoleChanged"
        && e["detail"].as_str().unwrap().contains(&s.handler.fpr)));
    // Each custodian action ends with a signed checkpoint.
    let verify = s.gateway.run_ok(&["audit", "verify"]);
    assert!(verify.contains("checkpoint(s) hold"), "{verify}");
}

#[test]
fn rewriting_the_audit_trail_is_caught_once_a_custodian_checkpoint_covers_it() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let (number, _, _) = file_one(&s, &dovecot);
    s.gateway.run_ok(&[
        "identity",
        "unseal",
        &number,
        "--key",
        s.custodian.key_file.to_str().unwrap(),
        "--reason",
        "request of the prosecutor",
    ]);
    s.gateway.run_ok(&[
        "audit",
        "checkpoint",
        "--key",
        s.custodian.key_file.to_str().unwrap(),
    ]);
    s.gateway.run_ok(&["audit", "verify"]);

    // As someone holding the file: drop the triggers, delete the unseal, rehash the chain.
    let unsealed_id = sql(
        &s.gateway,
        "SELECT id FROM audit WHERE action = 'IdentityUnsealed'",
    );
    let unsealed_id = unsealed_id.trim();
    sql(
        &s.gateway,
        &format!(
            "DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete; \
             DELETE FROM audit WHERE id = {unsealed_id}; \
             DELETE FROM sealed_details WHERE audit_id = {unsealed_id};"
        ),
    );
    rehash(&s.gateway);
    let verify = s.gateway.run(&["audit", "verify"]);
    let said = String::from_utf8_lossy(&verify.stderr);
    assert_eq!(verify.status.code(), Some(1), "rewrite not caught: {said}");
    // The rehashed chain holds link by link: only the custodian's signature tells.
    assert!(
        said.contains("checkpoint")
            && !said.contains("edited")
            && !said.contains("does not follow"),
        "{said}"
    );
}

/// Recomputes every hash of the trail in order, as a forger would.
fn rehash(gw: &Gateway) {
    let rows = sql(
        gw,
        "SELECT id, at, actor, action, case_number IS NULL, IFNULL(case_number, ''), detail \
         FROM audit ORDER BY id",
    );
    let mut prev = sygnal::audit::GENESIS.to_owned();
    let mut updates = String::new();
    for line in rows.lines() {
        let f: Vec<&str> = line.split('\u{1f}').collect();
        let id: i64 = f[0].parse().unwrap();
        let case = (f[4] == "0").then_some(f[5]);
        let hash = sygnal::audit::Link {
            id,
            at: f[1],
            actor: f[2],
            action: f[3],
            case_number: case,
            detail: f[6],
            prev_hash: &prev,
        }
        .hash();
        updates.push_str(&format!(
            "UPDATE audit SET prev_hash = '{prev}', hash = '{hash}' WHERE id = {id};"
        ));
        prev = hash;
    }
    sql(gw, &updates);
}

#[test]
fn after_filing_nothing_links_a_case_to_the_mailbox_position_size_or_time() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let (number, uid, size) = file_one(&s, &dovecot);
    assert_eq!(dovecot.count("INBOX"), 0);

    // The intake record forgot where the message was and its fingerprint; no size is kept.
    let intake = sql(
        &s.gateway,
        "SELECT IFNULL(fingerprint, '-'), IFNULL(mailbox, '-'), IFNULL(uidvalidity, '-'), \
         IFNULL(uid, '-'), deletion, recorded_on FROM intake",
    );
    let fields: Vec<&str> = intake.trim().split('\u{1f}').collect();
    assert_eq!(&fields[..5], ["-", "-", "-", "-", "deleted"], "{intake}");
    assert_eq!(fields[5].len(), 10, "recorded to the day only: {intake}");
    let columns = sql(&s.gateway, "SELECT name FROM pragma_table_info('intake')");
    assert!(!columns.contains("size"), "{columns}");

    // The audit trail says neither the UID nor the size, and dates case entries to the day.
    for e in audit_json(&s.gateway) {
        let detail = e["detail"].as_str().unwrap();
        assert!(!detail.contains(&format!("uid {uid}")), "{e}");
        // (Other entries carry hex hashes, in which any short number may appear by chance.)
        let about_arrival = !e["case_number"].is_null()
            || ["MessageQuarantined", "ServerCopyDeleted", "CaseFiled"]
                .contains(&e["action"].as_str().unwrap());
        assert!(
            !(about_arrival && detail.contains(&size.to_string())),
            "size beside a case: {e}"
        );
        if !e["case_number"].is_null() {
            assert_eq!(
                e["at"].as_str().unwrap().len(),
                10,
                "finer than the day: {e}"
            );
        }
    }
    let filed_at = sql(
        &s.gateway,
        &format!("SELECT filed_at FROM cases WHERE number = '{number}'"),
    );
    assert_eq!(filed_at.trim().len(), 10, "{filed_at}");
    // No log line puts the case number beside a UID.
    for line in s.gateway.logs().lines() {
        assert!(
            !(line.contains(&number) && line.contains("uid")),
            "log links case and UID: {line}"
        );
    }
}

#[test]
fn reasons_and_disclosure_recipients_are_sealed_in_the_register() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let (number, _, _) = file_one(&s, &dovecot);
    let reason = unique("REASON");
    let recipient = unique("RECIPIENT");
    let basis = unique("BASIS");
    let key = s.custodian.key_file.to_str().unwrap();
    s.gateway.run_ok(&[
        "identity", "unseal", &number, "--key", key, "--reason", &reason,
    ]);
    s.gateway.run_ok(&[
        "identity",
        "disclose",
        &number,
        "--key",
        key,
        "--to",
        &recipient,
        "--legal-basis",
        &basis,
        "--reason",
        &reason,
        "--reporter-notice",
        "informed",
    ]);
    let hits = s
        .gateway
        .canary_grep(&[reason.as_bytes(), recipient.as_bytes(), basis.as_bytes()]);
    assert!(hits.is_empty(), "plaintext free text at rest: {hits:#?}");
    // The log without a key says who did what; with a custodian's key, why and to whom.
    let clear = s.gateway.run_ok(&["identity", "log", &number]);
    assert!(
        !clear.contains(&reason) && clear.contains("sealed"),
        "{clear}"
    );
    let opened = s
        .gateway
        .run_ok(&["identity", "log", &number, "--key", key]);
    assert!(
        opened.contains(&reason) && opened.contains(&recipient) && opened.contains(&basis),
        "{opened}"
    );
    let by_handler = s.gateway.run(&[
        "identity",
        "log",
        &number,
        "--key",
        s.handler.key_file.to_str().unwrap(),
    ]);
    assert_eq!(by_handler.status.code(), Some(4));
}
