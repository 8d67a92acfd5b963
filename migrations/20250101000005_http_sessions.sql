-- The tower-sessions store (cookie id -> server-side session record), created here
-- rather than by the store at start-up so every node finds it and the app never needs
-- DDL rights. Same shape as tower-sessions-sqlx-store 0.15's own migration.
CREATE SCHEMA IF NOT EXISTS tower_sessions;
CREATE TABLE IF NOT EXISTS tower_sessions.session (
    id TEXT PRIMARY KEY NOT NULL,
    data BYTEA NOT NULL,
    expiry_date TIMESTAMPTZ NOT NULL
);
-- expiry sweep: DELETE … WHERE expiry_date < now()
CREATE INDEX IF NOT EXISTS session_expiry_idx ON tower_sessions.session (expiry_date);
