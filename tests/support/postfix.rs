//! A private Postfix per test, on a loopback port, delivering every recipient to the test
//! Dovecot over LMTP: the gateway's acknowledgements and replies go through a real MTA into a
//! real mailbox of the reporter (`reporter@…`), and the reporter's answers to the gateway's
//! reply address (`sygnalista+TOKEN@…`) land in the gateway's INBOX by plus-addressing.
//!
//! The reporter's mailbox runs a Sieve `duplicate` rule (RFC 7352), as many providers collapse
//! copies with one Message-ID: a message re-sent after a crash with the same Message-ID is
//! delivered twice by Postfix and kept once. Test-only code: it panics with the logs on failure.
#![allow(dead_code)]

use std::fs;
use std::net::{Ipv4Addr, TcpStream};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use super::dovecot::{accepts, free_port, Dovecot};

/// The reporter's mail user (their address is `reporter@<any domain>`).
pub const REPORTER: &str = "reporter";

/// Keeps one copy of a Message-ID (RFC 7352).
const DEDUPLICATE: &str = "require [\"duplicate\"];\nif duplicate {\n  discard;\n  stop;\n}\n";

/// Dovecot with LMTP and Sieve, and Postfix in front of it.
pub struct MailSystem {
    pub dovecot: Dovecot,
    pub postfix: Postfix,
}

impl MailSystem {
    /// Starts both; the reporter's mailbox exists.
    pub fn start() -> MailSystem {
        let lmtp = free_port();
        let dovecot = Dovecot::start_with(&format!(
            r#"protocols = imap lmtp
recipient_delimiter = +
lmtp_save_to_detail_mailbox = no
service lmtp {{
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {lmtp}
  }}
}}
protocol lmtp {{
  mail_plugins = $mail_plugins sieve
  postmaster_address = postmaster@test.invalid
}}
plugin {{
  sieve = file:~/sieve;active=~/.dovecot.sieve
}}
"#
        ));
        dovecot.add_user(REPORTER, Some(DEDUPLICATE));
        wait_accepts(lmtp, &dovecot);
        let postfix = Postfix::start(lmtp);
        MailSystem { dovecot, postfix }
    }

    /// The reporter's INBOX, once at least `n` messages are there (waits up to 30 s).
    pub fn reporter_inbox(&self, n: usize) -> Vec<Vec<u8>> {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let messages = self.dovecot.messages_of(REPORTER, "INBOX");
            if messages.len() >= n {
                return messages;
            }
            if Instant::now() > deadline {
                panic!(
                    "the reporter's INBOX has {} message(s), expected {n}\npostfix:\n{}\ndovecot:\n{}",
                    messages.len(),
                    self.postfix.log(),
                    self.dovecot.log()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Waits until Postfix has nothing queued (every message delivered or bounced).
    pub fn settle(&self) {
        self.postfix.wait_empty_queue();
    }
}

/// A running private Postfix; stopped when dropped.
pub struct Postfix {
    /// SMTP port on 127.0.0.1 (plain; the gateway's `tls = "none"` is allowed on loopback).
    pub port: u16,
    dir: tempfile::TempDir,
    conf: PathBuf,
    child: Option<Child>,
}

impl Postfix {
    /// Starts an instance relaying everything to LMTP on `lmtp_port`.
    pub fn start(lmtp_port: u16) -> Postfix {
        let dir = tempfile::Builder::new()
            .prefix("sygnal-postfix-")
            .tempdir()
            .unwrap();
        fs::set_permissions(dir.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let conf = dir.path().join("conf");
        let data = dir.path().join("data");
        for d in [&conf, &data, &dir.path().join("queue")] {
            fs::create_dir_all(d).unwrap();
        }
        // Postfix's daemons run as its own user; its data folder must be theirs.
        let _ = Command::new("chown").arg("postfix").arg(&data).status();
        let mut postfix = Postfix {
            port: 0,
            dir,
            conf,
            child: None,
        };
        // A port picked free may be taken by another test before Postfix binds it: then its
        // master dies ("Address already in use") and the start is tried on a fresh port.
        for _ in 0..5 {
            postfix.port = free_port();
            write_config(postfix.dir.path(), postfix.port, lmtp_port);
            if postfix.spawn() {
                return postfix;
            }
            postfix.stop();
        }
        panic!("postfix did not start:\n{}", postfix.log());
    }

    /// Starts the master; true once it runs and its port answers, false if it died.
    fn spawn(&mut self) -> bool {
        let child = Command::new("postfix")
            .arg("-c")
            .arg(&self.conf)
            .arg("start-fg")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect(
                "cannot run postfix: is the postfix package installed? (scripts/test installs it)",
            );
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let exited = self
                .child
                .as_mut()
                .is_some_and(|c| matches!(c.try_wait(), Ok(Some(_))));
            if exited {
                self.child = None;
                return false;
            }
            // The port answering is not enough: another test's server may hold it.
            if self.log().contains("daemon started") && accepts(self.port) {
                return true;
            }
            if Instant::now() > deadline {
                panic!("postfix not ready after 20 s\n{}", self.log());
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Hands `raw` to this Postfix over SMTP, from `from` to `to`, as a reporter's mail
    /// client would (no extensions used: a plain RFC 5321 dialogue, dot-stuffed).
    pub fn submit(&self, from: &str, to: &str, raw: &[u8]) {
        use std::io::{BufRead as _, BufReader, Write as _};
        let stream = TcpStream::connect((Ipv4Addr::LOCALHOST, self.port)).expect("connect");
        let mut reader = BufReader::new(stream.try_clone().unwrap());
        let mut writer = stream;
        let expect = |code: &str, reader: &mut BufReader<TcpStream>| loop {
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            assert!(
                line.starts_with(code),
                "SMTP: expected {code}, got {line:?}\n{}",
                self.log()
            );
            if line.as_bytes().get(3) != Some(&b'-') {
                break;
            }
        };
        expect("220", &mut reader);
        for (command, code) in [
            ("EHLO reporter.test".to_owned(), "250"),
            (format!("MAIL FROM:<{from}>"), "250"),
            (format!("RCPT TO:<{to}>"), "250"),
            ("DATA".to_owned(), "354"),
        ] {
            writer
                .write_all(format!("{command}\r\n").as_bytes())
                .unwrap();
            expect(code, &mut reader);
        }
        let text = String::from_utf8_lossy(raw).replace("\r\n", "\n");
        for line in text.lines() {
            let line = if line.starts_with('.') {
                format!(".{line}")
            } else {
                line.to_owned()
            };
            writer.write_all(format!("{line}\r\n").as_bytes()).unwrap();
        }
        writer.write_all(b".\r\n").unwrap();
        expect("250", &mut reader);
        writer.write_all(b"QUIT\r\n").unwrap();
    }

    /// Postfix's own log.
    pub fn log(&self) -> String {
        fs::read_to_string(self.dir.path().join("maillog")).unwrap_or_default()
    }

    /// Deliveries made so far (`status=sent`), to any recipient.
    pub fn deliveries(&self) -> usize {
        self.log().matches("status=sent").count()
    }

    /// Waits until the queue is empty (up to 30 s).
    pub fn wait_empty_queue(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = Command::new("postqueue")
                .arg("-c")
                .arg(&self.conf)
                .arg("-p")
                .output()
                .expect("run postqueue");
            let text = String::from_utf8_lossy(&out.stdout);
            if text.contains("Mail queue is empty") {
                return;
            }
            if Instant::now() > deadline {
                panic!(
                    "postfix queue not empty after 30 s:\n{text}\n{}",
                    self.log()
                );
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    pub fn stop(&mut self) {
        if self.child.is_none() {
            return;
        }
        let _ = Command::new("postfix")
            .arg("-c")
            .arg(&self.conf)
            .arg("stop")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if let Some(mut child) = self.child.take() {
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if let Ok(Some(_)) = child.try_wait() {
                    return;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        self.stop();
    }
}

fn write_config(dir: &Path, port: u16, lmtp: u16) {
    let d = dir.display();
    fs::write(
        dir.join("conf/main.cf"),
        format!(
            "compatibility_level = 3.6
queue_directory = {d}/queue
data_directory = {d}/data
maillog_file = {d}/maillog
maillog_file_prefixes = {d}
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
myhostname = mx.test.invalid
mydomain = test.invalid
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_recipient_restrictions = permit_mynetworks, reject
default_transport = lmtp:inet:127.0.0.1:{lmtp}
relay_transport = lmtp:inet:127.0.0.1:{lmtp}
smtputf8_enable = no
biff = no
disable_dns_lookups = yes
smtp_dns_support_level = disabled
lmtp_dns_support_level = disabled
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
"
        ),
    )
    .unwrap();
    fs::write(
        dir.join("conf/master.cf"),
        format!(
            "127.0.0.1:{port} inet n - n - - smtpd
pickup    unix  n - n 60 1 pickup
cleanup   unix  n - n - 0 cleanup
qmgr      unix  n - n 300 1 qmgr
rewrite   unix  - - n - - trivial-rewrite
bounce    unix  - - n - 0 bounce
defer     unix  - - n - 0 bounce
trace     unix  - - n - 0 bounce
verify    unix  - - n - 1 verify
flush     unix  n - n 1000? 0 flush
proxymap  unix  - - n - - proxymap
smtp      unix  - - n - - smtp
relay     unix  - - n - - smtp
showq     unix  n - n - - showq
error     unix  - - n - - error
retry     unix  - - n - - error
discard   unix  - - n - - discard
lmtp      unix  - - n - - lmtp
anvil     unix  - - n - 1 anvil
scache    unix  - - n - 1 scache
postlog   unix-dgram n - n - 1 postlogd
"
        ),
    )
    .unwrap();
}

fn wait_accepts(port: u16, dovecot: &Dovecot) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !accepts(port) {
        if Instant::now() > deadline {
            panic!("dovecot's LMTP not ready after 10 s\n{}", dovecot.log());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
