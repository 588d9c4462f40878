//! Several gateway replicas on one PostgreSQL register and one mailbox: exactly one drains at a
//! time (the lease), another takes over when it dies or stalls, and a stalled one that wakes up
//! is fenced off. Real processes, real Dovecot, a real PostgreSQL cluster.

use std::process::Command;
use std::time::{Duration, Instant};

use rand::{Rng as _, SeedableRng as _};

use crate::faults::{assert_filed_once, deliver, tail, wait_for, Running};
use crate::support::dovecot::Dovecot;
use crate::support::gateway::{Gateway, Setup};

/// Long enough for the replicas to catch up after the last kill.
const CATCH_UP: Duration = Duration::from_secs(120);

fn replica_seed() -> u64 {
    std::env::var("SYGNAL_REPLICA_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_261_203)
}

/// Three replicas, reports arriving throughout, one replica SIGKILLed and restarted at random
/// moments (a seeded loop, 50 kills): every report is filed exactly once and the mailbox ends
/// empty.
#[test]
fn three_replicas_under_random_sigkills_file_every_report_once_and_empty_the_mailbox() {
    let seed = replica_seed();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let dovecot = Dovecot::start();
    let s = Setup::with_gateway(Gateway::on_postgres(&dovecot));
    let mut tokens = deliver(&dovecot, &s, 20, 1_000, 3);
    let mut replicas: Vec<Running> = (0..3)
        .map(|i| Running::start(&s.gateway, &format!("r{i}-start")))
        .collect();
    let mut kills = 0;
    while kills < 50 {
        std::thread::sleep(Duration::from_millis(rng.gen_range(20..300)));
        let i = rng.gen_range(0..replicas.len());
        let _ = replicas[i].child.kill();
        let _ = replicas[i].child.wait();
        kills += 1;
        replicas[i] = Running::start(&s.gateway, &format!("r{i}-after-kill-{kills:02}"));
        if kills % 10 == 0 {
            tokens.extend(deliver(&dovecot, &s, 8, 1_000, 3));
        }
    }
    wait_for(
        &s.gateway,
        "the replicas to empty the folder",
        CATCH_UP,
        || dovecot.count("INBOX") == 0,
    );
    for r in replicas {
        r.stop();
    }
    assert_eq!(dovecot.count("INBOX"), 0, "seed {seed}");
    let logs = s.gateway.logs();
    assert!(
        logs.contains("LeaseTakenOver"),
        "seed {seed}: no replica ever took over:\n{}",
        tail(&logs)
    );
    eprintln!(
        "replicas: seed {seed}, {} reports, {kills} kills, {} takeovers",
        tokens.len(),
        logs.matches("LeaseTakenOver").count()
    );
    assert_filed_once(&s, &tokens);
    s.gateway.run_ok(&["audit", "verify"]);
}

/// A replica that stalls while holding the lease (SIGSTOP: alive, silent) is waited out, not
/// cut short; another takes over once the lease lapses and files what arrives; the stalled one,
/// woken, finds its lease gone and deletes nothing more.
#[test]
fn a_stalled_replica_is_taken_over_after_its_lease_lapses_and_is_fenced_when_it_wakes() {
    let dovecot = Dovecot::start();
    let s = Setup::with_gateway(Gateway::on_postgres(&dovecot));
    let mut first = Running::start(&s.gateway, "first");
    let mut tokens = deliver(&dovecot, &s, 3, 200, 0);
    wait_for(&s.gateway, "the first replica to drain", CATCH_UP, || {
        dovecot.count("INBOX") == 0
    });
    let second = Running::start(&s.gateway, "second");
    std::thread::sleep(Duration::from_secs(1));
    let deleted_before_stall = first.log().matches("ServerCopyDeleted").count();
    signal(&first, "-STOP");
    let stalled_at = Instant::now();
    tokens.extend(deliver(&dovecot, &s, 3, 200, 0));
    wait_for(
        &s.gateway,
        "the second replica to take over",
        CATCH_UP,
        || dovecot.count("INBOX") == 0,
    );
    let waited = stalled_at.elapsed();
    assert!(
        waited >= Duration::from_secs(8),
        "a live holder's lease was cut short after {waited:?}"
    );
    assert!(second.log().contains("LeaseTakenOver"), "{}", second.log());
    signal(&first, "-CONT");
    tokens.extend(deliver(&dovecot, &s, 2, 200, 0));
    wait_for(
        &s.gateway,
        "the second replica to drain again",
        CATCH_UP,
        || dovecot.count("INBOX") == 0,
    );
    wait_for(&s.gateway, "the first replica to notice", CATCH_UP, || {
        first.log().contains("LeaseLost") || first.log().contains("StandbyReplica")
    });
    assert!(first.alive(), "{}", first.log());
    assert_eq!(
        first.log().matches("ServerCopyDeleted").count(),
        deleted_before_stall,
        "the fenced replica deleted under a lost lease:\n{}",
        first.log()
    );
    first.stop();
    second.stop();
    assert_filed_once(&s, &tokens);
}

fn signal(r: &Running, sig: &str) {
    let status = Command::new("kill")
        .args([sig, &r.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}
