-- The audit trail is append-only and hash-chained: each row's hash covers its own
-- fields and the previous row's hash, so an edited, inserted or deleted row breaks the
-- chain from there on (`manna audit verify`). The hash is computed here, in one place,
-- and verify uses the same function.

CREATE FUNCTION manna_audit_hash(a audit_logs, previous BYTEA) RETURNS BYTEA
LANGUAGE sql IMMUTABLE AS $$
    SELECT sha256(convert_to(concat_ws(E'\x1f',
        coalesce(encode(previous, 'hex'), ''),
        a.id::text, coalesce(a.user_id::text, ''), coalesce(a.session_id::text, ''),
        a.action, a.entity_type, coalesce(a.entity_id::text, ''),
        coalesce(a.old_values::text, ''), coalesce(a.new_values::text, ''),
        coalesce(host(a.ip_address), ''), coalesce(a.user_agent, ''),
        a.business_impact::text, array_to_string(a.compliance_flags, ','),
        to_char(a.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')
    ), 'UTF8'))
$$;

-- The chain order is `seq`, so `seq` must be taken under the chain lock: an identity
-- default is drawn before the trigger runs, and two concurrent writers could link
-- out of order. The trigger draws it instead.
ALTER TABLE audit_logs ALTER COLUMN seq DROP IDENTITY;
CREATE SEQUENCE audit_logs_chain_seq OWNED BY audit_logs.seq;

CREATE FUNCTION manna_audit_chain() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- One writer at a time extends the chain (held until the writer's commit).
    PERFORM pg_advisory_xact_lock(7243392);
    NEW.seq := nextval('audit_logs_chain_seq');
    NEW.previous_hash := (SELECT row_hash FROM audit_logs ORDER BY seq DESC LIMIT 1);
    NEW.created_at := clock_timestamp();
    NEW.updated_at := NEW.created_at;
    NEW.row_hash := manna_audit_hash(NEW, NEW.previous_hash);
    RETURN NEW;
END $$;

CREATE TRIGGER audit_logs_chain BEFORE INSERT ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION manna_audit_chain();

-- Rows never change; only retention (`manna audit prune`) deletes, from the oldest end,
-- and says so by setting manna.audit_prune for its transaction.
CREATE FUNCTION manna_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('manna.audit_prune', true) = 'on' THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION 'audit_logs is append-only' USING ERRCODE = '42501';
END $$;

DROP TRIGGER audit_logs_set_updated_at ON audit_logs;
CREATE TRIGGER audit_logs_append_only BEFORE UPDATE OR DELETE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION manna_audit_append_only();

-- Sign-in sessions point at the session cookie through a hash of a random key kept in
-- the (server-side) session data; the cookie itself never reaches this table.
COMMENT ON COLUMN user_sessions.session_id_hash IS 'sha256 of the random session key stored in the tower-sessions record';
