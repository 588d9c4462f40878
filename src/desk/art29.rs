//! The register of internal reports (art. 29 of the act) as an inspector asks for it. Sealed
//! fields (action notes) are opened only with a current reader's key; without one they show as
//! "(sealed)". Every export is recorded, with whether sealed fields were included.

use chrono::{Datelike, NaiveDate};
use serde::Serialize;
use zeroize::Zeroizing;

use super::casework::{note_text, serialize_secret};
use super::{Actor, Desk, DeskError, Opener, ReaderKey, Why};
use crate::audit::Event;
use crate::cases::{ActionKind, Category, Outcome, Status};
use crate::register::AuditEntry;

/// A follow-up action as the register lists it.
#[derive(Serialize)]
pub struct RegisterAction {
    /// The day it happened.
    pub on: NaiveDate,
    /// Its kind.
    pub kind: ActionKind,
    /// Its note: opened with a reader's key, `(sealed)` without one.
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "serialize_secret"
    )]
    pub note: Option<Zeroizing<String>>,
}

/// One case in the register of internal reports.
#[derive(Serialize)]
pub struct RegisterEntry {
    /// Case number.
    pub number: String,
    /// Date received.
    pub received_at: NaiveDate,
    /// Subject of the breach.
    pub category: Option<Category>,
    /// Status.
    pub status: Status,
    /// Acknowledged on.
    pub acknowledged_at: Option<NaiveDate>,
    /// Feedback given on.
    pub feedback_at: Option<NaiveDate>,
    /// Follow-up actions.
    pub actions: Vec<RegisterAction>,
    /// Follow-up ended on.
    pub ended_at: Option<NaiveDate>,
    /// How it ended.
    pub outcome: Option<Outcome>,
    /// Why it was rejected, or to whom it was transferred.
    #[serde(serialize_with = "crate::register::end_reason_text")]
    pub end_reason: Option<crate::cases::EndReason>,
    /// Kept until.
    pub retention_until: Option<NaiveDate>,
    /// The identity was disclosed to a third party.
    pub identity_disclosed: bool,
    /// Where the personal data are (never the data).
    pub personal_data: String,
}

fn export_detail(count: usize, year: Option<i32>, sealed_included: bool) -> String {
    format!(
        "{count} case(s), year {}, sealed fields {}",
        year.map(|y| y.to_string())
            .unwrap_or_else(|| "all".to_owned()),
        if sealed_included {
            "included"
        } else {
            "withheld"
        }
    )
}

impl Desk {
    /// The register of internal reports, optionally of one year; sealed fields only with a
    /// current reader's key (anyone else is refused before anything is opened).
    pub async fn export_register(
        &self,
        year: Option<i32>,
        key: Option<&ReaderKey>,
    ) -> Result<Vec<RegisterEntry>, DeskError> {
        if let Some(k) = key {
            self.require_reader(k).await?;
        }
        let mut entries = Vec::new();
        for f in self.register.case_files().await? {
            if year.is_some_and(|y| f.received_at.year() != y) {
                continue;
            }
            let shred = match key {
                Some(_) => match self.register.case(&f.number).await {
                    Ok(Some(record)) => Some(self.keys.shred_key(&record.shred_key)?),
                    // Destroyed under retention: its number and dates stay, its notes are gone.
                    Err(crate::register::RegisterError::Destroyed(_)) => None,
                    Ok(None) => {
                        return Err(Why::not_found("err-no-case")
                            .arg("number", f.number.as_str())
                            .into())
                    }
                    Err(e) => return Err(e.into()),
                },
                None => None,
            };
            let mut actions = Vec::new();
            for e in self.register.events(&f.number).await? {
                let Some(kind) = e.action_kind else { continue };
                let note = match (key, &shred, &e.note) {
                    (Some(k), Some(shred), Some(blob)) => {
                        let plain = self.open_note(blob, shred, k, &f.number, Opener::Handler)?;
                        Some(note_text(&plain))
                    }
                    (None, _, Some(_)) => Some(Zeroizing::new("(sealed)".to_owned())),
                    _ => None,
                };
                actions.push(RegisterAction {
                    on: e.on,
                    kind,
                    note,
                });
            }
            entries.push(RegisterEntry {
                personal_data: format!(
                    "sealed in the vault: identity record of case {} (custodians only)",
                    f.number
                ),
                number: f.number,
                received_at: f.received_at,
                category: f.category,
                status: f.status,
                acknowledged_at: f.acknowledged_at,
                feedback_at: f.feedback_at,
                actions,
                ended_at: f.ended_at,
                outcome: f.outcome,
                end_reason: f.end_reason,
                retention_until: f.retention_until,
                identity_disclosed: f.identity_disclosed,
            });
        }
        let actor = match key {
            Some(k) => self.actor(&k.fingerprint).await?,
            None => Actor::admin(),
        };
        self.register
            .audit(&AuditEntry {
                actor: actor.into_string(),
                action: Event::RegisterExported,
                case_number: None,
                detail: export_detail(entries.len(), year, key.is_some()),
            })
            .await?;
        Ok(entries)
    }
}

#[cfg(test)]
mod tests {
    use super::export_detail;

    #[test]
    fn art_29_export_record_says_whether_sealed_fields_were_included() {
        assert_eq!(
            export_detail(3, Some(2026), true),
            "3 case(s), year 2026, sealed fields included"
        );
        assert_eq!(
            export_detail(0, None, false),
            "0 case(s), year all, sealed fields withheld"
        );
    }
}
