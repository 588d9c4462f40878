//! Test helpers for the openpgp module: a throwaway GnuPG home and a few fixtures.

use std::io::Write;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Output, Stdio};

use sequoia_openpgp as sq;
use sq::Cert;

use super::keys::{generate_intake_key, IntakeKeyring, KeyAlgorithm};

/// A GnuPG home in a temp dir; its agent is stopped on drop.
pub(crate) struct Gpg {
    dir: tempfile::TempDir,
}

impl Gpg {
    pub(crate) fn new() -> Self {
        let dir = tempfile::Builder::new().prefix("gpg").tempdir().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
        Gpg { dir }
    }

    /// Runs gpg with `args` (after the common batch options), feeding `stdin`.
    pub(crate) fn run(&self, args: &[&str], stdin: &[u8]) -> Output {
        let mut child = Command::new("gpg")
            .arg("--homedir")
            .arg(self.dir.path())
            .args(["--batch", "--no-tty", "--pinentry-mode", "loopback"])
            .args(["--trust-model", "always"])
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("gpg in PATH");
        let mut input = child.stdin.take().unwrap();
        let data = stdin.to_vec();
        let writer = std::thread::spawn(move || {
            let _ = input.write_all(&data);
        });
        let out = child.wait_with_output().unwrap();
        writer.join().unwrap();
        out
    }

    /// Like [`Gpg::run`] but panics (with gpg's stderr) unless gpg succeeded.
    pub(crate) fn ok(&self, args: &[&str], stdin: &[u8]) -> Vec<u8> {
        let out = self.run(args, stdin);
        assert!(
            out.status.success(),
            "gpg {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out.stdout
    }

    /// Generates a key; `algo` is "default" (RSA) or "future-default" (ed25519/cv25519).
    pub(crate) fn gen_key(&self, uid: &str, algo: &str, passphrase: &str) {
        self.ok(
            &[
                "--passphrase",
                passphrase,
                "--quick-gen-key",
                uid,
                algo,
                "default",
                "never",
            ],
            b"",
        );
    }

    pub(crate) fn export_public(&self, uid: &str) -> Vec<u8> {
        self.ok(&["--export", "--armor", uid], b"")
    }

    pub(crate) fn export_secret(&self, uid: &str, passphrase: &str) -> Vec<u8> {
        self.ok(
            &[
                "--passphrase",
                passphrase,
                "--export-secret-keys",
                "--armor",
                uid,
            ],
            b"",
        )
    }

    pub(crate) fn import(&self, bytes: &[u8]) {
        self.ok(&["--import"], bytes);
    }
}

impl Drop for Gpg {
    fn drop(&mut self) {
        let _ = Command::new("gpgconf")
            .arg("--homedir")
            .arg(self.dir.path())
            .args(["--kill", "gpg-agent"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// A fresh intake key and a keyring holding it.
pub(crate) fn intake(algo: KeyAlgorithm) -> (Cert, IntakeKeyring) {
    let cert = generate_intake_key("Sygnal intake <sygnalista@example.org>", algo).unwrap();
    let ring = IntakeKeyring::new(vec![cert.clone()]);
    (cert, ring)
}

/// Key IDs (hex) of the encryption subkeys of `cert`.
pub(crate) fn enc_key_ids(cert: &Cert) -> Vec<String> {
    let p = sq::policy::StandardPolicy::new();
    cert.keys()
        .with_policy(&p, None)
        .for_storage_encryption()
        .for_transport_encryption()
        .map(|ka| ka.key().keyid().to_hex())
        .collect()
}

/// Fingerprints (hex) of the encryption subkeys of `cert`.
pub(crate) fn enc_key_fprs(cert: &Cert) -> Vec<String> {
    let p = sq::policy::StandardPolicy::new();
    cert.keys()
        .with_policy(&p, None)
        .for_storage_encryption()
        .for_transport_encryption()
        .map(|ka| ka.key().fingerprint().to_hex())
        .collect()
}
