-- Row-level security: the second wall behind the `user_id` filter in every query.
--
-- Requests act for a signed-in user inside a transaction that switches to the
-- `manna_app` role and sets `app.user_id` (app::data::user_tx). Under that role every
-- user-owned table shows and accepts only that user's rows, so a query that forgot
-- its filter still leaks nothing. Work that is not on behalf of a signed-in user
-- (sign-in lookups, the session check, workers, seeding, maintenance) runs as the
-- connecting role, which owns the tables and is not subject to these policies.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'manna_app') THEN
        CREATE ROLE manna_app NOLOGIN;
    END IF;
END $$;
GRANT manna_app TO CURRENT_USER;

GRANT USAGE ON SCHEMA public TO manna_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO manna_app;
GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO manna_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO manna_app;
ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO manna_app;
-- The migration bookkeeping is not the app's business.
REVOKE ALL ON _sqlx_migrations FROM manna_app;

-- The user a transaction acts for (NULL when unset: then nothing is visible).
CREATE FUNCTION manna_current_user() RETURNS UUID LANGUAGE sql STABLE PARALLEL SAFE AS $$
    SELECT nullif(current_setting('app.user_id', true), '')::uuid
$$;

-- The audit chain reads the previous row whoever owns it, and the tax-year trigger
-- reads the owner's fiscal year: both run with their owner's rights.
ALTER FUNCTION manna_audit_chain() SECURITY DEFINER;
ALTER FUNCTION manna_assign_tax_year() SECURITY DEFINER;
ALTER FUNCTION manna_assert_journal_balanced(UUID) SECURITY DEFINER;

DO $$
DECLARE t TEXT;
BEGIN
    FOREACH t IN ARRAY ARRAY['accounts', 'transactions', 'ml_predictions', 'categorization_rules',
        'reports', 'budgets', 'budget_items', 'plaid_items', 'user_sessions']
    LOOP
        EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
        EXECUTE format('CREATE POLICY %I ON %I TO manna_app
                        USING (user_id = manna_current_user()) WITH CHECK (user_id = manna_current_user())',
            t || '_owner', t);
    END LOOP;
END $$;

-- users: a user sees and changes only their own row.
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY users_self ON users TO manna_app
    USING (id = manna_current_user()) WITH CHECK (id = manna_current_user());

-- categories: the system defaults (no owner) are visible to everyone, read-only.
ALTER TABLE categories ENABLE ROW LEVEL SECURITY;
CREATE POLICY categories_read ON categories FOR SELECT TO manna_app
    USING (user_id IS NULL OR user_id = manna_current_user());
CREATE POLICY categories_write ON categories FOR ALL TO manna_app
    USING (user_id = manna_current_user()) WITH CHECK (user_id = manna_current_user());

-- audit_logs: a user reads their own history and appends entries about themselves.
ALTER TABLE audit_logs ENABLE ROW LEVEL SECURITY;
CREATE POLICY audit_logs_read ON audit_logs FOR SELECT TO manna_app USING (user_id = manna_current_user());
CREATE POLICY audit_logs_append ON audit_logs FOR INSERT TO manna_app WITH CHECK (user_id = manna_current_user());

-- plaid_webhooks: written by the webhook endpoint (no user yet); users may read theirs.
ALTER TABLE plaid_webhooks ENABLE ROW LEVEL SECURITY;
CREATE POLICY plaid_webhooks_read ON plaid_webhooks FOR SELECT TO manna_app USING (user_id = manna_current_user());

-- institutions are shared reference data: readable by all.
GRANT SELECT ON institutions TO manna_app;
