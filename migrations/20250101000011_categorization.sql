-- Categorization feedback kept by the database, so every edit path (inline, bulk,
-- split, merge) counts the same way.

-- A per-user counter of changes to the rows the model learns from: the app's cached
-- model is retrained when it moved since the model was trained. A column, not a
-- table: the schema keeps its fourteen tables.
ALTER TABLE users ADD COLUMN categorizer_version BIGINT NOT NULL DEFAULT 0 CHECK (categorizer_version >= 0);

-- When a user gives a row a category:
-- - a rule that had filed it otherwise was overridden (categorization_rules.override_count);
-- - a model prediction for it gets its feedback: accepted when the user chose what the
--   model predicted, corrected otherwise (an edit unlinks the prediction, so the old
--   row's link is the one to follow);
-- - the user's categorizer_version moves on, so the model learns from it.
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
    WHERE p.id = o.prediction_id AND p.feedback IS NULL
      AND n.category_source = 'user' AND n.category_id IS NOT NULL
      AND n.category_id IS DISTINCT FROM o.category_id;

    UPDATE users u SET categorizer_version = u.categorizer_version + 1
    WHERE u.id IN (SELECT n.user_id FROM old_rows o JOIN new_rows n ON n.id = o.id
                   WHERE n.category_id IS DISTINCT FROM o.category_id);
    RETURN NULL;
END $$;

-- Transition tables cannot be combined with a column list, hence every UPDATE; the
-- joins above are over the rows the statement touched only.
CREATE TRIGGER transactions_category_feedback
    AFTER UPDATE ON transactions
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION manna_category_feedback();

-- New rows that arrive categorized (by the user, a rule, the bank, a file) are
-- evidence too: they move the version on as well.
CREATE FUNCTION manna_categorized_rows_added() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER AS $$
BEGIN
    UPDATE users u SET categorizer_version = u.categorizer_version + 1
    WHERE u.id IN (SELECT n.user_id FROM new_rows n WHERE n.category_id IS NOT NULL AND n.category_source <> 'ml');
    RETURN NULL;
END $$;

CREATE TRIGGER transactions_categorized_rows_added
    AFTER INSERT ON transactions
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION manna_categorized_rows_added();

-- Accuracy of the model over time: feedback by month.
CREATE INDEX IF NOT EXISTS ml_predictions_feedback_idx ON ml_predictions (user_id, feedback_at) WHERE feedback IS NOT NULL;
