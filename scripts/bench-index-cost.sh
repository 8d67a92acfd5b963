#!/usr/bin/env bash
# What a 100,000-row insert into `transactions` costs, and how much of it each index
# is: the insert is run once as is, then once per index with that index dropped, each
# inside a transaction that is rolled back (the database is left as it was).
# Prints Postgres's own figures (insert node time, WAL, total with triggers).
#
# Usage: scripts/bench-index-cost.sh [psql connection args...]
#   e.g. scripts/bench-index-cost.sh -h "$PWD/target/tmp/bench-pg/pg/run" -U manna bench
# Use the benchmark database (cargo bench --bench import seeds it), never a live one:
# DROP INDEX takes an exclusive lock on the table while each run lasts.
set -euo pipefail
psql_args=("$@")
[ ${#psql_args[@]} -gt 0 ] || { echo "usage: $0 [psql connection args...]" >&2; exit 2; }

run() { # $1: SQL before the insert, $2: label
    psql "${psql_args[@]}" -At -v ON_ERROR_STOP=1 <<SQL | grep -E "Execution Time|Insert on|WAL:" | tr '\n' ' ' |
BEGIN;
INSERT INTO users (email, password_hash) VALUES ('index-cost@bench.local', '\$argon2id\$v=19\$bench') RETURNING id \gset
INSERT INTO accounts (user_id, name, account_type) VALUES (:'id', 'Checking', 'depository') RETURNING id AS acct \gset
SET LOCAL gin_pending_list_limit = '512MB';
SET LOCAL work_mem = '64MB';
$1
EXPLAIN (ANALYZE, BUFFERS, WAL, COSTS OFF)
INSERT INTO transactions (id, user_id, account_id, amount, currency, date, name, transaction_type, source, tax_year)
SELECT (lpad(to_hex((extract(epoch FROM now()) * 1000)::bigint + i), 12, '0') || substr(md5(i::text), 1, 20))::uuid,
       :'id', :'acct', -((i * 7919) % 25000 + 1) / 100.0, 'USD', date '2023-01-01' + (i % 700),
       'STARBUCKS STORE #' || (i % 9000), 'expense', 'import', manna_tax_year(date '2023-01-01' + (i % 700), 1)
FROM generate_series(0, 99999) i ORDER BY date '2023-01-01' + (i % 700);
ROLLBACK;
SQL
        sed -E "s/Insert on transactions \(actual time=[0-9.]+\.\./insert ms /; s/ rows=0 loops=1\)//; s/^/$2: /"
    echo
}

run "" "all indexes"
for index in $(psql "${psql_args[@]}" -At -c "SELECT indexrelid::regclass FROM pg_index
                                               WHERE indrelid = 'transactions'::regclass AND NOT indisprimary"); do
    run "DROP INDEX $index;" "without $index"
done
run "" "all indexes"
