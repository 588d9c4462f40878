-- The reporter's answers (issue 14): mail whose reply token names a case is filed as a message of
-- that case, sealed like a report (to handlers; its identity record to custodians), under its own
-- shred key, which is destroyed with the case. Its attachments are the case's, numbered on from
-- the ones before (`first_attachment` is the case's number of its attachment 1).
CREATE TABLE case_messages (
    id               INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id          INTEGER NOT NULL REFERENCES cases (id),
    seq              INTEGER NOT NULL,
    received_at      TEXT NOT NULL,
    shred_key        TEXT NOT NULL,
    encrypted        INTEGER NOT NULL CHECK (encrypted IN (0, 1)),
    signature        TEXT NOT NULL,
    first_attachment INTEGER NOT NULL,
    report_pkesks    BLOB NOT NULL,
    report_body      BLOB NOT NULL,
    identity_pkesks  BLOB NOT NULL,
    identity_body    BLOB NOT NULL,
    UNIQUE (case_id, seq)
) STRICT;
