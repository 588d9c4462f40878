-- Which gateway drains the mailbox: see SQLite migration 0009.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    holder     TEXT NOT NULL,
    token      BIGINT NOT NULL CHECK (token > 0),
    expires_ms BIGINT NOT NULL
);
