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

impl std::fmt::Display for PasswordSource {
    /// Where the secret is read from, never the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PasswordSource::File(path) => write!(f, "the file {}", path.display()),
            PasswordSource::Env(var) => write!(f, "${var}"),
            PasswordSource::Credential(name) => write!(f, "the credential {name}"),
        }
    }
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
    /// A file group or others may read: the secret may already be out.
    #[error(
        "secret file {path} is readable by others (mode {mode:o}): `chmod 600 {path}`, and \
         change the secret if anyone else could have read it"
    )]
    Loose {
        /// Path.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
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
            PasswordSource::File(path) => (read_private(path)?, path.display().to_string()),
            PasswordSource::Credential(name) => {
                let dir = std::env::var_os("CREDENTIALS_DIRECTORY")
                    .ok_or_else(|| SecretError::NoCredentials(name.clone()))?;
                let path = PathBuf::from(dir).join(name);
                (read_private(&path)?, format!("credential {name}"))
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

/// A secret file's text, refused when group or others may read it (as the key folder's
/// passphrase file is): a password left world-readable is a password to change.
fn read_private(path: &std::path::Path) -> Result<zeroize::Zeroizing<String>, SecretError> {
    use std::os::unix::fs::PermissionsExt;
    let file_error = |source| SecretError::File {
        path: path.to_path_buf(),
        source,
    };
    let mode = std::fs::metadata(path)
        .map_err(file_error)?
        .permissions()
        .mode()
        & 0o777;
    if mode & 0o077 != 0 {
        return Err(SecretError::Loose {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(zeroize::Zeroizing::new(
        std::fs::read_to_string(path).map_err(file_error)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::{PasswordSource, SecretError};
    use secrecy::ExposeSecret;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn an_imap_password_file_others_may_read_is_refused_like_the_passphrase_file() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("imap.pass");
        std::fs::write(&path, "secret\n").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let err = PasswordSource::File(path.clone()).read().unwrap_err();
        assert!(
            matches!(err, SecretError::Loose { mode: 0o644, .. }),
            "{err}"
        );
        assert!(err.to_string().contains("chmod 600"), "{err}");
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        let secret = PasswordSource::File(path).read().unwrap();
        assert_eq!(secret.expose_secret(), "secret");
    }
}
