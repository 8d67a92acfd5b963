-- Background jobs (Plaid syncs first) in Postgres, so several app nodes share one queue.
-- A worker claims a due job with FOR UPDATE SKIP LOCKED and holds a lease; a job whose
-- lease ran out (its node died) is claimed again. At most one queued and one running
-- job per item and kind: a second "sync now" while one waits is the same request, and
-- two nodes can never sync the same item at once.
CREATE TYPE job_status AS ENUM ('queued', 'running', 'done', 'failed');

CREATE TABLE jobs (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    kind TEXT NOT NULL CHECK (kind IN ('plaid_sync')),
    user_id UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    plaid_item_id UUID REFERENCES plaid_items(id) ON DELETE CASCADE,
    status job_status NOT NULL DEFAULT 'queued',
    run_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    attempts INT NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    max_attempts INT NOT NULL DEFAULT 6 CHECK (max_attempts > 0),
    leased_by TEXT,
    lease_until TIMESTAMPTZ,
    started_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ,
    last_error TEXT,
    outcome JSONB,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    CHECK (status <> 'running' OR lease_until IS NOT NULL)
);

CREATE TRIGGER jobs_set_updated_at BEFORE UPDATE ON jobs FOR EACH ROW EXECUTE FUNCTION manna_set_updated_at();

ALTER TABLE jobs ENABLE ROW LEVEL SECURITY;
CREATE POLICY jobs_owner ON jobs TO manna_app
    USING (user_id = manna_current_user()) WITH CHECK (user_id = manna_current_user());
GRANT SELECT, INSERT, UPDATE, DELETE ON jobs TO manna_app;

-- jobs: enqueue coalesces, ON CONFLICT (kind, plaid_item_id) WHERE status = 'queued' DO NOTHING (query `job_enqueue`)
CREATE UNIQUE INDEX IF NOT EXISTS jobs_one_queued_key ON jobs (kind, plaid_item_id) WHERE status = 'queued';
-- jobs: claiming a queued job fails on a second running one for the item (query `job_claim`)
CREATE UNIQUE INDEX IF NOT EXISTS jobs_one_running_key ON jobs (kind, plaid_item_id) WHERE status = 'running';
-- jobs: the worker's due queued jobs, WHERE status = 'queued' AND run_at <= now() ORDER BY run_at (query `job_claim`)
CREATE INDEX IF NOT EXISTS jobs_due_idx ON jobs (run_at) WHERE status = 'queued';
-- jobs: expired leases, WHERE status = 'running' AND lease_until < now() (query `job_claim`)
CREATE INDEX IF NOT EXISTS jobs_lease_idx ON jobs (lease_until) WHERE status = 'running';
-- connections page: an item's latest jobs (query `connection_jobs`)
CREATE INDEX IF NOT EXISTS jobs_item_idx ON jobs (plaid_item_id, created_at DESC);
-- FK: user removal
CREATE INDEX IF NOT EXISTS jobs_user_idx ON jobs (user_id);

-- Webhook processing leases a row like a job: status 'processing' until lease_until.
ALTER TABLE plaid_webhooks ADD COLUMN lease_until TIMESTAMPTZ;
-- webhook worker: leases that ran out, WHERE status = 'processing' AND lease_until < now() (query `webhook_claim`)
CREATE INDEX IF NOT EXISTS plaid_webhooks_lease_idx ON plaid_webhooks (lease_until) WHERE status = 'processing';

