//! Corpus: every file in tests/corpus/*/ is classified and parsed without panicking; the
//! encrypted ones get the layout we expect, and EFAIL layouts keep their plaintext apart.

use std::path::{Path, PathBuf};

use super::content::parse_content;
use super::envelope::{classify, Envelope, InlineKind};
use super::limits::MailLimits;

fn corpus_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut out = Vec::new();
    for dir in std::fs::read_dir(&root).unwrap() {
        let dir = dir.unwrap().path();
        if dir.is_dir() {
            for f in std::fs::read_dir(&dir).unwrap() {
                let path = f.unwrap().path();
                // Keys beside the mail are for the decryption test, not mail.
                if !path
                    .file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with("KEY_")
                {
                    out.push(path);
                }
            }
        }
    }
    out.sort();
    out
}

fn rel(p: &Path) -> String {
    let dir = p.parent().unwrap().file_name().unwrap().to_string_lossy();
    format!("{dir}/{}", p.file_name().unwrap().to_string_lossy())
}

fn read(rel: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/corpus")
            .join(rel),
    )
    .unwrap()
}

fn kind(raw: &[u8]) -> String {
    match classify(raw, &MailLimits::default()) {
        Ok(e) => e.kind().to_owned(),
        Err(e) => e.code().to_owned(),
    }
}

/// Expected layouts of the encrypted (and some tricky plain) corpus files.
const EXPECTED: &[(&str, &str)] = &[
    ("autocrypt/example-draft.eml", "pgp-mime"),
    ("autocrypt/example-gossip.eml", "pgp-mime"),
    ("autocrypt/example-setup-message.eml", "plain"),
    (
        "deltachat/alice_to_bob_no_intended_recipient_fingerprint.eml",
        "pgp-mime",
    ),
    (
        "deltachat/google-workspace-mixed-up.eml",
        "pgp-mime-wrapped",
    ),
    ("deltachat/hp_legacy_display.eml", "pgp-mime"),
    ("deltachat/protonmail-mixed-up.eml", "pgp-mime-wrapped"),
    ("deltachat/protonmail-repaired.eml", "pgp-mime"),
    ("deltachat/rfc1847_encapsulation.eml", "pgp-mime"),
    ("deltachat/schleuder.eml", "plain"),
    ("deltachat/text_symmetrically_encrypted.eml", "pgp-mime"),
    ("deltachat/thunderbird_encrypted_signed.eml", "pgp-mime"),
    (
        "deltachat/thunderbird_encrypted_unsigned_with_unencrypted_subject.eml",
        "pgp-mime",
    ),
    (
        "kde-mimetreeparser/internal-pgpencrypted-mime.eml",
        "pgp-mime-wrapped",
    ),
    (
        "kde-mimetreeparser/multipart-mixed-alternative-inline-pgp.eml",
        "inline-pgp",
    ),
    (
        "kde-mimetreeparser/openpgp-encrypted-ambiguous-mime.eml",
        "pgp-mime-wrapped",
    ),
    (
        "kde-mimetreeparser/openpgp-encrypted-applemail.eml",
        "pgp-mime-wrapped",
    ),
    (
        "kde-mimetreeparser/openpgp-encrypted-attachment-and-non-encrypted-attachment.eml",
        "pgp-mime-wrapped",
    ),
    (
        "kde-mimetreeparser/openpgp-encrypted-enigmail1.6.eml",
        "pgp-mime",
    ),
    (
        "kde-mimetreeparser/openpgp-encrypted-memoryhole.eml",
        "pgp-mime",
    ),
    (
        "kde-mimetreeparser/openpgp-encrypted-noData.eml",
        "mime-bad-pgp-mime",
    ),
    // Two separately encrypted attachments: refused (quarantined), never half-decrypted.
    (
        "kde-mimetreeparser/openpgp-encrypted-partially-signed-attachments.eml",
        "mime-bad-pgp-mime",
    ),
    (
        "kde-mimetreeparser/openpgp-encrypted-signed-thunderbird.eml",
        "pgp-mime",
    ),
    (
        "kde-mimetreeparser/openpgp-inline-charset-encrypted.eml",
        "inline-pgp",
    ),
    (
        "kde-mimetreeparser/openpgp-inline-encrypted+nonenc.eml",
        "inline-pgp",
    ),
    (
        "kde-mimetreeparser/openpgp-inline-wrong-charset-encrypted.eml",
        "inline-pgp",
    ),
    (
        "mimekit/openpgp_gnupg-2.1.20-announce-gnus-signed-mailman-wrapped.eml",
        "plain",
    ),
    ("thunderbird/alice-broken-exchange.eml", "pgp-mime-wrapped"),
    ("thunderbird/bob-enc-html-nbsp.eml", "inline-pgp"),
    ("thunderbird/bob-enc-inline-nbsp-qp.eml", "inline-pgp"),
    ("thunderbird/enc-to-carol@pgp.icu-revoked.eml", "pgp-mime"),
    (
        "thunderbird/encrypted-to-alice-as-hidden-recipient.eml",
        "pgp-mime",
    ),
    (
        "thunderbird/inner-smime-sig-in-pgp-encrypted.eml",
        "pgp-mime",
    ),
    (
        "thunderbird/outer-pgp-sig-inner-pgp-enc-with-mixed.eml",
        "pgp-mime-wrapped",
    ),
    (
        "thunderbird/outer-smime-bad-sig-inner-pgp-enc.eml",
        "pgp-mime-wrapped",
    ),
    (
        "thunderbird/partial-encrypt-for-alice-plaintext.eml",
        "inline-pgp",
    ),
    ("thunderbird/rc-openpgp-mdc-tampered.eml", "pgp-mime"),
    (
        "thunderbird/rc-openpgp-mixed-subpart.eml",
        "pgp-mime-wrapped",
    ),
    ("thunderbird/rc-openpgp-nomdc.eml", "pgp-mime"),
    (
        "thunderbird/signed-encrypted-autocrypt-gossip.eml",
        "pgp-mime",
    ),
    (
        "thunderbird/tb19-enigmail_iso-8859-2_charset_8bit.eml",
        "plain",
    ),
];

#[test]
fn corpus_never_panics_and_layouts_match() {
    let files = corpus_files();
    assert!(
        files.len() >= 40,
        "corpus is missing: {} files",
        files.len()
    );
    let mut failures = Vec::new();
    let mut checked = 0;
    for p in &files {
        let name = rel(p);
        if name.ends_with("SOURCES.md") {
            continue;
        }
        let raw = std::fs::read(p).unwrap();
        let got = kind(&raw);
        // Content parsing must not panic either, whatever it returns.
        let _ = parse_content(&raw, &MailLimits::default());
        if let Some((_, want)) = EXPECTED.iter().find(|(f, _)| *f == name) {
            checked += 1;
            if got != *want {
                failures.push(format!("{name}: want {want}, got {got}"));
            }
        } else if got != "plain" {
            failures.push(format!("{name}: unexpected {got}"));
        }
    }
    assert_eq!(
        checked,
        EXPECTED.len(),
        "expected files missing from the corpus"
    );
    assert!(failures.is_empty(), "{failures:#?}");
}

fn loose_texts(env: &Envelope) -> Vec<String> {
    let parts = match env {
        Envelope::PgpMime {
            unencrypted_parts, ..
        }
        | Envelope::InlinePgp {
            unencrypted_parts, ..
        } => unencrypted_parts,
        Envelope::Plain { .. } => panic!("expected encryption"),
    };
    parts
        .iter()
        .map(|p| String::from_utf8_lossy(&p.data).into_owned())
        .collect()
}

#[test]
fn efail_partial_inline_keeps_prefix_and_suffix_apart() {
    let raw = read("thunderbird/partial-encrypt-for-alice-plaintext.eml");
    let env = classify(&raw, &MailLimits::default()).unwrap();
    let Envelope::InlinePgp { blocks, .. } = &env else {
        panic!("{env:?}")
    };
    assert_eq!(blocks.len(), 1);
    assert_eq!(blocks[0].kind, InlineKind::BodyText);
    let block = String::from_utf8(blocks[0].ciphertext.clone()).unwrap();
    assert!(block.starts_with("-----BEGIN PGP MESSAGE-----\n"));
    assert!(block.ends_with("-----END PGP MESSAGE-----\n"));
    assert!(!block.contains("prefix") && !block.contains("suffix"));
    let loose = loose_texts(&env);
    assert_eq!(loose.len(), 2, "{loose:?}");
    assert_eq!(loose[0].trim(), "prefix");
    assert_eq!(loose[1].trim(), "suffix");
}

#[test]
fn efail_wrapped_parts_never_joined() {
    // An attacker's HTML part beside a captured PGP/MIME message.
    let raw = read("thunderbird/rc-openpgp-mixed-subpart.eml");
    let env = classify(&raw, &MailLimits::default()).unwrap();
    let Envelope::PgpMime {
        ciphertext,
        wrapped,
        ..
    } = &env
    else {
        panic!("{env:?}")
    };
    assert!(*wrapped);
    assert!(!String::from_utf8_lossy(ciphertext).contains("Attacker"));
    let loose = loose_texts(&env);
    assert_eq!(loose.len(), 1);
    assert!(loose[0].contains("Attacker-controlled wrapper part."));
}

#[test]
fn efail_encrypted_and_plain_attachment_kept_apart() {
    let raw =
        read("kde-mimetreeparser/openpgp-encrypted-attachment-and-non-encrypted-attachment.eml");
    let env = classify(&raw, &MailLimits::default()).unwrap();
    let Envelope::PgpMime {
        ciphertext,
        unencrypted_parts,
        wrapped: true,
        ..
    } = &env
    else {
        panic!("{env:?}")
    };
    assert!(ciphertext.starts_with(b"-----BEGIN PGP MESSAGE-----"));
    assert_eq!(unencrypted_parts.len(), 1);
    assert_eq!(unencrypted_parts[0].content_type, "image/png");
    assert_eq!(
        unencrypted_parts[0].name.as_ref().unwrap().as_str(),
        "image.png"
    );
    assert!(unencrypted_parts[0].data.starts_with(b"\x89PNG"));
}

#[test]
fn mixed_up_provider_layouts_are_repaired_but_kept_apart() {
    let raw = read("deltachat/protonmail-mixed-up.eml");
    let env = classify(&raw, &MailLimits::default()).unwrap();
    let Envelope::PgpMime { ciphertext, .. } = &env else {
        panic!("{env:?}")
    };
    assert_eq!(ciphertext.as_ref(), b"PGP PAYLOAD WAS HERE\n");
    let loose = loose_texts(&env);
    assert_eq!(loose.len(), 1);
    assert!(loose[0].contains("Empty Message"));

    let raw = read("deltachat/google-workspace-mixed-up.eml");
    let env = classify(&raw, &MailLimits::default()).unwrap();
    let Envelope::PgpMime { ciphertext, .. } = &env else {
        panic!("{env:?}")
    };
    assert!(ciphertext.starts_with(b"-----BEGIN PGP MESSAGE-----"));
}

#[test]
fn inline_block_in_html_is_found_and_normalized() {
    let raw = read("thunderbird/bob-enc-html-nbsp.eml");
    let Envelope::InlinePgp { blocks, .. } = classify(&raw, &MailLimits::default()).unwrap() else {
        panic!()
    };
    let block = String::from_utf8(blocks[0].ciphertext.clone()).unwrap();
    // The &nbsp; line became the blank line armor requires; tags are gone.
    assert!(
        block.starts_with("-----BEGIN PGP MESSAGE-----\n\nhE4D"),
        "{block}"
    );
    assert!(!block.contains('<'));
}

#[test]
fn inline_alternative_sends_one_block_with_text_around_it_apart() {
    let raw = read("kde-mimetreeparser/multipart-mixed-alternative-inline-pgp.eml");
    let env = classify(&raw, &MailLimits::default()).unwrap();
    let Envelope::InlinePgp { blocks, .. } = &env else {
        panic!()
    };
    assert_eq!(blocks.len(), 1);
    let loose = loose_texts(&env);
    assert_eq!(loose.len(), 2);
    assert!(loose[0].contains("before PGP block") && !loose[0].contains("after"));
    assert!(loose[1].contains("after PGP block"));
}

#[test]
fn gpgol_internal_mime_structure_is_opened() {
    let raw = read("kde-mimetreeparser/internal-pgpencrypted-mime.eml");
    let Envelope::PgpMime { ciphertext, .. } = classify(&raw, &MailLimits::default()).unwrap()
    else {
        panic!()
    };
    assert!(ciphertext.starts_with(b"-----BEGIN PGP MESSAGE-----"));
}

#[test]
fn polish_latin2_html_decodes() {
    let raw = read("thunderbird/tb19-enigmail_iso-8859-2_charset_8bit.eml");
    let c = parse_content(&raw, &MailLimits::default()).unwrap();
    let text = c.html_as_text.unwrap();
    assert!(!text.contains('\u{fffd}'));
}
