-- Text search that stays fast under row-level security.
--
-- Under RLS the planner neither uses column statistics for, nor pushes into an index
-- scan, any qual whose operator is not LEAKPROOF (it could leak other users' rows
-- through errors). LIKE (textlike) is not marked so; then `search_text LIKE '%…%'`
-- gets default estimates and can never use the trigram index, and a search at a
-- million rows went from 1 ms (as the table owner) to 30–70 ms (as manna_app); with
-- it, 0.2–1.1 ms (the planner walks transactions_user_date_idx for common words and the
-- trigram index for rare ones). (A (user_id, search_text) btree_gin index was tried and
-- dropped: the planner then took it for every `user_id =` query, 4× slower.)
-- textlike's only error is about the pattern itself (a trailing escape character),
-- never about the row it is applied to, and every query Manna runs is its own (no
-- user-written SQL), so it is marked LEAKPROOF. That takes a superuser: the embedded
-- cluster's owner is one; a DATABASE_URL role that is not gets a notice, and search
-- still works, only slower.
DO $$
BEGIN
    IF (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        ALTER FUNCTION textlike(text, text) LEAKPROOF;
    ELSE
        RAISE NOTICE 'not a superuser: LIKE stays non-leakproof, text search under RLS is slower';
    END IF;
END $$;
