//! Mailbox hygiene against a real Dovecot: copies of reports that a mail client or the server
//! put outside the intake folder (Trash, Sent) are reported by `doctor --mailbox` without a
//! word of their content, and `mailbox purge` leaves none, with an audit entry; a server that
//! keeps what the gateway expunges (lazy expunge into Trash) is caught by the probe.

use crate::support::dovecot::Dovecot;
use crate::support::gateway::{Setup, EXIT_RUNTIME, EXIT_USAGE};
use crate::support::gnupg::{unique, Gpg};

/// Trash and Sent marked with their special use, as providers set them up.
const SPECIAL_USE: &str = r"
namespace inbox {
  mailbox Trash {
    special_use = \Trash
    auto = create
  }
  mailbox Sent {
    special_use = \Sent
    auto = create
  }
}
";

/// A server that keeps every expunged message in Trash (Dovecot's lazy_expunge plugin).
const LAZY_EXPUNGE: &str = r"
mail_plugins = $mail_plugins lazy_expunge
plugin {
  lazy_expunge = Trash
}
";

fn report(s: &Setup, token: &str) -> Vec<u8> {
    Gpg::new().encrypt_pgp_mime(
        &s.intake_cert,
        &format!("Reporter <r.{token}@example.net>"),
        "zgloszenia@urzad.example.org",
        &format!("Sprawa {token}"),
        "Treść zgłoszenia.\n",
        None,
        None,
    )
}

#[test]
fn purge_leaves_no_copy_in_trash_or_sent_after_doctor_reports_them_without_content() {
    let dovecot = Dovecot::start_with(SPECIAL_USE);
    let s = Setup::new(&dovecot);
    let token = unique("HYG");
    let raw = report(&s, &token);
    dovecot.append("INBOX", &raw);
    // What a mail client left behind: a copy in Trash, a reply in Sent.
    dovecot.append("Trash", &raw);
    dovecot.append(
        "Sent",
        format!(
            "From: zgloszenia@urzad.example.org\r\nTo: r.{token}@example.net\r\n\
             Subject: Re: Sprawa {token}\r\n\r\nDziękujemy.\r\n"
        )
        .as_bytes(),
    );
    s.gateway.run_once();
    assert_eq!(s.gateway.case_numbers().len(), 1);
    assert_eq!(dovecot.count("INBOX"), 0);

    let doctor = s.gateway.run(&["doctor", "--mailbox"]);
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&doctor.stdout),
        String::from_utf8_lossy(&doctor.stderr)
    );
    assert_eq!(doctor.status.code(), Some(EXIT_RUNTIME), "{out}");
    assert!(
        out.contains("WARN folder Trash (\\Trash) holds 1 message(s)"),
        "{out}"
    );
    assert!(
        out.contains("WARN folder Sent (\\Sent) holds 1 message(s)"),
        "{out}"
    );
    assert!(
        out.contains("the server removes what the gateway expunges"),
        "{out}"
    );
    assert!(
        !out.contains(&token),
        "doctor printed message content:\n{out}"
    );
    // The probe leaves nothing behind.
    assert!(!dovecot.has_folder("sygnal-probe"));

    // The intake folder is never purged; today's copies are not 7 days old.
    let refused = s.gateway.run(&[
        "mailbox",
        "purge",
        "--older-than",
        "0d",
        "--folder",
        "INBOX",
    ]);
    assert_eq!(refused.status.code(), Some(EXIT_USAGE), "{refused:?}");
    let young = s
        .gateway
        .run_ok(&["mailbox", "purge", "--older-than", "7d"]);
    assert!(young.contains("no message received before"), "{young}");
    let dry = s
        .gateway
        .run_ok(&["mailbox", "purge", "--older-than", "0d", "--dry-run"]);
    assert!(dry.contains("Trash: would delete 1 message(s)"), "{dry}");
    assert_eq!(dovecot.count("Trash"), 1);

    let purged = s
        .gateway
        .run_ok(&["mailbox", "purge", "--older-than", "0d"]);
    assert!(purged.contains("Trash: deleted 1 message(s)"), "{purged}");
    assert!(purged.contains("Sent: deleted 1 message(s)"), "{purged}");
    assert_eq!(dovecot.count("Trash"), 0);
    assert_eq!(dovecot.count("Sent"), 0);

    let again = s.gateway.run(&["doctor", "--mailbox"]);
    let again = String::from_utf8_lossy(&again.stdout);
    assert!(
        again.contains("ok   no other folder holds messages"),
        "{again}"
    );
    assert!(!again.contains("WARN folder"), "{again}");
    s.gateway.run_ok(&["audit", "verify"]);
    let trail = s.gateway.run_ok(&["audit", "show"]);
    assert_eq!(trail.matches("MailboxPurged").count(), 2, "{trail}");
    assert!(!trail.contains(&token));
}

#[test]
fn a_server_that_keeps_expunged_mail_is_caught_by_the_probe_and_its_copies_purged() {
    let dovecot = Dovecot::start_with(&format!("{SPECIAL_USE}{LAZY_EXPUNGE}"));
    let s = Setup::new(&dovecot);
    let token = unique("LAZY");
    dovecot.append("INBOX", &report(&s, &token));
    s.gateway.run_once();
    assert_eq!(s.gateway.case_numbers().len(), 1);
    assert_eq!(dovecot.count("INBOX"), 0);
    // The gateway's deletion did not reach the copy the server kept.
    assert_eq!(dovecot.count("Trash"), 1);

    let doctor = s.gateway.run(&["doctor", "--mailbox"]);
    let out = format!(
        "{}{}",
        String::from_utf8_lossy(&doctor.stdout),
        String::from_utf8_lossy(&doctor.stderr)
    );
    assert_eq!(doctor.status.code(), Some(EXIT_RUNTIME), "{out}");
    assert!(
        out.contains("WARN the server keeps mail the gateway deletes: a test message it expunged was found again in Trash"),
        "{out}"
    );
    assert!(
        out.contains("WARN folder Trash (\\Trash) holds 1 message(s)"),
        "{out}"
    );
    // The probe's own copy was removed again.
    assert_eq!(dovecot.count("Trash"), 1);

    s.gateway.run_ok(&[
        "mailbox",
        "purge",
        "--older-than",
        "0d",
        "--folder",
        "Trash",
    ]);
    assert_eq!(dovecot.count("Trash"), 0);
}

#[test]
fn a_folder_named_in_polish_is_drained_and_named_as_people_write_it() {
    let dovecot = Dovecot::start();
    let s = Setup::with_gateway(crate::support::gateway::Gateway::with_folder(
        &dovecot,
        "Zgłoszenia",
    ));
    let token = unique("PL");
    dovecot.append("Zgłoszenia", &report(&s, &token));
    // A copy a mail client left in another Polish-named folder.
    dovecot.append("Usunięte", &report(&s, &unique("PL")));
    let out = s.gateway.run_once();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(s.gateway.case_numbers().len(), 1);
    assert_eq!(
        dovecot.count("Zgłoszenia"),
        0,
        "the server copy is still there"
    );

    let doctor = s.gateway.run(&["doctor", "--mailbox"]);
    let said = String::from_utf8_lossy(&doctor.stdout);
    assert!(
        said.contains("WARN folder Usunięte holds 1 message(s)"),
        "the folder is not named as people write it:\n{said}"
    );
    let purged = s.gateway.run_ok(&[
        "mailbox",
        "purge",
        "--older-than",
        "0d",
        "--folder",
        "Usunięte",
    ]);
    assert!(
        purged.contains("Usunięte: deleted 1 message(s)"),
        "{purged}"
    );
    assert_eq!(dovecot.count("Usunięte"), 0);
}
