//! Retention: destroying cases the law no longer lets the register keep, legal holds that stop
//! it, and the record of every destruction for the yearly review (art. 29 of the act with
//! GDPR art. 5). Destruction is crypto-shredding: the case's shred key is destroyed, so every
//! copy of its ciphertext (a register backup included) stops opening; the ciphertext goes too.

use serde::Serialize;
use zeroize::Zeroizing;

use super::{Desk, DeskError, ReaderKey};
use crate::config::KeepAfterDestruction;
use crate::intake::Replica;
use crate::lifecycle;
use crate::register::{
    today, Acquired, Destruction, Expired, Keep, RegisterError, Reviewed, RETENTION_RULE,
};

/// Who destroys on schedule, in audit entries and destruction records.
pub const SCHEDULE: &str = "schedule";

/// What a retention run did (or, dry, would do).
#[derive(Debug, Default, Serialize)]
pub struct RetentionRun {
    /// Destroyed now.
    pub destroyed: Vec<Destruction>,
    /// Past their date but on legal hold: kept.
    pub on_hold: Vec<String>,
    /// With `--dry-run`: what would be destroyed.
    pub would_destroy: Vec<String>,
    /// Nothing was done: another gateway process runs retention now (who).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub running_elsewhere: Option<String>,
}

/// The rule a quarantine entry that never became a case is destroyed under.
fn quarantine_rule(days: u64) -> String {
    format!(
        "art. 5 ust. 1 lit. e RODO: wiadomość nieprzyjęta jako zgłoszenie (kwarantanna), \
         przechowywana {days} dni ([retention] quarantine-days)"
    )
}

/// The lease that lets one process at a time run retention on a register (several replicas
/// run `sygnal run` daily; each destruction is safe twice, but its audit entries would not be
/// one per destruction).
const RETENTION_LEASE: &str = "retention";
/// Long enough for a large run; a holder that died on this machine is known gone at once.
const RETENTION_LEASE_MS: i64 = 3_600_000;

/// Where a case stands in the yearly review.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "standing", content = "on")]
pub enum Standing {
    /// Destroyed (on that day).
    Destroyed(chrono::NaiveDate),
    /// Past or before its date, kept on legal hold (since that day).
    OnHold(chrono::NaiveDate),
    /// Follow-up ended: kept under the retention rule until that day.
    Kept(chrono::NaiveDate),
    /// Follow-up still open: kept while it lasts and 3 years after the year it ends.
    Open,
}

impl Standing {
    /// The rule, in one place: destroyed, else held, else kept to its date, else open.
    #[must_use]
    pub fn of(case: &Reviewed) -> Standing {
        match (case.destroyed_on, case.hold_since, case.retention_until) {
            (Some(d), _, _) => Standing::Destroyed(d),
            (None, Some(h), _) => Standing::OnHold(h),
            (None, None, Some(k)) => Standing::Kept(k),
            (None, None, None) => Standing::Open,
        }
    }
}

/// One reviewed case.
#[derive(Debug, Clone, Serialize)]
pub struct ReviewedCase {
    /// Its dates.
    #[serde(flatten)]
    pub case: Reviewed,
    /// Where it stands.
    #[serde(flatten)]
    pub standing: Standing,
}

/// The yearly review record (protokół przeglądu): every case the register held in the year
/// and where it stands, and every destruction of the year. Numbers and dates only.
#[derive(Debug, Clone, Serialize)]
pub struct RetentionReview {
    /// The year reviewed.
    pub year: i32,
    /// The tenant (mailbox), in a multi-tenant installation.
    pub tenant: Option<String>,
    /// The day the record was made.
    pub made_on: chrono::NaiveDate,
    /// The rule cases are kept and destroyed under.
    pub rule: &'static str,
    /// Cases held at some time in the year.
    pub cases: Vec<ReviewedCase>,
    /// Destructions of the year.
    pub destructions: Vec<Destruction>,
}

impl RetentionReview {
    /// Cases reviewed, destroyed, on hold, kept (follow-up ended or open). Destroyed cases are
    /// counted from the destruction records, which outlive them even when nothing else is kept.
    #[must_use]
    pub fn counts(&self) -> ReviewCounts {
        let mut c = ReviewCounts {
            destroyed: self
                .destructions
                .iter()
                .filter(|d| d.material == "case")
                .count(),
            ..ReviewCounts::default()
        };
        for r in &self.cases {
            match r.standing {
                Standing::Destroyed(_) => {}
                Standing::OnHold(_) => c.on_hold += 1,
                Standing::Kept(_) => c.kept += 1,
                Standing::Open => c.open += 1,
            }
        }
        c.reviewed = c.destroyed + c.on_hold + c.kept + c.open;
        c
    }
}

/// The review's totals.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct ReviewCounts {
    /// Cases the register held in the year.
    pub reviewed: usize,
    /// Destroyed (in the year).
    pub destroyed: usize,
    /// On legal hold.
    pub on_hold: usize,
    /// Follow-up ended, kept to their date.
    pub kept: usize,
    /// Follow-up open.
    pub open: usize,
}

impl Desk {
    /// The yearly review record of `year` (default: the current one).
    pub async fn retention_review(&self, year: Option<i32>) -> Result<RetentionReview, DeskError> {
        let year = year.unwrap_or_else(|| chrono::Datelike::year(&today()));
        let cases = self
            .register
            .reviewed_cases(year)
            .await?
            .into_iter()
            .map(|case| ReviewedCase {
                standing: Standing::of(&case),
                case,
            })
            .collect();
        Ok(RetentionReview {
            year,
            tenant: self.config.tenant.clone(),
            made_on: today(),
            rule: RETENTION_RULE,
            cases,
            destructions: self.register.destructions(Some(year)).await?,
        })
    }

    /// Destroys every case past its retention date that is not on hold (with `dry_run`, only
    /// lists them). Shred keys left queued by an interrupted run are destroyed first.
    pub async fn run_retention(&self, dry_run: bool) -> Result<RetentionRun, DeskError> {
        if dry_run {
            return self.retention_pass(true).await;
        }
        let me = Replica::new();
        let gone = |h: &str| me.holder_gone(h);
        let lease = match self
            .register
            .acquire_lease(RETENTION_LEASE, &me.id, RETENTION_LEASE_MS, &gone, None)
            .await?
        {
            Acquired::Held { lease, .. } => lease,
            Acquired::Busy { holder, .. } => {
                return Ok(RetentionRun {
                    running_elsewhere: Some(holder),
                    ..RetentionRun::default()
                })
            }
        };
        let run = self.retention_pass(false).await;
        if let Err(e) = self
            .register
            .release_lease(RETENTION_LEASE, &me.id, lease.token)
            .await
        {
            tracing::warn!(error = %e, "LeaseNotReleased: it lapses by itself");
        }
        run
    }

    async fn retention_pass(&self, dry_run: bool) -> Result<RetentionRun, DeskError> {
        let mut run = RetentionRun::default();
        if !dry_run {
            // The reply address of a finished case goes even when nothing sends mail any more
            // (`[contact]` removed): the daily run is the net under the outbox's own check.
            let sending_off = self.config.contact.is_none();
            self.register.end_finished_contacts(sending_off).await?;
            self.finish_destruction().await?;
        }
        // Attachments found irrelevant whose 14 days are up go first (art. 8 of the act).
        let (destroyed, would) = self.destroy_irrelevant_due(dry_run).await?;
        run.destroyed.extend(destroyed);
        run.would_destroy.extend(would);
        if !dry_run {
            self.finish_destruction().await?;
        }
        let today = today();
        // Quarantine entries that never became a case: kept `quarantine-days`, then gone.
        let days = self.config.retention.quarantine_days;
        let before = today
            .checked_sub_days(chrono::Days::new(days))
            .unwrap_or(chrono::NaiveDate::MIN);
        let rule = quarantine_rule(days);
        for (id, _) in self.register.held_quarantine_before(before).await? {
            if dry_run {
                run.would_destroy.push(format!("quarantine #{id}"));
                continue;
            }
            match self
                .register
                .expire_quarantine(id, SCHEDULE, &rule, today)
                .await
            {
                Ok(d) => run.destroyed.push(d),
                // Retried, discarded or expired by another process meanwhile.
                Err(RegisterError::Conflict(_)) => {}
                Err(e) => return Err(e.into()),
            }
            self.finish_destruction().await?;
        }
        for Expired {
            number, hold_since, ..
        } in self.register.expired_cases(today).await?
        {
            if hold_since.is_some() {
                run.on_hold.push(number);
            } else if dry_run {
                run.would_destroy.push(number);
            } else {
                match self
                    .register
                    .destroy_case(&number, SCHEDULE, RETENTION_RULE, today, self.keep())
                    .await
                {
                    Ok(d) => run.destroyed.push(d),
                    // Another process got there first (keeping nothing, the case is gone).
                    Err(RegisterError::Conflict(_)) if self.register.destroyed(&number).await? => {}
                    Err(RegisterError::NotFound(_)) => {}
                    Err(e) => return Err(e.into()),
                }
                // Key destroyed case by case, so a long run leaves little queued if stopped.
                self.finish_destruction().await?;
            }
        }
        Ok(run)
    }

    /// What the register keeps of a destroyed case, as configured.
    fn keep(&self) -> Keep {
        match self.config.retention.keep_after_destruction {
            KeepAfterDestruction::NumberAndDates => Keep::NumberAndDates,
            KeepAfterDestruction::Nothing => Keep::Nothing,
        }
    }

    /// Shred keys queued for destruction are destroyed, each with its audit entry.
    async fn finish_destruction(&self) -> Result<(), DeskError> {
        lifecycle::destroy_pending_shreds(&self.register, &self.keys, SCHEDULE)
            .await
            .map_err(DeskError::Reseal)
    }

    /// Puts a case on legal hold (court or other proceedings it started): scheduled
    /// destruction skips it until released. The reason is sealed as a note to the case's
    /// readers, never stored in the clear.
    pub async fn hold_case(
        &self,
        number: &str,
        key: &ReaderKey,
        reason: Zeroizing<Vec<u8>>,
    ) -> Result<(), DeskError> {
        self.record_with_reason(
            number,
            key,
            reason,
            "err-reason-hold",
            "Wstrzymanie usunięcia (legal hold): ",
            async |actor| self.register.hold(number, actor).await,
        )
        .await
    }

    /// Releases a case's legal hold: it is destroyed on the next run if its date has passed.
    /// With the day the proceedings it started ended, it is kept 3 years after the end of that
    /// year if that is later. Returns the kept-until day (None while follow-up goes on).
    pub async fn release_case(
        &self,
        number: &str,
        key: &ReaderKey,
        proceedings_ended: Option<chrono::NaiveDate>,
    ) -> Result<Option<chrono::NaiveDate>, DeskError> {
        let proven = self.prove_reader(number, key).await?;
        if let Some(on) = proceedings_ended {
            let received = proven.record.summary.received_at;
            crate::cases::check_event_date(received, on, today())
                .map_err(|e| DeskError::Invalid(format!("--proceedings-ended: {e}")))?;
        }
        Ok(self
            .register
            .release(number, proven.actor.as_str(), proceedings_ended)
            .await?)
    }

    /// Destruction records of `year` (all years without one), for the yearly review.
    pub async fn destructions(&self, year: Option<i32>) -> Result<Vec<Destruction>, DeskError> {
        Ok(self.register.destructions(year).await?)
    }
}
