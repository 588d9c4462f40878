//! Secret sources: a password read from a file (systemd credentials) or an environment variable,
//! straight into zeroizing memory.

use std::path::PathBuf;

use secrecy::SecretString;

/// Where a secret (the IMAP password, the PostgreSQL URL with its password) comes from.
#[derive(Debug, Clone)]
pub enum PasswordSource {
    /// A file whose content (trailing newline trimmed) is the secret.
    File(PathBuf),
    /// An environment variable.
    Env(String),
    /// A systemd credential: `$CREDENTIALS_DIRECTORY/<name>`.
    Credential(String),
}

/// The password could not be read.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// File unreadable.
    #[error("cannot read secret file {path}: {source}")]
    File {
        /// Path.
        path: PathBuf,
        /// Cause.
        source: std::io::Error,
    },
    /// Variable unset or not UTF-8.
    #[error("environment variable {0} is not set")]
    Env(String),
    /// Not running with systemd credentials.
    #[error("CREDENTIALS_DIRECTORY is not set, so credential {0} cannot be read (run under systemd with LoadCredential={0}:...)")]
    NoCredentials(String),
    /// Empty password.
    #[error("the password from {0} is empty")]
    Empty(String),
}

impl PasswordSource {
    /// Reads the secret now.
    pub fn read(&self) -> Result<SecretString, SecretError> {
        let (mut text, origin) = match self {
            PasswordSource::File(path) => (
                zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|source| {
                    SecretError::File {
                        path: path.clone(),
                        source,
                    }
                })?),
                path.display().to_string(),
            ),
            PasswordSource::Credential(name) => {
                let dir = std::env::var_os("CREDENTIALS_DIRECTORY")
                    .ok_or_else(|| SecretError::NoCredentials(name.clone()))?;
                let path = PathBuf::from(dir).join(name);
                (
                    zeroize::Zeroizing::new(std::fs::read_to_string(&path).map_err(|source| {
                        SecretError::File {
                            path: path.clone(),
                            source,
                        }
                    })?),
                    format!("credential {name}"),
                )
            }
            PasswordSource::Env(var) => (
                zeroize::Zeroizing::new(
                    std::env::var(var).map_err(|_| SecretError::Env(var.clone()))?,
                ),
                format!("${var}"),
            ),
        };
        while text.ends_with('\n') || text.ends_with('\r') {
            text.pop();
        }
        if text.is_empty() {
            return Err(SecretError::Empty(origin));
        }
        Ok(SecretString::from(text.as_str()))
    }
}
