//! Readers: who may open reports (handlers) and identities (custodians). An admin proposes a
//! change; once a custodian exists, it takes effect only with a current custodian's consent,
//! given by signing with their key (`--approve-key`). The first custodian consents to their own
//! addition and to the readers already there. Adding, removing and changing a role are audit
//! entries of their own kinds; a role never changes as a side effect of adding. The reader set
//! changes for new records at once and for old ones with `keys reseal`.

use sequoia_openpgp::Cert;
use serde::Serialize;

use super::{Actor, Desk, DeskError, ReaderKey};
use crate::openpgp;
use crate::readers::{consent_statement, Readers};
use crate::register::{NewReader, ReaderConsent, Role};

/// A reader added.
#[derive(Debug, Clone, Serialize)]
pub struct ReaderAdded {
    /// Role.
    pub role: Role,
    /// Fingerprint.
    pub fingerprint: String,
    /// Holder's name.
    pub name: String,
    /// Who consented (None: no custodian exists yet, so none could).
    pub approved_by: Option<String>,
    /// Readers already there who were consented to in the same step (the first custodian's).
    pub also_approved: Vec<String>,
    /// The file held the reader's secret key too: only the public part was kept, but the
    /// secret key has been handed around and should be treated as exposed.
    pub secret_key_given: bool,
}

/// Readers consented to by `handlers approve`.
#[derive(Debug, Clone, Serialize)]
pub struct ReadersApproved {
    /// Who consented.
    pub approved_by: String,
    /// Fingerprints consented to.
    pub readers: Vec<String>,
}

/// Whether a reader is sealed to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", rename_all = "kebab-case")]
pub enum ReaderStanding {
    /// Sealed to.
    Sealed,
    /// Left out: no custodian's consent that holds.
    NotApproved {
        /// Why.
        why: String,
    },
    /// Left out: the certificate cannot be sealed to.
    Unusable {
        /// Why.
        why: String,
    },
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
    /// Sealed to, or why not.
    pub standing: ReaderStanding,
}

/// A fingerprint as people type it (spaces, lower case) in the stored form.
pub(super) fn normalise_fingerprint(text: &str) -> String {
    text.chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase()
}

/// A change to the reader set, as the consent rule sees it.
struct Change<'a> {
    /// The reader who gets a (new) role, with their certificate; None for a removal.
    grants: Option<(&'a str, Role, &'a Cert)>,
    /// Their name (the first custodian acts under it before the register knows it).
    name: &'a str,
}

/// Who approved a change, and the consents to store with it.
struct Approval {
    actor: Actor,
    approver: Option<String>,
    consents: Vec<ReaderConsent>,
}

/// Signs a consent to each target with the approver's key and checks it against the
/// approver's certificate as the register knows it: a key that is not that custodian's cannot
/// make a consent that holds.
fn sign_consents(
    approver: &ReaderKey,
    approver_cert: &Cert,
    targets: &[(String, Role)],
) -> Result<Vec<ReaderConsent>, DeskError> {
    let mut out = Vec::new();
    for (fingerprint, role) in targets {
        let statement = consent_statement(fingerprint, *role);
        let signature =
            openpgp::sign_detached(&approver.cert, approver.passphrase.as_ref(), &statement)
                .map_err(|e| DeskError::KeyRefused(format!("cannot consent: {e}")))?;
        openpgp::verify_detached(approver_cert, &statement, &signature).map_err(|_| {
            DeskError::KeyRefused(format!(
                "the approving key does not match the certificate of {} in the register",
                approver.fingerprint
            ))
        })?;
        out.push(ReaderConsent {
            fingerprint: fingerprint.clone(),
            by: approver.fingerprint.clone(),
            signature,
        });
    }
    Ok(out)
}

impl Desk {
    /// The consent rule, in one place. Before any custodian exists, handlers come and go
    /// without consent, and the first custodian consents to their own addition (with their own
    /// key) and to every reader already there. Afterwards every change needs a current
    /// custodian's key. In a register from before consent existed, the approving custodian's
    /// first consent also covers themselves and the readers already there.
    async fn approve(
        &self,
        set: &Readers,
        change: &Change<'_>,
        approver: Option<&ReaderKey>,
    ) -> Result<Approval, DeskError> {
        let unapproved_members = || -> Vec<(String, Role)> {
            if set.consent_in_force {
                Vec::new()
            } else {
                set.members
                    .iter()
                    .map(|m| (m.fingerprint.clone(), m.role))
                    .collect()
            }
        };
        if !set.has_custodian() {
            let Some((fingerprint, Role::Custodian, cert)) = change.grants else {
                return Ok(Approval {
                    actor: Actor::admin(),
                    approver: None,
                    consents: Vec::new(),
                });
            };
            let key = approver
                .filter(|k| k.fingerprint == fingerprint)
                .ok_or_else(|| {
                    DeskError::KeyRefused(format!(
                    "the first custodian consents to their own appointment: give their secret key \
                     with --approve-key (the key of {fingerprint})"
                ))
                })?;
            let mut targets = vec![(fingerprint.to_owned(), Role::Custodian)];
            targets.extend(
                set.members
                    .iter()
                    .map(|m| (m.fingerprint.clone(), m.role))
                    .filter(|(f, _)| f != fingerprint),
            );
            return Ok(Approval {
                actor: Actor::reader(&key.fingerprint, change.name),
                approver: Some(key.fingerprint.clone()),
                consents: sign_consents(key, cert, &targets)?,
            });
        }
        let key = approver.ok_or_else(|| {
            DeskError::KeyRefused(
                "a custodian must consent to every change of readers: add --approve-key \
                 CUSTODIAN-SECRET-KEY"
                    .to_owned(),
            )
        })?;
        let member = set
            .member(&key.fingerprint, Role::Custodian)
            .ok_or_else(|| {
                DeskError::KeyRefused(format!(
                "key {} is not a current identity custodian's; only a custodian can consent to \
                 reader changes",
                key.fingerprint
            ))
            })?;
        let mut targets = unapproved_members();
        if let Some((fingerprint, role, _)) = change.grants {
            targets.retain(|(f, _)| f != fingerprint);
            targets.push((fingerprint.to_owned(), role));
        }
        Ok(Approval {
            actor: self.actor(&key.fingerprint).await?,
            approver: Some(key.fingerprint.clone()),
            consents: sign_consents(key, &member.cert, &targets)?,
        })
    }

    /// Adds a reader's public certificate (`source` names where it came from, for messages).
    /// Only a certificate that can be sealed to is accepted, only its public part is kept, and
    /// an existing reader is refused (a role changes with [`Desk::set_reader_role`]).
    pub async fn add_reader(
        &self,
        source: &str,
        cert: &[u8],
        name: &str,
        role: Role,
        approver: Option<&ReaderKey>,
    ) -> Result<ReaderAdded, DeskError> {
        let parsed = openpgp::parse_cert(cert).map_err(|e| {
            DeskError::KeyRefused(format!("{source} is not an OpenPGP certificate: {e}"))
        })?;
        openpgp::check_recipient(&parsed)
            .map_err(|e| DeskError::KeyRefused(format!("{source} cannot be sealed to: {e}")))?;
        let fingerprint = openpgp::fingerprint_hex(&parsed);
        let set = Readers::load(&self.register).await?;
        if let Some(r) = self
            .register
            .readers()
            .await?
            .into_iter()
            .find(|r| r.fingerprint == fingerprint)
        {
            return Err(DeskError::Invalid(format!(
                "{fingerprint} is already a reader ({}); to change a role use `sygnal handlers role`",
                r.role.as_str()
            )));
        }
        // The public part only: `parse_cert` drops secret key material given by mistake.
        let public = openpgp::parse_cert(openpgp::armored_public(&parsed)?.as_bytes())?;
        let approval = self
            .approve(
                &set,
                &Change {
                    grants: Some((&fingerprint, role, &public)),
                    name,
                },
                approver,
            )
            .await?;
        self.register
            .add_reader(
                &NewReader {
                    fingerprint: fingerprint.clone(),
                    name: name.to_owned(),
                    role,
                    cert: openpgp::armored_public(&public)?.into_bytes(),
                },
                &approval.consents,
                approval.actor.as_str(),
            )
            .await?;
        if let Some(key) = approver.filter(|_| approval.approver.is_some()) {
            self.checkpoint_after(key).await?;
        }
        Ok(ReaderAdded {
            role,
            also_approved: approval
                .consents
                .iter()
                .map(|c| c.fingerprint.clone())
                .filter(|f| *f != fingerprint)
                .collect(),
            fingerprint,
            name: name.to_owned(),
            approved_by: approval.approver,
            secret_key_given: openpgp::holds_secret_key(cert),
        })
    }

    /// Changes a current reader's role, with a custodian's consent (the reader's own key when
    /// they become the first custodian). The last custodian keeps the role.
    pub async fn set_reader_role(
        &self,
        fingerprint: &str,
        role: Role,
        approver: Option<&ReaderKey>,
    ) -> Result<String, DeskError> {
        let fingerprint = normalise_fingerprint(fingerprint);
        let set = Readers::load(&self.register).await?;
        let row = self
            .register
            .readers()
            .await?
            .into_iter()
            .find(|r| r.fingerprint == fingerprint)
            .ok_or_else(|| DeskError::NotFound(format!("no current reader {fingerprint}")))?;
        if row.role == role {
            return Err(DeskError::Invalid(format!(
                "{fingerprint} is already a {}",
                role.as_str()
            )));
        }
        self.keep_a_custodian(&set, &fingerprint)?;
        let cert = openpgp::parse_cert(&row.cert)?;
        let approval = self
            .approve(
                &set,
                &Change {
                    grants: Some((&fingerprint, role, &cert)),
                    name: &row.name,
                },
                approver,
            )
            .await?;
        self.register
            .set_reader_role(
                &fingerprint,
                role,
                &approval.consents,
                approval.actor.as_str(),
            )
            .await?;
        if let Some(key) = approver.filter(|_| approval.approver.is_some()) {
            self.checkpoint_after(key).await?;
        }
        Ok(fingerprint)
    }

    /// Removes a reader (kept for the audit trail), with a custodian's consent once one
    /// exists. Returns the stored fingerprint.
    pub async fn remove_reader(
        &self,
        fingerprint: &str,
        approver: Option<&ReaderKey>,
    ) -> Result<String, DeskError> {
        let fingerprint = normalise_fingerprint(fingerprint);
        let set = Readers::load(&self.register).await?;
        if !self
            .register
            .readers()
            .await?
            .iter()
            .any(|r| r.fingerprint == fingerprint)
        {
            return Err(DeskError::NotFound(format!(
                "no current reader {fingerprint}"
            )));
        }
        self.keep_a_custodian(&set, &fingerprint)?;
        let approval = self
            .approve(
                &set,
                &Change {
                    grants: None,
                    name: "",
                },
                approver,
            )
            .await?;
        if !approval.consents.is_empty() {
            self.register
                .approve_readers(&approval.consents, approval.actor.as_str())
                .await?;
        }
        if !self
            .register
            .remove_reader(&fingerprint, approval.actor.as_str())
            .await?
        {
            return Err(DeskError::NotFound(format!(
                "no current reader {fingerprint}"
            )));
        }
        if let Some(key) = approver.filter(|_| approval.approver.is_some()) {
            self.checkpoint_after(key).await?;
        }
        Ok(fingerprint)
    }

    /// A custodian consents to readers already in the register that lack a consent that
    /// holds (added before consent existed, or whose consent no longer checks out). Only the
    /// readers named are consented to, so nobody is approved unseen.
    pub async fn approve_readers(
        &self,
        fingerprints: &[String],
        approver: &ReaderKey,
    ) -> Result<ReadersApproved, DeskError> {
        let set = Readers::load(&self.register).await?;
        if !set.has_custodian() {
            return Err(DeskError::Setup(
                "no identity custodian yet: add the first one with `sygnal handlers add --role \
                 custodian --approve-key THEIR-SECRET-KEY`"
                    .to_owned(),
            ));
        }
        let waiting: Vec<(String, Role)> = if set.consent_in_force {
            set.unconsented
                .iter()
                .map(|(f, role, _)| (f.clone(), *role))
                .collect()
        } else {
            set.members
                .iter()
                .map(|m| (m.fingerprint.clone(), m.role))
                .collect()
        };
        let named: Vec<String> = fingerprints
            .iter()
            .map(|f| normalise_fingerprint(f))
            .collect();
        if named.is_empty() {
            let list: Vec<&str> = waiting.iter().map(|(f, _)| f.as_str()).collect();
            return Err(DeskError::Invalid(if list.is_empty() {
                "every current reader is approved".to_owned()
            } else {
                format!(
                    "name the readers to approve (see `sygnal handlers list`): {}",
                    list.join(" ")
                )
            }));
        }
        let mut targets = Vec::new();
        for f in &named {
            let target = waiting.iter().find(|(w, _)| w == f).ok_or_else(|| {
                DeskError::NotFound(format!("{f} is not a current reader waiting for approval"))
            })?;
            targets.push(target.clone());
        }
        let approval = self
            .approve(
                &set,
                &Change {
                    grants: None,
                    name: "",
                },
                Some(approver),
            )
            .await?;
        let mut consents = approval.consents;
        let member = set
            .member(&approver.fingerprint, Role::Custodian)
            .ok_or_else(|| DeskError::KeyRefused("not a current custodian".to_owned()))?;
        consents.extend(sign_consents(approver, &member.cert, &targets)?);
        consents.dedup_by(|a, b| a.fingerprint == b.fingerprint);
        self.register
            .approve_readers(&consents, approval.actor.as_str())
            .await?;
        self.checkpoint_after(approver).await?;
        Ok(ReadersApproved {
            approved_by: approver.fingerprint.clone(),
            readers: targets.into_iter().map(|(f, _)| f).collect(),
        })
    }

    /// Refuses a change that would leave no custodian to seal identities to.
    fn keep_a_custodian(&self, set: &Readers, leaving: &str) -> Result<(), DeskError> {
        let custodians: Vec<&str> = set
            .members
            .iter()
            .filter(|m| m.role == Role::Custodian)
            .map(|m| m.fingerprint.as_str())
            .collect();
        if custodians == [leaving] {
            return Err(DeskError::Invalid(format!(
                "{leaving} is the last identity custodian: add another custodian first, or no \
                 report could be filed"
            )));
        }
        Ok(())
    }

    /// When the readers changed without a reseal since, while older records exist (see
    /// [`crate::register::Register::reseal_pending_since`]).
    pub async fn reseal_pending(&self) -> Result<Option<ResealPending>, DeskError> {
        Ok(self
            .register
            .reseal_pending_since()
            .await?
            .map(|since| ResealPending { since }))
    }

    /// Current readers, in the order added, each with whether it is sealed to.
    pub async fn readers(&self) -> Result<Vec<ReaderListing>, DeskError> {
        let set = Readers::load(&self.register).await?;
        Ok(self
            .register
            .readers()
            .await?
            .into_iter()
            .map(|r| {
                let standing = if let Some((_, _, why)) =
                    set.unconsented.iter().find(|(f, _, _)| *f == r.fingerprint)
                {
                    ReaderStanding::NotApproved { why: why.clone() }
                } else if let Some((_, e)) = set.unusable.iter().find(|(f, _)| *f == r.fingerprint)
                {
                    ReaderStanding::Unusable { why: e.to_string() }
                } else {
                    ReaderStanding::Sealed
                };
                ReaderListing {
                    fingerprint: r.fingerprint,
                    name: r.name,
                    role: r.role,
                    added_at: r.added_at,
                    standing,
                }
            })
            .collect())
    }
}

/// Readers changed after the last reseal: older records still have the old readers.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ResealPending {
    /// When the readers last changed (RFC 3339, UTC).
    pub since: String,
}

impl std::fmt::Display for ResealPending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "reseal pending: the readers changed on {} and records filed before still carry the \
             old readers (a removed reader's key is refused here but still decrypts them; a \
             reader added since cannot open them): run `sygnal keys reseal --key KEY` with a \
             current reader's key",
            self.since
        )
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn fingerprints_are_matched_without_spaces_and_case() {
        assert_eq!(super::normalise_fingerprint("ab12 cd34\tEF"), "AB12CD34EF");
    }
}
