-- Attempts at a message, committed before it is processed (issue 12): a message whose
-- processing kills the process (out of memory, abort) is recognised on the next start, and
-- after `limits.max-attempts` it is quarantined raw, unparsed, so the messages behind it are
-- taken. The row goes when the message is filed or quarantined.
CREATE TABLE intake_attempts (
    fingerprint TEXT PRIMARY KEY,
    attempts    INTEGER NOT NULL CHECK (attempts > 0),
    last_on     TEXT NOT NULL
) STRICT;
