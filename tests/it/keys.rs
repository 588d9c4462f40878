//! Key lifecycle with the real binary, Dovecot and GnuPG as the reporter's client: intake key
//! rotation with a grace period and retirement; removing a reader and resealing every case;
//! SIGKILL during a reseal leaves every case readable by the old or the new readers.

use std::path::Path;

use serde_json::Value;

use crate::support::dovecot::Dovecot;
use crate::support::gateway::{assert_success, str_field, Setup};
use crate::support::gnupg::{plain_mail, unique, Gpg, Holder, Report};

const TO: &str = "zgloszenia@urzad.example.org";

fn send_encrypted(dovecot: &Dovecot, reporter: &Gpg, cert: &[u8], token: &str) {
    dovecot.append(
        "INBOX",
        &reporter.encrypt_pgp_mime(
            cert,
            "Reporter <r@example.net>",
            TO,
            "rotation",
            &format!("Report {token}\n"),
            None,
            None,
        ),
    );
}

fn keys_json(s: &Setup) -> Vec<Value> {
    let out = s.gateway.run_ok(&["keys", "list", "--json"]);
    serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .clone()
}

fn audit_actions(s: &Setup) -> Vec<String> {
    let out = s.gateway.run_ok(&["audit", "show", "--json"]);
    serde_json::from_str::<Value>(&out)
        .unwrap()
        .as_array()
        .unwrap()
        .iter()
        .map(|r| str_field(r, "action").to_owned())
        .collect()
}

#[test]
fn grace_files_old_key_mail_retirement_quarantines_it_naming_the_key() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let reporter = Gpg::new();
    let old_cert = s.intake_cert.clone();
    let old_fpr = keys_json(&s)[0]["fingerprint"].as_str().unwrap().to_owned();

    let out = s
        .gateway
        .run_ok(&["keys", "rotate-intake", "--grace", "30d"]);
    assert!(out.contains("(current)"), "{out}");
    let new_cert = s.gateway.intake_cert();
    assert_ne!(new_cert, old_cert, "rotation must publish a new key");
    let keys = keys_json(&s);
    assert_eq!(keys.len(), 2, "{keys:?}");
    let old = keys
        .iter()
        .find(|k| k["fingerprint"] == old_fpr.as_str())
        .unwrap();
    assert_eq!(old["state"], "grace");
    assert!(old["grace_until"].is_string());

    // During grace: mail to the old key is filed.
    send_encrypted(&dovecot, &reporter, &old_cert, &unique("GRACE-"));
    s.gateway.run_once();
    assert_eq!(s.gateway.case_numbers().len(), 1, "{}", s.gateway.logs());
    assert!(s.gateway.quarantine_json().is_empty());

    // The grace period has not ended: a plain retire keeps the key.
    let out = s.gateway.run_ok(&["keys", "retire"]);
    assert!(out.contains("no intake key to retire"), "{out}");
    // Destroying a key in its grace period is confirmed first; without a terminal, by --yes.
    let refused = s.gateway.run(&["keys", "retire", "--now"]);
    assert_eq!(refused.status.code(), Some(2), "{refused:?}");
    let said = String::from_utf8_lossy(&refused.stderr);
    assert!(said.contains(&old_fpr) && said.contains("--yes"), "{said}");
    assert!(s
        .gateway
        .dir()
        .join(format!("var/keys/intake/{old_fpr}.key"))
        .exists());
    let out = s.gateway.run_ok(&["keys", "retire", "--now", "--yes"]);
    assert!(out.contains(&old_fpr), "{out}");
    assert!(
        !s.gateway
            .dir()
            .join(format!("var/keys/intake/{old_fpr}.key"))
            .exists(),
        "the retired secret key file must be gone"
    );
    let keys = keys_json(&s);
    let old = keys
        .iter()
        .find(|k| k["fingerprint"] == old_fpr.as_str())
        .unwrap();
    assert_eq!(old["state"], "retired");

    // After retirement: quarantined, with the old key named.
    send_encrypted(&dovecot, &reporter, &old_cert, &unique("RETIRED-"));
    s.gateway.run_once();
    let q = s.gateway.quarantine_json();
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(str_field(&q[0], "reason"), "openpgp-retired-key");
    assert!(str_field(&q[0], "detail").contains(&old_fpr), "{q:?}");

    // The new key: filed.
    send_encrypted(&dovecot, &reporter, &new_cert, &unique("NEW-"));
    s.gateway.run_once();
    assert_eq!(s.gateway.case_numbers().len(), 2);
    assert_eq!(dovecot.count("INBOX"), 0);

    let actions = audit_actions(&s);
    for a in ["IntakeKeyRotated", "IntakeKeyRetired"] {
        assert!(actions.iter().any(|x| x == a), "no {a} in {actions:?}");
    }
}

/// `cases show` with `key`: its exit code.
fn show_code(s: &Setup, number: &str, key: &Path) -> i32 {
    let out = s.gateway.run(&[
        "cases",
        "show",
        number,
        "--key",
        key.to_str().unwrap(),
        "--json",
    ]);
    out.status.code().unwrap_or(-1)
}

fn file_plain_cases(s: &Setup, dovecot: &Dovecot, n: usize) -> Vec<String> {
    for i in 0..n {
        let body = format!("Body {}\n", unique(&format!("RESEAL{i}-")));
        dovecot.append(
            "INBOX",
            &plain_mail(&Report {
                from: "R <r@example.net>",
                to: TO,
                subject: "reseal",
                body: &body,
                attachment: None,
            }),
        );
    }
    s.gateway.run_once();
    let numbers = s.gateway.case_numbers();
    assert_eq!(numbers.len(), n, "{}", s.gateway.logs());
    numbers
}

fn reseal(s: &Setup, keys: &[&Path], extra: &[&str]) -> std::process::Output {
    let mut args = vec!["keys", "reseal"];
    for k in keys {
        args.push("--key");
        args.push(k.to_str().unwrap());
    }
    args.extend_from_slice(extra);
    s.gateway.run(&args)
}

#[test]
fn a_removed_reader_is_refused_for_show_note_action_and_status_before_any_reseal() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let numbers = file_plain_cases(&s, &dovecot, 1);
    let note = s.gateway.dir().join("note.txt");
    std::fs::write(&note, "notatka").unwrap();
    let key = s.handler.key_file.to_str().unwrap();
    let commands: [Vec<&str>; 4] = [
        vec!["cases", "show", &numbers[0], "--key", key],
        vec![
            "cases",
            "note",
            &numbers[0],
            "--key",
            key,
            "--file",
            note.to_str().unwrap(),
        ],
        vec![
            "cases",
            "action",
            &numbers[0],
            "--kind",
            "interview",
            "--key",
            key,
        ],
        vec!["cases", "status", &numbers[0], "in-follow-up", "--key", key],
    ];
    for args in &commands {
        let out = s.gateway.run(args);
        assert_eq!(out.status.code(), Some(0), "{args:?} before removal");
    }
    s.gateway.remove_reader(&s.handler.fpr);
    for args in &commands {
        let out = s.gateway.run(args);
        assert_eq!(out.status.code(), Some(4), "{args:?} after removal");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("not a current reader"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let audit = s.gateway.run_ok(&["audit", "show"]);
    assert!(!audit.contains("not a registered reader"), "{audit}");
}

#[test]
fn removed_handler_opens_nothing_after_reseal_and_remaining_readers_open_everything() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let numbers = file_plain_cases(&s, &dovecot, 3);
    assert!(!reseal_pending_told(&s), "nothing changed yet");
    let second = Holder::new("Henryk Handler", "henryk@handlers.example.org");
    s.gateway.add_handler(&second);
    s.gateway.remove_reader(&s.handler.fpr);
    assert!(reseal_pending_told(&s), "the change awaits a reseal");

    // Dry run: counts, writes nothing. The removed handler's key is refused at once, though
    // it could still decrypt until the reseal.
    let out = reseal(
        &s,
        &[&second.key_file, &s.custodian.key_file],
        &["--dry-run"],
    );
    assert_success(&["keys", "reseal", "--dry-run"], &out);
    assert_eq!(show_code(&s, &numbers[0], &s.handler.key_file), 4);
    // A removed reader's key may not drive a reseal.
    let out = reseal(&s, &[&s.handler.key_file], &[]);
    assert_eq!(
        out.status.code(),
        Some(4),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // The new handler's key opens nothing yet: it says which records it could not cover.
    let out = reseal(&s, &[&second.key_file], &[]);
    assert_eq!(out.status.code(), Some(4));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not readable"));
    // With the custodian's key too, the same (resumed) run completes.
    let out = reseal(&s, &[&second.key_file, &s.custodian.key_file], &["--json"]);
    assert_success(&["keys", "reseal"], &out);
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["identities"], 3, "{summary}");
    assert_eq!(summary["cases"], 3, "{summary}");
    assert_eq!(summary["resumed"], true, "{summary}");
    assert!(!reseal_pending_told(&s), "still pending after the reseal");

    for n in &numbers {
        assert_eq!(
            show_code(&s, n, &s.handler.key_file),
            4,
            "removed handler opened {n}"
        );
        assert_eq!(show_code(&s, n, &second.key_file), 0);
        assert_eq!(show_code(&s, n, &s.custodian.key_file), 0);
        let out = s.gateway.unseal(n, &s.custodian.key_file);
        assert_success(&["identity", "unseal"], &out);
    }
    let actions = audit_actions(&s);
    for a in [
        "ReaderRemoved",
        "ResealStarted",
        "ResealResumed",
        "ResealCompleted",
    ] {
        assert!(actions.iter().any(|x| x == a), "no {a} in {actions:?}");
    }
}

/// Whether both `doctor` and `handlers list` say a reseal is pending (and agree).
fn reseal_pending_told(s: &Setup) -> bool {
    let doctor = s.gateway.run(&["doctor"]);
    let doctor = String::from_utf8_lossy(&doctor.stdout).into_owned();
    let list = s.gateway.run(&["handlers", "list"]);
    assert!(list.status.success(), "{list:?}");
    let list = String::from_utf8_lossy(&list.stderr).into_owned();
    let (in_doctor, in_list) = (
        doctor.contains("WARN reseal pending"),
        list.contains("WARN reseal pending"),
    );
    assert_eq!(
        in_doctor, in_list,
        "doctor:\n{doctor}\nhandlers list:\n{list}"
    );
    if in_doctor {
        assert!(doctor.contains("sygnal keys reseal"), "{doctor}");
    }
    in_doctor
}

fn sigkill_during_reseal_at(failpoint: &str) {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let numbers = file_plain_cases(&s, &dovecot, 5);
    let second = Holder::new("Henryk Handler", "henryk@handlers.example.org");
    s.gateway.add_handler(&second);
    s.gateway.remove_reader(&s.handler.fpr);

    let key = s.custodian.key_file.to_str().unwrap().to_owned();
    let mut child = s.gateway.spawn_args_with_failpoint(
        &["keys", "reseal", "--key", &key, "--batch", "2"],
        failpoint,
    );
    child.kill().unwrap();
    assert!(!child.wait().unwrap().success());

    // Every case still opens, for the custodian (sealed to throughout); the removed handler
    // acts no more whatever the reseal reached.
    for n in &numbers {
        assert_eq!(
            show_code(&s, n, &s.custodian.key_file),
            0,
            "{n} unreadable after SIGKILL at {failpoint}"
        );
        assert_eq!(show_code(&s, n, &s.handler.key_file), 4);
    }

    let out = reseal(&s, &[&s.custodian.key_file], &[]);
    assert_success(&["keys", "reseal", "(re-run)"], &out);
    for n in &numbers {
        assert_eq!(show_code(&s, n, &s.handler.key_file), 4, "{n} after re-run");
        assert_eq!(show_code(&s, n, &second.key_file), 0, "{n} after re-run");
    }
}

#[test]
fn sigkill_before_the_first_reseal_commit_then_rerun() {
    sigkill_during_reseal_at("reseal-before-commit");
}

#[test]
fn sigkill_after_a_reseal_batch_committed_then_rerun() {
    sigkill_during_reseal_at("reseal-batch-committed");
}

#[test]
fn wkd_export_writes_both_layouts_and_a_printable_fingerprint() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    s.gateway.run_ok(&[
        "keys",
        "rotate-intake",
        "--user-id",
        &format!("Sygnal <{TO}>"),
    ]);
    let web = s.gateway.dir().join("web");
    s.gateway.run_ok(&[
        "keys",
        "export-intake",
        "--wkd",
        web.to_str().unwrap(),
        "--domain",
        "urzad.example.org",
    ]);
    let gpg = Gpg::new();
    let hu = web.join(".well-known/openpgpkey/urzad.example.org/hu");
    let files: Vec<_> = std::fs::read_dir(&hu).unwrap().collect();
    assert_eq!(files.len(), 1);
    let direct = web.join(".well-known/openpgpkey/hu");
    assert_eq!(std::fs::read_dir(&direct).unwrap().count(), 1);
    assert!(web.join(".well-known/openpgpkey/policy").exists());
    // The published file is the current certificate, which gpg imports.
    let file = files[0].as_ref().unwrap().path();
    let imported = gpg.import(&std::fs::read(&file).unwrap());
    // The file name is the WKD hash GnuPG computes for the User ID's address.
    let listing = gpg.run_ok(&["--with-wkd-hash", "--list-keys", &imported[0]], b"");
    let name = file.file_name().unwrap().to_str().unwrap().to_owned();
    assert!(
        String::from_utf8_lossy(&listing.stdout).contains(&format!("{name}@urzad.example.org")),
        "{}",
        String::from_utf8_lossy(&listing.stdout)
    );
    let current = s.gateway.run_ok(&["keys", "list", "--json"]);
    assert!(current.contains(&imported[0]), "{current} vs {imported:?}");
    let printable = s
        .gateway
        .run_ok(&["keys", "export-intake", "--fingerprint"]);
    assert_eq!(
        printable.trim().replace(' ', ""),
        imported[0].to_uppercase()
    );
}

#[test]
fn intake_keys_are_passphrase_protected_at_rest_and_bad_passphrases_are_named() {
    use std::os::unix::fs::PermissionsExt;
    let dovecot = Dovecot::start();
    let gw = crate::support::gateway::Gateway::new(&dovecot);
    let config = std::fs::read_to_string(gw.config()).unwrap();
    assert!(config.contains("unprotected = true"));
    std::fs::write(
        gw.config(),
        config.replace("unprotected = true", "passphrase-file = \"key.pass\""),
    )
    .unwrap();
    let pass = gw.dir().join("key.pass");
    std::fs::write(&pass, "correct horse battery staple\n").unwrap();
    std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let fpr = gw.init();

    // The stored key is encrypted: Sequoia sees locked secret material.
    let stored = std::fs::read(gw.dir().join(format!("var/keys/intake/{fpr}.key"))).unwrap();
    let cert = sygnal::openpgp::parse_secret_key(&stored).unwrap();
    assert!(sygnal::openpgp::needs_passphrase(&cert));

    // With the passphrase the gateway opens reporters' mail.
    let handler = Holder::new("Hanna Handler", "hanna@handlers.example.org");
    let custodian = Holder::new("Celina Custodian", "celina@custody.example.org");
    gw.add_handler(&handler);
    gw.add_custodian(&custodian);
    let cert = gw.intake_cert();
    send_encrypted(&dovecot, &Gpg::new(), &cert, &unique("PROTECTED-"));
    gw.run_once();
    assert_eq!(gw.case_numbers().len(), 1, "{}", gw.logs());

    // A wrong passphrase: a clear error naming the key, nothing taken from the mailbox.
    std::fs::write(&pass, "wrong\n").unwrap();
    send_encrypted(&dovecot, &Gpg::new(), &cert, &unique("WRONG-"));
    let out = gw.run(&["run", "--once"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("wrong or missing passphrase") && err.contains(&fpr),
        "{err}"
    );
    assert_eq!(dovecot.count("INBOX"), 1);

    // Loose permissions on the passphrase file: refused with the fix, by the gateway and the
    // doctor (commands that never unlock an intake key, such as a handler's, do not read it).
    std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = gw.run(&["run", "--once"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("chmod 600"), "{err}");
    assert_success(&["cases", "list"], &gw.run(&["cases", "list"]));
    let out = gw.run(&["doctor"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("chmod 600"), "{err}");
}

#[test]
fn doctor_and_run_warn_when_a_grace_period_ended_and_retire_then_clears_it() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let out = s.gateway.run(&["doctor"]);
    assert_success(&["doctor"], &out);
    s.gateway
        .run_ok(&["keys", "rotate-intake", "--grace", "1s"]);
    std::thread::sleep(std::time::Duration::from_millis(1500));

    let out = s.gateway.run(&["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("WARN grace period of intake key"), "{text}");
    let out = s.gateway.run_once();
    assert!(String::from_utf8_lossy(&out.stderr).contains("KeyExpiryApproached"));

    // The grace period has ended: a plain retire takes the old key.
    let out = s.gateway.run_ok(&["keys", "retire"]);
    assert!(out.contains("retired intake key"), "{out}");
    let out = s.gateway.run(&["doctor"]);
    assert_success(&["doctor"], &out);
}

fn shred_ids(s: &Setup) -> std::collections::BTreeSet<String> {
    std::fs::read_dir(s.gateway.dir().join("var/keys/shred"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".key") && !n.starts_with('.'))
        .collect()
}

#[test]
fn rotate_content_survives_sigkill_and_destroys_every_old_shred_key() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let numbers = file_plain_cases(&s, &dovecot, 4);
    let before = shred_ids(&s);
    assert_eq!(before.len(), 4);
    let second = Holder::new("Henryk Handler", "henryk@handlers.example.org");
    s.gateway.add_handler(&second);
    s.gateway.remove_reader(&s.handler.fpr);

    let key = s.custodian.key_file.to_str().unwrap().to_owned();
    let args = [
        "keys",
        "reseal",
        "--key",
        key.as_str(),
        "--rotate-content",
        "--batch",
        "2",
    ];
    let mut child = s
        .gateway
        .spawn_args_with_failpoint(&args, "reseal-batch-committed");
    child.kill().unwrap();
    assert!(!child.wait().unwrap().success());
    for n in &numbers {
        assert_eq!(
            show_code(&s, n, &s.custodian.key_file),
            0,
            "{n} unreadable after SIGKILL"
        );
    }

    let out = s.gateway.run(&args);
    assert_success(&args, &out);
    for n in &numbers {
        assert_eq!(show_code(&s, n, &s.handler.key_file), 4, "{n}");
        assert_eq!(show_code(&s, n, &second.key_file), 0, "{n}");
        assert_success(
            &["identity", "unseal"],
            &s.gateway.unseal(n, &s.custodian.key_file),
        );
    }
    let after = shred_ids(&s);
    assert_eq!(after.len(), 4, "{after:?}");
    assert!(
        before.is_disjoint(&after),
        "old shred keys survived: {before:?} / {after:?}"
    );
    let actions = audit_actions(&s);
    assert_eq!(
        actions.iter().filter(|a| *a == "ShredKeyDestroyed").count(),
        4,
        "{actions:?}"
    );
}

#[test]
fn keys_made_unprotected_are_flagged_by_doctor_and_protected_in_place() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let fpr = keys_json(&s)[0]["fingerprint"].as_str().unwrap().to_owned();
    let config = std::fs::read_to_string(s.gateway.config()).unwrap();
    std::fs::write(
        s.gateway.config(),
        config.replace(
            "unprotected = true",
            "passphrase-env = \"SYGNAL_TEST_KEY_PASS\"",
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        s.gateway
            .command(args)
            .env("SYGNAL_TEST_KEY_PASS", "zmiana-co-90-dni")
            .output()
            .unwrap()
    };
    let out = run(&["doctor"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).contains("without passphrase protection"));

    let out = run(&["keys", "protect"]);
    assert_success(&["keys", "protect"], &out);
    assert!(String::from_utf8_lossy(&out.stdout).contains(&fpr));
    let stored = std::fs::read(s.gateway.dir().join(format!("var/keys/intake/{fpr}.key"))).unwrap();
    assert!(sygnal::openpgp::needs_passphrase(
        &sygnal::openpgp::parse_secret_key(&stored).unwrap()
    ));
    assert_success(&["doctor"], &run(&["doctor"]));
    // Without the variable: a clear error naming it.
    let out = s.gateway.run(&["doctor"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("SYGNAL_TEST_KEY_PASS"));
}

fn history(s: &Setup, number: &str, key: &Path) -> std::process::Output {
    s.gateway.run(&[
        "cases",
        "history",
        number,
        "--key",
        key.to_str().unwrap(),
        "--json",
    ])
}

#[test]
fn notes_follow_their_case_through_reseal_and_content_rotation() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let numbers = file_plain_cases(&s, &dovecot, 1);
    let number = &numbers[0];
    let note_text = unique("NOTE-");
    let note_file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(note_file.path(), format!("{note_text}\n")).unwrap();
    s.gateway.run_ok(&[
        "cases",
        "note",
        number,
        "--key",
        s.handler.key_file.to_str().unwrap(),
        "--file",
        note_file.path().to_str().unwrap(),
    ]);

    let second = Holder::new("Nadia Handler", "nadia@handlers.example.org");
    s.gateway.add_handler(&second);
    s.gateway.remove_reader(&s.handler.fpr);
    let out = reseal(&s, &[&second.key_file, &s.custodian.key_file], &["--json"]);
    assert_success(&["keys", "reseal"], &out);
    let summary: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(summary["notes"], 1, "{summary}");

    let out = history(&s, number, &second.key_file);
    assert_success(&["cases", "history"], &out);
    assert!(String::from_utf8_lossy(&out.stdout).contains(&note_text));
    assert_eq!(
        history(&s, number, &s.handler.key_file).status.code(),
        Some(4)
    );

    // Content rotation gives the case a new shred key; its notes must move with it.
    let out = reseal(
        &s,
        &[&second.key_file, &s.custodian.key_file],
        &["--rotate-content", "--json"],
    );
    assert_success(&["keys", "reseal", "--rotate-content"], &out);
    let out = history(&s, number, &second.key_file);
    assert_success(&["cases", "history"], &out);
    assert!(
        String::from_utf8_lossy(&out.stdout).contains(&note_text),
        "note lost in content rotation"
    );
}

/// An organisation moving its existing reporting key in: a DSA/ElGamal key made by GnuPG,
/// protected by its own passphrase, imported into a gateway whose keys are stored under
/// another. The next `run` starts and decrypts a report a reporter's old client encrypted to it
/// with CAST5.
#[test]
fn an_imported_protected_dsa_elgamal_key_decrypts_mail_after_import() {
    use std::os::unix::fs::PermissionsExt;
    let dovecot = Dovecot::start();
    let gw = crate::support::gateway::Gateway::new(&dovecot);
    let config = std::fs::read_to_string(gw.config()).unwrap();
    std::fs::write(
        gw.config(),
        config.replace("unprotected = true", "passphrase-file = \"key.pass\""),
    )
    .unwrap();
    let pass = gw.dir().join("key.pass");
    std::fs::write(&pass, "the gateway's own passphrase\n").unwrap();
    std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o600)).unwrap();
    gw.init();
    let handler = Holder::new("Hanna Handler", "hanna@handlers.example.org");
    let custodian = Holder::new("Celina Custodian", "celina@custody.example.org");
    gw.add_handler(&handler);
    gw.add_custodian(&custodian);

    // The old key, as GnuPG makes a DSA/ElGamal one, under the passphrase "stara".
    let org = Gpg::new();
    let with_pass = |args: &[&str]| {
        let mut all = vec!["--passphrase", "stara"];
        all.extend_from_slice(args);
        org.run_ok(&all, b"")
    };
    let status = with_pass(&[
        "--status-fd",
        "1",
        "--quick-generate-key",
        "Zgloszenia <zgloszenia@urzad.example.org>",
        "dsa2048",
        "sign,cert",
        "never",
    ]);
    let fpr = String::from_utf8_lossy(&status.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("[GNUPG:] KEY_CREATED "))
        .and_then(|r| r.split_whitespace().nth(1))
        .unwrap()
        .to_owned();
    with_pass(&["--quick-add-key", &fpr, "elg2048", "encr", "never"]);
    let secret = with_pass(&["--armor", "--export-secret-keys", &fpr]).stdout;
    let public = with_pass(&["--armor", "--export", &fpr]).stdout;
    let file = gw.dir().join("old-key.asc");
    std::fs::write(&file, &secret).unwrap();

    let out = gw
        .command(&["keys", "import-intake", file.to_str().unwrap()])
        .env("SYGNAL_IMPORT_PASSPHRASE", "stara")
        .output()
        .unwrap();
    assert_success(&["keys", "import-intake"], &out);
    assert!(String::from_utf8_lossy(&out.stdout).contains(&fpr));

    let token = unique("OLDKEY-");
    let reporter = Gpg::new();
    let rcpt = reporter.import(&public);
    let inner =
        format!("Content-Type: text/plain; charset=utf-8\r\n\r\nReport to the old key {token}\r\n");
    let armored = reporter.encrypt(
        &[&rcpt[0]],
        inner.as_bytes(),
        true,
        None,
        &["--cipher-algo", "CAST5"],
    );
    let raw = format!(
        "From: R <r@example.net>\r\nTo: {TO}\r\nSubject: ...\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n\
         --b\r\nContent-Type: application/octet-stream\r\n\r\n{}\r\n--b--\r\n",
        String::from_utf8_lossy(&armored)
    );
    dovecot.append("INBOX", raw.as_bytes());
    gw.run_once();
    let numbers = gw.case_numbers();
    assert_eq!(
        numbers.len(),
        1,
        "{:?}\n{}",
        gw.quarantine_json(),
        gw.logs()
    );
    let case = gw.show_case(&numbers[0], &handler.key_file, None);
    assert!(str_field(&case, "body").contains(&token), "{case}");
    // Why it needed the decryption-only policy, for the admin (codes, no content).
    let listed = &gw.cases_json()[0];
    let flags: Vec<&str> = listed["flags"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap())
        .collect();
    assert!(
        flags.contains(&"weak-encryption") && flags.contains(&"weak-intake-key"),
        "{listed}"
    );
}

#[test]
fn a_reader_added_after_a_case_was_filed_is_told_to_reseal_not_only_refused() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let numbers = file_plain_cases(&s, &dovecot, 1);
    let late = Holder::new("Lena Late", "lena@handlers.example.org");
    s.gateway.add_handler(&late);
    let out = s.gateway.run(&[
        "cases",
        "show",
        &numbers[0],
        "--key",
        late.key_file.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(4));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("not a handler of case"), "{err}");
    assert!(
        err.contains("sygnal keys reseal"),
        "no hint to reseal: {err}"
    );
}

#[test]
fn handlers_add_given_a_secret_key_warns_and_keeps_only_the_public_part() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let careless = Holder::new("Karol Careless", "karol@handlers.example.org");
    let custodian = s.custodian.key_file.to_str().unwrap();
    let out = s.gateway.run(&[
        "handlers",
        "add",
        "--cert",
        careless.key_file.to_str().unwrap(),
        "--name",
        "Karol",
        "--role",
        "handler",
        "--approve-key",
        custodian,
    ]);
    assert_success(&["handlers", "add"], &out);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("SECRET key"), "no warning: {err}");
    let db = std::fs::read(s.gateway.dir().join("var/register.db")).unwrap();
    assert!(
        !db.windows(b"PRIVATE KEY BLOCK".len())
            .any(|w| w == b"PRIVATE KEY BLOCK"),
        "the register kept a secret key"
    );
    // A certificate alone draws no warning.
    let other = Holder::new("Olga Ordinary", "olga@handlers.example.org");
    let cert = s.gateway.dir().join("olga.asc");
    std::fs::write(&cert, other.cert()).unwrap();
    let out = s.gateway.run(&[
        "handlers",
        "add",
        "--cert",
        cert.to_str().unwrap(),
        "--name",
        "Olga",
        "--role",
        "handler",
        "--approve-key",
        custodian,
    ]);
    assert_success(&["handlers", "add"], &out);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("SECRET"));
}
