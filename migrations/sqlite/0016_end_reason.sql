-- Why follow-up ended without an outcome (issue 16): a rejected case's reason, a transferred
-- case's recipient, each from a closed list (cases::RejectionReason, cases::Recipient).
ALTER TABLE cases ADD COLUMN end_reason TEXT;
