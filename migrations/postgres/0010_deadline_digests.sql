-- The daily deadline digest to each handler: see SQLite migration 0017.
CREATE TABLE deadline_digests (
    day           TEXT NOT NULL,
    reader        TEXT NOT NULL,
    message_id    TEXT NOT NULL UNIQUE,
    state         TEXT NOT NULL,
    attempts      BIGINT NOT NULL DEFAULT 0,
    next_attempt  TEXT NOT NULL,
    last_error    TEXT NOT NULL DEFAULT '',
    sent_at       TEXT,
    PRIMARY KEY (day, reader)
);
