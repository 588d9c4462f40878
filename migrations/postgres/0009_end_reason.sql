-- Why follow-up ended without an outcome: see SQLite migration 0016.
ALTER TABLE cases ADD COLUMN end_reason TEXT;
