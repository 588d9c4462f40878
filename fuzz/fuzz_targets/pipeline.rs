//! Raw bytes → the whole per-message decision (open, parse, split): a split or a coded rejection,
//! never a panic (invariant 4). Keyed with fuzz/keys/intake-test-only.key so seeds can decrypt.
#![no_main]

use std::sync::OnceLock;

use chrono::NaiveDate;
use libfuzzer_sys::fuzz_target;
use sygnal::config::Limits;
use sygnal::intake::open_and_split;
use sygnal::openpgp::{parse_secret_key, IntakeKeyring};

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
    let limits = Limits {
        max_plaintext_bytes: 1 << 22,
        ..Limits::default()
    };
    let date = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default();
    if let Err(rejection) = open_and_split(data, keyring(), &limits, date) {
        assert!(!rejection.code.is_empty());
    }
});
