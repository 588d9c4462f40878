-- Key lifecycle (issue 4): intake key states and resumable reseal runs.

-- Lifecycle of each intake key. The key material itself lives in the key folder; the state is
-- here so that a state change and its audit row commit in one transaction.
CREATE TABLE intake_keys (
    fingerprint   TEXT PRIMARY KEY,
    state         TEXT NOT NULL CHECK (state IN ('current', 'grace', 'retired')),
    created_at    TEXT NOT NULL,
    superseded_at TEXT,
    grace_until   TEXT,
    retired_at    TEXT,
    CHECK ((state = 'current') = (superseded_at IS NULL))
) STRICT;

-- One row per `keys reseal` run. `target` names the reader set sealed to (role:fingerprint,
-- sorted), so a re-run after a crash resumes the same run instead of starting over.
CREATE TABLE reseal_runs (
    id             INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at     TEXT NOT NULL,
    finished_at    TEXT,
    target         TEXT NOT NULL,
    rotate_content INTEGER NOT NULL CHECK (rotate_content IN (0, 1)),
    done_count     INTEGER NOT NULL DEFAULT 0
) STRICT;

-- Blobs a run has committed. `slot` names the table and column pair (see register::BlobSlot).
CREATE TABLE reseal_done (
    run_id INTEGER NOT NULL REFERENCES reseal_runs (id),
    slot   TEXT NOT NULL,
    row_id INTEGER NOT NULL,
    PRIMARY KEY (run_id, slot, row_id)
) STRICT;

-- Shred keys left unreferenced by `keys reseal --rotate-content`: recorded in the transaction
-- that replaced the content, destroyed right after it (and again on the next run after a crash).
CREATE TABLE reseal_shred_pending (
    shred_key TEXT PRIMARY KEY
) STRICT;
