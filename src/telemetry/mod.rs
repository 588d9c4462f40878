//! Logging set-up. Log events carry case numbers, ids, counts and codes only: never an address,
//! subject, body or file name (invariant 2).

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// Starts logging to stderr. `SYGNAL_LOG` sets sygnal's own level (default `info`); libraries
/// stay at `warn` whatever is asked, because protocol and SQL tracing at lower levels could
/// print message bytes.
pub fn init() {
    let level = std::env::var("SYGNAL_LOG").unwrap_or_else(|_| "info".to_owned());
    let level = match level.as_str() {
        "error" | "warn" | "info" | "debug" | "trace" | "off" => level,
        _ => "info".to_owned(),
    };
    // The IMAP library logs whole protocol lines (LOGIN included) at trace: always off.
    let filter = EnvFilter::new(format!(
        "warn,sygnal={level},{}",
        crate::imap::LOG_DIRECTIVES.join(",")
    ));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .with_ansi(std::io::stderr().is_terminal())
        .try_init();
}

/// This process's peak resident set (VmHWM), in KiB; 0 where the kernel does not say.
pub fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
