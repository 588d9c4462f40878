//! At-rest protection of intake secret keys: the passphrase is read from a 0600 file, an
//! environment variable or a systemd credential, kept in a `SecretString` (zeroized on drop)
//! and never printed.

use std::path::Path;

use secrecy::SecretString;
use zeroize::Zeroizing;

use super::{files, KeyStore, KeyStoreError};
use crate::config::{KeyProtection, KeysConfig, PassphraseSource};

fn from_bytes(bytes: &[u8], what: &str) -> Result<SecretString, KeyStoreError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| KeyStoreError::Missing(format!("a UTF-8 intake key passphrase in {what}")))?;
    // A trailing newline from `echo` or an editor is not part of the passphrase.
    let trimmed = text.trim_end_matches(['\n', '\r']);
    if trimmed.is_empty() {
        return Err(KeyStoreError::Missing(format!(
            "a non-empty intake key passphrase in {what}"
        )));
    }
    Ok(SecretString::from(trimmed.to_owned()))
}

/// Reads the configured passphrase (None when keys are explicitly unprotected).
pub fn passphrase(protection: &KeyProtection) -> Result<Option<SecretString>, KeyStoreError> {
    let source = match protection {
        KeyProtection::Unprotected => return Ok(None),
        KeyProtection::Passphrase(s) => s,
    };
    match source {
        PassphraseSource::File(path) => {
            let bytes = files::read_private(path)?;
            from_bytes(&bytes, &format!("passphrase-file {}", path.display())).map(Some)
        }
        PassphraseSource::Env(var) => {
            let value = Zeroizing::new(std::env::var(var).map_err(|_| {
                KeyStoreError::Missing(format!("environment variable {var} (keys.passphrase-env)"))
            })?);
            from_bytes(value.as_bytes(), &format!("${var}")).map(Some)
        }
        PassphraseSource::Credential(name) => {
            let dir = std::env::var_os("CREDENTIALS_DIRECTORY").ok_or_else(|| {
                KeyStoreError::Missing(format!(
                    "CREDENTIALS_DIRECTORY for credential {name} (run under systemd with LoadCredential={name}:...)"
                ))
            })?;
            let path = Path::new(&dir).join(name);
            let bytes = files::read_private(&path)?;
            from_bytes(&bytes, &format!("credential {name}")).map(Some)
        }
    }
}

impl KeyStore {
    /// Opens the key folder with the configured at-rest protection: new intake keys are saved
    /// encrypted under the passphrase, protected ones are unlocked in memory on load.
    pub fn open_config(config: &KeysConfig) -> Result<KeyStore, KeyStoreError> {
        let mut store = KeyStore::open(&config.dir)?;
        store.protection = config.protection.clone();
        Ok(store)
    }

    /// Reads the passphrase now: the gateway, which will need it, fails at its start on a
    /// missing or loose source instead of at the first message.
    pub fn check_passphrase(&self) -> Result<(), KeyStoreError> {
        self.passphrase().map(|_| ())
    }

    /// The passphrase, read from its source the first time it is needed.
    pub(super) fn passphrase(&self) -> Result<Option<&SecretString>, KeyStoreError> {
        if let Some(known) = self.passphrase.get() {
            return Ok(known.as_ref());
        }
        let read = passphrase(&self.protection)?;
        Ok(self.passphrase.get_or_init(|| read).as_ref())
    }

    /// Whether intake keys are saved passphrase-protected.
    pub fn protected(&self) -> bool {
        matches!(self.protection, KeyProtection::Passphrase(_))
            || self.passphrase.get().is_some_and(Option::is_some)
    }

    /// Fingerprints of intake secret keys stored without passphrase protection.
    pub fn unprotected_intake_keys(&self) -> Result<Vec<String>, KeyStoreError> {
        let mut out = Vec::new();
        for fpr in self.intake_fingerprints()? {
            let path = self.dir().join("intake").join(format!("{fpr}.key"));
            let bytes = files::read_private(&path)?;
            let cert = crate::openpgp::parse_secret_key(&bytes)
                .map_err(|source| KeyStoreError::Key { path, source })?;
            if !crate::openpgp::needs_passphrase(&cert) {
                out.push(fpr);
            }
        }
        Ok(out)
    }

    /// Re-saves every unprotected intake secret key under the configured passphrase. Returns
    /// the fingerprints protected; nothing to do without a passphrase.
    pub fn protect_intake_keys(&self) -> Result<Vec<String>, KeyStoreError> {
        if self.passphrase()?.is_none() {
            return Ok(Vec::new());
        }
        let mut done = Vec::new();
        for fpr in self.unprotected_intake_keys()? {
            let path = self.dir().join("intake").join(format!("{fpr}.key"));
            let cert = self.load_intake_secret(path)?;
            // `save_intake` encrypts under the passphrase and replaces the file atomically.
            self.save_intake(&cert, false)?;
            done.push(fpr);
        }
        Ok(done)
    }
}
