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
            // The stray [extra] took `unprotected` from [keys]: said too, in the same run.
            assert_eq!(p.len(), 4, "{p:?}");
            assert!(p
                .iter()
                .any(|l| l.starts_with("keys: intake keys must be protected")));
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
fn unknown_keys_wrong_types_and_bad_values_are_all_reported_in_one_run() {
    // Four mistakes of three kinds: each used to need a run of its own.
    let text = GOOD
        .replace("port = 993", "port = \"993\"\nfoldr = \"x\"")
        .replace("unprotected = true", "unprotected = \"yes\"")
        .replace("driver = \"sqlite\"", "driver = \"oracle\"");
    match Config::from_toml(&text, Path::new("/")) {
        Err(FromTomlError::Invalid(p)) => {
            assert_eq!(p.len(), 4, "{p:#?}");
            assert!(p
                .iter()
                .any(|l| l.starts_with("mailbox.foldr: unknown key")));
            assert!(p
                .iter()
                .any(|l| l.starts_with("mailbox.port: invalid type")));
            assert!(p
                .iter()
                .any(|l| l.starts_with("keys.unprotected: invalid type")));
            assert!(p.iter().any(|l| l.starts_with("register.driver")));
        }
        other => panic!("expected invalid, got {:?}", other.map(|_| ())),
    }
    // A missing required key is named with its place.
    let text = GOOD.replace("host = \"imap.example.org\"", "");
    match Config::from_toml(&text, Path::new("/")) {
        Err(FromTomlError::Invalid(p)) => assert_eq!(p, ["mailbox.host: missing"]),
        other => panic!("expected invalid, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn a_polish_folder_name_is_accepted_and_control_characters_are_not() {
    let text = GOOD.replace("folder = \"INBOX\"", "folder = \"Zgłoszenia\"");
    let config = Config::from_toml(&text, Path::new("/")).unwrap();
    assert_eq!(config.mailbox.folder, "Zgłoszenia");
    let text = GOOD.replace("folder = \"INBOX\"", "folder = \"Zg\\tłoszenia\"");
    assert!(matches!(
        Config::from_toml(&text, Path::new("/")),
        Err(FromTomlError::Invalid(p)) if p.iter().any(|l| l.starts_with("mailbox.folder"))
    ));
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

const TENANTS: &str = r#"
[register]
driver = "postgres"
url-file = "pg.url"

[keys]
dir = "var/keys"
unprotected = true

[tenants.krakow]
number-pattern = "KRK/{year}/{seq:04}"
[tenants.krakow.mailbox]
host = "imap.example.org"
tls = "implicit"
username = "sygnalista-krakow@example.org"
password-file = "krakow.pass"

[tenants.nowa-huta]
keys-dir = "/srv/keys/nh"
schema = "nh"
[tenants.nowa-huta.mailbox]
host = "imap.example.org"
tls = "implicit"
username = "sygnalista-nh@example.org"
password-file = "nh.pass"
"#;

#[test]
fn tenants_each_get_their_own_mailbox_register_partition_keys_and_numbers() {
    let d = Deployment::from_toml(TENANTS, Path::new("/etc/sygnal")).unwrap();
    assert_eq!(d.names(), vec!["krakow", "nowa-huta"]);
    let k = d.tenant(Some("krakow")).unwrap();
    let RegisterConfig::Postgres { schema, .. } = &k.register else {
        panic!("postgres expected")
    };
    assert_eq!(schema, "krakow");
    assert_eq!(k.keys.dir, Path::new("/etc/sygnal/var/keys/krakow"));
    assert_eq!(k.cases.number_pattern.format(2026, 7), "KRK/2026/0007");
    assert_eq!(k.mailbox.username, "sygnalista-krakow@example.org");
    let n = d.tenant(Some("nowa-huta")).unwrap();
    let RegisterConfig::Postgres { schema, .. } = &n.register else {
        panic!("postgres expected")
    };
    assert_eq!(schema, "nh");
    assert_eq!(n.keys.dir, Path::new("/srv/keys/nh"));
    assert_eq!(n.cases.number_pattern.format(2026, 7), "ZW/2026/0007");

    let ambiguous = d.tenant(None).unwrap_err().to_string();
    assert!(
        ambiguous.contains("--tenant") && ambiguous.contains("krakow, nowa-huta"),
        "{ambiguous}"
    );
    let unknown = d.tenant(Some("gdansk")).unwrap_err().to_string();
    assert!(
        unknown.contains("gdansk") && unknown.contains("krakow"),
        "{unknown}"
    );

    // On SQLite each tenant has its own file beside the shared path.
    let sqlite = TENANTS
        .replace(
            "driver = \"postgres\"\nurl-file = \"pg.url\"",
            "driver = \"sqlite\"\npath = \"var/register.db\"",
        )
        .replace("schema = \"nh\"\n", "");
    let d = Deployment::from_toml(&sqlite, Path::new("/etc/sygnal")).unwrap();
    let RegisterConfig::Sqlite { path } = &d.tenant(Some("krakow")).unwrap().register else {
        panic!("sqlite expected")
    };
    assert_eq!(path, Path::new("/etc/sygnal/var/register-krakow.db"));
}

#[test]
fn tenants_that_would_share_a_mailbox_register_or_keys_are_refused() {
    let problems = |text: &str| match Deployment::from_toml(text, Path::new("/etc/sygnal")) {
        Err(FromTomlError::Invalid(p)) => p.join("\n"),
        other => panic!("expected problems, got {other:?}"),
    };
    let same_mailbox = TENANTS.replace("sygnalista-nh@", "sygnalista-krakow@");
    assert!(problems(&same_mailbox).contains("the same mailbox"));
    let same_schema = TENANTS.replace("schema = \"nh\"", "schema = \"krakow\"");
    assert!(problems(&same_schema).contains("the same register"));
    let same_keys = TENANTS.replace("/srv/keys/nh", "var/keys/krakow");
    assert!(problems(&same_keys).contains("the same key folder"));
    let with_top_mailbox = format!(
        "{TENANTS}\n[mailbox]\nhost = \"h\"\ntls = \"implicit\"\nusername = \"u\"\npassword-file = \"p\"\n"
    );
    assert!(problems(&with_top_mailbox).contains("remove the top-level [mailbox]"));
    let bad_name = TENANTS.replace("tenants.krakow", "tenants.Krak_w");
    assert!(problems(&bad_name).contains("is not a tenant name"));
    let typo = TENANTS.replace("keys-dir = ", "key-dir = ");
    assert!(problems(&typo).contains("tenants.nowa-huta.key-dir: unknown key"));
    let both_bad = TENANTS
        .replace(
            "tls = \"implicit\"\nusername = \"sygnalista-krakow",
            "tls = \"tls\"\nusername = \"sygnalista-krakow",
        )
        .replace("password-file = \"nh.pass\"", "");
    let text = problems(&both_bad);
    assert!(text.contains("tenants.krakow.mailbox.tls"), "{text}");
    assert!(
        text.contains("tenants.nowa-huta.mailbox: password-file"),
        "{text}"
    );
}

#[test]
fn retention_keeps_quarantine_180_days_and_number_and_dates_unless_set_otherwise() {
    let config = Config::from_toml(GOOD, Path::new("/")).unwrap();
    assert_eq!(config.retention.quarantine_days, 180);
    assert_eq!(
        config.retention.keep_after_destruction,
        crate::config::KeepAfterDestruction::NumberAndDates
    );
    let nothing = format!("{GOOD}\n[retention]\nkeep-after-destruction = \"nothing\"\n");
    let config = Config::from_toml(&nothing, Path::new("/")).unwrap();
    assert_eq!(
        config.retention.keep_after_destruction,
        crate::config::KeepAfterDestruction::Nothing
    );
    let set = format!("{GOOD}\n[retention]\nquarantine-days = 90\n");
    let config = Config::from_toml(&set, Path::new("/")).unwrap();
    assert_eq!(config.retention.quarantine_days, 90);
    let short =
        format!("{GOOD}\n[retention]\nquarantine-days = 7\nkeep-after-destruction = \"all\"\n");
    match Config::from_toml(&short, Path::new("/")) {
        Err(FromTomlError::Invalid(p)) => {
            assert!(
                p.iter().any(|l| l.starts_with("retention.quarantine-days")),
                "{p:?}"
            );
        }
        other => panic!("expected invalid, got {:?}", other.map(|_| ())),
    }
}

#[test]
fn contact_is_off_without_its_section_and_checked_with_it() {
    let c = Config::from_toml(GOOD, Path::new("/etc/sygnal")).unwrap();
    assert!(
        c.contact.is_none(),
        "nothing is ever sent without [contact]"
    );

    let good = format!(
        "{GOOD}\n[contact]\nfrom = \"Zgłoszenia <zgloszenia@example.org>\"\n\
         reply-address = \"zgloszenia+{{token}}@example.org\"\n\
         [contact.smtp]\nhost = \"smtp.example.org\"\ntls = \"starttls\"\n\
         username = \"zgloszenia@example.org\"\npassword-file = \"smtp.pass\"\n"
    );
    let c = Config::from_toml(&good, Path::new("/etc/sygnal")).unwrap();
    let contact = c.contact.unwrap();
    assert!(contact.acknowledge, "acknowledgements are on by default");
    assert_eq!(contact.smtp.port, 587);
    assert!(matches!(
        &contact.smtp.password,
        Some(PasswordSource::File(p)) if p == Path::new("/etc/sygnal/smtp.pass")
    ));

    let unknown = good.replace(
        "[contact.smtp]",
        "signature = 1\n[contact.smtp]\npasword = 2",
    );
    let Err(FromTomlError::Invalid(problems)) = Config::from_toml(&unknown, Path::new("/e")) else {
        panic!("unknown keys accepted")
    };
    assert!(
        problems.iter().any(|p| p.contains("contact.signature")),
        "{problems:?}"
    );
    assert!(
        problems.iter().any(|p| p.contains("contact.smtp.pasword")),
        "{problems:?}"
    );

    let bad = format!(
        "{GOOD}\n[contact]\nfrom = \"not an address\"\nreply-address = \"zgloszenia@example.org\"\n\
         max-acknowledgements-per-hour = 0\n\
         [contact.smtp]\nhost = \"smtp.example.org\"\ntls = \"none\"\nusername = \"u\"\n"
    );
    let Err(FromTomlError::Invalid(problems)) = Config::from_toml(&bad, Path::new("/e")) else {
        panic!("accepted")
    };
    for key in [
        "contact.from",
        "contact.reply-address",
        "contact.max-acknowledgements-per-hour",
        "contact.smtp.tls",
        "contact.smtp: username",
    ] {
        assert!(
            problems.iter().any(|p| p.contains(key)),
            "{key} not named: {problems:?}"
        );
    }
}

#[test]
fn operations_endpoints_listen_on_loopback_only_and_are_off_by_default() {
    let c = Config::from_toml(GOOD, Path::new("/")).unwrap();
    assert_eq!(c.operations, OperationsConfig::default());
    assert_eq!(c.operations.listen, None);
    let with =
        |ops: &str| Config::from_toml(&format!("{GOOD}\n[operations]\n{ops}\n"), Path::new("/"));
    let c = with("listen = \"127.0.0.1:9464\"\nmax-drain-age-secs = 900").unwrap();
    assert_eq!(c.operations.listen, Some("127.0.0.1:9464".parse().unwrap()));
    assert_eq!(c.operations.max_drain_age, Duration::from_secs(900));
    assert!(with("listen = \"[::1]:9464\"").is_ok());
    for (ops, complaint) in [
        ("listen = \"0.0.0.0:9464\"", "is not a loopback address"),
        ("listen = \"localhost\"", "is not an address and port"),
        ("max-drain-age-secs = 10", "at least 60"),
    ] {
        match with(ops) {
            Err(FromTomlError::Invalid(p)) => {
                assert!(p.iter().any(|l| l.contains(complaint)), "{ops}: {p:?}")
            }
            other => panic!("{ops}: expected invalid, got {:?}", other.map(|_| ())),
        }
    }
}

#[test]
fn the_imap_password_can_be_a_systemd_credential() {
    let text = GOOD.replace(
        "password-file = \"/run/credentials/sygnal/imap\"",
        "password-credential = \"imap-password\"",
    );
    let c = Config::from_toml(&text, Path::new("/")).unwrap();
    assert!(
        matches!(c.mailbox.password, PasswordSource::Credential(ref n) if n == "imap-password")
    );
    let both = GOOD.replace(
        "password-file = \"/run/credentials/sygnal/imap\"",
        "password-file = \"x\"\npassword-credential = \"imap-password\"",
    );
    assert!(matches!(
        Config::from_toml(&both, Path::new("/")),
        Err(FromTomlError::Invalid(p)) if p.iter().any(|l| l.contains("set only one of password-file"))
    ));
}
