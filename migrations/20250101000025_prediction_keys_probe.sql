-- The prediction keys' statement check (migration 24) looks each transaction up by its
-- primary key. Written as a plain join, the planner hashed the whole transactions
-- table for it: importing 100,000 rows for a user whose model predicts half of them,
-- the check read all 1.2M rows of the benchmark database, 0.74-0.76 s (auto_explain).
-- `LIMIT 1` in a lateral subquery keeps it from being flattened into that join: one
-- index probe per prediction. The semantics are those of migration 24.
CREATE OR REPLACE FUNCTION manna_check_inserted_prediction_keys() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public AS $$
DECLARE
    me CONSTANT xid := pg_current_xact_id()::xid;
    missing UUID;
    theirs UUID[];
    locked BIGINT;
BEGIN
    SELECT (array_agg(n.transaction_id) FILTER (WHERE t.id IS NULL))[1], array_agg(t.id) FILTER (WHERE t.xmin <> me)
    INTO missing, theirs
    FROM new_rows n
    LEFT JOIN LATERAL (SELECT x.id, x.xmin FROM transactions x
                       WHERE x.id = n.transaction_id AND x.user_id = n.user_id LIMIT 1) t ON true;
    IF missing IS NULL AND theirs IS NOT NULL THEN
        SELECT count(*) INTO locked FROM (SELECT 1 FROM transactions WHERE id = ANY(theirs) FOR KEY SHARE) l;
        IF locked < cardinality(ARRAY(SELECT DISTINCT unnest(theirs))) THEN
            SELECT u.id INTO missing FROM unnest(theirs) AS u(id)
            WHERE NOT EXISTS (SELECT 1 FROM transactions t WHERE t.id = u.id) LIMIT 1;
        END IF;
    END IF;
    IF missing IS NOT NULL THEN
        RAISE EXCEPTION 'transaction % is not one of the prediction owner''s', missing
            USING ERRCODE = 'foreign_key_violation', CONSTRAINT = 'ml_predictions_transaction_id_fkey';
    END IF;
    PERFORM manna_require_owned('categories', array_agg(k.predicted_category_id), array_agg(k.user_id),
                                'ml_predictions_predicted_category_id_fkey', true)
    FROM (SELECT DISTINCT predicted_category_id, user_id FROM new_rows WHERE predicted_category_id IS NOT NULL) k;
    RETURN NULL;
END $$;
