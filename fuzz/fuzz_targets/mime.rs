//! Bytes → the MIME stages alone (envelope classification, content parsing) under the default
//! limits: never a panic (invariant 4).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sygnal::config::Limits;
use sygnal::intake::mail_limits;
use sygnal::mail::content::parse_content;
use sygnal::mail::envelope::classify;

fuzz_target!(|data: &[u8]| {
    let limits = mail_limits(&Limits::default());
    let _ = classify(data, &limits);
    let _ = parse_content(data, &limits);
});
