-- The end of proceedings a case started: see SQLite migration 0013.
ALTER TABLE cases ADD COLUMN proceedings_ended_on TEXT;
