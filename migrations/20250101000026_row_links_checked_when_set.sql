-- A row's links to other rows (the split part's parent, the transfer leg's contra leg)
-- are checked only for rows that have one, and removing rows acts once per statement.
-- As foreign keys, every inserted row queued a check of both links, though almost no
-- row has one: 60-115 ms of a 100,000-row import for the parent alone, and a deferred
-- event per row for the contra leg. Removing rows was worse: a per-row probe for each
-- key, 0.5-0.8 s (parent) and 1.2-1.8 s (contra) per 100,000 rows removed, as when an
-- import is undone (auto_explain on the 1M-row benchmark database). The semantics stay
-- those of the keys, and are stricter: the linked row must be the owner's.
-- * parent: checked when the statement ends (as the key was); a parent removed takes
--   its parts with it (ON DELETE CASCADE);
-- * contra leg: checked at commit (DEFERRABLE INITIALLY DEFERRED, as the key was: the
--   two legs point at each other); a leg removed leaves the other without one (ON
--   DELETE SET NULL);
-- * a linked row's id and owner cannot change (NO ACTION).
-- Errors keep SQLSTATE 23503 and the keys' names.
ALTER TABLE transactions
    DROP CONSTRAINT IF EXISTS transactions_parent_transaction_id_fkey,
    DROP CONSTRAINT IF EXISTS transactions_contra_transaction_id_fkey;

-- TG_ARGV[0]: the link column; TG_ARGV[1]: the key name. A deferred check may run after
-- the row was removed or re-linked: then there is nothing to check, or the new link
-- has its own check queued.
CREATE FUNCTION manna_check_row_link() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public AS $$
DECLARE
    target UUID := CASE TG_ARGV[0] WHEN 'parent_transaction_id' THEN NEW.parent_transaction_id
                                   ELSE NEW.contra_transaction_id END;
BEGIN
    IF TG_ARGV[0] = 'contra_transaction_id'
       AND NOT EXISTS (SELECT 1 FROM transactions WHERE id = NEW.id AND contra_transaction_id = target) THEN
        RETURN NULL;
    END IF;
    PERFORM 1 FROM transactions WHERE id = target AND user_id = NEW.user_id FOR KEY SHARE;
    IF NOT FOUND THEN
        RAISE EXCEPTION 'transaction % is not one of the row owner''s', target
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = TG_ARGV[1];
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER transactions_parent_linked
    AFTER INSERT OR UPDATE OF parent_transaction_id, user_id ON transactions
    FOR EACH ROW WHEN (NEW.parent_transaction_id IS NOT NULL)
    EXECUTE FUNCTION manna_check_row_link('parent_transaction_id', 'transactions_parent_transaction_id_fkey');

CREATE CONSTRAINT TRIGGER transactions_contra_linked
    AFTER INSERT OR UPDATE OF contra_transaction_id, user_id ON transactions
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.contra_transaction_id IS NOT NULL)
    EXECUTE FUNCTION manna_check_row_link('contra_transaction_id', 'transactions_contra_transaction_id_fkey');

-- ON DELETE CASCADE (parts) and SET NULL (contra legs), once per statement; the partial
-- indexes on both columns hold only the rows that have a link. A statement that removed
-- nothing stops here, so the cascade ends.
CREATE FUNCTION manna_release_row_links() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM old_rows) THEN
        DELETE FROM transactions WHERE parent_transaction_id IN (SELECT id FROM old_rows);
        UPDATE transactions SET contra_transaction_id = NULL WHERE contra_transaction_id IN (SELECT id FROM old_rows);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER transactions_row_links_released
    AFTER DELETE ON transactions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION manna_release_row_links();

-- NO ACTION: a row's id and owner cannot change while another row links to it.
CREATE FUNCTION manna_row_link_kept() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM transactions WHERE parent_transaction_id = OLD.id) THEN
        RAISE EXCEPTION 'transaction % has split parts; its id and owner cannot change', OLD.id
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'transactions_parent_transaction_id_fkey';
    END IF;
    IF EXISTS (SELECT 1 FROM transactions WHERE contra_transaction_id = OLD.id) THEN
        RAISE EXCEPTION 'transaction % is a transfer''s other leg; its id and owner cannot change', OLD.id
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'transactions_contra_transaction_id_fkey';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER transactions_row_link_kept
    AFTER UPDATE OF id, user_id ON transactions
    FOR EACH ROW WHEN (NEW.id <> OLD.id OR NEW.user_id <> OLD.user_id)
    EXECUTE FUNCTION manna_row_link_kept();
