//! What a drain did, in counts: the only summary of intake that reaches the log. No content.

/// Counts from one or more drains. No content.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct DrainReport {
    /// Cases filed.
    pub filed: usize,
    /// Messages quarantined.
    pub quarantined: usize,
    /// Messages recognised as taken before (copy deleted, nothing filed twice).
    pub recognised: usize,
    /// Server copies deleted.
    pub deleted: usize,
    /// Messages left on the server (too large, or cannot be deleted safely).
    pub left: usize,
    /// Messages whose fetch failed this time (no body, wrong size): tried again next pass.
    pub skipped: usize,
    /// The largest peak resident set of an intake worker, in KiB.
    pub worker_peak_kib: u64,
}

impl DrainReport {
    pub(crate) fn add(&mut self, o: &DrainReport) {
        self.filed += o.filed;
        self.quarantined += o.quarantined;
        self.recognised += o.recognised;
        self.deleted += o.deleted;
        self.left += o.left;
        self.skipped += o.skipped;
        self.worker_peak_kib = self.worker_peak_kib.max(o.worker_peak_kib);
    }

    pub(crate) fn log(&self) {
        if self != &DrainReport::default() {
            tracing::info!(
                filed = self.filed,
                quarantined = self.quarantined,
                recognised = self.recognised,
                deleted = self.deleted,
                left_on_server = self.left,
                skipped = self.skipped,
                worker_peak_kib = self.worker_peak_kib,
                "MailboxDrained"
            );
        }
    }
}
