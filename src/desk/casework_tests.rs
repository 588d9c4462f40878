//! The handlers' rules without a register: notes, dates, the due list, the acknowledgement's
//! feedback date.

use chrono::NaiveDate;

use super::*;
use crate::desk::Refusal;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn file(number: &str, status: Status, received: &str) -> CaseFile {
    let dl = Deadlines::compute(d(received), None, None);
    CaseFile {
        number: number.to_owned(),
        received_at: d(received),
        status,
        category: None,
        acknowledged_at: None,
        feedback_at: None,
        ended_at: None,
        outcome: None,
        end_reason: None,
        acknowledgement_due: dl.acknowledgement_due,
        feedback_due: dl.feedback_due,
        retention_until: None,
        proceedings_ended_on: None,
        identity_disclosed: false,
        encrypted: true,
        signature: crate::split::SignatureLabel::Unsigned,
        no_reply_address: false,
    }
}

#[test]
fn a_note_must_say_something_an_action_need_not() {
    assert!(matches!(
        check_note(EventKind::Note, Some(b" \n\t")),
        Err(ref e) if e.refusal() == Some(Refusal::Invalid)
    ));
    assert!(check_note(EventKind::Note, None).is_err());
    assert!(check_note(EventKind::Note, Some(b"Rozmowa z dyrektorem")).is_ok());
    assert!(check_note(EventKind::Action(ActionKind::Interview), None).is_ok());
}

#[test]
fn notes_are_bounded_utf8_text() {
    let big = vec![b'a'; MAX_NOTE_BYTES + 1];
    assert!(check_note(EventKind::Note, Some(&big))
        .unwrap_err()
        .to_string()
        .contains("larger than"));
    assert!(check_note(EventKind::Note, Some(&[0xff, 0xfe]))
        .unwrap_err()
        .to_string()
        .contains("UTF-8"));
    let exact = vec![b'a'; MAX_NOTE_BYTES];
    assert!(check_note(EventKind::Note, Some(&exact)).is_ok());
}

#[test]
fn event_dates_are_not_before_receipt_nor_in_the_future() {
    let received = today() - chrono::Days::new(10);
    assert!(check_on(received, received).is_ok());
    assert!(matches!(
        check_on(received, received - chrono::Days::new(1)),
        Err(ref e) if e.refusal() == Some(Refusal::Invalid)
    ));
    assert!(check_on(received, today() + chrono::Days::new(1)).is_err());
}

#[test]
fn due_list_is_soonest_first_and_within_keeps_the_overdue() {
    let files = vec![
        file("ZW/2026/0002", Status::Received, "2026-03-10"),
        file("ZW/2026/0001", Status::Received, "2026-03-01"),
        file("ZW/2026/0003", Status::Closed, "2026-03-01"),
    ];
    let items = due_list(files.clone(), d("2026-03-12"), None);
    let numbers: Vec<&str> = items.iter().map(|i| i.number.as_str()).collect();
    // A closed case has nothing due.
    assert_eq!(numbers, ["ZW/2026/0001", "ZW/2026/0002"]);
    assert!(items[0].overdue);
    assert_eq!(items[0].deadline, DeadlineKind::Acknowledgement);
    // Within 0 days: only what is due today or overdue.
    let urgent = due_list(files, d("2026-03-12"), Some(0));
    assert_eq!(urgent.len(), 1);
    assert_eq!(urgent[0].number, "ZW/2026/0001");
}

#[test]
fn acknowledgement_promises_feedback_three_months_from_the_acknowledgement() {
    let mut f = file("ZW/2026/0001", Status::Received, "2026-01-10");
    assert_eq!(
        feedback_due_if_acknowledged(&f, d("2026-01-12")),
        d("2026-04-12")
    );
    f.acknowledged_at = Some(d("2026-01-11"));
    assert_eq!(
        feedback_due_if_acknowledged(&f, d("2026-01-20")),
        d("2026-04-11")
    );
}
