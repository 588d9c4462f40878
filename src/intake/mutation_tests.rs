//! A bounded, deterministic fuzz pass inside `cargo test` (invariants 3 and 4): the corpus and
//! messages encrypted to a generated intake key, mutated with a fixed seed, fed to the whole
//! pipeline and to the decrypt and MIME stages alone. Nothing may panic; every input ends in a
//! split or a coded rejection; a report that came out of a mutated ciphertext carries the
//! original plaintext or nothing. The open-ended fuzzers live in fuzz/ (scripts/fuzz).

use std::io::Write as _;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use rand::rngs::StdRng;
use rand::{Rng as _, SeedableRng as _};
use sequoia_openpgp::policy::StandardPolicy;
use sequoia_openpgp::serialize::stream::{Armorer, Encryptor, LiteralWriter, Message};
use sequoia_openpgp::Cert;

use super::process::open_and_split;
use crate::config::Limits;
use crate::mail::content::parse_content;
use crate::mail::envelope::classify;
use crate::openpgp::{generate_intake_key, open, IntakeKeyring, KeyAlgorithm, OpenLimits};

/// Mutated inputs per seed message; with ~70 seeds this is some 7,000 runs (seconds).
const ROUNDS: usize = 80;
const SEED: u64 = 0x5359_474e_414c;

fn corpus() -> Vec<Vec<u8>> {
    let mut files = Vec::new();
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    collect(&root.join("tests/corpus"), &mut files);
    collect(&root.join("tests/fuzz-regressions"), &mut files);
    files.sort();
    let seeds: Vec<Vec<u8>> = files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "eml" || e == "txt"))
        .map(|p| std::fs::read(p).unwrap())
        .collect();
    assert!(seeds.len() > 20, "corpus missing: {} files", seeds.len());
    seeds
}

fn collect(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            collect(&p, out);
        } else {
            out.push(p);
        }
    }
}

fn encrypt(to: &Cert, plaintext: &[u8], armor: bool) -> Vec<u8> {
    let p = StandardPolicy::new();
    let recipients = to
        .keys()
        .with_policy(&p, None)
        .supported()
        .alive()
        .revoked(false)
        .for_transport_encryption();
    let mut sink = Vec::new();
    {
        let message = Message::new(&mut sink);
        let message = if armor {
            Armorer::new(message).build().unwrap()
        } else {
            message
        };
        let message = Encryptor::for_recipients(message, recipients)
            .build()
            .unwrap();
        let mut w = LiteralWriter::new(message).build().unwrap();
        w.write_all(plaintext).unwrap();
        w.finalize().unwrap();
    }
    sink
}

fn pgp_mime(armored: &[u8]) -> Vec<u8> {
    let mut m = b"From: R <r@example.net>\r\nTo: s@example.org\r\nSubject: ...\r\nMIME-Version: 1.0\r\n\
        Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"b\"\r\n\r\n\
        --b\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n\r\n\
        --b\r\nContent-Type: application/octet-stream\r\n\r\n"
        .to_vec();
    m.extend_from_slice(armored);
    m.extend_from_slice(b"\r\n--b--\r\n");
    m
}

/// One random edit of the kinds libFuzzer makes: flip, set, insert, delete, duplicate, truncate,
/// splice from another input.
fn mutate(rng: &mut StdRng, input: &[u8], other: &[u8]) -> Vec<u8> {
    let mut v = input.to_vec();
    let edits = rng.gen_range(1..=4);
    for _ in 0..edits {
        let len = v.len();
        if len == 0 {
            v.extend_from_slice(&other[..other.len().min(64)]);
            continue;
        }
        let at = rng.gen_range(0..len);
        match rng.gen_range(0..7) {
            0 => v[at] ^= 1 << rng.gen_range(0..8),
            1 => {
                v[at] = *b"\0\r\n-=:;\"<>\xff"
                    .get(rng.gen_range(0..12))
                    .unwrap_or(&0)
            }
            2 => {
                let n = rng.gen_range(1..64);
                let bytes: Vec<u8> = (0..n).map(|_| rng.gen()).collect();
                v.splice(at..at, bytes);
            }
            3 => {
                let end = (at + rng.gen_range(1..256)).min(len);
                v.drain(at..end);
            }
            4 => {
                let end = (at + rng.gen_range(1..512)).min(len);
                let chunk = v[at..end].to_vec();
                v.splice(at..at, chunk);
            }
            5 => v.truncate(at),
            _ => {
                if !other.is_empty() {
                    let from = rng.gen_range(0..other.len());
                    let end = (from + rng.gen_range(1..1024)).min(other.len());
                    v.splice(at..at, other[from..end].iter().copied());
                }
            }
        }
    }
    v
}

fn run_pipeline(keyring: &IntakeKeyring, limits: &Limits, input: &[u8]) -> Option<String> {
    let result = catch_unwind(AssertUnwindSafe(|| {
        open_and_split(input, keyring, limits, "2026-11-23".parse().unwrap())
    }));
    match result {
        Err(_) => panic!(
            "pipeline panicked on a {}-byte input (first bytes {:?})",
            input.len(),
            String::from_utf8_lossy(&input[..input.len().min(120)])
        ),
        Ok(Ok(split)) => Some(split.report.body.clone().unwrap_or_default()),
        Ok(Err(rejection)) => {
            assert!(
                !rejection.code.is_empty()
                    && rejection
                        .code
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b == b'-' || b.is_ascii_digit()),
                "rejection without a stable code: {rejection:?}"
            );
            None
        }
    }
}

#[test]
fn mutated_corpus_and_ciphertexts_never_panic_and_never_yield_altered_plaintext() {
    let intake = generate_intake_key("Intake <i@example.org>", KeyAlgorithm::Cv25519).unwrap();
    let keyring = IntakeKeyring::new(vec![intake.clone()]);
    let limits = Limits {
        max_plaintext_bytes: 1 << 20,
        ..Limits::default()
    };
    let mail_limits = super::process::mail_limits(&limits);
    let open_limits = OpenLimits {
        max_plaintext_bytes: 1 << 20,
        ..OpenLimits::default()
    };
    let mut rng = StdRng::seed_from_u64(SEED);

    let token = "TOKEN-7f3a9c";
    let inner = format!(
        "Content-Type: multipart/mixed; boundary=\"i\"\r\n\r\n--i\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
         Zgloszenie {token}: faktury.\r\n--i\r\nContent-Type: application/pdf\r\n\
         Content-Disposition: attachment; filename=\"a.pdf\"\r\nContent-Transfer-Encoding: base64\r\n\r\n\
         JVBERi0xLjQKJcfsj6IK\r\n--i--\r\n"
    );
    let armored = encrypt(&intake, inner.as_bytes(), true);
    let binary = encrypt(&intake, inner.as_bytes(), false);
    let encrypted_mail = pgp_mime(&armored);
    assert_eq!(
        run_pipeline(&keyring, &limits, &encrypted_mail).map(|b| b.contains(token)),
        Some(true),
        "the unmutated seed must be filed"
    );

    let mut seeds = corpus();
    seeds.push(encrypted_mail.clone());
    let mut runs = 0usize;
    let mut filed_from_mutated_ciphertext = 0usize;
    for i in 0..seeds.len() {
        let other = seeds[(i * 7 + 3) % seeds.len()].clone();
        // The seed itself first: crash inputs saved under tests/corpus/ replay here.
        run_pipeline(&keyring, &limits, &seeds[i]);
        for _ in 0..ROUNDS {
            let input = mutate(&mut rng, &seeds[i], &other);
            run_pipeline(&keyring, &limits, &input);
            // The MIME stages alone, on the same bytes.
            let stage = catch_unwind(AssertUnwindSafe(|| {
                let _ = classify(&input, &mail_limits);
                let _ = parse_content(&input, &mail_limits);
            }));
            assert!(stage.is_ok(), "MIME stage panicked");
            runs += 1;
        }
    }

    // The decrypt stage alone, on mutated ciphertext: plaintext only if it is the original.
    for round in 0..(ROUNDS * 10) {
        let seed = if round % 2 == 0 { &armored } else { &binary };
        let input = mutate(&mut rng, seed, &binary);
        let opened = catch_unwind(AssertUnwindSafe(|| {
            open(&keyring, &input, &[], &open_limits)
        }))
        .unwrap_or_else(|_| panic!("decrypt panicked on a {}-byte input", input.len()));
        if let Ok(opened) = opened {
            assert_eq!(
                &opened.plaintext[..],
                inner.as_bytes(),
                "a mutated ciphertext decrypted to altered plaintext"
            );
            filed_from_mutated_ciphertext += 1;
        }
        // And inside a message: a report comes out whole or not at all.
        if let Some(body) = run_pipeline(&keyring, &limits, &pgp_mime(&input)) {
            assert!(
                body.contains(token),
                "a report with altered content was filed"
            );
        }
        runs += 2;
    }
    assert!(runs > 2_000, "only {runs} runs");
    // Most mutations must break the ciphertext; a handful (armor whitespace, key IDs) may not.
    assert!(
        filed_from_mutated_ciphertext < ROUNDS * 5,
        "{filed_from_mutated_ciphertext}"
    );
}

/// Found by scripts/fuzz (pipeline): mail-parser's `debug_assert!` on a part it cannot place.
/// Debug builds: caught and quarantined as unparseable; release builds: the assertion is gone.
/// Either way a decision, never a crash.
#[test]
fn fuzz_regression_mail_parser_debug_assert_is_a_decision_not_a_crash() {
    let raw = std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fuzz-regressions/mail-parser-debug-assert-multipart-offset.eml"),
    )
    .unwrap();
    let intake = generate_intake_key("Intake <i@example.org>", KeyAlgorithm::Cv25519).unwrap();
    let keyring = IntakeKeyring::new(vec![intake]);
    let result = catch_unwind(AssertUnwindSafe(|| {
        open_and_split(
            &raw,
            &keyring,
            &Limits::default(),
            "2026-11-23".parse().unwrap(),
        )
    }))
    .expect("a panic escaped the pipeline");
    if cfg!(debug_assertions) {
        assert_eq!(
            result.err().map(|r| r.code),
            Some("mime-unparseable".to_owned())
        );
    }
}

/// Found by scripts/fuzz (decrypt): a damaged SEIPD packet makes Sequoia 2.4.2 panic on an
/// `unwrap()` while it consumes the MDC header (release builds too). The decrypt stage must turn
/// it into an error, and the pipeline into a quarantine decision, with no plaintext.
#[test]
fn fuzz_regression_sequoia_mdc_unwrap_is_an_error_not_a_crash() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let ciphertext =
        std::fs::read(root.join("tests/fuzz-regressions/sequoia-mdc-header-unwrap.pgp")).unwrap();
    // The key the fuzzer used (a throwaway test key), so decryption reaches the damaged packet.
    let key = crate::openpgp::parse_secret_key(
        &std::fs::read(root.join("fuzz/keys/intake-test-only.key")).unwrap(),
    )
    .unwrap();
    let keyring = IntakeKeyring::new(vec![key]);
    let opened = catch_unwind(AssertUnwindSafe(|| {
        open(&keyring, &ciphertext, &[], &OpenLimits::default())
    }))
    .expect("a panic escaped the decrypt stage");
    assert!(opened.is_err(), "damaged ciphertext yielded plaintext");

    let armored =
        sequoia_openpgp::armor::Writer::new(Vec::new(), sequoia_openpgp::armor::Kind::Message)
            .and_then(|mut w| {
                w.write_all(&ciphertext)?;
                w.finalize()
            })
            .unwrap();
    let result = catch_unwind(AssertUnwindSafe(|| {
        open_and_split(
            &pgp_mime(&armored),
            &keyring,
            &Limits::default(),
            "2026-11-23".parse().unwrap(),
        )
    }))
    .expect("a panic escaped the pipeline");
    assert!(result.is_err(), "a damaged ciphertext was filed");
}

/// The parsers' panics above are survived only by unwinding into `catch_unwind`: a build with
/// `panic = "abort"` would let one hostile message crash the gateway on every restart.
#[test]
fn builds_keep_unwinding_so_parser_panics_stay_caught() {
    let manifest = include_str!("../../Cargo.toml");
    assert!(
        !manifest.replace(' ', "").contains("panic=\"abort\""),
        "Cargo.toml sets panic = \"abort\": parser panics would take the gateway down"
    );
}
