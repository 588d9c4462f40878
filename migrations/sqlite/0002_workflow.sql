-- The handlers' workflow (issue 3): the art. 29 register fields and deadlines on cases, sealed
-- notes and dated follow-up actions, identity disclosures, and the audit hash chain.
-- Free text never lands here in plaintext: categories, kinds and outcomes are closed lists,
-- notes are sealed blobs wrapped with the case's shred key.

ALTER TABLE cases ADD COLUMN category TEXT;
ALTER TABLE cases ADD COLUMN acknowledged_at TEXT;
ALTER TABLE cases ADD COLUMN feedback_at TEXT;
ALTER TABLE cases ADD COLUMN ended_at TEXT;
ALTER TABLE cases ADD COLUMN outcome TEXT;
ALTER TABLE cases ADD COLUMN ack_due TEXT;
ALTER TABLE cases ADD COLUMN feedback_due TEXT;
ALTER TABLE cases ADD COLUMN retention_until TEXT;
ALTER TABLE cases ADD COLUMN identity_disclosed INTEGER NOT NULL DEFAULT 0 CHECK (identity_disclosed IN (0, 1));

-- Sealed notes and follow-up actions. An action has a kind and a date and may carry a note.
CREATE TABLE case_events (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id     INTEGER NOT NULL REFERENCES cases (id),
    kind        TEXT NOT NULL CHECK (kind IN ('note', 'action')),
    action_kind TEXT,
    on_date     TEXT NOT NULL,
    actor       TEXT NOT NULL,
    note_pkesks BLOB,
    note_body   BLOB,
    recorded_at TEXT NOT NULL,
    CHECK ((kind = 'action') = (action_kind IS NOT NULL)),
    CHECK ((note_pkesks IS NULL) = (note_body IS NULL))
) STRICT;

CREATE INDEX case_events_by_case ON case_events (case_id, id);

-- Disclosures of the reporter's identity to a third party (art. 8 of the act), recorded
-- apart from the audit trail so they can be listed and reported on their own.
CREATE TABLE disclosures (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id      INTEGER NOT NULL REFERENCES cases (id),
    at           TEXT NOT NULL,
    actor        TEXT NOT NULL,
    recipient    TEXT NOT NULL,
    legal_basis  TEXT NOT NULL,
    reason       TEXT NOT NULL,
    reporter_notice TEXT NOT NULL CHECK (reporter_notice IN ('informed', 'withheld-would-endanger')),
    audit_id     INTEGER NOT NULL
) STRICT;

-- The audit hash chain. Rows written before this migration are chained once by the register
-- on open (the marker row below says that is still to do); new rows are chained on insert.
ALTER TABLE audit ADD COLUMN prev_hash TEXT;
ALTER TABLE audit ADD COLUMN hash TEXT;

CREATE TABLE audit_backfill (pending INTEGER PRIMARY KEY CHECK (pending = 1)) STRICT;
INSERT INTO audit_backfill (pending) VALUES (1);

-- Append-only: the register never updates a chained row or deletes one. (Someone with the file
-- can drop these triggers; `sygnal audit verify` is what catches that.)
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit WHEN OLD.hash IS NOT NULL
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;

-- The SHA-256 of the configuration file last seen, so a change is an audit entry.
CREATE TABLE config_state (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    sha256     TEXT NOT NULL,
    updated_at TEXT NOT NULL
) STRICT;
