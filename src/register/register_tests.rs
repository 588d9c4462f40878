use std::os::unix::fs::PermissionsExt;

use chrono::NaiveDate;
use sqlx::Row;

use super::store::args;
use super::testing::on_each_backend;
use super::*;
use crate::vault::StoredBlob;

fn blob(tag: u8) -> StoredBlob {
    StoredBlob {
        pkesks: vec![tag; 8],
        body: vec![tag; 16],
    }
}

fn new_case(date: &str) -> NewCase {
    NewCase {
        contact: None,
        acknowledgement: None,
        received_at: date.parse::<NaiveDate>().unwrap(),
        encrypted: true,
        signature: crate::split::SignatureLabel::Unsigned,
        flags: Vec::new(),
        shred_key: "00ff".into(),
        report: blob(1),
        identity: blob(2),
        attachments: Vec::new(),
    }
}

fn intake(fp: &str, uid: u32) -> IntakeRef {
    IntakeRef {
        fingerprint: fp.into(),
        at: Position {
            mailbox: "INBOX".into(),
            uidvalidity: 7,
            uid,
        },
    }
}

async fn open_temp() -> (tempfile::TempDir, Register) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("var").join("register.db");
    let reg = Register::open(&crate::config::RegisterConfig::Sqlite { path })
        .await
        .unwrap();
    (dir, reg)
}

fn pattern() -> crate::cases::NumberPattern {
    crate::cases::NumberPattern::parse(crate::cases::NumberPattern::DEFAULT).unwrap()
}

#[tokio::test]
async fn durability_settings_are_in_force_and_file_is_private() {
    let (dir, reg) = open_temp().await;
    let Register::Sqlite(s) = &reg else {
        unreachable!()
    };
    let mode: String = sqlx::query("PRAGMA journal_mode")
        .fetch_one(&s.pool)
        .await
        .unwrap()
        .get(0);
    let sync: i64 = sqlx::query("PRAGMA synchronous")
        .fetch_one(&s.pool)
        .await
        .unwrap()
        .get(0);
    let secure: i64 = sqlx::query("PRAGMA secure_delete")
        .fetch_one(&s.pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(mode, "wal");
    assert_eq!(sync, 2, "synchronous=FULL");
    assert_eq!(secure, 1);
    let file_mode = std::fs::metadata(dir.path().join("var/register.db"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(file_mode & 0o077, 0, "register file must be 0600");
    let dir_mode = std::fs::metadata(dir.path().join("var"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(dir_mode & 0o077, 0, "register folder must be 0700");
}

on_each_backend! {
    async fn case_numbers_follow_the_pattern_and_restart_each_year(backend) {
        let (_held, reg) = backend.open().await;
        let a = reg
            .file_case(&intake("a", 1), &new_case("2026-12-31"), &pattern())
            .await
            .unwrap();
        let b = reg
            .file_case(&intake("b", 2), &new_case("2026-12-31"), &pattern())
            .await
            .unwrap();
        let c = reg
            .file_case(&intake("c", 3), &new_case("2027-01-01"), &pattern())
            .await
            .unwrap();
        assert_eq!(a.number, "ZW/2026/0001");
        assert_eq!(b.number, "ZW/2026/0002");
        assert_eq!(c.number, "ZW/2027/0001");
        let list = reg.list_cases().await.unwrap();
        assert_eq!(list.len(), 3);
        assert_eq!(list[2].received_at.to_string(), "2027-01-01");
    }
    async fn invariant_1_same_fingerprint_is_never_filed_twice(backend) {
        let (_held, reg) = backend.open().await;
        reg.file_case(&intake("same", 1), &new_case("2026-05-05"), &pattern())
            .await
            .unwrap();
        // A second filing of the same message (e.g. renumbered by the server) fails as a whole:
        // the transaction rolls back, leaving no orphan case.
        let err = reg
            .file_case(&intake("same", 9), &new_case("2026-05-05"), &pattern())
            .await;
        assert!(err.is_err());
        assert_eq!(reg.list_cases().await.unwrap().len(), 1);
        let row = reg.intake_by_fingerprint("same").await.unwrap().unwrap();
        assert_eq!(row.at.uid, 1);
        assert_eq!(row.deletion, Deletion::Pending);
        assert_eq!(row.label, "ZW/2026/0001");
    }
    async fn deletion_bookkeeping_is_per_message_and_audited(backend) {
        let (_held, reg) = backend.open().await;
        reg.file_case(&intake("x", 1), &new_case("2026-05-05"), &pattern())
            .await
            .unwrap();
        let q = reg
            .file_quarantine(
                &intake("y", 2),
                &NewQuarantine {
                    received_at: "2026-05-05".parse().unwrap(),
                    reason: "openpgp-integrity".into(),
                    detail: "d".into(),
                    raw: Some(("ab".into(), blob(3))),
                },
            )
            .await
            .unwrap();
        let pending = reg.pending_deletions("INBOX").await.unwrap();
        assert_eq!(pending.len(), 2);
        assert_eq!(pending[1].label, format!("quarantine #{}", q.id));
        reg.mark_deleted(&pending[0]).await.unwrap();
        let pending = reg.pending_deletions("INBOX").await.unwrap();
        assert_eq!(pending.len(), 1);
        let audit = reg.audit_entries().await.unwrap();
        assert!(audit.iter().any(
            |a| a.action == "ServerCopyDeleted" && a.case_number.as_deref() == Some("ZW/2026/0001")
        ));
        assert!(audit.iter().any(|a| a.action == "MessageQuarantined"));
    }
    async fn oversized_messages_are_remembered_as_left_on_server(backend) {
        let (_held, reg) = backend.open().await;
        let at = intake("oversize:INBOX:7:5", 5);
        reg.file_quarantine(
            &at,
            &NewQuarantine {
                received_at: "2026-05-05".parse().unwrap(),
                reason: "message-too-large".into(),
                detail: "".into(),
                raw: None,
            },
        )
        .await
        .unwrap();
        assert!(reg.left_on_server(&at.at).await.unwrap());
        assert!(reg.pending_deletions("INBOX").await.unwrap().is_empty());
        let q = reg.list_quarantine().await.unwrap();
        assert_eq!(q[0].state, "left-on-server");
    }
    async fn uidvalidity_change_is_reported_once(backend) {
        let (_held, reg) = backend.open().await;
        assert_eq!(reg.note_uidvalidity("INBOX", 7).await.unwrap(), None);
        assert_eq!(reg.note_uidvalidity("INBOX", 7).await.unwrap(), None);
        assert_eq!(reg.note_uidvalidity("INBOX", 9).await.unwrap(), Some(7));
        assert_eq!(reg.note_uidvalidity("INBOX", 9).await.unwrap(), None);
    }
    async fn quarantine_retry_files_once(backend) {
        let (_held, reg) = backend.open().await;
        let q = reg
            .file_quarantine(
                &intake("q", 1),
                &NewQuarantine {
                    received_at: "2026-05-05".parse().unwrap(),
                    reason: "openpgp-no-matching-key".into(),
                    detail: "".into(),
                    raw: Some(("ab".into(), blob(3))),
                },
            )
            .await
            .unwrap();
        let filed = reg
            .file_case_from_quarantine(q.id, &new_case("2026-05-05"), &pattern())
            .await
            .unwrap();
        assert_eq!(filed.number, "ZW/2026/0001");
        assert!(reg
            .file_case_from_quarantine(q.id, &new_case("2026-05-05"), &pattern())
            .await
            .is_err());
        assert_eq!(reg.list_cases().await.unwrap().len(), 1);
        let q = reg.list_quarantine().await.unwrap();
        assert_eq!(q[0].state, "filed");
        assert_eq!(q[0].case.as_deref(), Some("ZW/2026/0001"));
    }
    async fn random_case_numbers_are_unique_in_their_year_and_do_not_follow_arrival(backend) {
        let (_held, reg) = backend.open().await;
        let random = crate::cases::NumberPattern::parse("ZW/{year}/{rand:4}").unwrap();
        let mut numbers = Vec::new();
        for uid in 1..=30 {
            let filed = reg
                .file_case(
                    &intake(&format!("fp-{uid}"), uid),
                    &new_case("2026-03-01"),
                    &random,
                )
                .await
                .unwrap();
            numbers.push(filed.number);
        }
        let distinct: std::collections::BTreeSet<&String> = numbers.iter().collect();
        assert_eq!(distinct.len(), numbers.len());
        assert!(numbers
            .iter()
            .all(|n| n.starts_with("ZW/2026/") && n.len() == 12));
        let mut sorted = numbers.clone();
        sorted.sort();
        assert_ne!(
            sorted, numbers,
            "30 random numbers came out in order of arrival"
        );
    }
    async fn a_confirmed_deletion_forgets_position_and_fingerprint(backend) {
        let (_held, reg) = backend.open().await;
        let filed = reg
            .file_case(&intake("fp-a", 4), &new_case("2026-03-01"), &pattern())
            .await
            .unwrap();
        let row = reg.intake_by_fingerprint("fp-a").await.unwrap().unwrap();
        assert_eq!(row.id, filed.intake_id);
        assert!(reg.content_fingerprints_in_use().await.unwrap());
        reg.mark_deleted(&row).await.unwrap();
        assert!(reg.intake_by_fingerprint("fp-a").await.unwrap().is_none());
        assert!(!reg.content_fingerprints_in_use().await.unwrap());
        assert_eq!(reg.intake_positions_after_deletion().await.unwrap(), 0);
        assert!(reg.pending_deletions("INBOX").await.unwrap().is_empty());
        let entries = reg.audit_entries().await.unwrap();
        let deleted = entries
            .iter()
            .find(|e| e.action == "ServerCopyDeleted")
            .unwrap();
        assert!(
            !deleted.detail.contains("uid") && deleted.at.len() == 10,
            "{deleted:?}"
        );
    }
    async fn a_batch_looks_up_what_was_filed_and_what_was_tried_in_one_query_each(backend) {
        let (_held, reg) = backend.open().await;
        reg.file_case(&intake("filed", 4), &new_case("2026-03-01"), &pattern())
            .await
            .unwrap();
        assert_eq!(reg.record_attempts(&["tried", "tried"]).await.unwrap(), vec![1, 2]);
        let asked = ["filed", "tried", "new"];
        let filed = reg.intakes_by_fingerprints(&asked).await.unwrap();
        assert_eq!(filed.len(), 1);
        assert_eq!(filed["filed"].at.uid, 4);
        assert_eq!(filed["filed"].label, "ZW/2026/0001");
        let tried = reg.attempts_so_far(&asked).await.unwrap();
        assert_eq!(tried.len(), 1);
        assert_eq!(tried["tried"], 2);
        assert!(reg.intakes_by_fingerprints(&[]).await.unwrap().is_empty());
        assert!(reg.attempts_so_far(&[]).await.unwrap().is_empty());
    }
    /// A body past one chunk is stored in 1 MiB chunks (the driver never copies it whole), read back
    /// byte for byte, sized in the listing, and its chunks go when the raw message is destroyed.
    async fn large_sealed_bodies_are_stored_in_chunks_and_read_back_whole(backend) {
        let (_held, reg) = backend.open().await;
        let big: Vec<u8> = (0..(5 * super::chunks::CHUNK_BYTES / 2))
            .map(|i| (i % 251) as u8)
            .collect();
        let mut case = new_case("2026-05-05");
        case.report.body = big.clone();
        let filed = reg
            .file_case(&intake("big", 1), &case, &pattern())
            .await
            .unwrap();
        assert_eq!(chunk_rows(&reg, "cases.report:").await, 3);
        assert_eq!(
            chunk_rows(&reg, "cases.identity:").await,
            0,
            "small stays inline"
        );
        let record = reg.case(&filed.number).await.unwrap().unwrap();
        assert!(record.report.body == big, "report read back whole");
        assert_eq!(record.identity.body, blob(2).body);

        let raw = StoredBlob {
            pkesks: vec![9],
            body: big.clone(),
        };
        let q = reg
            .file_quarantine(
                &intake("q-big", 2),
                &NewQuarantine {
                    received_at: "2026-05-05".parse().unwrap(),
                    reason: "openpgp-too-many-blocks".into(),
                    detail: "".into(),
                    raw: Some(("cd".into(), raw)),
                },
            )
            .await
            .unwrap();
        assert_eq!(chunk_rows(&reg, "quarantine.raw:").await, 3);
        let entry = reg.quarantine_entry(q.id).await.unwrap().unwrap();
        assert!(entry.raw.unwrap().1.body == big);
        let listed = reg.list_quarantine().await.unwrap();
        assert_eq!(
            listed[0].sealed_bytes,
            Some(i64::try_from(big.len()).unwrap() + 1)
        );
        reg.discard_quarantine(q.id, "custodian:ABCD")
            .await
            .unwrap();
        assert_eq!(chunk_rows(&reg, "quarantine.raw:").await, 0);
        assert!(reg
            .quarantine_entry(q.id)
            .await
            .unwrap()
            .unwrap()
            .raw
            .is_none());
    }
}

#[tokio::test]
async fn upgrading_an_older_register_forgets_positions_and_drops_plaintext_free_text() {
    // A register as wave 1 left it: migrations 1-3 only, with what they allowed.
    let dir = tempfile::tempdir().unwrap();
    let old = dir.path().join("old-migrations");
    std::fs::create_dir(&old).unwrap();
    for name in [
        "0001_register.sql",
        "0002_workflow.sql",
        "0003_key_lifecycle.sql",
    ] {
        std::fs::copy(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("migrations/sqlite")
                .join(name),
            old.join(name),
        )
        .unwrap();
    }
    std::fs::create_dir(dir.path().join("var")).unwrap();
    std::fs::set_permissions(
        dir.path().join("var"),
        std::fs::Permissions::from_mode(0o700),
    )
    .unwrap();
    let path = dir.path().join("var").join("register.db");
    {
        let pool = sqlx::SqlitePool::connect_with(
            sqlx::sqlite::SqliteConnectOptions::new()
                .filename(&path)
                .create_if_missing(true)
                .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal),
        )
        .await
        .unwrap();
        sqlx::migrate::Migrator::new(old.as_path())
            .await
            .unwrap()
            .run(&pool)
            .await
            .unwrap();
        for sql in [
            "INSERT INTO cases (number, year, seq, received_at, status, encrypted, signed, shred_key, \
             report_pkesks, report_body, identity_pkesks, identity_body, filed_at) VALUES \
             ('ZW/2026/0001', 2026, 1, '2026-03-01', 'received', 1, 1, '00ff', x'01', x'01', x'02', x'02', \
              '2026-03-01T09:14:27Z')",
            "INSERT INTO intake (fingerprint, mailbox, uidvalidity, uid, size, case_id, deletion, recorded_at) \
             VALUES ('fp-old', 'INBOX', 7, 4242, 31337, 1, 'deleted', '2026-03-01T09:14:27Z')",
            "INSERT INTO disclosures (case_id, at, actor, recipient, legal_basis, reason, reporter_notice, audit_id) \
             VALUES (1, '2026-03-02T10:00:00Z', 'C', 'Prokuratura', 'art. 8', 'wezwanie', 'informed', 1)",
        ] {
            sqlx::query(sql).execute(&pool).await.unwrap();
        }
        pool.close().await;
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let reg = Register::open(&crate::config::RegisterConfig::Sqlite { path: path.clone() })
        .await
        .unwrap();
    let Register::Sqlite(s) = &reg else {
        unreachable!()
    };
    let row =
        sqlx::query("SELECT fingerprint, mailbox, uid, recorded_on FROM intake WHERE case_id = 1")
            .fetch_one(&s.pool)
            .await
            .unwrap();
    assert_eq!(row.get::<Option<String>, _>(0), None);
    assert_eq!(row.get::<Option<String>, _>(1), None);
    assert_eq!(row.get::<Option<i64>, _>(2), None);
    assert_eq!(row.get::<String, _>(3), "2026-03-01");
    let cols: Vec<String> = sqlx::query("SELECT name FROM pragma_table_info('disclosures')")
        .fetch_all(&s.pool)
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert!(!cols
        .iter()
        .any(|c| c == "recipient" || c == "reason" || c == "legal_basis"));
    let case = reg.list_cases().await.unwrap();
    // "Signed" then meant "verified with any key": now "signer unknown".
    assert_eq!(
        case[0].signature,
        crate::split::SignatureLabel::UnknownSigner
    );
    let filed_at: String = sqlx::query("SELECT filed_at FROM cases")
        .fetch_one(&s.pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(filed_at, "2026-03-01");
    reg.close().await;
}

/// Counts chunk rows per owner prefix, straight from the table.
async fn chunk_rows(reg: &Register, prefix: &str) -> i64 {
    reg.one(
        "count chunks",
        "SELECT COUNT(*) AS n FROM blob_chunks WHERE owner LIKE $1",
        args![format!("{prefix}%").as_str()],
    )
    .await
    .unwrap()
    .get("n", "count chunks")
    .unwrap()
}

/// A PostgreSQL register needs a server that keeps every commit: a session that may lose one
/// (synchronous_commit off, or local with a standby waiting) is refused at start.
#[tokio::test]
async fn postgres_refuses_a_session_that_may_lose_a_commit() {
    let pg = super::testing::cluster::cluster();
    let dir = tempfile::tempdir().unwrap();
    for setting in ["off", "local"] {
        let url = format!("{}?options=-c%20synchronous_commit%3D{setting}", pg.url());
        let err = Register::open(&crate::config::RegisterConfig::Postgres {
            url: crate::config::PasswordSource::File(pg.url_file(dir.path(), &url)),
            schema: pg.fresh_schema(),
        })
        .await
        .err()
        .unwrap();
        assert!(
            matches!(err, RegisterError::Durability(_)),
            "{setting}: {err}"
        );
        assert!(err.to_string().contains("synchronous_commit"), "{err}");
    }
}

/// Over TLS the server must prove its name with a certificate from the trusted root: the
/// cluster's own certificate opens, the system's roots (which never signed it) do not.
#[tokio::test]
async fn postgres_over_tls_verifies_the_servers_certificate() {
    let pg = super::testing::cluster::cluster();
    let dir = tempfile::tempdir().unwrap();
    let open = async |url: &str| {
        Register::open(&crate::config::RegisterConfig::Postgres {
            url: crate::config::PasswordSource::File(pg.url_file(dir.path(), url)),
            schema: pg.fresh_schema(),
        })
        .await
    };
    let reg = open(&pg.tls_url()).await.unwrap();
    reg.list_cases().await.unwrap();
    reg.close().await;
    let untrusted = pg
        .tls_url()
        .replace(&format!("&sslrootcert={}", pg.ca_pem.display()), "");
    let err = open(&untrusted).await.err().unwrap();
    assert!(matches!(err, RegisterError::Unreachable { .. }), "{err}");
    let text = err.to_string();
    assert!(text.contains(&format!("localhost:{}", pg.port)), "{text}");
    assert!(!text.contains(&pg.password), "password leaked: {text}");
}

/// The wrong password is refused and said so, with where and as whom, never the password.
#[tokio::test]
async fn postgres_login_failure_names_the_server_and_user_not_the_password() {
    let pg = super::testing::cluster::cluster();
    let dir = tempfile::tempdir().unwrap();
    let url = pg.url().replace(&pg.password, "wrong-password");
    let err = Register::open(&crate::config::RegisterConfig::Postgres {
        url: crate::config::PasswordSource::File(pg.url_file(dir.path(), &url)),
        schema: pg.fresh_schema(),
    })
    .await
    .err()
    .unwrap();
    let text = err.to_string();
    assert!(text.contains(&format!("127.0.0.1:{}", pg.port)), "{text}");
    assert!(text.contains("user postgres"), "{text}");
    assert!(!text.contains("wrong-password"), "{text}");
}

on_each_backend! {
    /// One holder at a time; a lapsed lease or a gone holder is taken over under a new token,
    /// and the old holder is fenced off: it can neither renew nor pass the check before a
    /// deletion.
    async fn a_lease_has_one_holder_and_a_takeover_fences_the_old_one(backend) {
        let (_held, reg) = backend.open().await;
        let alive = |_: &str| false;
        let gone = |_: &str| true;
        let Acquired::Held { lease: a, taken_over: None } =
            reg.acquire_lease("intake", "A", 60_000, &alive, None).await.unwrap()
        else {
            panic!("a free lease is taken")
        };
        assert_eq!(a.token, 1);
        let busy = reg.acquire_lease("intake", "B", 60_000, &alive, None).await.unwrap();
        assert!(
            matches!(busy, Acquired::Busy { ref holder, remaining_ms } if holder == "A" && remaining_ms > 50_000),
            "{busy:?}"
        );
        assert!(reg.lease_holds("intake", "A", 1, 10_000).await.unwrap());
        assert!(!reg.lease_holds("intake", "B", 1, 0).await.unwrap());
        // Too little time left for a deletion to finish under it: the check fails.
        assert!(!reg.lease_holds("intake", "A", 1, 120_000).await.unwrap());
        assert!(reg.renew_lease("intake", "A", 1, 60_000).await.unwrap().is_some());

        // A holder known to be gone (its process ended) is taken over at once.
        let Acquired::Held { lease: b, taken_over } =
            reg.acquire_lease("intake", "B", 60, &gone, None).await.unwrap()
        else {
            panic!("a gone holder's lease is taken over")
        };
        assert_eq!((b.token, taken_over.as_deref()), (2, Some("A")));
        assert!(reg.renew_lease("intake", "A", 1, 60_000).await.unwrap().is_none());
        assert!(!reg.lease_holds("intake", "A", 1, 0).await.unwrap());

        // B's 60 ms lapse; A takes it back under a third token and B is fenced off.
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        assert!(reg.renew_lease("intake", "B", 2, 60_000).await.unwrap().is_none(), "a lapsed lease is not renewed");
        let Acquired::Held { lease: c, .. } =
            reg.acquire_lease("intake", "A", 60_000, &alive, None).await.unwrap()
        else {
            panic!("a lapsed lease is taken")
        };
        assert_eq!(c.token, 3);
        assert!(!reg.lease_holds("intake", "B", 2, 0).await.unwrap());

        // A clean stop hands over at once.
        reg.release_lease("intake", "A", 3).await.unwrap();
        let Acquired::Held { lease: d, .. } =
            reg.acquire_lease("intake", "B", 60_000, &alive, None).await.unwrap()
        else {
            panic!("a released lease is taken at once")
        };
        assert_eq!(d.token, 4);
    }
}

on_each_backend! {
    /// A gateway past its share of the mailboxes takes a free lease only once it has stayed
    /// free for a while, so one within its share takes it first; a gone holder's lease counts
    /// as free from when that was noticed.
    async fn a_gateway_past_its_share_takes_a_lease_only_after_it_stayed_free(backend) {
        let (_held, reg) = backend.open().await;
        let alive = |_: &str| false;
        let gone = |_: &str| true;
        let busy = |a: &Acquired| matches!(a, Acquired::Busy { .. });
        assert!(busy(&reg.acquire_lease("m", "A", 60_000, &alive, Some(150)).await.unwrap()));
        assert!(busy(&reg.acquire_lease("m", "A", 60_000, &alive, Some(150)).await.unwrap()));
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let Acquired::Held { lease, taken_over: None } =
            reg.acquire_lease("m", "A", 60_000, &alive, Some(150)).await.unwrap()
        else {
            panic!("free long enough: taken")
        };
        // A gateway within its share takes a free lease at once; one past it waits.
        let Acquired::Held { .. } = reg.acquire_lease("n", "B", 60_000, &alive, None).await.unwrap()
        else {
            panic!("within its share: taken at once")
        };
        // A's process is gone: B, past its share, frees it now and takes it after the wait.
        assert!(busy(&reg.acquire_lease("m", "B", 60_000, &gone, Some(150)).await.unwrap()));
        assert!(busy(&reg.acquire_lease("m", "B", 60_000, &gone, Some(150)).await.unwrap()));
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
        let Acquired::Held { lease: taken, taken_over } =
            reg.acquire_lease("m", "B", 60_000, &gone, Some(150)).await.unwrap()
        else {
            panic!("taken after the wait")
        };
        assert_eq!(taken.token, lease.token + 1);
        assert_eq!(taken_over.as_deref(), Some("A"));
    }
}

/// A transaction PostgreSQL aborts for a serialization conflict or a deadlock changed nothing
/// and is run again from the start; what it wrote then commits once.
#[tokio::test]
async fn postgres_runs_a_transaction_again_after_a_serialization_failure() {
    let (_held, reg) = super::testing::Backend::Postgres.open().await;
    for code in ["40001", "40P01"] {
        let mut tries = 0;
        let result = reg
            .write(async |tx| {
                tries += 1;
                tx.exec(
                    "write",
                    "INSERT INTO mailbox_state (mailbox, uidvalidity, updated_at) VALUES ($1, 1, 'x')",
                    args![code],
                )
                .await?;
                if tries == 1 {
                    tx.exec(
                        "conflict",
                        &format!("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '{code}'; END $$"),
                        &[],
                    )
                    .await?;
                }
                Ok(())
            })
            .await;
        result.unwrap();
        assert_eq!(tries, 2, "{code}");
        let n: i64 = reg
            .one(
                "count",
                "SELECT COUNT(*) AS n FROM mailbox_state WHERE mailbox = $1",
                args![code],
            )
            .await
            .unwrap()
            .get("n", "count")
            .unwrap();
        assert_eq!(n, 1, "{code}: written once");
    }
    // Any other failure is not retried.
    let mut tries = 0;
    let err = reg
        .write(async |tx| {
            tries += 1;
            tx.exec("bad", "SELECT * FROM no_such_table", &[]).await?;
            Ok(())
        })
        .await;
    assert!(err.is_err());
    assert_eq!(tries, 1);
}

on_each_backend! {
    /// A handler gets one digest a day: a sent one is not sent again, an interrupted one is
    /// sent once more under the same Message-ID, a failed one waits for its retry time and
    /// gives up after DIGEST_ATTEMPTS attempts.
    async fn a_deadline_digest_goes_once_a_day_and_an_interrupted_one_keeps_its_message_id(backend) {
        let (_held, reg) = backend.open().await;
        let day: chrono::NaiveDate = "2026-12-04".parse().unwrap();
        let send = |id: &str, resend| DigestAttempt::Send { message_id: id.to_owned(), resend };
        assert_eq!(reg.begin_digest(day, "H1", "m1@x").await.unwrap(), send("m1@x", false));
        // Cut off before the server answered: the same message again.
        assert_eq!(reg.begin_digest(day, "H1", "m2@x").await.unwrap(), send("m1@x", true));
        reg.digest_sent(day, "H1").await.unwrap();
        assert_eq!(reg.begin_digest(day, "H1", "m3@x").await.unwrap(), DigestAttempt::Skip);
        // The next day is a new digest.
        let next = day.succ_opt().unwrap();
        assert_eq!(reg.begin_digest(next, "H1", "m4@x").await.unwrap(), send("m4@x", false));

        assert_eq!(reg.begin_digest(day, "H2", "m5@x").await.unwrap(), send("m5@x", false));
        reg.digest_failed(day, "H2", "451 try later", Some("2999-01-01T00:00:00Z"))
            .await
            .unwrap();
        assert_eq!(reg.begin_digest(day, "H2", "m6@x").await.unwrap(), DigestAttempt::Skip);
        for _ in 1..DIGEST_ATTEMPTS {
            reg.digest_failed(day, "H2", "451 try later", Some("2000-01-01T00:00:00Z"))
                .await
                .unwrap();
            assert_eq!(reg.begin_digest(day, "H2", "m7@x").await.unwrap(), send("m5@x", false));
        }
        reg.digest_failed(day, "H2", "451 try later", Some("2000-01-01T00:00:00Z"))
            .await
            .unwrap();
        assert_eq!(reg.begin_digest(day, "H2", "m8@x").await.unwrap(), DigestAttempt::Skip);
        let rows = reg.digests_on(day).await.unwrap();
        let states: Vec<(&str, &str, i64)> = rows
            .iter()
            .map(|r| (r.reader.as_str(), r.state.as_str(), r.attempts))
            .collect();
        assert_eq!(states, [("H1", "sent", 2), ("H2", "failed", DIGEST_ATTEMPTS)]);
    }
}
