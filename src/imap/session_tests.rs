//! Tests for response handling (pure collectors) and for the command loop against a scripted
//! fake server on loopback: cut literals, missing bodies, missing UIDVALIDITY, timeouts, IDLE.

use std::time::Duration;

use async_imap::imap_proto::{RequestId, Response};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader};
use tokio::net::TcpListener;

use super::*;
use crate::imap::batch::BatchCollector;
use crate::imap::{IdleOutcome, ImapSettings, TlsMode};

/// The one UID's body (or error) from a collector asked for one UID.
fn only(c: BatchCollector) -> Result<zeroize::Zeroizing<Vec<u8>>, ImapError> {
    match c.finish()?.pop() {
        Some((_, body)) => body,
        None => Err(ImapError::NoBody { uid: 0 }),
    }
}

fn parse(bytes: &[u8]) -> Response<'_> {
    let (rest, response) = Response::parse(bytes).expect("parses");
    assert!(rest.is_empty(), "trailing bytes");
    response
}

#[test]
fn a_fetched_body_takes_the_body_of_its_uid() {
    let mut c = BatchCollector::new(&[7]);
    c.observe(&parse(
        b"* 1 FETCH (UID 7 RFC822.SIZE 7 BODY[] {7}\r\nab\r\n\xff\x00z)\r\n",
    ));
    c.observe(&parse(b"A1 OK done\r\n"));
    assert_eq!(only(c).unwrap().as_slice(), b"ab\r\n\xff\x00z");
}

#[test]
fn a_fetched_body_merges_split_fetch_responses() {
    let mut c = BatchCollector::new(&[7]);
    c.observe(&parse(b"* 1 FETCH (UID 7 RFC822.SIZE 3)\r\n"));
    c.observe(&parse(b"* 1 FETCH (UID 7 BODY[] {3}\r\nabc)\r\n"));
    assert_eq!(only(c).unwrap().as_slice(), b"abc");
}

#[test]
fn a_fetched_body_refuses_missing_nil_and_empty_bodies() {
    for response in [
        &b"* 1 FETCH (UID 7 RFC822.SIZE 3)\r\n"[..],
        &b"* 1 FETCH (UID 7 BODY[] NIL)\r\n"[..],
        &b"* 1 FETCH (UID 7 BODY[] {0}\r\n)\r\n"[..],
        &b"* 1 FETCH (UID 7 BODY[] \"\")\r\n"[..],
        // A section other than the whole message is not the message.
        &b"* 1 FETCH (UID 7 BODY[TEXT] {3}\r\nabc)\r\n"[..],
    ] {
        let mut c = BatchCollector::new(&[7]);
        c.observe(&parse(response));
        assert!(
            matches!(only(c), Err(ImapError::NoBody { uid: 7 })),
            "{}",
            String::from_utf8_lossy(response)
        );
    }
}

#[test]
fn a_body_for_a_uid_not_asked_for_fails_the_whole_fetch() {
    let mut c = BatchCollector::new(&[7]);
    c.observe(&parse(
        b"* 1 FETCH (UID 7 RFC822.SIZE 3 BODY[] {3}\r\nabc)\r\n",
    ));
    c.observe(&parse(b"* 2 FETCH (UID 8 BODY[] {3}\r\nxyz)\r\n"));
    assert!(matches!(only(c), Err(ImapError::Protocol { .. })));

    // A body without any UID cannot be attributed either.
    let mut c = BatchCollector::new(&[7]);
    c.observe(&parse(b"* 1 FETCH (BODY[] {3}\r\nxyz)\r\n"));
    assert!(matches!(only(c), Err(ImapError::Protocol { .. })));
}

#[test]
fn a_fetched_body_ignores_unsolicited_flag_updates() {
    let mut c = BatchCollector::new(&[7]);
    c.observe(&parse(b"* 3 FETCH (UID 9 FLAGS (\\Seen))\r\n"));
    c.observe(&parse(
        b"* 1 FETCH (UID 7 RFC822.SIZE 3 BODY[] {3}\r\nabc)\r\n",
    ));
    assert_eq!(only(c).unwrap().as_slice(), b"abc");
}

#[test]
fn a_fetched_body_checks_the_announced_size() {
    let mut c = BatchCollector::new(&[7]);
    c.observe(&parse(
        b"* 1 FETCH (UID 7 RFC822.SIZE 4 BODY[] {3}\r\nabc)\r\n",
    ));
    assert!(matches!(
        only(c),
        Err(ImapError::SizeMismatch {
            uid: 7,
            expected: 4,
            got: 3
        })
    ));
}

#[test]
fn list_collector_sorts_merges_and_drops_sizeless_entries() {
    let mut c = ListCollector::default();
    c.observe(&parse(b"* 2 FETCH (UID 20 RFC822.SIZE 200 FLAGS ())\r\n"));
    c.observe(&parse(
        b"* 1 FETCH (UID 10 RFC822.SIZE 100 FLAGS (\\Seen \\Deleted))\r\n",
    ));
    // Unsolicited flag change for a message not in our answer (e.g. expunged meanwhile).
    c.observe(&parse(b"* 3 FETCH (UID 30 FLAGS (\\Deleted))\r\n"));
    // No UID: cannot be used.
    c.observe(&parse(b"* 4 FETCH (RFC822.SIZE 5)\r\n"));
    c.observe(&parse(b"* 2 EXISTS\r\n"));
    assert_eq!(
        c.finish(),
        vec![
            Listed {
                uid: 10,
                size: 100,
                deleted: true
            },
            Listed {
                uid: 20,
                size: 200,
                deleted: false
            },
        ]
    );
}

#[test]
fn select_collector_reads_uidvalidity_exists_and_read_only() {
    let mut c = SelectCollector::default();
    for line in [
        &b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n"[..],
        b"* 3 EXISTS\r\n",
        b"* 0 RECENT\r\n",
        b"* OK [UIDVALIDITY 1700000000] UIDs valid\r\n",
        b"* OK [UIDNEXT 4] Predicted next UID\r\n",
        b"A3 OK [READ-ONLY] Select completed.\r\n",
    ] {
        c.observe(&parse(line));
    }
    assert_eq!(c.uidvalidity, Some(1_700_000_000));
    assert_eq!(c.exists, 3);
    assert!(c.read_only);
}

#[test]
fn view_tracks_exists_expunge_and_uidvalidity() {
    let mut v = View {
        exists: 2,
        ..View::default()
    };
    v.observe(&parse(b"* 2 EXISTS\r\n"));
    assert!(!v.changed, "same count is no change");
    v.observe(&parse(b"* 3 EXISTS\r\n"));
    assert!(v.changed);
    assert_eq!(v.exists, 3);
    v.observe(&parse(b"* 1 EXPUNGE\r\n"));
    assert_eq!(v.exists, 2);
    v.observe(&parse(b"* OK [UIDVALIDITY 5] changed\r\n"));
    assert_eq!(v.uidvalidity, Some(5));
}

#[test]
fn completion_matches_only_our_tag() {
    let tag = RequestId("A7".to_owned());
    assert!(completion(&parse(b"A6 OK other\r\n"), &tag, "X").is_none());
    assert!(completion(&parse(b"* 1 EXISTS\r\n"), &tag, "X").is_none());
    assert!(matches!(
        completion(&parse(b"A7 OK done\r\n"), &tag, "X"),
        Some(Ok(()))
    ));
    assert!(matches!(
        completion(&parse(b"A7 NO [TRYCREATE] no\r\n"), &tag, "X"),
        Some(Err(ImapError::Rejected {
            command: "X",
            status: "NO"
        }))
    ));
    assert!(matches!(
        completion(&parse(b"A7 BAD what\r\n"), &tag, "X"),
        Some(Err(ImapError::Rejected { status: "BAD", .. }))
    ));
    assert!(matches!(
        completion(&parse(b"* BYE shutting down\r\n"), &tag, "X"),
        Some(Err(ImapError::ConnectionLost))
    ));
}

#[test]
fn quote_escapes_and_refuses_control_and_non_ascii() {
    assert_eq!(quote("INBOX").unwrap(), "\"INBOX\"");
    assert_eq!(quote("a\"b\\c").unwrap(), "\"a\\\"b\\\\c\"");
    for bad in ["", "a\r\nb", "a\0", "Zgłoszenia", "tab\there"] {
        assert!(
            matches!(quote(bad), Err(ImapError::Settings { .. })),
            "{bad:?}"
        );
    }
}

// ---- scripted fake server -------------------------------------------------------------------

/// What the fake server does in answer to one client line. `{tag}` is the tag of the last
/// tagged command (so `DONE` can be answered with IDLE's tag).
#[derive(Clone)]
enum Act {
    Send(&'static str),
    SendBytes(Vec<u8>),
    Sleep(u64),
    Close,
}

use Act::{Close, Send, Sleep};

const GREETING: &str = "* OK fake IMAP ready\r\n";
const LOGIN_OK: &str = "{tag} OK Logged in\r\n";
const CAPS_ALL: &str = "* CAPABILITY IMAP4rev1 UIDPLUS MOVE IDLE\r\n{tag} OK done\r\n";
const CAPS_NONE: &str = "* CAPABILITY IMAP4rev1\r\n{tag} OK done\r\n";
const SELECT_2: &str =
    "* 2 EXISTS\r\n* OK [UIDVALIDITY 42] ok\r\n{tag} OK [READ-WRITE] selected\r\n";

/// Serves one connection: greeting, then for each client line the next script entry. Returns
/// every line the client sent, until it closes (or the script closes).
async fn fake_server(
    caps: &'static str,
    script: Vec<Vec<Act>>,
) -> (u16, tokio::task::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(GREETING.as_bytes()).await.unwrap();
        let mut script = [vec![Send(LOGIN_OK)], vec![Send(caps)], vec![Send(SELECT_2)]]
            .into_iter()
            .chain(script);
        let mut seen = Vec::new();
        let mut tag = String::new();
        while let Ok(Some(line)) = lines.next_line().await {
            let first = line.split(' ').next().unwrap_or_default().to_owned();
            if first != "DONE" {
                tag = first;
            }
            seen.push(line);
            for act in script.next().unwrap_or_default() {
                match act {
                    Send(s) => {
                        let s = s.replace("{tag}", &tag);
                        if write.write_all(s.as_bytes()).await.is_err() {
                            return seen;
                        }
                    }
                    Act::SendBytes(b) => {
                        if write.write_all(&b).await.is_err() {
                            return seen;
                        }
                    }
                    Sleep(ms) => tokio::time::sleep(Duration::from_millis(ms)).await,
                    Close => return seen,
                }
            }
        }
        seen
    });
    (port, handle)
}

fn settings(port: u16) -> ImapSettings {
    ImapSettings {
        host: "127.0.0.1".to_owned(),
        port,
        tls: TlsMode::None,
        username: "user".to_owned(),
        password: "pw".into(),
        extra_ca_pem: None,
        connect_timeout: Duration::from_secs(5),
        command_timeout: Duration::from_millis(700),
    }
}

async fn selected(port: u16) -> Mailbox {
    let mut mb = Mailbox::connect(&settings(port)).await.unwrap();
    let s = mb.select("INBOX").await.unwrap();
    assert_eq!((s.uidvalidity, s.exists, s.read_only), (42, 2, false));
    mb
}

#[tokio::test]
async fn fetch_cut_mid_literal_is_connection_lost_never_a_partial_message() {
    let (port, server) = fake_server(
        CAPS_ALL,
        vec![vec![
            Send("* 1 FETCH (UID 7 RFC822.SIZE 100 BODY[] {100}\r\npartial content"),
            Close,
        ]],
    )
    .await;
    let mut mb = selected(port).await;
    let err = mb.fetch(7).await.unwrap_err();
    assert!(matches!(err, ImapError::ConnectionLost), "{err:?}");
    assert!(err.is_transient());
    assert!(!mb.is_usable());
    assert!(matches!(mb.list().await, Err(ImapError::ConnectionLost)));
    drop(mb);
    let seen = server.await.unwrap();
    assert!(seen[3].ends_with("UID FETCH 7 (UID RFC822.SIZE BODY.PEEK[])"));
}

#[tokio::test]
async fn fetch_completed_without_body_is_no_body_and_connection_stays_usable() {
    let (port, server) = fake_server(
        CAPS_ALL,
        vec![
            vec![Send("* 1 FETCH (UID 7 RFC822.SIZE 5)\r\n{tag} OK done\r\n")],
            vec![Send("{tag} OK done\r\n")],
            vec![Send("* 1 FETCH (UID 7 BODY[] NIL)\r\n{tag} OK done\r\n")],
            vec![Send("{tag} NO [SERVERBUG] sorry\r\n")],
            vec![Send("* BYE\r\n{tag} OK bye\r\n")],
        ],
    )
    .await;
    let mut mb = selected(port).await;
    assert!(matches!(
        mb.fetch(7).await,
        Err(ImapError::NoBody { uid: 7 })
    ));
    // The UID does not exist (any more): OK with no FETCH at all.
    assert!(matches!(
        mb.fetch(7).await,
        Err(ImapError::NoBody { uid: 7 })
    ));
    assert!(matches!(
        mb.fetch(7).await,
        Err(ImapError::NoBody { uid: 7 })
    ));
    let err = mb.fetch(7).await.unwrap_err();
    assert!(matches!(
        err,
        ImapError::Rejected {
            command: "UID FETCH",
            status: "NO"
        }
    ));
    assert!(mb.is_usable());
    mb.logout().await.unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn fetch_returns_body_with_binary_bytes() {
    let mut reply = b"* 1 FETCH (UID 7 RFC822.SIZE 6 BODY[] {6}\r\n".to_vec();
    reply.extend_from_slice(b"\x00\xff\r\n\x80z)\r\n");
    let (port, server) = fake_server(
        CAPS_ALL,
        vec![vec![Act::SendBytes(reply), Send("{tag} OK\r\n")]],
    )
    .await;
    let mut mb = selected(port).await;
    assert_eq!(mb.fetch(7).await.unwrap().as_slice(), b"\x00\xff\r\n\x80z");
    drop(mb);
    server.await.unwrap();
}

#[tokio::test]
async fn select_without_uidvalidity_is_refused() {
    let (port, server) =
        fake_server_raw_select(vec![vec![Send("* 1 EXISTS\r\n{tag} OK selected\r\n")]]).await;
    let mut mb = Mailbox::connect(&settings(port)).await.unwrap();
    let err = mb.select("INBOX").await.unwrap_err();
    assert!(matches!(err, ImapError::Protocol { .. }), "{err:?}");
    assert!(mb.selected().is_none());
    assert!(matches!(mb.list().await, Err(ImapError::NotSelected)));
    drop(mb);
    server.await.unwrap();
}

/// Like `fake_server` but the script starts at SELECT (login and capabilities standard).
async fn fake_server_raw_select(
    script: Vec<Vec<Act>>,
) -> (u16, tokio::task::JoinHandle<Vec<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let handle = tokio::spawn(async move {
        let (stream, _) = listener.accept().await.unwrap();
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        write.write_all(GREETING.as_bytes()).await.unwrap();
        let mut script = [vec![Send(LOGIN_OK)], vec![Send(CAPS_ALL)]]
            .into_iter()
            .chain(script);
        let mut seen = Vec::new();
        while let Ok(Some(line)) = lines.next_line().await {
            let tag = line.split(' ').next().unwrap_or_default().to_owned();
            seen.push(line);
            for act in script.next().unwrap_or_default() {
                if let Send(s) = act {
                    let _ = write.write_all(s.replace("{tag}", &tag).as_bytes()).await;
                }
            }
        }
        seen
    });
    (port, handle)
}

#[tokio::test]
async fn without_uidplus_and_move_nothing_is_deleted_or_sent() {
    let (port, server) = fake_server(CAPS_NONE, vec![vec![Send("{tag} OK bye\r\n")]]).await;
    let mut mb = selected(port).await;
    assert_eq!(*mb.capabilities(), Capabilities::default());
    assert!(matches!(
        mb.delete(42, 7).await,
        Err(ImapError::CannotDeleteSafely { uid: 7 })
    ));
    assert!(matches!(
        mb.flag_deleted(42, 7).await,
        Err(ImapError::CannotDeleteSafely { uid: 7 })
    ));
    mb.logout().await.unwrap();
    let seen = server.await.unwrap();
    assert_eq!(seen.len(), 4, "{seen:?}");
    assert!(seen[3].ends_with("LOGOUT"));
}

#[tokio::test]
async fn stale_uidvalidity_sends_nothing() {
    let (port, server) = fake_server(CAPS_ALL, vec![vec![Send("{tag} OK bye\r\n")]]).await;
    let mut mb = selected(port).await;
    assert!(matches!(
        mb.delete(41, 7).await,
        Err(ImapError::UidValidityChanged {
            expected: 41,
            found: 42
        })
    ));
    assert!(matches!(
        mb.expunge(41, 7).await,
        Err(ImapError::UidValidityChanged { .. })
    ));
    mb.logout().await.unwrap();
    let seen = server.await.unwrap();
    assert_eq!(seen.len(), 4, "{seen:?}");
}

#[tokio::test]
async fn uidvalidity_announced_mid_session_is_honoured() {
    let (port, server) = fake_server(
        CAPS_ALL,
        vec![
            vec![Send("* OK [UIDVALIDITY 43] new epoch\r\n{tag} OK done\r\n")],
            vec![Send("{tag} OK bye\r\n")],
        ],
    )
    .await;
    let mut mb = selected(port).await;
    mb.run("NOOP", "NOOP", |_| {}).await.unwrap();
    assert!(matches!(
        mb.delete(42, 7).await,
        Err(ImapError::UidValidityChanged {
            expected: 42,
            found: 43
        })
    ));
    mb.logout().await.unwrap();
    server.await.unwrap();
}

#[tokio::test]
async fn delete_with_uidplus_stores_expunges_and_verifies() {
    let (port, server) = fake_server(
        CAPS_ALL,
        vec![
            vec![Send("{tag} OK stored\r\n")],
            vec![Send("* 2 EXPUNGE\r\n{tag} OK expunged\r\n")],
            vec![Send("{tag} OK fetched\r\n")],
            // Second attempt: another client cleared \Deleted, the message stays.
            vec![Send("{tag} OK stored\r\n")],
            vec![Send("{tag} OK expunged\r\n")],
            vec![Send("* 1 FETCH (UID 5)\r\n{tag} OK fetched\r\n")],
        ],
    )
    .await;
    let mut mb = selected(port).await;
    mb.delete(42, 7).await.unwrap();
    assert!(matches!(
        mb.delete(42, 5).await,
        Err(ImapError::NotExpunged { uid: 5 })
    ));
    drop(mb);
    let seen = server.await.unwrap();
    let commands: Vec<&str> = seen[3..]
        .iter()
        .map(|l| l.split_once(' ').unwrap().1)
        .collect();
    assert_eq!(
        commands,
        [
            "UID STORE 7 +FLAGS.SILENT (\\Deleted)",
            "UID EXPUNGE 7",
            "UID FETCH 7 (UID)",
            "UID STORE 5 +FLAGS.SILENT (\\Deleted)",
            "UID EXPUNGE 5",
            "UID FETCH 5 (UID)",
        ]
    );
}

#[tokio::test]
async fn a_command_timeout_poisons_the_connection() {
    let (port, server) = fake_server(CAPS_ALL, vec![vec![Sleep(3_000)]]).await;
    let mut mb = selected(port).await;
    let err = mb.list().await.unwrap_err();
    assert!(
        matches!(err, ImapError::Timeout { what: "UID FETCH" }),
        "{err:?}"
    );
    assert!(err.is_transient());
    assert!(matches!(mb.fetch(1).await, Err(ImapError::ConnectionLost)));
    drop(mb);
    server.abort();
}

#[tokio::test]
async fn bye_mid_command_is_connection_lost() {
    let (port, server) = fake_server(
        CAPS_ALL,
        vec![vec![Send("* BYE server shutting down\r\n"), Close]],
    )
    .await;
    let mut mb = selected(port).await;
    assert!(matches!(mb.list().await, Err(ImapError::ConnectionLost)));
    drop(mb);
    server.await.unwrap();
}

#[tokio::test]
async fn idle_reports_exists_and_ends_with_done() {
    let (port, server) = fake_server(
        CAPS_ALL,
        vec![
            vec![Send("+ idling\r\n"), Sleep(100), Send("* 3 EXISTS\r\n")],
            vec![Send("{tag} OK Idle completed\r\n")],
            vec![Send("* 1 FETCH (UID 9 RFC822.SIZE 10 FLAGS ())\r\n* 2 FETCH (UID 10 RFC822.SIZE 11 FLAGS ())\r\n* 3 FETCH (UID 11 RFC822.SIZE 12 FLAGS ())\r\n{tag} OK\r\n")],
        ],
    )
    .await;
    let mut mb = selected(port).await;
    let outcome = mb
        .idle_wait(Duration::from_secs(10), std::future::pending())
        .await
        .unwrap();
    assert_eq!(outcome, IdleOutcome::Changed);
    assert!(mb.is_usable());
    let listed = mb.list().await.unwrap();
    assert_eq!(listed.len(), 3);
    drop(mb);
    let seen = server.await.unwrap();
    assert!(seen[3].ends_with(" IDLE"));
    assert_eq!(seen[4], "DONE");
}

#[tokio::test]
async fn idle_shutdown_and_timeout_leave_the_connection_usable() {
    let (port, server) = fake_server(
        CAPS_ALL,
        vec![
            vec![Send("+ idling\r\n")],
            vec![Send("{tag} OK Idle completed\r\n")],
            vec![Send("+ idling\r\n"), Send("* OK Still here\r\n")],
            vec![Send("{tag} OK Idle completed\r\n")],
            vec![Send("{tag} OK bye\r\n")],
        ],
    )
    .await;
    let mut mb = selected(port).await;
    let shutdown = tokio::time::sleep(Duration::from_millis(100));
    let outcome = mb
        .idle_wait(Duration::from_secs(10), shutdown)
        .await
        .unwrap();
    assert_eq!(outcome, IdleOutcome::Shutdown);
    let outcome = mb
        .idle_wait(Duration::from_millis(100), std::future::pending())
        .await
        .unwrap();
    assert_eq!(outcome, IdleOutcome::Timeout);
    assert!(mb.is_usable());
    mb.logout().await.unwrap();
    let seen = server.await.unwrap();
    assert_eq!(seen.len(), 8, "{seen:?}");
}

#[tokio::test]
async fn without_idle_the_wait_polls_with_noop() {
    let (port, server) = fake_server(
        CAPS_ALL,
        vec![vec![Send("* 3 EXISTS\r\n{tag} OK NOOP completed\r\n")]],
    )
    .await;
    let mut mb = selected(port).await;
    mb.restrict_capabilities(Capabilities {
        uidplus: true,
        r#move: true,
        idle: false,
    });
    let outcome = mb
        .idle_wait(Duration::from_millis(50), std::future::pending())
        .await
        .unwrap();
    assert_eq!(outcome, IdleOutcome::Changed);
    drop(mb);
    let seen = server.await.unwrap();
    assert!(seen[3].ends_with(" NOOP"));
}

#[tokio::test]
async fn empty_folder_lists_without_fetch() {
    let (port, server) = fake_server_raw_select(vec![vec![Send(
        "* 0 EXISTS\r\n* OK [UIDVALIDITY 42] ok\r\n{tag} OK selected\r\n",
    )]])
    .await;
    let mut mb = Mailbox::connect(&settings(port)).await.unwrap();
    mb.select("INBOX").await.unwrap();
    assert!(mb.list().await.unwrap().is_empty());
    drop(mb);
    let seen = server.await.unwrap();
    assert_eq!(seen.len(), 3, "{seen:?}");
}
