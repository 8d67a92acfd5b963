#!/usr/bin/env bash
# One command on a fresh machine: install, lint, unit + integration tests (against a
# real, project-local Postgres), and the browser journeys. The journeys run the debug
# binary the tests built, with the site embedded (`embed-site`) and copied alone into an
# empty folder as it is deployed: the fat-LTO release build took ~20 of CI's ~38 minutes
# and tests nothing the debug build does not (no code is release-only). The README's run
# command and MANNA_LOAD=1 build the release binary.
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
step "front (wasm, js, css) into target/site"
./scripts/build-site.sh
step "unit and integration tests"
# embed-site: the `manna` binary the integration tests run carries target/site.
cargo test --features manna-server/embed-site
cargo build -p plaid-fake
step "browser journeys"
MANNA_E2E_BIN=target/debug/manna node end2end/run.mjs
if [ "${MANNA_LOAD:-0}" = "1" ]; then
  step "release build and load suite (MANNA_LOAD=1)"
  ./scripts/build.sh
  ./scripts/load.sh
fi
