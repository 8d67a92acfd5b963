-- Budget periods in a chain: a budget carried forward to its next period points back
-- at the one it came from, so a rollover line knows where its carried amount comes
-- from and the page can step between periods.
ALTER TABLE budgets ADD COLUMN previous_budget_id UUID REFERENCES budgets(id) ON DELETE SET NULL;

-- budget page: the period after this one, and one next period per budget (query `budget_next`)
CREATE UNIQUE INDEX IF NOT EXISTS budgets_previous_key ON budgets (previous_budget_id) WHERE previous_budget_id IS NOT NULL;
