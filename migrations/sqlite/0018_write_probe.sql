-- One row the health endpoint rewrites to prove the register takes writes (a full disk or a
-- read-only file fails it) without touching any case, intake record or the audit trail.
CREATE TABLE write_probe (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    probed_at  TEXT NOT NULL
) STRICT;
