-- Categorization feedback kept by the database, so every edit path (inline, bulk,
-- split, merge) counts the same way.

-- A per-user counter of changes to categorized rows: the app's cached model is
-- retrained when the counter moved since it was trained.
CREATE TABLE categorizer_state (
    user_id UUID PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    version BIGINT NOT NULL DEFAULT 0 CHECK (version >= 0),
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
ALTER TABLE categorizer_state ENABLE ROW LEVEL SECURITY;
CREATE POLICY categorizer_state_owner ON categorizer_state TO manna_app
    USING (user_id = manna_current_user()) WITH CHECK (user_id = manna_current_user());
GRANT SELECT, INSERT, UPDATE, DELETE ON categorizer_state TO manna_app;

-- When a user gives a row a category:
-- - a rule that had filed it otherwise was overridden (categorization_rules.override_count);
-- - a model prediction for it gets its feedback: accepted when the user chose what the
--   model predicted, corrected otherwise;
-- - the user's categorizer_state moves on, so the model learns from it.
CREATE FUNCTION manna_category_feedback() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    UPDATE categorization_rules r SET override_count = r.override_count + c.n, updated_at = now()
    FROM (SELECT o.rule_id, count(*) AS n
          FROM old_rows o JOIN new_rows n ON n.id = o.id
          WHERE o.category_source = 'rule' AND o.rule_id IS NOT NULL AND n.category_source = 'user'
            AND n.category_id IS DISTINCT FROM o.category_id
          GROUP BY o.rule_id) c
    WHERE r.id = c.rule_id;

    UPDATE ml_predictions p
    SET feedback = CASE WHEN n.category_id = p.predicted_category_id
                        THEN 'accepted'::prediction_feedback ELSE 'corrected'::prediction_feedback END,
        corrected_category_id = CASE WHEN n.category_id = p.predicted_category_id THEN NULL ELSE n.category_id END,
        feedback_at = now(), updated_at = now()
    FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE p.id = n.prediction_id AND p.feedback IS NULL
      AND n.category_source = 'user' AND n.category_id IS NOT NULL
      AND n.category_id IS DISTINCT FROM o.category_id;

    INSERT INTO categorizer_state (user_id, version)
    SELECT DISTINCT n.user_id, 1
    FROM old_rows o JOIN new_rows n ON n.id = o.id
    WHERE n.category_id IS DISTINCT FROM o.category_id
    ON CONFLICT (user_id) DO UPDATE SET version = categorizer_state.version + 1, updated_at = now();
    RETURN NULL;
END $$;

-- Transition tables cannot be combined with a column list, hence every UPDATE; the
-- joins above are over the rows the statement touched only.
CREATE TRIGGER transactions_category_feedback
    AFTER UPDATE ON transactions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION manna_category_feedback();

-- Accuracy of the model over time: feedback by month.
CREATE INDEX IF NOT EXISTS ml_predictions_feedback_idx ON ml_predictions (user_id, feedback_at) WHERE feedback IS NOT NULL;
