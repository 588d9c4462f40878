//! The process's metrics for operators (Prometheus text, served by `sygnal run` when
//! `[operations] listen` is set). Counts, durations and codes only: no label can carry content,
//! an address or a case number (invariant 2); a quarantine's label is its reason code.

use std::collections::HashMap;
use std::sync::atomic::AtomicU64;
use std::sync::{LazyLock, Mutex, PoisonError};
use std::time::{Duration, Instant, SystemTime};

use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::{Registry, Unit};

type Label = [(&'static str, String); 1];

/// Every metric of the process, and when each mailbox was last drained (for `/health`).
pub struct Metrics {
    registry: Registry,
    filed: Counter,
    quarantined: Family<Label, Counter>,
    intake_seconds: Histogram,
    imap_connected: Gauge,
    last_drain: Gauge<f64, AtomicU64>,
    deletions_pending: Gauge,
    deadlines_overdue: Family<Label, Gauge>,
    started: Instant,
    /// Per tenant (None: the single-mailbox form), when its mailbox was last drained or, on a
    /// standby replica, last seen drained by another.
    watched: Mutex<HashMap<Option<String>, Instant>>,
}

/// The process's metrics.
pub fn metrics() -> &'static Metrics {
    static METRICS: LazyLock<Metrics> = LazyLock::new(Metrics::new);
    &METRICS
}

impl Metrics {
    fn new() -> Metrics {
        let mut registry = Registry::default();
        let filed = Counter::default();
        registry.register(
            "sygnal_messages_filed",
            "Reports and follow-ups filed as cases",
            filed.clone(),
        );
        let quarantined = Family::<Label, Counter>::default();
        registry.register(
            "sygnal_quarantined",
            "Messages put in quarantine, by reason code",
            quarantined.clone(),
        );
        // 5 ms to about 80 s.
        let intake_seconds = Histogram::new(exponential_buckets(0.005, 2.0, 15));
        registry.register_with_unit(
            "sygnal_intake",
            "From fetching a message to its server copy deleted",
            Unit::Seconds,
            intake_seconds.clone(),
        );
        let imap_connected = Gauge::default();
        registry.register(
            "sygnal_imap_connected",
            "Mailbox sessions open (one per tenant when all are connected)",
            imap_connected.clone(),
        );
        let last_drain = Gauge::<f64, AtomicU64>::default();
        registry.register_with_unit(
            "sygnal_last_drain_timestamp",
            "When a mailbox was last drained whole (the oldest of the tenants'), Unix time",
            Unit::Seconds,
            last_drain.clone(),
        );
        let deletions_pending = Gauge::default();
        registry.register(
            "sygnal_deletions_pending",
            "Server copies filed but not yet confirmed deleted",
            deletions_pending.clone(),
        );
        let deadlines_overdue = Family::<Label, Gauge>::default();
        registry.register(
            "sygnal_deadlines_overdue",
            "Open deadlines past their due date, by kind",
            deadlines_overdue.clone(),
        );
        Metrics {
            registry,
            filed,
            quarantined,
            intake_seconds,
            imap_connected,
            last_drain,
            deletions_pending,
            deadlines_overdue,
            started: Instant::now(),
            watched: Mutex::new(HashMap::new()),
        }
    }

    /// A report or follow-up filed.
    pub fn filed(&self) {
        self.filed.inc();
    }

    /// A message quarantined for `reason` (a reason code, never sender text). A code that is
    /// not one (a worker's answer crosses a process boundary) is counted as `other`, so a
    /// label can carry neither text nor an unbounded number of series.
    pub fn quarantined(&self, reason: &str) {
        let code = reason.len() <= 48
            && !reason.is_empty()
            && reason
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let label = if code { reason } else { "other" };
        self.quarantined
            .get_or_create(&[("reason", label.to_owned())])
            .inc();
    }

    /// A message's time from fetch to its server copy deleted.
    pub fn intake_took(&self, took: Duration) {
        self.intake_seconds.observe(took.as_secs_f64());
    }

    /// A mailbox session opened; it counts until the returned guard is dropped.
    pub fn imap_session(&self) -> ImapSession {
        self.imap_connected.inc();
        ImapSession(())
    }

    /// `tenant`'s mailbox drained whole just now.
    pub fn drained(&self, tenant: Option<&str>) {
        self.watch(tenant);
        let oldest = {
            let watched = self.watched.lock().unwrap_or_else(PoisonError::into_inner);
            watched.values().min().copied()
        };
        if let Some(oldest) = oldest {
            let at = SystemTime::now() - oldest.elapsed();
            let unix = at
                .duration_since(SystemTime::UNIX_EPOCH)
                .unwrap_or_default();
            self.last_drain.set(unix.as_secs_f64());
        }
    }

    /// `tenant`'s mailbox is another replica's to drain, and this one saw it held just now.
    pub fn standing_by(&self, tenant: Option<&str>) {
        self.watch(tenant);
    }

    fn watch(&self, tenant: Option<&str>) {
        self.watched
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(tenant.map(str::to_owned), Instant::now());
    }

    /// How long since `tenant`'s mailbox was drained (or watched while standing by); since the
    /// process started if never.
    pub fn since_drained(&self, tenant: Option<&str>) -> Duration {
        let watched = self.watched.lock().unwrap_or_else(PoisonError::into_inner);
        watched
            .get(&tenant.map(str::to_owned))
            .copied()
            .unwrap_or(self.started)
            .elapsed()
    }

    /// The Prometheus text of every metric, with the register's gauges as given.
    pub fn render(&self, deletions_pending: u64, overdue: &[(&'static str, u64)]) -> String {
        self.deletions_pending
            .set(i64::try_from(deletions_pending).unwrap_or(i64::MAX));
        for (kind, count) in overdue {
            self.deadlines_overdue
                .get_or_create(&[("kind", (*kind).to_owned())])
                .set(i64::try_from(*count).unwrap_or(i64::MAX));
        }
        let mut text = String::new();
        // Writing into a String cannot fail.
        let _ = encode(&mut text, &self.registry);
        text
    }
}

/// An open mailbox session, counted in `sygnal_imap_connected` while it lives.
pub struct ImapSession(());

impl Drop for ImapSession {
    fn drop(&mut self) {
        metrics().imap_connected.dec();
    }
}

#[cfg(test)]
mod tests {
    use super::metrics;

    #[test]
    fn a_quarantine_reason_that_is_not_a_code_is_counted_as_other() {
        metrics().quarantined("mime-unparseable");
        metrics().quarantined("Subject: Przetarg <jan@example.net>");
        let text = metrics().render(0, &[]);
        assert!(text.contains("sygnal_quarantined_total{reason=\"mime-unparseable\"}"));
        assert!(text.contains("sygnal_quarantined_total{reason=\"other\"}"));
        assert!(!text.contains("example.net"), "{text}");
    }
}
