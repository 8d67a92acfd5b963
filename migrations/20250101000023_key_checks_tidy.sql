-- Leftovers of moving the transaction keys to per-statement checks (migrations 20-22):
-- * the (id, user_id) uniqueness on accounts existed only as the target of the composite
--   account key (migration 17), which is gone; the primary key still makes ids unique;
-- * the per-row update checks call the one check function directly, and the two
--   wrappers that only forwarded to it go.
ALTER TABLE accounts DROP CONSTRAINT accounts_id_user_key;

CREATE OR REPLACE FUNCTION manna_check_updated_account() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public AS $$
BEGIN
    PERFORM manna_require_owned('accounts', ARRAY[NEW.account_id], ARRAY[NEW.user_id],
                                'transactions_account_user_fkey', false);
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION manna_check_updated_import_batch() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = public AS $$
BEGIN
    PERFORM manna_require_owned('import_batches', ARRAY[NEW.import_batch_id], ARRAY[NEW.user_id],
                                'transactions_import_batch_id_fkey', false);
    RETURN NULL;
END $$;

DROP FUNCTION manna_require_accounts(UUID[], UUID[]);
DROP FUNCTION manna_require_import_batches(UUID[], UUID[]);
