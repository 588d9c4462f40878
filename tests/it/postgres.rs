//! The gateway and the desk on a PostgreSQL register, through the real binary, a real Dovecot,
//! GnuPG and a throwaway PostgreSQL cluster: the same behaviour and promises as on SQLite.

use crate::support::dovecot::Dovecot;
use crate::support::gateway::{normalize_text, str_field, Gateway, Setup};
use crate::support::gnupg::{unique, Gpg};
use crate::support::postgres;

/// A GnuPG-encrypted report is filed into PostgreSQL, its server copy deleted, and it opens
/// with the handler's key; the audit chain verifies; nothing of the report or the reporter is
/// in the cluster's files or the gateway's.
#[test]
fn a_report_filed_into_postgres_opens_with_the_handlers_key_and_leaves_no_plaintext() {
    let dovecot = Dovecot::start();
    let s = Setup::with_gateway(Gateway::on_postgres(&dovecot));
    let token = unique("PG");
    let subject = format!("Zgłoszenie {token}-SUBJECT");
    let body = format!("Kierownik fałszuje listy obecności {token}-BODY.\n");
    let from_addr = format!("ewa.nowak.{token}@example.net");
    let raw = Gpg::new().encrypt_pgp_mime(
        &s.intake_cert,
        &format!("Ewa Nowak <{from_addr}>"),
        "zgloszenia@urzad.example.org",
        &subject,
        &body,
        None,
        None,
    );
    dovecot.append("INBOX", &raw);

    s.gateway.run_once();
    assert_eq!(dovecot.count("INBOX"), 0, "server copy not deleted");
    let cases = s.gateway.cases_json();
    assert_eq!(cases.len(), 1, "{cases:?}");
    let number = str_field(&cases[0], "number").to_owned();
    let case = s.gateway.show_case(&number, &s.handler.key_file, None);
    assert_eq!(str_field(&case, "subject"), subject);
    assert_eq!(
        normalize_text(str_field(&case, "body")),
        normalize_text(&body)
    );
    assert!(!case.to_string().contains(&from_addr), "sender in the case");

    // A second run finds nothing new: filed once.
    s.gateway.run_once();
    assert_eq!(s.gateway.cases_json().len(), 1);
    s.gateway.run_ok(&["audit", "verify"]);

    let subject_token = format!("{token}-SUBJECT");
    let body_token = format!("{token}-BODY");
    let needles: Vec<&[u8]> = vec![
        subject_token.as_bytes(),
        body_token.as_bytes(),
        from_addr.as_bytes(),
    ];
    let hits = postgres::cluster().grep(&needles);
    assert!(
        hits.is_empty(),
        "plaintext in the PostgreSQL cluster: {hits:#?}"
    );
    let hits = s.gateway.canary_grep(&needles);
    assert!(
        hits.is_empty(),
        "plaintext in the gateway's folder: {hits:#?}"
    );
}

/// A register that cannot be reached is a clear error that names where, and the mail stays.
#[test]
fn an_unreachable_postgres_is_named_and_the_mail_stays() {
    let dovecot = Dovecot::start();
    let s = Setup::with_gateway(Gateway::on_postgres(&dovecot));
    dovecot.append(
        "INBOX",
        b"From: a@example.net\r\nTo: zgloszenia@urzad.example.org\r\nSubject: t\r\n\r\nreport\r\n",
    );
    // Point the same gateway at a port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let pg = postgres::cluster();
    let url_file = s.gateway.dir().join("pg.url");
    std::fs::write(
        &url_file,
        pg.url()
            .replace(&format!(":{}/", pg.port), &format!(":{closed}/")),
    )
    .unwrap();
    let out = s.gateway.run(&["run", "--once"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("127.0.0.1:{closed}")), "{err}");
    assert!(!err.contains(&pg.password), "password in the error: {err}");
    assert_eq!(dovecot.count("INBOX"), 1, "mail must stay on the server");
}

/// `register migrate` moves a SQLite register with GnuPG-made reports to PostgreSQL without
/// decrypting anything: after switching the config, every case opens with the same handler key,
/// the identity with the same custodian key, the audit chain verifies, and intake goes on.
#[test]
fn a_migrated_register_opens_every_case_with_the_same_keys_and_verifies() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let token = unique("MIG");
    let reporter = Gpg::new();
    let mut subjects = Vec::new();
    for i in 0..3 {
        let subject = format!("Sprawa {i} {token}");
        let raw = reporter.encrypt_pgp_mime(
            &s.intake_cert,
            &format!("Reporter {i} <r{i}.{token}@example.net>"),
            "zgloszenia@urzad.example.org",
            &subject,
            &format!("Treść zgłoszenia {i}.\n"),
            (i == 1).then_some(("umowa.pdf", b"%PDF-1.4 not really".as_slice())),
            None,
        );
        dovecot.append("INBOX", &raw);
        subjects.push(subject);
    }
    s.gateway.run_once();
    let numbers = s.gateway.case_numbers();
    assert_eq!(numbers.len(), 3);
    let head_before = s.gateway.run_ok(&["audit", "head"]);

    let pg = postgres::cluster();
    let url = pg.url_file(s.gateway.dir(), &pg.url());
    let schema = pg.fresh_schema();
    let out = s.gateway.run_ok(&[
        "register",
        "migrate",
        "--from",
        "sqlite:var/register.db",
        "--to",
        &format!("postgres:{}", url.display()),
        "--to-schema",
        &schema,
    ]);
    assert!(out.contains("register copied and checked"), "{out}");
    assert!(out.contains(head_before.trim()), "old head named: {out}");

    // The URL on the command line is refused: it would sit in the process list.
    let refused = s.gateway.run(&[
        "register",
        "migrate",
        "--from",
        "sqlite:var/register.db",
        "--to",
        &format!("postgres:{}", pg.url()),
    ]);
    assert_eq!(
        refused.status.code(),
        Some(crate::support::gateway::EXIT_USAGE)
    );

    let config = std::fs::read_to_string(s.gateway.config()).unwrap();
    let switched = config.replace(
        "driver = \"sqlite\"\npath = \"var/register.db\"\n",
        &format!(
            "driver = \"postgres\"\nurl-file = \"{}\"\nschema = \"{schema}\"\n",
            url.display()
        ),
    );
    assert_ne!(config, switched);
    std::fs::write(s.gateway.config(), switched).unwrap();
    std::fs::remove_file(s.gateway.dir().join("var/register.db")).unwrap();

    assert_eq!(s.gateway.case_numbers(), numbers);
    for (number, subject) in numbers.iter().zip(&subjects) {
        let case = s.gateway.show_case(number, &s.handler.key_file, None);
        assert_eq!(str_field(&case, "subject"), subject);
        let identity = s.gateway.unseal(number, &s.custodian.key_file);
        assert!(
            identity.status.success(),
            "{}",
            String::from_utf8_lossy(&identity.stderr)
        );
    }
    let verify = s.gateway.run_ok(&["audit", "verify"]);
    assert!(verify.contains("intact"), "{verify}");

    // Intake goes on in the new register.
    dovecot.append(
        "INBOX",
        &reporter.encrypt_pgp_mime(
            &s.intake_cert,
            "Reporter <r9@example.net>",
            "zgloszenia@urzad.example.org",
            "Po migracji",
            "Nowe zgłoszenie.\n",
            None,
            None,
        ),
    );
    s.gateway.run_once();
    assert_eq!(s.gateway.case_numbers().len(), 4);
    assert_eq!(dovecot.count("INBOX"), 0);
}

/// The restore drill on PostgreSQL: the backup is one SQLite file, restored into the emptied
/// schema; the case opens with the same keys and the chain verifies.
#[test]
fn a_postgres_register_backed_up_and_restored_into_an_empty_schema_opens_with_the_same_keys() {
    let dovecot = Dovecot::start();
    let s = Setup::with_gateway(Gateway::on_postgres(&dovecot));
    let token = unique("PGB");
    dovecot.append(
        "INBOX",
        &Gpg::new().encrypt_pgp_mime(
            &s.intake_cert,
            &format!("Ewa <ewa.{token}@example.net>"),
            "zgloszenia@urzad.example.org",
            &format!("Zgłoszenie {token}"),
            "Treść.\n",
            None,
            None,
        ),
    );
    s.gateway.run_once();
    let number = s.gateway.case_numbers().remove(0);
    let dir = s.gateway.dir();
    let (copy, keys) = (dir.join("register-copy.db"), dir.join("keys.pgp"));
    s.gateway.run_ok(&[
        "backup",
        "--out",
        copy.to_str().unwrap(),
        "--keys-out",
        keys.to_str().unwrap(),
    ]);

    let config = std::fs::read_to_string(s.gateway.config()).unwrap();
    let schema = config
        .lines()
        .find_map(|l| l.strip_prefix("schema = \""))
        .and_then(|l| l.strip_suffix('"'))
        .unwrap()
        .to_owned();
    postgres::cluster().psql(&format!("DROP SCHEMA {schema} CASCADE"));
    std::fs::remove_dir_all(dir.join("var/keys")).unwrap();

    let said = s.gateway.run_ok(&[
        "restore",
        "--from",
        copy.to_str().unwrap(),
        "--keys-from",
        keys.to_str().unwrap(),
        "--key",
        s.custodian.key_file.to_str().unwrap(),
    ]);
    assert!(said.contains("1 case(s), audit chain verified"), "{said}");
    let case = s.gateway.show_case(&number, &s.handler.key_file, None);
    assert!(str_field(&case, "subject").contains(&token));
    s.gateway.run_ok(&["audit", "verify"]);
}
