//! Logging set-up. Log events carry case numbers, ids, counts and codes only: never an address,
//! subject, body or file name (invariant 2).

mod metrics;

pub use metrics::{metrics, ImapSession, Metrics};

use std::io::IsTerminal;

use tracing_subscriber::EnvFilter;

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum LogFormat {
    /// One line of text per event; without timestamps when stderr is the systemd journal
    /// (which stamps every line itself).
    #[default]
    Plain,
    /// One JSON object per line (`timestamp`, `level`, `message` and the event's fields), for
    /// log collectors.
    Json,
}

/// Starts logging to stderr in `format`. `SYGNAL_LOG` sets sygnal's own level (default
/// `info`); libraries stay at `warn` whatever is asked, because protocol and SQL tracing at
/// lower levels could print message bytes.
pub fn init(format: LogFormat) {
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
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false);
    let _ = match format {
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
        LogFormat::Plain if stderr_is_the_journal() => {
            builder.without_time().with_ansi(false).try_init()
        }
        LogFormat::Plain => builder
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
    };
}

/// Whether stderr is the systemd journal's stream: systemd names it in `JOURNAL_STREAM`
/// (`device:inode`) for a service whose output goes there.
fn stderr_is_the_journal() -> bool {
    let Some(named) = std::env::var_os("JOURNAL_STREAM") else {
        return false;
    };
    let Ok(stat) = rustix::fs::fstat(std::io::stderr()) else {
        return false;
    };
    journal_stream_is(&named.to_string_lossy(), stat.st_dev, stat.st_ino)
}

fn journal_stream_is(named: &str, dev: u64, ino: u64) -> bool {
    named
        .split_once(':')
        .and_then(|(d, i)| Some((d.parse::<u64>().ok()?, i.parse::<u64>().ok()?)))
        == Some((dev, ino))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_stream_systemd_names_counts_as_the_journal() {
        assert!(journal_stream_is("8:12345", 8, 12345));
        assert!(!journal_stream_is("8:12345", 8, 12346));
        assert!(!journal_stream_is("8:", 8, 0));
        assert!(!journal_stream_is("", 0, 0));
    }
}
