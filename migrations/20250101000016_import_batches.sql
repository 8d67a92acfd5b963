-- Statement import: each confirmed import is one batch; its rows point at it, so undo
-- removes exactly that batch. A CSV mapping that worked is kept on the account for the
-- next file from the same bank. OFX rows keep their FITID in `import_hash` ("fitid:…").
CREATE TABLE import_batches (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    account_id UUID NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    file_name TEXT NOT NULL CHECK (length(file_name) BETWEEN 1 AND 255),
    format TEXT NOT NULL CHECK (format IN ('ofx', 'qfx', 'qif', 'csv')),
    file_sha256 TEXT NOT NULL CHECK (file_sha256 ~ '^[0-9a-f]{64}$'),
    rows_in_file INT NOT NULL CHECK (rows_in_file >= 0),
    rows_added INT NOT NULL CHECK (rows_added >= 0),
    rows_duplicate INT NOT NULL CHECK (rows_duplicate >= 0),
    rows_failed INT NOT NULL CHECK (rows_failed >= 0),
    mapping JSONB,
    undone_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

CREATE TRIGGER import_batches_set_updated_at BEFORE UPDATE ON import_batches
    FOR EACH ROW EXECUTE FUNCTION manna_set_updated_at();

ALTER TABLE import_batches ENABLE ROW LEVEL SECURITY;
CREATE POLICY import_batches_owner ON import_batches TO manna_app
    USING (user_id = manna_current_user()) WITH CHECK (user_id = manna_current_user());
GRANT SELECT, INSERT, UPDATE, DELETE ON import_batches TO manna_app;

ALTER TABLE transactions ADD COLUMN import_batch_id UUID REFERENCES import_batches(id) ON DELETE SET NULL;
ALTER TABLE accounts ADD COLUMN import_mapping JSONB;

-- import page: the user's recent batches, WHERE user_id = $1 ORDER BY created_at DESC (query `import_batches`)
CREATE INDEX IF NOT EXISTS import_batches_user_idx ON import_batches (user_id, created_at DESC);
-- FK: account removal
CREATE INDEX IF NOT EXISTS import_batches_account_idx ON import_batches (account_id);
-- undo: DELETE FROM transactions WHERE import_batch_id = $1 (query `import_undo`)
CREATE INDEX IF NOT EXISTS transactions_import_batch_idx ON transactions (import_batch_id) WHERE import_batch_id IS NOT NULL;
