-- A note found irrelevant to the report (issue 13): 14 days after the finding its ciphertext
-- is deleted and the rest of the case moves to a new shred key (the old one destroyed), so no
-- copy of the note opens again, a register backup included.
ALTER TABLE case_events ADD COLUMN irrelevant_on TEXT;
ALTER TABLE case_events ADD COLUMN irrelevant_by TEXT;
ALTER TABLE case_events ADD COLUMN destroy_by TEXT;
ALTER TABLE case_events ADD COLUMN destroyed_on TEXT;
