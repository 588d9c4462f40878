//! A private Dovecot IMAP server per test: temp dir, loopback ports, self-signed certificate.
//!
//! Each `Dovecot::start()` writes its own config, passwd file, TLS key and Maildir under a fresh
//! temp dir and runs `dovecot -F` on two free loopback ports: `port` (plain, STARTTLS offered) and
//! `tls_port` (implicit TLS). Mail is put in and inspected with `doveadm -c CONF`, i.e. from another
//! process than the client under test. Test-only code: it panics with Dovecot's log on failure.
#![allow(dead_code)]

use std::fs;
use std::io::Write as _;
use std::net::{Ipv4Addr, TcpListener, TcpStream};
use std::os::unix::fs::{MetadataExt as _, PermissionsExt as _};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Mail user of every instance.
pub const USER: &str = "sygnalista";
/// Password of [`USER`].
pub const PASSWORD: &str = "correct horse battery staple";

/// A running private Dovecot instance; stopped (SIGTERM) when dropped.
pub struct Dovecot {
    /// Plain IMAP port on 127.0.0.1 (STARTTLS available).
    pub port: u16,
    /// Implicit-TLS IMAP port on 127.0.0.1.
    pub tls_port: u16,
    pub user: String,
    pub password: String,
    /// Self-signed server certificate (SAN IP:127.0.0.1, DNS:localhost) to trust as extra CA.
    pub ca_pem: PathBuf,
    /// The instance's temp dir (config, log, Maildir).
    pub dir: PathBuf,
    conf: PathBuf,
    child: Option<Child>,
    tmp: tempfile::TempDir,
}

impl Dovecot {
    /// Starts a fresh instance and waits until both ports accept connections.
    pub fn start() -> Dovecot {
        Self::start_with("")
    }

    /// Like [`Dovecot::start`] with more configuration appended (e.g. `imap_capability`).
    pub fn start_with(extra: &str) -> Dovecot {
        let tmp = tempfile::Builder::new()
            .prefix("sygnal-dovecot-")
            .tempdir()
            .expect("temp dir");
        let dir = tmp.path().to_path_buf();
        // Dovecot's unprivileged processes must traverse the dir (0700 => auth failures).
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        let ca_pem = super::postgres::make_cert(&dir);

        launch(tmp, ca_pem, extra)
    }

    /// Host to connect to (the certificate also names `localhost`).
    pub fn host(&self) -> &'static str {
        "127.0.0.1"
    }

    /// Certificate bytes (PEM) to pass as an extra trust anchor.
    pub fn ca_pem_bytes(&self) -> Vec<u8> {
        fs::read(&self.ca_pem).unwrap()
    }

    /// Delivers `raw` into `folder` (created if missing) as another process would.
    pub fn append(&self, folder: &str, raw: &[u8]) {
        self.ensure_folder(folder);
        let mut child = self
            .doveadm()
            .args(["save", "-u", &self.user, "-m", folder])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn doveadm save");
        child.stdin.take().unwrap().write_all(raw).unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "doveadm save failed: {}\n{}",
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
    }

    /// Number of messages in `folder`; 0 if the folder does not exist.
    pub fn count(&self, folder: &str) -> usize {
        if !self.has_folder(folder) {
            return 0;
        }
        self.status(folder, "messages") as usize
    }

    /// Whether `folder` exists.
    pub fn has_folder(&self, folder: &str) -> bool {
        folder.eq_ignore_ascii_case("INBOX")
            || self
                .doveadm_ok(&["mailbox", "list", "-u", &self.user])
                .lines()
                .any(|l| l.trim() == folder)
    }

    /// UIDVALIDITY of `folder`.
    pub fn uidvalidity(&self, folder: &str) -> u32 {
        u32::try_from(self.status(folder, "uidvalidity")).unwrap()
    }

    /// UIDs in `folder`, ascending.
    pub fn uids(&self, folder: &str) -> Vec<u32> {
        let out = self.doveadm_ok(&["search", "-u", &self.user, "mailbox", folder, "ALL"]);
        // Lines are "<mailbox-guid> <uid>".
        let mut uids: Vec<u32> = out
            .lines()
            .filter_map(|l| l.split_whitespace().nth(1))
            .map(|u| u.parse().unwrap())
            .collect();
        uids.sort_unstable();
        uids
    }

    /// Flags of one message, e.g. `\Seen \Deleted`.
    pub fn flags(&self, folder: &str, uid: u32) -> String {
        let uid = uid.to_string();
        let out = self.doveadm_ok(&[
            "-f", "flow", "fetch", "-u", &self.user, "flags", "mailbox", folder, "uid", &uid,
        ]);
        out.trim().trim_start_matches("flags=").to_owned()
    }

    /// Adds `flag` (e.g. `\Deleted`) to one message, as another client would.
    pub fn add_flag(&self, folder: &str, uid: u32, flag: &str) {
        let uid = uid.to_string();
        self.doveadm_ok(&[
            "flags", "add", "-u", &self.user, flag, "mailbox", folder, "uid", &uid,
        ]);
    }

    /// Deletes and re-creates `folder` (messages lost), giving it a new UIDVALIDITY.
    pub fn recreate(&self, folder: &str) {
        let before = self.uidvalidity(folder);
        self.doveadm_ok(&["mailbox", "delete", "-u", &self.user, folder]);
        self.create_folder(folder);
        let mut after = self.uidvalidity(folder);
        // UIDVALIDITY is time-based; within the same second Dovecot may hand out the old value.
        if after == before {
            let next = (before + 1).to_string();
            self.doveadm_ok(&[
                "mailbox",
                "update",
                "-u",
                &self.user,
                "--uid-validity",
                &next,
                folder,
            ]);
            after = self.uidvalidity(folder);
        }
        assert_ne!(after, before, "UIDVALIDITY did not change");
    }

    /// Adds mail user `name` (password [`PASSWORD`]) with a home and, when given, an active
    /// Sieve script; returns the home. The passwd file is re-read by Dovecot on change.
    pub fn add_user(&self, name: &str, sieve: Option<&str>) -> PathBuf {
        let me = fs::metadata(&self.dir).unwrap().uid();
        let uid = if me == 0 { 65534 } else { me };
        let home = self.dir.join("home").join(name);
        fs::create_dir_all(&home).unwrap();
        if let Some(script) = sieve {
            fs::write(home.join(".dovecot.sieve"), script).unwrap();
        }
        if me == 0 {
            for entry in [home.clone(), home.join(".dovecot.sieve")] {
                if entry.exists() {
                    std::os::unix::fs::chown(&entry, Some(uid), Some(uid)).unwrap();
                }
            }
        }
        fs::set_permissions(&home, fs::Permissions::from_mode(0o700)).unwrap();
        let mut passwd = fs::OpenOptions::new()
            .append(true)
            .open(self.dir.join("passwd"))
            .unwrap();
        writeln!(
            passwd,
            "{name}:{{PLAIN}}{PASSWORD}:{uid}:{uid}::{}::",
            home.display()
        )
        .unwrap();
        home
    }

    /// The raw messages in `user`'s `folder`, oldest first (empty when there is none).
    pub fn messages_of(&self, user: &str, folder: &str) -> Vec<Vec<u8>> {
        let out = self
            .doveadm()
            .args(["-f", "flow", "search", "-u", user, "mailbox", folder, "all"])
            .output()
            .expect("spawn doveadm search");
        let list = String::from_utf8_lossy(&out.stdout).into_owned();
        list.lines()
            .filter_map(|l| l.split_whitespace().nth(1).map(str::to_owned))
            .map(|uid| {
                let out = self
                    .doveadm()
                    .args(["fetch", "-u", user, "text", "mailbox", folder, "uid", &uid])
                    .output()
                    .expect("spawn doveadm fetch");
                // `doveadm fetch` prints "text:" and the message.
                let text = out.stdout;
                let start = text.iter().position(|b| *b == b'\n').map_or(0, |p| p + 1);
                text[start..].to_vec()
            })
            .collect()
    }

    /// Creates `folder`; panics if that fails (e.g. it exists).
    pub fn create_folder(&self, folder: &str) {
        self.doveadm_ok(&["mailbox", "create", "-u", &self.user, folder]);
    }

    /// Stops the server: SIGTERM to the master and to its children (Dovecot's own shutdown
    /// leaves imap processes with open sessions running), SIGKILL to stragglers.
    pub fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let master = child.id();
        // Children are listed before the master goes: afterwards they are orphans.
        let children = children_of(master);
        signal("-TERM", master);
        for pid in &children {
            signal("-TERM", *pid);
        }
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
        if !matches!(child.try_wait(), Ok(Some(_))) {
            let _ = child.kill();
            let _ = child.wait();
        }
        let deadline = Instant::now() + Duration::from_secs(2);
        let tag = self.instance_tag();
        loop {
            let alive: Vec<u32> = children
                .iter()
                .copied()
                .filter(|pid| is_ours(*pid, &tag))
                .collect();
            if alive.is_empty() {
                break;
            }
            if Instant::now() > deadline {
                for pid in alive {
                    signal("-KILL", pid);
                }
                break;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Stops and starts again on the same ports and Maildir.
    pub fn restart(&mut self) {
        self.stop();
        if let Err(log) = self.spawn_and_wait() {
            panic!("dovecot did not restart:\n{log}");
        }
    }

    /// Dovecot's log (and its stderr) so far.
    pub fn log(&self) -> String {
        let log = fs::read_to_string(self.dir.join("dovecot.log")).unwrap_or_default();
        let err = fs::read_to_string(self.dir.join("stderr.log")).unwrap_or_default();
        format!("{log}{err}")
    }

    /// Dovecot names its processes `dovecot-<instance_name>/<service>`.
    fn instance_tag(&self) -> String {
        format!("dovecot-sygnal-test-{}/", self.port)
    }

    fn status(&self, folder: &str, field: &str) -> u64 {
        let out = self.doveadm_ok(&[
            "-f", "flow", "mailbox", "status", "-u", &self.user, field, folder,
        ]);
        let prefix = format!("{field}=");
        out.split_whitespace()
            .find_map(|kv| kv.strip_prefix(&prefix))
            .unwrap_or_else(|| panic!("no {field} in doveadm output: {out}"))
            .parse()
            .unwrap()
    }

    fn ensure_folder(&self, folder: &str) {
        if !self.has_folder(folder) {
            self.create_folder(folder);
        }
    }

    fn doveadm(&self) -> Command {
        let mut cmd = Command::new("doveadm");
        cmd.arg("-c").arg(&self.conf);
        cmd
    }

    fn doveadm_ok(&self, args: &[&str]) -> String {
        let out = self.doveadm().args(args).output().expect("spawn doveadm");
        assert!(
            out.status.success(),
            "doveadm {args:?} failed: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
        String::from_utf8(out.stdout).unwrap()
    }

    /// Runs `dovecot -F` and waits until both ports accept; Err(log) if it exits or times out.
    fn spawn_and_wait(&mut self) -> Result<(), String> {
        let stderr = fs::File::create(self.dir.join("stderr.log")).unwrap();
        let child = Command::new("dovecot")
            .arg("-F")
            .arg("-c")
            .arg(&self.conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .map_err(|e| format!("cannot run dovecot: {e}"))?;
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(child) = self.child.as_mut() {
                if let Ok(Some(status)) = child.try_wait() {
                    self.child = None;
                    return Err(format!("dovecot exited with {status}\n{}", self.log()));
                }
            }
            if accepts(self.port) && accepts(self.tls_port) {
                return Ok(());
            }
            if Instant::now() > deadline {
                return Err(format!("dovecot not ready after 10 s\n{}", self.log()));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Runs the instance in `tmp`; ports are picked by binding port 0 and releasing them, so another
/// process may grab one in between: retry with fresh ports when Dovecot cannot bind.
fn launch(tmp: tempfile::TempDir, ca_pem: PathBuf, extra: &str) -> Dovecot {
    let dir = tmp.path().to_path_buf();
    let mut tmp = Some(tmp);
    let mut last_log = String::new();
    for _ in 0..5 {
        let (port, tls_port) = (free_port(), free_port());
        if port == tls_port {
            continue;
        }
        let conf = write_config(&dir, port, tls_port, extra);
        let mut dovecot = Dovecot {
            port,
            tls_port,
            user: USER.to_owned(),
            password: PASSWORD.to_owned(),
            ca_pem: ca_pem.clone(),
            dir: dir.clone(),
            conf,
            child: None,
            tmp: tmp.take().unwrap(),
        };
        match dovecot.spawn_and_wait() {
            Ok(()) => return dovecot,
            Err(log) => {
                dovecot.stop();
                if !log.contains("in use") {
                    panic!("dovecot did not start:\n{log}");
                }
                last_log = log;
                // Drop would stop it again (a no-op); take the temp dir back first.
                tmp = Some(std::mem::replace(
                    &mut dovecot.tmp,
                    tempfile::tempdir().unwrap(),
                ));
            }
        }
    }
    panic!("dovecot did not start:\n{last_log}");
}

fn signal(sig: &str, pid: u32) {
    let _ = Command::new("kill")
        .arg(sig)
        .arg(pid.to_string())
        .stderr(Stdio::null())
        .status();
}

/// PIDs whose parent is `parent` (from /proc).
fn children_of(parent: u32) -> Vec<u32> {
    let Ok(entries) = fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    // "pid (comm) state ppid ...": comm may contain spaces and parentheses.
                    let (_, rest) = stat.rsplit_once(')')?;
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(parent)
        })
        .collect()
}

/// Still running and still one of this instance's processes (not a reused PID).
fn is_ours(pid: u32, tag: &str) -> bool {
    fs::read(format!("/proc/{pid}/cmdline"))
        .map(|c| String::from_utf8_lossy(&c).contains(tag))
        .unwrap_or(false)
}

pub fn accepts(port: u16) -> bool {
    TcpStream::connect_timeout(
        &(Ipv4Addr::LOCALHOST, port).into(),
        Duration::from_millis(200),
    )
    .is_ok()
}

pub fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn write_config(dir: &Path, port: u16, tls_port: u16, extra: &str) -> PathBuf {
    let me = fs::metadata(dir).unwrap().uid();
    let (mail_uid, service_user) = if me == 0 {
        (65534, None)
    } else {
        (me, Some(current_user()))
    };
    for sub in ["run", "state"] {
        let p = dir.join(sub);
        fs::create_dir_all(&p).unwrap();
        fs::set_permissions(&p, fs::Permissions::from_mode(0o755)).unwrap();
    }
    let home = dir.join("home").join(USER);
    if !home.exists() {
        fs::create_dir_all(&home).unwrap();
        fs::set_permissions(dir.join("home"), fs::Permissions::from_mode(0o755)).unwrap();
        fs::set_permissions(&home, fs::Permissions::from_mode(0o700)).unwrap();
        if me == 0 {
            std::os::unix::fs::chown(&home, Some(mail_uid), Some(mail_uid)).unwrap();
        }
    }
    let passwd = dir.join("passwd");
    fs::write(
        &passwd,
        format!(
            "{USER}:{{PLAIN}}{PASSWORD}:{mail_uid}:{mail_uid}::{}::\n",
            home.display()
        ),
    )
    .unwrap();
    let d = dir.display();
    let users = match &service_user {
        Some(u) => format!(
            "default_internal_user = {u}\ndefault_login_user = {u}\nfirst_valid_uid = {me}\n"
        ),
        None => String::new(),
    };
    let conf = format!(
        r#"protocols = imap
listen = 127.0.0.1
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
instance_name = sygnal-test-{port}
{users}
ssl = yes
ssl_cert = <{d}/cert.pem
ssl_key = <{d}/key.pem
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
mail_location = maildir:~/Maildir
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%n {d}/passwd
}}
userdb {{
  driver = passwd-file
  args = username_format=%n {d}/passwd
}}
namespace inbox {{
  inbox = yes
  separator = /
}}
protocol imap {{
  mail_max_userip_connections = 100
  imap_idle_notify_interval = 1 secs
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
service stats {{
  unix_listener stats-writer {{
    mode = 0666
  }}
}}
"#
    );
    let path = dir.join("dovecot.conf");
    fs::write(&path, format!("{conf}{extra}\n")).unwrap();
    path
}

fn current_user() -> String {
    let out = Command::new("id").arg("-un").output().expect("run id");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}
