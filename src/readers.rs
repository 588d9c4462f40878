//! The reader set: the certificates reports, notes and quarantined mail are sealed to
//! (handlers and custodians) and the ones identity records are sealed to (custodians only).
//! Built in this one place for intake, quarantine retry, notes and reseal, so that every
//! sealing path agrees on who may read (invariant 5).

use sequoia_openpgp::Cert;

use crate::openpgp::{self, KeyError};
use crate::register::{ReaderRow, Register, RegisterError, Role};

/// Certificates to seal to.
pub struct Readers {
    /// Reports, notes and quarantined messages: handlers and custodians.
    pub handlers: Vec<Cert>,
    /// Identity records: custodians only.
    pub custodians: Vec<Cert>,
    /// `role:FINGERPRINT` of every reader sealed to, sorted: names the set (reseal target).
    pub labels: Vec<String>,
    /// Readers left out because their certificate cannot be sealed to (expired, revoked, no
    /// encryption subkey): fingerprint and why.
    pub unusable: Vec<(String, KeyError)>,
}

/// A reader set that cannot be built.
#[derive(Debug, thiserror::Error)]
pub enum ReadersError {
    /// The register could not be read.
    #[error(transparent)]
    Register(#[from] RegisterError),
    /// A stored certificate does not parse: the register is damaged.
    #[error("stored certificate {fingerprint} is unreadable: {source}")]
    Unreadable {
        /// Fingerprint.
        fingerprint: String,
        /// Cause.
        source: KeyError,
    },
}

impl Readers {
    /// The current readers of the register.
    pub async fn load(register: &Register) -> Result<Readers, ReadersError> {
        Readers::from_rows(&register.readers().await?)
    }

    /// The reader set of these rows: a custodian reads reports too; a certificate that cannot
    /// be sealed to is left out and named in `unusable`.
    pub fn from_rows(rows: &[ReaderRow]) -> Result<Readers, ReadersError> {
        let mut set = Readers {
            handlers: Vec::new(),
            custodians: Vec::new(),
            labels: Vec::new(),
            unusable: Vec::new(),
        };
        for r in rows {
            let cert = openpgp::parse_cert(&r.cert).map_err(|source| ReadersError::Unreadable {
                fingerprint: r.fingerprint.clone(),
                source,
            })?;
            if let Err(e) = openpgp::check_recipient(&cert) {
                set.unusable.push((r.fingerprint.clone(), e));
                continue;
            }
            set.labels
                .push(format!("{}:{}", r.role.as_str(), r.fingerprint));
            if r.role == Role::Custodian {
                set.custodians.push(cert.clone());
            }
            set.handlers.push(cert);
        }
        set.labels.sort();
        Ok(set)
    }
}

#[cfg(test)]
mod tests {
    use super::Readers;
    use crate::openpgp::{generate_intake_key, KeyAlgorithm};
    use crate::register::{ReaderRow, Role};

    fn row(name: &str, role: Role) -> ReaderRow {
        let cert = generate_intake_key(
            &format!("{name} <{name}@example.org>"),
            KeyAlgorithm::Cv25519,
        )
        .unwrap();
        ReaderRow {
            fingerprint: crate::openpgp::fingerprint_hex(&cert),
            name: name.to_owned(),
            role,
            cert: crate::openpgp::armored_public(&cert).unwrap().into_bytes(),
            added_at: String::new(),
        }
    }

    #[test]
    fn custodians_read_reports_and_identities_handlers_reports_only() {
        let set =
            Readers::from_rows(&[row("h", Role::Handler), row("c", Role::Custodian)]).unwrap();
        assert_eq!(set.handlers.len(), 2);
        assert_eq!(set.custodians.len(), 1);
        assert!(set.labels.iter().any(|l| l.starts_with("custodian:")));
        assert!(set.unusable.is_empty());
    }

    #[test]
    fn an_unreadable_stored_certificate_is_an_error_not_a_silently_lost_reader() {
        let mut bad = row("h", Role::Handler);
        bad.cert = b"not a certificate".to_vec();
        assert!(Readers::from_rows(&[bad]).is_err());
    }
}
