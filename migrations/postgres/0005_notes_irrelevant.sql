-- A note found irrelevant: see SQLite migration 0012.
ALTER TABLE case_events ADD COLUMN irrelevant_on TEXT;
ALTER TABLE case_events ADD COLUMN irrelevant_by TEXT;
ALTER TABLE case_events ADD COLUMN destroy_by TEXT;
ALTER TABLE case_events ADD COLUMN destroyed_on TEXT;
