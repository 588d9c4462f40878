//! GnuPG as the real client of reporters and handlers in tests: throwaway homedirs, keys made by
//! gpg, and reports encrypted by gpg as PGP/MIME (RFC 3156, protected headers) or inline PGP.
#![allow(dead_code)]
#![allow(clippy::string_slice)]

use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

use tempfile::TempDir;

/// One GnuPG homedir (0700, batch, loopback pinentry, empty passphrase); the agent it starts is
/// stopped on drop.
pub struct Gpg {
    home: TempDir,
}

/// A person holding one gpg key: handler, custodian or reporter.
pub struct Holder {
    pub gpg: Gpg,
    pub fpr: String,
    /// Armored secret key (no passphrase), for `--key`; lives in the gpg homedir, outside the
    /// gateway's folder so the canary grep does not see it.
    pub key_file: PathBuf,
    pub email: String,
}

impl Holder {
    /// A fresh homedir with one Curve25519 key.
    pub fn new(name: &str, email: &str) -> Holder {
        let gpg = Gpg::new();
        let fpr = gpg.gen_key(name, email);
        let key_file = gpg.write_secret(&fpr);
        Holder {
            gpg,
            fpr,
            key_file,
            email: email.to_owned(),
        }
    }

    /// Like [`Holder::new`] with an RSA key (what older clients make).
    pub fn new_rsa(name: &str, email: &str) -> Holder {
        let gpg = Gpg::new();
        let fpr = gpg.gen_key_rsa(name, email);
        let key_file = gpg.write_secret(&fpr);
        Holder {
            gpg,
            fpr,
            key_file,
            email: email.to_owned(),
        }
    }

    /// Armored public certificate.
    pub fn cert(&self) -> Vec<u8> {
        self.gpg.export_public(&self.fpr)
    }
}

/// What a test report contains; every field is a canary the test can grep for.
#[derive(Clone, Debug)]
pub struct Report<'a> {
    pub from: &'a str,
    pub to: &'a str,
    pub subject: &'a str,
    pub body: &'a str,
    pub attachment: Option<(&'a str, &'a [u8])>,
}

static SEQ: AtomicU64 = AtomicU64::new(0);

/// A token unique within this test process (boundaries, Message-IDs).
pub fn unique(prefix: &str) -> String {
    let n = SEQ.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos())
        .unwrap_or(0);
    format!("{prefix}{}x{n}x{nanos:08x}", std::process::id())
}

impl Default for Gpg {
    fn default() -> Self {
        Self::new()
    }
}

impl Gpg {
    /// A fresh, empty homedir.
    pub fn new() -> Gpg {
        // Short path under /tmp: the agent's socket path must fit in sun_path.
        let home = tempfile::Builder::new()
            .prefix("gpg")
            .tempdir_in("/tmp")
            .unwrap();
        std::fs::set_permissions(home.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        std::fs::write(
            home.path().join("gpg-agent.conf"),
            "allow-loopback-pinentry\n",
        )
        .unwrap();
        Gpg { home }
    }

    pub fn home(&self) -> &Path {
        self.home.path()
    }

    fn command(&self) -> Command {
        let mut c = Command::new("gpg");
        c.arg("--homedir")
            .arg(self.home.path())
            .args([
                "--batch",
                "--no-tty",
                "--quiet",
                "--pinentry-mode",
                "loopback",
                "--passphrase",
                "",
                "--no-auto-key-locate",
                "--no-auto-key-retrieve",
            ])
            .env_remove("GPG_AGENT_INFO")
            .env("LC_ALL", "C");
        c
    }

    /// Runs gpg with `args`, feeding `stdin`; returns the whole output whatever the exit code.
    pub fn run(&self, args: &[&str], stdin: &[u8]) -> Output {
        let mut child = self
            .command()
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn gpg");
        let mut input = child.stdin.take().unwrap();
        let data = stdin.to_vec();
        // Feed stdin from a thread so a large output can't deadlock against a large input.
        let feeder = std::thread::spawn(move || {
            let _ = input.write_all(&data);
        });
        let out = child.wait_with_output().expect("wait gpg");
        feeder.join().unwrap();
        out
    }

    /// Runs gpg and panics with its stderr unless it exits 0.
    pub fn run_ok(&self, args: &[&str], stdin: &[u8]) -> Output {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "gpg {args:?} failed ({}): {}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    fn gen(&self, name: &str, email: &str, algo: &str, usage: &str) -> String {
        let uid = format!("{name} <{email}>");
        let out = self.run_ok(
            &[
                "--status-fd",
                "1",
                "--quick-generate-key",
                &uid,
                algo,
                usage,
                "never",
            ],
            b"",
        );
        let status = String::from_utf8_lossy(&out.stdout);
        status
            .lines()
            .find_map(|l| l.strip_prefix("[GNUPG:] KEY_CREATED "))
            .and_then(|rest| rest.split_whitespace().nth(1))
            .map(str::to_owned)
            .unwrap_or_else(|| panic!("no KEY_CREATED in gpg status: {status}"))
    }

    /// A new key, Ed25519 primary with a Curve25519 encryption subkey (the default of current
    /// GnuPG and Kleopatra); returns its fingerprint.
    pub fn gen_key(&self, name: &str, email: &str) -> String {
        self.gen(name, email, "future-default", "default")
    }

    /// A new RSA-3072 key (GnuPG 2.2's default, what older clients make); returns its fingerprint.
    pub fn gen_key_rsa(&self, name: &str, email: &str) -> String {
        let fpr = self.gen(name, email, "rsa3072", "sign,cert");
        self.run_ok(&["--quick-add-key", &fpr, "rsa3072", "encr", "never"], b"");
        fpr
    }

    /// Armored public certificate.
    pub fn export_public(&self, fpr: &str) -> Vec<u8> {
        let out = self.run_ok(&["--armor", "--export", fpr], b"");
        assert!(!out.stdout.is_empty(), "gpg exported nothing for {fpr}");
        out.stdout
    }

    /// Armored secret key (TSK), unprotected.
    pub fn export_secret(&self, fpr: &str) -> Vec<u8> {
        let out = self.run_ok(&["--armor", "--export-secret-keys", fpr], b"");
        assert!(!out.stdout.is_empty(), "gpg exported no secret for {fpr}");
        out.stdout
    }

    /// Writes the armored secret key to a file inside this homedir and returns its path.
    pub fn write_secret(&self, fpr: &str) -> PathBuf {
        let path = self.home.path().join(format!("secret-{fpr}.asc"));
        std::fs::write(&path, self.export_secret(fpr)).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        path
    }

    /// Imports keys; returns the fingerprints gpg reports as imported.
    pub fn import(&self, bytes: &[u8]) -> Vec<String> {
        let out = self.run_ok(&["--status-fd", "1", "--import"], bytes);
        let status = String::from_utf8_lossy(&out.stdout);
        let mut fprs: Vec<String> = status
            .lines()
            .filter_map(|l| l.strip_prefix("[GNUPG:] IMPORT_OK "))
            .filter_map(|rest| rest.split_whitespace().nth(1))
            .map(str::to_owned)
            .collect();
        fprs.dedup();
        assert!(!fprs.is_empty(), "gpg imported nothing: {status}");
        fprs
    }

    /// Encrypts `data` to `recipients` (fingerprints already in this homedir), optionally signed
    /// by `sign_with`; `extra` goes before the data (e.g. `--compress-algo none`).
    pub fn encrypt(
        &self,
        recipients: &[&str],
        data: &[u8],
        armor: bool,
        sign_with: Option<&str>,
        extra: &[&str],
    ) -> Vec<u8> {
        let mut args: Vec<&str> = vec!["--trust-model", "always", "--encrypt"];
        if armor {
            args.push("--armor");
        }
        for r in recipients {
            args.push("-r");
            args.push(r);
        }
        if let Some(s) = sign_with {
            args.extend(["--sign", "-u", s]);
        }
        args.extend_from_slice(extra);
        self.run_ok(&args, data).stdout
    }

    /// Decrypts with the keys in this homedir: (exit code, stdout). Judge by the code: on broken
    /// integrity gpg still writes plaintext to stdout.
    pub fn decrypt(&self, bytes: &[u8]) -> (i32, Vec<u8>) {
        let out = self.run(&["--decrypt"], bytes);
        (out.status.code().unwrap_or(-1), out.stdout)
    }

    /// A reporter's PGP/MIME message (RFC 3156) encrypted by gpg to `to_cert_armored` (imported
    /// here first): the inner entity carries the real Subject as a protected header, the outer
    /// one says "...", and the outer headers carry enough of the sender to be worth splitting off.
    #[allow(clippy::too_many_arguments)] // the shape every test needs; a struct would hide it
    pub fn encrypt_pgp_mime(
        &self,
        to_cert_armored: &[u8],
        from: &str,
        to: &str,
        subject: &str,
        body: &str,
        attachment: Option<(&str, &[u8])>,
        sign_with: Option<&str>,
    ) -> Vec<u8> {
        let rcpt = self.import(to_cert_armored);
        let report = Report {
            from,
            to,
            subject,
            body,
            attachment,
        };
        let inner = inner_entity(&report);
        let armored = self.encrypt(&[&rcpt[0]], &inner, true, sign_with, &[]);
        pgp_mime(&report, &armored)
    }

    /// Like [`Gpg::encrypt_pgp_mime`], signed by `signer` (a key in this homedir) with the
    /// signer's public key attached inside as application/pgp-keys, as Thunderbird does, so the
    /// signature can be verified.
    pub fn encrypt_pgp_mime_signed_with_key(
        &self,
        to_cert_armored: &[u8],
        from: &str,
        to: &str,
        subject: &str,
        body: &str,
        signer: &str,
    ) -> Vec<u8> {
        let rcpt = self.import(to_cert_armored);
        let report = Report {
            from,
            to,
            subject,
            body,
            attachment: None,
        };
        let key = self.export_public(signer);
        let inner = inner_entity_with_key(&report, Some(&key));
        let armored = self.encrypt(&[&rcpt[0]], &inner, true, Some(signer), &[]);
        pgp_mime(&report, &armored)
    }

    /// A reporter's inline-PGP message: a text/plain body holding the armored block (the Subject
    /// stays outside: inline PGP cannot protect it).
    pub fn encrypt_inline(
        &self,
        to_cert_armored: &[u8],
        from: &str,
        to: &str,
        subject: &str,
        body: &str,
        sign_with: Option<&str>,
    ) -> Vec<u8> {
        let rcpt = self.import(to_cert_armored);
        let armored = self.encrypt(&[&rcpt[0]], body.as_bytes(), true, sign_with, &[]);
        let report = Report {
            from,
            to,
            subject,
            body,
            attachment: None,
        };
        let mut m = outer_headers(&report, subject);
        m.push_str("Content-Type: text/plain; charset=us-ascii\r\n");
        m.push_str("Content-Transfer-Encoding: 7bit\r\n\r\n");
        m.push_str(&crlf(&String::from_utf8_lossy(&armored)));
        m.into_bytes()
    }

    /// Stops the agent gpg started for this homedir.
    fn stop_agent(&self) {
        let _ = Command::new("gpgconf")
            .arg("--homedir")
            .arg(self.home.path())
            .args(["--kill", "all"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        self.stop_agent();
    }
}

/// Normalises line ends to CRLF (RFC 5322).
pub fn crlf(s: &str) -> String {
    s.replace("\r\n", "\n").replace('\n', "\r\n")
}

/// The bare address of `Name <addr>` (or the input itself).
pub fn addr_spec(mailbox: &str) -> &str {
    match (mailbox.rfind('<'), mailbox.rfind('>')) {
        (Some(a), Some(b)) if a < b => &mailbox[a + 1..b],
        _ => mailbox,
    }
}

/// Outer RFC 5322 headers with identifying details (Received chain, IP, Message-ID, UA), ending
/// with MIME-Version; the caller adds Content-Type.
pub fn outer_headers(r: &Report<'_>, outer_subject: &str) -> String {
    let date = "Mon, 17 Nov 2025 09:41:07 +0100";
    let id = unique("m");
    let mut h = String::new();
    let _ = write!(
        h,
        "Return-Path: <{addr}>\r\n\
         Received: from [192.168.17.23] (dsl-83-11-7-42.dynamic.example.net [83.11.7.42])\r\n\
         \tby mx.example.org (Postfix) with ESMTPSA id 4XyZ1{id}\r\n\
         \tfor <{to}>; {date}\r\n\
         Received: from laptop.home.example.net ([192.168.17.23])\r\n\
         \tby dsl-83-11-7-42.dynamic.example.net with ESMTP; {date}\r\n\
         From: {from}\r\n\
         To: {to}\r\n\
         Subject: {outer_subject}\r\n\
         Date: {date}\r\n\
         Message-ID: <{id}@laptop.home.example.net>\r\n\
         User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Thunderbird/128.4.3\r\n\
         X-Originating-IP: [83.11.7.42]\r\n\
         MIME-Version: 1.0\r\n",
        from = r.from,
        to = r.to,
        addr = addr_spec(r.from),
    );
    h
}

/// Base64 with 76-column lines (RFC 2045).
pub fn base64_lines(data: &[u8]) -> String {
    let enc = base64(data);
    let mut out = String::new();
    for chunk in enc.as_bytes().chunks(76) {
        out.push_str(std::str::from_utf8(chunk).unwrap());
        out.push_str("\r\n");
    }
    out
}

/// The inner MIME entity of a PGP/MIME report: protected headers (Subject, From, To) and either a
/// single text/plain part or multipart/mixed with the attachment. The body is base64 so it
/// survives byte for byte.
pub fn inner_entity(r: &Report<'_>) -> Vec<u8> {
    inner_entity_with_key(r, None)
}

/// [`inner_entity`] with the sender's public key attached as application/pgp-keys.
pub fn inner_entity_with_key(r: &Report<'_>, key: Option<&[u8]>) -> Vec<u8> {
    let mut m = String::new();
    let text_part = format!(
        "Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}",
        base64_lines(r.body.as_bytes())
    );
    if let Some(key) = key {
        let b = unique("inner-");
        let _ = write!(
            m,
            "Content-Type: multipart/mixed; boundary=\"{b}\"; protected-headers=\"v1\"\r\n\
             Subject: {subject}\r\nFrom: {from}\r\nTo: {to}\r\n\r\n\
             --{b}\r\n{text_part}--{b}\r\n\
             Content-Type: application/pgp-keys; name=\"OpenPGP_0x.asc\"\r\n\
             Content-Disposition: attachment; filename=\"OpenPGP_0x.asc\"\r\n\r\n\
             {key}\r\n--{b}--\r\n",
            subject = r.subject,
            from = r.from,
            to = r.to,
            key = crlf(String::from_utf8_lossy(key).trim_end()),
        );
        return m.into_bytes();
    }
    match r.attachment {
        None => {
            let _ = write!(
                m,
                "Content-Type: text/plain; charset=utf-8; protected-headers=\"v1\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\
                 Subject: {}\r\nFrom: {}\r\nTo: {}\r\n\r\n{}",
                r.subject,
                r.from,
                r.to,
                base64_lines(r.body.as_bytes())
            );
        }
        Some((name, data)) => {
            let b = unique("inner-");
            let _ = write!(
                m,
                "Content-Type: multipart/mixed; boundary=\"{b}\"; protected-headers=\"v1\"\r\n\
                 Subject: {subject}\r\nFrom: {from}\r\nTo: {to}\r\n\r\n\
                 --{b}\r\n{text_part}--{b}\r\n\
                 Content-Type: application/octet-stream; name=\"{name}\"\r\n\
                 Content-Disposition: attachment; filename=\"{name}\"\r\n\
                 Content-Transfer-Encoding: base64\r\n\r\n{data}--{b}--\r\n",
                subject = r.subject,
                from = r.from,
                to = r.to,
                data = base64_lines(data),
            );
        }
    }
    m.into_bytes()
}

/// Wraps armored ciphertext in multipart/encrypted; protocol="application/pgp-encrypted" with the
/// version part and the application/octet-stream part, outer Subject "...".
pub fn pgp_mime(r: &Report<'_>, armored: &[u8]) -> Vec<u8> {
    let b = unique("outer-");
    let mut m = outer_headers(r, "...");
    let _ = write!(
        m,
        "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"{b}\"\r\n\
         \r\n\
         This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n\
         --{b}\r\n\
         Content-Type: application/pgp-encrypted\r\n\
         Content-Description: PGP/MIME version identification\r\n\
         \r\n\
         Version: 1\r\n\
         \r\n\
         --{b}\r\n\
         Content-Type: application/octet-stream; name=\"encrypted.asc\"\r\n\
         Content-Description: OpenPGP encrypted message\r\n\
         Content-Disposition: inline; filename=\"encrypted.asc\"\r\n\
         \r\n\
         {armored}\r\n\
         --{b}--\r\n",
        armored = crlf(String::from_utf8_lossy(armored).trim_end()),
    );
    m.into_bytes()
}

/// A plain (unencrypted) report with the same identifying outer headers.
pub fn plain_mail(r: &Report<'_>) -> Vec<u8> {
    let mut m = outer_headers(r, r.subject);
    let _ = write!(
        m,
        "Content-Type: text/plain; charset=utf-8\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{}",
        base64_lines(r.body.as_bytes())
    );
    m.into_bytes()
}

const B64: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Standard base64 with padding, no line breaks.
pub fn base64(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let n = match chunk.len() {
            1 => u32::from(chunk[0]) << 16,
            2 => (u32::from(chunk[0]) << 16) | (u32::from(chunk[1]) << 8),
            _ => (u32::from(chunk[0]) << 16) | (u32::from(chunk[1]) << 8) | u32::from(chunk[2]),
        };
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(B64[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Decodes base64, skipping whitespace; panics on anything else.
pub fn unbase64(text: &str) -> Vec<u8> {
    let mut out = Vec::new();
    let mut acc: u32 = 0;
    let mut bits = 0;
    for c in text.bytes() {
        if c.is_ascii_whitespace() {
            continue;
        }
        if c == b'=' {
            break;
        }
        let v = B64
            .iter()
            .position(|&x| x == c)
            .unwrap_or_else(|| panic!("not base64: {c}")) as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// CRC-24 of OpenPGP ASCII armor (RFC 4880 §6.1).
fn crc24(data: &[u8]) -> u32 {
    let mut crc: u32 = 0x00B7_04CE;
    for &b in data {
        crc ^= u32::from(b) << 16;
        for _ in 0..8 {
            crc <<= 1;
            if crc & 0x0100_0000 != 0 {
                crc ^= 0x0186_4CFB;
            }
        }
    }
    crc & 0x00FF_FFFF
}

/// Armors binary OpenPGP data as a PGP MESSAGE with a correct checksum.
pub fn armor_message(data: &[u8]) -> Vec<u8> {
    let mut s = String::from("-----BEGIN PGP MESSAGE-----\n\n");
    for chunk in base64(data).as_bytes().chunks(64) {
        s.push_str(std::str::from_utf8(chunk).unwrap());
        s.push('\n');
    }
    let crc = crc24(data).to_be_bytes();
    let _ = writeln!(s, "={}", base64(&crc[1..]));
    s.push_str("-----END PGP MESSAGE-----\n");
    s.into_bytes()
}

/// Decodes the body of an armored block (between the blank line and the checksum).
pub fn dearmor(armored: &[u8]) -> Vec<u8> {
    let text = String::from_utf8_lossy(armored);
    let mut in_body = false;
    let mut b64 = String::new();
    for line in text.lines() {
        let line = line.trim_end();
        if line.starts_with("-----BEGIN") {
            in_body = false;
            continue;
        }
        if line.starts_with("-----END") || (in_body && line.starts_with('=')) {
            break;
        }
        if !in_body {
            if line.is_empty() {
                in_body = true;
            }
            continue;
        }
        b64.push_str(line);
    }
    unbase64(&b64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_round_trip_and_crc() {
        for len in 0..70 {
            let data: Vec<u8> = (0..len).map(|i| (i * 37 + 11) as u8).collect();
            assert_eq!(unbase64(&base64(&data)), data);
            assert_eq!(dearmor(&armor_message(&data)), data);
        }
        assert_eq!(base64(b"foobar"), "Zm9vYmFy");
        assert_eq!(base64(b"fo"), "Zm8=");
    }
}
