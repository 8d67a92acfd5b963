#!/usr/bin/env bash
# Builds the release binary with the front end embedded: target/release/manna.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/build-site.sh
cargo build --release -p manna-server --bin manna
