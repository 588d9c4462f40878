//! The web console in a real browser: headless Chromium (Debian's) loads the pages of a running
//! `sygnal console`; what it rendered is read back from its DOM and its screenshot. Screenshots
//! are kept under target/console-screens/ as test artefacts.

use std::io::{Read as _, Write as _};
use std::net::{Ipv4Addr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::faults::{wait_for, Running};
use crate::support::dovecot::{accepts, free_port, Dovecot};
use crate::support::gateway::Setup;
use crate::support::gnupg::{plain_mail, unique, Report};

/// Where the screenshots are kept.
fn screens() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/console-screens");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Headless Chromium with a fresh profile and no background traffic; `what` is `--dump-dom`
/// or `--screenshot=PATH`.
fn chromium(what: &str, url: &str) -> String {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new("chromium")
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1100,600",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .arg(what)
        .arg(url)
        .output()
        .expect("chromium (scripts/test installs it)");
    assert!(
        out.status.success(),
        "chromium {what} {url}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Rows of the page's table body, as Chromium built them.
fn rows(dom: &str) -> Vec<&str> {
    let body = dom.split("<tbody>").nth(1).unwrap_or_default();
    body.split("<tr").skip(1).collect()
}

/// One raw HTTP/1.1 GET: the response head and body.
fn raw_get(port: u16, path: &str, host: &str) -> (String, String) {
    let mut stream = TcpStream::connect((Ipv4Addr::LOCALHOST, port)).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(20)))
        .unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let (head, body) = response.split_once("\r\n\r\n").unwrap();
    (head.to_ascii_lowercase(), body.to_owned())
}

/// Pixels of the console's red (#b00020) in rows `from..to` of a PNG screenshot.
fn red_pixels(png_path: &Path, from: u32, to: u32) -> usize {
    let decoder = png::Decoder::new(std::io::BufReader::new(
        std::fs::File::open(png_path).unwrap(),
    ));
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let info = reader.next_frame(&mut buf).unwrap();
    let channels = info.color_type.samples();
    let width = info.width as usize;
    let mut red = 0;
    for y in from..to.min(info.height) {
        for x in 0..width {
            let i = (y as usize * width + x) * channels;
            let (r, g, b) = (buf[i], buf[i + 1], buf[i + 2]);
            if r > 140 && g < 70 && b < 80 {
                red += 1;
            }
        }
    }
    red
}

#[test]
fn the_due_list_shows_an_overdue_acknowledgement_in_red_at_the_top_with_days_overdue() {
    let dovecot = Dovecot::start();
    let s = Setup::new(&dovecot);
    let token = unique("CON");
    for n in 1..=2 {
        dovecot.append(
            "INBOX",
            &plain_mail(&Report {
                from: &format!("Zgłaszający <z{n}.{token}@example.net>"),
                to: "zgloszenia@urzad.example.org",
                subject: &format!("{token}-SUBJECT-{n}"),
                body: &format!("{token}-BODY-{n}\n"),
                attachment: None,
            }),
        );
    }
    s.gateway.run_once();
    let numbers = s.gateway.case_numbers();
    let (late, acknowledged) = (&numbers[0], &numbers[1]);
    s.gateway.run_ok(&[
        "cases",
        "status",
        acknowledged,
        "acknowledged",
        "--key",
        s.handler.key_file.to_str().unwrap(),
    ]);

    // Ten days on: the first case's acknowledgement (7 days) is 3 days overdue.
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let console = Running::start_shifted_with(
        &s.gateway,
        "console",
        "+10d",
        &["console", "--listen", &listen],
    );
    wait_for(&s.gateway, "the console", Duration::from_secs(30), || {
        accepts(port)
    });
    let url = format!("http://{listen}/due");

    let dom = chromium("--dump-dom", &url);
    let listed = rows(&dom);
    assert_eq!(listed.len(), 2, "{dom}");
    let top = listed[0];
    assert!(top.starts_with(" class=\"overdue\""), "{top}");
    assert!(top.contains(late.as_str()), "{top}");
    assert!(top.contains("3 days overdue"), "{top}");
    assert!(
        listed[1..].iter().all(|r| !r.contains("overdue\"")),
        "{dom}"
    );
    assert!(
        !dom.contains(&token),
        "content on a page that needs no key: {dom}"
    );

    // What the browser painted: the top row in the console's red, the rest not.
    let shot = screens().join("due-list.png");
    chromium(&format!("--screenshot={}", shot.display()), &url);
    assert!(red_pixels(&shot, 140, 185) > 200, "no red in the top row");
    assert_eq!(red_pixels(&shot, 190, 600), 0, "red below the overdue row");

    for (page, name) in [("cases", "case-list"), ("case?number=", "case")] {
        let page = if page == "case?number=" {
            format!("case?number={}", late.replace('/', "%2F"))
        } else {
            page.to_owned()
        };
        let path = screens().join(format!("{name}.png"));
        chromium(
            &format!("--screenshot={}", path.display()),
            &format!("http://{listen}/{page}"),
        );
        assert!(std::fs::metadata(&path).unwrap().len() > 1000);
    }
    let case_dom = chromium(
        "--dump-dom",
        &format!("http://{listen}/case?number={}", late.replace('/', "%2F")),
    );
    assert!(case_dom.contains("3 days overdue"), "{case_dom}");

    // Every response forbids scripts, remote loads and framing, and is not cached; a request
    // addressed to another name (DNS rebinding) is not answered.
    let (head, _) = raw_get(port, "/due", &listen);
    for needle in [
        "content-security-policy: default-src 'none'; style-src 'self'",
        "frame-ancestors 'none'",
        "cache-control: no-store",
        "x-content-type-options: nosniff",
    ] {
        assert!(head.contains(needle), "{needle} not in {head}");
    }
    let (head, body) = raw_get(port, "/due", "evil.example");
    assert!(head.starts_with("http/1.1 421"), "{head}");
    assert!(!body.contains(late.as_str()));
    let (head, _) = raw_get(port, "/case?number=ZW%2F1999%2F9999", &listen);
    assert!(head.starts_with("http/1.1 404"), "{head}");

    console.stop();
}
