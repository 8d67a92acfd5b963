-- The last TOTP time step accepted for a user: a code is good once (RFC 6238 §5.2).
ALTER TABLE users ADD COLUMN totp_last_step BIGINT;
-- A secret being set up is kept apart from the enabled one until the user proves their
-- authenticator app produces the right codes.
ALTER TABLE users ADD COLUMN totp_pending_encrypted BYTEA;
