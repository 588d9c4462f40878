use fluent_bundle::FluentResource;
use fluent_syntax::ast::Entry;

use super::{Lang, Texts, ENGLISH, POLISH};

fn ids(source: &str) -> std::collections::BTreeSet<String> {
    let resource = FluentResource::try_new(source.to_owned())
        .unwrap_or_else(|(_, errors)| panic!("not valid Fluent: {errors:?}"));
    resource
        .entries()
        .filter_map(|e| match e {
            Entry::Message(m) => Some(m.id.name.to_owned()),
            _ => None,
        })
        .collect()
}

#[test]
fn both_languages_parse_and_hold_the_same_messages() {
    let (pl, en) = (ids(POLISH), ids(ENGLISH));
    let only_pl: Vec<_> = pl.difference(&en).collect();
    let only_en: Vec<_> = en.difference(&pl).collect();
    assert!(
        only_pl.is_empty() && only_en.is_empty(),
        "only in pl.ftl: {only_pl:?}; only in en.ftl: {only_en:?}"
    );
}

#[test]
fn every_message_the_cli_asks_for_exists() {
    let known = ids(ENGLISH);
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/cli");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        let code = std::fs::read_to_string(&path).unwrap();
        for (before, after) in code.split("t!(").zip(code.split("t!(").skip(1)) {
            // `t!(` itself, not the end of `format!(` or `print!(`.
            if before
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_')
            {
                continue;
            }
            let rest = after;
            let trimmed = rest.trim_start();
            let Some(quoted) = trimmed.strip_prefix('"') else {
                continue;
            };
            let id: String = quoted.chars().take_while(|c| *c != '"').collect();
            if !known.contains(&id) {
                missing.push(format!("{}: {id}", path.display()));
            }
        }
    }
    assert!(missing.is_empty(), "no such message: {missing:?}");
}

/// Ids named outside `t!()`: the desk's refusals (`Why`), the words of closed lists, the
/// records and roles a refusal names.
#[test]
fn every_message_named_by_id_in_the_code_exists() {
    let known = ids(ENGLISH);
    let mut missing = Vec::new();
    let mut dirs = vec![std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let code = std::fs::read_to_string(&path).unwrap();
            for quoted in code.split('"').skip(1).step_by(2) {
                let named = ["err-", "cli-", "word-", "record-", "role-", "no-contact-"]
                    .iter()
                    .any(|p| quoted.starts_with(p))
                    && quoted
                        .chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-');
                if named && !known.contains(quoted) {
                    missing.push(format!("{}: {quoted}", path.display()));
                }
            }
        }
    }
    assert!(missing.is_empty(), "no such message: {missing:?}");
    for n in crate::contact::NoContact::ALL {
        assert!(known.contains(n.message_id()), "{n:?}");
    }
}

#[test]
fn polish_counts_take_their_plural_forms() {
    let pl = Texts::new(Lang::Pl);
    let bytes = |n: u64| pl.text("size-bytes", Some(&crate::fluent_args!(bytes = n)));
    assert_eq!(bytes(1), "1 bajt");
    assert_eq!(bytes(3), "3 bajty");
    assert_eq!(bytes(5), "5 bajtów");
    assert_eq!(bytes(22), "22 bajty");
    let late = |n: i64| {
        pl.text(
            "due-overdue",
            Some(&crate::fluent_args!(due = "2026-12-01", days = n)),
        )
    };
    assert_eq!(late(1), "2026-12-01 (PO TERMINIE o 1 dzień)");
    assert_eq!(late(3), "2026-12-01 (PO TERMINIE o 3 dni)");
    let en = Texts::new(Lang::En);
    assert_eq!(
        en.text(
            "due-in",
            Some(&crate::fluent_args!(due = "2026-12-01", days = 0))
        ),
        "2026-12-01 (today)"
    );
}

#[test]
fn the_locale_picks_polish_and_sygnal_lang_overrides_it() {
    // Environment variables are process-wide: one test sets and restores them all.
    let saved: Vec<_> = ["SYGNAL_LANG", "LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .map(|v| (*v, std::env::var_os(v)))
        .collect();
    for (v, _) in &saved {
        std::env::remove_var(v);
    }
    std::env::set_var("LANG", "pl_PL.UTF-8");
    assert_eq!(super::lang_from_env(), Lang::Pl);
    std::env::set_var("LC_ALL", "C.UTF-8");
    assert_eq!(super::lang_from_env(), Lang::En);
    std::env::set_var("SYGNAL_LANG", "pl");
    assert_eq!(super::lang_from_env(), Lang::Pl);
    for (v, value) in saved {
        match value {
            Some(x) => std::env::set_var(v, x),
            None => std::env::remove_var(v),
        }
    }
}
