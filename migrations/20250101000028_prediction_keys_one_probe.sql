-- The prediction keys' insert check (migration 25) and the prediction link's (migration
-- 27) did the same work: find the first key that is missing or not its owner's, lock
-- what other transactions wrote. The first now calls the second's function.
CREATE OR REPLACE FUNCTION manna_check_inserted_prediction_keys() RETURNS trigger LANGUAGE plpgsql
SECURITY DEFINER SET search_path = public AS $$
BEGIN
    PERFORM manna_require_owned_rows('transactions', array_agg(transaction_id), array_agg(user_id),
                                     'ml_predictions_transaction_id_fkey')
    FROM new_rows;
    PERFORM manna_require_owned('categories', array_agg(k.predicted_category_id), array_agg(k.user_id),
                                'ml_predictions_predicted_category_id_fkey', true)
    FROM (SELECT DISTINCT predicted_category_id, user_id FROM new_rows WHERE predicted_category_id IS NOT NULL) k;
    RETURN NULL;
END $$;
