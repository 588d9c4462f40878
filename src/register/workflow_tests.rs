//! Workflow in the register: status changes with their dates in one transaction, sealed events,
//! disclosures, and the audit chain (including rows written before it existed).

use chrono::NaiveDate;

use crate::cases::{ActionKind, Category, Outcome, Status};
use crate::register::testing::{on_each_backend, Backend, Held};
use crate::register::*;
use crate::vault::StoredBlob;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn blob(tag: u8) -> StoredBlob {
    StoredBlob {
        pkesks: vec![tag; 8],
        body: vec![tag; 16],
    }
}

async fn open_with_case(backend: Backend, received: &str) -> (Held, Register, String) {
    let (held, reg) = backend.open().await;
    let filed = reg
        .file_case(
            &IntakeRef {
                fingerprint: "fp".into(),
                at: Position {
                    mailbox: "INBOX".into(),
                    uidvalidity: 1,
                    uid: 1,
                },
            },
            &NewCase {
                contact: None,
                acknowledgement: None,
                received_at: d(received),
                encrypted: true,
                signature: crate::split::SignatureLabel::Unsigned,
                flags: Vec::new(),
                shred_key: "00".into(),
                report: blob(1),
                identity: blob(2),
                attachments: Vec::new(),
            },
            &crate::cases::NumberPattern::parse(crate::cases::NumberPattern::DEFAULT).unwrap(),
        )
        .await
        .unwrap();
    (held, reg, filed.number)
}

fn change(to: Status, on: &str) -> StatusChange {
    StatusChange {
        to,
        on: d(on),
        outcome: None,
        end_reason: None,
        actor: "FPR (Hanna)".into(),
    }
}

fn chain_ok(rows: &[AuditRow]) -> Result<crate::audit::Head, crate::audit::ChainBreak> {
    let stored: Vec<crate::audit::Stored<'_>> = rows.iter().map(AuditRow::stored).collect();
    crate::audit::verify(&stored, None)
}

on_each_backend! {
    async fn deadlines_are_stored_at_filing_and_follow_status_changes(backend) {
        let (_held, reg, n) = open_with_case(backend, "2027-11-23").await;
        let f = reg.case_file(&n).await.unwrap().unwrap();
        assert_eq!(f.status, Status::Received);
        assert_eq!(f.acknowledgement_due, d("2027-11-30"));
        assert_eq!(
            f.feedback_due,
            d("2028-02-29"),
            "30 Nov + 3 months in a leap year"
        );

        let f = reg
            .change_status(&n, &change(Status::Acknowledged, "2027-11-30"))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(f.acknowledged_at, Some(d("2027-11-30")));
        assert_eq!(f.feedback_due, d("2028-02-29"));

        // A refused transition changes nothing and writes no audit entry.
        let before = reg.audit_entries().await.unwrap().len();
        let refused = reg
            .change_status(&n, &change(Status::Closed, "2027-12-01"))
            .await
            .unwrap();
        assert!(refused.is_err());
        assert_eq!(reg.audit_entries().await.unwrap().len(), before);
        assert_eq!(
            reg.case_file(&n).await.unwrap().unwrap().status,
            Status::Acknowledged
        );

        reg.change_status(&n, &change(Status::InFollowUp, "2027-12-01"))
            .await
            .unwrap()
            .unwrap();
        let mut close = change(Status::Closed, "2027-12-31");
        close.outcome = Some(Outcome::Unsubstantiated);
        let f = reg.change_status(&n, &close).await.unwrap().unwrap();
        assert_eq!(f.ended_at, Some(d("2027-12-31")));
        assert_eq!(f.retention_until, Some(d("2030-12-31")));
        assert_eq!(f.outcome, Some(Outcome::Unsubstantiated));
        let last = reg.audit_entries().await.unwrap().pop().unwrap();
        assert_eq!(last.action, "CaseClosed");
        assert_eq!(last.actor, "FPR (Hanna)");
        chain_ok(&reg.audit_entries().await.unwrap()).unwrap();
    }
    async fn a_rejected_case_keeps_its_reason_and_a_transferred_one_its_recipient(backend) {
        use crate::cases::{EndReason, Recipient, RejectionReason};
        let (_held, reg, n) = open_with_case(backend, "2027-11-23").await;
        let mut reject = change(Status::Rejected, "2027-11-25");
        reject.end_reason = Some(EndReason::Rejected(RejectionReason::NoNewInformation));
        let f = reg.change_status(&n, &reject).await.unwrap().unwrap();
        assert_eq!(f.end_reason, reject.end_reason);
        assert_eq!(reg.case_file(&n).await.unwrap().unwrap().end_reason, reject.end_reason);
        let last = reg.audit_entries().await.unwrap().pop().unwrap();
        assert!(last.detail.ends_with("(no-new-information)"), "{}", last.detail);

        let (_held2, reg2, m) = open_with_case(backend, "2027-11-23").await;
        let mut hand_on = change(Status::Transferred, "2027-11-26");
        hand_on.end_reason = Some(EndReason::Transferred(Recipient::Prosecutor));
        let f = reg2.change_status(&m, &hand_on).await.unwrap().unwrap();
        assert_eq!(f.end_reason, hand_on.end_reason);
        assert_eq!(
            serde_json::to_value(&f).unwrap()["end_reason"],
            "prosecutor"
        );
    }
    async fn events_keep_kind_date_and_sealed_note_and_disclosures_mark_the_case(backend) {
        let (_held, reg, n) = open_with_case(backend, "2026-05-04").await;
        reg.set_category(&n, Category::PublicProcurement, "FPR (Hanna)")
            .await
            .unwrap();
        let id = reg
            .add_event(
                &n,
                &NewEvent {
                    kind: EventKind::Action(ActionKind::Interview),
                    on: d("2026-05-06"),
                    actor: "FPR (Hanna)".into(),
                    note: Some(blob(9)),
                },
            )
            .await
            .unwrap();
        let events = reg.events(&n).await.unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(events[0].id, id);
        assert_eq!(events[0].action_kind, Some(ActionKind::Interview));
        assert_eq!(events[0].note, Some(blob(9)));
        reg.record_disclosure(
            &n,
            &NewDisclosure {
                actor: "FPR (Celina)".into(),
                sealed: blob(7),
                notice: ReporterNotice::WithheldWouldEndanger,
            },
        )
        .await
        .unwrap();
        let f = reg.case_file(&n).await.unwrap().unwrap();
        assert!(f.identity_disclosed);
        assert_eq!(f.category, Some(Category::PublicProcurement));
        let ds = reg.disclosures(Some(&n)).await.unwrap();
        assert_eq!(ds.len(), 1);
        let audit = reg.audit_entries().await.unwrap();
        let entry = audit.iter().find(|r| r.id == ds[0].audit_id).unwrap();
        assert_eq!(entry.action, "IdentityDisclosed");
        // The free text is sealed beside the entry, never in it.
        assert_eq!(
            reg.sealed_details(&n).await.unwrap(),
            vec![(entry.id, blob(7))]
        );
        assert!(reg
            .disclosures(Some("ZW/1999/0001"))
            .await
            .unwrap()
            .is_empty());
    }
}

async fn raw(path: &std::path::Path, sql: &str) {
    use sqlx::Connection;
    let mut conn = sqlx::SqliteConnection::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap();
    sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
    conn.close().await.unwrap();
}

#[tokio::test]
async fn rows_from_before_the_chain_are_chained_once_and_only_on_the_migration_marker() {
    let (held, reg, _n) = open_with_case(Backend::Sqlite, "2026-01-02").await;
    let path = held.dir.path().join("var").join("register.db");
    reg.close().await;
    // As a register written before migration 0002 would look.
    raw(
        &path,
        "DROP TRIGGER audit_no_update; UPDATE audit SET prev_hash = NULL, hash = NULL;
         INSERT INTO audit_backfill (pending) VALUES (1);",
    )
    .await;
    let reg = Register::open(&crate::config::RegisterConfig::Sqlite { path: path.clone() })
        .await
        .unwrap();
    let rows = reg.audit_entries().await.unwrap();
    assert_eq!(chain_ok(&rows).unwrap().entries, rows.len());
    reg.audit(&AuditEntry {
        actor: "admin".into(),
        action: crate::audit::Event::ConfigChanged,
        case_number: None,
        detail: String::new(),
    })
    .await
    .unwrap();
    chain_ok(&reg.audit_entries().await.unwrap()).unwrap();
    reg.close().await;

    // Without the marker, unhashed rows are not silently adopted: verify reports them.
    raw(&path, "UPDATE audit SET hash = NULL WHERE id = 1;").await;
    let reg = Register::open(&crate::config::RegisterConfig::Sqlite { path })
        .await
        .unwrap();
    assert_eq!(
        chain_ok(&reg.audit_entries().await.unwrap()),
        Err(crate::audit::ChainBreak::Unhashed { id: 1 })
    );
}

#[test]
fn closing_is_recorded_with_its_outcome_other_changes_with_both_statuses() {
    let mut c = change(Status::Closed, "2026-05-01");
    c.outcome = Some(Outcome::Substantiated);
    let (event, detail) = c.audit(Status::FeedbackGiven, Status::Closed);
    assert_eq!(event, crate::audit::Event::CaseClosed);
    assert!(detail.contains("outcome substantiated"), "{detail}");
    let ack = change(Status::Acknowledged, "2026-01-07");
    let (event, detail) = ack.audit(Status::Received, Status::Acknowledged);
    assert_eq!(event, crate::audit::Event::StatusChanged);
    assert_eq!(detail, "received -> acknowledged on 2026-01-07");
    let (_, detail) = ack.audit(Status::InFollowUp, Status::InFollowUp);
    assert_eq!(
        detail,
        "acknowledgement sent on 2026-01-07 recorded; status stays in-follow-up"
    );
}

on_each_backend! {
    /// Two processes on one register (two replicas, or the gateway and a handler's command)
    /// writing at once: every entry and case lands, in one audit chain without a gap, with
    /// case numbers that never collide.
    async fn concurrent_writers_keep_one_gapless_audit_chain(backend) {
        let dir = tempfile::tempdir().unwrap();
        let config = backend.config(dir.path());
        let first = Register::open(&config).await.unwrap();
        let second = Register::open(&config).await.unwrap();
        let pattern =
            crate::cases::NumberPattern::parse(crate::cases::NumberPattern::DEFAULT).unwrap();
        let work = async |reg: &Register, who: &str| {
            for i in 0..15u32 {
                reg.audit(&AuditEntry {
                    actor: format!("{who}-{i}"),
                    action: crate::audit::Event::ConfigChanged,
                    case_number: None,
                    detail: String::new(),
                })
                .await
                .unwrap();
                let intake = IntakeRef {
                    fingerprint: format!("{who}-{i}"),
                    at: Position {
                        mailbox: "INBOX".into(),
                        uidvalidity: 1,
                        uid: i + 1,
                    },
                };
                let case = NewCase {
            contact: None,
            acknowledgement: None,
                    received_at: d("2026-06-01"),
                    encrypted: true,
                    signature: crate::split::SignatureLabel::Unsigned,
                    flags: Vec::new(),
                    shred_key: "00".into(),
                    report: blob(1),
                    identity: blob(2),
                    attachments: Vec::new(),
                };
                reg.file_case(&intake, &case, &pattern).await.unwrap();
            }
        };
        futures::join!(work(&first, "a"), work(&second, "b"));

        let rows = first.audit_entries().await.unwrap();
        let head = chain_ok(&rows).unwrap();
        assert_eq!(head.entries, rows.len());
        let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
        let expected: Vec<i64> = (1..=i64::try_from(rows.len()).unwrap()).collect();
        assert_eq!(ids, expected, "audit ids without a gap");
        let actors = |prefix: &str| rows.iter().filter(|r| r.actor.starts_with(prefix)).count();
        assert_eq!((actors("a-"), actors("b-")), (15, 15));
        let mut numbers: Vec<String> = second
            .list_cases()
            .await
            .unwrap()
            .into_iter()
            .map(|c| c.number)
            .collect();
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), 30, "every case filed once, numbers unique");
        first.close().await;
        second.close().await;
    }
}
