//! The contact record, the outbox's exactly-once states and follow-up messages, on both
//! backends.

use chrono::NaiveDate;

use super::testing::on_each_backend;
use super::*;
use crate::cases::{Outcome, Status};
use crate::vault::StoredBlob;

fn d(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn blob(b: u8) -> StoredBlob {
    StoredBlob {
        pkesks: vec![b; 8],
        body: vec![b; 16],
    }
}

fn at(fp: &str, uid: u32) -> IntakeRef {
    IntakeRef {
        fingerprint: fp.into(),
        at: Position {
            mailbox: "INBOX".into(),
            uidvalidity: 1,
            uid,
        },
    }
}

/// Files a reachable case with its acknowledgement planned; returns its number.
async fn case_with_contact(reg: &Register, fp: &str, token_hash: &str) -> String {
    let pattern = crate::cases::NumberPattern::parse(crate::cases::NumberPattern::DEFAULT).unwrap();
    reg.file_case(
        &at(fp, 1),
        &NewCase {
            contact: Some(NewContact::Open {
                key_id: format!("contact-{fp}"),
                record: vec![9; 40],
                token: vec![8; 40],
                token_hash: token_hash.to_owned(),
                encrypted: false,
            }),
            acknowledgement: Some(format!("{fp}@urzad.example.org")),
            received_at: d("2026-12-01"),
            encrypted: false,
            signature: crate::split::SignatureLabel::Unsigned,
            flags: Vec::new(),
            shred_key: format!("shred-{fp}"),
            report: blob(1),
            identity: blob(2),
            attachments: vec![NewAttachment {
                index: 1,
                shred_key: format!("att-{fp}"),
                cleaned: blob(3),
                original: None,
            }],
        },
        &pattern,
    )
    .await
    .unwrap()
    .number
}

on_each_backend! {
    /// The acknowledgement is planned with the filing; an attempt is marked before it is made;
    /// one found interrupted is sent once more and never a third time; the server's acceptance
    /// dates the case's acknowledgement.
    async fn an_interrupted_message_is_sent_once_more_and_never_again(backend) {
        let (_held, reg) = backend.open().await;
        let number = case_with_contact(&reg, "a", "hash-a").await;
        let due = reg.due_messages().await.unwrap();
        assert_eq!(due.len(), 1);
        assert_eq!((due[0].kind, due[0].number.as_str()), (OutKind::Acknowledgement, number.as_str()));
        assert!(due[0].contact.is_some());
        let id = due[0].id;

        assert_eq!(reg.begin_attempt(id).await.unwrap(), Attempt::Send { resend: false });
        // A crash here: the next pass finds it `sending`.
        assert_eq!(reg.due_messages().await.unwrap().len(), 1);
        assert_eq!(reg.begin_attempt(id).await.unwrap(), Attempt::Send { resend: true });
        assert_eq!(reg.begin_attempt(id).await.unwrap(), Attempt::Skip, "never a third time");
        let unsent = reg.unsent_messages().await.unwrap();
        assert_eq!(unsent[0].state, "failed");
        assert!(unsent[0].last_error.contains("interrupted twice"));

        // A second case, sent cleanly: the acknowledgement date and the status follow.
        let other = case_with_contact(&reg, "b", "hash-b").await;
        let id = reg.due_messages().await.unwrap()[0].id;
        assert_eq!(reg.begin_attempt(id).await.unwrap(), Attempt::Send { resend: false });
        reg.message_sent(id, d("2026-12-02")).await.unwrap();
        let file = reg.case_file(&other).await.unwrap().unwrap();
        assert_eq!(file.status, Status::Acknowledged);
        assert_eq!(file.acknowledged_at, Some(d("2026-12-02")));
        assert_eq!(file.feedback_due, d("2027-03-02"));
        assert_eq!(reg.begin_attempt(id).await.unwrap(), Attempt::Skip, "sent is final");
        assert_eq!(
            reg.acknowledgements_sent_since("2000-01-01T00:00:00Z").await.unwrap(),
            1
        );
        let audit = reg.audit_entries().await.unwrap();
        assert!(audit.iter().any(|e| e.action == "MessageSent"));
    }

    /// A temporary failure plans the next attempt; a refusal is final and audited.
    async fn failures_retry_later_or_fail_for_good(backend) {
        let (_held, reg) = backend.open().await;
        case_with_contact(&reg, "c", "hash-c").await;
        let id = reg.due_messages().await.unwrap()[0].id;
        reg.begin_attempt(id).await.unwrap();
        reg.message_failed(id, "server away", Some("2999-01-01T00:00:00Z")).await.unwrap();
        assert!(reg.due_messages().await.unwrap().is_empty(), "not before its time");
        assert_eq!(reg.unsent_messages().await.unwrap()[0].state, "planned");
        reg.message_failed(id, "refused (SMTP 550)", None).await.unwrap();
        assert_eq!(reg.unsent_messages().await.unwrap()[0].state, "failed");
        let audit = reg.audit_entries().await.unwrap();
        assert!(audit.iter().any(|e| e.action == "MessageFailed"));
    }

    /// Once follow-up ends and nothing is left to send, the contact ends: its key queued for
    /// destruction, the sealed address and token gone; a token then names no case's contact
    /// any more but the case is still found by it until destroyed.
    async fn a_finished_case_loses_its_contact(backend) {
        let (_held, reg) = backend.open().await;
        let number = case_with_contact(&reg, "e", "hash-e").await;
        let id = reg.due_messages().await.unwrap()[0].id;
        reg.begin_attempt(id).await.unwrap();
        reg.message_sent(id, d("2026-12-02")).await.unwrap();
        assert!(reg.end_finished_contacts(false).await.unwrap().is_empty(), "still open");
        for (to, outcome) in [(Status::InFollowUp, None), (Status::Closed, Some(Outcome::Unsubstantiated))] {
            reg.change_status(&number, &StatusChange { to, on: d("2026-12-03"), outcome, end_reason: None, actor: "H".into() })
                .await
                .unwrap()
                .unwrap();
        }
        assert_eq!(reg.end_finished_contacts(false).await.unwrap(), vec![number.clone()]);
        let state = reg.contact_state(&number).await.unwrap().unwrap();
        assert_eq!(state.state, "ended");
        assert!(reg.open_contact(&number).await.unwrap().is_none());
        let pending = reg.pending_shreds().await.unwrap();
        assert!(pending.iter().any(|(k, _)| k == "contact-e"), "{pending:?}");

        // Mail still waiting keeps a finished case's contact, unless nothing sends any more.
        let waiting = case_with_contact(&reg, "w", "hash-w").await;
        for (to, outcome) in [(Status::InFollowUp, None), (Status::Closed, Some(Outcome::Unsubstantiated))] {
            reg.change_status(&waiting, &StatusChange { to, on: d("2026-12-03"), outcome, end_reason: None, actor: "H".into() })
                .await
                .unwrap()
                .unwrap();
        }
        assert!(reg.end_finished_contacts(false).await.unwrap().is_empty());
        assert_eq!(reg.end_finished_contacts(true).await.unwrap(), vec![waiting.clone()]);
        let dropped = reg.unsent_messages().await.unwrap();
        assert!(dropped.iter().all(|m| m.number != waiting), "its mail was dropped: {dropped:?}");
    }

    /// A reporter's answer files into the case its token names, its attachments numbered on
    /// from the case's; destroying the case destroys it with its key.
    async fn a_follow_up_joins_its_case_and_is_destroyed_with_it(backend) {
        let (_held, reg) = backend.open().await;
        let number = case_with_contact(&reg, "f", "hash-f").await;
        assert!(reg.case_for_reply_token("no-such-hash").await.unwrap().is_none());
        let (case_id, found) = reg.case_for_reply_token("hash-f").await.unwrap().unwrap();
        assert_eq!(found, number);
        let filed = reg
            .file_follow_up(
                &at("f-answer", 2),
                case_id,
                &NewFollowUp {
                    received_at: d("2026-12-04"),
                    encrypted: true,
                    signature: crate::split::SignatureLabel::Unsigned,
                    shred_key: "msg-f".into(),
                    report: blob(5),
                    identity: blob(6),
                    attachments: vec![NewAttachment {
                        index: 1,
                        shred_key: "msg-att-f".into(),
                        cleaned: blob(7),
                        original: None,
                    }],
                },
            )
            .await
            .unwrap();
        assert_eq!(filed.number, number);
        let messages = reg.follow_ups(&number).await.unwrap();
        assert_eq!(messages.len(), 1);
        assert_eq!((messages[0].seq, messages[0].first_attachment), (2, 2));
        assert_eq!(messages[0].report, blob(5));
        let states = reg.attachment_states(&number).await.unwrap();
        assert_eq!(states.iter().map(|s| s.index).collect::<Vec<_>>(), vec![1, 2]);

        for (to, outcome) in [(Status::InFollowUp, None), (Status::Closed, Some(Outcome::Unsubstantiated))] {
            reg.change_status(&number, &StatusChange { to, on: d("2026-12-05"), outcome, end_reason: None, actor: "H".into() })
                .await
                .unwrap()
                .unwrap();
        }
        reg.destroy_case(&number, "schedule", RETENTION_RULE, d("2030-01-02"), Keep::NumberAndDates)
            .await
            .unwrap();
        assert!(reg.follow_ups(&number).await.unwrap().is_empty());
        let pending: Vec<String> = reg.pending_shreds().await.unwrap().into_iter().map(|(k, _)| k).collect();
        for key in ["msg-f", "msg-att-f", "contact-f", "shred-f"] {
            assert!(pending.iter().any(|k| k == key), "{key} not queued: {pending:?}");
        }
        assert!(reg.case_for_reply_token("hash-f").await.unwrap().is_none());
    }

    /// A handler's reply is planned with its reporter-contact action in one transaction; sent
    /// as the feedback, it dates the feedback.
    async fn a_reply_marked_as_feedback_dates_the_feedback_when_sent(backend) {
        let (_held, reg) = backend.open().await;
        let number = case_with_contact(&reg, "g", "hash-g").await;
        let ack = reg.due_messages().await.unwrap()[0].id;
        reg.begin_attempt(ack).await.unwrap();
        reg.message_sent(ack, d("2026-12-02")).await.unwrap();
        let id = reg
            .plan_reply(
                &number,
                &PlannedMessage {
                    kind: OutKind::Feedback,
                    message_id: "reply-g@urzad.example.org".into(),
                    text: Some(vec![4; 24]),
                    actor: "H".into(),
                },
                &NewEvent {
                    kind: EventKind::Action(crate::cases::ActionKind::ReporterContact),
                    on: d("2026-12-03"),
                    actor: "H".into(),
                    note: Some(blob(4)),
                },
            )
            .await
            .unwrap();
        let events = reg.events(&number).await.unwrap();
        assert_eq!(events.len(), 1, "the reply is in the case file");
        let due = reg.due_messages().await.unwrap();
        assert_eq!((due[0].id, due[0].kind), (id, OutKind::Feedback));
        assert_eq!(due[0].text.as_deref(), Some(&[4u8; 24][..]));
        reg.begin_attempt(id).await.unwrap();
        reg.message_sent(id, d("2026-12-04")).await.unwrap();
        let file = reg.case_file(&number).await.unwrap().unwrap();
        assert_eq!(file.status, Status::FeedbackGiven);
        assert_eq!(file.feedback_at, Some(d("2026-12-04")));
        // The text sealed for sending is not kept once it is sent.
        assert!(reg.due_messages().await.unwrap().is_empty());

        // No reply can be planned once contact ended.
        reg.withdraw_contact(&number, "withdrawn by the reporter").await.unwrap();
        let refused = reg
            .plan_reply(
                &number,
                &PlannedMessage {
                    kind: OutKind::Reply,
                    message_id: "reply-g2@urzad.example.org".into(),
                    text: None,
                    actor: "H".into(),
                },
                &NewEvent {
                    kind: EventKind::Note,
                    on: d("2026-12-05"),
                    actor: "H".into(),
                    note: Some(blob(4)),
                },
            )
            .await;
        assert!(matches!(refused, Err(RegisterError::NotFound(_))), "{refused:?}");
        assert_eq!(reg.events(&number).await.unwrap().len(), 1, "nothing was recorded");
    }

    /// An acknowledgement sent after follow-up started dates the acknowledgement and the
    /// feedback deadline that follows, and leaves the status where the handler put it.
    async fn a_late_acknowledgement_dates_itself_without_moving_the_status_back(backend) {
        let (_held, reg) = backend.open().await;
        let number = case_with_contact(&reg, "l", "hash-l").await;
        reg.change_status(
            &number,
            &StatusChange { to: Status::InFollowUp, on: d("2026-12-02"), outcome: None, end_reason: None, actor: "H".into() },
        )
        .await
        .unwrap()
        .unwrap();
        let id = reg.due_messages().await.unwrap()[0].id;
        reg.begin_attempt(id).await.unwrap();
        reg.message_sent(id, d("2026-12-03")).await.unwrap();
        let file = reg.case_file(&number).await.unwrap().unwrap();
        assert_eq!(file.status, Status::InFollowUp);
        assert_eq!(file.acknowledged_at, Some(d("2026-12-03")));
        assert_eq!(file.feedback_due, d("2027-03-03"));
    }
}
