//! A throwaway PostgreSQL cluster for the tests of this process: `initdb` in a temp dir, the
//! server on a free loopback port (TLS on, password login), its socket in the temp dir. Started
//! once, on first use; a watchdog shell stops it and removes its files when this process is
//! gone, however it ended. Each test takes a fresh schema (one register each), so tests run in
//! parallel on one cluster.
//!
//! PostgreSQL missing is a test failure, never a skip: `scripts/test` installs it.
//! Shared by the unit tests (src/register/testing.rs includes this file) and tests/it.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::fs;
use std::net::{Ipv4Addr, TcpListener};
use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// The superuser the tests log in as.
pub const USER: &str = "postgres";

/// A running cluster.
pub struct Cluster {
    /// Loopback TCP port.
    pub port: u16,
    /// The superuser's password.
    pub password: String,
    /// The cluster's folder (data, socket, log, certificate).
    pub dir: PathBuf,
    /// The server's self-signed certificate (names localhost and 127.0.0.1), to trust as root.
    pub ca_pem: PathBuf,
    bin: PathBuf,
}

static CLUSTER: OnceLock<Cluster> = OnceLock::new();
static SCHEMAS: AtomicU32 = AtomicU32::new(0);

/// The cluster of this test process, started on first use.
pub fn cluster() -> &'static Cluster {
    CLUSTER.get_or_init(Cluster::start)
}

impl Cluster {
    /// `postgres://` URL over loopback TCP without TLS (loopback needs none).
    pub fn url(&self) -> String {
        format!(
            "postgres://{USER}:{}@127.0.0.1:{}/postgres",
            self.password, self.port
        )
    }

    /// The same server through TLS, verifying its certificate against `ca_pem` and its name.
    pub fn tls_url(&self) -> String {
        format!(
            "postgres://{USER}:{}@localhost:{}/postgres?sslmode=verify-full&sslrootcert={}",
            self.password,
            self.port,
            self.ca_pem.display()
        )
    }

    /// Writes `url` to a fresh 0600 file in `dir` (as `register.url-file` reads it).
    pub fn url_file(&self, dir: &Path, url: &str) -> PathBuf {
        let path = dir.join("pg.url");
        fs::write(&path, url).unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o600)).unwrap();
        path
    }

    /// A schema name no other test of any process uses.
    pub fn fresh_schema(&self) -> String {
        format!(
            "t{}_{}",
            std::process::id(),
            SCHEMAS.fetch_add(1, Ordering::Relaxed)
        )
    }

    /// Runs SQL as the superuser with psql; returns its output (unaligned, tuples only).
    pub fn psql(&self, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args(["-X", "-A", "-t", "-v", "ON_ERROR_STOP=1"])
            .arg(format!(
                "postgresql://{USER}@127.0.0.1:{}/postgres?sslmode=disable",
                self.port
            ))
            .args(["-c", sql])
            .env("PGPASSWORD", &self.password)
            .output()
            .expect("run psql");
        assert!(
            out.status.success(),
            "psql {sql}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    fn start() -> Cluster {
        let bin = bin_dir();
        let dir = std::env::temp_dir().join(format!(
            "sygnal-pg-{}-{:08x}",
            std::process::id(),
            rand_u32()
        ));
        fs::create_dir_all(&dir).unwrap();
        // The server runs as `postgres` when we are root (initdb refuses root).
        let as_postgres = is_root();
        let password = format!("test-{:08x}{:08x}", rand_u32(), rand_u32());
        fs::write(dir.join("pwfile"), &password).unwrap();
        let ca_pem = make_cert(&dir);
        if as_postgres {
            chown_postgres(&dir);
        }
        let data = dir.join("data");
        let initdb = run(
            as_postgres,
            Command::new(bin.join("initdb"))
                .arg("-D")
                .arg(&data)
                .args(["-U", USER, "--auth=scram-sha-256", "-E", "UTF8"])
                .args(["--locale=C", "--no-instructions"])
                .arg(format!("--pwfile={}", dir.join("pwfile").display())),
        );
        assert!(
            initdb.status.success(),
            "initdb failed (is PostgreSQL installed? scripts/test installs it): {}",
            String::from_utf8_lossy(&initdb.stderr)
        );
        let port = free_port();
        // The watchdog: the server in the background, stopped (fast shutdown) and its folder
        // removed once this test process is gone.
        let server = format!(
            "{postgres} -D {data} -p {port} -k {dir} -c listen_addresses=127.0.0.1 \
             -c max_connections=300 -c ssl=on -c ssl_cert_file={dir}/cert.pem \
             -c ssl_key_file={dir}/key.pem -c fsync=on -c synchronous_commit=on \
             >{dir}/server.log 2>&1 & pg=$!; \
             while [ -d /proc/{me} ] && kill -0 $pg 2>/dev/null; do sleep 1; done; \
             kill -INT $pg 2>/dev/null; wait $pg; rm -rf {dir}",
            postgres = bin.join("postgres").display(),
            data = data.display(),
            dir = dir.display(),
            me = std::process::id(),
        );
        let mut sh = Command::new("sh");
        sh.args(["-c", &server])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let mut watchdog = if as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--", "sh", "-c", &server])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null());
            c
        } else {
            sh
        };
        // Never waited for: the watchdog outlives this process by design (it cleans up after).
        #[allow(clippy::zombie_processes)]
        watchdog.spawn().expect("start the PostgreSQL watchdog");
        let cluster = Cluster {
            port,
            password,
            dir,
            ca_pem,
            bin,
        };
        cluster.wait_ready();
        cluster
    }

    fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            let ready = Command::new(self.bin.join("pg_isready"))
                .args(["-h", "127.0.0.1", "-p", &self.port.to_string(), "-q"])
                .status()
                .map(|s| s.success())
                .unwrap_or(false);
            if ready {
                return;
            }
            if Instant::now() > deadline {
                let log = fs::read_to_string(self.dir.join("server.log")).unwrap_or_default();
                panic!("PostgreSQL did not start on port {}: {log}", self.port);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

/// The newest installed server's programs (Debian keeps them out of PATH).
fn bin_dir() -> PathBuf {
    let mut versions: Vec<(u32, PathBuf)> = fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| {
            let version = e.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = e.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    match versions.pop() {
        Some((_, bin)) => bin,
        None => panic!(
            "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/initdb): the register \
             contract runs on both backends and never skips one; run scripts/test, or \
             apt-get install postgresql"
        ),
    }
}

fn run(as_postgres: bool, cmd: &mut Command) -> std::process::Output {
    if as_postgres {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(cmd.get_program());
        c.args(cmd.get_args());
        c.output().expect("run runuser")
    } else {
        cmd.output().expect("run PostgreSQL tool")
    }
}

fn is_root() -> bool {
    fs::metadata("/proc/self")
        .map(|m| std::os::unix::fs::MetadataExt::uid(&m) == 0)
        .unwrap_or(false)
}

fn chown_postgres(dir: &Path) {
    let ids = |flag: &str| -> u32 {
        let out = Command::new("id")
            .args([flag, "postgres"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "no postgres user: is PostgreSQL installed?"
        );
        String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
    };
    let (uid, gid) = (ids("-u"), ids("-g"));
    for entry in fs::read_dir(dir).unwrap().flatten() {
        std::os::unix::fs::chown(entry.path(), Some(uid), Some(gid)).unwrap();
    }
    std::os::unix::fs::chown(dir, Some(uid), Some(gid)).unwrap();
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn rand_u32() -> u32 {
    let mut bytes = [0u8; 4];
    use std::io::Read as _;
    fs::File::open("/dev/urandom")
        .and_then(|mut f| f.read_exact(&mut bytes))
        .unwrap();
    u32::from_le_bytes(bytes)
}

/// A self-signed server certificate for `localhost` and 127.0.0.1 (`cert.pem`, key `key.pem`
/// 0600) in `dir`, as rustls accepts it for a server.
pub fn make_cert(dir: &Path) -> PathBuf {
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    let out = Command::new("openssl")
        .args(["req", "-x509", "-newkey", "ec", "-pkeyopt"])
        .arg("ec_paramgen_curve:prime256v1")
        .args(["-nodes", "-days", "2", "-subj", "/CN=localhost"])
        .args(["-addext", "basicConstraints=critical,CA:FALSE"])
        .args(["-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost"])
        .args(["-addext", "extendedKeyUsage=serverAuth"])
        .args(["-addext", "keyUsage=critical,digitalSignature"])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl req failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    fs::set_permissions(&key, fs::Permissions::from_mode(0o600)).unwrap();
    cert
}

impl Cluster {
    /// Scans the cluster's files (data pages after a checkpoint, write-ahead log, server log)
    /// for each needle; returns (file, needle) for every hit.
    pub fn grep(&self, needles: &[&[u8]]) -> Vec<(PathBuf, String)> {
        self.psql("CHECKPOINT");
        let mut files = Vec::new();
        walk(&self.dir, &mut files);
        let mut hits = Vec::new();
        for file in files {
            let Ok(data) = fs::read(&file) else { continue };
            for needle in needles.iter().filter(|n| !n.is_empty()) {
                if data.windows(needle.len()).any(|w| w == *needle) {
                    hits.push((file.clone(), String::from_utf8_lossy(needle).into_owned()));
                }
            }
        }
        hits
    }
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out);
        } else {
            out.push(path);
        }
    }
}
