-- The health endpoint's write probe: see SQLite migration 0018.
CREATE TABLE write_probe (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    probed_at  TEXT NOT NULL
);
