#!/usr/bin/env bash
# Builds the release binary with the front end embedded: target/release/manna.
set -euo pipefail
cd "$(dirname "$0")/.."
# npm's wasm-opt 132 must come first: Debian's older one breaks hydration.
export PATH="$PWD/node_modules/.bin:$PATH"
# The front first (wasm, js, css, public/ into target/site), then the server, which
# embeds target/site: cargo-leptos would build both in parallel, and the server could
# embed an older site. server/build.rs makes cargo notice a changed site.
cargo leptos build --release --frontend-only
cargo build --release -p manna-server --bin manna
test -f target/site/pkg/manna.wasm
