//! The use cases against a real register and key folder in a temp dir, without the binary: who
//! may act on a case, what is recorded before anything is returned, what stays sealed.

use sequoia_openpgp::Cert;

use super::*;
use crate::audit::Event;
use crate::cases::{Outcome, Status};
use crate::intake::{decide, Decision};
use crate::openpgp::{armored_public, generate_intake_key, KeyAlgorithm};
use crate::readers::Readers;
use crate::register::testing::{on_each_backend, Backend};
use crate::register::{IntakeRef, NewCase, Position};

struct Fixture {
    _dir: tempfile::TempDir,
    desk: Desk,
    handler: Cert,
    custodian: Cert,
    outsider: Cert,
}

fn key(cert: &Cert) -> ReaderKey {
    ReaderKey::new(cert.clone(), None)
}

const REPORT: &[u8] = b"From: Jan Kowalski <jan@example.org>\r\n\
To: sygnalista@example.org\r\n\
Subject: Zgloszenie\r\n\
Content-Type: text/plain; charset=utf-8\r\n\r\n\
Kierownik bierze pieniadze z kasy.\r\n";

async fn fixture(backend: Backend) -> Fixture {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("imap.pass"), "x").unwrap();
    let config = dir.path().join("sygnal.toml");
    std::fs::write(
        &config,
        format!(
            "[mailbox]\nhost = \"127.0.0.1\"\nport = 143\ntls = \"none\"\nusername = \"box@example.org\"\n\
             password-file = \"imap.pass\"\n\n{}\n[keys]\ndir = \"var/keys\"\nunprotected = true\n",
            backend.toml(dir.path())
        ),
    )
    .unwrap();
    let desk = Desk::open(&Installation {
        config: config.clone(),
        tenant: None,
    })
    .await
    .unwrap();
    // Readers' keys sign (consent, checkpoints) and encrypt, as GnuPG's defaults do.
    let gen = |n: &str| {
        sequoia_openpgp::cert::CertBuilder::general_purpose(Some(format!("{n} <{n}@example.org>")))
            .generate()
            .unwrap()
            .0
    };
    let (handler, custodian, outsider) = (gen("handler"), gen("custodian"), gen("outsider"));
    for (cert, name, role) in [
        (&handler, "Hanna", Role::Handler),
        (&custodian, "Celina", Role::Custodian),
    ] {
        let public = armored_public(cert).unwrap();
        // The first custodian consents to their own appointment (and the handler's).
        let approver = (role == Role::Custodian).then(|| key(cert));
        desk.add_reader("test", public.as_bytes(), name, role, approver.as_ref())
            .await
            .unwrap();
    }
    desk.init(KeyAlgorithm::Cv25519, None).await.unwrap();
    Fixture {
        _dir: dir,
        desk,
        handler,
        custodian,
        outsider,
    }
}

/// Files one plain report through the intake sequence; returns its number.
async fn file_report(desk: &Desk) -> String {
    let readers = Readers::load(&desk.register).await.unwrap();
    let keyring = desk.keys.intake_keyring().unwrap();
    let (shred_id, shred) = desk.keys.new_shred_key().unwrap();
    let received_at = crate::register::today();
    let Decision::File(sealed) = decide(
        REPORT,
        &keyring,
        &readers,
        &desk.config.limits,
        &shred,
        received_at,
        None,
    )
    .unwrap() else {
        panic!("a plain report is filed")
    };
    let filed = desk
        .register
        .file_case(
            &IntakeRef {
                fingerprint: "fp-1".into(),
                at: Position {
                    mailbox: "INBOX".into(),
                    uidvalidity: 1,
                    uid: 1,
                },
            },
            &NewCase {
                contact: None,
                acknowledgement: None,
                received_at,
                encrypted: sealed.encrypted,
                signature: sealed.signature,
                flags: sealed.flags,
                shred_key: shred_id,
                report: sealed.report,
                identity: sealed.identity,
                attachments: Vec::new(),
            },
            &desk.config.cases.number_pattern,
        )
        .await
        .unwrap();
    filed.number
}

async fn events(desk: &Desk) -> Vec<Event> {
    desk.audit_trail(None)
        .await
        .unwrap()
        .iter()
        .filter_map(|r| r.event())
        .collect()
}

on_each_backend! {
    async fn only_a_key_the_report_was_sealed_to_opens_a_case_and_the_read_is_recorded(backend) {
        let f = fixture(backend).await;
        let number = file_report(&f.desk).await;
        let refused = f.desk.open_case(&number, &key(&f.outsider)).await;
        assert!(matches!(refused, Err(ref e) if e.refusal() == Some(Refusal::KeyRefused)));
        assert!(!events(&f.desk).await.contains(&Event::CaseOpened));

        let opened = f.desk.open_case(&number, &key(&f.handler)).await.unwrap();
        assert!(opened
            .report
            .body
            .as_deref()
            .unwrap_or("")
            .contains("pieniadze"));
        assert_eq!(events(&f.desk).await.last(), Some(&Event::CaseOpened));
        // A custodian handles cases too.
        f.desk.open_case(&number, &key(&f.custodian)).await.unwrap();
        f.desk.close().await;
    }
}

on_each_backend! {
    async fn closing_a_case_needs_an_outcome(backend) {
        let f = fixture(backend).await;
        let number = file_report(&f.desk).await;
        let refused = f
            .desk
            .change_status(&number, &key(&f.handler), Status::Closed, None, crate::desk::Ending::None)
            .await;
        assert!(matches!(refused, Err(ref e) if e.refusal() == Some(Refusal::Invalid) && e.to_string().contains("--outcome")));
        // The lifecycle decides the order: follow-up before closing.
        let early = f
            .desk
            .change_status(
                &number,
                &key(&f.handler),
                Status::Closed,
                None,
                crate::desk::Ending::Outcome(Outcome::Unsubstantiated),
            )
            .await;
        assert!(matches!(early, Err(ref e) if e.refusal() == Some(Refusal::Invalid) && e.to_string().contains("in-follow-up")));
        f.desk
            .change_status(&number, &key(&f.handler), Status::InFollowUp, None, crate::desk::Ending::None)
            .await
            .unwrap();
        let closed = f
            .desk
            .change_status(
                &number,
                &key(&f.handler),
                Status::Closed,
                None,
                crate::desk::Ending::Outcome(Outcome::Unsubstantiated),
            )
            .await
            .unwrap();
        assert_eq!(closed.status, Status::Closed);
        assert!(closed.retention_until.is_some());
        assert_eq!(events(&f.desk).await.last(), Some(&Event::CaseClosed));
        f.desk.close().await;
    }
}

on_each_backend! {
    async fn a_handler_never_reaches_identity_and_a_custodian_reaches_it_only_recorded(backend) {
        let f = fixture(backend).await;
        let number = file_report(&f.desk).await;
        let refused = f
            .desk
            .unseal_identity(&number, &key(&f.handler), "prosecutor's request")
            .await;
        assert!(matches!(refused, Err(ref e) if e.refusal() == Some(Refusal::KeyRefused)));
        let no_reason = f
            .desk
            .unseal_identity(&number, &key(&f.custodian), "why")
            .await;
        assert!(matches!(no_reason, Err(ref e) if e.refusal() == Some(Refusal::Invalid)));
        assert!(!events(&f.desk).await.contains(&Event::IdentityUnsealed));

        let unsealed = f
            .desk
            .unseal_identity(&number, &key(&f.custodian), "prosecutor's request")
            .await
            .unwrap();
        assert!(unsealed
            .identity
            .from
            .iter()
            .any(|a| a.contains("jan@example.org")));
        let log = f.desk.identity_log(Some(&number), None).await.unwrap();
        assert_eq!(log.len(), 1);
        // The reason is sealed to custodians: not in the clear entry, opened with a custodian's key.
        assert!(!log[0].detail.contains("prosecutor's request"));
        assert!(f
            .desk
            .register
            .audit_entries()
            .await
            .unwrap()
            .iter()
            .all(|r| !r.detail.contains("prosecutor")));
        assert!(matches!(
            f.desk
                .identity_log(Some(&number), Some(&key(&f.handler)))
                .await,
            Err(ref e) if e.refusal() == Some(Refusal::KeyRefused)
        ));
        let opened = f
            .desk
            .identity_log(Some(&number), Some(&key(&f.custodian)))
            .await
            .unwrap();
        assert_eq!(
            opened[0].sealed.as_ref().and_then(|d| d.reason.as_deref()),
            Some("prosecutor's request")
        );
        // A disclosure by a handler's key is refused: only a custodian may record one.
        let d = Disclosure {
            to: "Prokuratura".into(),
            legal_basis: "art. 8 ust. 3".into(),
            reason: "postanowienie".into(),
            reporter_notice: Some("informed".into()),
        };
        assert!(matches!(
            f.desk
                .disclose_identity(&number, &key(&f.handler), &d)
                .await,
            Err(ref e) if e.refusal() == Some(Refusal::KeyRefused)
        ));
        f.desk
            .disclose_identity(&number, &key(&f.custodian), &d)
            .await
            .unwrap();
        assert_eq!(
            f.desk
                .identity_log(Some(&number), None)
                .await
                .unwrap()
                .len(),
            2
        );
        let opened = f
            .desk
            .identity_log(Some(&number), Some(&key(&f.custodian)))
            .await
            .unwrap();
        let disclosed = opened[1].sealed.clone().unwrap();
        assert_eq!(disclosed.to.as_deref(), Some("Prokuratura"));
        assert_eq!(disclosed.legal_basis.as_deref(), Some("art. 8 ust. 3"));
        // Every custodian action ends with a signed checkpoint that verifies.
        let verdict = f.desk.verify_audit(None).await.unwrap();
        assert!(verdict.ok && verdict.checkpoints >= 2, "{verdict:?}");
        f.desk.close().await;
    }
}

on_each_backend! {
    async fn notes_are_sealed_to_every_reader_and_reading_them_is_recorded(backend) {
        let f = fixture(backend).await;
        let number = file_report(&f.desk).await;
        let text = zeroize::Zeroizing::new(b"Rozmowa z kierownikiem 12.03".to_vec());
        f.desk
            .add_event(
                &number,
                &key(&f.handler),
                NewNote {
                    kind: EventKind::Note,
                    on: None,
                    text: Some(text),
                },
            )
            .await
            .unwrap();
        // The custodian reads the handler's note: it was sealed to every reader.
        let history = f.desk.history(&number, &key(&f.custodian)).await.unwrap();
        assert_eq!(
            history.events[0].note.as_deref().map(|n| n.as_str()),
            Some("Rozmowa z kierownikiem 12.03")
        );
        assert_eq!(events(&f.desk).await.last(), Some(&Event::NotesOpened));
        f.desk.close().await;
    }
}

on_each_backend! {
    async fn art_29_export_shows_sealed_fields_only_to_a_reader_and_is_recorded(backend) {
        let f = fixture(backend).await;
        let number = file_report(&f.desk).await;
        f.desk
            .add_event(
                &number,
                &key(&f.handler),
                NewNote {
                    kind: EventKind::Action(crate::cases::ActionKind::Interview),
                    on: None,
                    text: Some(zeroize::Zeroizing::new(b"interview notes".to_vec())),
                },
            )
            .await
            .unwrap();
        let withheld = f.desk.export_register(None, None).await.unwrap();
        assert_eq!(
            withheld[0].actions[0].note.as_deref().map(|n| n.as_str()),
            Some("(sealed)")
        );
        assert!(matches!(
            f.desk.export_register(None, Some(&key(&f.outsider))).await,
            Err(ref e) if e.refusal() == Some(Refusal::KeyRefused)
        ));
        let opened = f
            .desk
            .export_register(None, Some(&key(&f.handler)))
            .await
            .unwrap();
        assert_eq!(
            opened[0].actions[0].note.as_deref().map(|n| n.as_str()),
            Some("interview notes")
        );
        let exports = events(&f.desk)
            .await
            .into_iter()
            .filter(|e| *e == Event::RegisterExported)
            .count();
        assert_eq!(exports, 2, "each export is recorded, the refused one not");
        f.desk.close().await;
    }
}

on_each_backend! {
    async fn a_removed_readers_key_cannot_decide_a_reseal(backend) {
        let f = fixture(backend).await;
        file_report(&f.desk).await;
        let fpr = crate::openpgp::fingerprint_hex(&f.handler);
        f.desk
            .remove_reader(&fpr.to_lowercase(), Some(&key(&f.custodian)))
            .await
            .unwrap();
        let request = ResealRequest {
            keys: vec![key(&f.handler)],
            dry_run: true,
            batch: 8,
            rotate_content: false,
        };
        let refused = f.desk.reseal(request, &mut |_, _| {}).await;
        assert!(matches!(refused, Err(DeskError::KeyRefused(m)) if m.contains("not a current reader")));
        assert!(matches!(
            f.desk.remove_reader(&fpr, Some(&key(&f.custodian))).await,
            Err(ref e) if e.refusal() == Some(Refusal::NotFound)
        ));
        f.desk.close().await;
    }
}

on_each_backend! {
    async fn exporting_a_case_is_recorded_and_never_carries_the_identity(backend) {
        let f = fixture(backend).await;
        let number = file_report(&f.desk).await;
        assert!(matches!(
            f.desk.export_case(&number, &key(&f.outsider)).await,
            Err(ref e) if e.refusal() == Some(Refusal::KeyRefused)
        ));
        let export = f.desk.export_case(&number, &key(&f.handler)).await.unwrap();
        assert!(export
            .report
            .body
            .as_deref()
            .unwrap_or("")
            .contains("pieniadze"));
        // The report half of the split holds no sender address.
        let json = serde_json::to_string(&export.report).unwrap();
        assert!(!json.contains("jan@example.org"));
        let trail = f.desk.audit_trail(Some(&number)).await.unwrap();
        let last = trail.last().unwrap();
        assert_eq!(last.event(), Some(Event::CaseExported));
        assert!(last.detail.contains("identity not included"));
        f.desk.close().await;
    }
}

on_each_backend! {
    async fn every_intake_key_change_is_recorded(backend) {
        let f = fixture(backend).await;
        let before = events(&f.desk).await;
        // init ran in the fixture: created once, and a second init changes nothing.
        assert_eq!(
            before
                .iter()
                .filter(|e| **e == Event::IntakeKeyCreated)
                .count(),
            1
        );
        assert!(
            f.desk
                .init(KeyAlgorithm::Cv25519, None)
                .await
                .unwrap()
                .existed
        );
        let earlier = generate_intake_key("Old <old@example.org>", KeyAlgorithm::Cv25519).unwrap();
        let secret = {
            use sequoia_openpgp::serialize::SerializeInto;
            earlier.as_tsk().armored().to_vec().unwrap()
        };
        let mut no_passphrase =
            |_: &str| -> Result<secrecy::SecretString, DeskError> { panic!("not protected") };
        f.desk
            .import_intake_keys("old.asc", &secret, &mut no_passphrase)
            .await
            .unwrap();
        assert!(matches!(
            f.desk
                .import_intake_keys("junk", b"not a key", &mut no_passphrase)
                .await,
            Err(ref e) if e.refusal() == Some(Refusal::KeyRefused)
        ));
        f.desk
            .rotate_intake_key(
                std::time::Duration::from_secs(0),
                None,
                KeyAlgorithm::Cv25519,
            )
            .await
            .unwrap();
        let after = events(&f.desk).await;
        assert_eq!(after.len(), before.len() + 2);
        assert!(after.ends_with(&[Event::IntakeKeyImported, Event::IntakeKeyRotated]));
        f.desk.close().await;
    }
}

on_each_backend! {
    async fn quarantine_retry_runs_the_intake_sequence_and_is_recorded(backend) {
        let f = fixture(backend).await;
        // A message that is not mail, held in quarantine as intake would hold it.
        let readers = Readers::load(&f.desk.register).await.unwrap();
        let (shred_id, shred) = f.desk.keys.new_shred_key().unwrap();
        let raw = crate::intake::seal_raw(b"\x00\x01 not mail", &readers, &shred).unwrap();
        let filed = f
            .desk
            .register
            .file_quarantine(
                &IntakeRef {
                    fingerprint: "fp-q".into(),
                    at: Position {
                        mailbox: "INBOX".into(),
                        uidvalidity: 1,
                        uid: 9,
                    },
                },
                &crate::register::NewQuarantine {
                    received_at: crate::register::today(),
                    reason: "mime-unparseable".into(),
                    detail: String::new(),
                    raw: Some((shred_id, raw)),
                },
            )
            .await
            .unwrap();
        let shreds = |desk: &Desk| {
            std::fs::read_dir(desk.keys.dir().join("shred"))
                .unwrap()
                .count()
        };
        let before = shreds(&f.desk);
        // The raw message holds the sender's details: neither an outsider nor a handler opens it.
        for refused in [&f.outsider, &f.handler] {
            assert!(matches!(
                f.desk
                    .retry_quarantine(Some(filed.id), &key(refused), |_| {})
                    .await,
                Err(ref e) if e.refusal() == Some(Refusal::KeyRefused)
            ));
        }
        let mut seen = Vec::new();
        let items = f
            .desk
            .retry_quarantine(None, &key(&f.custodian), |i| seen.push(i.clone()))
            .await
            .unwrap();
        assert_eq!(items, seen);
        assert!(matches!(&items[..], [RetryItem::StillQuarantined { id, .. }] if *id == filed.id));
        assert_eq!(
            events(&f.desk).await.last(),
            Some(&Event::QuarantineRetried)
        );
        // The shred key made for the retry protects nothing and is gone again.
        assert_eq!(shreds(&f.desk), before);
        f.desk.close().await;
    }
}

/// Holds `raw` in quarantine as intake would; returns the entry id and its shred key id.
async fn hold(desk: &Desk, raw: &[u8], uid: u32) -> (i64, String) {
    let readers = Readers::load(&desk.register).await.unwrap();
    let (shred_id, shred) = desk.keys.new_shred_key().unwrap();
    let sealed = crate::intake::seal_raw(raw, &readers, &shred).unwrap();
    let filed = desk
        .register
        .file_quarantine(
            &IntakeRef {
                fingerprint: format!("fp-{uid}"),
                at: Position {
                    mailbox: "INBOX".into(),
                    uidvalidity: 1,
                    uid,
                },
            },
            &crate::register::NewQuarantine {
                received_at: crate::register::today(),
                reason: "openpgp-no-matching-key".into(),
                detail: String::new(),
                raw: Some((shred_id.clone(), sealed)),
            },
        )
        .await
        .unwrap();
    (filed.id, shred_id)
}

on_each_backend! {
    async fn a_quarantined_raw_message_is_destroyed_once_filed_or_discarded(backend) {
        let f = fixture(backend).await;
        let (filed_id, filed_shred) = hold(&f.desk, REPORT, 21).await;
        let (dropped_id, dropped_shred) = hold(&f.desk, b"\x00 not mail", 22).await;
        let shred_file = |id: &str| f.desk.keys.dir().join("shred").join(format!("{id}.key"));
        assert!(shred_file(&filed_shred).exists() && shred_file(&dropped_shred).exists());

        let items = f
            .desk
            .retry_quarantine(Some(filed_id), &key(&f.custodian), |_| {})
            .await
            .unwrap();
        assert!(matches!(&items[..], [RetryItem::Filed { .. }]), "{items:?}");
        // Discarding needs a custodian too.
        assert!(matches!(
            f.desk
                .discard_quarantine(dropped_id, &key(&f.handler))
                .await,
            Err(ref e) if e.refusal() == Some(Refusal::KeyRefused)
        ));
        f.desk
            .discard_quarantine(dropped_id, &key(&f.custodian))
            .await
            .unwrap();
        for (id, shred) in [(filed_id, &filed_shred), (dropped_id, &dropped_shred)] {
            let entry = f.desk.register.quarantine_entry(id).await.unwrap().unwrap();
            assert!(entry.raw.is_none(), "raw of #{id} kept");
            assert!(!shred_file(shred).exists(), "shred key of #{id} kept");
        }
        let log = events(&f.desk).await;
        assert!(log.contains(&Event::QuarantineDiscarded));
        assert_eq!(
            log.iter()
                .filter(|e| **e == Event::ShredKeyDestroyed)
                .count(),
            2
        );
        // Nothing to retry or discard any more.
        assert!(matches!(
            f.desk
                .discard_quarantine(dropped_id, &key(&f.custodian))
                .await,
            Err(ref e) if e.refusal() == Some(Refusal::NotFound)
        ));
        f.desk.close().await;
    }
}

on_each_backend! {
    async fn reader_changes_need_a_custodians_consent_once_one_exists(backend) {
        let f = fixture(backend).await;
        let outsider = armored_public(&f.outsider).unwrap();
        // Without approval, or approved by a handler: refused, nothing changes.
        for approver in [None, Some(key(&f.handler)), Some(key(&f.outsider))] {
            let refused = f
                .desk
                .add_reader(
                    "t",
                    outsider.as_bytes(),
                    "Mallory",
                    Role::Custodian,
                    approver.as_ref(),
                )
                .await;
            assert!(
                matches!(refused, Err(ref e) if e.refusal() == Some(Refusal::KeyRefused)),
                "{refused:?}"
            );
        }
        let handler_fpr = crate::openpgp::fingerprint_hex(&f.handler);
        assert!(matches!(
            f.desk
                .set_reader_role(&handler_fpr, Role::Custodian, None)
                .await,
            Err(ref e) if e.refusal() == Some(Refusal::KeyRefused)
        ));
        // Re-adding an existing reader never changes its role.
        let again = armored_public(&f.handler).unwrap();
        assert!(matches!(
            f.desk
                .add_reader(
                    "t",
                    again.as_bytes(),
                    "H",
                    Role::Custodian,
                    Some(&key(&f.custodian))
                )
                .await,
            Err(ref e) if e.refusal() == Some(Refusal::Invalid)
        ));
        let roles = |rows: Vec<ReaderListing>| -> Vec<(String, Role)> {
            rows.into_iter().map(|r| (r.fingerprint, r.role)).collect()
        };
        let before = roles(f.desk.readers().await.unwrap());
        assert_eq!(before.len(), 2);
        // With a custodian's consent: done, each change its own audit event.
        f.desk
            .add_reader(
                "t",
                outsider.as_bytes(),
                "Olga",
                Role::Handler,
                Some(&key(&f.custodian)),
            )
            .await
            .unwrap();
        f.desk
            .set_reader_role(&handler_fpr, Role::Custodian, Some(&key(&f.custodian)))
            .await
            .unwrap();
        let log = events(&f.desk).await;
        assert!(log.contains(&Event::ReaderRoleChanged));
        let set = Readers::load(&f.desk.register).await.unwrap();
        assert!(set.consent_in_force && set.unconsented.is_empty());
        assert_eq!(set.custodians.len(), 2);
        f.desk.close().await;
    }
}

on_each_backend! {
    async fn a_reader_written_into_the_register_by_hand_is_not_sealed_to(backend) {
        let f = fixture(backend).await;
        // Someone with the file adds himself as custodian, bypassing sygnal.
        let rogue = armored_public(&f.outsider).unwrap();
        f.desk
            .register
            .add_reader(
                &crate::register::NewReader {
                    fingerprint: crate::openpgp::fingerprint_hex(&f.outsider),
                    name: "Mallory".into(),
                    role: Role::Custodian,
                    cert: rogue.into_bytes(),
                },
                &[],
                "admin",
            )
            .await
            .unwrap();
        let set = Readers::load(&f.desk.register).await.unwrap();
        assert_eq!(set.custodians.len(), 1, "the rogue custodian is sealed to");
        assert_eq!(set.unconsented.len(), 1);
        let listed = f.desk.readers().await.unwrap();
        assert!(listed
            .iter()
            .any(|r| matches!(r.standing, ReaderStanding::NotApproved { .. })));
        f.desk.close().await;
    }
}

on_each_backend! {
    async fn an_imported_protected_key_is_unlocked_with_its_own_passphrase_and_opens_again(backend) {
        let f = fixture(backend).await;
        let old = generate_intake_key("Old <old@example.org>", KeyAlgorithm::Cv25519).unwrap();
        let locked = crate::openpgp::protect(
            old.clone(),
            &secrecy::SecretString::from("stara".to_owned()),
        )
        .unwrap();
        let armored = crate::openpgp::armored_secret(&locked).unwrap();
        // A wrong passphrase stores nothing.
        let mut wrong = |_: &str| Ok(secrecy::SecretString::from("zla".to_owned()));
        assert!(matches!(
            f.desk
                .import_intake_keys("old.asc", &armored, &mut wrong)
                .await,
            Err(ref e) if e.refusal() == Some(Refusal::KeyRefused)
        ));
        let fpr = crate::openpgp::fingerprint_hex(&old);
        assert!(f.desk.keys.check_intake(&fpr).is_err());
        let mut asked = Vec::new();
        let mut right = |k: &str| {
            asked.push(k.to_owned());
            Ok(secrecy::SecretString::from("stara".to_owned()))
        };
        let done = f
            .desk
            .import_intake_keys("old.asc", &armored, &mut right)
            .await
            .unwrap();
        assert_eq!(asked, std::slice::from_ref(&fpr));
        assert!(done[0].imported);
        // Stored as the gateway can open it at its next start.
        f.desk.keys.check_intake(&fpr).unwrap();
        assert!(f
            .desk
            .keys
            .intake_keyring()
            .unwrap()
            .fingerprints()
            .contains(&fpr));
        f.desk.close().await;
    }
}

on_each_backend! {
    /// Retention runs in one process at a time: while another replica holds the retention
    /// lease nothing is done and the run says who; once released, it runs.
    async fn retention_runs_in_one_process_at_a_time(backend) {
        let f = fixture(backend).await;
        let acquired = f
            .desk
            .register
            .acquire_lease("retention", "another replica", 60_000, &|_| false, None)
            .await
            .unwrap();
        let crate::register::Acquired::Held { lease, .. } = acquired else {
            panic!("lease not taken")
        };
        let run = f.desk.run_retention(false).await.unwrap();
        assert_eq!(run.running_elsewhere.as_deref(), Some("another replica"));
        // A dry run only reads: it goes ahead.
        let dry = f.desk.run_retention(true).await.unwrap();
        assert!(dry.running_elsewhere.is_none());
        f.desk
            .register
            .release_lease("retention", "another replica", lease.token)
            .await
            .unwrap();
        let run = f.desk.run_retention(false).await.unwrap();
        assert!(run.running_elsewhere.is_none());
        // Released again after the run: the other replica can take it.
        let again = f
            .desk
            .register
            .acquire_lease("retention", "another replica", 60_000, &|_| false, None)
            .await
            .unwrap();
        assert!(matches!(again, crate::register::Acquired::Held { .. }), "{again:?}");
    }
}

/// `/health` fails while a mailbox was not drained within the limit, and with a drain within
/// it and a writable register passes; `/metrics` counts the register's overdue deadlines.
#[tokio::test]
async fn health_fails_for_a_mailbox_not_drained_within_the_limit() {
    let f = fixture(Backend::Sqlite).await;
    file_report(&f.desk).await;
    let at = Installation {
        config: f._dir.path().join("sygnal.toml"),
        tenant: None,
    };
    let stale = Operations::with_limit(at.clone(), std::time::Duration::ZERO);
    let health = stale.health().await;
    assert_eq!(health.problems.len(), 1, "{:?}", health.problems);
    assert!(health.problems[0].contains("mailbox not drained for"));

    let fresh = Operations::with_limit(at, std::time::Duration::from_secs(3600));
    assert!(fresh.health().await.problems.is_empty());
    let text = fresh.metrics_text().await;
    assert!(
        text.contains("sygnal_deadlines_overdue{kind=\"acknowledgement\"} 0"),
        "{text}"
    );
    assert!(text.contains("sygnal_deletions_pending "), "{text}");
}
