-- The case register, intake records and quarantine. Sealed blobs only: no plaintext column exists.

CREATE TABLE readers (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint TEXT NOT NULL UNIQUE,
    name        TEXT NOT NULL,
    role        TEXT NOT NULL CHECK (role IN ('handler', 'custodian')),
    cert        BLOB NOT NULL,
    added_at    TEXT NOT NULL,
    removed_at  TEXT
) STRICT;

CREATE TABLE cases (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    number          TEXT NOT NULL UNIQUE,
    year            INTEGER NOT NULL,
    seq             INTEGER NOT NULL,
    received_at     TEXT NOT NULL,
    status          TEXT NOT NULL,
    encrypted       INTEGER NOT NULL CHECK (encrypted IN (0, 1)),
    signed          INTEGER NOT NULL CHECK (signed IN (0, 1)),
    shred_key       TEXT NOT NULL,
    report_pkesks   BLOB NOT NULL,
    report_body     BLOB NOT NULL,
    identity_pkesks BLOB NOT NULL,
    identity_body   BLOB NOT NULL,
    filed_at        TEXT NOT NULL,
    UNIQUE (year, seq)
) STRICT;

CREATE TABLE quarantine (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at TEXT NOT NULL,
    reason      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('held', 'filed', 'left-on-server')),
    case_id     INTEGER REFERENCES cases (id),
    shred_key   TEXT,
    raw_pkesks  BLOB,
    raw_body    BLOB,
    held_at     TEXT NOT NULL
) STRICT;

-- One row per server message the gateway has taken responsibility for. The keyed fingerprint of
-- the raw bytes recognises a re-fetched message even when the server renumbered it.
CREATE TABLE intake (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint   TEXT NOT NULL UNIQUE,
    mailbox       TEXT NOT NULL,
    uidvalidity   INTEGER NOT NULL,
    uid           INTEGER NOT NULL,
    size          INTEGER NOT NULL,
    case_id       INTEGER REFERENCES cases (id),
    quarantine_id INTEGER REFERENCES quarantine (id),
    deletion      TEXT NOT NULL CHECK (deletion IN ('pending', 'deleted', 'left-on-server')),
    recorded_at   TEXT NOT NULL,
    CHECK ((case_id IS NULL) <> (quarantine_id IS NULL))
) STRICT;

CREATE INDEX intake_by_deletion ON intake (deletion, mailbox);
CREATE INDEX intake_by_position ON intake (mailbox, uidvalidity, uid);

CREATE TABLE mailbox_state (
    mailbox     TEXT PRIMARY KEY,
    uidvalidity INTEGER NOT NULL,
    updated_at  TEXT NOT NULL
) STRICT;

-- Append-only audit trail (issue 3 adds the hash chain).
CREATE TABLE audit (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    at          TEXT NOT NULL,
    actor       TEXT NOT NULL,
    action      TEXT NOT NULL,
    case_number TEXT,
    detail      TEXT NOT NULL
) STRICT;
