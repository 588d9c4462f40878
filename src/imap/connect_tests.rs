//! Tests for host classification, greeting handling and trust-anchor parsing.

use async_imap::imap_proto::Response;

use super::*;

#[test]
fn loopback_hosts_are_recognised_without_dns() {
    for host in [
        "localhost",
        "LOCALHOST",
        "localhost.",
        "127.0.0.1",
        "127.1.2.3",
        "::1",
        "[::1]",
    ] {
        assert!(is_loopback(host), "{host}");
    }
    for host in [
        "localhost.example.org",
        "example.org",
        "10.0.0.1",
        "0.0.0.0",
        "::",
        "",
        "127.0.0.1.nip.io",
    ] {
        assert!(!is_loopback(host), "{host}");
    }
}

fn parse(bytes: &[u8]) -> Response<'_> {
    Response::parse(bytes).expect("parses").1
}

#[test]
fn only_an_ok_greeting_is_accepted() {
    assert!(greeting_status(&parse(b"* OK [CAPABILITY IMAP4rev1] ready\r\n")).is_ok());
    assert!(matches!(
        greeting_status(&parse(b"* BYE too many connections\r\n")),
        Err(ImapError::ConnectionLost)
    ));
    assert!(matches!(
        greeting_status(&parse(b"* PREAUTH welcome\r\n")),
        Err(ImapError::Protocol { .. })
    ));
    assert!(matches!(
        greeting_status(&parse(b"A1 OK what\r\n")),
        Err(ImapError::Protocol { .. })
    ));
}

#[test]
fn extra_ca_must_hold_a_certificate() {
    assert!(matches!(
        parse_pem_certs(b"not a pem file"),
        Err(ImapError::Settings { .. })
    ));
    assert!(matches!(
        parse_pem_certs(b"-----BEGIN CERTIFICATE-----\n!!!!\n-----END CERTIFICATE-----\n"),
        Err(ImapError::Settings { .. })
    ));
    assert!(matches!(
        tls_connector(Some(b"")),
        Err(ImapError::Settings { .. })
    ));
}

#[test]
fn server_names_accept_dns_names_and_ip_literals() {
    assert!(server_name("imap.example.org").is_ok());
    assert!(server_name("127.0.0.1").is_ok());
    assert!(server_name("[::1]").is_ok());
    assert!(server_name("bad name").is_err());
}

#[tokio::test]
async fn tls_settings_errors_come_before_any_connection() {
    let settings = ImapSettings {
        host: "127.0.0.1".to_owned(),
        // Nothing listens here; a settings error must be reported first.
        port: 1,
        tls: TlsMode::Implicit,
        username: "u".to_owned(),
        password: "p".into(),
        extra_ca_pem: Some(b"garbage".to_vec()),
        connect_timeout: std::time::Duration::from_secs(1),
        command_timeout: std::time::Duration::from_secs(1),
    };
    assert!(matches!(
        open(&settings).await,
        Err(ImapError::Settings { .. })
    ));
}
