use std::path::Path;

use super::*;

const GOOD: &str = r#"
[mailbox]
host = "imap.example.org"
port = 993
tls = "implicit"
username = "sygnalista@example.org"
password-file = "/run/credentials/sygnal/imap"
folder = "INBOX"

[register]
driver = "sqlite"
path = "var/register.db"

[keys]
dir = "var/keys"
unprotected = true
"#;

#[test]
fn contract_example_is_accepted_and_paths_resolve_against_config_dir() {
    let c = Config::from_toml(GOOD, Path::new("/etc/sygnal")).unwrap();
    assert_eq!(c.mailbox.port, 993);
    assert_eq!(c.mailbox.tls, TlsMode::Implicit);
    match c.register {
        RegisterConfig::Sqlite { path } => {
            assert_eq!(path, Path::new("/etc/sygnal/var/register.db"))
        }
    }
    assert_eq!(c.keys.dir, Path::new("/etc/sygnal/var/keys"));
    assert_eq!(c.limits.max_mime_depth, 16);
}

#[test]
fn unknown_keys_are_all_named_at_once() {
    let text = GOOD
        .replace("folder = \"INBOX\"", "foldr = \"INBOX\"\npassword = \"x\"")
        .replace("dir = \"var/keys\"", "dir = \"var/keys\"\n[extra]\na = 1");
    match Config::from_toml(&text, Path::new("/")) {
        Err(FromTomlError::Invalid(p)) => {
            assert_eq!(p.len(), 3, "{p:?}");
            assert!(p
                .iter()
                .any(|l| l.starts_with("mailbox.foldr: unknown key")));
            assert!(p
                .iter()
                .any(|l| l.starts_with("mailbox.password: unknown key (the password never")));
            assert!(p.iter().any(|l| l.starts_with("extra: unknown section")));
        }
        other => panic!("expected invalid, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn every_problem_is_reported_at_once() {
    let text = GOOD
        .replace("tls = \"implicit\"", "tls = \"none\"")
        .replace("driver = \"sqlite\"", "driver = \"oracle\"")
        .replace(
            "password-file = \"/run/credentials/sygnal/imap\"",
            "password = \"hunter2\"",
        );
    // An inline password is refused as an unknown key.
    assert!(matches!(
        Config::from_toml(&text, Path::new("/")),
        Err(FromTomlError::Invalid(_))
    ));
    let text = GOOD
        .replace("tls = \"implicit\"", "tls = \"none\"")
        .replace("driver = \"sqlite\"", "driver = \"oracle\"")
        .replace("password-file = \"/run/credentials/sygnal/imap\"", "");
    match Config::from_toml(&text, Path::new("/")) {
        Err(FromTomlError::Invalid(p)) => {
            assert_eq!(p.len(), 3, "{p:?}");
            assert!(p.iter().any(|l| l.starts_with("mailbox.tls")));
            assert!(p.iter().any(|l| l.starts_with("register.driver")));
            assert!(p.iter().any(|l| l.contains("password-file")));
        }
        other => panic!("expected invalid, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn plain_imap_allowed_on_loopback_only() {
    let text = GOOD
        .replace("tls = \"implicit\"", "tls = \"none\"")
        .replace("imap.example.org", "127.0.0.1");
    assert!(Config::from_toml(&text, Path::new("/")).is_ok());
}
