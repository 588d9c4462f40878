//! Failpoints for crash tests: `SYGNAL_FAILPOINT=<name>` makes the process announce the point on
//! stderr and then block, so a test can SIGKILL it exactly there.

use std::io::Write;
use std::sync::OnceLock;
use std::time::Duration;

/// Every failpoint, in pipeline order per message.
pub const FAILPOINTS: &[&str] = &[
    "fetched",
    "opened",
    "sealed",
    "before-commit",
    "committed",
    "flagged-deleted",
    "expunged",
    "deletion-recorded",
];

/// Failpoints of `keys reseal` (each batch): before its commit and right after it.
pub const RESEAL_FAILPOINTS: &[&str] = &["reseal-before-commit", "reseal-batch-committed"];

fn armed() -> Option<&'static str> {
    static ARMED: OnceLock<Option<String>> = OnceLock::new();
    ARMED
        .get_or_init(|| std::env::var("SYGNAL_FAILPOINT").ok())
        .as_deref()
}

/// Blocks forever if `name` is the armed failpoint.
pub fn hit(name: &'static str) {
    if armed() == Some(name) {
        let mut err = std::io::stderr().lock();
        let _ = writeln!(err, "sygnal: failpoint {name} reached");
        let _ = err.flush();
        drop(err);
        loop {
            std::thread::sleep(Duration::from_secs(3600));
        }
    }
}
