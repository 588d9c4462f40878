//! A reader's secret key given with `--key`, and its passphrase (SYGNAL_PASSPHRASE or a prompt).

use anyhow::Context;
use secrecy::SecretString;
use std::path::Path;

use super::{coded, exit};
use crate::desk::ReaderKey;
use crate::openpgp;

/// Loads `--key FILE`; asks for the passphrase only when the key is protected.
pub fn load(path: &Path) -> anyhow::Result<ReaderKey> {
    let bytes = zeroize::Zeroizing::new(
        std::fs::read(path)
            .with_context(|| t!("cli-key-unreadable", path = path.display().to_string()))?,
    );
    let cert = openpgp::parse_secret_key(&bytes).map_err(|e| {
        coded(
            exit::KEY_REFUSED,
            t!(
                "cli-key-unusable",
                path = path.display().to_string(),
                why = e.to_string()
            ),
        )
    })?;
    let passphrase = if openpgp::needs_passphrase(&cert) {
        Some(match std::env::var("SYGNAL_PASSPHRASE") {
            Ok(p) => SecretString::from(p),
            Err(_) => SecretString::from(
                rpassword::prompt_password(t!(
                    "cli-passphrase-prompt",
                    key = openpgp::fingerprint_hex(&cert)
                ))
                .context(t!("cli-passphrase-unreadable"))?,
            ),
        })
    } else {
        None
    };
    Ok(ReaderKey::new(cert, passphrase))
}
