-- The identity promise (issue 11): nothing in the register links a case to the mail server's
-- logs once its server copy is gone, readers change only with a custodian's consent, custodians
-- sign checkpoints of the audit chain, and free text about identity is sealed to custodians.

-- Raw quarantined messages are destroyed once filed or discarded.
CREATE TABLE quarantine_new (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    received_at TEXT NOT NULL,
    reason      TEXT NOT NULL,
    detail      TEXT NOT NULL,
    state       TEXT NOT NULL CHECK (state IN ('held', 'filed', 'discarded', 'left-on-server')),
    case_id     INTEGER REFERENCES cases (id),
    shred_key   TEXT,
    raw_pkesks  BLOB,
    raw_body    BLOB,
    held_at     TEXT NOT NULL
) STRICT;
INSERT INTO quarantine_new SELECT id, received_at, reason, detail, state, case_id, shred_key,
    raw_pkesks, raw_body, held_at FROM quarantine;

-- Intake records keep the mailbox position and the keyed fingerprint only while exactly-once
-- needs them (until the server copy is confirmed deleted); the message size is not kept at all.
CREATE TABLE intake_new (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    fingerprint   TEXT UNIQUE,
    mailbox       TEXT,
    uidvalidity   INTEGER,
    uid           INTEGER,
    case_id       INTEGER REFERENCES cases (id),
    quarantine_id INTEGER REFERENCES quarantine_new (id),
    deletion      TEXT NOT NULL CHECK (deletion IN ('pending', 'deleted', 'left-on-server')),
    recorded_on   TEXT NOT NULL,
    CHECK ((case_id IS NULL) <> (quarantine_id IS NULL)),
    CHECK (deletion = 'deleted' OR (fingerprint IS NOT NULL AND mailbox IS NOT NULL
                                    AND uidvalidity IS NOT NULL AND uid IS NOT NULL)),
    CHECK (deletion <> 'deleted' OR (fingerprint IS NULL AND mailbox IS NULL
                                     AND uidvalidity IS NULL AND uid IS NULL))
) STRICT;

INSERT INTO intake_new (id, fingerprint, mailbox, uidvalidity, uid, case_id, quarantine_id, deletion, recorded_on)
SELECT id,
       CASE WHEN deletion = 'deleted' THEN NULL ELSE fingerprint END,
       CASE WHEN deletion = 'deleted' THEN NULL ELSE mailbox END,
       CASE WHEN deletion = 'deleted' THEN NULL ELSE uidvalidity END,
       CASE WHEN deletion = 'deleted' THEN NULL ELSE uid END,
       case_id, quarantine_id, deletion, substr(recorded_at, 1, 10)
FROM intake;

-- Children first: intake_new points at quarantine_new, so the old tables can go, and the
-- renames carry the reference over.
DROP TABLE intake;
DROP TABLE quarantine;
ALTER TABLE quarantine_new RENAME TO quarantine;
ALTER TABLE intake_new RENAME TO intake;
CREATE INDEX intake_by_deletion ON intake (deletion, mailbox);
CREATE INDEX intake_by_position ON intake (mailbox, uidvalidity, uid);

-- Times tied to a case are kept to the day.
UPDATE cases SET filed_at = substr(filed_at, 1, 10);
UPDATE quarantine SET held_at = substr(held_at, 1, 10);
UPDATE case_events SET recorded_at = substr(recorded_at, 1, 10);
UPDATE disclosures SET at = substr(at, 1, 10);

-- Reader consent: a detached OpenPGP signature by a custodian (`approved_by`) over the
-- statement "this fingerprint may hold this role" (see `readers::consent`). The first
-- custodian signs their own.
ALTER TABLE readers ADD COLUMN approved_by TEXT;
ALTER TABLE readers ADD COLUMN consent BLOB;

-- Checkpoints: a custodian's signature over the audit chain's head at one entry.
CREATE TABLE audit_checkpoints (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    audit_id  INTEGER NOT NULL,
    hash      TEXT NOT NULL,
    signer    TEXT NOT NULL,
    signature BLOB NOT NULL
) STRICT;

-- Free text that comes with an audit entry (unseal reasons; a disclosure's recipient, legal
-- basis and reason), sealed to custodians under the case's shred key, so it is destroyed with
-- the case. The clear audit row says only what happened, to which case, by whom.
CREATE TABLE sealed_details (
    audit_id INTEGER PRIMARY KEY,
    case_id  INTEGER NOT NULL REFERENCES cases (id),
    pkesks   BLOB NOT NULL,
    body     BLOB NOT NULL
) STRICT;

-- Disclosures keep their facts in the clear (case, day, custodian, whether the reporter was told)
-- and their free text in sealed_details. (Disclosures recorded before this migration keep their
-- text in their audit entry, which the chain does not let us rewrite.)
ALTER TABLE disclosures DROP COLUMN recipient;
ALTER TABLE disclosures DROP COLUMN legal_basis;
ALTER TABLE disclosures DROP COLUMN reason;


-- Shred keys waiting to be destroyed now say why (a content rotation, a filed or discarded
-- quarantine entry), for their audit entry.
ALTER TABLE reseal_shred_pending ADD COLUMN why TEXT NOT NULL DEFAULT 'content re-encrypted under a new one';
