-- An import batch records the range of its rows' ids, and the rows are found through
-- the primary key within it, so imported rows no longer pay for an index of their own:
-- `transactions_import_batch_idx` was one of seven B-tree entries every imported row
-- wrote, 0.2-0.5 s of a 100,000-row import's ~3 s statement on the 1M-row benchmark
-- database. An import chooses its rows' (time-ordered) ids before it writes the batch,
-- so the range holds exactly its rows, and a row of another batch or none that falls
-- in it is told apart by `import_batch_id` as before.
--
-- What keeps the range true: a row may name a batch only if its id is within the
-- batch's range (checked per statement on insert, per row when the id, batch or owner
-- changes), and a batch's range is fixed once written.
ALTER TABLE import_batches
    ADD COLUMN first_row_id UUID,
    ADD COLUMN last_row_id UUID,
    ADD CONSTRAINT import_batches_row_range_check
        CHECK ((first_row_id IS NULL) = (last_row_id IS NULL) AND first_row_id <= last_row_id);

-- Batches written before: the range of the rows they still have (none: undone).
-- Postgres 15 has no min/max for uuid; in the C collation the text form sorts as the
-- bytes do.
UPDATE import_batches b SET first_row_id = r.first_id, last_row_id = r.last_id
FROM (SELECT import_batch_id, min(id::text COLLATE "C")::uuid AS first_id, max(id::text COLLATE "C")::uuid AS last_id
      FROM transactions WHERE import_batch_id IS NOT NULL GROUP BY import_batch_id) r
WHERE r.import_batch_id = b.id;

CREATE FUNCTION manna_import_batch_rows_fixed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.first_row_id IS DISTINCT FROM OLD.first_row_id OR NEW.last_row_id IS DISTINCT FROM OLD.last_row_id THEN
        RAISE EXCEPTION 'an import batch''s rows are fixed when it is written'
            USING ERRCODE = 'check_violation', CONSTRAINT = 'import_batches_row_range_check';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER import_batches_rows_fixed BEFORE UPDATE OF first_row_id, last_row_id ON import_batches
    FOR EACH ROW EXECUTE FUNCTION manna_import_batch_rows_fixed();

CREATE OR REPLACE FUNCTION manna_check_inserted_keys() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public AS $$
BEGIN
    PERFORM manna_require_owned('accounts', array_agg(k.account_id), array_agg(k.user_id),
                                'transactions_account_user_fkey', false)
    FROM (SELECT DISTINCT account_id, user_id FROM new_rows) k;
    PERFORM manna_require_owned('import_batches', array_agg(k.import_batch_id), array_agg(k.user_id),
                                'transactions_import_batch_id_fkey', false)
    FROM (SELECT DISTINCT import_batch_id, user_id FROM new_rows WHERE import_batch_id IS NOT NULL) k;
    IF EXISTS (SELECT 1 FROM new_rows n JOIN import_batches b ON b.id = n.import_batch_id
               WHERE b.first_row_id IS NULL OR n.id NOT BETWEEN b.first_row_id AND b.last_row_id) THEN
        RAISE EXCEPTION 'a row''s id is outside its import batch''s rows'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'transactions_import_batch_id_fkey';
    END IF;
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

CREATE OR REPLACE FUNCTION manna_check_updated_import_batch() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public AS $$
BEGIN
    PERFORM manna_require_owned('import_batches', ARRAY[NEW.import_batch_id], ARRAY[NEW.user_id],
                                'transactions_import_batch_id_fkey', false);
    IF NOT EXISTS (SELECT 1 FROM import_batches
                   WHERE id = NEW.import_batch_id AND NEW.id BETWEEN first_row_id AND last_row_id) THEN
        RAISE EXCEPTION 'a row''s id is outside its import batch''s rows'
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'transactions_import_batch_id_fkey';
    END IF;
    RETURN NULL;
END $$;
DROP TRIGGER transactions_import_batch_changed ON transactions;
CREATE TRIGGER transactions_import_batch_changed
    AFTER UPDATE OF id, import_batch_id, user_id ON transactions
    FOR EACH ROW WHEN (NEW.import_batch_id IS NOT NULL
                       AND (NEW.import_batch_id IS DISTINCT FROM OLD.import_batch_id OR NEW.user_id <> OLD.user_id
                            OR NEW.id <> OLD.id))
    EXECUTE FUNCTION manna_check_updated_import_batch();

-- What ON DELETE SET NULL did, through the primary key.
CREATE OR REPLACE FUNCTION manna_release_import_batch() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public AS $$
BEGIN
    UPDATE transactions SET import_batch_id = NULL
    WHERE id BETWEEN OLD.first_row_id AND OLD.last_row_id AND import_batch_id = OLD.id;
    RETURN NULL;
END $$;

DROP INDEX IF EXISTS transactions_import_batch_idx;
