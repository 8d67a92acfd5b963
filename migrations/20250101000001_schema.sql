-- Manna schema: the 14 tables of the original design (shared/SCHEMA.md).
-- Sign convention: positive amount = money into the account. Credit and loan balances
-- are amounts owed (positive = debt), as Plaid reports them.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE TYPE account_type AS ENUM ('depository', 'credit', 'loan', 'investment', 'other');
CREATE TYPE transaction_type AS ENUM ('income', 'expense', 'transfer', 'adjustment');
CREATE TYPE transaction_source AS ENUM ('plaid', 'import', 'manual');
CREATE TYPE category_source AS ENUM ('user', 'rule', 'ml', 'plaid', 'import');
CREATE TYPE category_kind AS ENUM ('income', 'expense', 'transfer');
CREATE TYPE report_type AS ENUM ('profit_loss', 'balance_sheet', 'cash_flow',
    'category_analysis', 'spending_trends', 'tax_summary', 'budget_variance');
CREATE TYPE budget_type AS ENUM ('monthly', 'quarterly', 'annual', 'custom');
CREATE TYPE budget_scope AS ENUM ('personal', 'business', 'all');
CREATE TYPE plaid_item_status AS ENUM ('good', 'login_required', 'pending_expiration',
    'pending_disconnect', 'revoked', 'error');
CREATE TYPE webhook_status AS ENUM ('received', 'processing', 'processed', 'failed');
CREATE TYPE business_impact AS ENUM ('none', 'low', 'medium', 'high');
CREATE TYPE prediction_feedback AS ENUM ('accepted', 'corrected');

-- Keeps updated_at honest on every table.
CREATE FUNCTION manna_set_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END $$;

-- The tax year of a date for a fiscal year starting on the 1st of `start_month`, named
-- after the calendar year in which it ends. Mirrors manna_core::ledger::tax_year.
CREATE FUNCTION manna_tax_year(d DATE, start_month INT) RETURNS INT
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT CASE
        WHEN start_month IS NULL OR start_month NOT BETWEEN 2 AND 12 THEN extract(year FROM d)::int
        WHEN extract(month FROM d)::int < start_month THEN extract(year FROM d)::int
        ELSE extract(year FROM d)::int + 1
    END
$$;

-- 1. users
CREATE TABLE users (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    email TEXT NOT NULL CHECK (length(email) BETWEEN 3 AND 254 AND position('@' IN email) > 1),
    password_hash TEXT NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    display_name TEXT NOT NULL DEFAULT '' CHECK (length(display_name) <= 100),
    is_business BOOLEAN NOT NULL DEFAULT false,
    business_name TEXT CHECK (length(business_name) <= 200),
    business_type TEXT CHECK (length(business_type) <= 100),
    tax_id_encrypted BYTEA,
    fiscal_year_start_month SMALLINT NOT NULL DEFAULT 1 CHECK (fiscal_year_start_month BETWEEN 1 AND 12),
    timezone TEXT NOT NULL DEFAULT 'UTC',
    default_currency CHAR(3) NOT NULL DEFAULT 'USD' CHECK (default_currency ~ '^[A-Z]{3}$'),
    preferences JSONB NOT NULL DEFAULT '{}'::jsonb CHECK (jsonb_typeof(preferences) = 'object'),
    mfa_enabled BOOLEAN NOT NULL DEFAULT false,
    totp_secret_encrypted BYTEA,
    recovery_code_hashes TEXT[] NOT NULL DEFAULT '{}',
    failed_login_count INT NOT NULL DEFAULT 0 CHECK (failed_login_count >= 0),
    last_failed_login_at TIMESTAMPTZ,
    locked_until TIMESTAMPTZ,
    last_login_at TIMESTAMPTZ,
    anonymized_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (NOT mfa_enabled OR totp_secret_encrypted IS NOT NULL),
    CHECK (is_business OR business_name IS NULL OR business_name = '')
);

-- 2. institutions (shared reference data, not user-owned)
CREATE TABLE institutions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    plaid_institution_id TEXT NOT NULL,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    url TEXT,
    logo TEXT,
    primary_color TEXT CHECK (primary_color IS NULL OR primary_color ~ '^#[0-9A-Fa-f]{6}$'),
    country_codes TEXT[] NOT NULL DEFAULT '{US}',
    products TEXT[] NOT NULL DEFAULT '{}',
    oauth BOOLEAN NOT NULL DEFAULT false,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- 11. plaid_items (before accounts, which reference it)
CREATE TABLE plaid_items (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    institution_id UUID REFERENCES institutions(id) ON DELETE SET NULL,
    plaid_item_id TEXT NOT NULL,
    access_token_encrypted BYTEA NOT NULL,
    encryption_key_id SMALLINT NOT NULL DEFAULT 1,
    status plaid_item_status NOT NULL DEFAULT 'good',
    error_code TEXT,
    error_message TEXT,
    consent_expires_at TIMESTAMPTZ,
    sync_cursor TEXT,
    last_synced_at TIMESTAMPTZ,
    last_webhook_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (status <> 'error' OR error_code IS NOT NULL)
);

-- 3. accounts
CREATE TABLE accounts (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    institution_id UUID REFERENCES institutions(id) ON DELETE SET NULL,
    plaid_item_id UUID REFERENCES plaid_items(id) ON DELETE SET NULL,
    plaid_account_id TEXT,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    official_name TEXT,
    mask TEXT CHECK (mask IS NULL OR length(mask) <= 8),
    account_type account_type NOT NULL,
    account_subtype TEXT,
    is_business BOOLEAN NOT NULL DEFAULT false,
    currency CHAR(3) NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    current_balance NUMERIC(15,2) NOT NULL DEFAULT 0,
    available_balance NUMERIC(15,2),
    credit_limit NUMERIC(15,2) CHECK (credit_limit IS NULL OR credit_limit >= 0),
    is_manual BOOLEAN NOT NULL DEFAULT true,
    is_active BOOLEAN NOT NULL DEFAULT true,
    closed_at TIMESTAMPTZ,
    last_synced_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (is_manual OR plaid_account_id IS NOT NULL),
    CHECK (is_active OR closed_at IS NOT NULL)
);

-- 5. categories (user_id NULL = the system defaults everyone sees)
CREATE TABLE categories (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID REFERENCES users(id) ON DELETE CASCADE,
    parent_id UUID REFERENCES categories(id) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 100),
    kind category_kind NOT NULL DEFAULT 'expense',
    icon TEXT,
    color TEXT CHECK (color IS NULL OR color ~ '^#[0-9A-Fa-f]{6}$'),
    tax_line TEXT,
    deductible_default BOOLEAN NOT NULL DEFAULT false,
    sort_order INT NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (parent_id IS NULL OR parent_id <> id)
);

-- 7. categorization_rules
CREATE TABLE categorization_rules (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    priority INT NOT NULL DEFAULT 100,
    is_active BOOLEAN NOT NULL DEFAULT true,
    match_mode TEXT NOT NULL DEFAULT 'all' CHECK (match_mode IN ('all', 'any')),
    conditions JSONB NOT NULL CHECK (jsonb_typeof(conditions) = 'array'),
    actions JSONB NOT NULL CHECK (jsonb_typeof(actions) = 'object'),
    match_count BIGINT NOT NULL DEFAULT 0 CHECK (match_count >= 0),
    last_matched_at TIMESTAMPTZ,
    override_count BIGINT NOT NULL DEFAULT 0 CHECK (override_count >= 0),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- 4. transactions
CREATE TABLE transactions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    account_id UUID NOT NULL REFERENCES accounts(id) ON DELETE CASCADE,
    plaid_transaction_id TEXT,
    pending_transaction_id TEXT,
    amount NUMERIC(15,2) NOT NULL,
    currency CHAR(3) NOT NULL DEFAULT 'USD' CHECK (currency ~ '^[A-Z]{3}$'),
    date DATE NOT NULL CHECK (date BETWEEN DATE '1900-01-01' AND DATE '2200-12-31'),
    authorized_date DATE,
    pending BOOLEAN NOT NULL DEFAULT false,
    name TEXT NOT NULL CHECK (length(name) <= 500),
    merchant_name TEXT CHECK (length(merchant_name) <= 200),
    category_id UUID REFERENCES categories(id) ON DELETE SET NULL,
    category_source category_source,
    rule_id UUID REFERENCES categorization_rules(id) ON DELETE SET NULL,
    prediction_id UUID, -- FK added below, after ml_predictions exists
    payment_channel TEXT CHECK (payment_channel IN ('online', 'in store', 'other')),
    location JSONB,
    tags TEXT[] NOT NULL DEFAULT '{}',
    notes TEXT CHECK (length(notes) <= 2000),
    is_business BOOLEAN NOT NULL DEFAULT false,
    tax_year INT NOT NULL,
    tax_deductible BOOLEAN NOT NULL DEFAULT false,
    journal_entry_id UUID,
    contra_transaction_id UUID REFERENCES transactions(id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED,
    transaction_type transaction_type NOT NULL DEFAULT 'expense',
    parent_transaction_id UUID REFERENCES transactions(id) ON DELETE CASCADE,
    reconciled BOOLEAN NOT NULL DEFAULT false,
    reconciled_at TIMESTAMPTZ,
    source transaction_source NOT NULL DEFAULT 'manual',
    import_hash TEXT,
    metadata JSONB NOT NULL DEFAULT '{}'::jsonb,
    search_text TEXT GENERATED ALWAYS AS
        (lower(coalesce(merchant_name, '') || ' ' || name || ' ' || coalesce(notes, ''))) STORED,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (category_id IS NULL OR category_source IS NOT NULL),
    CHECK (reconciled = (reconciled_at IS NOT NULL)),
    CHECK (contra_transaction_id IS NULL OR contra_transaction_id <> id),
    CHECK (contra_transaction_id IS NULL OR journal_entry_id IS NOT NULL),
    CHECK (transaction_type <> 'transfer' OR journal_entry_id IS NOT NULL),
    CHECK (source <> 'plaid' OR plaid_transaction_id IS NOT NULL)
);

-- 6. ml_predictions
CREATE TABLE ml_predictions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    transaction_id UUID NOT NULL REFERENCES transactions(id) ON DELETE CASCADE,
    predicted_category_id UUID REFERENCES categories(id) ON DELETE SET NULL,
    confidence NUMERIC(5,4) NOT NULL CHECK (confidence BETWEEN 0 AND 1),
    model_version TEXT NOT NULL,
    features_used JSONB NOT NULL DEFAULT '{}'::jsonb,
    top_alternatives JSONB NOT NULL DEFAULT '[]'::jsonb CHECK (jsonb_typeof(top_alternatives) = 'array'),
    feedback prediction_feedback,
    corrected_category_id UUID REFERENCES categories(id) ON DELETE SET NULL,
    feedback_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((feedback IS NULL) = (feedback_at IS NULL)),
    CHECK (feedback IS DISTINCT FROM 'corrected' OR corrected_category_id IS NOT NULL)
);

ALTER TABLE transactions ADD CONSTRAINT transactions_prediction_id_fkey
    FOREIGN KEY (prediction_id) REFERENCES ml_predictions(id) ON DELETE SET NULL DEFERRABLE INITIALLY DEFERRED;

-- 8. reports
CREATE TABLE reports (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    report_type report_type NOT NULL,
    title TEXT NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    scope budget_scope NOT NULL DEFAULT 'all',
    period_start DATE,
    period_end DATE,
    parameters JSONB NOT NULL DEFAULT '{}'::jsonb,
    data JSONB,
    version INT NOT NULL DEFAULT 1 CHECK (version >= 1),
    previous_version_id UUID REFERENCES reports(id) ON DELETE SET NULL,
    is_template BOOLEAN NOT NULL DEFAULT false,
    share_token TEXT CHECK (share_token IS NULL OR length(share_token) >= 32),
    share_expires_at TIMESTAMPTZ,
    generated_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (period_end IS NULL OR period_start IS NULL OR period_end >= period_start),
    CHECK (share_token IS NULL OR share_expires_at IS NOT NULL)
);

-- 9. budgets
CREATE TABLE budgets (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    budget_type budget_type NOT NULL DEFAULT 'monthly',
    scope budget_scope NOT NULL DEFAULT 'all',
    period_start DATE NOT NULL,
    period_end DATE NOT NULL,
    rollover_enabled BOOLEAN NOT NULL DEFAULT false,
    is_active BOOLEAN NOT NULL DEFAULT true,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (period_end >= period_start)
);

-- 10. budget_items
CREATE TABLE budget_items (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    budget_id UUID NOT NULL REFERENCES budgets(id) ON DELETE CASCADE,
    category_id UUID NOT NULL REFERENCES categories(id) ON DELETE CASCADE,
    amount NUMERIC(15,2) NOT NULL CHECK (amount >= 0),
    rollover BOOLEAN NOT NULL DEFAULT false,
    rollover_amount NUMERIC(15,2) NOT NULL DEFAULT 0,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- 12. plaid_webhooks
CREATE TABLE plaid_webhooks (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    plaid_item_id UUID REFERENCES plaid_items(id) ON DELETE CASCADE,
    user_id UUID REFERENCES users(id) ON DELETE CASCADE,
    webhook_type TEXT NOT NULL,
    webhook_code TEXT NOT NULL,
    payload JSONB NOT NULL,
    dedupe_key TEXT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    status webhook_status NOT NULL DEFAULT 'received',
    attempts INT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    next_attempt_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    last_error TEXT,
    processed_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK ((status = 'processed') = (processed_at IS NOT NULL))
);

-- 13. audit_logs (append-only; each row hashes the previous one so edits show)
CREATE TABLE audit_logs (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    seq BIGINT GENERATED ALWAYS AS IDENTITY UNIQUE,
    user_id UUID REFERENCES users(id) ON DELETE SET NULL,
    session_id UUID,
    action TEXT NOT NULL CHECK (length(action) BETWEEN 1 AND 100),
    entity_type TEXT NOT NULL,
    entity_id UUID,
    old_values JSONB,
    new_values JSONB,
    ip_address INET,
    user_agent TEXT,
    business_impact business_impact NOT NULL DEFAULT 'none',
    compliance_flags TEXT[] NOT NULL DEFAULT '{}',
    previous_hash BYTEA,
    row_hash BYTEA NOT NULL CHECK (length(row_hash) = 32),
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- 14. user_sessions
CREATE TABLE user_sessions (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    session_id_hash BYTEA NOT NULL CHECK (length(session_id_hash) = 32),
    last_seen_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    expires_at TIMESTAMPTZ NOT NULL,
    ip_address INET,
    user_agent TEXT,
    device_fingerprint TEXT,
    risk_score SMALLINT NOT NULL DEFAULT 0 CHECK (risk_score BETWEEN 0 AND 100),
    risk_factors JSONB NOT NULL DEFAULT '[]'::jsonb,
    mfa_verified BOOLEAN NOT NULL DEFAULT false,
    suspicious BOOLEAN NOT NULL DEFAULT false,
    revoked_at TIMESTAMPTZ,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (expires_at > created_at)
);

ALTER TABLE audit_logs ADD CONSTRAINT audit_logs_session_id_fkey
    FOREIGN KEY (session_id) REFERENCES user_sessions(id) ON DELETE SET NULL;

-- updated_at triggers on every table
DO $$
DECLARE t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['users', 'institutions', 'plaid_items', 'accounts', 'categories',
        'categorization_rules', 'transactions', 'ml_predictions', 'reports', 'budgets',
        'budget_items', 'plaid_webhooks', 'audit_logs', 'user_sessions']
    LOOP
        EXECUTE format('CREATE TRIGGER %I BEFORE UPDATE ON %I FOR EACH ROW EXECUTE FUNCTION manna_set_updated_at()',
            t || '_set_updated_at', t);
    END LOOP;
END $$;

-- Tax year: assigned from the date and the owner's fiscal-year start, on every insert
-- and whenever the date changes. Callers never set it.
CREATE FUNCTION manna_assign_tax_year() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.tax_year := manna_tax_year(NEW.date,
        (SELECT fiscal_year_start_month FROM users WHERE id = NEW.user_id));
    RETURN NEW;
END $$;

CREATE TRIGGER transactions_assign_tax_year
    BEFORE INSERT OR UPDATE OF date, user_id ON transactions
    FOR EACH ROW EXECUTE FUNCTION manna_assign_tax_year();

-- A user who moves their fiscal year gets every transaction re-dated to the new tax year.
CREATE FUNCTION manna_reassign_tax_years() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE transactions SET tax_year = manna_tax_year(date, NEW.fiscal_year_start_month)
    WHERE user_id = NEW.id;
    RETURN NEW;
END $$;

CREATE TRIGGER users_reassign_tax_years
    AFTER UPDATE OF fiscal_year_start_month ON users
    FOR EACH ROW WHEN (OLD.fiscal_year_start_month IS DISTINCT FROM NEW.fiscal_year_start_month)
    EXECUTE FUNCTION manna_reassign_tax_years();

-- Double entry: the legs of a journal entry sum to zero, and there are at least two.
-- Checked at commit (deferred), so the legs can be written one by one in a transaction.
CREATE FUNCTION manna_assert_journal_balanced(entry UUID) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    total NUMERIC;
    legs INT;
BEGIN
    SELECT coalesce(sum(amount), 0), count(*) INTO total, legs
    FROM transactions WHERE journal_entry_id = entry;
    IF legs > 0 AND (total <> 0 OR legs < 2) THEN -- legs = 0: the whole entry was deleted
        RAISE EXCEPTION 'journal entry % does not balance: % legs sum to %', entry, legs, total
            USING ERRCODE = '23514', CONSTRAINT = 'transactions_journal_balanced';
    END IF;
END $$;

CREATE FUNCTION manna_check_journal_balance() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM manna_assert_journal_balanced(NEW.journal_entry_id);
    RETURN NULL;
END $$;

CREATE FUNCTION manna_check_journal_balance_old() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM manna_assert_journal_balanced(OLD.journal_entry_id);
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER transactions_journal_balanced_write
    AFTER INSERT OR UPDATE OF amount, journal_entry_id ON transactions
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.journal_entry_id IS NOT NULL)
    EXECUTE FUNCTION manna_check_journal_balance();

-- The entry a leg moved out of must still balance too.
CREATE CONSTRAINT TRIGGER transactions_journal_balanced_leave
    AFTER UPDATE OF journal_entry_id OR DELETE ON transactions
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (OLD.journal_entry_id IS NOT NULL)
    EXECUTE FUNCTION manna_check_journal_balance_old();
