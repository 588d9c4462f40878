-- The daily deadline digest to each handler (issue 16): case numbers and due dates only, sent
-- by e-mail encrypted to the handler's key. One row per day and handler keeps it to one a day
-- across restarts and replicas; `sending` found at the next pass means an attempt was cut off,
-- and the message is sent once more with the same Message-ID.
CREATE TABLE deadline_digests (
    day           TEXT NOT NULL,
    reader        TEXT NOT NULL,
    message_id    TEXT NOT NULL UNIQUE,
    -- sending, retry, sent, failed
    state         TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    next_attempt  TEXT NOT NULL,
    last_error    TEXT NOT NULL DEFAULT '',
    sent_at       TEXT,
    PRIMARY KEY (day, reader)
) STRICT;
