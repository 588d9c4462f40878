//! Several gateway replicas on one PostgreSQL register and one mailbox: exactly one drains at a
//! time (the lease), another takes over when it dies or stalls, and a stalled one that wakes up
//! is fenced off. Real processes, real Dovecot, a real PostgreSQL cluster.

use std::process::Command;
use std::time::{Duration, Instant};

use rand::{Rng as _, SeedableRng as _};

use crate::faults::{assert_filed_once, deliver, tail, wait_for, Running};
use crate::support::dovecot::Dovecot;
use crate::support::gateway::{str_field, Gateway, Setup};
use crate::support::gnupg::{plain_mail, unique, Holder, Report};
use crate::support::postgres;

/// Long enough for the replicas to catch up after the last kill.
const CATCH_UP: Duration = Duration::from_secs(120);

fn replica_seed() -> u64 {
    std::env::var("SYGNAL_REPLICA_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_261_203)
}

/// A gateway folder with `n` tenants (`unit0`…), one Dovecot folder and one PostgreSQL
/// schema each, initialised, with one handler and one custodian serving all of them.
fn tenants_on_postgres(dovecot: &Dovecot, n: usize) -> (Gateway, Vec<String>, Holder) {
    let gw = Gateway::on_postgres(dovecot);
    let pg = postgres::cluster();
    let url = pg.url_file(gw.dir(), &pg.url());
    let mut config = format!(
        "[register]\ndriver = \"postgres\"\nurl-file = \"{}\"\n\n\
         [keys]\ndir = \"var/keys\"\nunprotected = true\n",
        url.display()
    );
    let names: Vec<String> = (0..n).map(|i| format!("unit{i}")).collect();
    for name in &names {
        config.push_str(&format!(
            "\n[tenants.{name}]\nschema = \"{}\"\n[tenants.{name}.mailbox]\n\
             host = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nusername = \"{}\"\n\
             password-file = \"imap.pass\"\nfolder = \"{name}\"\n",
            pg.fresh_schema(),
            dovecot.port,
            dovecot.user
        ));
        dovecot.create_folder(name);
    }
    gw.write_config(&config);
    // One handler and one custodian serve every unit (a shared-services centre).
    let handler = Holder::new("Hanna Handler", "hanna@centre.example.org");
    let custodian = Holder::new("Celina Custodian", "celina@centre.example.org");
    for name in &names {
        gw.set_tenant(Some(name));
        gw.forget_approver();
        gw.init();
        gw.add_custodian(&custodian);
        gw.add_handler(&handler);
    }
    gw.set_tenant(None);
    (gw, names, handler)
}

/// Three replicas started together over six mailboxes split them two each (`--replicas 3`):
/// the work is spread, not piled on whichever started first.
#[test]
fn replicas_split_the_mailboxes_between_them() {
    let dovecot = Dovecot::start();
    let (gw, names, _handler) = tenants_on_postgres(&dovecot, 6);
    let replicas: Vec<Running> = (0..3)
        .map(|i| Running::start_with(&gw, &format!("split{i}"), &["run", "--replicas", "3"]))
        .collect();
    let held = |r: &Running| {
        let log = r.log();
        names
            .iter()
            .filter(|n| {
                log.lines().any(|l| {
                    l.contains(&format!("name={n}}}"))
                        && (l.contains("LeaseHeld") || l.contains("LeaseTakenOver"))
                })
            })
            .count()
    };
    wait_for(
        &gw,
        "every mailbox to be held",
        Duration::from_secs(60),
        || replicas.iter().map(held).sum::<usize>() >= names.len(),
    );
    // Past the wait a replica over its share would take a free lease after.
    std::thread::sleep(Duration::from_secs(5));
    let counts: Vec<usize> = replicas.iter().map(held).collect();
    for r in replicas {
        r.stop();
    }
    assert_eq!(counts, vec![2, 2, 2], "{}", tail(&gw.logs()));
}

/// Ten mailboxes (tenants, one folder each) on one PostgreSQL database, three replicas each
/// draining all ten, reports arriving throughout, one replica SIGKILLed and restarted at random
/// moments (a seeded loop, 50 kills): every report is filed exactly once, in its own tenant, and
/// every mailbox ends empty.
#[test]
fn three_replicas_over_ten_mailboxes_under_random_sigkills_file_every_report_once() {
    const TENANTS: usize = 10;
    let seed = replica_seed();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let dovecot = Dovecot::start();
    let (gw, names, handler) = tenants_on_postgres(&dovecot, TENANTS);
    let mut sent: Vec<Vec<String>> = vec![Vec::new(); TENANTS];
    let mut deliver = |rng: &mut rand::rngs::StdRng, n: usize| {
        for _ in 0..n {
            let t = rng.gen_range(0..TENANTS);
            let token = unique(&format!("REP{t}-"));
            let raw = plain_mail(&Report {
                from: "R <r@example.net>",
                to: "zgloszenia@example.org",
                subject: "x",
                body: &format!("Report {token}.\n"),
                attachment: None,
            });
            dovecot.append(&names[t], &raw);
            sent[t].push(token);
        }
    };
    deliver(&mut rng, 30);
    let mut replicas: Vec<Running> = (0..3)
        .map(|i| Running::start_with(&gw, &format!("r{i}-start"), &["run", "--replicas", "3"]))
        .collect();
    let mut kills = 0;
    while kills < 50 {
        std::thread::sleep(Duration::from_millis(rng.gen_range(50..400)));
        let i = rng.gen_range(0..replicas.len());
        let _ = replicas[i].child.kill();
        let _ = replicas[i].child.wait();
        kills += 1;
        replicas[i] = Running::start_with(
            &gw,
            &format!("r{i}-after-kill-{kills:02}"),
            &["run", "--replicas", "3"],
        );
        if kills % 5 == 0 {
            deliver(&mut rng, 6);
        }
    }
    let total: usize = sent.iter().map(Vec::len).sum();
    wait_for(&gw, "the replicas to empty every folder", CATCH_UP, || {
        names.iter().all(|n| dovecot.count(n) == 0)
    });
    for r in replicas {
        r.stop();
    }
    let logs = gw.logs();
    assert!(
        logs.contains("LeaseTakenOver"),
        "seed {seed}: no replica ever took over:\n{}",
        tail(&logs)
    );
    for (name, tokens) in names.iter().zip(&sent) {
        gw.set_tenant(Some(name));
        let numbers = gw.case_numbers();
        assert_eq!(numbers.len(), tokens.len(), "seed {seed}, tenant {name}");
        assert!(
            gw.quarantine_json().is_empty(),
            "seed {seed}, tenant {name}"
        );
        let mut seen: Vec<String> = numbers
            .iter()
            .map(|n| {
                let case = gw.show_case(n, &handler.key_file, None);
                let body = str_field(&case, "body");
                let held: Vec<&String> = tokens
                    .iter()
                    .filter(|t| body.contains(t.as_str()))
                    .collect();
                assert_eq!(
                    held.len(),
                    1,
                    "seed {seed}: case {n} of {name} holds {} reports",
                    held.len()
                );
                held[0].clone()
            })
            .collect();
        seen.sort();
        seen.dedup();
        assert_eq!(
            seen.len(),
            tokens.len(),
            "seed {seed}, tenant {name}: filed twice or lost"
        );
        gw.run_ok(&["audit", "verify"]);
    }
    eprintln!(
        "replicas: seed {seed}, {TENANTS} mailboxes, {total} reports, {kills} kills, {} takeovers",
        logs.matches("LeaseTakenOver").count()
    );
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
