//! The reporter's identity: opened only by a custodian, only with a stated reason recorded
//! durably before anything is shown; a disclosure to a third party only with its recipient,
//! legal basis, reason and whether the reporter was told first (art. 8 of the act of 14 June
//! 2024). Every unseal and disclosure is listed by the identity log (invariant 6).
//!
//! The free text (the reason; a disclosure's recipient and legal basis) can itself identify
//! the reporter, so it is sealed to the custodians under the case's shred key; the clear audit
//! entry says only what happened, to which case, by whom.

use serde::{Deserialize, Serialize};

use super::{Desk, DeskError, Opener, ReaderKey, Sealed, Why};
use crate::audit::Event;
use crate::readers::Readers;
use crate::register::{AuditEntry, DisclosureRow, NewDisclosure, ReporterNotice};
use crate::split::SenderIdentity;
use crate::vault::{self, BlobKind, ShredKey, StoredBlob, MAX_RECORD_BYTES};

/// The sealed free text of an identity event.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct IdentityDetail {
    /// Why.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// A disclosure's recipient.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
    /// A disclosure's legal basis.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub legal_basis: Option<String>,
}

/// Shortest reason accepted for opening an identity (characters, after trimming).
const MIN_UNSEAL_REASON: usize = 5;
/// Shortest recipient, legal basis and reason of a disclosure.
const MIN_DISCLOSURE_FIELD: usize = 3;

/// An opened identity record.
pub struct UnsealedIdentity {
    /// Case number.
    pub number: String,
    /// Everything that may identify the reporter.
    pub identity: SenderIdentity,
    /// Who sent each of the reporter's answers filed into the case.
    pub follow_ups: Vec<super::FollowUpIdentity>,
}

/// A disclosure a custodian asks to record.
pub struct Disclosure {
    /// Who receives the identity.
    pub to: String,
    /// Legal basis.
    pub legal_basis: String,
    /// Why.
    pub reason: String,
    /// `informed` or `withheld-would-endanger`, as the custodian said it; None if not said.
    pub reporter_notice: Option<String>,
}

/// A recorded disclosure.
#[derive(Debug, Serialize)]
pub struct DisclosureRecorded {
    /// Case number.
    pub number: String,
    /// Disclosure id.
    #[serde(rename = "disclosure")]
    pub id: i64,
    /// Whether the reporter was told first.
    pub reporter_notice: ReporterNotice,
}

/// Unsealed or disclosed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum IdentityAccessKind {
    /// Opened by a custodian.
    Unsealed,
    /// Disclosed to a third party.
    Disclosed,
}

impl IdentityAccessKind {
    /// Text.
    pub fn as_str(self) -> &'static str {
        match self {
            IdentityAccessKind::Unsealed => "unsealed",
            IdentityAccessKind::Disclosed => "disclosed",
        }
    }
}

/// One entry of the identity log.
#[derive(Debug, Serialize)]
pub struct IdentityAccess {
    /// Audit entry id.
    pub audit_id: i64,
    /// When (the day, for entries about a case).
    pub at: String,
    /// Case number.
    pub case_number: Option<String>,
    /// Unsealed or disclosed.
    pub kind: IdentityAccessKind,
    /// Custodian.
    pub actor: String,
    /// What the clear audit entry says.
    pub detail: String,
    /// The sealed reason (and, for a disclosure, recipient and basis), when a custodian's key
    /// opened it.
    pub sealed: Option<IdentityDetail>,
    /// The disclosure's record.
    pub disclosure: Option<DisclosureRow>,
}

/// The reason rule: an identity is opened only for a stated reason.
fn check_unseal_reason(reason: &str) -> Result<&str, DeskError> {
    let reason = reason.trim();
    if reason.chars().count() < MIN_UNSEAL_REASON {
        return Err(Why::invalid("err-unseal-reason").into());
    }
    Ok(reason)
}

/// The art. 8 rule: a disclosure says whether the reporter was told first, and names its
/// recipient, legal basis and reason.
fn check_disclosure(d: &Disclosure) -> Result<ReporterNotice, DeskError> {
    let notice = d
        .reporter_notice
        .as_deref()
        .and_then(ReporterNotice::parse)
        .ok_or_else(|| DeskError::from(Why::invalid("err-reporter-notice")))?;
    for (flag, v) in [
        ("--to", &d.to),
        ("--legal-basis", &d.legal_basis),
        ("--reason", &d.reason),
    ] {
        if v.trim().chars().count() < MIN_DISCLOSURE_FIELD {
            return Err(Why::invalid("err-disclosure-field")
                .arg("flag", flag)
                .into());
        }
    }
    Ok(notice)
}

/// The identity log from the audit trail and the disclosures: unseals and disclosures only,
/// optionally of one case.
fn identity_log(
    audit: Vec<crate::register::AuditRow>,
    disclosures: &[DisclosureRow],
    number: Option<&str>,
) -> Vec<IdentityAccess> {
    let mut out = Vec::new();
    for r in audit {
        let kind = match r.event() {
            Some(Event::IdentityDisclosed) => IdentityAccessKind::Disclosed,
            Some(e) if e.is_identity_access() => IdentityAccessKind::Unsealed,
            _ => continue,
        };
        if number.is_some() && r.case_number.as_deref() != number {
            continue;
        }
        let disclosure = (kind == IdentityAccessKind::Disclosed)
            .then(|| disclosures.iter().find(|d| d.audit_id == r.id).cloned())
            .flatten();
        out.push(IdentityAccess {
            audit_id: r.id,
            at: r.at,
            case_number: r.case_number,
            kind,
            actor: r.actor,
            detail: if r.detail.is_empty() {
                r.action
            } else {
                format!("{}: {}", r.action, r.detail)
            },
            sealed: None,
            disclosure,
        });
    }
    out
}

impl Desk {
    /// Opens the identity record of a case with a custodian's key. The reason is recorded
    /// durably before anything is returned: no disclosure without its record.
    pub async fn unseal_identity(
        &self,
        number: &str,
        key: &ReaderKey,
        reason: &str,
    ) -> Result<UnsealedIdentity, DeskError> {
        let reason = check_unseal_reason(reason)?;
        let proven = self.prove_custodian(number, key).await?;
        let sealed = self
            .seal_detail(
                &IdentityDetail {
                    reason: Some(reason.to_owned()),
                    ..IdentityDetail::default()
                },
                &proven.shred,
            )
            .await?;
        self.register
            .audit_sealed(
                &AuditEntry {
                    actor: proven.actor.into_string(),
                    action: Event::IdentityUnsealed,
                    case_number: Some(number.to_owned()),
                    detail: "reason sealed".to_owned(),
                },
                number,
                &sealed,
            )
            .await?;
        self.checkpoint_after(key).await?;
        let mut identity: SenderIdentity =
            serde_json::from_slice(&proven.identity).map_err(|e| DeskError::Damaged {
                what: "identity record",
                detail: e.to_string(),
            })?;
        self.fill_identity(number, key, &mut identity, 1).await?;
        let follow_ups = self.open_follow_up_identities(number, key).await?;
        Ok(UnsealedIdentity {
            number: number.to_owned(),
            identity,
            follow_ups,
        })
    }

    /// Records a disclosure of the reporter's identity to a third party. Only a custodian (a
    /// key the identity was sealed to) may.
    pub async fn disclose_identity(
        &self,
        number: &str,
        key: &ReaderKey,
        d: &Disclosure,
    ) -> Result<DisclosureRecorded, DeskError> {
        let notice = check_disclosure(d)?;
        let proven = self.prove_custodian(number, key).await?;
        let sealed = self
            .seal_detail(
                &IdentityDetail {
                    reason: Some(d.reason.trim().to_owned()),
                    to: Some(d.to.trim().to_owned()),
                    legal_basis: Some(d.legal_basis.trim().to_owned()),
                },
                &proven.shred,
            )
            .await?;
        let id = self
            .register
            .record_disclosure(
                number,
                &NewDisclosure {
                    actor: proven.actor.into_string(),
                    sealed,
                    notice,
                },
            )
            .await?;
        self.checkpoint_after(key).await?;
        Ok(DisclosureRecorded {
            number: number.to_owned(),
            id,
            reporter_notice: notice,
        })
    }

    /// Seals an identity event's free text to the current custodians.
    async fn seal_detail(
        &self,
        detail: &IdentityDetail,
        shred: &ShredKey,
    ) -> Result<StoredBlob, DeskError> {
        let readers = Readers::load(&self.register).await?;
        let plain = zeroize::Zeroizing::new(serde_json::to_vec(detail).map_err(|e| {
            DeskError::Damaged {
                what: "identity event detail",
                detail: e.to_string(),
            }
        })?);
        Ok(vault::seal(
            &plain,
            &readers.custodians,
            shred,
            BlobKind::Detail,
        )?)
    }

    /// Every read and disclosure of identity, optionally of one case, oldest first. With a
    /// custodian's key, each entry's sealed reason (and a disclosure's recipient and legal
    /// basis) is opened too; without one, the log says only who did what, when, to which case.
    pub async fn identity_log(
        &self,
        number: Option<&str>,
        key: Option<&ReaderKey>,
    ) -> Result<Vec<IdentityAccess>, DeskError> {
        if let Some(key) = key {
            self.require_custodian(key).await?;
        }
        let audit = self.register.audit_entries().await?;
        let disclosures = self.register.disclosures(number).await?;
        let mut log = identity_log(audit, &disclosures, number);
        let Some(key) = key else { return Ok(log) };
        let mut opened: std::collections::BTreeMap<i64, IdentityDetail> = Default::default();
        let mut cases: Vec<&str> = log
            .iter()
            .filter_map(|e| e.case_number.as_deref())
            .collect();
        cases.sort_unstable();
        cases.dedup();
        for case in cases {
            let Some(record) = self.register.case(case).await? else {
                continue;
            };
            // A destroyed case (retention) has no details left to open.
            let Ok(shred) = self.keys.shred_key(&record.shred_key) else {
                continue;
            };
            for (audit_id, blob) in self.register.sealed_details(case).await? {
                let plain = vault::open(
                    &blob,
                    &shred,
                    BlobKind::Detail,
                    &key.cert,
                    key.passphrase.as_ref(),
                    MAX_RECORD_BYTES,
                )
                .map_err(|e| {
                    DeskError::unseal(e, Sealed::Detail(case, audit_id), Opener::Custodian)
                })?;
                let detail = serde_json::from_slice(&plain).map_err(|e| DeskError::Damaged {
                    what: "identity event detail",
                    detail: e.to_string(),
                })?;
                opened.insert(audit_id, detail);
            }
        }
        for e in &mut log {
            e.sealed = opened.remove(&e.audit_id);
        }
        Ok(log)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desk::Refusal;

    fn disclosure(notice: Option<&str>) -> Disclosure {
        Disclosure {
            to: "Prokuratura Rejonowa".into(),
            legal_basis: "art. 8 ust. 3".into(),
            reason: "postanowienie prokuratora".into(),
            reporter_notice: notice.map(str::to_owned),
        }
    }

    #[test]
    fn identity_unseal_needs_a_stated_reason() {
        assert!(matches!(
            check_unseal_reason("  x  "),
            Err(ref e) if e.refusal() == Some(Refusal::Invalid)
        ));
        assert!(matches!(
            check_unseal_reason("abcd"),
            Err(ref e) if e.refusal() == Some(Refusal::Invalid)
        ));
        assert_eq!(
            check_unseal_reason("  request of the prosecutor ").unwrap(),
            "request of the prosecutor"
        );
    }

    #[test]
    fn art_8_disclosure_needs_reporter_notice() {
        let refused = check_disclosure(&disclosure(None)).unwrap_err();
        assert!(refused.to_string().contains("art. 8"));
        assert!(check_disclosure(&disclosure(Some("maybe"))).is_err());
        assert_eq!(
            check_disclosure(&disclosure(Some("informed"))).unwrap(),
            ReporterNotice::Informed
        );
        assert_eq!(
            check_disclosure(&disclosure(Some("withheld-would-endanger"))).unwrap(),
            ReporterNotice::WithheldWouldEndanger
        );
    }

    #[test]
    fn art_8_disclosure_names_recipient_basis_and_reason() {
        let mut d = disclosure(Some("informed"));
        d.legal_basis = " ".into();
        assert!(check_disclosure(&d)
            .unwrap_err()
            .to_string()
            .contains("--legal-basis"));
    }

    #[test]
    fn identity_log_lists_unseals_and_disclosures_only() {
        let row = |id: i64, action: &str, case: &str| crate::register::AuditRow {
            id,
            at: format!("2026-01-0{id}T00:00:00Z"),
            actor: "FPR (C)".into(),
            action: action.into(),
            case_number: Some(case.into()),
            detail: String::new(),
            prev_hash: None,
            hash: None,
        };
        let audit = vec![
            row(1, "CaseFiled", "A"),
            row(2, "IdentityUnsealed", "A"),
            row(3, "CaseOpened", "A"),
            row(4, "IdentityDisclosed", "B"),
        ];
        let log = identity_log(audit, &[], None);
        assert_eq!(log.len(), 2);
        assert_eq!(log[0].kind, IdentityAccessKind::Unsealed);
        assert_eq!(log[1].kind, IdentityAccessKind::Disclosed);
        let audit = vec![
            row(2, "IdentityUnsealed", "A"),
            row(4, "IdentityDisclosed", "B"),
        ];
        assert_eq!(identity_log(audit, &[], Some("B")).len(), 1);
    }
}
