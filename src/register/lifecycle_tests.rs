//! Register contract for the key lifecycle: batch commits are all-or-nothing and guarded by the
//! PKESKs read, runs resume by target, intake key states move with their audit rows.

use super::*;
use crate::register::testing::{on_each_backend, Backend, Held};
use crate::register::{IntakeRef, NewCase, NewReader, Position, Register, Role};
use crate::vault::StoredBlob;

fn blob(tag: u8) -> StoredBlob {
    StoredBlob {
        pkesks: vec![tag; 8],
        body: vec![tag; 16],
    }
}

async fn register_with_cases(backend: Backend, n: u32) -> (Held, Register) {
    let (held, reg) = backend.open().await;
    let pattern = crate::cases::NumberPattern::parse(crate::cases::NumberPattern::DEFAULT).unwrap();
    for i in 0..n {
        let case = NewCase {
            contact: None,
            acknowledgement: None,
            received_at: "2026-11-23".parse().unwrap(),
            encrypted: true,
            signature: crate::split::SignatureLabel::Unsigned,
            flags: Vec::new(),
            shred_key: "00ff".into(),
            report: blob(1),
            identity: blob(2),
            attachments: Vec::new(),
        };
        let intake = IntakeRef {
            fingerprint: format!("fp{i}"),
            at: Position {
                mailbox: "INBOX".into(),
                uidvalidity: 1,
                uid: i + 1,
            },
        };
        reg.file_case(&intake, &case, &pattern).await.unwrap();
    }
    (held, reg)
}

on_each_backend! {
    async fn a_batch_with_a_changed_blob_commits_nothing(backend) {
        let (_d, reg) = register_with_cases(backend, 2).await;
        let run = reg.reseal_begin("handler:A", false, "t").await.unwrap();
        let page = reg.slot_page(BlobSlot::CaseReport, 0, 10).await.unwrap();
        assert_eq!(page.len(), 2);
        let updates = vec![
            PkeskUpdate {
                slot: BlobSlot::CaseReport,
                row_id: page[0].row_id,
                old_pkesks: page[0].blob.pkesks.clone(),
                new_pkesks: vec![9; 8],
            },
            PkeskUpdate {
                slot: BlobSlot::CaseReport,
                row_id: page[1].row_id,
                old_pkesks: vec![7; 8], // not what is stored: another writer changed it
                new_pkesks: vec![9; 8],
            },
        ];
        assert!(reg.reseal_commit(run.id, &updates).await.is_err());
        let after = reg.slot_page(BlobSlot::CaseReport, 0, 10).await.unwrap();
        assert!(after.iter().all(|b| b.blob.pkesks == vec![1; 8]));
        assert!(reg
            .reseal_done(run.id, BlobSlot::CaseReport)
            .await
            .unwrap()
            .is_empty());

        // The good one alone commits, with its progress.
        reg.reseal_commit(run.id, &updates[..1]).await.unwrap();
        let after = reg.slot_page(BlobSlot::CaseReport, 0, 10).await.unwrap();
        assert_eq!(after[0].blob.pkesks, vec![9; 8]);
        assert_eq!(after[0].blob.body, vec![1; 16], "the body is never touched");
        let done = reg.reseal_done(run.id, BlobSlot::CaseReport).await.unwrap();
        assert!(done.contains(&page[0].row_id) && done.len() == 1);
    }
    async fn runs_resume_by_target_and_a_new_target_closes_the_old_run(backend) {
        let (_d, reg) = register_with_cases(backend, 0).await;
        let a = reg.reseal_begin("handler:A", false, "t").await.unwrap();
        assert!(!a.resumed);
        let again = reg.reseal_begin("handler:A", false, "t").await.unwrap();
        assert!(again.resumed);
        assert_eq!(again.id, a.id);
        let b = reg.reseal_begin("handler:B", false, "t").await.unwrap();
        assert_ne!(b.id, a.id);
        // A is closed now: asking for it again starts a fresh run.
        let a2 = reg.reseal_begin("handler:A", false, "t").await.unwrap();
        assert!(!a2.resumed);
        assert_ne!(a2.id, a.id);
        reg.reseal_finish(a2.id, "t", "done").await.unwrap();
        let actions: Vec<String> = reg
            .audit_entries()
            .await
            .unwrap()
            .into_iter()
            .map(|r| r.action)
            .collect();
        assert!(actions.contains(&"ResealResumed".to_owned()));
        assert!(actions.contains(&"ResealCompleted".to_owned()));
    }
    async fn rotation_puts_the_current_key_in_grace_and_retirement_is_recorded(backend) {
        let (_d, reg) = register_with_cases(backend, 0).await;
        reg.adopt_intake_key("AAAA", IntakeKeyStateKind::Current)
            .await
            .unwrap();
        reg.record_intake_current(
            "BBBB",
            "2026-12-23T00:00:00Z",
            crate::audit::Event::IntakeKeyRotated,
        )
        .await
        .unwrap();
        let states = reg.intake_key_states().await.unwrap();
        let a = states.iter().find(|s| s.fingerprint == "AAAA").unwrap();
        let b = states.iter().find(|s| s.fingerprint == "BBBB").unwrap();
        assert_eq!(a.state, IntakeKeyStateKind::Grace);
        assert_eq!(a.grace_until.as_deref(), Some("2026-12-23T00:00:00Z"));
        assert_eq!(b.state, IntakeKeyStateKind::Current);
        reg.record_intake_retired("AAAA").await.unwrap();
        let states = reg.intake_key_states().await.unwrap();
        let a = states.iter().find(|s| s.fingerprint == "AAAA").unwrap();
        assert_eq!(a.state, IntakeKeyStateKind::Retired);
        assert!(a.retired_at.is_some());
        let audit = reg.audit_entries().await.unwrap();
        let rotated = audit
            .iter()
            .find(|r| r.action == "IntakeKeyRotated")
            .unwrap();
        assert!(
            rotated.detail.contains("BBBB replaces AAAA"),
            "{}",
            rotated.detail
        );
        assert!(audit.iter().any(|r| r.action == "IntakeKeyRetired"));
    }
    async fn removing_a_reader_is_soft_audited_and_reported_when_unknown(backend) {
        let (_d, reg) = register_with_cases(backend, 0).await;
        reg.add_reader(
            &NewReader {
                fingerprint: "CCCC".into(),
                name: "C".into(),
                role: Role::Handler,
                cert: b"cert".to_vec(),
            },
            &[],
            "admin",
        )
        .await
        .unwrap();
        assert!(reg.remove_reader("CCCC", "admin").await.unwrap());
        assert!(!reg.remove_reader("CCCC", "admin").await.unwrap());
        assert!(reg.readers().await.unwrap().is_empty());
        assert!(reg
            .audit_entries()
            .await
            .unwrap()
            .iter()
            .any(|r| r.action == "ReaderRemoved" && r.detail.contains("CCCC")));
    }
}
