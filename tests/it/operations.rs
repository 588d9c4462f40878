//! Running it as a service (issue 18): the metrics endpoint scraped with a real Prometheus
//! text parser after a running gateway filed and quarantined reports, and the health endpoint.

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, TcpStream};
use std::process::{Command, Stdio};
use std::time::Duration;

use crate::faults::{wait_for, Running};
use crate::retention::{close, LATER};
use crate::support::dovecot::{free_port, Dovecot};
use crate::support::gateway::{str_field, Setup};
use crate::support::gnupg::{plain_mail, unique, Report};

const TO: &str = "zgloszenia@urzad.example.org";

/// One HTTP/1.1 GET on loopback: status code and body.
fn get(port: u16, path: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let (head, body) = response.split_once("\r\n\r\n")?;
    let status = head.split(' ').nth(1)?.parse().ok()?;
    assert!(
        head.to_ascii_lowercase()
            .contains("cache-control: no-store"),
        "{head}"
    );
    Some((status, body.to_owned()))
}

fn report(token: &str, n: u32) -> Vec<u8> {
    plain_mail(&Report {
        from: &format!("Zgłaszający {n} <zglaszajacy.{token}.{n}@example.net>"),
        to: TO,
        subject: &format!("{token}-SUBJECT-{n}"),
        body: &format!("{token}-BODY-{n}\n"),
        attachment: None,
    })
}

fn sample(scrape: &prometheus_parse::Scrape, name: &str, label: Option<(&str, &str)>) -> f64 {
    let found = scrape
        .samples
        .iter()
        .find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)));
    match found.map(|s| &s.value) {
        Some(prometheus_parse::Value::Counter(v) | prometheus_parse::Value::Gauge(v)) => *v,
        Some(prometheus_parse::Value::Untyped(v)) => *v,
        Some(other) => panic!("{name}: unexpected {other:?}"),
        None => panic!("{name} {label:?} not in the scrape: {:?}", scrape.samples),
    }
}

#[test]
fn metrics_count_what_a_running_gateway_filed_and_quarantined_and_health_needs_a_writable_register()
{
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let port = free_port();
    s.gateway.append_config(&format!(
        "[operations]\nlisten = \"127.0.0.1:{port}\"\nmax-drain-age-secs = 600\n"
    ));
    let token = unique("M");

    // Two reports filed by an earlier run; the running gateway's clock is ten days on, so
    // their acknowledgement is overdue.
    dovecot.append("INBOX", &report(&token, 1));
    dovecot.append("INBOX", &report(&token, 2));
    let out = s.gateway.run(&["run", "--once"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // A running gateway files one more and quarantines one it cannot parse.
    let mut running = Running::start_shifted(&s.gateway, "metrics", "+10d");
    wait_for(&s.gateway, "the endpoints", Duration::from_secs(30), || {
        get(port, "/health").is_some()
    });
    dovecot.append("INBOX", &report(&token, 3));
    dovecot.append("INBOX", b"no header here at all");
    let mut text = String::new();
    wait_for(
        &s.gateway,
        "filed and quarantined",
        Duration::from_secs(60),
        || {
            text = get(port, "/metrics").map(|(_, b)| b).unwrap_or_default();
            text.contains("sygnal_messages_filed_total 1")
                && text.contains("sygnal_quarantined_total")
        },
    );
    assert!(running.alive(), "{}", running.log());

    let lines = text.lines().map(|l| Ok(l.to_owned()));
    let scrape = prometheus_parse::Scrape::parse(lines).expect("Prometheus text");
    assert_eq!(sample(&scrape, "sygnal_messages_filed_total", None), 1.0);
    assert_eq!(
        sample(
            &scrape,
            "sygnal_quarantined_total",
            Some(("reason", "mime-unparseable"))
        ),
        1.0
    );
    assert_eq!(sample(&scrape, "sygnal_imap_connected", None), 1.0);
    assert_eq!(sample(&scrape, "sygnal_deletions_pending", None), 0.0);
    assert_eq!(
        sample(
            &scrape,
            "sygnal_deadlines_overdue",
            Some(("kind", "acknowledgement"))
        ),
        2.0
    );
    assert_eq!(
        sample(
            &scrape,
            "sygnal_deadlines_overdue",
            Some(("kind", "feedback"))
        ),
        0.0
    );
    let drained = sample(&scrape, "sygnal_last_drain_timestamp_seconds", None);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64()
        + 10.0 * 86_400.0;
    assert!((now - drained).abs() < 120.0, "{drained} vs {now}");
    let timed = scrape
        .samples
        .iter()
        .find(|s| s.metric == "sygnal_intake_seconds")
        .map(|s| &s.value);
    match timed {
        Some(prometheus_parse::Value::Histogram(buckets)) => {
            let all = buckets.iter().map(|b| b.count).fold(0.0, f64::max);
            assert_eq!(all, 2.0, "both messages of this run timed: {buckets:?}");
        }
        other => panic!("sygnal_intake_seconds is not a histogram: {other:?}"),
    }
    // No label carries content, an address or a case number.
    for needle in [token.as_str(), "example.net", "/20"] {
        assert!(!text.contains(needle), "{needle} in:\n{text}");
    }

    assert_eq!(get(port, "/health"), Some((200, "ok\n".to_owned())));

    // Another process holds the register's write lock: health says so within seconds.
    let db = s.gateway.dir().join("var/register.db");
    let mut holder = Command::new("python3")
        .args([
            "-c",
            "import sqlite3,sys,time\n\
             c=sqlite3.connect(sys.argv[1],isolation_level=None)\n\
             c.execute('BEGIN EXCLUSIVE')\nprint('held',flush=True)\ntime.sleep(60)",
        ])
        .arg(&db)
        .stdout(Stdio::piped())
        .spawn()
        .expect("python3");
    let mut held = [0u8; 4];
    holder
        .stdout
        .as_mut()
        .unwrap()
        .read_exact(&mut held)
        .unwrap();
    let (status, body) = get(port, "/health").expect("a health answer");
    let _ = holder.kill();
    let _ = holder.wait();
    assert_eq!(status, 503, "{body}");
    assert!(body.contains("register does not take writes"), "{body}");
    wait_for(&s.gateway, "health again", Duration::from_secs(30), || {
        get(port, "/health").is_some_and(|(status, _)| status == 200)
    });
    running.stop();
}

fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt as _;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn files_under(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for sub in ["intake", "shred"] {
        for e in std::fs::read_dir(dir.join(sub)).unwrap() {
            out.push(format!(
                "{sub}/{}",
                e.unwrap().file_name().to_string_lossy()
            ));
        }
    }
    out.sort();
    out
}

#[test]
fn restore_drill_every_case_opens_with_the_same_keys_and_one_destroyed_after_the_backup_stays_shut()
{
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let reporter = crate::support::gnupg::Gpg::new();
    let token = unique("BAK");
    for i in 0..2 {
        dovecot.append(
            "INBOX",
            &reporter.encrypt_pgp_mime(
                &s.intake_cert,
                &format!("Reporter <r{i}.{token}@example.net>"),
                TO,
                &format!("Sprawa {i} {token}"),
                &format!("Treść {i}.\n"),
                None,
                None,
            ),
        );
    }
    s.gateway.run_once();
    let numbers = s.gateway.case_numbers();
    let (expired, kept) = (&numbers[0], &numbers[1]);
    close(&s, expired);

    // The backup: the register, and the key folder sealed to the custodian.
    let dir = s.gateway.dir();
    std::fs::create_dir(dir.join("backup")).unwrap();
    let (register_copy, keys_copy) = (dir.join("backup/register.db"), dir.join("backup/keys.pgp"));
    let made = s.gateway.run_ok(&[
        "backup",
        "--out",
        register_copy.to_str().unwrap(),
        "--keys-out",
        keys_copy.to_str().unwrap(),
    ]);
    assert!(made.contains("sealed to 1 custodian(s)"), "{made}");
    assert_eq!((mode(&register_copy), mode(&keys_copy)), (0o600, 0o600));
    let keys_then = files_under(&dir.join("var/keys"));
    // Standard OpenPGP to the custodian only: GnuPG opens it with the custodian's key, not
    // with the handler's; nothing of the folder shows without a key.
    let sealed = std::fs::read(&keys_copy).unwrap();
    assert!(
        !sealed.windows(6).any(|w| w == b"shred/"),
        "file names in clear"
    );
    assert_eq!(s.custodian.gpg.decrypt(&sealed).0, 0);
    assert_ne!(s.handler.gpg.decrypt(&sealed).0, 0);
    // A second backup never overwrites the first.
    let again = s
        .gateway
        .run(&["backup", "--out", register_copy.to_str().unwrap()]);
    assert!(!again.status.success());

    // Years later retention destroys the closed case; then the disk dies.
    let ran = s.gateway.run_at(LATER, &["retention", "run"]);
    assert!(
        String::from_utf8_lossy(&ran.stdout).contains(&format!("destroyed {expired}")),
        "{ran:?}"
    );
    let var = dir.join("var");
    std::fs::remove_dir_all(&var).unwrap();
    std::fs::create_dir(&var).unwrap();

    // Without the key folder nothing is restored.
    let bare = s
        .gateway
        .run(&["restore", "--from", register_copy.to_str().unwrap()]);
    assert!(!bare.status.success());
    assert!(
        String::from_utf8_lossy(&bare.stderr).contains("--keys-from"),
        "{bare:?}"
    );
    assert!(!var.join("register.db").exists());

    // The handler's key does not open the key archive.
    let wrong = s.gateway.run(&[
        "restore",
        "--from",
        register_copy.to_str().unwrap(),
        "--keys-from",
        keys_copy.to_str().unwrap(),
        "--key",
        s.handler.key_file.to_str().unwrap(),
    ]);
    assert!(!wrong.status.success());
    assert!(!var.join("register.db").exists());

    let restored = s.gateway.run_at(
        LATER,
        &[
            "restore",
            "--from",
            register_copy.to_str().unwrap(),
            "--keys-from",
            keys_copy.to_str().unwrap(),
            "--key",
            s.custodian.key_file.to_str().unwrap(),
        ],
    );
    let said = String::from_utf8_lossy(&restored.stdout);
    assert!(
        restored.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&restored.stderr)
    );
    assert!(said.contains("2 case(s), audit chain verified"), "{said}");
    assert!(
        said.contains(&format!(
            "destroyed again (past its retention date): {expired}"
        )),
        "{said}"
    );
    assert_eq!(mode(&var.join("register.db")), 0o600);
    assert_eq!(mode(&var.join("keys")), 0o700);

    // The kept case opens with the same keys, its identity with the custodian's.
    let case = s.gateway.show_case(kept, &s.handler.key_file, None);
    assert!(str_field(&case, "subject").contains(&token));
    assert!(s
        .gateway
        .unseal(kept, &s.custodian.key_file)
        .status
        .success());
    // The destroyed one stays shut: its shred key did not come back.
    let shown = s.gateway.run(&[
        "cases",
        "show",
        expired,
        "--key",
        s.handler.key_file.to_str().unwrap(),
    ]);
    assert!(!shown.status.success());
    assert!(!s
        .gateway
        .unseal(expired, &s.custodian.key_file)
        .status
        .success());
    let keys_now = files_under(&var.join("keys"));
    assert!(
        keys_now.len() < keys_then.len(),
        "{keys_now:?} vs {keys_then:?}"
    );
    // The chain holds, with the backup and the restore in it.
    let verified = s.gateway.run_ok(&["audit", "verify"]);
    assert!(verified.contains("audit chain intact"), "{verified}");
    let log = s.gateway.run_ok(&["audit", "show", "--json"]);
    for event in ["RegisterBackedUp", "RegisterRestored", "CaseDestroyed"] {
        assert!(log.contains(event), "{event} not in {log}");
    }
    // Restoring over a register is refused.
    let twice = s
        .gateway
        .run(&["restore", "--from", register_copy.to_str().unwrap()]);
    assert!(!twice.status.success());
}

/// The shipped unit passes `systemd-analyze verify` without a warning (the binary it starts is
/// this build), its sandbox keeps the exposure score low, and the shipped config it reads is
/// valid and takes the credentials the unit loads.
#[test]
fn the_shipped_systemd_unit_verifies_with_a_low_exposure_and_its_config_takes_its_credentials() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let unit = std::fs::read_to_string(root.join("packaging/sygnal.service")).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sygnal.service");
    std::fs::write(
        &path,
        unit.replace("/usr/local/bin/sygnal", env!("CARGO_BIN_EXE_sygnal")),
    )
    .unwrap();

    let verify = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("systemd-analyze (scripts/test installs systemd)");
    let said = String::from_utf8_lossy(&verify.stderr);
    assert!(verify.status.success(), "{said}");
    let about_ours: Vec<&str> = said.lines().filter(|l| l.contains("sygnal")).collect();
    assert!(about_ours.is_empty(), "{about_ours:?}");

    let security = Command::new("systemd-analyze")
        .args(["security", "--offline=true", "--no-pager"])
        .arg(&path)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&security.stdout);
    let exposure: f64 = report
        .lines()
        .find_map(|l| {
            l.split("Overall exposure level for sygnal.service: ")
                .nth(1)
        })
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no exposure level in:\n{report}"));
    assert!(exposure <= 2.0, "exposure {exposure}:\n{report}");

    let config = std::fs::read_to_string(root.join("packaging/sygnal.toml")).unwrap();
    let deployment =
        sygnal::config::Deployment::from_toml(&config, std::path::Path::new("/etc/sygnal"))
            .unwrap_or_else(|e| panic!("packaging/sygnal.toml: {e:?}"));
    let tenant = &deployment.tenants[0];
    for name in ["imap-password", "key-passphrase"] {
        assert!(unit.contains(&format!("LoadCredential={name}:")), "{name}");
    }
    assert!(matches!(
        &tenant.mailbox.password,
        sygnal::config::PasswordSource::Credential(n) if n == "imap-password"
    ));
    assert!(unit.contains(" --config /etc/sygnal/sygnal.toml run"));
    assert!(tenant
        .operations
        .listen
        .is_some_and(|a| a.ip().is_loopback()));
}

/// `doctor` for operators: the register file's mode, a clock set back behind the register, the
/// mailbox's capabilities; each warning with its fix.
#[test]
fn doctor_names_a_readable_register_a_clock_set_back_and_the_servers_capabilities() {
    use std::os::unix::fs::PermissionsExt as _;
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    dovecot.append("INBOX", &report(&unique("DOC"), 1));
    s.gateway.run_once();

    let healthy = s.gateway.run(&["doctor", "--mailbox"]);
    let said = String::from_utf8_lossy(&healthy.stdout);
    assert!(
        healthy.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&healthy.stderr)
    );
    assert!(
        said.contains("ok   the server offers UIDPLUS, MOVE, IDLE"),
        "{said}"
    );
    assert!(said.contains("is readable by its owner only"), "{said}");
    assert!(said.contains("is not behind the register"), "{said}");

    let register = s.gateway.dir().join("var/register.db");
    std::fs::set_permissions(&register, std::fs::Permissions::from_mode(0o644)).unwrap();
    let loose = s.gateway.run(&["doctor"]);
    assert_eq!(loose.status.code(), Some(1));
    let said = String::from_utf8_lossy(&loose.stdout);
    assert!(said.contains(&format!(
        "WARN the register {} has mode 644",
        register.display()
    )));
    assert!(said.contains("chmod 600"), "{said}");
    std::fs::set_permissions(&register, std::fs::Permissions::from_mode(0o600)).unwrap();

    // Set back before the intake key was made: the keys look not yet valid, and doctor says
    // why.
    let behind = s.gateway.run_at("2024-03-01 12:00:00", &["doctor"]);
    assert!(!behind.status.success());
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&behind.stdout),
        String::from_utf8_lossy(&behind.stderr)
    );
    assert!(
        said.contains("the clock says 2024-03-01") && said.contains("timedatectl"),
        "{said}"
    );
}
