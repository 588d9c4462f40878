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
    let number = file_polish_report(&s, &dovecot);
    let key = s.handler.key_file.to_str().unwrap().to_owned();
    let note = s.gateway.dir().join("notatka.txt");
    std::fs::write(&note, "Rozmowa z kierownikiem działu.\n").unwrap();

    let polish = |args: &[&str]| {
        let (exit, out, err) = polish_run(&s, args);
        assert_eq!(exit, Some(0), "{args:?}: {err}");
        out
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

/// English words of refusals and of the custodian's screens that must not show in Polish.
const ENGLISH_REFUSALS: &[&str] = &[
    "error",
    "cannot",
    "case ",
    "key ",
    "note",
    "reader",
    "custodian",
    "Identity record",
    "Signed by",
    "none",
    "unsealed",
    "reason",
];

/// Files a GnuPG-encrypted Polish report with an attachment; its case number.
fn file_polish_report(s: &Setup, dovecot: &Dovecot) -> String {
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
    s.gateway.case_numbers().pop().unwrap()
}

/// Runs `args` in a Polish locale; the exit code and what was printed on both streams.
fn polish_run(s: &Setup, args: &[&str]) -> (Option<i32>, String, String) {
    run_in(s, "pl_PL.UTF-8", args)
}

/// Runs `args` with `LANG=lang` and no other language setting.
fn run_in(s: &Setup, lang: &str, args: &[&str]) -> (Option<i32>, String, String) {
    let out = s
        .gateway
        .command(args)
        .env_remove("SYGNAL_LANG")
        .env_remove("LC_ALL")
        .env_remove("LC_MESSAGES")
        .env("LANG", lang)
        .output()
        .unwrap();
    (
        out.status.code(),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn refusals_a_handler_meets_and_a_custodians_identity_screens_read_in_polish() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let number = file_polish_report(&s, &dovecot);
    let key = s.handler.key_file.to_str().unwrap().to_owned();
    let custodian = s.custodian.key_file.to_str().unwrap().to_owned();
    let empty = s.gateway.dir().join("pusta.txt");
    std::fs::write(&empty, " \n").unwrap();
    let empty = empty.to_str().unwrap();

    // (command, exit code, what the Polish refusal says)
    let refusals: [(Vec<&str>, i32, &str); 7] = [
        (
            vec!["cases", "status", &number, "closed", "--key", &key],
            2,
            "sprawę kończy się poleceniem `sygnal cases close",
        ),
        (
            vec!["cases", "status", &number, "done", "--key", &key],
            2,
            "nieznana wartość statusu: „done”",
        ),
        (
            vec!["cases", "status", &number, "feedback-given", "--key", &key],
            2,
            "sprawa nie może przejść ze statusu „przyjęta” do „przekazano informację zwrotną” \
             (najpierw rozpocznij działania następcze",
        ),
        (
            vec!["cases", "note", &number, "--key", &key, "--file", empty],
            2,
            "notatka jest pusta",
        ),
        (
            vec!["cases", "show", "ZW/1999/0001", "--key", &key],
            5,
            "nie ma sprawy ZW/1999/0001",
        ),
        (
            vec![
                "identity", "unseal", &number, "--key", &key, "--reason", "kontrola",
            ],
            4,
            "ten klucz nie otwiera sprawy",
        ),
        (
            vec![
                "identity", "unseal", &number, "--key", &custodian, "--reason", "x",
            ],
            2,
            "--reason musi mówić, po co potrzebna jest tożsamość",
        ),
    ];
    for (args, code, said) in &refusals {
        let (exit, _, err) = polish_run(&s, args);
        assert_eq!(exit, Some(*code), "{args:?}: {err}");
        assert!(err.starts_with("sygnal: błąd: "), "{args:?}: {err}");
        assert!(err.contains(said), "{args:?}: {err}");
        let words = err
            .replace("--reason", "")
            .replace("--outcome", "")
            .replace("--key", "");
        for word in ENGLISH_REFUSALS {
            assert!(!words.contains(word), "English {word:?} in {args:?}: {err}");
        }
    }

    let (exit, unsealed, err) = polish_run(
        &s,
        &[
            "identity",
            "unseal",
            &number,
            "--key",
            &custodian,
            "--reason",
            "wyjaśnienie okoliczności zgłoszenia",
        ],
    );
    assert_eq!(exit, Some(0), "{err}");
    assert!(
        unsealed.contains(&format!("Zapis tożsamości w sprawie {number}"))
            && unsealed.contains("Podpis:")
            && unsealed.contains("r@example.net"),
        "{unsealed}"
    );
    let (_, log, _) = polish_run(&s, &["identity", "log", &number]);
    assert!(
        log.contains("otwarcie") && log.contains("powody są zaszyfrowane"),
        "{log}"
    );
    for word in ENGLISH_REFUSALS {
        let screens = format!("{unsealed}\n{log}").replace("--key", "");
        assert!(!screens.contains(word), "English {word:?}:\n{screens}");
    }

    // A removed reader's key is refused at once, in Polish too.
    s.gateway.remove_reader(&s.handler.fpr);
    let (exit, _, err) = polish_run(&s, &["cases", "show", &number, "--key", &key]);
    assert_eq!(exit, Some(4), "{err}");
    assert!(
        err.contains("nie należy do żadnej z obecnych osób z dostępem"),
        "{err}"
    );
}

#[test]
fn the_help_a_handler_reads_is_polish_with_a_polish_locale_and_english_otherwise() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let help = |lang: &str, args: &[&str]| {
        let (exit, out, err) = run_in(&s, lang, args);
        assert_eq!(exit, Some(0), "{args:?}: {err}");
        out
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
