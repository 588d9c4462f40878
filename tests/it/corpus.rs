//! Every report GnuPG opens, sygnal opens: each real-client C1 message of the corpus that its
//! SOURCES.md marks OK for GnuPG 2.2 with the keys beside it is filed through the real binary
//! and Dovecot, after `keys import-intake` of those keys (armored exports, GnuPG 1.x secring.gpg,
//! expired, revoked, SHA-1-bound, 1024-bit RSA and DSA/ElGamal keys), and opens with a handler
//! key. The shared corpus (`SYGNAL_CORPUS`, or `../shared/corpus` beside the checkout) holds all
//! 31; without it, the permissively licensed part copied into tests/corpus is used.

use std::path::{Path, PathBuf};

use crate::support::dovecot::Dovecot;
use crate::support::gateway::{assert_success, str_field, Setup};

/// A message GnuPG decrypts, with its folder.
struct Item {
    dir: String,
    file: String,
}

/// The corpus to read and the number of messages it must yield.
fn corpus_root() -> (PathBuf, Option<usize>) {
    let shared = std::env::var_os("SYGNAL_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus"));
    if shared.join("SOURCES.md").exists() {
        // The whole corpus: the count GnuPG 2.2 reaches, as the issue states it.
        (shared, Some(31))
    } else {
        (
            Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus"),
            None,
        )
    }
}

/// C1 rows whose GnuPG column says OK with a key (not a symmetric password), that are mail
/// (not a bare armored block), present in `root`; and each folder's key passphrase if any.
fn items(root: &Path) -> (Vec<Item>, Vec<(String, Option<String>)>) {
    let sources = std::fs::read_to_string(root.join("SOURCES.md")).unwrap();
    let (mut dir, mut out, mut dirs) = (String::new(), Vec::new(), Vec::new());
    for line in sources.lines() {
        if let Some(d) = line.strip_prefix("## ") {
            dir = d.split('/').next().unwrap().trim().to_owned();
            continue;
        }
        if let Some(keys) = line.strip_prefix("Decryption keys:") {
            let pass = keys
                .split("passphrase \"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .map(str::to_owned);
            dirs.push((dir.clone(), pass));
            continue;
        }
        let f: Vec<&str> = line.split('|').map(str::trim).collect();
        if f.len() < 10 || f[2] != "C1" || !f[8].contains("OK") || f[8].contains("symmetric") {
            continue;
        }
        if f[1].ends_with(".asc") || !root.join(&dir).join(f[1]).exists() {
            continue;
        }
        out.push(Item {
            dir: dir.clone(),
            file: f[1].to_owned(),
        });
    }
    (out, dirs)
}

#[test]
fn every_real_client_report_gnupg_opens_is_filed_and_opens_for_a_handler() {
    let (root, expected) = corpus_root();
    let (items, dirs) = items(&root);
    if let Some(n) = expected {
        assert_eq!(
            items.len(),
            n,
            "the corpus lists {} such messages",
            items.len()
        );
    }
    assert!(
        items.len() >= 14,
        "too few corpus messages found in {}",
        root.display()
    );
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    for (dir, pass) in &dirs {
        let Ok(entries) = std::fs::read_dir(root.join(dir)) else {
            continue;
        };
        let mut keys: Vec<PathBuf> = entries
            .map(|e| e.unwrap().path())
            .filter(|p| p.file_name().unwrap().to_string_lossy().starts_with("KEY_"))
            .collect();
        keys.sort();
        for key in keys {
            let mut cmd = s
                .gateway
                .command(&["keys", "import-intake", key.to_str().unwrap()]);
            cmd.env("SYGNAL_IMPORT_PASSPHRASE", pass.as_deref().unwrap_or(""));
            let out = cmd.output().unwrap();
            // A key file with no decryption key of its own (or another folder's passphrase)
            // may be refused; the count below tells whether every message still opens.
            if !out.status.success() {
                eprintln!(
                    "{}: {}",
                    key.display(),
                    String::from_utf8_lossy(&out.stderr).trim()
                );
            }
        }
    }
    for item in &items {
        dovecot.append(
            "INBOX",
            &std::fs::read(root.join(&item.dir).join(&item.file)).unwrap(),
        );
    }
    let out = s.gateway.run(&["run", "--once"]);
    assert_success(&["run", "--once"], &out);
    let quarantined = s.gateway.quarantine_json();
    let names: Vec<String> = items
        .iter()
        .map(|i| format!("{}/{}", i.dir, i.file))
        .collect();
    assert!(
        quarantined.is_empty(),
        "quarantined instead of filed: {quarantined:#?}\nof {names:#?}"
    );
    let numbers = s.gateway.case_numbers();
    assert_eq!(
        numbers.len(),
        items.len(),
        "filed {} of {}",
        numbers.len(),
        items.len()
    );
    for n in &numbers {
        let case = s.gateway.show_case(n, &s.handler.key_file, None);
        assert_eq!(str_field(&case, "number"), n);
        assert!(case["encrypted"].as_bool().unwrap(), "{case}");
    }
    eprintln!(
        "{} of {} filed from {}",
        numbers.len(),
        items.len(),
        root.display()
    );
}
