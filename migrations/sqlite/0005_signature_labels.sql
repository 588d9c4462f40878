-- Honest signature labels (issue 11). "signed" used to mean "verified with a key found inside
-- the same message", which any forger passes; cases now say which of three things holds.
ALTER TABLE cases ADD COLUMN signature TEXT NOT NULL DEFAULT 'unsigned'
    CHECK (signature IN ('trusted-signer', 'unknown-signer', 'unsigned'));
UPDATE cases SET signature = 'unknown-signer' WHERE signed = 1;

-- Reporters' certificates registered as trusted signers: only a signature verified with one of
-- these makes a report "verified by a key you trust". Public parts only.
CREATE TABLE trusted_signers (
    fingerprint TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    cert        BLOB NOT NULL,
    added_at    TEXT NOT NULL
) STRICT;
