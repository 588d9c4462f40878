-- Talking with the reporter (issue 14). A case's contact record holds the reply address and the
-- reporter's key sealed under a contact key of its own (in the key store), which the gateway
-- keeps only while contact is needed: destroyed when follow-up ends or contact is withdrawn.
-- The reply token is stored sealed under the same key, and hashed for finding the case.
CREATE TABLE contacts (
    case_id     INTEGER PRIMARY KEY REFERENCES cases (id),
    -- open (reachable), none (nothing may be sent: see reason), ended (key destroyed)
    state       TEXT NOT NULL,
    reason      TEXT NOT NULL DEFAULT '',
    key_id      TEXT,
    record      BLOB,
    token       BLOB,
    token_hash  TEXT UNIQUE,
    encrypted   INTEGER NOT NULL DEFAULT 0,
    ended_on    TEXT,
    CHECK ((state = 'open') = (key_id IS NOT NULL))
) STRICT;

-- Mail to reporters, planned in the same transaction as what causes it and sent after the
-- commit with the Message-ID fixed here. `sending` marks an attempt under way: found so at the
-- next start, the message is sent once more with the same Message-ID (`resent`), never again.
CREATE TABLE outbox (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    case_id       INTEGER NOT NULL REFERENCES cases (id),
    kind          TEXT NOT NULL,
    message_id    TEXT NOT NULL UNIQUE,
    state         TEXT NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    resent        INTEGER NOT NULL DEFAULT 0,
    next_attempt  TEXT NOT NULL,
    last_error    TEXT NOT NULL DEFAULT '',
    text          BLOB,
    planned_on    TEXT NOT NULL,
    first_attempt TEXT,
    sent_on       TEXT,
    actor         TEXT NOT NULL
) STRICT;
CREATE INDEX outbox_due ON outbox (state, next_attempt);
