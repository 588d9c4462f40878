//! The reader set: the certificates reports and notes are sealed to (handlers and custodians)
//! and the ones identity records and raw quarantined mail are sealed to (custodians only).
//! Built in this one place for intake, quarantine retry, notes and reseal, so that every
//! sealing path agrees on who may read (invariant 5).

use std::collections::BTreeMap;

use sequoia_openpgp::Cert;

use crate::openpgp::{self, KeyError};
use crate::register::{ReaderConsent, ReaderRow, Register, RegisterError, Role};

/// The statement a custodian signs to let `fingerprint` read in `role`. Binding the role means
/// a role changed in the register file by hand no longer carries a consent.
pub fn consent_statement(fingerprint: &str, role: Role) -> Vec<u8> {
    format!(
        "sygnal reader consent v1\nreader: {fingerprint}\nrole: {}\n",
        role.as_str()
    )
    .into_bytes()
}

/// A current reader sealed to.
#[derive(Clone)]
pub struct Member {
    /// Primary fingerprint.
    pub fingerprint: String,
    /// Holder's name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// Public certificate.
    pub cert: Cert,
}

/// Certificates to seal to.
pub struct Readers {
    /// Reports and notes: handlers and custodians.
    pub handlers: Vec<Cert>,
    /// Identity records and raw quarantined messages: custodians only.
    pub custodians: Vec<Cert>,
    /// `role:FINGERPRINT` of every reader sealed to, sorted: names the set (reseal target).
    pub labels: Vec<String>,
    /// The readers sealed to, in the order added.
    pub members: Vec<Member>,
    /// Readers left out because their certificate cannot be sealed to (expired, revoked, no
    /// encryption subkey): fingerprint and why.
    pub unusable: Vec<(String, KeyError)>,
    /// Readers left out because no custodian consented to them in their role: fingerprint,
    /// role and why. Nothing is sealed to them (invariant 5).
    pub unconsented: Vec<(String, Role, String)>,
    /// Whether consent is in force: false only for a register where no custodian has consented
    /// to anyone yet (set up before consent existed, or before its first custodian).
    pub consent_in_force: bool,
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

/// Which readers hold a consent that checks out: the first custodian's own (the root), then,
/// repeatedly, any consent signed by a custodian already found valid. A consent by anyone else,
/// a second self-signed root, or a signature over another role or reader does not count.
fn consented(rows: &[ReaderRow], certs: &BTreeMap<&str, Cert>) -> BTreeMap<String, String> {
    let holds = |c: &ReaderConsent, role: Role, signer: &str| {
        certs.get(signer).is_some_and(|cert| {
            openpgp::verify_detached(cert, &consent_statement(&c.fingerprint, role), &c.signature)
                .is_ok()
        })
    };
    let mut valid: BTreeMap<String, String> = BTreeMap::new();
    // The root: the first custodian who signed their own consent.
    if let Some(root) = rows.iter().find(|r| {
        r.role == Role::Custodian
            && r.consent
                .as_ref()
                .is_some_and(|c| c.by == r.fingerprint && holds(c, r.role, &r.fingerprint))
    }) {
        valid.insert(root.fingerprint.clone(), root.fingerprint.clone());
    }
    loop {
        let before = valid.len();
        for r in rows {
            if valid.contains_key(&r.fingerprint) {
                continue;
            }
            let Some(c) = &r.consent else { continue };
            let approver_is_custodian = rows.iter().any(|a| {
                a.fingerprint == c.by
                    && a.role == Role::Custodian
                    && valid.contains_key(&a.fingerprint)
            });
            if c.by != r.fingerprint && approver_is_custodian && holds(c, r.role, &c.by) {
                valid.insert(r.fingerprint.clone(), c.by.clone());
            }
        }
        if valid.len() == before {
            return valid;
        }
    }
}

/// The reporters' certificates registered as trusted signers, for the intake keyring.
pub async fn trusted_signers(register: &Register) -> Result<Vec<Cert>, ReadersError> {
    register
        .trusted_signers()
        .await?
        .into_iter()
        .map(|(fingerprint, _, cert, _)| {
            openpgp::parse_cert(&cert).map_err(|source| ReadersError::Unreadable {
                fingerprint,
                source,
            })
        })
        .collect()
}

impl Readers {
    /// Only what sealing needs: the handlers' and custodians' certificates, as an intake worker
    /// receives them from the gateway (which judged consent and usability already).
    pub fn for_sealing(handlers: Vec<Cert>, custodians: Vec<Cert>) -> Readers {
        Readers {
            handlers,
            custodians,
            labels: Vec::new(),
            members: Vec::new(),
            unusable: Vec::new(),
            unconsented: Vec::new(),
            consent_in_force: true,
        }
    }

    /// The current readers of the register.
    pub async fn load(register: &Register) -> Result<Readers, ReadersError> {
        Readers::from_rows(&register.all_readers().await?)
    }

    /// The reader set of these rows (every reader ever added, in order): active readers whose
    /// consent holds (or all active readers while consent is not in force); a custodian reads
    /// reports too; a certificate that cannot be sealed to is left out and named in `unusable`.
    pub fn from_rows(rows: &[ReaderRow]) -> Result<Readers, ReadersError> {
        let mut certs = BTreeMap::new();
        for r in rows {
            let cert = openpgp::parse_cert(&r.cert).map_err(|source| ReadersError::Unreadable {
                fingerprint: r.fingerprint.clone(),
                source,
            })?;
            certs.insert(r.fingerprint.as_str(), cert);
        }
        let consent_in_force = rows.iter().any(|r| r.consent.is_some());
        let valid = consented(rows, &certs);
        let mut set = Readers {
            handlers: Vec::new(),
            custodians: Vec::new(),
            labels: Vec::new(),
            members: Vec::new(),
            unusable: Vec::new(),
            unconsented: Vec::new(),
            consent_in_force,
        };
        for r in rows.iter().filter(|r| r.active) {
            let Some(cert) = certs.get(r.fingerprint.as_str()).cloned() else {
                continue;
            };
            if consent_in_force && !valid.contains_key(&r.fingerprint) {
                let why = match &r.consent {
                    None => "added without a custodian's consent".to_owned(),
                    Some(c) => format!(
                        "its consent (by {}) does not hold for the role {}",
                        c.by,
                        r.role.as_str()
                    ),
                };
                set.unconsented.push((r.fingerprint.clone(), r.role, why));
                continue;
            }
            if let Err(e) = openpgp::check_recipient(&cert) {
                set.unusable.push((r.fingerprint.clone(), e));
                continue;
            }
            set.labels
                .push(format!("{}:{}", r.role.as_str(), r.fingerprint));
            if r.role == Role::Custodian {
                set.custodians.push(cert.clone());
            }
            set.handlers.push(cert.clone());
            set.members.push(Member {
                fingerprint: r.fingerprint.clone(),
                name: r.name.clone(),
                role: r.role,
                cert,
            });
        }
        set.labels.sort();
        Ok(set)
    }

    /// The member with this fingerprint in this role, if sealed to.
    pub fn member(&self, fingerprint: &str, role: Role) -> Option<&Member> {
        self.members
            .iter()
            .find(|m| m.fingerprint == fingerprint && m.role == role)
    }

    /// Whether any custodian is sealed to.
    pub fn has_custodian(&self) -> bool {
        self.members.iter().any(|m| m.role == Role::Custodian)
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
            active: true,
            consent: None,
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
