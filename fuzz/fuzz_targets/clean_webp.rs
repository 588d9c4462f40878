//! Fuzz target: the WebP cleaner on arbitrary bytes, run directly (no worker thread, no
//! catch_unwind) so a panic or a hang in it or in the parser it wraps is found (invariant 4).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sygnal::clean::{clean_format, CleanLimits, Format};

fuzz_target!(|data: &[u8]| {
    let _ = clean_format(Format::WebP, data, &CleanLimits::default());
});
