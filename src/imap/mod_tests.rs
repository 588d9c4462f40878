//! Tests for error classification and capability handling.

use std::io::{Error, ErrorKind};

use super::*;

#[test]
fn transient_errors_are_the_ones_a_reconnect_may_cure() {
    for e in [
        ImapError::Connect {
            kind: ErrorKind::ConnectionRefused,
        },
        ImapError::AuthUnavailable,
        ImapError::Timeout { what: "UID FETCH" },
        ImapError::ConnectionLost,
        ImapError::NoBody { uid: 1 },
        ImapError::NotExpunged { uid: 1 },
        ImapError::Rejected {
            command: "UID STORE",
            status: "NO",
        },
    ] {
        assert!(e.is_transient(), "{e:?}");
    }
    for e in [
        ImapError::Auth,
        ImapError::Tls {
            reason: "invalid peer certificate: UnknownIssuer".to_owned(),
        },
        ImapError::Rejected {
            command: "UID STORE",
            status: "BAD",
        },
        ImapError::UidValidityChanged {
            expected: 1,
            found: 2,
        },
        ImapError::CannotDeleteSafely { uid: 1 },
        ImapError::SizeMismatch {
            uid: 1,
            expected: 2,
            got: 1,
        },
        ImapError::Settings { detail: "x" },
    ] {
        assert!(!e.is_transient(), "{e:?}");
    }
}

#[test]
fn library_errors_lose_their_text() {
    // async-imap puts server text (possibly message content) into these strings.
    let canary = "CANARY-report-content";
    for e in [
        async_imap::error::Error::No(canary.to_owned()),
        async_imap::error::Error::Bad(canary.to_owned()),
        async_imap::error::Error::Io(Error::other(canary)),
        async_imap::error::Error::Parse(async_imap::error::ParseError::Invalid(
            canary.as_bytes().to_vec(),
        )),
    ] {
        let mapped = from_async_imap("UID FETCH", e);
        assert!(
            !format!("{mapped} {mapped:?}").contains(canary),
            "{mapped:?}"
        );
    }
}

#[test]
fn io_errors_map_by_kind() {
    assert!(matches!(
        from_io(&Error::new(ErrorKind::UnexpectedEof, "x")),
        ImapError::ConnectionLost
    ));
    assert!(matches!(
        from_io(&Error::new(ErrorKind::ConnectionReset, "x")),
        ImapError::ConnectionLost
    ));
    assert!(matches!(
        from_io(&Error::new(ErrorKind::PermissionDenied, "x")),
        ImapError::Io {
            kind: ErrorKind::PermissionDenied
        }
    ));
}

#[test]
fn capabilities_can_only_be_switched_off() {
    let server = Capabilities {
        uidplus: true,
        r#move: false,
        idle: true,
    };
    let allowed = Capabilities {
        uidplus: true,
        r#move: true,
        idle: false,
    };
    assert_eq!(
        server.intersect(allowed),
        Capabilities {
            uidplus: true,
            r#move: false,
            idle: false
        }
    );
}
