-- Attachments sealed apart (issue 13, partial deletion): each attachment's cleaned copy (for
-- the report's readers) and original (for custodians) under the attachment's own shred key,
-- so that material found irrelevant is destroyed alone, in every backup, while the rest of the
-- case still opens. A handler's finding starts a 14-day clock (`destroy_by`); at it (or
-- earlier, `cases redact`) the key is destroyed and the ciphertext deleted.
CREATE TABLE case_attachments (
    id              INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id         INTEGER NOT NULL REFERENCES cases (id),
    idx             INTEGER NOT NULL,
    shred_key       TEXT,
    cleaned_pkesks  BLOB,
    cleaned_body    BLOB,
    original_pkesks BLOB,
    original_body   BLOB,
    irrelevant_on   TEXT,
    irrelevant_by   TEXT,
    destroy_by      TEXT,
    destroyed_on    TEXT,
    UNIQUE (case_id, idx),
    CHECK ((cleaned_pkesks IS NULL) = (cleaned_body IS NULL)),
    CHECK ((original_pkesks IS NULL) = (original_body IS NULL)),
    CHECK ((destroyed_on IS NULL) = (shred_key IS NOT NULL))
) STRICT;

-- Which item of a case a destruction took ("attachment 2"); empty for the whole case.
ALTER TABLE destructions ADD COLUMN item TEXT NOT NULL DEFAULT '';
