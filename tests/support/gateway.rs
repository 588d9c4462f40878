//! A sygnal gateway for end-to-end tests: a temp dir with sygnal.toml pointing at a test
//! Dovecot, the real binary run with `--config`, every run's stderr kept as a log file, and a
//! canary grep over everything the gateway wrote (invariant: no plaintext at rest or in logs).
#![allow(dead_code)]

use std::io::{BufRead as _, BufReader, Write as _};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use serde_json::Value;
use tempfile::TempDir;

use super::dovecot::Dovecot;
use super::gnupg::Holder;

/// Exit codes of the CLI contract.
pub const EXIT_OK: i32 = 0;
pub const EXIT_RUNTIME: i32 = 1;
pub const EXIT_USAGE: i32 = 2;
pub const EXIT_CONFIG: i32 = 3;
pub const EXIT_KEY_REFUSED: i32 = 4;
pub const EXIT_NOT_FOUND: i32 = 5;

/// How long a failpoint may take to be reached before the test gives up.
pub const FAILPOINT_WAIT: Duration = Duration::from_secs(30);

/// The gateway's folder: sygnal.toml, imap.pass, var/ (register, keys) and logs/.
pub struct Gateway {
    dir: TempDir,
    config: PathBuf,
    runs: AtomicU32,
    /// The first custodian's secret key: it consents to later reader changes.
    approver: std::sync::Mutex<Option<PathBuf>>,
    /// The tenant every command works on (`SYGNAL_TENANT`), in a config with several.
    tenant: std::sync::Mutex<Option<String>>,
}

/// A hit of the canary grep: which needle was found in which file at which offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CanaryHit {
    pub file: PathBuf,
    pub needle: String,
    pub offset: usize,
}

impl Gateway {
    /// A gateway configured for `dovecot` (plain IMAP on loopback, password in a 0600 file),
    /// reading the INBOX.
    pub fn new(dovecot: &Dovecot) -> Gateway {
        Self::with_folder(dovecot, "INBOX")
    }

    /// Like [`Gateway::new`] with another folder.
    pub fn with_folder(dovecot: &Dovecot, folder: &str) -> Gateway {
        Self::with_register(dovecot, folder, |_| {
            "driver = \"sqlite\"\npath = \"var/register.db\"\n".to_owned()
        })
    }

    /// A gateway whose register is a fresh schema in this test process's PostgreSQL cluster
    /// (URL in a 0600 file, as an operator would keep it).
    pub fn on_postgres(dovecot: &Dovecot) -> Gateway {
        Self::with_register(dovecot, "INBOX", |dir| {
            let pg = super::postgres::cluster();
            let url = pg.url_file(dir, &pg.url());
            format!(
                "driver = \"postgres\"\nurl-file = \"{}\"\nschema = \"{}\"\n",
                url.display(),
                pg.fresh_schema()
            )
        })
    }

    /// A gateway with the `[register]` table `register(dir)` writes (its keys only).
    fn with_register(
        dovecot: &Dovecot,
        folder: &str,
        register: impl FnOnce(&Path) -> String,
    ) -> Gateway {
        let dir = tempfile::Builder::new()
            .prefix("sygnal-gw")
            .tempdir()
            .unwrap();
        let register = register(dir.path());
        let pass = dir.path().join("imap.pass");
        std::fs::write(&pass, dovecot.password.as_bytes()).unwrap();
        std::fs::set_permissions(&pass, std::fs::Permissions::from_mode(0o600)).unwrap();
        let config = dir.path().join("sygnal.toml");
        std::fs::write(
            &config,
            format!(
                "[mailbox]\n\
                 host = \"127.0.0.1\"\n\
                 port = {port}\n\
                 tls = \"none\"\n\
                 username = \"{user}\"\n\
                 password-file = \"imap.pass\"\n\
                 folder = \"{folder}\"\n\
                 \n\
                 [register]\n\
                 {register}\
                 \n\
                 [keys]\n\
                 dir = \"var/keys\"\n\
                 unprotected = true\n",
                port = dovecot.port,
                user = dovecot.user,
            ),
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("logs")).unwrap();
        Gateway {
            dir,
            config,
            runs: AtomicU32::new(0),
            approver: std::sync::Mutex::new(None),
            tenant: std::sync::Mutex::new(None),
        }
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn config(&self) -> &Path {
        &self.config
    }

    /// Makes every following command work on `tenant` (None: none named). Reader changes
    /// are approved with the approver set by then (each tenant has its own custodian).
    pub fn set_tenant(&self, tenant: Option<&str>) {
        *self.tenant.lock().unwrap() = tenant.map(str::to_owned);
    }

    /// Forgets the approving custodian (a new tenant appoints its own first custodian).
    pub fn forget_approver(&self) {
        *self.approver.lock().unwrap() = None;
    }

    /// Replaces sygnal.toml.
    pub fn write_config(&self, toml: &str) {
        std::fs::write(&self.config, toml).unwrap();
    }

    /// Appends TOML (e.g. a `[limits]` table) to sygnal.toml.
    pub fn append_config(&self, toml: &str) {
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&self.config)
            .unwrap();
        f.write_all(b"\n").unwrap();
        f.write_all(toml.as_bytes()).unwrap();
    }

    /// The binary with `--config` and a debug log level, so the canary grep sees the most a
    /// log could ever say.
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new(env!("CARGO_BIN_EXE_sygnal"));
        c.arg("--config")
            .arg(&self.config)
            .args(args)
            .current_dir(self.dir.path())
            .env_remove("SYGNAL_FAILPOINT")
            .env_remove("SYGNAL_CONFIG")
            .env_remove("SYGNAL_TENANT")
            .env_remove("SYGNAL_PASSPHRASE")
            .env_remove("SYGNAL_IMAP_PASSWORD")
            .env("SYGNAL_LOG", "debug")
            .env("RUST_LOG", "debug")
            // The tests read English; the Polish session has a test of its own.
            .env("SYGNAL_LANG", "en")
            .stdin(Stdio::null());
        if let Some(t) = self.tenant.lock().unwrap().as_deref() {
            c.env("SYGNAL_TENANT", t);
        }
        c
    }

    fn next_log(&self, what: &str) -> PathBuf {
        let n = self.runs.fetch_add(1, Ordering::Relaxed);
        let tag: String = what
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
            .collect();
        self.dir
            .path()
            .join("logs")
            .join(format!("{n:03}-{tag}.stderr"))
    }

    /// Runs the binary to completion; stderr is also kept under logs/.
    pub fn run(&self, args: &[&str]) -> Output {
        let out = self
            .command(args)
            .output()
            .expect("spawn sygnal (is the binary built?)");
        std::fs::write(self.next_log(&args.join("_")), &out.stderr).unwrap();
        out
    }

    /// Runs the binary with its clock set to `when` (libfaketime, e.g. "2030-01-02 12:00:00"),
    /// as the day a scheduled job runs years later would see it.
    pub fn run_at(&self, when: &str, args: &[&str]) -> Output {
        let inner = self.command(args);
        let mut c = Command::new("faketime");
        c.arg(when).arg(inner.get_program()).args(inner.get_args());
        if let Some(dir) = inner.get_current_dir() {
            c.current_dir(dir);
        }
        for (k, v) in inner.get_envs() {
            match v {
                Some(v) => c.env(k, v),
                None => c.env_remove(k),
            };
        }
        let out = c
            .stdin(Stdio::null())
            .output()
            .expect("run faketime (scripts/test installs it)");
        std::fs::write(
            self.next_log(&format!("at_{}", args.join("_"))),
            &out.stderr,
        )
        .unwrap();
        out
    }

    /// Runs the binary and panics with its stderr unless it exits 0; returns stdout.
    pub fn run_ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert_success(args, &out);
        String::from_utf8(out.stdout).expect("stdout is UTF-8")
    }

    /// `sygnal init`; returns the intake key's fingerprint.
    pub fn init(&self) -> String {
        let out = self.run_ok(&["init"]);
        out.lines()
            .find_map(|l| l.trim().strip_prefix("intake key:"))
            // "intake key: FPR" possibly followed by a note such as "(exists)".
            .and_then(|f| f.split_whitespace().next())
            .map(str::to_uppercase)
            .unwrap_or_else(|| panic!("no 'intake key:' line in init output: {out}"))
    }

    /// The armored public intake certificate (what reporters encrypt to).
    pub fn intake_cert(&self) -> Vec<u8> {
        let out = self.run(&["keys", "export-intake"]);
        assert_success(&["keys", "export-intake"], &out);
        out.stdout
    }

    /// The key that consents to reader changes: the first custodian's (None before one).
    pub fn approver(&self) -> Option<PathBuf> {
        self.approver.lock().unwrap().clone()
    }

    /// Adds a reader with a custodian's consent, as an organisation would: the first custodian
    /// consents with their own key, later changes with the first custodian's.
    fn add_reader(&self, holder: &Holder, name: &str, role: &str) {
        let certs = self.dir.path().join("certs");
        std::fs::create_dir_all(&certs).unwrap();
        let file = certs.join(format!("{}.asc", holder.fpr));
        std::fs::write(&file, holder.cert()).unwrap();
        let approver = match (self.approver(), role) {
            (Some(key), _) => Some(key),
            (None, "custodian") => Some(holder.key_file.clone()),
            (None, _) => None,
        };
        let mut args = vec![
            "handlers".to_owned(),
            "add".to_owned(),
            "--cert".to_owned(),
            file.to_str().unwrap().to_owned(),
            "--name".to_owned(),
            name.to_owned(),
            "--role".to_owned(),
            role.to_owned(),
        ];
        if let Some(key) = &approver {
            args.push("--approve-key".to_owned());
            args.push(key.to_str().unwrap().to_owned());
        }
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        self.run_ok(&args);
        if role == "custodian" && self.approver().is_none() {
            *self.approver.lock().unwrap() = Some(holder.key_file.clone());
        }
    }

    /// `handlers remove FPR` with the custodian's consent.
    pub fn remove_reader(&self, fpr: &str) {
        let key = self.approver().expect("a custodian consents to removals");
        self.run_ok(&[
            "handlers",
            "remove",
            fpr,
            "--approve-key",
            key.to_str().unwrap(),
        ]);
    }

    /// Adds a handler (reads cases) from a gpg-made certificate.
    pub fn add_handler(&self, holder: &Holder) {
        self.add_reader(holder, "Handler", "handler");
    }

    /// Adds an identity custodian from a gpg-made certificate.
    pub fn add_custodian(&self, holder: &Holder) {
        self.add_reader(holder, "Custodian", "custodian");
    }

    /// `sygnal run --once`, which must exit 0.
    pub fn run_once(&self) -> Output {
        let out = self.run(&["run", "--once"]);
        assert_success(&["run", "--once"], &out);
        out
    }

    /// `sygnal cases list --json`.
    pub fn cases_json(&self) -> Vec<Value> {
        json_array(&self.run_ok(&["cases", "list", "--json"]))
    }

    /// `sygnal quarantine list --json`.
    pub fn quarantine_json(&self) -> Vec<Value> {
        json_array(&self.run_ok(&["quarantine", "list", "--json"]))
    }

    /// `sygnal cases show NUMBER --key KEY --json [--save-attachments DIR]`, which must succeed.
    pub fn show_case(&self, number: &str, key: &Path, save: Option<&Path>) -> Value {
        let mut args = vec![
            "cases",
            "show",
            number,
            "--key",
            key.to_str().unwrap(),
            "--json",
        ];
        if let Some(dir) = save {
            args.push("--save-attachments");
            args.push(dir.to_str().unwrap());
        }
        // stdout holds the opened case by design; only stderr is kept as a log.
        let out = self.run(&args);
        assert_success(&args, &out);
        serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
            panic!(
                "cases show: bad JSON ({e}): {}",
                String::from_utf8_lossy(&out.stdout)
            )
        })
    }

    /// `sygnal identity unseal NUMBER --key KEY --reason ... --json`; the caller checks the code.
    pub fn unseal(&self, number: &str, key: &Path) -> Output {
        self.run(&[
            "identity",
            "unseal",
            number,
            "--key",
            key.to_str().unwrap(),
            "--reason",
            "test: checking the identity split",
            "--json",
        ])
    }

    /// `sygnal quarantine retry [ID] --key KEY` (a handler's key reopens the sealed raw
    /// messages); the caller checks the code.
    pub fn quarantine_retry(&self, id: Option<&str>, key: &Path) -> Output {
        let mut args = vec!["quarantine", "retry", "--key", key.to_str().unwrap()];
        if let Some(id) = id {
            args.push(id);
        }
        self.run(&args)
    }

    /// The numbers of all filed cases.
    pub fn case_numbers(&self) -> Vec<String> {
        self.cases_json()
            .iter()
            .map(|c| c["number"].as_str().expect("case number").to_owned())
            .collect()
    }

    /// Starts `sygnal run --once` with `SYGNAL_FAILPOINT=name` and returns once the process
    /// says `sygnal: failpoint NAME reached` (it then blocks until killed). Panics if the line
    /// does not come within [`FAILPOINT_WAIT`] or the process exits first.
    pub fn spawn_with_failpoint(&self, name: &str) -> Child {
        self.spawn_args_with_failpoint(&["run", "--once"], name)
    }

    /// Like [`Gateway::spawn_with_failpoint`] for any command line (e.g. `keys reseal`).
    pub fn spawn_args_with_failpoint(&self, args: &[&str], name: &str) -> Child {
        let log = self.next_log(&format!("{}_failpoint_{name}", args.join("_")));
        let mut child = self
            .command(args)
            .env("SYGNAL_FAILPOINT", name)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn sygnal");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = mpsc::channel();
        let wanted = format!("sygnal: failpoint {name} reached");
        // Keeps draining stderr into the log file until the process dies, so the canary grep
        // sees everything it wrote.
        std::thread::spawn(move || {
            let mut file = std::fs::File::create(log).unwrap();
            let mut reader = BufReader::new(stderr);
            let mut line = Vec::new();
            let mut told = false;
            loop {
                line.clear();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let _ = file.write_all(&line);
                        let _ = file.flush();
                        if !told && String::from_utf8_lossy(&line).contains(&wanted) {
                            told = true;
                            let _ = tx.send(());
                        }
                    }
                }
            }
        });
        let deadline = std::time::Instant::now() + FAILPOINT_WAIT;
        loop {
            match rx.recv_timeout(Duration::from_millis(100)) {
                Ok(()) => return child,
                Err(mpsc::RecvTimeoutError::Timeout) => {}
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let status = child.wait().unwrap();
                    panic!(
                        "sygnal exited ({status}) before failpoint {name}; logs:\n{}",
                        self.logs()
                    );
                }
            }
            if let Ok(Some(status)) = child.try_wait() {
                // Give the reader a moment to pass on a line that came just before exit.
                if rx.recv_timeout(Duration::from_millis(500)).is_ok() {
                    return child;
                }
                panic!(
                    "sygnal exited ({status}) before failpoint {name}; logs:\n{}",
                    self.logs()
                );
            }
            if std::time::Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!(
                    "failpoint {name} not reached within {FAILPOINT_WAIT:?}; logs:\n{}",
                    self.logs()
                );
            }
        }
    }

    /// Every log captured so far, for failure messages.
    pub fn logs(&self) -> String {
        let mut names: Vec<PathBuf> = std::fs::read_dir(self.dir.path().join("logs"))
            .map(|rd| rd.filter_map(|e| e.ok().map(|e| e.path())).collect())
            .unwrap_or_default();
        names.sort();
        let mut all = String::new();
        for n in names {
            all.push_str(&format!("== {}\n", n.display()));
            all.push_str(&String::from_utf8_lossy(
                &std::fs::read(&n).unwrap_or_default(),
            ));
        }
        all
    }

    /// Scans every file under the gateway's folder (register, its -wal/-journal/-shm, the keys
    /// folder, the captured logs) for each needle; returns the hits (empty = clean).
    pub fn canary_grep(&self, needles: &[&[u8]]) -> Vec<CanaryHit> {
        let mut hits = Vec::new();
        let mut files = Vec::new();
        walk(self.dir.path(), &mut files);
        for file in files {
            let Ok(data) = std::fs::read(&file) else {
                continue;
            };
            for needle in needles {
                if needle.is_empty() {
                    continue;
                }
                if let Some(offset) = find(&data, needle) {
                    hits.push(CanaryHit {
                        file: file.clone(),
                        needle: String::from_utf8_lossy(needle).into_owned(),
                        offset,
                    });
                }
            }
        }
        hits
    }

    /// Every file path under the gateway's folder (for asserting what was scanned).
    pub fn files(&self) -> Vec<PathBuf> {
        let mut files = Vec::new();
        walk(self.dir.path(), &mut files);
        files
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in rd.flatten() {
        let path = entry.path();
        match entry.file_type() {
            Ok(t) if t.is_dir() => walk(&path, out),
            Ok(t) if t.is_file() => out.push(path),
            _ => {}
        }
    }
}

/// First offset of `needle` in `hay`.
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() || needle.len() > hay.len() {
        return None;
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Panics with the command's stderr unless it exited 0.
pub fn assert_success(args: &[&str], out: &Output) {
    assert!(
        out.status.success(),
        "sygnal {args:?} failed ({}):\nstdout: {}\nstderr: {}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

fn json_array(text: &str) -> Vec<Value> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => items,
        other => panic!("expected a JSON array, got {other:?} from: {text}"),
    }
}

/// A gateway ready to run: initialised, one gpg-made handler and one gpg-made custodian.
pub struct Setup {
    pub gateway: Gateway,
    pub handler: Holder,
    pub custodian: Holder,
    pub intake_cert: Vec<u8>,
}

impl Setup {
    pub fn new(dovecot: &Dovecot) -> Setup {
        Self::with_gateway(Gateway::new(dovecot))
    }

    /// Initialises `gateway` and adds a gpg-made handler and custodian.
    pub fn with_gateway(gateway: Gateway) -> Setup {
        gateway.init();
        let handler = Holder::new("Hanna Handler", "hanna@handlers.example.org");
        let custodian = Holder::new("Celina Custodian", "celina@custody.example.org");
        gateway.add_handler(&handler);
        gateway.add_custodian(&custodian);
        let intake_cert = gateway.intake_cert();
        assert!(
            find(&intake_cert, b"-----BEGIN PGP PUBLIC KEY BLOCK-----").is_some(),
            "export-intake did not print an armored certificate"
        );
        Setup {
            gateway,
            handler,
            custodian,
            intake_cert,
        }
    }
}

/// Text with LF line ends and no trailing newline, for comparing bodies across CRLF handling.
pub fn normalize_text(s: &str) -> String {
    s.replace("\r\n", "\n").trim_end_matches('\n').to_owned()
}

/// Lower-case hex SHA-256.
pub fn sha256_hex(data: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(data))
}

/// A JSON value's text, panicking with the whole value when the field is missing.
pub fn str_field<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key]
        .as_str()
        .unwrap_or_else(|| panic!("no string field {key:?} in {v}"))
}

/// A JSON value's boolean, panicking with the whole value when the field is missing.
pub fn bool_field(v: &Value, key: &str) -> bool {
    v[key]
        .as_bool()
        .unwrap_or_else(|| panic!("no boolean field {key:?} in {v}"))
}
