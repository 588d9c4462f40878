//! Destruction in the register, on both backends: what goes, what stays, what is recorded, and
//! what a hold stops.

use chrono::NaiveDate;

use super::store::args;
use super::testing::on_each_backend;
use super::*;
use crate::cases::{Outcome, Status};
use crate::vault::StoredBlob;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// Attachments found irrelevant whose destruction day has come by `today`.
async fn irrelevant_due(reg: &Register, today: NaiveDate) -> Vec<(String, u32)> {
    reg.irrelevant_pending()
        .await
        .unwrap()
        .into_iter()
        .filter(|(_, s)| s.destroy_by.is_some_and(|d| d <= today))
        .map(|(number, s)| (number, s.index))
        .collect()
}

/// Files a case received on `received` whose follow-up ended (closed) on `ended`, with a sealed
/// note; returns its number.
async fn closed_case(reg: &Register, fp: &str, received: &str, ended: &str, big: bool) -> String {
    let pattern = crate::cases::NumberPattern::parse(crate::cases::NumberPattern::DEFAULT).unwrap();
    let body = vec![7u8; if big { 3 * chunks::CHUNK_BYTES / 2 } else { 32 }];
    let filed = reg
        .file_case(
            &IntakeRef {
                fingerprint: fp.into(),
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
                shred_key: format!("{:0>4}", fp.len()),
                report: StoredBlob {
                    pkesks: vec![1; 8],
                    body,
                },
                identity: StoredBlob {
                    pkesks: vec![2; 8],
                    body: vec![2; 16],
                },
                attachments: vec![NewAttachment {
                    index: 1,
                    shred_key: format!("a{:0>4}", fp.len()),
                    cleaned: StoredBlob {
                        pkesks: vec![4; 8],
                        body: vec![4; if big { 3 * chunks::CHUNK_BYTES / 2 } else { 8 }],
                    },
                    original: Some(StoredBlob {
                        pkesks: vec![5; 8],
                        body: vec![5; 8],
                    }),
                }],
            },
            &pattern,
        )
        .await
        .unwrap();
    reg.add_event(
        &filed.number,
        &NewEvent {
            kind: EventKind::Note,
            on: d(received),
            actor: "H".into(),
            note: Some(StoredBlob {
                pkesks: vec![3; 8],
                body: vec![3; 8],
            }),
        },
    )
    .await
    .unwrap();
    reg.change_status(
        &filed.number,
        &StatusChange {
            to: Status::InFollowUp,
            on: d(received),
            outcome: None,
            end_reason: None,
            actor: "H".into(),
        },
    )
    .await
    .unwrap()
    .unwrap();
    reg.change_status(
        &filed.number,
        &StatusChange {
            to: Status::Closed,
            on: d(ended),
            outcome: Some(Outcome::Unsubstantiated),
            end_reason: None,
            actor: "H".into(),
        },
    )
    .await
    .unwrap()
    .unwrap();
    filed.number
}

on_each_backend! {
    /// Past its date a case loses everything sealed (ciphertext gone, shred key queued for
    /// destruction) and keeps its number and dates; the destruction is recorded with its audit
    /// entry; before its date, on hold, or twice, destruction is refused.
    async fn an_expired_case_is_destroyed_whole_recorded_and_only_once(backend) {
        let (_held, reg) = backend.open().await;
        let old = closed_case(&reg, "old", "2022-02-01", "2022-06-30", true).await;
        let newer = closed_case(&reg, "newer", "2024-02-01", "2024-06-30", false).await;
        let held = closed_case(&reg, "held-case", "2022-03-01", "2022-07-01", false).await;
        reg.hold(&held, "H").await.unwrap();

        let today = d("2026-01-02");
        let expired = reg.expired_cases(today).await.unwrap();
        let numbers: Vec<&str> = expired.iter().map(|e| e.number.as_str()).collect();
        assert_eq!(numbers, vec![old.as_str(), held.as_str()], "kept until 2025-12-31");
        assert_eq!(expired[0].retention_until, d("2025-12-31"));
        assert!(expired[1].hold_since.is_some());

        let record = reg
            .destroy_case(&old, "schedule", RETENTION_RULE, today, Keep::NumberAndDates)
            .await
            .unwrap();
        assert_eq!(record.kept_until, Some(d("2025-12-31")));
        assert_eq!(record.destroyed_on, today);
        let Err(err) = reg.case(&old).await else {
            panic!("a destroyed case read back")
        };
        assert!(matches!(err, RegisterError::Destroyed(_)), "{err}");
        // Number and dates stay in the register; the notes' ciphertext does not.
        let file = reg.case_file(&old).await.unwrap().unwrap();
        assert_eq!(file.ended_at, Some(d("2022-06-30")));
        assert!(reg.events(&old).await.unwrap().iter().all(|e| e.note.is_none()));
        let chunks: i64 = reg
            .one("chunks", "SELECT COUNT(*) AS n FROM blob_chunks", &[])
            .await
            .unwrap()
            .get("n", "chunks")
            .unwrap();
        assert_eq!(chunks, 0, "the large report's chunks went with it");
        // The case's key and its attachment's own key are both queued.
        let pending = reg.pending_shreds().await.unwrap();
        assert_eq!(pending.len(), 2, "{pending:?}");
        assert!(pending.iter().all(|p| p.1.contains(&old)), "{pending:?}");
        let gone = reg.attachment_copy(&old, 1, AttachmentCopy::Cleaned).await.unwrap_err();
        assert!(matches!(gone, RegisterError::Destroyed(_)), "{gone}");
        let audit = reg.audit_entries().await.unwrap();
        let entry = audit.iter().find(|a| a.id == record.audit_id).unwrap();
        assert_eq!(entry.action, "CaseDestroyed");
        assert_eq!(entry.case_number.as_deref(), Some(old.as_str()));
        assert_eq!(reg.destructions(Some(2026)).await.unwrap(), vec![record.clone()]);
        assert!(reg.destructions(Some(2025)).await.unwrap().is_empty());

        for (number, why) in [(&old, "already destroyed"), (&newer, "kept until"), (&held, "legal hold")] {
            let err = reg
                .destroy_case(number, "schedule", RETENTION_RULE, today, Keep::NumberAndDates)
                .await
                .unwrap_err()
                .to_string();
            assert!(err.contains(why), "{number}: {err}");
        }
        reg.release(&held, "H", None).await.unwrap();
        reg.destroy_case(&held, "schedule", RETENTION_RULE, today, Keep::NumberAndDates).await.unwrap();
        assert_eq!(reg.destructions(None).await.unwrap().len(), 2);
        let n: i64 = reg
            .one(
                "sealed",
                "SELECT COUNT(*) AS n FROM cases WHERE destroyed_on IS NULL",
                args![],
            )
            .await
            .unwrap()
            .get("n", "sealed")
            .unwrap();
        assert_eq!(n, 1, "only the newer case is still sealed");
    }

    /// The yearly review covers every case the register held in the year: received by its
    /// end, and not destroyed before it began.
    async fn the_review_of_a_year_covers_the_cases_held_in_it(backend) {
        let (_held, reg) = backend.open().await;
        let gone_before = closed_case(&reg, "gone-before", "2020-02-01", "2020-03-01", false).await;
        let gone_during = closed_case(&reg, "gone-during", "2021-02-01", "2021-03-01", false).await;
        let kept = closed_case(&reg, "kept", "2024-02-01", "2024-06-30", false).await;
        let later = closed_case(&reg, "later", "2026-02-01", "2026-03-01", false).await;
        reg.destroy_case(&gone_before, "schedule", RETENTION_RULE, d("2024-01-02"), Keep::NumberAndDates)
            .await
            .unwrap();
        reg.destroy_case(&gone_during, "schedule", RETENTION_RULE, d("2025-01-02"), Keep::NumberAndDates)
            .await
            .unwrap();

        let reviewed = reg.reviewed_cases(2025).await.unwrap();
        let numbers: Vec<&str> = reviewed.iter().map(|r| r.number.as_str()).collect();
        assert_eq!(numbers, vec![gone_during.as_str(), kept.as_str()], "not {later}");
        assert_eq!(reviewed[0].destroyed_on, Some(d("2025-01-02")));
        assert_eq!(reviewed[1].retention_until, Some(d("2027-12-31")));
        assert_eq!(reviewed[1].status, "closed");
    }

    /// An attachment found irrelevant waits 14 days, then goes alone (both copies, its own
    /// key queued, a destruction record with its item); the rest of the case stays; it
    /// cannot be marked twice, nor destroyed unmarked.
    async fn an_irrelevant_attachment_goes_alone_after_fourteen_days(backend) {
        let (_held, reg) = backend.open().await;
        let number = closed_case(&reg, "irrelevant", "2026-01-05", "2026-02-01", true).await;
        let unmarked = reg.destroy_attachment(&number, 1, "H", d("2026-03-01")).await.unwrap_err();
        assert!(unmarked.to_string().contains("not found irrelevant"), "{unmarked}");

        let by = reg
            .mark_attachment_irrelevant(&number, 1, "H", d("2026-03-01"))
            .await
            .unwrap();
        assert_eq!(by, d("2026-03-15"));
        let again = reg
            .mark_attachment_irrelevant(&number, 1, "H", d("2026-03-02"))
            .await
            .unwrap_err();
        assert!(again.to_string().contains("already marked"), "{again}");
        assert!(irrelevant_due(&reg, d("2026-03-14")).await.is_empty());
        assert_eq!(
            irrelevant_due(&reg, d("2026-03-15")).await,
            vec![(number.clone(), 1)]
        );
        let pending = reg.irrelevant_pending().await.unwrap();
        assert_eq!(pending[0].1.destroy_by, Some(by));

        let record = reg
            .destroy_attachment(&number, 1, "schedule", d("2026-03-15"))
            .await
            .unwrap();
        assert_eq!((record.material.as_str(), record.item.as_str()), ("attachment", "attachment 1"));
        assert_eq!(reg.destructions(Some(2026)).await.unwrap(), vec![record]);
        for copy in [AttachmentCopy::Cleaned, AttachmentCopy::Original] {
            let err = reg.attachment_copy(&number, 1, copy).await.unwrap_err();
            assert!(matches!(err, RegisterError::Destroyed(_)), "{err}");
        }
        let chunks: i64 = reg
            .one("chunks", "SELECT COUNT(*) AS n FROM blob_chunks WHERE owner LIKE 'case_attachments%'", &[])
            .await
            .unwrap()
            .get("n", "chunks")
            .unwrap();
        assert_eq!(chunks, 0, "the large attachment's chunks went with it");
        let pending = reg.pending_shreds().await.unwrap();
        assert_eq!(pending.len(), 1, "only the attachment's own key: {pending:?}");
        assert!(pending[0].1.contains("attachment 1"), "{pending:?}");
        // The rest of the case is untouched.
        assert!(reg.case(&number).await.unwrap().is_some());
        assert!(irrelevant_due(&reg, d("2026-04-01")).await.is_empty());
        let audit = reg.audit_entries().await.unwrap();
        assert!(audit.iter().any(|a| a.action == "MaterialMarkedIrrelevant"));
        assert!(audit.iter().any(|a| a.action == "MaterialDestroyed"));
    }

    /// A note found irrelevant goes with its ciphertext, and the rest of the case moves to a
    /// new shred key in the same transaction (the old one queued); a stale set is refused.
    async fn an_irrelevant_note_goes_and_its_case_moves_to_a_new_key(backend) {
        let (_held, reg) = backend.open().await;
        let number = closed_case(&reg, "note-case", "2026-01-05", "2026-02-01", true).await;
        let note = reg.events(&number).await.unwrap()[0].id;
        let set = reg.case_shred_set(&number, note).await.unwrap();
        assert!(set.notes.is_empty(), "the note itself is not moved");
        let refused = reg
            .destroy_note(&number, note, "H", d("2026-03-01"), &set, "beef")
            .await
            .unwrap_err();
        assert!(refused.to_string().contains("not found irrelevant"), "{refused}");
        let by = reg
            .mark_note_irrelevant(&number, note, "H", d("2026-03-01"))
            .await
            .unwrap();
        assert_eq!(by, d("2026-03-15"));
        assert_eq!(reg.irrelevant_notes().await.unwrap()[0].note, note);
        // Another note added meanwhile makes the set stale.
        reg.add_event(
            &number,
            &NewEvent {
                kind: EventKind::Note,
                on: d("2026-03-02"),
                actor: "H".into(),
                note: Some(StoredBlob {
                    pkesks: vec![6; 8],
                    body: vec![6; 8],
                }),
            },
        )
        .await
        .unwrap();
        let stale = reg
            .destroy_note(&number, note, "H", d("2026-03-03"), &set, "beef")
            .await
            .unwrap_err();
        assert!(stale.to_string().contains("changed"), "{stale}");

        let mut moved = reg.case_shred_set(&number, note).await.unwrap();
        moved.report.body = vec![8; 3 * chunks::CHUNK_BYTES / 2];
        moved.identity.body = vec![9; 16];
        for (_, n) in &mut moved.notes {
            n.body = vec![10; 8];
        }
        let record = reg
            .destroy_note(&number, note, "H", d("2026-03-03"), &moved, "beef")
            .await
            .unwrap();
        assert_eq!((record.material.as_str(), record.item.clone()), ("note", format!("note #{note}")));
        let case = reg.case(&number).await.unwrap().unwrap();
        assert_eq!(case.shred_key, "beef");
        assert_eq!(case.report.body, moved.report.body, "chunked report rewritten");
        let events = reg.events(&number).await.unwrap();
        let gone = events.iter().find(|e| e.id == note).unwrap();
        assert!(gone.note.is_none());
        assert_eq!(gone.note_destroyed_on, Some(d("2026-03-03")));
        let kept = events.iter().find(|e| e.id != note).unwrap();
        assert_eq!(kept.note.as_ref().unwrap().body, vec![10; 8]);
        let pending = reg.pending_shreds().await.unwrap();
        assert_eq!(pending.len(), 1, "{pending:?}");
        assert_eq!(pending[0].0, set.shred_key, "the old case key is queued");
        assert!(reg.irrelevant_notes().await.unwrap().is_empty());
    }

    /// A quarantine entry that never became a case is kept its days, then its raw message
    /// goes (its key queued) with a destruction record; a filed one is not touched.
    async fn a_quarantine_entry_never_filed_is_destroyed_after_its_days(backend) {
        let (_held, reg) = backend.open().await;
        let at = |fp: &str| IntakeRef {
            fingerprint: fp.into(),
            at: Position {
                mailbox: "INBOX".into(),
                uidvalidity: 1,
                uid: 9,
            },
        };
        let q = reg
            .file_quarantine(
                &at("q-old"),
                &NewQuarantine {
                    received_at: d("2026-01-10"),
                    reason: "openpgp-no-key".into(),
                    detail: "d".into(),
                    raw: Some((
                        "cd".into(),
                        StoredBlob {
                            pkesks: vec![1; 8],
                            body: vec![1; 8],
                        },
                    )),
                },
            )
            .await
            .unwrap();
        assert!(reg.held_quarantine_before(d("2026-01-10")).await.unwrap().is_empty());
        let old = reg.held_quarantine_before(d("2026-07-10")).await.unwrap();
        assert_eq!(old, vec![(q.id, d("2026-01-10"))]);
        let record = reg
            .expire_quarantine(q.id, "schedule", "rule", d("2026-07-10"))
            .await
            .unwrap();
        assert_eq!(record.material, "quarantined-message");
        assert_eq!(record.item, format!("quarantine #{}", q.id));
        assert_eq!(record.received_on, Some(d("2026-01-10")));
        let entry = reg.list_quarantine().await.unwrap();
        assert_eq!(entry[0].state, "discarded");
        assert_eq!(reg.pending_shreds().await.unwrap()[0].0, "cd");
        assert!(reg.held_quarantine_before(d("2027-01-01")).await.unwrap().is_empty());
        let again = reg
            .expire_quarantine(q.id, "schedule", "rule", d("2026-07-11"))
            .await
            .unwrap_err();
        assert!(matches!(again, RegisterError::Conflict(_)), "{again}");
        assert_eq!(reg.destructions(Some(2026)).await.unwrap(), vec![record]);
    }

    /// Proceedings a case started keep it longer: released with the day they ended, it is
    /// kept 3 years after the end of that year; an earlier end never shortens it.
    async fn a_case_is_kept_three_years_after_the_proceedings_it_started_ended(backend) {
        let (_held, reg) = backend.open().await;
        let number = closed_case(&reg, "proceedings", "2022-02-01", "2022-06-30", false).await;
        reg.hold(&number, "H").await.unwrap();
        let kept = reg.release(&number, "H", Some(d("2027-05-04"))).await.unwrap();
        assert_eq!(kept, Some(d("2030-12-31")));
        assert!(reg.expired_cases(d("2030-12-31")).await.unwrap().is_empty());
        assert_eq!(reg.expired_cases(d("2031-01-01")).await.unwrap()[0].number, number);
        let file = reg.case_file(&number).await.unwrap().unwrap();
        assert_eq!(file.proceedings_ended_on, Some(d("2027-05-04")));
        assert_eq!(file.retention_until, Some(d("2030-12-31")));
        // A second hold and an earlier end: the later day stands.
        reg.hold(&number, "H").await.unwrap();
        let kept = reg.release(&number, "H", Some(d("2024-01-01"))).await.unwrap();
        assert_eq!(kept, Some(d("2030-12-31")));
        let trail = reg.audit_entries().await.unwrap();
        assert!(trail
            .iter()
            .any(|a| a.action == "CaseReleased" && a.detail.contains("kept until 2030-12-31")));
        let err = reg.release(&number, "H", None).await.unwrap_err();
        assert!(err.to_string().contains("not on hold"), "{err}");
    }

    /// Configured to keep nothing, a destroyed case leaves no row but its destruction record
    /// (its number and day, no other date).
    async fn keeping_nothing_leaves_only_the_destruction_record(backend) {
        let (_held, reg) = backend.open().await;
        let number = closed_case(&reg, "nothing", "2022-02-01", "2022-06-30", true).await;
        // Its server copy is confirmed deleted (the intake record is what keeps it otherwise).
        for p in reg.pending_deletions("INBOX").await.unwrap() {
            reg.mark_deleted(&p).await.unwrap();
        }
        let record = reg
            .destroy_case(&number, "schedule", RETENTION_RULE, d("2026-01-02"), Keep::Nothing)
            .await
            .unwrap();
        assert_eq!(record.case_number, number);
        assert_eq!((record.received_on, record.ended_on, record.kept_until), (None, None, None));
        assert!(reg.case(&number).await.unwrap().is_none());
        assert!(reg.list_cases().await.unwrap().is_empty());
        for table in ["case_events", "case_attachments", "intake", "sealed_details", "blob_chunks"] {
            let n: i64 = reg
                .one("count", &format!("SELECT COUNT(*) AS n FROM {table}"), &[])
                .await
                .unwrap()
                .get("n", "count")
                .unwrap();
            assert_eq!(n, 0, "{table} still holds rows");
        }
        assert_eq!(reg.destructions(None).await.unwrap(), vec![record]);
        // The audit chain still verifies and names the destruction.
        let trail = reg.audit_entries().await.unwrap();
        assert!(trail.iter().any(|a| a.action == "CaseDestroyed"));
    }
}
