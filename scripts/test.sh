#!/usr/bin/env bash
# One command on a fresh machine: install, lint, unit + integration tests (against a
# real, project-local Postgres), release build, and the browser journeys.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh

export MANNA_TEST_PG_DIR="$PWD/target/test-pg"
stop_test_pg() {
  local bin
  bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
  if [ -f "$MANNA_TEST_PG_DIR/pg/data/postmaster.pid" ]; then
    if [ "$(id -u)" -eq 0 ]; then
      su postgres -s /bin/sh -c "$bin/pg_ctl stop -m fast -D '$MANNA_TEST_PG_DIR/pg/data'" >/dev/null 2>&1 || true
    else
      "$bin/pg_ctl" stop -m fast -D "$MANNA_TEST_PG_DIR/pg/data" >/dev/null 2>&1 || true
    fi
  fi
}
trap stop_test_pg EXIT

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "format"
cargo fmt --all --check
step "clippy (server side)"
cargo clippy --all-targets -- -D warnings
step "clippy (browser side)"
cargo clippy -p app -p frontend --target wasm32-unknown-unknown --features app/hydrate -- -D warnings
step "unit and integration tests"
cargo test
step "release build"
./scripts/build.sh
cargo build -p plaid-fake
step "browser journeys"
node end2end/run.mjs
if [ "${MANNA_LOAD:-0}" = "1" ]; then
  step "load suite (MANNA_LOAD=1)"
  ./scripts/load.sh
fi
