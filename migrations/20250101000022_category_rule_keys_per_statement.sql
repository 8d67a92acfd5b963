-- A row's category and rule are checked once per statement too (see migration 21 for
-- the account). As foreign keys they looked up and locked a category and a rule for
-- every categorized row: 0.22-0.26 s and 0.29-0.30 s of a 100,000-row import whose
-- rules categorize half the rows (measured on the 1M-row benchmark database). The
-- checks are stricter than the keys were: a row's category must be a system category
-- or its owner's, and its rule its owner's. Otherwise the keys' semantics stay:
-- * insert, and update of the category, rule or owner: the category or rule must
--   exist, locked FOR KEY SHARE until the transaction ends;
-- * a category or rule removed leaves its rows uncategorized or rule-less (ON DELETE
--   SET NULL);
-- * their ids cannot change while rows point at them.
-- Errors keep the keys' SQLSTATE (23503) and names.
ALTER TABLE transactions
    DROP CONSTRAINT IF EXISTS transactions_category_id_fkey,
    DROP CONSTRAINT IF EXISTS transactions_rule_id_fkey;

-- The rows named by (id, owner) pairs must be in `parent`, owned by the owner (or, when
-- `shared_allowed`, by nobody: system rows), and are locked against removal.
CREATE FUNCTION manna_require_owned(parent REGCLASS, ids UUID[], owners UUID[], key_name TEXT, shared_allowed BOOLEAN)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    k RECORD;
    found_it BOOLEAN;
BEGIN
    FOR k IN SELECT DISTINCT r.id, r.owner FROM unnest(ids, owners) AS r(id, owner) WHERE r.id IS NOT NULL LOOP
        EXECUTE format('SELECT true FROM %s WHERE id = $1 AND (user_id = $2 OR ($3 AND user_id IS NULL)) FOR KEY SHARE',
                       parent)
            INTO found_it USING k.id, k.owner, shared_allowed;
        IF found_it IS NULL THEN
            RAISE EXCEPTION '% % is not one of the row owner''s', parent, k.id
                USING ERRCODE = 'foreign_key_violation', CONSTRAINT = key_name;
        END IF;
    END LOOP;
END $$;

-- The two checks of migrations 20 and 21, now one function's.
CREATE OR REPLACE FUNCTION manna_require_accounts(account_ids UUID[], owner_ids UUID[]) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
    SELECT manna_require_owned('accounts', account_ids, owner_ids, 'transactions_account_user_fkey', false)
$$;
CREATE OR REPLACE FUNCTION manna_require_import_batches(batch_ids UUID[], owner_ids UUID[]) RETURNS void
LANGUAGE sql SECURITY DEFINER SET search_path = public AS $$
    SELECT manna_require_owned('import_batches', batch_ids, owner_ids, 'transactions_import_batch_id_fkey', false)
$$;

-- Every key of the inserted rows: one pass over them per key, a lookup per distinct
-- (key, owner) pair.
CREATE OR REPLACE FUNCTION manna_check_inserted_keys() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public AS $$
BEGIN
    PERFORM manna_require_owned('accounts', array_agg(k.account_id), array_agg(k.user_id),
                                'transactions_account_user_fkey', false)
    FROM (SELECT DISTINCT account_id, user_id FROM new_rows) k;
    PERFORM manna_require_owned('import_batches', array_agg(k.import_batch_id), array_agg(k.user_id),
                                'transactions_import_batch_id_fkey', false)
    FROM (SELECT DISTINCT import_batch_id, user_id FROM new_rows WHERE import_batch_id IS NOT NULL) k;
    PERFORM manna_require_owned('categories', array_agg(k.category_id), array_agg(k.user_id),
                                'transactions_category_id_fkey', true)
    FROM (SELECT DISTINCT category_id, user_id FROM new_rows WHERE category_id IS NOT NULL) k;
    PERFORM manna_require_owned('categorization_rules', array_agg(k.rule_id), array_agg(k.user_id),
                                'transactions_rule_id_fkey', false)
    FROM (SELECT DISTINCT rule_id, user_id FROM new_rows WHERE rule_id IS NOT NULL) k;
    RETURN NULL;
END $$;

CREATE FUNCTION manna_check_updated_category_and_rule() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public AS $$
BEGIN
    PERFORM manna_require_owned('categories', ARRAY[NEW.category_id], ARRAY[NEW.user_id],
                                'transactions_category_id_fkey', true);
    PERFORM manna_require_owned('categorization_rules', ARRAY[NEW.rule_id], ARRAY[NEW.user_id],
                                'transactions_rule_id_fkey', false);
    RETURN NULL;
END $$;
CREATE TRIGGER transactions_category_rule_changed
    AFTER UPDATE OF category_id, rule_id, user_id ON transactions
    FOR EACH ROW WHEN (NEW.category_id IS DISTINCT FROM OLD.category_id OR NEW.rule_id IS DISTINCT FROM OLD.rule_id
                       OR NEW.user_id <> OLD.user_id)
    EXECUTE FUNCTION manna_check_updated_category_and_rule();

-- ON DELETE SET NULL. A user's category is only on that user's rows (the category
-- index finds them); a system one may be on anyone's.
CREATE FUNCTION manna_release_category() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public AS $$
BEGIN
    IF OLD.user_id IS NULL THEN
        UPDATE transactions SET category_id = NULL WHERE category_id = OLD.id;
    ELSE
        UPDATE transactions SET category_id = NULL WHERE user_id = OLD.user_id AND category_id = OLD.id;
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER categories_released
    AFTER DELETE ON categories
    FOR EACH ROW EXECUTE FUNCTION manna_release_category();

-- (`transactions_rule_idx` finds the rows.)
CREATE FUNCTION manna_release_rule() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public AS $$
BEGIN
    UPDATE transactions SET rule_id = NULL WHERE rule_id = OLD.id;
    RETURN NULL;
END $$;
CREATE TRIGGER categorization_rules_released
    AFTER DELETE ON categorization_rules
    FOR EACH ROW EXECUTE FUNCTION manna_release_rule();

-- NO ACTION: a category's or rule's id cannot change under its rows.
CREATE FUNCTION manna_key_kept() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM transactions WHERE category_id = OLD.id OR rule_id = OLD.id) THEN
        RAISE EXCEPTION '% % has transactions; its id cannot change', TG_TABLE_NAME, OLD.id
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = TG_ARGV[0];
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER categories_key_kept
    AFTER UPDATE OF id ON categories
    FOR EACH ROW WHEN (NEW.id <> OLD.id) EXECUTE FUNCTION manna_key_kept('transactions_category_id_fkey');
CREATE TRIGGER categorization_rules_key_kept
    AFTER UPDATE OF id ON categorization_rules
    FOR EACH ROW WHEN (NEW.id <> OLD.id) EXECUTE FUNCTION manna_key_kept('transactions_rule_id_fkey');
