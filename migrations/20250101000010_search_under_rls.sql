-- Text search that stays fast under row-level security.
--
-- Under RLS the planner neither uses column statistics for, nor pushes into an index
-- scan, any qual whose operator is not LEAKPROOF (it could leak other users' rows
-- through errors). LIKE (textlike) is not marked so; then `search_text LIKE '%…%'`
-- gets default estimates and can never use the trigram index, and a search at a
-- million rows went from 1 ms (as the table owner) to 30–70 ms (as manna_app).
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

-- One user's matches only (btree_gin puts user_id in the trigram index), instead of
-- every user's matches filtered afterwards.
CREATE EXTENSION IF NOT EXISTS btree_gin;
DROP INDEX IF EXISTS transactions_search_trgm;
-- free-text search over merchant, description and notes (query `transactions_search`):
--   WHERE user_id = $1 AND search_text LIKE '%' || lower($2) || '%'
CREATE INDEX IF NOT EXISTS transactions_user_search_trgm ON transactions USING gin (user_id, search_text gin_trgm_ops);
