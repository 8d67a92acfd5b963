-- The ledger's pickers (a user's accounts and categories) are read on every render of
-- the transactions and rules pages, and change rarely. The server keeps them in memory
-- per user under a version that every change to what they show bumps, here in the
-- database whoever writes (pages, CLI, Plaid workers, other server processes). The
-- session check reads the version with the session, so a request never gets a copy
-- older than its own view of the database.
CREATE TABLE picker_versions (
    user_id UUID PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    version BIGINT NOT NULL
);

-- Readable by its user; written only by the triggers below.
ALTER TABLE picker_versions ENABLE ROW LEVEL SECURITY;
CREATE POLICY picker_versions_read ON picker_versions FOR SELECT TO manna_app USING (user_id = manna_current_user());
REVOKE INSERT, UPDATE, DELETE ON picker_versions FROM manna_app;

-- One row's change: its owner's version moves on; a system category's (no owner)
-- moves everyone's. A user being deleted is gone by the time their rows' cascade gets
-- here, and gets nothing.
CREATE FUNCTION manna_picker_changed() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public AS $$
DECLARE
    owner UUID := CASE WHEN TG_OP = 'DELETE' THEN OLD.user_id ELSE NEW.user_id END;
    previous UUID := CASE WHEN TG_OP = 'UPDATE' THEN OLD.user_id END;
BEGIN
    IF owner IS NULL OR (TG_OP = 'UPDATE' AND previous IS NULL) THEN
        INSERT INTO picker_versions AS p (user_id, version)
        SELECT u.id, 1 FROM users u
        ON CONFLICT (user_id) DO UPDATE SET version = p.version + 1;
    ELSE
        INSERT INTO picker_versions AS p (user_id, version)
        SELECT u.id, 1 FROM users u WHERE u.id = owner OR u.id = previous
        ON CONFLICT (user_id) DO UPDATE SET version = p.version + 1;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER accounts_picker_added_or_removed AFTER INSERT OR DELETE ON accounts
    FOR EACH ROW EXECUTE FUNCTION manna_picker_changed();
-- Only what a picker shows: balance updates (every transaction write) leave it alone.
CREATE TRIGGER accounts_picker_edited
    AFTER UPDATE OF user_id, name, account_type, is_business, currency, is_manual, is_active ON accounts
    FOR EACH ROW
    WHEN (OLD.user_id IS DISTINCT FROM NEW.user_id OR OLD.name IS DISTINCT FROM NEW.name
          OR OLD.account_type IS DISTINCT FROM NEW.account_type OR OLD.is_business IS DISTINCT FROM NEW.is_business
          OR OLD.currency IS DISTINCT FROM NEW.currency OR OLD.is_manual IS DISTINCT FROM NEW.is_manual
          OR OLD.is_active IS DISTINCT FROM NEW.is_active)
    EXECUTE FUNCTION manna_picker_changed();
CREATE TRIGGER categories_picker_changed AFTER INSERT OR UPDATE OR DELETE ON categories
    FOR EACH ROW EXECUTE FUNCTION manna_picker_changed();
