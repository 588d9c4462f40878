//! Intake key lifecycle in the key folder: switching the published key and retiring a key by
//! overwriting and removing its secret file. The public part of a retired key is kept in
//! `intake/retired/<FPR>.pub` so mail encrypted to it can be named in quarantine.

use std::fs;
use std::io::{Seek, Write};
use std::path::PathBuf;

use rand::RngCore as _;
use sequoia_openpgp::Cert;
use zeroize::Zeroizing;

use super::{files, KeyStore, KeyStoreError};
use crate::openpgp;

fn io(context: String) -> impl FnOnce(std::io::Error) -> KeyStoreError {
    move |source| KeyStoreError::Io { context, source }
}

impl KeyStore {
    fn retired_dir(&self) -> PathBuf {
        self.dir().join("intake").join("retired")
    }

    /// Fingerprints of the intake secret keys on disk.
    pub fn intake_fingerprints(&self) -> Result<Vec<String>, KeyStoreError> {
        Ok(files::list(&self.dir().join("intake"), "key")?
            .iter()
            .filter_map(|p| p.file_stem().map(|s| s.to_string_lossy().into_owned()))
            .collect())
    }

    /// An intake certificate by fingerprint: the secret key if still held, else the public
    /// part of a retired key.
    pub fn intake_cert(&self, fpr: &str) -> Result<Option<Cert>, KeyStoreError> {
        if fpr.is_empty() || !fpr.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let secret = self.dir().join("intake").join(format!("{fpr}.key"));
        if secret.exists() {
            let bytes = files::read_private(&secret)?;
            return openpgp::parse_secret_key(&bytes)
                .map(Some)
                .map_err(|source| KeyStoreError::Key {
                    path: secret,
                    source,
                });
        }
        let public = self.retired_dir().join(format!("{fpr}.pub"));
        if public.exists() {
            let bytes = files::read_private(&public)?;
            return openpgp::parse_cert(&bytes)
                .map(Some)
                .map_err(|source| KeyStoreError::Key {
                    path: public,
                    source,
                });
        }
        Ok(None)
    }

    /// Public parts of retired intake keys.
    pub fn retired_intake_certs(&self) -> Result<Vec<Cert>, KeyStoreError> {
        let dir = self.retired_dir();
        if !dir.exists() {
            return Ok(Vec::new());
        }
        let mut out = Vec::new();
        for path in files::list(&dir, "pub")? {
            let bytes = files::read_private(&path)?;
            out.push(
                openpgp::parse_cert(&bytes)
                    .map_err(|source| KeyStoreError::Key { path, source })?,
            );
        }
        Ok(out)
    }

    /// Publishes `fpr` (its secret key must be in the folder).
    pub fn set_current_intake(&self, fpr: &str) -> Result<(), KeyStoreError> {
        let path = self.dir().join("intake").join(format!("{fpr}.key"));
        if !path.exists() {
            return Err(KeyStoreError::Missing(format!("intake key {fpr}")));
        }
        files::write_private(&self.dir().join("intake").join("current"), fpr.as_bytes())
    }

    /// Destroys an intake key's secret part: keeps its public part, overwrites the secret file
    /// with zeros, fsyncs, removes it and fsyncs the folder. Idempotent: a key whose secret file
    /// is already gone is reported as retired. Refuses the published key.
    pub fn retire_intake(&self, fpr: &str) -> Result<(), KeyStoreError> {
        if self.current_intake_fingerprint()?.as_deref() == Some(fpr) {
            return Err(KeyStoreError::Missing(format!(
                "a newer intake key: {fpr} is the published key; rotate first"
            )));
        }
        let Some(cert) = self.intake_cert(fpr)? else {
            return Err(KeyStoreError::Missing(format!("intake key {fpr}")));
        };
        files::ensure_private_dir(&self.retired_dir())?;
        let public = openpgp::armored_public(&cert).map_err(|source| KeyStoreError::Key {
            path: self.retired_dir(),
            source,
        })?;
        files::write_private(
            &self.retired_dir().join(format!("{fpr}.pub")),
            public.as_bytes(),
        )?;
        let secret = self.dir().join("intake").join(format!("{fpr}.key"));
        if !secret.exists() {
            return Ok(());
        }
        destroy_file(&secret)
    }

    /// Destroys a shred key no record refers to (one made unreferenced by `keys reseal
    /// --rotate-content`, or made for a retry that filed nothing): overwrite, fsync, unlink,
    /// folder fsync. Idempotent.
    pub fn destroy_shred_key(&self, id: &str) -> Result<(), KeyStoreError> {
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(KeyStoreError::Missing(format!(
                "shred key with invalid id {id:?}"
            )));
        }
        let path = self.dir().join("shred").join(format!("{id}.key"));
        if !path.exists() {
            return Ok(());
        }
        destroy_file(&path)
    }
}

impl KeyStore {
    /// Destroys the fingerprint key and makes a new one. Called when no intake record holds a
    /// fingerprint made with it any more: from then on, a copy of a message (from a backup, the
    /// reporter's Sent folder) can no longer be matched to the case it became.
    pub fn rotate_fingerprint_key(&self) -> Result<super::FingerprintKey, KeyStoreError> {
        // Replaced atomically: a replica reading it meanwhile gets the old or the new key,
        // never a missing file that it would fill with a key of its own.
        let path = self.dir().join("fingerprint.key");
        let mut key = Zeroizing::new(vec![0u8; 32]);
        rand::rngs::OsRng.fill_bytes(&mut key);
        files::replace_private_destroying_old(&path, &key)?;
        self.fingerprint_key()
    }
}

/// Overwrites a key file with zeros, fsyncs, removes it and fsyncs its folder.
fn destroy_file(path: &std::path::Path) -> Result<(), KeyStoreError> {
    // Overwriting is best effort on copy-on-write or journaled file systems; the key's other
    // copies (backups) are the operator's to destroy. Removal is what counts here.
    let len = fs::metadata(path)
        .map_err(io(format!("stat {}", path.display())))?
        .len();
    {
        let mut f = fs::OpenOptions::new()
            .write(true)
            .open(path)
            .map_err(io(format!("open {}", path.display())))?;
        f.rewind().map_err(io(format!("seek {}", path.display())))?;
        let zeros = vec![0u8; 4096];
        let mut left = len;
        while left > 0 {
            let n = usize::try_from(left.min(4096)).unwrap_or(4096);
            f.write_all(zeros.get(..n).unwrap_or(&zeros))
                .map_err(io(format!("overwrite {}", path.display())))?;
            left = left.saturating_sub(u64::try_from(n).unwrap_or(4096));
        }
        f.sync_all()
            .map_err(io(format!("fsync {}", path.display())))?;
    }
    fs::remove_file(path).map_err(io(format!("remove {}", path.display())))?;
    if let Some(dir) = path.parent() {
        fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(io(format!("fsync {}", dir.display())))?;
    }
    Ok(())
}
