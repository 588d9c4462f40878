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
    let RegisterConfig::Sqlite { path } = c.register else {
        panic!("sqlite expected")
    };
    assert_eq!(path, Path::new("/etc/sygnal/var/register.db"));
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

#[test]
fn postgres_register_takes_its_url_from_a_secret_source_and_a_plain_schema() {
    let pg = |register: &str| {
        let text = GOOD.replace("driver = \"sqlite\"\npath = \"var/register.db\"", register);
        Config::from_toml(&text, Path::new("/etc/sygnal"))
    };
    let c = pg("driver = \"postgres\"\nurl-credential = \"pg-url\"").unwrap();
    let RegisterConfig::Postgres { url, schema } = c.register else {
        panic!("postgres expected")
    };
    assert!(matches!(url, PasswordSource::Credential(ref n) if n == "pg-url"));
    assert_eq!(schema, DEFAULT_PG_SCHEMA);
    let c = pg("driver = \"postgres\"\nurl-file = \"pg.url\"\nschema = \"gops_krakow\"").unwrap();
    let RegisterConfig::Postgres { url, schema } = c.register else {
        panic!("postgres expected")
    };
    assert!(matches!(url, PasswordSource::File(ref p) if p == Path::new("/etc/sygnal/pg.url")));
    assert_eq!(schema, "gops_krakow");

    for (register, complaint) in [
        (
            "driver = \"postgres\"",
            "needs url-file, url-env or url-credential",
        ),
        (
            "driver = \"postgres\"\nurl-env = \"A\"\nurl-file = \"b\"",
            "exactly one of",
        ),
        (
            "driver = \"postgres\"\nurl-env = \"A\"\nschema = \"Public; DROP\"",
            "register.schema",
        ),
        (
            "driver = \"postgres\"\nurl-env = \"A\"\nschema = \"pg_catalog\"",
            "register.schema",
        ),
        (
            "driver = \"sqlite\"\npath = \"r.db\"\nurl-env = \"A\"",
            "url-env: only for driver",
        ),
    ] {
        let err = format!("{:?}", pg(register).unwrap_err());
        assert!(err.contains(complaint), "{register}: {err}");
    }
}
