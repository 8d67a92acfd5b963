-- Reports, budgets and the dashboard sum a user's rows over a date range, leaving
-- transfers out: the list's covering index now carries transaction_type too, so
-- those sums are index-only scans instead of a heap visit per row.
DROP INDEX IF EXISTS transactions_user_date_idx;

-- transaction list, keyset by date (query `transactions_page`):
--   WHERE user_id = $1 AND (date, id) < ($2, $3) ORDER BY date DESC, id DESC LIMIT 50
-- and the sums by date range (queries `report_category_sums`, `report_month_flows`,
-- `report_month_spending`, `budget_actuals`, `dashboard_net_worth`), index-only
CREATE INDEX IF NOT EXISTS transactions_user_date_idx ON transactions (user_id, date DESC, id DESC)
    INCLUDE (account_id, amount, category_id, pending, is_business, transaction_type);
