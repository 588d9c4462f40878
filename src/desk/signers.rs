//! Trusted signers: reporters' certificates registered beforehand, the only keys whose good
//! signature makes a report "verified by a key you trust". A key found inside a message proves
//! nothing (anyone can attach one), so it never does. Admins register them; every change is an
//! audit entry. Only public parts are kept.

use serde::Serialize;

use super::admin::normalise_fingerprint;
use super::{Desk, DeskError};
use crate::openpgp;

/// A registered trusted signer.
#[derive(Debug, Clone, Serialize)]
pub struct TrustedSigner {
    /// Primary fingerprint.
    pub fingerprint: String,
    /// Name given when registered.
    pub name: String,
    /// When registered.
    pub added_at: String,
}

impl Desk {
    /// Registers a certificate as a trusted signer (`source` names where it came from).
    pub async fn trust_signer(
        &self,
        source: &str,
        cert: &[u8],
        name: &str,
    ) -> Result<TrustedSigner, DeskError> {
        let parsed = openpgp::parse_cert(cert).map_err(|e| {
            DeskError::KeyRefused(format!("{source} is not an OpenPGP certificate: {e}"))
        })?;
        let fingerprint = openpgp::fingerprint_hex(&parsed);
        let public = openpgp::armored_public(&parsed)?;
        self.register
            .add_trusted_signer(&fingerprint, name, public.as_bytes())
            .await?;
        Ok(TrustedSigner {
            fingerprint,
            name: name.to_owned(),
            added_at: String::new(),
        })
    }

    /// Removes a trusted signer; reports already filed keep their label.
    pub async fn distrust_signer(&self, fingerprint: &str) -> Result<String, DeskError> {
        let fingerprint = normalise_fingerprint(fingerprint);
        if !self.register.remove_trusted_signer(&fingerprint).await? {
            return Err(DeskError::NotFound(format!(
                "no trusted signer {fingerprint} (see `sygnal keys signers`)"
            )));
        }
        Ok(fingerprint)
    }

    /// The registered trusted signers.
    pub async fn trusted_signers(&self) -> Result<Vec<TrustedSigner>, DeskError> {
        Ok(self
            .register
            .trusted_signers()
            .await?
            .into_iter()
            .map(|(fingerprint, name, _, added_at)| TrustedSigner {
                fingerprint,
                name,
                added_at,
            })
            .collect())
    }
}
