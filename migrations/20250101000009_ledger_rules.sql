-- Ledger rules the database keeps, whoever writes the rows: a manual account's balance
-- follows its transactions, split parts add up to their parent, reconciled rows are
-- locked, and categories can be archived instead of deleted.

-- Archived categories stay on old transactions but leave pickers and new rules.
ALTER TABLE categories ADD COLUMN archived_at TIMESTAMPTZ;

-- Manual accounts: current_balance is the sum of their top-level transactions (split
-- parts are already counted by their parent). Cash accounts hold the sum; credit and
-- loan accounts owe its negation. Statement-level triggers over transition tables, so
-- a bulk insert costs one UPDATE per account, not one per row. Linked (Plaid) accounts
-- take their balance from the bank instead.
CREATE FUNCTION manna_balances_after_insert() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE accounts a
    SET current_balance = a.current_balance + CASE WHEN a.account_type IN ('credit', 'loan') THEN -d.s ELSE d.s END
    FROM (SELECT account_id, sum(amount) AS s FROM new_rows WHERE parent_transaction_id IS NULL
          GROUP BY account_id) d
    WHERE a.id = d.account_id AND a.is_manual AND d.s <> 0;
    RETURN NULL;
END $$;

CREATE FUNCTION manna_balances_after_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE accounts a
    SET current_balance = a.current_balance - CASE WHEN a.account_type IN ('credit', 'loan') THEN -d.s ELSE d.s END
    FROM (SELECT account_id, sum(amount) AS s FROM old_rows WHERE parent_transaction_id IS NULL
          GROUP BY account_id) d
    WHERE a.id = d.account_id AND a.is_manual AND d.s <> 0;
    RETURN NULL;
END $$;

CREATE FUNCTION manna_balances_after_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE accounts a
    SET current_balance = a.current_balance + CASE WHEN a.account_type IN ('credit', 'loan') THEN -d.s ELSE d.s END
    FROM (SELECT account_id, sum(amount) AS s
          FROM (SELECT account_id, amount FROM new_rows WHERE parent_transaction_id IS NULL
                UNION ALL
                SELECT account_id, -amount FROM old_rows WHERE parent_transaction_id IS NULL) moved
          GROUP BY account_id) d
    WHERE a.id = d.account_id AND a.is_manual AND d.s <> 0;
    RETURN NULL;
END $$;

CREATE TRIGGER transactions_balances_insert AFTER INSERT ON transactions
    REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION manna_balances_after_insert();
CREATE TRIGGER transactions_balances_delete AFTER DELETE ON transactions
    REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION manna_balances_after_delete();
CREATE TRIGGER transactions_balances_update AFTER UPDATE ON transactions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION manna_balances_after_update();

-- Splits: the parts of a split transaction (rows whose parent_transaction_id points at
-- it) are at least two and add up to the parent's amount exactly. Checked at commit, so
-- parts can be replaced one by one inside a transaction.
CREATE FUNCTION manna_assert_split_adds_up(parent UUID) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    whole NUMERIC;
    total NUMERIC;
    parts INT;
BEGIN
    SELECT amount INTO whole FROM transactions WHERE id = parent;
    IF NOT FOUND THEN
        RETURN; -- the parent is gone, and its parts with it (ON DELETE CASCADE)
    END IF;
    SELECT coalesce(sum(amount), 0), count(*) INTO total, parts
    FROM transactions WHERE parent_transaction_id = parent;
    IF parts > 0 AND (parts < 2 OR total <> whole) THEN
        RAISE EXCEPTION 'split of % does not add up: % parts sum to %, the transaction is %', parent, parts, total, whole
            USING ERRCODE = '23514', CONSTRAINT = 'transactions_split_adds_up';
    END IF;
END $$;
ALTER FUNCTION manna_assert_split_adds_up(UUID) SECURITY DEFINER;

CREATE FUNCTION manna_check_split_part() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP <> 'DELETE' AND NEW.parent_transaction_id IS NOT NULL THEN
        PERFORM manna_assert_split_adds_up(NEW.parent_transaction_id);
    END IF;
    IF TG_OP <> 'INSERT' AND OLD.parent_transaction_id IS NOT NULL THEN
        PERFORM manna_assert_split_adds_up(OLD.parent_transaction_id);
    END IF;
    IF TG_OP = 'UPDATE' AND NEW.parent_transaction_id IS NULL AND NEW.amount IS DISTINCT FROM OLD.amount THEN
        PERFORM manna_assert_split_adds_up(NEW.id); -- a split parent's amount changed
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER transactions_split_adds_up
    AFTER INSERT OR UPDATE OF amount, parent_transaction_id OR DELETE ON transactions
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION manna_check_split_part();

-- Reconciled rows are locked: changing what was agreed with the bank statement, or
-- deleting the row, needs an explicit un-reconcile first (an UPDATE that only clears
-- `reconciled`). Deletes cascading from a closed account or an erased user (trigger
-- depth > 1) still go through. Merging categories may re-point a locked row's category
-- when it sets `manna.restructure` for its transaction.
CREATE FUNCTION manna_reconciled_lock() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF pg_trigger_depth() > 1 THEN
        RETURN coalesce(NEW, OLD);
    END IF;
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'transaction % is reconciled; un-reconcile it before deleting it', OLD.id
            USING ERRCODE = '23514', CONSTRAINT = 'transactions_reconciled_locked';
    END IF;
    IF NEW.reconciled AND (NEW.amount, NEW.date, NEW.account_id, NEW.name, NEW.merchant_name, NEW.notes, NEW.tags,
                           NEW.is_business, NEW.tax_deductible, NEW.journal_entry_id, NEW.contra_transaction_id,
                           NEW.parent_transaction_id, NEW.transaction_type, NEW.pending)
        IS DISTINCT FROM (OLD.amount, OLD.date, OLD.account_id, OLD.name, OLD.merchant_name, OLD.notes, OLD.tags,
                          OLD.is_business, OLD.tax_deductible, OLD.journal_entry_id, OLD.contra_transaction_id,
                          OLD.parent_transaction_id, OLD.transaction_type, OLD.pending)
       OR (NEW.reconciled AND NEW.category_id IS DISTINCT FROM OLD.category_id
           AND coalesce(current_setting('manna.restructure', true), '') <> 'on')
    THEN
        RAISE EXCEPTION 'transaction % is reconciled; un-reconcile it before editing it', OLD.id
            USING ERRCODE = '23514', CONSTRAINT = 'transactions_reconciled_locked';
    END IF;
    RETURN NEW;
END $$;

CREATE TRIGGER transactions_reconciled_lock
    BEFORE UPDATE OR DELETE ON transactions
    FOR EACH ROW WHEN (OLD.reconciled) EXECUTE FUNCTION manna_reconciled_lock();

-- category picker and categories page: the user's categories that are not archived
CREATE INDEX IF NOT EXISTS categories_user_active_idx ON categories (user_id, parent_id) WHERE archived_at IS NULL;
