//! IMAP against a real Dovecot: TLS modes, login, listing, byte-exact fetch, deletion of exactly
//! one UID, UIDVALIDITY changes, IDLE, and a server restart mid-session.

use std::time::{Duration, Instant};

use sygnal::imap::{Capabilities, IdleOutcome, ImapError, ImapSettings, Listed, Mailbox, TlsMode};

use crate::support::dovecot::Dovecot;

fn settings(d: &Dovecot, tls: TlsMode) -> ImapSettings {
    let (port, extra_ca_pem) = match tls {
        TlsMode::None => (d.port, None),
        TlsMode::StartTls => (d.port, Some(d.ca_pem_bytes())),
        TlsMode::Implicit => (d.tls_port, Some(d.ca_pem_bytes())),
    };
    ImapSettings {
        host: d.host().to_owned(),
        port,
        tls,
        username: d.user.clone(),
        password: d.password.clone().into(),
        extra_ca_pem,
        connect_timeout: Duration::from_secs(5),
        command_timeout: Duration::from_secs(10),
    }
}

async fn open(d: &Dovecot, folder: &str) -> Mailbox {
    let mut mb = Mailbox::connect(&settings(d, TlsMode::None)).await.unwrap();
    mb.select(folder).await.unwrap();
    mb
}

/// A small CRLF message; `tag` makes it unique.
fn message(tag: &str) -> Vec<u8> {
    format!(
        "From: a@example.org\r\nTo: b@example.org\r\nSubject: test {tag}\r\n\
         Message-ID: <{tag}@example.org>\r\n\r\nbody {tag}\r\n"
    )
    .into_bytes()
}

/// About 5 MB, CRLF line ends, every byte value 0x20..=0xff in the body (8-bit, no NUL/CR/LF).
fn big_message() -> Vec<u8> {
    let mut raw = b"From: a@example.org\r\nTo: b@example.org\r\nSubject: big\r\n\
        Content-Type: text/plain; charset=iso-8859-2\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
        .to_vec();
    let alphabet: Vec<u8> = (0x20u8..=0xff).filter(|b| *b != 0x7f).collect();
    let mut i = 0usize;
    while raw.len() < 5 * 1024 * 1024 {
        for _ in 0..76 {
            raw.push(alphabet[i % alphabet.len()]);
            i = i.wrapping_mul(31).wrapping_add(7) % 100_003;
        }
        raw.extend_from_slice(b"\r\n");
    }
    raw
}

#[tokio::test]
async fn imap_connects_plain_starttls_and_implicit_tls() {
    let d = Dovecot::start();
    for tls in [TlsMode::None, TlsMode::StartTls, TlsMode::Implicit] {
        let mut mb = Mailbox::connect(&settings(&d, tls)).await.unwrap();
        assert_eq!(
            *mb.capabilities(),
            Capabilities {
                uidplus: true,
                r#move: true,
                idle: true
            },
            "{tls:?}"
        );
        let selected = mb.select("INBOX").await.unwrap();
        assert_eq!(selected.uidvalidity, d.uidvalidity("INBOX"));
        assert_eq!(selected.exists, 0);
        assert!(!selected.read_only);
        mb.logout().await.unwrap();
    }

    // The certificate names localhost too.
    let mut s = settings(&d, TlsMode::Implicit);
    s.host = "localhost".to_owned();
    Mailbox::connect(&s).await.unwrap().logout().await.unwrap();
}

#[tokio::test]
async fn imap_tls_without_the_test_ca_is_refused_and_not_transient() {
    let d = Dovecot::start();
    for tls in [TlsMode::Implicit, TlsMode::StartTls] {
        let mut s = settings(&d, tls);
        s.extra_ca_pem = None;
        let err = Mailbox::connect(&s).await.unwrap_err();
        assert!(matches!(err, ImapError::Tls { .. }), "{tls:?}: {err:?}");
        assert!(!err.is_transient());
    }
    // Implicit TLS spoken to the plain port must fail, not hang.
    let mut s = settings(&d, TlsMode::Implicit);
    s.port = d.port;
    s.connect_timeout = Duration::from_secs(2);
    assert!(Mailbox::connect(&s).await.is_err());
}

#[tokio::test]
async fn imap_wrong_password_is_auth_error() {
    let d = Dovecot::start();
    let mut s = settings(&d, TlsMode::StartTls);
    s.password = "wrong".into();
    let err = Mailbox::connect(&s).await.unwrap_err();
    assert!(matches!(err, ImapError::Auth), "{err:?}");
    assert!(!err.is_transient());
    assert!(!format!("{err} {err:?}").contains("wrong"));

    // Nothing listening: a transient connect error.
    let mut s = settings(&d, TlsMode::None);
    s.port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let err = Mailbox::connect(&s).await.unwrap_err();
    assert!(matches!(err, ImapError::Connect { .. }), "{err:?}");
    assert!(err.is_transient());
}

#[tokio::test]
async fn imap_list_and_fetch_are_byte_exact_and_leave_messages_unseen() {
    let d = Dovecot::start();
    let small = message("one");
    let mut eight_bit = message("two");
    eight_bit.extend_from_slice("Zażółć gęślą jaźń\r\n\u{00ff}\u{fffd}\r\n".as_bytes());
    eight_bit.extend_from_slice(b"raw latin-2: \xb1\xe6\xea\xb3\xf1\xf3\xb6\xbc\xbf\r\n");
    let big = big_message();
    for raw in [&small, &eight_bit, &big] {
        d.append("INBOX", raw);
    }
    let uids = d.uids("INBOX");
    assert_eq!(uids.len(), 3);

    let mut s = settings(&d, TlsMode::Implicit);
    s.command_timeout = Duration::from_secs(20);
    let mut mb = Mailbox::connect(&s).await.unwrap();
    let selected = mb.select("INBOX").await.unwrap();
    assert_eq!(selected.exists, 3);
    let listed = mb.list().await.unwrap();
    let expected: Vec<Listed> = uids
        .iter()
        .zip([&small, &eight_bit, &big])
        .map(|(uid, raw)| Listed {
            uid: *uid,
            size: u32::try_from(raw.len()).unwrap(),
            deleted: false,
        })
        .collect();
    assert_eq!(listed, expected);

    for (uid, raw) in uids.iter().zip([&small, &eight_bit, &big]) {
        let fetched = mb.fetch(*uid).await.unwrap();
        assert!(fetched.as_slice() == raw.as_slice(), "uid {uid} differs");
        assert!(
            !d.flags("INBOX", *uid).contains("\\Seen"),
            "fetch set \\Seen on uid {uid}"
        );
    }

    // A UID that does not exist yields an error, never an empty message.
    assert!(matches!(
        mb.fetch(uids[2] + 100).await,
        Err(ImapError::NoBody { .. })
    ));
    assert!(mb.is_usable());
    mb.logout().await.unwrap();
}

#[tokio::test]
async fn imap_empty_folder_lists_nothing() {
    let d = Dovecot::start();
    let mut mb = open(&d, "INBOX").await;
    assert!(mb.list().await.unwrap().is_empty());
    assert!(matches!(
        mb.select("No such folder").await,
        Err(ImapError::Rejected {
            command: "SELECT",
            status: "NO"
        })
    ));
    assert!(matches!(mb.list().await, Err(ImapError::NotSelected)));
}

#[tokio::test]
async fn imap_delete_removes_exactly_that_uid_and_spares_others_deleted_flags() {
    let d = Dovecot::start();
    for tag in ["a", "b", "c"] {
        d.append("INBOX", &message(tag));
    }
    let uids = d.uids("INBOX");
    let (a, b, c) = (uids[0], uids[1], uids[2]);

    let mut mb = open(&d, "INBOX").await;
    let uv = mb.selected().unwrap().uidvalidity;
    mb.list().await.unwrap();
    // Another client marks b \Deleted (without expunging) after we selected.
    d.add_flag("INBOX", b, "\\Deleted");

    mb.flag_deleted(uv, a).await.unwrap();
    assert!(d.flags("INBOX", a).contains("\\Deleted"));
    assert_eq!(d.count("INBOX"), 3, "flagging alone removes nothing");
    mb.expunge(uv, a).await.unwrap();

    assert_eq!(d.uids("INBOX"), vec![b, c]);
    assert!(d.flags("INBOX", b).contains("\\Deleted"));
    let listed = mb.list().await.unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|l| (l.uid, l.deleted))
            .collect::<Vec<_>>(),
        vec![(b, true), (c, false)]
    );

    // Deleting again (e.g. after a crash before the deletion was recorded) is harmless.
    mb.delete(uv, a).await.unwrap();
    mb.delete(uv, c).await.unwrap();
    assert_eq!(d.uids("INBOX"), vec![b]);
    mb.logout().await.unwrap();
}

#[tokio::test]
async fn imap_delete_without_uidplus_moves_to_own_folder() {
    let d = Dovecot::start();
    for tag in ["a", "b", "c"] {
        d.append("INBOX", &message(tag));
    }
    let uids = d.uids("INBOX");
    let mut mb = open(&d, "INBOX").await;
    mb.restrict_capabilities(Capabilities {
        uidplus: false,
        r#move: true,
        idle: true,
    });
    let uv = mb.selected().unwrap().uidvalidity;
    d.add_flag("INBOX", uids[1], "\\Deleted");

    mb.delete(uv, uids[0]).await.unwrap();
    assert_eq!(d.uids("INBOX"), vec![uids[1], uids[2]]);
    assert_eq!(d.count("sygnal-expunge"), 0);
    assert_eq!(mb.selected().unwrap().folder, "INBOX");
    // The folder exists now; a second deletion takes the other path through the code.
    mb.delete(uv, uids[2]).await.unwrap();
    assert_eq!(d.uids("INBOX"), vec![uids[1]]);
    assert_eq!(d.count("sygnal-expunge"), 0);

    // With neither UIDPLUS nor MOVE nothing is touched.
    mb.restrict_capabilities(Capabilities::default());
    assert!(matches!(
        mb.delete(uv, uids[1]).await,
        Err(ImapError::CannotDeleteSafely { .. })
    ));
    assert_eq!(d.uids("INBOX"), vec![uids[1]]);
}

#[tokio::test]
async fn imap_delete_with_stale_uidvalidity_is_refused() {
    let d = Dovecot::start();
    d.append("Reports", &message("old"));
    let mut old = open(&d, "Reports").await;
    let stale = old.selected().unwrap().uidvalidity;
    let old_uid = old.list().await.unwrap()[0].uid;

    d.recreate("Reports");
    d.append("Reports", &message("new"));
    let fresh_uv = d.uidvalidity("Reports");
    assert_ne!(fresh_uv, stale);

    // The old session must not delete by its stale UID, whatever the server did to it.
    assert!(old.delete(stale, old_uid).await.is_err());
    assert_eq!(d.count("Reports"), 1);

    let mut mb = open(&d, "Reports").await;
    assert_eq!(mb.selected().unwrap().uidvalidity, fresh_uv);
    let err = mb.delete(stale, old_uid).await.unwrap_err();
    assert!(
        matches!(err, ImapError::UidValidityChanged { expected, found } if expected == stale && found == fresh_uv),
        "{err:?}"
    );
    assert_eq!(d.count("Reports"), 1);
}

#[tokio::test]
async fn imap_idle_wakes_on_append_from_another_process() {
    let d = Dovecot::start();
    let mut mb = open(&d, "INBOX").await;
    assert!(mb.list().await.unwrap().is_empty());

    let started = Instant::now();
    let (outcome, ()) = tokio::join!(
        mb.idle_wait(Duration::from_secs(20), std::future::pending()),
        async {
            tokio::time::sleep(Duration::from_millis(300)).await;
            d.append("INBOX", &message("new"));
        }
    );
    assert_eq!(outcome.unwrap(), IdleOutcome::Changed);
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(mb.list().await.unwrap().len(), 1);

    // Shutdown ends IDLE cleanly and the session goes on.
    let outcome = mb
        .idle_wait(
            Duration::from_secs(20),
            tokio::time::sleep(Duration::from_millis(200)),
        )
        .await
        .unwrap();
    assert_eq!(outcome, IdleOutcome::Shutdown);
    let outcome = mb
        .idle_wait(Duration::from_millis(300), std::future::pending())
        .await
        .unwrap();
    assert_eq!(outcome, IdleOutcome::Timeout);
    assert_eq!(mb.list().await.unwrap().len(), 1);
    mb.logout().await.unwrap();
}

#[tokio::test]
async fn imap_restart_mid_session_is_transient_and_reconnect_works() {
    let mut d = Dovecot::start();
    d.append("INBOX", &message("kept"));
    let mut mb = open(&d, "INBOX").await;
    assert_eq!(mb.list().await.unwrap().len(), 1);

    d.restart();
    let err = mb.list().await.unwrap_err();
    assert!(err.is_transient(), "{err:?}");
    assert!(!mb.is_usable() || matches!(err, ImapError::Rejected { .. }));

    let mut mb = open(&d, "INBOX").await;
    let listed = mb.list().await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        mb.fetch(listed[0].uid).await.unwrap().as_slice(),
        message("kept").as_slice()
    );
}

/// Collects formatted tracing output of one test.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn imap_logs_carry_no_content_or_credentials() {
    let d = Dovecot::start();
    let canary = "CANARY-6b1e-report";
    let raw = format!("From: {canary}@example.org\r\nSubject: {canary}\r\n\r\n{canary}\r\n");
    d.append("INBOX", raw.as_bytes());

    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    // Other tests in this binary may have hit these callsites first, with no subscriber: their
    // cached interest would hide the events from this thread's subscriber.
    tracing::callsite::rebuild_interest_cache();

    let mut mb = Mailbox::connect(&settings(&d, TlsMode::StartTls))
        .await
        .unwrap();
    let uv = mb.select("INBOX").await.unwrap().uidvalidity;
    let listed = mb.list().await.unwrap();
    let body = mb.fetch(listed[0].uid).await.unwrap();
    assert_eq!(body.as_slice(), raw.as_bytes());
    mb.delete(uv, listed[0].uid).await.unwrap();
    mb.logout().await.unwrap();

    let logs = String::from_utf8(captured.0.lock().unwrap().clone()).unwrap();
    assert!(logs.contains("IMAP messages fetched"), "{logs}");
    assert!(!logs.contains("CANARY"), "{logs}");
    assert!(!logs.contains(&d.password), "{logs}");
}
