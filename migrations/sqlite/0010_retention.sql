-- Retention and destruction (issue 13). A destroyed case keeps its number and dates (what the
-- art. 29 register may keep) and loses everything sealed: its shred key is destroyed, its
-- ciphertext deleted. `hold_since` stops scheduled destruction (legal hold) until released.
ALTER TABLE cases ADD COLUMN destroyed_on TEXT;
ALTER TABLE cases ADD COLUMN hold_since TEXT;

-- The record of every destruction, kept after the case itself is gone: what, of which case,
-- when, by whom (or by the schedule), under which rule, and the audit entry that recorded it.
CREATE TABLE destructions (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    case_number  TEXT NOT NULL,
    material     TEXT NOT NULL CHECK (material IN ('case', 'attachment', 'note', 'quarantined-message')),
    received_on  TEXT,
    ended_on     TEXT,
    kept_until   TEXT,
    destroyed_on TEXT NOT NULL,
    actor        TEXT NOT NULL,
    rule         TEXT NOT NULL,
    audit_id     INTEGER NOT NULL
) STRICT;
CREATE INDEX destructions_by_day ON destructions (destroyed_on);
