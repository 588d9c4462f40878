-- Why a case needed the decryption-only policy (issue 12), as codes an admin may see:
-- weak-encryption, weak-intake-key, expired-intake-key, revoked-intake-key; space-separated.
ALTER TABLE cases ADD COLUMN flags TEXT NOT NULL DEFAULT '';
