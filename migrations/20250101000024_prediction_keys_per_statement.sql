-- A prediction's keys are checked once per statement, as the transaction's are
-- (migrations 20-23). As foreign keys, storing 50,000 predictions (a 100,000-row import
-- for a user whose model predicts half the rows) ran 200,000 per-row checks: 0.24 s for
-- the user, 0.39 s for the transaction, 0.19 s for the predicted category and 0.03 s
-- for the corrected one (EXPLAIN ANALYZE on the 1M-row benchmark database), against a
-- 3 s budget for the whole import. The checks keep the keys' meaning, and are stricter:
-- * a prediction's transaction must be its owner's (which makes the owner a user);
-- * its predicted category must be a system category or its owner's;
-- * a transaction removed takes its predictions with it (so does its user, whose
--   accounts take the transactions); a category removed leaves them without one;
-- * a transaction's id and owner, and a category's id, cannot change under them.
-- Errors keep SQLSTATE 23503 and the keys' names. The corrected category keeps its key:
-- it is NULL on insert (no lookup), and is only set by feedback, one row at a time.
ALTER TABLE ml_predictions
    DROP CONSTRAINT IF EXISTS ml_predictions_user_id_fkey,
    DROP CONSTRAINT IF EXISTS ml_predictions_transaction_id_fkey,
    DROP CONSTRAINT IF EXISTS ml_predictions_predicted_category_id_fkey;

-- No query reads predictions by (user, confidence): the review queue starts from the
-- transactions and follows `prediction_id`. One index entry fewer per prediction.
DROP INDEX IF EXISTS ml_predictions_review_idx;

-- The keys of the rows in `new_rows` (a transition table): one pass over them finds any
-- transaction that is missing or not the owner's, and the transactions other
-- transactions wrote, which are then locked FOR KEY SHARE as a key would lock them
-- (rows this transaction wrote need no lock: nobody else can remove them). A
-- transaction removed between the two is caught by the lock count. The categories are
-- looked up once per distinct (category, owner) pair.
CREATE FUNCTION manna_check_inserted_prediction_keys() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public AS $$
DECLARE
    me CONSTANT xid := pg_current_xact_id()::xid;
    missing UUID;
    theirs UUID[];
    locked BIGINT;
BEGIN
    SELECT (array_agg(n.transaction_id) FILTER (WHERE t.id IS NULL))[1], array_agg(t.id) FILTER (WHERE t.xmin <> me)
    INTO missing, theirs
    FROM new_rows n LEFT JOIN transactions t ON t.id = n.transaction_id AND t.user_id = n.user_id;
    IF missing IS NULL AND theirs IS NOT NULL THEN
        SELECT count(*) INTO locked FROM (SELECT 1 FROM transactions WHERE id = ANY(theirs) FOR KEY SHARE) l;
        IF locked < cardinality(ARRAY(SELECT DISTINCT unnest(theirs))) THEN
            SELECT u.id INTO missing FROM unnest(theirs) AS u(id)
            WHERE NOT EXISTS (SELECT 1 FROM transactions t WHERE t.id = u.id) LIMIT 1;
        END IF;
    END IF;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'transaction % is not one of the prediction owner''s', missing
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'ml_predictions_transaction_id_fkey';
    END IF;
    PERFORM manna_require_owned('categories', array_agg(k.predicted_category_id), array_agg(k.user_id),
                                'ml_predictions_predicted_category_id_fkey', true)
    FROM (SELECT DISTINCT predicted_category_id, user_id FROM new_rows WHERE predicted_category_id IS NOT NULL) k;
    RETURN NULL;
END $$;

CREATE TRIGGER ml_predictions_keys_checked
    AFTER INSERT ON ml_predictions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION manna_check_inserted_prediction_keys();

-- Updates check the keys that changed, row by row (only a category merge re-points
-- predictions; feedback leaves the keys alone).
CREATE FUNCTION manna_check_updated_prediction_keys() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public AS $$
BEGIN
    IF NEW.transaction_id <> OLD.transaction_id OR NEW.user_id <> OLD.user_id THEN
        PERFORM manna_require_owned('transactions', ARRAY[NEW.transaction_id], ARRAY[NEW.user_id],
                                    'ml_predictions_transaction_id_fkey', false);
    END IF;
    -- (a category released to NULL is not looked up)
    PERFORM manna_require_owned('categories', ARRAY[NEW.predicted_category_id], ARRAY[NEW.user_id],
                                'ml_predictions_predicted_category_id_fkey', true);
    RETURN NULL;
END $$;
CREATE TRIGGER ml_predictions_keys_changed
    AFTER UPDATE OF transaction_id, user_id, predicted_category_id ON ml_predictions
    FOR EACH ROW WHEN (NEW.transaction_id <> OLD.transaction_id OR NEW.user_id <> OLD.user_id
                       OR NEW.predicted_category_id IS DISTINCT FROM OLD.predicted_category_id)
    EXECUTE FUNCTION manna_check_updated_prediction_keys();

-- ON DELETE CASCADE, once per statement (`ml_predictions_transaction_idx` finds them).
CREATE FUNCTION manna_delete_row_predictions() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public AS $$
BEGIN
    DELETE FROM ml_predictions WHERE transaction_id IN (SELECT id FROM old_rows);
    RETURN NULL;
END $$;
CREATE TRIGGER transactions_predictions_deleted
    AFTER DELETE ON transactions
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION manna_delete_row_predictions();

-- NO ACTION: a transaction's id and owner cannot change under its predictions.
CREATE FUNCTION manna_prediction_transaction_kept() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM ml_predictions WHERE transaction_id = OLD.id) THEN
        RAISE EXCEPTION 'transaction % has predictions; its id and owner cannot change', OLD.id
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'ml_predictions_transaction_id_fkey';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER transactions_prediction_key_kept
    AFTER UPDATE OF id, user_id ON transactions
    FOR EACH ROW WHEN (NEW.id <> OLD.id OR NEW.user_id <> OLD.user_id)
    EXECUTE FUNCTION manna_prediction_transaction_kept();

-- ON DELETE SET NULL for the predicted category, beside the transactions' (migration 22).
CREATE OR REPLACE FUNCTION manna_release_category() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public AS $$
BEGIN
    IF OLD.user_id IS NULL THEN
        UPDATE transactions SET category_id = NULL WHERE category_id = OLD.id;
    ELSE
        UPDATE transactions SET category_id = NULL WHERE user_id = OLD.user_id AND category_id = OLD.id;
    END IF;
    UPDATE ml_predictions SET predicted_category_id = NULL WHERE predicted_category_id = OLD.id;
    RETURN NULL;
END $$;

-- NO ACTION: a category's id cannot change under its predictions either.
CREATE OR REPLACE FUNCTION manna_key_kept() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM transactions WHERE category_id = OLD.id OR rule_id = OLD.id)
       OR (TG_TABLE_NAME = 'categories' AND EXISTS (SELECT 1 FROM ml_predictions WHERE predicted_category_id = OLD.id))
    THEN
        RAISE EXCEPTION '% % has transactions; its id cannot change', TG_TABLE_NAME, OLD.id
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = TG_ARGV[0];
    END IF;
    RETURN NULL;
END $$;
