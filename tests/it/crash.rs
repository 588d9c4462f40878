//! Invariant 1 (exactly once, nothing lost): SIGKILL the real binary at every failpoint of the
//! pipeline, restart it, and find every report filed once and the folder empty.

use crate::support::dovecot::Dovecot;
use crate::support::gateway::{str_field, Setup};
use crate::support::gnupg::{plain_mail, unique, Gpg, Report};

const TO: &str = "zgloszenia@urzad.example.org";

/// Three distinct reports (PGP/MIME with an attachment, inline PGP, plain), each with its own
/// token; SIGKILL at `failpoint` during the first run, a clean second run, then: folder empty,
/// three cases, each token in exactly one case, nothing quarantined.
fn sigkill_at(failpoint: &str) {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let reporter = Gpg::new();
    let tokens: Vec<String> = (0..3).map(|i| unique(&format!("CRASH{i}-"))).collect();
    let bodies: Vec<String> = tokens
        .iter()
        .map(|t| format!("Report body with token {t}.\n"))
        .collect();
    dovecot.append(
        "INBOX",
        &reporter.encrypt_pgp_mime(
            &s.intake_cert,
            "A <a@example.net>",
            TO,
            "first",
            &bodies[0],
            Some(("a.bin", b"\x00\x01attachment\xff")),
            None,
        ),
    );
    dovecot.append(
        "INBOX",
        &reporter.encrypt_inline(
            &s.intake_cert,
            "B <b@example.net>",
            TO,
            "second",
            &bodies[1],
            None,
        ),
    );
    dovecot.append(
        "INBOX",
        &plain_mail(&Report {
            from: "C <c@example.net>",
            to: TO,
            subject: "third",
            body: &bodies[2],
            attachment: None,
        }),
    );
    assert_eq!(dovecot.count("INBOX"), 3);

    let mut child = s.gateway.spawn_with_failpoint(failpoint);
    child.kill().expect("SIGKILL");
    let status = child.wait().unwrap();
    assert!(!status.success(), "killed run must not look successful");

    s.gateway.run_once();

    assert_eq!(
        dovecot.count("INBOX"),
        0,
        "folder not empty after restart (failpoint {failpoint}); logs:\n{}",
        s.gateway.logs()
    );
    let numbers = s.gateway.case_numbers();
    assert_eq!(
        numbers.len(),
        3,
        "expected exactly 3 cases after SIGKILL at {failpoint}: {numbers:?}; logs:\n{}",
        s.gateway.logs()
    );
    let mut unique_numbers = numbers.clone();
    unique_numbers.sort();
    unique_numbers.dedup();
    assert_eq!(unique_numbers.len(), 3, "case numbers repeat: {numbers:?}");
    let quarantined = s.gateway.quarantine_json();
    assert!(quarantined.is_empty(), "quarantined: {quarantined:?}");

    let bodies_filed: Vec<String> = numbers
        .iter()
        .map(|n| {
            let case = s.gateway.show_case(n, &s.handler.key_file, None);
            str_field(&case, "body").to_owned()
        })
        .collect();
    for token in &tokens {
        let holders = bodies_filed.iter().filter(|b| b.contains(token)).count();
        assert_eq!(
            holders, 1,
            "token {token} found in {holders} cases after SIGKILL at {failpoint}"
        );
    }
    for (n, body) in numbers.iter().zip(&bodies_filed) {
        let held = tokens.iter().filter(|t| body.contains(t.as_str())).count();
        assert_eq!(held, 1, "case {n} holds {held} reports");
    }
}

/// One test per failpoint (the CLI contract's list, in pipeline order), so a failure is named
/// after its failpoint.
macro_rules! sigkill_tests {
    ($($test:ident => $name:literal),* $(,)?) => {
        $(
            #[test]
            fn $test() {
                sigkill_at($name);
            }
        )*
    };
}

mod invariant_1_sigkill_at_every_failpoint {
    use super::sigkill_at;

    sigkill_tests! {
        fetched => "fetched",
        opened => "opened",
        sealed => "sealed",
        before_commit => "before-commit",
        mid_commit => "mid-commit",
        committed => "committed",
        flagged_deleted => "flagged-deleted",
        expunged => "expunged",
        deletion_recorded => "deletion-recorded",
    }
}

/// A message whose processing kills the process (here: SIGKILL while it is being opened, as
/// an out-of-memory kill would) three times is kept raw, unparsed, on the fourth start, and
/// the report behind it is filed in the same run: one message cannot stop intake for all.
#[test]
fn a_message_that_kills_processing_three_times_is_quarantined_raw_and_intake_goes_on() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let token = unique("POISON-");
    for (subject, body) in [
        ("poison", format!("{token} first")),
        ("next", format!("{token} second")),
    ] {
        dovecot.append(
            "INBOX",
            &plain_mail(&Report {
                from: "P <p@example.net>",
                to: TO,
                subject,
                body: &body,
                attachment: None,
            }),
        );
    }
    for _ in 0..3 {
        let mut child = s.gateway.spawn_with_failpoint("opened");
        child.kill().expect("SIGKILL");
        let _ = child.wait();
        assert_eq!(dovecot.count("INBOX"), 2, "nothing taken by a killed run");
    }
    s.gateway.run_once();
    assert_eq!(dovecot.count("INBOX"), 0, "logs:\n{}", s.gateway.logs());
    let q = s.gateway.quarantine_json();
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(str_field(&q[0], "reason"), "processing-failed-repeatedly");
    assert_eq!(
        s.gateway.case_numbers().len(),
        1,
        "the next report is filed"
    );
    // The raw message is kept for a custodian: a retry (no failpoint now) files it.
    let out = s.gateway.quarantine_retry(None, &s.custodian.key_file);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(s.gateway.case_numbers().len(), 2);
}

/// Dovecot's capabilities without UIDPLUS (MOVE stays): deletion goes through the gateway's
/// own folder.
const NO_UIDPLUS: &str = "imap_capability = IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE \
     LITERAL+ NAMESPACE CHILDREN UNSELECT MOVE";

/// On a MOVE-only server a copy moved to the gateway's folder is recorded deleted only once
/// that folder is verified empty of it, also when the run that moved it was killed.
#[test]
fn without_uidplus_a_moved_copy_is_recorded_deleted_only_once_the_gateway_folder_is_empty() {
    let dovecot = Dovecot::start_with(NO_UIDPLUS);
    let s = Setup::new(&dovecot);
    let token = unique("MOVE-");
    dovecot.append(
        "INBOX",
        &plain_mail(&Report {
            from: "M <m@example.net>",
            to: TO,
            subject: "moved",
            body: &format!("{token}\n"),
            attachment: None,
        }),
    );
    // Killed right after UID MOVE, before the gateway's folder was emptied.
    let mut child = s.gateway.spawn_with_failpoint("flagged-deleted");
    child.kill().expect("SIGKILL");
    let _ = child.wait();
    assert_eq!(dovecot.count("INBOX"), 0);
    assert_eq!(
        dovecot.count("sygnal-expunge"),
        1,
        "the moved copy waits in the gateway's folder"
    );
    s.gateway.run_once();
    assert_eq!(
        dovecot.count("sygnal-expunge"),
        0,
        "recorded deleted while a copy was still on the server; logs:\n{}",
        s.gateway.logs()
    );
    assert_eq!(s.gateway.case_numbers().len(), 1);
    assert!(s.gateway.logs().contains("uidplus=false"));
    let audit = s.gateway.run_ok(&["audit", "show", "--json"]);
    assert_eq!(audit.matches("ServerCopyDeleted").count(), 1, "{audit}");

    // And a normal run on such a server leaves nothing behind either.
    dovecot.append(
        "INBOX",
        &plain_mail(&Report {
            from: "N <n@example.net>",
            to: TO,
            subject: "next",
            body: "next\n",
            attachment: None,
        }),
    );
    s.gateway.run_once();
    assert_eq!(dovecot.count("INBOX"), 0);
    assert_eq!(dovecot.count("sygnal-expunge"), 0);
    assert_eq!(s.gateway.case_numbers().len(), 2);
}
