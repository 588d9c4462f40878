//! Reading across cases with a reader's key: the subjects beside `cases list`, and a search
//! in content. Each case opened is recorded like any other opening (`CaseOpened`, saying
//! why); a case the key does not open is counted, never guessed at.

use serde::Serialize;

use super::casework::{parse_report, CaseFilter, CaseListing};
use super::{Desk, DeskError, ReaderKey, Why};
use crate::audit::Event;
use crate::register::AuditEntry;
use crate::split::Report;

/// One place a search text was found.
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    /// Case number.
    pub number: String,
    /// Which message: 1 is the report, 2 on the reporter's answers.
    pub message: i64,
    /// `subject` or `body`.
    pub field: &'static str,
    /// The line it was found in.
    pub line: String,
}

/// What a search found, and how many cases it could not look into.
#[derive(Debug, Clone, Serialize)]
pub struct SearchResult {
    /// Every line that holds the text, by case and message.
    pub hits: Vec<SearchHit>,
    /// Cases searched.
    pub searched: usize,
    /// Cases this key does not open (sealed before it was added, or destroyed).
    pub not_opened: usize,
}

impl Desk {
    /// `cases list` with each case's subject, opened with `key` (each opening recorded).
    pub async fn case_list_with_subjects(
        &self,
        filter: &CaseFilter,
        key: &ReaderKey,
    ) -> Result<(Vec<CaseListing>, usize), DeskError> {
        let mut listed = self.case_list(filter).await?;
        let mut not_opened = 0;
        for c in &mut listed {
            if c.summary.destroyed_on.is_some() {
                continue;
            }
            match self
                .read_case(&c.summary.number, key, "subject shown in cases list")
                .await?
            {
                Some(messages) => {
                    c.subject = messages.first().and_then(|(_, r)| r.subject.clone());
                }
                None => not_opened += 1,
            }
        }
        Ok((listed, not_opened))
    }

    /// Every line of a subject or body that holds `text` (case-insensitive), in every case
    /// `key` opens. Each case searched is recorded as opened.
    pub async fn search_cases(
        &self,
        text: &str,
        key: &ReaderKey,
    ) -> Result<SearchResult, DeskError> {
        let needle = text.trim().to_lowercase();
        if needle.chars().count() < 3 {
            return Err(Why::invalid("err-search-too-short").into());
        }
        let mut result = SearchResult {
            hits: Vec::new(),
            searched: 0,
            not_opened: 0,
        };
        for c in self.register.list_cases().await? {
            if c.destroyed_on.is_some() {
                continue;
            }
            let Some(messages) = self
                .read_case(&c.number, key, "searched (cases search)")
                .await?
            else {
                result.not_opened += 1;
                continue;
            };
            result.searched += 1;
            for (message, report) in messages {
                for (field, value) in [("subject", &report.subject), ("body", &report.body)] {
                    let lines = value.as_deref().unwrap_or("").lines();
                    for line in lines.filter(|l| l.to_lowercase().contains(&needle)) {
                        result.hits.push(SearchHit {
                            number: c.number.clone(),
                            message,
                            field,
                            line: line.trim().to_owned(),
                        });
                    }
                }
            }
        }
        Ok(result)
    }

    /// A case's report and the reporter's answers, numbered from 1, opened with `key` and
    /// recorded with `why`; `None` when the key does not open this case.
    async fn read_case(
        &self,
        number: &str,
        key: &ReaderKey,
        why: &str,
    ) -> Result<Option<Vec<(i64, Report)>>, DeskError> {
        // A case not sealed to this key is skipped; a key that is no reader's, or a wrong
        // passphrase, stops the whole run.
        let Some(proven) = self.prove_reader_if_sealed(number, key).await? else {
            return Ok(None);
        };
        self.register
            .audit(&AuditEntry {
                actor: proven.actor.as_str().to_owned(),
                action: Event::CaseOpened,
                case_number: Some(number.to_owned()),
                detail: why.to_owned(),
            })
            .await?;
        let mut messages = vec![(1, parse_report(&proven.report)?)];
        for f in self.open_follow_ups(number, key).await? {
            messages.push((f.message, f.report));
        }
        Ok(Some(messages))
    }
}
