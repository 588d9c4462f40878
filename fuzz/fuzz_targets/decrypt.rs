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

/// sygnal catches panics from its parsers on purpose (`catch_unwind` in mail and openpgp) and
/// turns them into rejections; libfuzzer-sys's hook would abort on those too. Its own
/// `catch_unwind` around this target still aborts on any panic that escapes sygnal.
fn quiet_caught_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|_| {})));
}

fuzz_target!(|data: &[u8]| {
    quiet_caught_panics();
    let limits = OpenLimits {
        max_plaintext_bytes: 1 << 22,
        ..OpenLimits::default()
    };
    if let Ok(opened) = open(keyring(), data, &[], &limits) {
        assert!(opened.plaintext.len() <= limits.max_plaintext_bytes);
    }
});
