//! Bytes → the decrypt stage alone (armored or binary OpenPGP): plaintext only after integrity
//! was checked, errors otherwise, never a panic (invariants 3 and 4).
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use sygnal::openpgp::{open, parse_secret_key, IntakeKeyring, OpenLimits};

fn keyring() -> &'static IntakeKeyring {
    static KEYRING: OnceLock<IntakeKeyring> = OnceLock::new();
    KEYRING.get_or_init(|| {
        let key = parse_secret_key(include_bytes!("../keys/intake-test-only.key"));
        IntakeKeyring::new(key.into_iter().collect())
    })
}

fuzz_target!(|data: &[u8]| {
    let limits = OpenLimits {
        max_plaintext_bytes: 1 << 22,
        ..OpenLimits::default()
    };
    if let Ok(opened) = open(keyring(), data, &[], &limits) {
        assert!(opened.plaintext.len() <= limits.max_plaintext_bytes);
    }
});
