-- A 100,000-row statement import spent about a third of a second in the tax-year row
-- trigger (a PL/pgSQL call per row, even with the owner's fiscal start cached), and
-- 0.3-0.5 s more on an index no query reads. Measured on the 1M-row benchmark
-- database, 100,000 rows inserted in date order: 3.35 s -> 3.03 s without the trigger.
--
-- Bulk inserts now name each row's tax year themselves (one join with `users` for the
-- statement), and the DB checks every such row once per statement, as a set. A row
-- inserted without a tax year (NULL, or 0: "work it out") still gets it from the row trigger, and a
-- change of date or owner still recomputes it. No row can hold a wrong tax year.
DROP TRIGGER transactions_assign_tax_year ON transactions;
CREATE TRIGGER transactions_assign_tax_year
    BEFORE INSERT ON transactions
    FOR EACH ROW WHEN (coalesce(NEW.tax_year, 0) = 0) EXECUTE FUNCTION manna_assign_tax_year();
CREATE TRIGGER transactions_reassign_tax_year
    BEFORE UPDATE OF date, user_id ON transactions
    FOR EACH ROW EXECUTE FUNCTION manna_assign_tax_year();

CREATE FUNCTION manna_check_tax_years() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
DECLARE
    wrong RECORD;
BEGIN
    SELECT n.date, n.tax_year, manna_tax_year(n.date, u.fiscal_year_start_month) AS expected INTO wrong
    FROM new_rows n JOIN users u ON u.id = n.user_id
    WHERE n.tax_year <> manna_tax_year(n.date, u.fiscal_year_start_month)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'tax year % given for a row dated %, the owner''s fiscal year makes it %',
            wrong.tax_year, wrong.date, wrong.expected
            USING ERRCODE = 'check_violation', CONSTRAINT = 'transactions_tax_year_matches_date';
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER transactions_tax_year_checked
    AFTER INSERT ON transactions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION manna_check_tax_years();

-- Duplicate detection reads an account's rows in the statement's date window
-- (`transactions_account_date_idx`) and compares FITIDs in memory: nothing looks rows
-- up by (account_id, import_hash).
DROP INDEX IF EXISTS transactions_import_hash_idx;
