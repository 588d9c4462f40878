//! The key folder (0700): intake secret keys, the fingerprint key, and per-case shred keys.
//!
//! Layout: `intake/<FPR>.key` (armored, 0600), `intake/current` (the published key's
//! fingerprint), `fingerprint.key` (HMAC key for message fingerprints), `shred/<id>.key`.
//! Every write goes to a temporary file that is fsynced, renamed, and its folder fsynced.

mod archive;
mod files;
mod lifecycle;
mod protection;

use std::path::{Path, PathBuf};

use hmac::{Hmac, Mac};
use rand::RngCore;
use sequoia_openpgp::Cert;
use sha2::Sha256;
use zeroize::Zeroizing;

use crate::openpgp::{self, IntakeKeyring};
use crate::vault::ShredKey;

pub use files::check_private_dir;

/// Key folder failures. Messages name paths and fingerprints, never key material.
#[derive(Debug, thiserror::Error)]
pub enum KeyStoreError {
    /// File-system error.
    #[error("key store: {context}: {source}")]
    Io {
        /// What was being done.
        context: String,
        /// Cause.
        source: std::io::Error,
    },
    /// A folder or file others can read.
    #[error("key store: {path} has mode {mode:o}; it must not be accessible to group or others (chmod {want:o} {path})")]
    Permissions {
        /// Path.
        path: PathBuf,
        /// Mode found.
        mode: u32,
        /// Mode wanted.
        want: u32,
    },
    /// A key file could not be parsed.
    #[error("key store: {path}: {source}")]
    Key {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: openpgp::KeyError,
    },
    /// A referenced key is missing.
    #[error("key store: {0} not found")]
    Missing(String),
}

/// The key folder.
pub struct KeyStore {
    dir: PathBuf,
    /// Intake key passphrase; `None` when keys are explicitly unprotected.
    passphrase: std::sync::OnceLock<Option<secrecy::SecretString>>,
    /// Where the passphrase comes from: read only when an intake key is unlocked or saved, so
    /// commands that never touch one (a handler's `cases show`) run without the credential.
    protection: crate::config::KeyProtection,
    /// Intake keys already unlocked, by the SHA-256 of their file: unlocking (the
    /// passphrase's S2K) costs tens of milliseconds, and a running gateway reloads its keys on
    /// every pass so that key changes take effect. A changed file is unlocked anew.
    unlocked: std::sync::Mutex<Vec<([u8; 32], Cert)>>,
}

/// HMAC key that turns raw messages into short, non-reversible fingerprints.
pub struct FingerprintKey(Zeroizing<Vec<u8>>);

impl FingerprintKey {
    /// Keyed fingerprint (hex HMAC-SHA256) of a raw message.
    pub fn fingerprint(&self, raw: &[u8]) -> String {
        // HMAC accepts keys of any length; the error branch cannot be taken.
        let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(&self.0) else {
            return String::new();
        };
        mac.update(raw);
        hex::encode(mac.finalize().into_bytes())
    }
}

impl KeyStore {
    /// Opens the key folder, creating it 0700 if missing; refuses loose permissions.
    pub fn open(dir: &Path) -> Result<KeyStore, KeyStoreError> {
        for d in [dir.to_path_buf(), dir.join("intake"), dir.join("shred")] {
            files::ensure_private_dir(&d)?;
        }
        Ok(KeyStore {
            dir: dir.to_path_buf(),
            passphrase: std::sync::OnceLock::new(),
            protection: crate::config::KeyProtection::Unprotected,
            unlocked: std::sync::Mutex::new(Vec::new()),
        })
    }

    /// The key folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Every intake secret key (current and earlier ones).
    pub fn intake_keyring(&self) -> Result<IntakeKeyring, KeyStoreError> {
        let mut certs = Vec::new();
        for path in files::list(&self.dir.join("intake"), "key")? {
            certs.push(self.load_intake_secret(path)?);
        }
        Ok(IntakeKeyring::new(certs).with_retired(&self.retired_intake_certs()?))
    }

    /// Fingerprint of the published intake key, if one exists.
    pub fn current_intake_fingerprint(&self) -> Result<Option<String>, KeyStoreError> {
        let path = self.dir.join("intake").join("current");
        if !path.exists() {
            return Ok(None);
        }
        let text = files::read_private(&path)?;
        Ok(Some(String::from_utf8_lossy(&text).trim().to_owned()))
    }

    /// The published intake key (with secrets).
    pub fn current_intake(&self) -> Result<Option<Cert>, KeyStoreError> {
        let Some(fpr) = self.current_intake_fingerprint()? else {
            return Ok(None);
        };
        self.load_intake_secret(self.intake_path(&fpr)).map(Some)
    }

    /// Reads an intake secret key and unlocks it with the configured passphrase. A protected key
    /// without a passphrase, or with a wrong one, is an error naming the key.
    pub(crate) fn load_intake_secret(&self, path: PathBuf) -> Result<Cert, KeyStoreError> {
        let bytes = files::read_private(&path)?;
        let digest: [u8; 32] = <Sha256 as sha2::Digest>::digest(&bytes).into();
        let known = self.unlocked.lock().ok().and_then(|unlocked| {
            unlocked
                .iter()
                .find(|(d, _)| *d == digest)
                .map(|(_, cert)| cert.clone())
        });
        if let Some(cert) = known {
            return Ok(cert);
        }
        let cert = self.unlock_intake_secret(path, &bytes)?;
        if let Ok(mut unlocked) = self.unlocked.lock() {
            unlocked.retain(|(d, _)| *d != digest);
            unlocked.push((digest, cert.clone()));
        }
        Ok(cert)
    }

    fn unlock_intake_secret(&self, path: PathBuf, bytes: &[u8]) -> Result<Cert, KeyStoreError> {
        let cert = openpgp::parse_secret_key(bytes).map_err(|source| KeyStoreError::Key {
            path: path.clone(),
            source,
        })?;
        if !openpgp::needs_passphrase(&cert) {
            return Ok(cert);
        }
        let Some(pass) = self.passphrase()? else {
            return Err(KeyStoreError::Key {
                path,
                source: openpgp::KeyError::WrongPassphrase {
                    fingerprint: openpgp::fingerprint_hex(&cert),
                },
            });
        };
        openpgp::unlock(cert, pass).map_err(|source| KeyStoreError::Key { path, source })
    }

    /// Stores an intake secret key; `make_current` publishes it. Returns its fingerprint.
    pub fn save_intake(&self, cert: &Cert, make_current: bool) -> Result<String, KeyStoreError> {
        let fpr = openpgp::fingerprint_hex(cert);
        let path = self.intake_path(&fpr);
        let key_err = |source| KeyStoreError::Key {
            path: path.clone(),
            source,
        };
        let armored = match self.passphrase()? {
            Some(pass) => {
                openpgp::armored_secret(&openpgp::protect(cert.clone(), pass).map_err(key_err)?)
            }
            None => openpgp::armored_secret(cert),
        }
        .map_err(key_err)?;
        files::write_private(&path, &armored)?;
        if make_current {
            files::write_private(&self.dir.join("intake").join("current"), fpr.as_bytes())?;
        }
        Ok(fpr)
    }

    /// Loads a stored intake key as the gateway will at its start (unlocking it with the
    /// configured passphrase): an error if it would not open.
    pub fn check_intake(&self, fpr: &str) -> Result<(), KeyStoreError> {
        self.load_intake_secret(self.intake_path(fpr)).map(|_| ())
    }

    /// Removes a stored intake key that must not be kept (it would not open again).
    pub fn forget_intake(&self, fpr: &str) -> Result<(), KeyStoreError> {
        let path = self.intake_path(fpr);
        std::fs::remove_file(&path).map_err(|source| KeyStoreError::Io {
            context: format!("remove {}", path.display()),
            source,
        })?;
        if self.current_intake_fingerprint()?.as_deref() == Some(fpr) {
            let current = self.dir.join("intake").join("current");
            std::fs::remove_file(&current).map_err(|source| KeyStoreError::Io {
                context: format!("remove {}", current.display()),
                source,
            })?;
        }
        Ok(())
    }

    fn intake_path(&self, fpr: &str) -> PathBuf {
        self.dir.join("intake").join(format!("{fpr}.key"))
    }

    /// The fingerprint key, created on first use.
    pub fn fingerprint_key(&self) -> Result<FingerprintKey, KeyStoreError> {
        let path = self.dir.join("fingerprint.key");
        if !path.exists() {
            // Replicas sharing the folder may race here: one key wins, every one reads it.
            let mut key = Zeroizing::new(vec![0u8; 32]);
            rand::rngs::OsRng.fill_bytes(&mut key);
            files::create_private_once(&path, &key)?;
        }
        Ok(FingerprintKey(files::read_private(&path)?))
    }

    /// A new shred key, durably stored before it protects anything. Returns its id.
    pub fn new_shred_key(&self) -> Result<(String, ShredKey), KeyStoreError> {
        let key = ShredKey::generate();
        Ok((self.store_shred_key(&key)?, key))
    }

    /// Stores a shred key made elsewhere (an intake worker's, for one attachment), durably,
    /// under a new id. Returns the id.
    pub fn store_shred_key(&self, key: &ShredKey) -> Result<String, KeyStoreError> {
        let mut id = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut id);
        let id = hex::encode(id);
        files::write_private(&self.shred_path(&id)?, key.expose())?;
        Ok(id)
    }

    /// Shred keys gathered for one batch of filings and written together with one sync:
    /// [`PendingKeys::write`] before anything they protect is committed.
    #[must_use]
    pub fn pending_keys(&self) -> PendingKeys<'_> {
        PendingKeys {
            store: self,
            keys: Vec::new(),
        }
    }

    /// Loads a shred key.
    pub fn shred_key(&self, id: &str) -> Result<ShredKey, KeyStoreError> {
        let path = self.shred_path(id)?;
        if !path.exists() {
            return Err(KeyStoreError::Missing(format!(
                "shred key {id} (destroyed, or the key folder is not the one this register was filed with)"
            )));
        }
        let bytes = files::read_private(&path)?;
        ShredKey::from_bytes(&bytes)
            .ok_or_else(|| KeyStoreError::Missing(format!("shred key {id} (bad length)")))
    }

    fn shred_path(&self, id: &str) -> Result<PathBuf, KeyStoreError> {
        // Ids are our own hex; refuse anything else so a stored value can never name a path.
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(KeyStoreError::Missing(format!(
                "shred key with invalid id {id:?}"
            )));
        }
        Ok(self.dir.join("shred").join(format!("{id}.key")))
    }
}

/// Shred keys given their ids now and written durably later, all at once: each to a file of
/// its own (destroying one key still destroys exactly its records), one filesystem sync for
/// all. Until written nothing refers to them, so a crash before [`PendingKeys::write`] leaves
/// at most unreferenced key files behind.
pub struct PendingKeys<'a> {
    store: &'a KeyStore,
    keys: Vec<(String, ShredKey)>,
}

impl PendingKeys<'_> {
    /// Takes `key` to be written; returns the id it will be stored under.
    pub fn add(&mut self, key: ShredKey) -> String {
        let mut id = [0u8; 16];
        rand::rngs::OsRng.fill_bytes(&mut id);
        let id = hex::encode(id);
        self.keys.push((id.clone(), key));
        id
    }

    /// Keys gathered so far.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether none are gathered.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Writes every gathered key (0600, a new file each) and syncs them and the folder to disk
    /// together.
    pub fn write(self) -> Result<(), KeyStoreError> {
        if self.keys.is_empty() {
            return Ok(());
        }
        for (id, key) in &self.keys {
            files::create_private_unsynced(&self.store.shred_path(id)?, key.expose())?;
        }
        files::sync_filesystem_of(&self.store.dir.join("shred"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::openpgp::{generate_intake_key, KeyAlgorithm};

    /// The archive holds every key file and unpacks into an empty folder only; names that
    /// climb out of the folder are refused.
    #[test]
    fn the_key_folder_archive_round_trips_into_an_empty_folder_and_refuses_escaping_names() {
        use std::io::Write as _;
        let tmp = tempfile::tempdir().unwrap();
        let store = KeyStore::open(&tmp.path().join("keys")).unwrap();
        let (shred_id, _) = store.new_shred_key().unwrap();
        store.fingerprint_key().unwrap();
        let (archive, files) = store.archive().unwrap();
        assert_eq!(files, 2);
        let back = tmp.path().join("back");
        assert_eq!(KeyStore::unpack(&back, &archive).unwrap(), 2);
        let restored = KeyStore::open(&back).unwrap();
        assert_eq!(
            restored.shred_key(&shred_id).unwrap().expose(),
            store.shred_key(&shred_id).unwrap().expose()
        );
        assert!(KeyStore::unpack(&back, &archive).is_err(), "not empty");

        let mut zip = ::zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        zip.start_file("../escaped.key", ::zip::write::SimpleFileOptions::default())
            .unwrap();
        zip.write_all(b"x").unwrap();
        let bad = zip.finish().unwrap().into_inner();
        let target = tmp.path().join("inner/keys");
        assert!(KeyStore::unpack(&target, &bad).is_err());
        assert!(!tmp.path().join("inner/escaped.key").exists());
    }

    fn protected_store(dir: &Path, pass: &str) -> KeyStore {
        let mut store = KeyStore::open(dir).unwrap();
        store.passphrase = std::sync::OnceLock::from(Some(pass.to_owned().into()));
        store
    }

    /// Unlocked keys are kept for the next pass only while their file is unchanged: a key file
    /// replaced on disk is read and unlocked anew, and another store (another passphrase) does
    /// not see this one's unlocked keys.
    #[test]
    fn an_intake_key_is_unlocked_once_and_again_when_its_file_changes() {
        let tmp = tempfile::tempdir().unwrap();
        let (a_dir, b_dir) = (tmp.path().join("a"), tmp.path().join("b"));
        let store = protected_store(&a_dir, "pierwsze hasło");
        let a = generate_intake_key("a <a@example.org>", KeyAlgorithm::Cv25519).unwrap();
        let a_fpr = store.save_intake(&a, true).unwrap();
        let path = store.intake_path(&a_fpr);
        let first = store.load_intake_secret(path.clone()).unwrap();
        let again = store.load_intake_secret(path.clone()).unwrap();
        assert_eq!(first.fingerprint(), again.fingerprint());
        assert_eq!(
            store.unlocked.lock().unwrap().len(),
            1,
            "unlocked once, kept"
        );

        let other = protected_store(&b_dir, "pierwsze hasło");
        let b = generate_intake_key("b <b@example.org>", KeyAlgorithm::Cv25519).unwrap();
        let b_fpr = other.save_intake(&b, true).unwrap();
        std::fs::copy(other.intake_path(&b_fpr), &path).unwrap();
        let replaced = store.load_intake_secret(path.clone()).unwrap();
        assert_eq!(
            openpgp::fingerprint_hex(&replaced),
            b_fpr,
            "the new file is read"
        );

        let wrong = protected_store(&a_dir, "inne hasło");
        assert!(
            wrong.load_intake_secret(path).is_err(),
            "no unlocked key crosses stores"
        );
    }
}
