//! Who a gateway process is among the replicas of one register, as written into the mailbox's
//! lease, whether a holder of this machine is gone (so its lease need not be waited out), and the
//! share of a deployment's mailboxes a process takes.

/// Who this gateway process is, as written into the lease.
#[derive(Debug, Clone)]
pub(crate) struct Replica {
    /// Unique among every process that ever held the lease.
    pub(crate) id: String,
    /// This machine and process namespace: a holder with the same one is a process we can see.
    machine: String,
}

impl Replica {
    pub(crate) fn new() -> Replica {
        let read = |p: &str| {
            std::fs::read_to_string(p)
                .map(|s| s.trim().to_owned())
                .unwrap_or_default()
        };
        // Host name, boot and PID namespace: a PID means the same process only within all three
        // (containers share a boot but not a PID namespace).
        let pid_ns = std::fs::read_link("/proc/self/ns/pid")
            .map(|p| p.display().to_string())
            .unwrap_or_default();
        let machine = format!(
            "host={} boot={} pidns={}",
            read("/proc/sys/kernel/hostname"),
            read("/proc/sys/kernel/random/boot_id"),
            pid_ns
        );
        let nonce: u32 = rand::random();
        Replica {
            id: format!("{machine} pid={} nonce={nonce:08x}", std::process::id()),
            machine,
        }
    }

    /// Whether `holder` is a process of this machine (and PID namespace) that no longer runs.
    /// Anything else (another machine, a PID we cannot check) is presumed alive: its lease is
    /// waited out, never cut short.
    pub(crate) fn holder_gone(&self, holder: &str) -> bool {
        let Some(rest) = holder.strip_prefix(&self.machine) else {
            return false;
        };
        let pid = rest
            .split_whitespace()
            .find_map(|f| f.strip_prefix("pid="))
            .and_then(|p| p.parse::<i32>().ok())
            .and_then(rustix::process::Pid::from_raw);
        match pid {
            Some(pid) => matches!(
                rustix::process::test_kill_process(pid),
                Err(rustix::io::Errno::SRCH)
            ),
            None => false,
        }
    }
}

/// The mailboxes a gateway process drains, shared among its tenants: it takes a free lease at
/// once while it holds fewer than `cap`, and past that only one nobody else took (so several
/// replicas split the tenants between them, and the survivors take all when some stop).
#[derive(Debug)]
pub struct Share {
    held: std::sync::atomic::AtomicUsize,
    cap: usize,
}

impl Share {
    /// `tenants` mailboxes split between `replicas` gateways.
    pub fn new(tenants: usize, replicas: usize) -> Share {
        Share {
            held: std::sync::atomic::AtomicUsize::new(0),
            cap: tenants.div_ceil(replicas.max(1)),
        }
    }

    /// Everything for one gateway (no split).
    pub fn whole() -> Share {
        Share::new(usize::MAX, 1)
    }

    /// Counts a lease about to be asked for, if the share has room for it.
    pub(super) fn reserve(&self) -> bool {
        use std::sync::atomic::Ordering::SeqCst;
        self.held
            .fetch_update(SeqCst, SeqCst, |n| (n < self.cap).then_some(n + 1))
            .is_ok()
    }

    /// Counts a lease taken past the share.
    pub(super) fn add(&self) {
        self.held.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    }

    /// A lease counted is no longer held (or was not got).
    pub(super) fn remove(&self) {
        let _ = self.held.fetch_update(
            std::sync::atomic::Ordering::SeqCst,
            std::sync::atomic::Ordering::SeqCst,
            |n| n.checked_sub(1),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::Replica;

    #[test]
    fn only_a_holder_of_this_machine_that_no_longer_runs_is_gone() {
        let me = Replica::new();
        assert!(!me.holder_gone(&me.id), "this process runs");
        // A process of this machine that has exited.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let pid = child.id();
        child.wait().unwrap();
        let dead = me.id.replace(
            &format!("pid={}", std::process::id()),
            &format!("pid={pid}"),
        );
        assert!(me.holder_gone(&dead), "{dead}");
        // The same PID on another machine (or in another container) is never presumed gone.
        let elsewhere = dead.replace("host=", "host=other-");
        assert!(!me.holder_gone(&elsewhere));
        assert!(!me.holder_gone("garbage"));
    }
}
