//! Bytes → the MIME stages alone (envelope classification, content parsing) under the default
//! limits: never a panic (invariant 4).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sygnal::config::Limits;
use sygnal::intake::mail_limits;
use sygnal::mail::content::parse_content;
use sygnal::mail::envelope::classify;

/// sygnal catches panics from its parsers on purpose (`catch_unwind` in mail and openpgp) and
/// turns them into rejections; libfuzzer-sys's hook would abort on those too. Its own
/// `catch_unwind` around this target still aborts on any panic that escapes sygnal.
fn quiet_caught_panics() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| std::panic::set_hook(Box::new(|_| {})));
}

fuzz_target!(|data: &[u8]| {
    quiet_caught_panics();
    let limits = mail_limits(&Limits::default());
    let _ = classify(data, &limits);
    let _ = parse_content(data, &limits);
});
