//! Invariant 4 through the real binary and Dovecot: messages are opened in intake workers, so a
//! worker killed from outside, one past its time and one past its memory each end as a coded
//! outcome, never as a gateway crash, and the report behind them is filed in the same run.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::support::dovecot::Dovecot;
use crate::support::gateway::{str_field, Setup, FAILPOINT_WAIT};
use crate::support::gnupg::{plain_mail, unique, Gpg, Report};

const TO: &str = "zgloszenia@urzad.example.org";

/// `run --once` with the worker failpoint `opened` held while a flag file exists; every
/// announcement (`... reached (pid N)`) is passed on with the worker's pid.
struct HeldRun {
    child: Child,
    pids: mpsc::Receiver<i32>,
    flag: PathBuf,
}

impl HeldRun {
    fn start(s: &Setup) -> HeldRun {
        let flag = s.gateway.dir().join("hold-opened");
        std::fs::write(&flag, b"").unwrap();
        let log = s.gateway.dir().join("logs").join(unique("held-run"));
        let mut child = s
            .gateway
            .command(&["run", "--once"])
            .env("SYGNAL_FAILPOINT", "opened")
            .env("SYGNAL_FAILPOINT_WHILE", &flag)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = child.stderr.take().unwrap();
        let (tx, pids) = mpsc::channel();
        std::thread::spawn(move || {
            use std::io::Write as _;
            let mut file = std::fs::File::create(log).unwrap();
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                let _ = writeln!(file, "{line}");
                if let Some(rest) = line.strip_prefix("sygnal: failpoint opened reached (pid ") {
                    let _ = tx.send(rest.trim_end_matches(')').parse().unwrap());
                }
            }
        });
        HeldRun { child, pids, flag }
    }

    /// The pid of the next worker that reached the failpoint.
    fn next_worker(&self, s: &Setup) -> i32 {
        self.pids
            .recv_timeout(FAILPOINT_WAIT)
            .unwrap_or_else(|_| panic!("no worker reached `opened`; logs:\n{}", s.gateway.logs()))
    }

    /// Lets every later worker pass the failpoint.
    fn release(&self) {
        std::fs::remove_file(&self.flag).unwrap();
    }

    fn finish(mut self, s: &Setup) {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(
                    status.success(),
                    "run failed: {status}; logs:\n{}",
                    s.gateway.logs()
                );
                return;
            }
            assert!(
                Instant::now() < deadline,
                "run did not end; logs:\n{}",
                s.gateway.logs()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

fn sigkill(pid: i32) {
    let status = std::process::Command::new("kill")
        .args(["-KILL", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success(), "kill -KILL {pid}");
}

fn report(token: &str) -> Vec<u8> {
    plain_mail(&Report {
        from: "Anna Nowak <anna.nowak@example.net>",
        to: TO,
        subject: "zgłoszenie",
        body: &format!("Treść zgłoszenia {token}\n"),
        attachment: None,
    })
}

fn encrypted_report(s: &Setup, token: &str) -> Vec<u8> {
    Gpg::new().encrypt_pgp_mime(
        &s.intake_cert,
        "Jan Kowalski <jan.kowalski@example.net>",
        TO,
        "zgłoszenie",
        &format!("Treść zaszyfrowana {token}\n"),
        None,
        None,
    )
}

/// The bodies of all filed cases, as the handler reads them.
fn bodies(s: &Setup) -> Vec<String> {
    s.gateway
        .case_numbers()
        .iter()
        .map(|n| {
            let case = s.gateway.show_case(n, &s.handler.key_file, None);
            str_field(&case, "body").to_owned()
        })
        .collect()
}

#[test]
fn a_worker_killed_mid_message_loses_nothing_and_the_message_is_filed_once() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let token = unique("KILLED");
    dovecot.append("INBOX", &encrypted_report(&s, &token));

    let run = HeldRun::start(&s);
    let worker = run.next_worker(&s);
    run.release();
    sigkill(worker);
    run.finish(&s);

    assert_eq!(dovecot.count("INBOX"), 0, "{}", s.gateway.logs());
    let bodies = bodies(&s);
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    assert!(bodies[0].contains(&token));
    assert!(s.gateway.quarantine_json().is_empty());
    let logs = s.gateway.logs();
    assert!(logs.contains("WorkerDied"), "{logs}");
    assert!(logs.contains("worker-killed"), "{logs}");
}

#[test]
fn a_message_that_kills_its_worker_three_times_is_kept_raw_and_the_next_is_filed() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let first = unique("FIRST");
    let next = unique("NEXT");
    dovecot.append("INBOX", &encrypted_report(&s, &first));
    dovecot.append("INBOX", &report(&next));
    // One message per batch: every worker held at the failpoint is then the first message's.
    s.gateway.append_config("\n[intake]\nbatch-messages = 1\n");

    let run = HeldRun::start(&s);
    let mut killed = Vec::new();
    for round in 0..3 {
        let worker = run.next_worker(&s);
        assert!(!killed.contains(&worker), "a worker is used once");
        if round == 2 {
            run.release();
        }
        sigkill(worker);
        killed.push(worker);
    }
    run.finish(&s);

    assert_eq!(dovecot.count("INBOX"), 0, "{}", s.gateway.logs());
    let q = s.gateway.quarantine_json();
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(str_field(&q[0], "reason"), "worker-killed");
    assert_eq!(str_field(&q[0], "state"), "held");
    assert!(str_field(&q[0], "detail").contains("3 attempt(s)"), "{q:?}");
    let filed = bodies(&s);
    assert_eq!(filed.len(), 1, "{filed:?}");
    assert!(filed[0].contains(&next));

    // Kept raw, not lost: a custodian's retry files it.
    let out = s.gateway.quarantine_retry(None, &s.custodian.key_file);
    assert!(out.status.success(), "{out:?}");
    let filed = bodies(&s);
    assert_eq!(filed.len(), 2);
    assert!(filed.iter().any(|b| b.contains(&first)));
}

#[test]
fn a_worker_past_its_time_is_stopped_and_its_message_quarantined_as_worker_timeout() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    s.gateway
        .append_config("[limits]\nmessage-timeout-secs = 2\n");
    // One message per batch: only the slow message's worker is held.
    s.gateway.append_config("\n[intake]\nbatch-messages = 1\n");
    let next = unique("NEXT");
    dovecot.append("INBOX", &report(&unique("SLOW")));
    dovecot.append("INBOX", &report(&next));

    let run = HeldRun::start(&s);
    let worker = run.next_worker(&s);
    run.release();
    run.finish(&s);

    // The stopped worker is gone, not left running.
    assert!(
        !PathBuf::from(format!("/proc/{worker}")).exists(),
        "worker {worker} still runs"
    );
    let q = s.gateway.quarantine_json();
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(str_field(&q[0], "reason"), "worker-timeout");
    let filed = bodies(&s);
    assert_eq!(filed.len(), 1);
    assert!(filed[0].contains(&next));
}

#[test]
fn a_worker_past_its_memory_ends_as_worker_out_of_memory_and_intake_goes_on() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    // The plaintext cap is lifted so that only the worker's address space stops it.
    s.gateway.append_config(
        "[limits]\nmax-plaintext-bytes = 4294967296\nworker-memory-bytes = 134217728\n",
    );
    let reporter = Gpg::new();
    let rcpt = reporter.import(&s.intake_cert);
    let zeros = vec![0u8; 512 << 20];
    let bomb = reporter.encrypt(
        &[&rcpt[0]],
        &zeros,
        true,
        None,
        &["--compress-algo", "zlib", "-z", "9"],
    );
    drop(zeros);
    dovecot.append(
        "INBOX",
        &plain_mail(&Report {
            from: "B <b@example.net>",
            to: TO,
            subject: "bomb",
            body: &String::from_utf8_lossy(&bomb),
            attachment: None,
        }),
    );
    let next = unique("NEXT");
    dovecot.append("INBOX", &report(&next));

    s.gateway.run_once();
    assert_eq!(dovecot.count("INBOX"), 0, "{}", s.gateway.logs());
    let q = s.gateway.quarantine_json();
    assert_eq!(q.len(), 1, "{q:?}");
    assert_eq!(str_field(&q[0], "reason"), "worker-out-of-memory", "{q:?}");
    let filed = bodies(&s);
    assert_eq!(filed.len(), 1);
    assert!(filed[0].contains(&next));
}

/// Issue 19: a batch is fetched with one `UID FETCH`, decided by workers in parallel that each
/// serve several messages, and deleted with one `UID STORE` and one `UID EXPUNGE`; batches are
/// cut at `intake.batch-messages`, and every report is filed once.
#[test]
fn a_batch_is_fetched_and_deleted_in_one_command_each_and_decided_by_reused_workers_in_parallel() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    s.gateway
        .append_config("\n[intake]\nworkers = 2\nbatch-messages = 4\n");
    let tokens: Vec<String> = (0..6).map(|i| unique(&format!("BATCH{i}-"))).collect();
    for (i, token) in tokens.iter().enumerate() {
        let mail = if i % 2 == 0 {
            encrypted_report(&s, token)
        } else {
            report(token)
        };
        dovecot.append("INBOX", &mail);
    }
    s.gateway.run_once();
    assert_eq!(dovecot.count("INBOX"), 0, "logs:\n{}", s.gateway.logs());
    let logs = s.gateway.logs();
    let lines = |what: &str| -> Vec<&str> { logs.lines().filter(|l| l.contains(what)).collect() };
    let fetches = lines("IMAP messages fetched");
    assert_eq!(fetches.len(), 2, "two batches of at most 4: {fetches:?}");
    assert!(fetches[0].contains("messages=4") && fetches[1].contains("messages=2"));
    let expunges = lines("IMAP messages expunged");
    assert_eq!(expunges.len(), 2, "one expunge per batch: {expunges:?}");
    assert!(expunges[0].contains("messages=4"));
    let handed = lines("MessageHandedToWorker");
    assert_eq!(handed.len(), 6, "each message to a worker once: {handed:?}");
    let mut pids: Vec<&str> = handed
        .iter()
        .filter_map(|l| l.split("worker=").nth(1))
        .map(|p| p.split_whitespace().next().unwrap_or(p))
        .collect();
    pids.sort_unstable();
    pids.dedup();
    assert_eq!(
        pids.len(),
        2,
        "two workers, each serving several messages: {handed:?}"
    );

    let filed = bodies(&s);
    assert_eq!(filed.len(), 6, "six cases");
    for token in &tokens {
        let holders = filed.iter().filter(|b| b.contains(token.as_str())).count();
        assert_eq!(holders, 1, "token {token} in {holders} cases");
    }
}

/// Workers a batch cannot keep busy are let go (a lone large message runs beside one worker,
/// not beside a second that only holds memory); the next larger batch starts them again.
#[test]
fn a_batch_of_one_message_runs_beside_one_worker_and_the_next_batch_starts_the_second_again() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    s.gateway
        .append_config("\n[intake]\nworkers = 2\nbatch-messages = 2\nbatch-bytes = 6000\n");
    // Batches: two small reports, the large one alone (past the batch's bytes), two small.
    let large = plain_mail(&Report {
        from: "Anna Nowak <anna.nowak@example.net>",
        to: TO,
        subject: "zgłoszenie",
        body: &format!("{} {}\n", unique("LARGE-"), "długi opis ".repeat(800)),
        attachment: None,
    });
    assert!(large.len() > 6000);
    for i in 0..5 {
        let mail = if i == 2 {
            large.clone()
        } else {
            report(&unique(&format!("SMALL{i}-")))
        };
        dovecot.append("INBOX", &mail);
    }
    s.gateway.run_once();
    assert_eq!(dovecot.count("INBOX"), 0, "logs:\n{}", s.gateway.logs());
    let logs = s.gateway.logs();
    let lines = |what: &str| -> Vec<&str> { logs.lines().filter(|l| l.contains(what)).collect() };
    let fetched: Vec<&str> = lines("IMAP messages fetched");
    assert_eq!(fetched.len(), 3, "{fetched:?}");
    assert!(fetched[1].contains("messages=1"), "{fetched:?}");
    assert_eq!(
        lines("IdleWorkersLetGo").len(),
        1,
        "the large message's batch lets the second worker go: {logs}"
    );
    // Two for the first batch, one again for the last: a worker runs only where a batch can
    // keep it busy.
    assert_eq!(lines("WorkerStarted").len(), 3, "{logs}");
    assert_eq!(lines("MessageHandedToWorker").len(), 5);
    assert_eq!(bodies(&s).len(), 5);
}

/// The gateway and its workers run with glibc mapping large buffers apart, so a large
/// message's memory goes back to the system when it is freed; the worker gets that and nothing
/// else from the environment (passphrases live there).
#[test]
fn gateway_and_workers_give_large_buffers_back_and_workers_inherit_no_environment() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    dovecot.append("INBOX", &report(&unique("ENV-")));
    let mut gateway = s.gateway.spawn_with_failpoint("opened");
    let environ = |pid: u32| -> Vec<String> {
        let raw = std::fs::read(format!("/proc/{pid}/environ")).unwrap_or_default();
        raw.split(|b| *b == 0)
            .filter(|v| !v.is_empty())
            .map(|v| String::from_utf8_lossy(v).into_owned())
            .collect()
    };
    let tunables = "GLIBC_TUNABLES=glibc.malloc.mmap_threshold=262144";
    let gateway_env = environ(gateway.id());
    let logs = s.gateway.logs();
    let worker: u32 = logs
        .lines()
        .find_map(|l| l.split("failpoint opened reached (pid ").nth(1))
        .and_then(|rest| rest.trim_end_matches(')').trim().parse().ok())
        .unwrap_or_else(|| panic!("no worker pid in the logs:\n{logs}"));
    let worker_env = environ(worker);
    let _ = gateway.kill();
    let _ = gateway.wait();
    assert!(
        gateway_env.iter().any(|v| v == tunables),
        "the gateway restarted itself with the tunables: {gateway_env:?}"
    );
    assert!(
        gateway_env.iter().any(|v| v.starts_with("SYGNAL_")),
        "and kept the rest of its environment"
    );
    assert!(worker_env.iter().any(|v| v == tunables), "{worker_env:?}");
    let others: Vec<&String> = worker_env
        .iter()
        .filter(|v| *v != tunables && !v.starts_with("SYGNAL_FAILPOINT"))
        .collect();
    assert!(others.is_empty(), "the worker inherited {others:?}");
}
