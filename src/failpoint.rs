//! Failpoints for crash tests. Built only with the `failpoints` feature (the integration tests
//! turn it on through a dev-dependency on this crate): `SYGNAL_FAILPOINT=<name>` then makes the
//! process announce the point on stderr and block, so a test can SIGKILL it exactly there. A
//! release binary has no failpoints and reads no such variable.

/// Every failpoint of intake, in pipeline order per batch: after the batch's one fetch, in a
/// worker (`opened`, `sealed`: a child process of the gateway), before the batch's
/// transaction, inside it after its first filing (`mid-commit`), after it commits, between
/// the batch's `UID STORE` and its `UID EXPUNGE`, and after each.
pub const FAILPOINTS: &[&str] = &[
    "fetched",
    "opened",
    "sealed",
    "before-commit",
    "mid-commit",
    "committed",
    "flagged-deleted",
    "expunged",
    "deletion-recorded",
];

/// Failpoints of `keys reseal` (each batch): before its commit and right after it.
pub const RESEAL_FAILPOINTS: &[&str] = &["reseal-before-commit", "reseal-batch-committed"];

/// Blocks forever if `name` is the armed failpoint.
#[cfg(feature = "failpoints")]
pub fn hit(name: &'static str) {
    use std::io::Write;
    use std::sync::OnceLock;
    static ARMED: OnceLock<Option<String>> = OnceLock::new();
    let armed = ARMED
        .get_or_init(|| std::env::var("SYGNAL_FAILPOINT").ok())
        .as_deref();
    // With SYGNAL_FAILPOINT_WHILE=PATH the point holds only while PATH exists, so a test can
    // let the messages after the one it stopped pass (intake workers are fresh processes).
    let held = std::env::var_os("SYGNAL_FAILPOINT_WHILE")
        .is_none_or(|path| std::path::Path::new(&path).exists());
    if armed == Some(name) && held {
        // One write of the whole line: stderr is unbuffered, and workers held at the same
        // point write to the same pipe at once; a line written piece by piece would interleave
        // with theirs (up to PIPE_BUF bytes, one write is not split).
        let line = format!(
            "sygnal: failpoint {name} reached (pid {})\n",
            std::process::id()
        );
        let mut err = std::io::stderr().lock();
        let _ = err.write_all(line.as_bytes());
        let _ = err.flush();
        drop(err);
        loop {
            std::thread::sleep(std::time::Duration::from_secs(3600));
        }
    }
}

/// Without the `failpoints` feature: nothing.
#[cfg(not(feature = "failpoints"))]
#[inline(always)]
pub fn hit(_name: &'static str) {}
