//! The chain catches edits, deletions, reordering and truncation after a recorded head.

use super::*;

struct Row {
    id: i64,
    at: String,
    actor: String,
    action: String,
    case: Option<String>,
    detail: String,
    prev: String,
    hash: String,
}

fn chain(n: i64) -> Vec<Row> {
    let mut prev = GENESIS.to_owned();
    (1..=n)
        .map(|id| {
            let mut r = Row {
                id,
                at: format!("2026-01-0{}T10:00:00Z", id % 9 + 1),
                actor: "gateway".into(),
                action: "CaseFiled".into(),
                case: (id % 2 == 0).then(|| format!("ZW/2026/{id:04}")),
                detail: String::new(),
                prev: prev.clone(),
                hash: String::new(),
            };
            r.hash = link(&r).hash();
            prev = r.hash.clone();
            r
        })
        .collect()
}

fn link(r: &Row) -> Link<'_> {
    Link {
        id: r.id,
        at: &r.at,
        actor: &r.actor,
        action: &r.action,
        case_number: r.case.as_deref(),
        detail: &r.detail,
        prev_hash: &r.prev,
    }
}

fn check(rows: &[Row], expect: Option<(i64, &str)>) -> Result<Head, ChainBreak> {
    let stored: Vec<Stored<'_>> = rows
        .iter()
        .map(|r| Stored {
            link: link(r),
            hash: Some(&r.hash),
        })
        .collect();
    verify(&stored, expect)
}

#[test]
fn intact_chain_verifies_and_names_its_head() {
    let rows = chain(5);
    let head = check(&rows, None).unwrap();
    assert_eq!(head.id, 5);
    assert_eq!(head.hash, rows[4].hash);
    assert_eq!(check(&[], None).unwrap().hash, GENESIS);
    check(&rows, Some((3, &rows[2].hash))).unwrap();
}

#[test]
fn edit_is_caught() {
    let mut rows = chain(5);
    rows[2].detail = "reason: changed".into();
    assert_eq!(check(&rows, None), Err(ChainBreak::Edited { id: 3 }));
    let mut rows = chain(5);
    rows[1].case = Some(String::new());
    assert_eq!(
        check(&rows, None),
        Err(ChainBreak::Edited { id: 2 }),
        "None differs from empty"
    );
}

#[test]
fn deletion_is_caught() {
    let mut rows = chain(5);
    rows.remove(2);
    assert_eq!(
        check(&rows, None),
        Err(ChainBreak::Unlinked { id: 4, after: 2 })
    );
    let mut rows = chain(5);
    rows.remove(0);
    assert_eq!(
        check(&rows, None),
        Err(ChainBreak::Unlinked { id: 2, after: 0 })
    );
}

#[test]
fn reordering_is_caught() {
    let mut rows = chain(5);
    rows.swap(1, 2);
    assert!(check(&rows, None).is_err());
    // Swapping the ids as well (so ORDER BY id still gives 1..5) breaks the hashes.
    let mut rows = chain(5);
    let (a, b) = (rows[1].id, rows[2].id);
    rows[1].id = b;
    rows[2].id = a;
    rows.swap(1, 2);
    assert!(matches!(
        check(&rows, None),
        Err(ChainBreak::Unlinked { .. } | ChainBreak::Edited { .. })
    ));
}

#[test]
fn truncated_tail_is_caught_against_a_recorded_head() {
    let rows = chain(5);
    let head = (5, rows[4].hash.clone());
    let mut cut = chain(5);
    cut.truncate(3);
    assert!(check(&cut, None).is_ok(), "truncation alone is invisible");
    assert_eq!(
        check(&cut, Some((head.0, &head.1))),
        Err(ChainBreak::HeadMissing {
            id: 5,
            hash: head.1.clone()
        })
    );
}

#[test]
fn head_text_parses() {
    let h = "A".repeat(64);
    assert_eq!(parse_head(&format!("7:{h}")), Some((7, "a".repeat(64))));
    assert_eq!(parse_head("7:abc"), None);
    assert_eq!(parse_head("x:".to_owned().as_str()), None);
}

#[test]
fn appended_entries_take_ids_after_the_highest_ever_given_never_reusing_a_truncated_one() {
    // A trail whose tail (ids 4 and 5) was deleted: the next entry is 6, so the gap shows.
    let tip = Tip {
        last_id: 5,
        last_hash: Some("ab".repeat(32)),
    };
    let e = Entry {
        actor: "gateway",
        event: Event::CaseFiled,
        case_number: Some("ZW/2026/0001"),
        detail: "",
    };
    let a = append(&tip, "2026-01-01T00:00:00Z", &e);
    assert_eq!(a.id, 6);
    assert_eq!(a.prev_hash, "ab".repeat(32));
}

#[test]
fn the_first_entry_links_to_genesis_and_the_chain_verifies() {
    let e = Entry {
        actor: "admin",
        event: Event::ReaderAdded,
        case_number: None,
        detail: "handler X",
    };
    let first = append(&Tip::default(), "2026-01-01T00:00:00Z", &e);
    assert_eq!((first.id, first.prev_hash.as_str()), (1, GENESIS));
    let second = append(
        &Tip {
            last_id: first.id,
            last_hash: Some(first.hash.clone()),
        },
        "2026-01-02T00:00:00Z",
        &e,
    );
    let stored = [
        Stored {
            link: Link {
                id: 1,
                at: "2026-01-01T00:00:00Z",
                actor: "admin",
                action: "ReaderAdded",
                case_number: None,
                detail: "handler X",
                prev_hash: &first.prev_hash,
            },
            hash: Some(&first.hash),
        },
        Stored {
            link: Link {
                id: 2,
                at: "2026-01-02T00:00:00Z",
                actor: "admin",
                action: "ReaderAdded",
                case_number: None,
                detail: "handler X",
                prev_hash: &second.prev_hash,
            },
            hash: Some(&second.hash),
        },
    ];
    assert_eq!(verify(&stored, None).unwrap().id, 2);
}
