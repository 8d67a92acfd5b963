-- Indexes, each beside the query it serves. `manna create-indexes` reads this file and
-- (re)creates any missing or invalid index CONCURRENTLY, and `manna seed-db` drops and
-- rebuilds the transactions indexes around a bulk load; so keep one statement per
-- index, each starting with CREATE [UNIQUE] INDEX IF NOT EXISTS <name> ON <table>.

-- users --------------------------------------------------------------------------------
-- sign-in: SELECT … FROM users WHERE lower(email) = lower($1)   (also: emails unique, any case)
CREATE UNIQUE INDEX IF NOT EXISTS users_email_lower_key ON users (lower(email));
-- lockout sweep: UPDATE users SET locked_until = NULL WHERE locked_until < now()
CREATE INDEX IF NOT EXISTS users_locked_until_idx ON users (locked_until) WHERE locked_until IS NOT NULL;
-- settings lookups: WHERE preferences @> '{"theme": …}'
CREATE INDEX IF NOT EXISTS users_preferences_gin ON users USING gin (preferences jsonb_path_ops);

-- institutions -------------------------------------------------------------------------
-- Plaid upsert: INSERT … ON CONFLICT (plaid_institution_id)
CREATE UNIQUE INDEX IF NOT EXISTS institutions_plaid_institution_id_key ON institutions (plaid_institution_id);

-- plaid_items --------------------------------------------------------------------------
-- webhook routing: SELECT … FROM plaid_items WHERE plaid_item_id = $1
CREATE UNIQUE INDEX IF NOT EXISTS plaid_items_plaid_item_id_key ON plaid_items (plaid_item_id);
-- connections page: WHERE user_id = $1 ORDER BY created_at
CREATE INDEX IF NOT EXISTS plaid_items_user_idx ON plaid_items (user_id, created_at);
-- dashboard "needs attention": WHERE user_id = $1 AND status <> 'good'
CREATE INDEX IF NOT EXISTS plaid_items_needs_attention_idx ON plaid_items (user_id) WHERE status <> 'good';
-- FK: institution removal
CREATE INDEX IF NOT EXISTS plaid_items_institution_idx ON plaid_items (institution_id);

-- accounts -----------------------------------------------------------------------------
-- Plaid sync: match accounts by Plaid's id
CREATE UNIQUE INDEX IF NOT EXISTS accounts_plaid_account_id_key ON accounts (plaid_account_id) WHERE plaid_account_id IS NOT NULL;
-- dashboard / accounts page (query `dashboard_accounts`): WHERE user_id = $1 AND is_active
CREATE INDEX IF NOT EXISTS accounts_user_active_idx ON accounts (user_id, account_type, is_business) WHERE is_active;
-- sync: the accounts of one item
CREATE INDEX IF NOT EXISTS accounts_plaid_item_idx ON accounts (plaid_item_id) WHERE plaid_item_id IS NOT NULL;
-- FK: institution removal; grouping by institution
CREATE INDEX IF NOT EXISTS accounts_institution_idx ON accounts (institution_id);

-- transactions -------------------------------------------------------------------------
-- Plaid sync upsert: ON CONFLICT (plaid_transaction_id)
CREATE UNIQUE INDEX IF NOT EXISTS transactions_plaid_transaction_id_key ON transactions (plaid_transaction_id) WHERE plaid_transaction_id IS NOT NULL;
-- Plaid pending → posted: WHERE plaid_transaction_id = pending_transaction_id of the new row
CREATE INDEX IF NOT EXISTS transactions_pending_transaction_id_idx ON transactions (pending_transaction_id) WHERE pending_transaction_id IS NOT NULL;
-- transaction list, keyset by date (query `transactions_page`):
--   WHERE user_id = $1 AND (date, id) < ($2, $3) ORDER BY date DESC, id DESC LIMIT 50
CREATE INDEX IF NOT EXISTS transactions_user_date_idx ON transactions (user_id, date DESC, id DESC)
    INCLUDE (account_id, amount, category_id, pending, is_business);
-- account detail list and balance history (query `account_transactions`)
CREATE INDEX IF NOT EXISTS transactions_account_date_idx ON transactions (account_id, date DESC, id DESC);
-- category filter and spending by category (query `spending_by_category`)
CREATE INDEX IF NOT EXISTS transactions_user_category_date_idx ON transactions (user_id, category_id, date);
-- business/personal split of lists and reports
CREATE INDEX IF NOT EXISTS transactions_user_business_date_idx ON transactions (user_id, is_business, date);
-- tax summary: WHERE user_id = $1 AND tax_year = $2
CREATE INDEX IF NOT EXISTS transactions_user_tax_year_idx ON transactions (user_id, tax_year);
-- deductible spending by tax year and category (partial: a small share of rows)
CREATE INDEX IF NOT EXISTS transactions_deductible_idx ON transactions (user_id, tax_year, category_id) WHERE tax_deductible;
-- sort by amount, keyset: WHERE user_id = $1 AND (amount, id) < ($2, $3) ORDER BY amount DESC, id DESC
CREATE INDEX IF NOT EXISTS transactions_user_amount_idx ON transactions (user_id, amount DESC, id DESC);
-- "pending" filter and the pending → posted sweep
CREATE INDEX IF NOT EXISTS transactions_pending_idx ON transactions (account_id, date) WHERE pending;
-- reconciliation: the unreconciled rows of an account up to a statement date
CREATE INDEX IF NOT EXISTS transactions_unreconciled_idx ON transactions (account_id, date) WHERE NOT reconciled;
-- review queue: uncategorized rows, newest first
CREATE INDEX IF NOT EXISTS transactions_uncategorized_idx ON transactions (user_id, date DESC) WHERE category_id IS NULL;
-- double entry: the legs of a journal entry (balance trigger, transfer edits)
CREATE INDEX IF NOT EXISTS transactions_journal_entry_idx ON transactions (journal_entry_id) WHERE journal_entry_id IS NOT NULL;
-- FK + transfer pairing: the other leg
CREATE INDEX IF NOT EXISTS transactions_contra_idx ON transactions (contra_transaction_id) WHERE contra_transaction_id IS NOT NULL;
-- splits: the children of a transaction
CREATE INDEX IF NOT EXISTS transactions_parent_idx ON transactions (parent_transaction_id) WHERE parent_transaction_id IS NOT NULL;
-- import dedupe: WHERE account_id = $1 AND import_hash = $2
CREATE INDEX IF NOT EXISTS transactions_import_hash_idx ON transactions (account_id, import_hash) WHERE import_hash IS NOT NULL;
-- free-text search over merchant, description and notes (query `transactions_search`):
--   WHERE user_id = $1 AND search_text ILIKE '%' || $2 || '%'
CREATE INDEX IF NOT EXISTS transactions_search_trgm ON transactions USING gin (search_text gin_trgm_ops);
-- tag filter: WHERE tags @> ARRAY[$2]
CREATE INDEX IF NOT EXISTS transactions_tags_gin ON transactions USING gin (tags);
-- location queries: WHERE location @> '{"city": …}'
CREATE INDEX IF NOT EXISTS transactions_location_gin ON transactions USING gin (location jsonb_path_ops) WHERE location IS NOT NULL;
-- FK: rule and prediction removal, rule effectiveness
CREATE INDEX IF NOT EXISTS transactions_rule_idx ON transactions (rule_id) WHERE rule_id IS NOT NULL;
CREATE INDEX IF NOT EXISTS transactions_prediction_idx ON transactions (prediction_id) WHERE prediction_id IS NOT NULL;

-- categories ---------------------------------------------------------------------------
-- one name per parent per owner, any case (system defaults have no owner)
CREATE UNIQUE INDEX IF NOT EXISTS categories_owner_parent_name_key ON categories (user_id, parent_id, lower(name)) NULLS NOT DISTINCT;
-- the category tree: WHERE user_id = $1 OR user_id IS NULL ORDER BY sort_order
CREATE INDEX IF NOT EXISTS categories_user_sort_idx ON categories (user_id, sort_order);
-- hierarchy roll-ups: the children of a category
CREATE INDEX IF NOT EXISTS categories_parent_idx ON categories (parent_id) WHERE parent_id IS NOT NULL;

-- ml_predictions -----------------------------------------------------------------------
-- explanation: the latest prediction of a transaction
CREATE INDEX IF NOT EXISTS ml_predictions_transaction_idx ON ml_predictions (transaction_id, created_at DESC);
-- review queue: predictions without feedback, least confident first
CREATE INDEX IF NOT EXISTS ml_predictions_review_idx ON ml_predictions (user_id, confidence) WHERE feedback IS NULL;
-- accuracy over time per model version
CREATE INDEX IF NOT EXISTS ml_predictions_user_version_idx ON ml_predictions (user_id, model_version, created_at);
-- FK: category removal
CREATE INDEX IF NOT EXISTS ml_predictions_category_idx ON ml_predictions (predicted_category_id);

-- categorization_rules -----------------------------------------------------------------
-- rule engine: active rules in priority order
CREATE INDEX IF NOT EXISTS rules_user_priority_idx ON categorization_rules (user_id, priority, created_at) WHERE is_active;
-- "which rules mention this account / merchant": conditions @> …
CREATE INDEX IF NOT EXISTS rules_conditions_gin ON categorization_rules USING gin (conditions jsonb_path_ops);

-- reports ------------------------------------------------------------------------------
-- reports page: WHERE user_id = $1 AND report_type = $2 ORDER BY generated_at DESC
CREATE INDEX IF NOT EXISTS reports_user_type_idx ON reports (user_id, report_type, generated_at DESC);
-- share links: WHERE share_token = $1 AND share_expires_at > now()
CREATE UNIQUE INDEX IF NOT EXISTS reports_share_token_key ON reports (share_token) WHERE share_token IS NOT NULL;
-- templates list
CREATE INDEX IF NOT EXISTS reports_templates_idx ON reports (user_id, created_at) WHERE is_template;
-- versions: WHERE previous_version_id = $1
CREATE INDEX IF NOT EXISTS reports_previous_version_idx ON reports (previous_version_id) WHERE previous_version_id IS NOT NULL;
-- reports by parameter: parameters @> '{"scope": "business"}'
CREATE INDEX IF NOT EXISTS reports_parameters_gin ON reports USING gin (parameters jsonb_path_ops);

-- budgets / budget_items ---------------------------------------------------------------
-- budgets page and dashboard widget: the active budget covering today
CREATE INDEX IF NOT EXISTS budgets_user_period_idx ON budgets (user_id, period_start DESC, period_end) WHERE is_active;
-- one item per category per budget
CREATE UNIQUE INDEX IF NOT EXISTS budget_items_budget_category_key ON budget_items (budget_id, category_id);
-- FK: category removal
CREATE INDEX IF NOT EXISTS budget_items_category_idx ON budget_items (category_id);

-- plaid_webhooks -----------------------------------------------------------------------
-- at-most-once intake: ON CONFLICT (dedupe_key) DO NOTHING
CREATE UNIQUE INDEX IF NOT EXISTS plaid_webhooks_dedupe_key ON plaid_webhooks (dedupe_key);
-- worker: WHERE status IN ('received','failed') AND next_attempt_at <= now() … FOR UPDATE SKIP LOCKED
CREATE INDEX IF NOT EXISTS plaid_webhooks_due_idx ON plaid_webhooks (next_attempt_at) WHERE status IN ('received', 'failed');
-- connections page: last webhooks of an item
CREATE INDEX IF NOT EXISTS plaid_webhooks_item_idx ON plaid_webhooks (plaid_item_id, received_at DESC);

-- audit_logs ---------------------------------------------------------------------------
-- settings › activity: WHERE user_id = $1 AND seq < $2 ORDER BY seq DESC (chain order)
CREATE INDEX IF NOT EXISTS audit_logs_user_seq_idx ON audit_logs (user_id, seq DESC);
-- history of one entity: WHERE entity_type = $1 AND entity_id = $2
CREATE INDEX IF NOT EXISTS audit_logs_entity_idx ON audit_logs (entity_type, entity_id);
-- retention: DELETE … WHERE created_at < $1 (append-only, so BRIN is tiny and enough)
CREATE INDEX IF NOT EXISTS audit_logs_created_brin ON audit_logs USING brin (created_at);
-- per-network sign-in throttle: failures from one ip in the last 15 minutes
CREATE INDEX IF NOT EXISTS audit_logs_failed_sign_in_ip_idx ON audit_logs (ip_address, created_at)
    WHERE action IN ('auth.sign_in_failed', 'auth.mfa_failed');
-- FK: session removal; what a session did
CREATE INDEX IF NOT EXISTS audit_logs_session_idx ON audit_logs (session_id) WHERE session_id IS NOT NULL;

-- user_sessions ------------------------------------------------------------------------
-- every request: WHERE session_id_hash = $1
CREATE UNIQUE INDEX IF NOT EXISTS user_sessions_session_hash_key ON user_sessions (session_id_hash);
-- settings › sessions: the user's live sessions
CREATE INDEX IF NOT EXISTS user_sessions_user_live_idx ON user_sessions (user_id, last_seen_at DESC) WHERE revoked_at IS NULL;
-- expiry sweep
CREATE INDEX IF NOT EXISTS user_sessions_expires_idx ON user_sessions (expires_at) WHERE revoked_at IS NULL;
