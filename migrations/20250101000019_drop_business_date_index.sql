-- The business/personal index (user_id, is_business, date) no longer serves any query:
-- since the list's covering index carries is_business (migration 13), the list and the
-- report sums filter it inside that index (index-only). Measured on the benchmark
-- database, a business-only year sum is an index-only scan of the covering index
-- (8.8 ms for 48,000 rows) and the business-only list stops after 250 entries of it.
-- It still cost every inserted row an index entry: about 3% of a 100,000-row import
-- and 43 MB at a million rows.
DROP INDEX IF EXISTS transactions_user_business_date_idx;
