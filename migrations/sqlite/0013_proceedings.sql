-- The end of proceedings a case started (issue 13): its data are kept 3 years after the end of
-- the year follow-up ended or those proceedings ended, whichever is later. Recorded when a
-- legal hold is released.
ALTER TABLE cases ADD COLUMN proceedings_ended_on TEXT;
