//! Who acts: a reader proven by a secret key that opens the record in question, or the admin.
//! A key proves a role only by opening what that role was sealed (invariant 5): a handler's key
//! opens reports, a custodian's also identities; nothing else is trusted.

use secrecy::SecretString;
use sequoia_openpgp::Cert;
use zeroize::Zeroizing;

use super::{Desk, DeskError, Opener, Sealed, Why};
use crate::register::CaseRecord;
use crate::vault::{self, BlobKind, ShredKey, MAX_RECORD_BYTES};

/// A reader's secret key, as a front end obtained it (a file and a prompt, a browser, a card).
pub struct ReaderKey {
    /// The key (secret parts possibly still encrypted).
    pub cert: Cert,
    /// Passphrase, if the key needs one.
    pub passphrase: Option<SecretString>,
    /// Fingerprint (hex).
    pub fingerprint: String,
}

impl ReaderKey {
    /// A key and its passphrase.
    pub fn new(cert: Cert, passphrase: Option<SecretString>) -> ReaderKey {
        let fingerprint = crate::openpgp::fingerprint_hex(&cert);
        ReaderKey {
            cert,
            passphrase,
            fingerprint,
        }
    }
}

/// The name an action is recorded under: `FINGERPRINT (holder's name)`, `admin` or `gateway`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(transparent)]
pub struct Actor(String);

impl Actor {
    /// The administrator (no key: admins read nothing).
    pub fn admin() -> Actor {
        Actor("admin".to_owned())
    }

    /// A key holder: `FINGERPRINT (name)`.
    pub(super) fn reader(fingerprint: &str, name: &str) -> Actor {
        Actor(format!("{fingerprint} ({name})"))
    }

    /// As recorded.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Consumes it.
    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for Actor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A reader who opened a case's report with their key.
pub(super) struct ProvenReader {
    pub record: CaseRecord,
    pub shred: ShredKey,
    pub actor: Actor,
    pub report: Zeroizing<Vec<u8>>,
}

/// A report opened (or not) by a current reader's key, with what it took.
type OpenedReport = (
    Actor,
    CaseRecord,
    ShredKey,
    Result<Zeroizing<Vec<u8>>, vault::VaultError>,
);

/// A custodian who opened a case's identity record with their key.
pub(super) struct ProvenCustodian {
    pub actor: Actor,
    pub identity: Zeroizing<Vec<u8>>,
    /// The case's shred key, to seal the event's free text under.
    pub shred: ShredKey,
}

impl Desk {
    /// `FINGERPRINT (name)` of a key holder, for the audit trail.
    pub(super) async fn actor(&self, fingerprint: &str) -> Result<Actor, DeskError> {
        let name = self
            .register
            .readers()
            .await?
            .into_iter()
            .find(|r| r.fingerprint == fingerprint)
            .map(|r| r.name)
            .unwrap_or_else(|| "not a registered reader".to_owned());
        Ok(Actor::reader(fingerprint, &name))
    }

    /// The actor of a key that must belong to a current reader: a removed reader's key may
    /// still open what was sealed to it before the next reseal, but it acts no more.
    async fn current_reader(&self, key: &ReaderKey) -> Result<Actor, DeskError> {
        let readers = self.register.readers().await?;
        let Some(r) = readers.iter().find(|r| r.fingerprint == key.fingerprint) else {
            return Err(Why::key_refused("err-not-current-reader")
                .arg("key", key.fingerprint.as_str())
                .into());
        };
        Ok(Actor::reader(&key.fingerprint, &r.name))
    }

    /// The case with its sealed blobs, or NotFound.
    pub(super) async fn case_record(&self, number: &str) -> Result<CaseRecord, DeskError> {
        self.register
            .case(number)
            .await?
            .ok_or_else(|| Why::not_found("err-no-case").arg("number", number).into())
    }

    /// Only a key the case's report was sealed to passes: a handler or a custodian.
    pub(super) async fn prove_reader(
        &self,
        number: &str,
        key: &ReaderKey,
    ) -> Result<ProvenReader, DeskError> {
        let (actor, record, shred, report) = self.open_report(number, key).await?;
        let report = report
            .map_err(|e| DeskError::unseal_by_reader(e, Sealed::Case(number), Opener::Handler))?;
        Ok(ProvenReader {
            actor,
            record,
            shred,
            report,
        })
    }

    /// As [`Desk::prove_reader`], but `None` when the case is not sealed to this current
    /// reader's key (a search across cases skips it); every other refusal still stops.
    pub(super) async fn prove_reader_if_sealed(
        &self,
        number: &str,
        key: &ReaderKey,
    ) -> Result<Option<ProvenReader>, DeskError> {
        use crate::openpgp::UnsealError;
        let (actor, record, shred, report) = self.open_report(number, key).await?;
        let report = match report {
            Ok(r) => r,
            Err(vault::VaultError::Unseal(UnsealError::NotARecipient { .. })) => return Ok(None),
            Err(e) => {
                return Err(DeskError::unseal_by_reader(
                    e,
                    Sealed::Case(number),
                    Opener::Handler,
                ))
            }
        };
        Ok(Some(ProvenReader {
            actor,
            record,
            shred,
            report,
        }))
    }

    /// The case's report opened with `key`, after the key was found a current reader's.
    async fn open_report(&self, number: &str, key: &ReaderKey) -> Result<OpenedReport, DeskError> {
        let actor = self.current_reader(key).await?;
        let record = self.case_record(number).await?;
        let shred = self.keys.shred_key(&record.shred_key)?;
        let report = vault::open(
            &record.report,
            &shred,
            BlobKind::Report,
            &key.cert,
            key.passphrase.as_ref(),
            MAX_RECORD_BYTES,
        );
        Ok((actor, record, shred, report))
    }

    /// Only a key the case's identity record was sealed to passes: a custodian.
    pub(super) async fn prove_custodian(
        &self,
        number: &str,
        key: &ReaderKey,
    ) -> Result<ProvenCustodian, DeskError> {
        let actor = self.current_reader(key).await?;
        let record = self.case_record(number).await?;
        let shred = self.keys.shred_key(&record.shred_key)?;
        let identity = vault::open(
            &record.identity,
            &shred,
            BlobKind::Identity,
            &key.cert,
            key.passphrase.as_ref(),
            MAX_RECORD_BYTES,
        )
        .map_err(|e| DeskError::unseal(e, Sealed::Case(number), Opener::Custodian))?;
        Ok(ProvenCustodian {
            actor,
            identity,
            shred,
        })
    }

    /// Only a current custodian's key passes, proven by signing with it: the custodians are
    /// the readers of raw quarantined mail and the ones who consent to reader changes.
    pub(super) async fn require_custodian(&self, key: &ReaderKey) -> Result<Actor, DeskError> {
        let set = crate::readers::Readers::load(&self.register).await?;
        let member = set
            .member(&key.fingerprint, crate::register::Role::Custodian)
            .ok_or_else(|| {
                Why::key_refused("err-not-custodian").arg("key", key.fingerprint.as_str())
            })?;
        let challenge = b"sygnal custodian proof v1\n";
        crate::openpgp::sign_detached(&key.cert, key.passphrase.as_ref(), challenge)
            .ok()
            .filter(|sig| crate::openpgp::verify_detached(&member.cert, challenge, sig).is_ok())
            .ok_or_else(|| {
                DeskError::from(
                    Why::key_refused("err-not-custodian-secret")
                        .arg("key", key.fingerprint.as_str()),
                )
            })?;
        self.actor(&key.fingerprint).await
    }

    /// Refuses a key that is not a current reader's.
    pub(super) async fn require_reader(&self, key: &ReaderKey) -> Result<(), DeskError> {
        let readers = self.register.readers().await?;
        if readers.iter().any(|r| r.fingerprint == key.fingerprint) {
            Ok(())
        } else {
            Err(Why::key_refused("err-not-current-reader")
                .arg("key", key.fingerprint.as_str())
                .into())
        }
    }
}
