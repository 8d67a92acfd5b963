#!/usr/bin/env bash
# One command on a fresh machine: install, build, prepare the database (the embedded
# Postgres under ./.manna unless DATABASE_URL is set), seed demo data, serve on
# http://127.0.0.1:3000 (MANNA_ADDR to change).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install.sh
./scripts/build.sh
./target/release/manna setup-dev --include-data
exec ./target/release/manna serve
