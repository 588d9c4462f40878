//! Deadlines against the act's rules (year ends, leap years, month ends) and the lifecycle.

use chrono::NaiveDate;

use super::*;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

#[test]
fn acknowledgement_is_due_seven_days_after_receipt_across_year_end() {
    let dl = Deadlines::compute(d("2026-12-28"), None, None);
    assert_eq!(dl.acknowledgement_due, d("2027-01-04"));
    let dl = Deadlines::compute(d("2028-02-25"), None, None);
    assert_eq!(
        dl.acknowledgement_due,
        d("2028-03-03"),
        "2028 is a leap year"
    );
    let dl = Deadlines::compute(d("2027-02-25"), None, None);
    assert_eq!(dl.acknowledgement_due, d("2027-03-04"));
}

#[test]
fn feedback_is_due_three_months_after_acknowledgement() {
    let dl = Deadlines::compute(d("2026-03-01"), Some(d("2026-03-05")), None);
    assert_eq!(dl.feedback_due, d("2026-06-05"));
    // Across the year end.
    let dl = Deadlines::compute(d("2026-10-20"), Some(d("2026-10-30")), None);
    assert_eq!(dl.feedback_due, d("2027-01-30"));
}

#[test]
fn feedback_without_acknowledgement_runs_from_the_end_of_the_seven_days() {
    // 3 months after (received + 7 days), not (received + 3 months) + 7 days.
    let dl = Deadlines::compute(d("2026-01-24"), None, None);
    assert_eq!(dl.acknowledgement_due, d("2026-01-31"));
    assert_eq!(dl.feedback_due, d("2026-04-30"), "31 Jan + 3 months clamps");
    let dl = Deadlines::compute(d("2026-11-27"), None, None);
    assert_eq!(dl.feedback_due, d("2027-03-04"));
}

#[test]
fn month_arithmetic_clamps_to_month_end() {
    assert_eq!(add_months(d("2028-02-29"), 3), d("2028-05-29"));
    assert_eq!(add_months(d("2028-02-29"), 12), d("2029-02-28"));
    assert_eq!(add_months(d("2026-01-31"), 3), d("2026-04-30"));
    assert_eq!(add_months(d("2026-08-31"), 3), d("2026-11-30"));
    assert_eq!(
        add_months(d("2027-11-30"), 3),
        d("2028-02-29"),
        "into a leap February"
    );
    assert_eq!(add_months(d("2026-11-30"), 3), d("2027-02-28"));
    assert_eq!(add_months(d("2026-10-31"), 3), d("2027-01-31"));
}

#[test]
fn acknowledged_on_leap_day() {
    let dl = Deadlines::compute(d("2028-02-22"), Some(d("2028-02-29")), None);
    assert_eq!(dl.feedback_due, d("2028-05-29"));
}

#[test]
fn retention_runs_to_the_end_of_the_third_calendar_year_after_follow_up_ended() {
    let dl = Deadlines::compute(d("2026-03-01"), None, Some(d("2026-06-30")));
    assert_eq!(dl.retention_until, Some(d("2029-12-31")));
    // Ended on 31 December: that year still counts as the year it ended.
    assert_eq!(deadlines_retention(d("2026-12-31")), d("2029-12-31"));
    // Ended on 1 January.
    assert_eq!(deadlines_retention(d("2027-01-01")), d("2030-12-31"));
    assert_eq!(deadlines_retention(d("2028-02-29")), d("2031-12-31"));
    assert_eq!(
        Deadlines::compute(d("2026-03-01"), None, None).retention_until,
        None
    );
}

fn deadlines_retention(ended: NaiveDate) -> NaiveDate {
    Deadlines::compute(ended, None, Some(ended))
        .retention_until
        .unwrap()
}

#[test]
fn lifecycle_allows_the_legal_path() {
    use Status::*;
    let path = [Received, Acknowledged, InFollowUp, FeedbackGiven, Closed];
    for w in path.windows(2) {
        w[0].check_transition(w[1]).unwrap();
    }
    Received.check_transition(InFollowUp).unwrap();
    FeedbackGiven.check_transition(InFollowUp).unwrap();
    InFollowUp.check_transition(Closed).unwrap();
    for s in [Received, Acknowledged, InFollowUp, FeedbackGiven] {
        s.check_transition(Rejected).unwrap();
        s.check_transition(Transferred).unwrap();
    }
}

#[test]
fn lifecycle_refuses_skips_reversals_and_changes_after_the_end() {
    use Status::*;
    assert!(Received.check_transition(Closed).is_err());
    assert!(Received.check_transition(FeedbackGiven).is_err());
    assert!(Acknowledged.check_transition(Closed).is_err());
    assert!(InFollowUp.check_transition(Acknowledged).is_err());
    assert!(InFollowUp.check_transition(Received).is_err());
    assert!(Acknowledged.check_transition(Acknowledged).is_err());
    for end in [Closed, Rejected, Transferred] {
        for to in Status::ALL {
            assert!(end.check_transition(*to).is_err(), "{end} -> {to}");
        }
    }
}

#[test]
fn texts_round_trip() {
    for s in Status::ALL {
        assert_eq!(Status::parse(s.as_str()), Some(*s));
    }
    for c in Category::ALL {
        assert_eq!(Category::parse(c.as_str()), Some(*c));
    }
    for k in ActionKind::ALL {
        assert_eq!(ActionKind::parse(k.as_str()), Some(*k));
    }
    for o in Outcome::ALL {
        assert_eq!(Outcome::parse(o.as_str()), Some(*o));
    }
    assert_eq!(Status::parse("Closed"), None);
}

fn dates(status: Status, ack: Option<&str>, fb: Option<&str>) -> CaseDates {
    let received = d("2026-03-02");
    let dl = Deadlines::compute(received, ack.map(d), None);
    CaseDates {
        status,
        acknowledgement_due: dl.acknowledgement_due,
        feedback_due: dl.feedback_due,
        acknowledged_at: ack.map(d),
        feedback_at: fb.map(d),
        no_reply_address: false,
    }
}

#[test]
fn next_due_follows_the_lifecycle() {
    let c = dates(Status::Received, None, None);
    assert_eq!(
        compliance::next_due(&c),
        Some((DeadlineKind::Acknowledgement, d("2026-03-09")))
    );
    let c = dates(Status::Acknowledged, Some("2026-03-04"), None);
    assert_eq!(
        compliance::next_due(&c),
        Some((DeadlineKind::Feedback, d("2026-06-04")))
    );
    let c = dates(
        Status::FeedbackGiven,
        Some("2026-03-04"),
        Some("2026-05-01"),
    );
    assert_eq!(compliance::next_due(&c), None);
    let c = dates(Status::Rejected, None, None);
    assert_eq!(compliance::next_due(&c), None);
}

#[test]
fn in_follow_up_straight_from_received_keeps_the_acknowledgement_due() {
    let c = dates(Status::InFollowUp, None, None);
    assert_eq!(
        compliance::next_due(&c),
        Some((DeadlineKind::Acknowledgement, d("2026-03-09")))
    );
    // Only a report with no address at all owes none: feedback is what is due.
    let c = CaseDates {
        no_reply_address: true,
        ..c
    };
    assert_eq!(
        compliance::next_due(&c),
        Some((DeadlineKind::Feedback, d("2026-06-09")))
    );
}

#[test]
fn acknowledging_a_case_already_in_follow_up_records_it_and_keeps_the_status() {
    use Status::*;
    assert_eq!(
        InFollowUp.after_request(Acknowledged, false),
        Ok(InFollowUp)
    );
    assert_eq!(
        FeedbackGiven.after_request(Acknowledged, false),
        Ok(FeedbackGiven)
    );
    assert!(InFollowUp.after_request(Acknowledged, true).is_err());
    assert_eq!(
        Received.after_request(Acknowledged, false),
        Ok(Acknowledged)
    );
    assert!(Closed.after_request(Acknowledged, false).is_err());
}

#[test]
fn compliance_is_judged_against_the_deadline_day_inclusive() {
    let c = dates(Status::Acknowledged, Some("2026-03-09"), None);
    assert_eq!(
        compliance::acknowledgement(&c, d("2026-12-01")),
        Compliance::OnTime
    );
    let c = dates(Status::Acknowledged, Some("2026-03-10"), None);
    assert_eq!(
        compliance::acknowledgement(&c, d("2026-12-01")),
        Compliance::Late
    );
    let c = dates(Status::Received, None, None);
    assert_eq!(
        compliance::acknowledgement(&c, d("2026-03-09")),
        Compliance::Pending
    );
    assert_eq!(
        compliance::acknowledgement(&c, d("2026-03-10")),
        Compliance::Overdue
    );
    // Follow-up started without an acknowledgement: still owed, and now late.
    let c = dates(Status::InFollowUp, None, None);
    assert_eq!(
        compliance::acknowledgement(&c, d("2026-04-01")),
        Compliance::Overdue
    );
    let no_address = CaseDates {
        no_reply_address: true,
        ..c
    };
    assert_eq!(
        compliance::acknowledgement(&no_address, d("2026-04-01")),
        Compliance::NotApplicable
    );
    assert_eq!(
        compliance::feedback(&c, d("2026-06-09")),
        Compliance::Pending
    );
    assert_eq!(
        compliance::feedback(&c, d("2026-06-10")),
        Compliance::Overdue
    );
}

#[test]
fn stats_suppress_small_cells_and_their_complement() {
    let input = |status, cat, m: u32| stats::StatsInput {
        status,
        category: cat,
        received: NaiveDate::from_ymd_opt(2026, m, 1).unwrap(),
        acknowledgement: Compliance::OnTime,
        feedback: Compliance::Pending,
    };
    let mut cases = Vec::new();
    for _ in 0..5 {
        cases.push(input(Status::InFollowUp, Some(Category::Corruption), 1));
    }
    for _ in 0..4 {
        cases.push(input(Status::Closed, Some(Category::Privacy), 2));
    }
    cases.push(input(Status::Received, None, 3));
    let s = stats::compute(&cases, 3);
    assert_eq!(s.total, Some(10));
    // One cell below 3 (received: 1): it and the next smallest (closed: 4) are hidden.
    assert_eq!(s.by_status["received"], None);
    assert_eq!(s.by_status["closed"], None);
    assert_eq!(s.by_status["in-follow-up"], Some(5));
    assert_eq!(s.by_category["uncategorised"], None);
    assert_eq!(s.by_month["2026-03"], None);
    assert_eq!(s.acknowledgement["on-time"], Some(10));
    let few = stats::compute(&cases[..2], 3);
    assert_eq!(few.total, None);
    assert!(few.by_status.values().all(Option::is_none));
}

#[test]
fn acknowledgement_texts_carry_number_and_dates_only() {
    use acknowledgement::{acknowledgement, Lang};
    let pl = acknowledgement(
        Lang::default(),
        "ZW/2026/0007",
        d("2026-03-02"),
        d("2026-06-09"),
    );
    assert!(pl.contains("ZW/2026/0007") && pl.contains("02.03.2026") && pl.contains("09.06.2026"));
    assert!(pl.contains("Potwierdzamy przyjęcie"));
    let en = acknowledgement(
        Lang::parse("en").unwrap(),
        "ZW/2026/0007",
        d("2026-03-02"),
        d("2026-06-09"),
    );
    assert!(en.contains("We confirm receipt") && en.contains("09.06.2026"));
    assert_eq!(Lang::parse("de"), None);
}

#[test]
fn event_dates_lie_between_receipt_and_today() {
    let (received, today) = (d("2026-03-02"), d("2026-03-10"));
    assert!(check_event_date(received, d("2026-03-02"), today).is_ok());
    assert!(check_event_date(received, today, today).is_ok());
    assert!(matches!(
        check_event_date(received, d("2026-03-01"), today),
        Err(EventDateError::BeforeReceipt { .. })
    ));
    assert!(matches!(
        check_event_date(received, d("2026-03-11"), today),
        Err(EventDateError::Future { .. })
    ));
}

#[test]
fn status_changes_set_their_dates_and_the_first_feedback_date_stays() {
    let days = CaseDays {
        received: d("2026-01-05"),
        acknowledged: None,
        feedback: None,
        ended: None,
    };
    let acked = days.after(Status::Acknowledged, d("2026-01-07"));
    assert_eq!(acked.acknowledged, Some(d("2026-01-07")));
    assert_eq!(acked.deadlines().feedback_due, d("2026-04-07"));
    let fed = acked
        .after(Status::FeedbackGiven, d("2026-03-01"))
        .after(Status::FeedbackGiven, d("2026-03-20"));
    assert_eq!(fed.feedback, Some(d("2026-03-01")));
    assert_eq!(fed.deadlines().retention_until, None);
    let closed = fed.after(Status::Closed, d("2026-05-01"));
    assert_eq!(closed.ended, Some(d("2026-05-01")));
    // Retention starts when follow-up ends: to the end of the third year after.
    assert_eq!(closed.deadlines().retention_until, Some(d("2029-12-31")));
    assert_eq!(
        days.after(Status::InFollowUp, d("2026-01-08")),
        days,
        "following up sets no date"
    );
}

#[test]
fn rejecting_needs_a_reason_and_transferring_a_recipient() {
    use super::{EndReason, Recipient, RejectionReason};
    let why = EndReason::Rejected(RejectionReason::OutOfScope);
    let whom = EndReason::Transferred(Recipient::Ombudsman);
    assert!(EndReason::check(Status::Rejected, Some(why)).is_ok());
    assert!(EndReason::check(Status::Transferred, Some(whom)).is_ok());
    let e = EndReason::check(Status::Rejected, None)
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("--reason") && e.contains("no-new-information"),
        "{e}"
    );
    let e = EndReason::check(Status::Transferred, Some(why))
        .unwrap_err()
        .to_string();
    assert!(e.contains("--to") && e.contains("prosecutor"), "{e}");
    assert!(EndReason::check(Status::InFollowUp, Some(whom)).is_err());
    assert!(EndReason::check(Status::InFollowUp, None).is_ok());
    assert_eq!(
        EndReason::parse(Status::Transferred, "police"),
        Some(EndReason::Transferred(Recipient::Police))
    );
    assert_eq!(EndReason::parse(Status::Rejected, "police"), None);
}
