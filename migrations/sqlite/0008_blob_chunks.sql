-- Large sealed bodies (a case's report and identity record, a quarantined raw message) are kept
-- in 1 MiB chunks, so that writing or reading one never makes the database (and its driver)
-- copy the whole body at once: memory per message stays a small multiple of the message.
-- A body column holding zero bytes means "in chunks" (a sealed body is never empty).
-- `owner` is `table.slot:row-id`, e.g. `quarantine.raw:17`, `cases.report:5`.
CREATE TABLE blob_chunks (
    owner TEXT NOT NULL,
    seq INTEGER NOT NULL,
    data BLOB NOT NULL,
    PRIMARY KEY (owner, seq)
);
