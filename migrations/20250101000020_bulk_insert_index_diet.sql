-- Every inserted row paid for index entries and a key check that no query needs as such.
-- Measured on the 1M-row benchmark database, a 100,000-row imported batch: WAL records
-- 1.23M -> 0.92M (12 -> 9 per row), and the batch key 0.37-0.40 s -> 0.02 s. What goes:
--
-- * The review queue and the "uncategorized" filter ask `user_id = $1 AND category_id
--   IS NULL`, which is an index condition of the category index (user_id, category_id,
--   date): B-tree indexes hold NULLs, in date order within them. The partial index
--   said the same thing again for every uncategorized row, which is most imported rows.
DROP INDEX IF EXISTS transactions_uncategorized_idx;
-- * The tax year is a function of the date (the owner's fiscal year start is fixed
--   for all their rows, and rows are recomputed when it changes), so the list of a
--   user's tax years is a loose scan of the date index (query `tax_years`), and the
--   deductible summary of a year reads `transactions_deductible_idx`. Nothing read
--   (user_id, tax_year) otherwise.
DROP INDEX IF EXISTS transactions_user_tax_year_idx;
-- The first day of a tax year, the inverse of manna_tax_year (rows are dated 1900-2200).
CREATE FUNCTION manna_tax_year_start(tax_year INT, start_month INT) RETURNS DATE
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE WHEN start_month BETWEEN 2 AND 12 THEN make_date(tax_year - 1, start_month, 1)
                ELSE make_date(tax_year, 1, 1) END
$$;
-- * GIN indexes an empty array as an entry of its own, so every untagged row (nearly
--   all of them) had one. A tag filter asks for rows carrying tags, which are never
--   untagged: the list says `tags <> '{}'` with its `tags @>` so this index applies.
DROP INDEX IF EXISTS transactions_tags_gin;
-- tag filter: WHERE tags @> $2 AND tags <> '{}'
CREATE INDEX IF NOT EXISTS transactions_tagged_gin ON transactions USING gin (tags) WHERE tags <> '{}';

-- * The batch key was a foreign key: a lookup and lock of the (one) batch row for each
--   inserted row (0.37-0.40 s of 100,000 rows). It is checked once per statement
--   now, as a set, and is stricter than the key was: a row's batch must be its owner's.
--   Removing a batch (its user or account going) still clears the rows' reference.
ALTER TABLE transactions DROP CONSTRAINT IF EXISTS transactions_import_batch_id_fkey;

-- The batches named by `rows` (batch id, owner) must exist and be the owner's; they
-- are locked against removal until the transaction ends, as a foreign key would.
CREATE FUNCTION manna_require_import_batches(batch_ids UUID[], owner_ids UUID[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public AS $$
DECLARE
    k RECORD;
BEGIN
    FOR k IN SELECT DISTINCT b.id, b.owner FROM unnest(batch_ids, owner_ids) AS b(id, owner) WHERE b.id IS NOT NULL LOOP
        PERFORM 1 FROM import_batches WHERE id = k.id AND user_id = k.owner FOR KEY SHARE;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'import batch % is not one of the row owner''s batches', k.id
                USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'transactions_import_batch_id_fkey';
        END IF;
    END LOOP;
END $$;

CREATE FUNCTION manna_check_inserted_import_batches() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public AS $$
BEGIN
    -- One (batch, owner) pair per import: aggregate before anything is looked up.
    PERFORM manna_require_import_batches(array_agg(k.import_batch_id), array_agg(k.user_id))
    FROM (SELECT DISTINCT import_batch_id, user_id FROM new_rows WHERE import_batch_id IS NOT NULL) k;
    RETURN NULL;
END $$;
CREATE TRIGGER transactions_import_batch_checked
    AFTER INSERT ON transactions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION manna_check_inserted_import_batches();

CREATE FUNCTION manna_check_updated_import_batch() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public AS $$
BEGIN
    PERFORM manna_require_import_batches(ARRAY[NEW.import_batch_id], ARRAY[NEW.user_id]);
    RETURN NULL;
END $$;
CREATE TRIGGER transactions_import_batch_changed
    AFTER UPDATE OF import_batch_id, user_id ON transactions
    FOR EACH ROW WHEN (NEW.import_batch_id IS NOT NULL
                       AND (NEW.import_batch_id IS DISTINCT FROM OLD.import_batch_id OR NEW.user_id <> OLD.user_id))
    EXECUTE FUNCTION manna_check_updated_import_batch();

-- What ON DELETE SET NULL did (`transactions_import_batch_idx` finds the rows).
CREATE FUNCTION manna_release_import_batch() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public AS $$
BEGIN
    UPDATE transactions SET import_batch_id = NULL WHERE import_batch_id = OLD.id;
    RETURN NULL;
END $$;
CREATE TRIGGER import_batches_released
    AFTER DELETE ON import_batches
    FOR EACH ROW EXECUTE FUNCTION manna_release_import_batch();
