-- A row's link to its prediction (`transactions.prediction_id`) is checked once per
-- statement, like the other keys (migrations 20-26). As a deferred foreign key it
-- checked and locked each linked prediction at commit, one lock record each: importing
-- 100,000 rows of which the model predicted 50,000, the commit took 0.31-0.60 s
-- against 0.07-0.11 s without predictions; and removing 50,000 predictions (undoing
-- that import) probed the rows once per prediction, 0.70-1.08 s (auto_explain on the
-- 1M-row benchmark database).
-- A row and its prediction point at each other, so they are written in one statement
-- (a data-modifying CTE: the import, the seeder), and each side's statement check sees
-- the other side. The link keeps the key's meaning, and is stricter: the prediction
-- must be the row owner's.
-- * insert: every linked prediction exists and is the owner's; predictions other
--   transactions wrote are locked FOR KEY SHARE (ours need no lock);
-- * update of the link or the owner: the same, once per statement;
-- * a prediction removed unlinks its rows (ON DELETE SET NULL), once per statement;
-- * a linked prediction's id and owner cannot change (NO ACTION).
-- Errors keep SQLSTATE 23503 and the key's name.
ALTER TABLE transactions DROP CONSTRAINT IF EXISTS transactions_prediction_id_fkey;

-- The first of `ids` that is missing or not its owner's (`owners`, pairwise) raises
-- `key_name`; rows other transactions wrote are locked. `LIMIT 1` keeps each probe a
-- primary-key lookup (migration 25).
CREATE FUNCTION manna_require_owned_rows(parent REGCLASS, ids UUID[], owners UUID[], key_name TEXT)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    me CONSTANT xid := pg_current_xact_id()::xid;
    missing UUID;
    theirs UUID[];
    locked BIGINT;
BEGIN
    EXECUTE format(
        'SELECT (array_agg(k.id) FILTER (WHERE p.id IS NULL))[1], array_agg(DISTINCT p.id) FILTER (WHERE p.xmin <> $3)
         FROM unnest($1, $2) AS k(id, owner)
         LEFT JOIN LATERAL (SELECT x.id, x.xmin FROM %s x WHERE x.id = k.id AND x.user_id = k.owner LIMIT 1) p ON true
         WHERE k.id IS NOT NULL', parent)
        INTO missing, theirs USING ids, owners, me;
    IF missing IS NULL AND theirs IS NOT NULL THEN
        EXECUTE format('SELECT count(*) FROM (SELECT 1 FROM %s WHERE id = ANY($1) FOR KEY SHARE) l', parent)
            INTO locked USING theirs;
        IF locked < cardinality(theirs) THEN
            EXECUTE format('SELECT u.id FROM unnest($1) AS u(id) WHERE NOT EXISTS (SELECT 1 FROM %s x WHERE x.id = u.id)
                            LIMIT 1', parent)
                INTO missing USING theirs;
        END IF;
    END IF;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION '% % is not one of the row owner''s', parent, missing
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = key_name;
    END IF;
END $$;

-- Every key of the inserted rows (migration 22), and now the prediction link.
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
    PERFORM manna_require_owned_rows('ml_predictions', array_agg(prediction_id), array_agg(user_id),
                                     'transactions_prediction_id_fkey')
    FROM new_rows WHERE prediction_id IS NOT NULL;
    RETURN NULL;
END $$;

-- Updates check the links that changed, once per statement: categorizing existing rows
-- stores their predictions, then links up to 50,000 rows in one UPDATE. (A trigger with
-- transition tables cannot name columns; the statement triggers of migrations 9 and 11
-- capture them for every update already.)
CREATE FUNCTION manna_check_updated_prediction_links() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public AS $$
BEGIN
    PERFORM manna_require_owned_rows('ml_predictions', array_agg(n.prediction_id), array_agg(n.user_id),
                                     'transactions_prediction_id_fkey')
    FROM new_rows n LEFT JOIN old_rows o ON o.id = n.id
    WHERE n.prediction_id IS NOT NULL
      AND (o.id IS NULL OR n.prediction_id IS DISTINCT FROM o.prediction_id OR n.user_id <> o.user_id);
    RETURN NULL;
END $$;
CREATE TRIGGER transactions_prediction_links_changed
    AFTER UPDATE ON transactions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION manna_check_updated_prediction_links();

-- ON DELETE SET NULL (`transactions_prediction_idx` finds the rows). A statement that
-- removed nothing stops here.
CREATE FUNCTION manna_unlink_deleted_predictions() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM old_rows) THEN
        UPDATE transactions SET prediction_id = NULL WHERE prediction_id IN (SELECT id FROM old_rows);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER ml_predictions_rows_unlinked
    AFTER DELETE ON ml_predictions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION manna_unlink_deleted_predictions();

-- NO ACTION: a prediction's id and owner cannot change while rows link to it.
CREATE FUNCTION manna_prediction_link_kept() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM transactions WHERE prediction_id = OLD.id) THEN
        RAISE EXCEPTION 'prediction % is linked to a transaction; its id and owner cannot change', OLD.id
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'transactions_prediction_id_fkey';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER ml_predictions_link_kept
    AFTER UPDATE OF id, user_id ON ml_predictions
    FOR EACH ROW WHEN (NEW.id <> OLD.id OR NEW.user_id <> OLD.user_id)
    EXECUTE FUNCTION manna_prediction_link_kept();
