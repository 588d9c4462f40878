//! The handler's desk in Polish: with a Polish locale, a whole session (list, show, status,
//! note, due, history) reads in Polish; the English texts stay for everyone else.

use crate::support::dovecot::Dovecot;
use crate::support::gateway::Setup;
use crate::support::gnupg::{unique, Gpg};

/// English words of the handler's screens that must not show in a Polish session.
const ENGLISH: &[&str] = &[
    "Case",
    "Received",
    "Next deadline",
    "Arrived",
    "Subject",
    "Attachments",
    "encrypted",
    "unsigned",
    "signature",
    "due",
    "today",
    "recorded",
    "note #",
    "notes or actions",
    "Acknowledged",
    "Feedback",
    "Keep until",
    "nothing",
    "metadata",
    "bytes",
];

#[test]
fn a_handlers_whole_session_reads_in_polish_with_a_polish_locale() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let raw = Gpg::new().encrypt_pgp_mime(
        &s.intake_cert,
        "Reporter <r@example.net>",
        "zgloszenia@urzad.example.org",
        &format!("Zgłoszenie {}", unique("PL")),
        "Treść zgłoszenia po polsku.\n",
        Some(("faktura.txt", b"Faktura nr 7")),
        None,
    );
    dovecot.append("INBOX", &raw);
    s.gateway.run_once();
    let number = s.gateway.case_numbers().pop().unwrap();
    let key = s.handler.key_file.to_str().unwrap().to_owned();
    let note = s.gateway.dir().join("notatka.txt");
    std::fs::write(&note, "Rozmowa z kierownikiem działu.\n").unwrap();

    let polish = |args: &[&str]| {
        let out = s
            .gateway
            .command(args)
            .env_remove("SYGNAL_LANG")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("LANG", "pl_PL.UTF-8")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let session = [
        polish(&["cases", "list"]),
        polish(&["cases", "show", &number, "--key", &key]),
        polish(&["cases", "status", &number, "in-follow-up", "--key", &key]),
        polish(&[
            "cases",
            "note",
            &number,
            "--key",
            &key,
            "--file",
            note.to_str().unwrap(),
        ]),
        polish(&[
            "cases",
            "action",
            &number,
            "--kind",
            "interview",
            "--key",
            &key,
        ]),
        polish(&["cases", "due"]),
        polish(&["cases", "history", &number, "--key", &key]),
    ];
    let all = session.join("\n");
    println!("{all}");
    for (screen, said) in ["Sprawa", "Przyjęto", "Najbliższy termin", "przyjęta"]
        .iter()
        .zip(std::iter::repeat(&session[0]))
    {
        assert!(said.contains(screen), "list lacks {screen:?}:\n{said}");
    }
    assert!(session[1].contains("Załączniki:"), "{}", session[1]);
    assert!(
        session[1].contains("Termin (potwierdzenie przyjęcia):"),
        "{}",
        session[1]
    );
    assert!(
        session[2].contains("w działaniach następczych"),
        "{}",
        session[2]
    );
    assert!(session[3].contains("zapisano notatkę"), "{}", session[3]);
    assert!(
        session[4].contains("działanie #") && session[4].contains("rozmowa"),
        "{}",
        session[4]
    );
    assert!(
        session[5].contains("potwierdzenie przyjęcia"),
        "{}",
        session[5]
    );
    assert!(
        session[6].contains("Rozmowa z kierownikiem działu."),
        "{}",
        session[6]
    );
    // Words of the report itself and command words in parentheses aside, nothing English.
    let screens = all.replace("(in-follow-up)", "");
    for word in ENGLISH {
        assert!(
            !screens.contains(word),
            "English {word:?} in a Polish session:\n{all}"
        );
    }
}

#[test]
fn the_help_a_handler_reads_is_polish_with_a_polish_locale_and_english_otherwise() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let help = |lang: &str, args: &[&str]| {
        let out = s
            .gateway
            .command(args)
            .env_remove("SYGNAL_LANG")
            .env_remove("LC_ALL")
            .env_remove("LC_MESSAGES")
            .env("LANG", lang)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    let pl = help("pl_PL.UTF-8", &["cases", "show", "--help"]);
    assert!(pl.contains("Użycie:") && pl.contains("Opcje:"), "{pl}");
    assert!(pl.contains("Numer sprawy"), "{pl}");
    assert!(!pl.contains("secret key"), "{pl}");
    let pl = help("pl_PL.UTF-8", &["cases", "--help"]);
    assert!(
        pl.contains("Polecenia:") && pl.contains("Terminy bieżące"),
        "{pl}"
    );
    let en = help("C.UTF-8", &["cases", "show", "--help"]);
    assert!(en.contains("Usage:") && en.contains("secret key"), "{en}");
}

#[test]
fn audit_and_reader_times_print_in_local_time_with_the_offset_and_json_keeps_utc() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let in_warsaw = |args: &[&str]| {
        let out = s
            .gateway
            .command(args)
            .env("TZ", "Europe/Warsaw")
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {out:?}");
        String::from_utf8(out.stdout).unwrap()
    };
    // December in Warsaw: UTC+1.
    let trail = in_warsaw(&["audit", "show"]);
    assert!(trail.contains("+01:00 ReaderAdded"), "{trail}");
    assert!(!trail.contains("Z ReaderAdded"), "{trail}");
    let readers = in_warsaw(&["handlers", "list"]);
    assert!(readers.contains("+01:00)"), "{readers}");
    let json = in_warsaw(&["audit", "show", "--json"]);
    assert!(json.contains("Z\""), "JSON lost UTC: {json}");
}
