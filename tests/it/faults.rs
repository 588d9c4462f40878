//! Fault injection (invariant 1 under faults): the server stopped mid-batch, connections cut or
//! stalled mid-literal, a refused login, a renumbered folder, a register that is locked, full or
//! read-only, and a randomized SIGKILL loop. Each ends with every report filed exactly once (by a
//! token inside it, read back with the handler's key) and nothing left on the server.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rand::{Rng as _, SeedableRng as _};

use crate::support::dovecot::Dovecot;
use crate::support::gateway::{str_field, Gateway, Setup, EXIT_OK};
use crate::support::gnupg::{plain_mail, unique, Gpg, Report};
use crate::support::proxy::{Fault, Proxy};

const TO: &str = "zgloszenia@urzad.example.org";

/// How long a fault test waits for the gateway to catch up before failing.
const CATCH_UP: Duration = Duration::from_secs(90);

/// Appends `n` reports, each holding its own token and `pad` bytes of filler text; every
/// `encrypt_every`-th one (if non-zero) is a GnuPG inline-PGP message to the intake key, the rest
/// are plain. Returns the tokens.
pub(crate) fn deliver(
    dovecot: &Dovecot,
    s: &Setup,
    n: usize,
    pad: usize,
    encrypt_every: usize,
) -> Vec<String> {
    let reporter = Gpg::new();
    let filler: String = "Filler line so the message spans several network reads.\n"
        .repeat(pad / 57 + 1)
        .chars()
        .take(pad)
        .collect();
    (0..n)
        .map(|i| {
            let token = unique(&format!("FAULT{i}-"));
            let body = format!("Report with token {token}.\n{filler}");
            let raw = if encrypt_every != 0 && i % encrypt_every == 0 {
                reporter.encrypt_inline(&s.intake_cert, "R <r@example.net>", TO, "x", &body, None)
            } else {
                plain_mail(&Report {
                    from: "R <r@example.net>",
                    to: TO,
                    subject: "x",
                    body: &body,
                    attachment: None,
                })
            };
            dovecot.append("INBOX", &raw);
            token
        })
        .collect()
}

/// Every token filed in exactly one case, one case per token, nothing quarantined.
pub(crate) fn assert_filed_once(s: &Setup, tokens: &[String]) {
    let numbers = s.gateway.case_numbers();
    assert_eq!(
        numbers.len(),
        tokens.len(),
        "expected {} cases, found {}; logs:\n{}",
        tokens.len(),
        numbers.len(),
        tail(&s.gateway.logs())
    );
    let quarantined: Vec<_> = s
        .gateway
        .quarantine_json()
        .into_iter()
        .filter(|q| q["state"] != "filed")
        .collect();
    assert!(quarantined.is_empty(), "quarantined: {quarantined:?}");
    let mut seen = std::collections::HashMap::new();
    for n in &numbers {
        let case = s.gateway.show_case(n, &s.handler.key_file, None);
        let body = str_field(&case, "body");
        let held: Vec<&String> = tokens
            .iter()
            .filter(|t| body.contains(t.as_str()))
            .collect();
        assert_eq!(held.len(), 1, "case {n} holds {} reports", held.len());
        *seen.entry(held[0].clone()).or_insert(0) += 1;
    }
    for t in tokens {
        assert_eq!(
            seen.get(t),
            Some(&1),
            "token {t} filed {:?} times",
            seen.get(t)
        );
    }
}

pub(crate) fn tail(s: &str) -> &str {
    let start = s.len().saturating_sub(20_000);
    s.get(start..).unwrap_or(s)
}

/// Polls `done` every 50 ms until it holds or `limit` passes; panics with `what` and the logs.
pub(crate) fn wait_for(gw: &Gateway, what: &str, limit: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + limit;
    while !done() {
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what}; logs:\n{}",
            tail(&gw.logs())
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// `sygnal run` (IDLE, reconnecting with backoff) with stderr kept under logs/.
pub(crate) struct Running {
    pub(crate) child: Child,
    log: PathBuf,
}

impl Running {
    pub(crate) fn start(gw: &Gateway, tag: &str) -> Running {
        Running::start_with(gw, tag, &["run"])
    }

    /// Like [`Running::start`] with another command line (e.g. `run --replicas 3`).
    pub(crate) fn start_with(gw: &Gateway, tag: &str, args: &[&str]) -> Running {
        let log = gw.dir().join("logs").join(format!("run-{tag}.stderr"));
        let child = gw
            .command(args)
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("spawn sygnal run");
        Running { child, log }
    }

    /// Like [`Running::start`] with the clock moved by `offset` (libfaketime preloaded, e.g.
    /// "+10d"), so the process that gets the signals is the gateway itself.
    pub(crate) fn start_shifted(gw: &Gateway, tag: &str, offset: &str) -> Running {
        Running::start_shifted_with(gw, tag, offset, &["run"])
    }

    /// Like [`Running::start_shifted`] with another command line (e.g. `console`).
    pub(crate) fn start_shifted_with(
        gw: &Gateway,
        tag: &str,
        offset: &str,
        args: &[&str],
    ) -> Running {
        let lib = std::fs::read_dir("/usr/lib")
            .unwrap()
            .filter_map(Result::ok)
            .map(|d| d.path().join("faketime/libfaketimeMT.so.1"))
            .find(|p| p.exists())
            .expect("libfaketime (scripts/test installs faketime)");
        let log = gw.dir().join("logs").join(format!("run-{tag}.stderr"));
        let child = gw
            .command(args)
            .env("LD_PRELOAD", lib)
            .env("FAKETIME", offset)
            .env("FAKETIME_DONT_FAKE_MONOTONIC", "1")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("spawn sygnal run");
        Running { child, log }
    }

    pub(crate) fn log(&self) -> String {
        String::from_utf8_lossy(&std::fs::read(&self.log).unwrap_or_default()).into_owned()
    }

    pub(crate) fn alive(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }

    /// SIGTERM, then a clean exit within 30 s.
    pub(crate) fn stop(mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                assert_eq!(
                    status.code(),
                    Some(EXIT_OK),
                    "run did not stop cleanly:\n{}",
                    self.log()
                );
                return;
            }
            assert!(Instant::now() < deadline, "run ignored SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// Points the gateway at another IMAP port (a proxy).
fn set_port(gw: &Gateway, from: u16, to: u16) {
    let text = std::fs::read_to_string(gw.config()).unwrap();
    let needle = format!("port = {from}\n");
    assert!(text.contains(&needle), "no {needle:?} in sygnal.toml");
    std::fs::write(
        gw.config(),
        text.replace(&needle, &format!("port = {to}\n")),
    )
    .unwrap();
}

/// Moves the register into `dir` (a mount the test controls) and points sygnal.toml at it.
fn move_register(gw: &Gateway, dir: &Path) {
    let from = gw.dir().join("var");
    for name in ["register.db", "register.db-wal", "register.db-shm"] {
        let src = from.join(name);
        if src.exists() {
            std::fs::copy(&src, dir.join(name)).unwrap();
            std::fs::remove_file(&src).unwrap();
        }
    }
    let text = std::fs::read_to_string(gw.config()).unwrap();
    let new = format!("path = \"{}\"\n", dir.join("register.db").display());
    assert!(text.contains("path = \"var/register.db\"\n"));
    std::fs::write(
        gw.config(),
        text.replace("path = \"var/register.db\"\n", &new),
    )
    .unwrap();
}

/// Messages in the INBOX's Maildir, read from disk (doveadm needs the server running).
fn maildir_count(dovecot: &Dovecot) -> usize {
    let maildir = dovecot.dir.join("home").join(&dovecot.user).join("Maildir");
    ["cur", "new"]
        .iter()
        .map(|d| std::fs::read_dir(maildir.join(d)).map_or(0, Iterator::count))
        .sum()
}

#[test]
fn dovecot_stopped_and_restarted_mid_batch_resumes_by_itself() {
    let mut dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    // Small batches, so the server stops between two of them as well as inside one.
    s.gateway.append_config("\n[intake]\nbatch-messages = 5\n");
    let tokens = deliver(&dovecot, &s, 60, 30_000, 10);
    let run = Running::start(&s.gateway, "restart");
    wait_for(&s.gateway, "the first cases", CATCH_UP, || {
        dovecot.count("INBOX") <= 55
    });
    dovecot.stop();
    let left = maildir_count(&dovecot);
    assert!(left > 0, "the batch finished before the server stopped");
    std::thread::sleep(Duration::from_millis(1500));
    dovecot.restart();
    wait_for(&s.gateway, "the folder to empty", CATCH_UP, || {
        dovecot.count("INBOX") == 0
    });
    assert!(
        run.log().contains("reconnecting"),
        "the stop was not noticed:\n{}",
        run.log()
    );
    run.stop();
    assert_filed_once(&s, &tokens);
}

#[test]
fn connections_cut_and_stalled_mid_literal_resume_by_itself() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    // ~100 KB each: the offsets below fall inside the second, first and third literal.
    let tokens = deliver(&dovecot, &s, 6, 100_000, 3);
    let proxy = Proxy::start(
        dovecot.port,
        vec![
            Fault::CutAt(150_000),
            Fault::CutAt(40_000),
            Fault::StallAt(250_000, Duration::from_secs(2)),
            Fault::CutAt(1_000),
        ],
    );
    set_port(&s.gateway, dovecot.port, proxy.port);
    let run = Running::start(&s.gateway, "proxy");
    wait_for(&s.gateway, "the folder to empty", CATCH_UP, || {
        dovecot.count("INBOX") == 0
    });
    run.stop();
    assert!(proxy.cuts() >= 2, "cuts: {}", proxy.cuts());
    assert!(
        proxy.stalls() >= 1 || proxy.cuts() == 3,
        "no stall happened"
    );
    assert_filed_once(&s, &tokens);
}

#[test]
fn connections_cut_at_seeded_random_offsets_lose_and_duplicate_nothing() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let tokens = deliver(&dovecot, &s, 24, 40_000, 4);
    // Past the first whole message of each connection, so every connection makes progress and
    // the backoff stays at one second; where in a literal each cut lands is the seed's choice.
    let mut rng = rand::rngs::StdRng::seed_from_u64(6);
    let plan: Vec<Fault> = (0..5)
        .map(|_| Fault::CutAt(rng.gen_range(70_000..200_000)))
        .collect();
    let proxy = Proxy::start(dovecot.port, plan.clone());
    set_port(&s.gateway, dovecot.port, proxy.port);
    let run = Running::start(&s.gateway, "random-cuts");
    wait_for(&s.gateway, "the folder to empty", CATCH_UP, || {
        dovecot.count("INBOX") == 0
    });
    run.stop();
    assert!(proxy.cuts() >= 4, "only {} of {plan:?} cut", proxy.cuts());
    assert_filed_once(&s, &tokens);
}

#[test]
fn cut_connection_fails_once_run_clearly_and_the_next_run_finishes() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let tokens = deliver(&dovecot, &s, 3, 100_000, 0);
    let proxy = Proxy::start(dovecot.port, vec![Fault::CutAt(150_000)]);
    set_port(&s.gateway, dovecot.port, proxy.port);
    let out = s.gateway.run(&["run", "--once"]);
    assert_ne!(out.status.code(), Some(EXIT_OK));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("IMAP"), "unclear error: {err}");
    assert_eq!(proxy.cuts(), 1);
    // The first message went through whole; the cut one is still there.
    assert!(
        dovecot.count("INBOX") >= 2,
        "count {}",
        dovecot.count("INBOX")
    );
    s.gateway.run_once();
    assert_eq!(dovecot.count("INBOX"), 0);
    assert_filed_once(&s, &tokens);
}

#[test]
fn refused_login_leaves_everything_then_a_fixed_password_drains() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let tokens = deliver(&dovecot, &s, 3, 0, 2);
    let pass = s.gateway.dir().join("imap.pass");
    std::fs::write(&pass, b"wrong password").unwrap();
    let out = s.gateway.run(&["run", "--once"]);
    assert_ne!(out.status.code(), Some(EXIT_OK));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("rejected the login"), "unclear error: {err}");
    assert!(!err.contains("wrong password"), "password printed: {err}");
    assert_eq!(dovecot.count("INBOX"), 3);
    assert!(s.gateway.case_numbers().is_empty());

    std::fs::write(&pass, dovecot.password.as_bytes()).unwrap();
    s.gateway.run_once();
    assert_eq!(dovecot.count("INBOX"), 0);
    assert_filed_once(&s, &tokens);
}

#[test]
fn uidvalidity_change_after_a_commit_files_nothing_twice() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let reporter = Gpg::new();
    let tokens: Vec<String> = (0..3).map(|i| unique(&format!("UV{i}-"))).collect();
    let raws: Vec<Vec<u8>> = tokens
        .iter()
        .map(|t| {
            reporter.encrypt_inline(
                &s.intake_cert,
                "R <r@example.net>",
                TO,
                "x",
                &format!("Report with token {t}.\n"),
                None,
            )
        })
        .collect();
    // INBOX cannot be deleted: the gateway reads another folder.
    let folder = "Zgloszenia";
    let text = std::fs::read_to_string(s.gateway.config()).unwrap();
    std::fs::write(
        s.gateway.config(),
        text.replace("folder = \"INBOX\"", &format!("folder = \"{folder}\"")),
    )
    .unwrap();
    for raw in &raws {
        dovecot.append(folder, raw);
    }
    // The batch's cases are committed, their server copies not yet deleted.
    let mut child = s.gateway.spawn_with_failpoint("committed");
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(s.gateway.case_numbers().len(), 3);
    // The folder is renumbered (a migration, a restore): same messages, new UIDs.
    dovecot.recreate(folder);
    for raw in &raws {
        dovecot.append(folder, raw);
    }
    let out = s.gateway.run_once();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("UidValidityChanged"), "not noticed: {log}");
    assert!(log.contains("MessageRecognised"), "not recognised: {log}");
    assert_eq!(dovecot.count(folder), 0);
    assert_filed_once(&s, &tokens);
}

#[test]
fn locked_register_keeps_messages_on_the_server_until_released() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let db = s.gateway.dir().join("var/register.db");
    // Another process holds the write lock.
    let mut holder = Command::new("sqlite3")
        .arg(&db)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("sqlite3 (scripts/lib/install.sh installs it)");
    let mut stdin = holder.stdin.take().unwrap();
    stdin
        .write_all(b"BEGIN EXCLUSIVE;\nSELECT 'locked';\n")
        .unwrap();
    stdin.flush().unwrap();
    // The lock is held once sqlite3 has answered the SELECT after BEGIN: only then start.
    let mut answer = String::new();
    std::io::BufRead::read_line(
        &mut std::io::BufReader::new(holder.stdout.take().unwrap()),
        &mut answer,
    )
    .unwrap();
    assert_eq!(answer.trim(), "locked", "sqlite3 did not take the lock");
    let run = Running::start(&s.gateway, "locked");
    let tokens = deliver(&dovecot, &s, 5, 0, 2);
    std::thread::sleep(Duration::from_secs(3));
    assert_eq!(
        dovecot.count("INBOX"),
        5,
        "taken while the register was locked"
    );
    stdin.write_all(b"COMMIT;\n.quit\n").unwrap();
    drop(stdin);
    holder.wait().unwrap();
    wait_for(&s.gateway, "the folder to empty", CATCH_UP, || {
        dovecot.count("INBOX") == 0
    });
    run.stop();
    assert_filed_once(&s, &tokens);
}

/// A small tmpfs the test mounts (root only) and unmounts when dropped.
struct SmallFs {
    dir: tempfile::TempDir,
}

impl SmallFs {
    fn mount(size: &str) -> Option<SmallFs> {
        let dir = tempfile::Builder::new()
            .prefix("sygnal-smallfs")
            .tempdir()
            .unwrap();
        let ok = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0700"),
                "tmpfs",
            ])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .map(|s| s.success())
            .unwrap_or(false);
        ok.then_some(SmallFs { dir })
    }

    fn path(&self) -> &Path {
        self.dir.path()
    }
}

impl Drop for SmallFs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

/// Fills the filesystem holding `dir` with one file until the next write fails.
fn fill(dir: &Path) -> PathBuf {
    let file = dir.join("filler");
    let mut f = std::fs::File::create(&file).unwrap();
    let block = vec![0u8; 4096];
    while f.write_all(&block).is_ok() {}
    let _ = f.sync_all();
    file
}

#[test]
fn full_disk_keeps_messages_on_the_server_and_resumes_when_space_returns() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let Some(fs) = SmallFs::mount("8m") else {
        eprintln!(
            "SKIPPED: cannot mount a tmpfs here (needs root); the disk-full fault is untested"
        );
        return;
    };
    move_register(&s.gateway, fs.path());
    let mut run = Running::start(&s.gateway, "full");
    wait_for(&s.gateway, "the gateway to connect", CATCH_UP, || {
        run.log().contains("MailboxConnected")
    });
    let filler = fill(fs.path());
    // Larger than anything the register's files have room for.
    let tokens = deliver(&dovecot, &s, 4, 300_000, 2);
    wait_for(&s.gateway, "a clear disk-full error", CATCH_UP, || {
        run.log().contains("database or disk is full")
    });
    assert!(run.alive(), "run gave up:\n{}", run.log());
    assert_eq!(dovecot.count("INBOX"), 4, "taken without being filed");
    std::fs::remove_file(&filler).unwrap();
    wait_for(&s.gateway, "the folder to empty", CATCH_UP, || {
        dovecot.count("INBOX") == 0
    });
    run.stop();
    assert_filed_once(&s, &tokens);
    let check = Command::new("sqlite3")
        .arg(fs.path().join("register.db"))
        .arg("PRAGMA integrity_check;")
        .output()
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&check.stdout).trim(), "ok");
}

#[test]
fn read_only_register_refuses_clearly_and_leaves_messages() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let Some(fs) = SmallFs::mount("8m") else {
        eprintln!(
            "SKIPPED: cannot mount a tmpfs here (needs root); the read-only fault is untested"
        );
        return;
    };
    move_register(&s.gateway, fs.path());
    let tokens = deliver(&dovecot, &s, 3, 0, 2);
    let remount = |mode: &str| {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,{mode}")])
            .arg(fs.path())
            .status()
            .unwrap()
            .success();
        assert!(ok, "remount {mode}");
    };
    remount("ro");
    let out = s.gateway.run(&["run", "--once"]);
    remount("rw");
    assert_ne!(out.status.code(), Some(EXIT_OK));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("register"), "unclear error: {err}");
    assert_eq!(dovecot.count("INBOX"), 3);
    s.gateway.run_once();
    assert_eq!(dovecot.count("INBOX"), 0);
    assert_filed_once(&s, &tokens);
}

#[test]
fn read_only_register_at_start_is_waited_for_in_service_mode() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let Some(fs) = SmallFs::mount("8m") else {
        eprintln!(
            "SKIPPED: cannot mount a tmpfs here (needs root); the read-only fault is untested"
        );
        return;
    };
    move_register(&s.gateway, fs.path());
    let tokens = deliver(&dovecot, &s, 3, 0, 2);
    let remount = |mode: &str| {
        let ok = Command::new("mount")
            .args(["-o", &format!("remount,{mode}")])
            .arg(fs.path())
            .status()
            .unwrap()
            .success();
        assert!(ok, "remount {mode}");
    };
    remount("ro");
    let mut run = Running::start(&s.gateway, "ro-start");
    wait_for(&s.gateway, "a clear register error", CATCH_UP, || {
        run.log().contains("RegisterUnavailable")
    });
    assert!(run.alive(), "run gave up:\n{}", run.log());
    assert_eq!(dovecot.count("INBOX"), 3);
    remount("rw");
    wait_for(&s.gateway, "the folder to empty", CATCH_UP, || {
        dovecot.count("INBOX") == 0
    });
    run.stop();
    assert_filed_once(&s, &tokens);
}

/// The seed and size of the randomized crash loop: fixed in CI, varied by bench/.
fn crash_loop_params() -> (u64, usize) {
    let seed = std::env::var("SYGNAL_CRASH_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20_261_123);
    let n = std::env::var("SYGNAL_CRASH_MESSAGES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150);
    (seed, n)
}

#[test]
fn randomized_sigkill_loop_files_every_report_exactly_once() {
    let (seed, n) = crash_loop_params();
    let mut rng = rand::rngs::StdRng::seed_from_u64(seed);
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let tokens = deliver(&dovecot, &s, n, 2_000, 5);
    let mut kills = 0;
    for round in 0..400 {
        if dovecot.count("INBOX") == 0 {
            break;
        }
        let log = s
            .gateway
            .dir()
            .join("logs")
            .join(format!("crash-{round:03}.stderr"));
        let mut child = s
            .gateway
            .command(&["run", "--once"])
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(rng.gen_range(5..250)));
        if matches!(child.try_wait(), Ok(None)) {
            child.kill().unwrap();
            kills += 1;
        }
        child.wait().unwrap();
    }
    s.gateway.run_once();
    assert_eq!(dovecot.count("INBOX"), 0, "seed {seed}");
    assert!(kills > 0, "seed {seed}: no run was killed");
    // A message whose processing was cut short by `max-attempts` kills in a row is kept raw
    // (processing-failed-repeatedly): nothing is lost, and a custodian's retry files it.
    let held = s.gateway.quarantine_json();
    for q in &held {
        assert_eq!(
            q["reason"], "processing-failed-repeatedly",
            "seed {seed}: unexpected quarantine {q:?}"
        );
    }
    if !held.is_empty() {
        let out = s.gateway.quarantine_retry(None, &s.custodian.key_file);
        assert!(out.status.success(), "retry failed: {out:?}");
    }
    eprintln!(
        "crash loop: seed {seed}, {n} messages, {kills} kills, {} kept raw and retried",
        held.len()
    );
    assert_filed_once(&s, &tokens);
}
