-- Deleting an account must not touch the audit trail: its rows are hashed into the
-- chain, and a cascading SET NULL would be an edit. The trail keeps the deleted
-- user's id as a plain (now dangling, pseudonymous) reference until retention
-- (`manna audit prune`) removes the rows.
ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_user_id_fkey;
ALTER TABLE audit_logs DROP CONSTRAINT audit_logs_session_id_fkey;
