//! Readers: who may open reports (handlers) and identities (custodians). Admins add and remove
//! them; every change is an audit entry written with it, and the reader set changes for new
//! records at once and for old ones with `keys reseal`.

use serde::Serialize;

use super::{Desk, DeskError};
use crate::openpgp;
use crate::register::{NewReader, Role};

/// A reader added.
#[derive(Debug, Clone, Serialize)]
pub struct ReaderAdded {
    /// Role.
    pub role: Role,
    /// Fingerprint.
    pub fingerprint: String,
    /// Holder's name.
    pub name: String,
}

/// A reader as listed (the certificate itself stays in the register).
#[derive(Debug, Clone, Serialize)]
pub struct ReaderListing {
    /// Fingerprint.
    pub fingerprint: String,
    /// Holder's name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// When added (RFC 3339).
    pub added_at: String,
}

/// A fingerprint as people type it (spaces, lower case) in the stored form.
pub(super) fn normalise_fingerprint(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase()
}

impl Desk {
    /// Adds a reader's public certificate (`source` names where it came from, for messages).
    /// Only a certificate that can be sealed to is accepted, and only its public part is kept.
    pub async fn add_reader(
        &self,
        source: &str,
        cert: &[u8],
        name: &str,
        role: Role,
    ) -> Result<ReaderAdded, DeskError> {
        let parsed = openpgp::parse_cert(cert).map_err(|e| {
            DeskError::KeyRefused(format!("{source} is not an OpenPGP certificate: {e}"))
        })?;
        openpgp::check_recipient(&parsed)
            .map_err(|e| DeskError::KeyRefused(format!("{source} cannot be sealed to: {e}")))?;
        let fingerprint = openpgp::fingerprint_hex(&parsed);
        // The public part only, even if a secret key was given by mistake.
        let public = openpgp::armored_public(&parsed)?;
        self.register
            .add_reader(&NewReader {
                fingerprint: fingerprint.clone(),
                name: name.to_owned(),
                role,
                cert: public.into_bytes(),
            })
            .await?;
        Ok(ReaderAdded {
            role,
            fingerprint,
            name: name.to_owned(),
        })
    }

    /// Removes a reader (kept for the audit trail). Returns the stored fingerprint.
    pub async fn remove_reader(&self, fingerprint: &str) -> Result<String, DeskError> {
        let fingerprint = normalise_fingerprint(fingerprint);
        if !self
            .register
            .remove_reader(&fingerprint, super::Actor::admin().as_str())
            .await?
        {
            return Err(DeskError::NotFound(format!(
                "no current reader {fingerprint}"
            )));
        }
        Ok(fingerprint)
    }

    /// Current readers, in the order added.
    pub async fn readers(&self) -> Result<Vec<ReaderListing>, DeskError> {
        Ok(self
            .register
            .readers()
            .await?
            .into_iter()
            .map(|r| ReaderListing {
                fingerprint: r.fingerprint,
                name: r.name,
                role: r.role,
                added_at: r.added_at,
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fingerprints_are_matched_without_spaces_and_case() {
        assert_eq!(super::normalise_fingerprint("ab12 cd34\tEF"), "AB12CD34EF");
    }
}
