#!/usr/bin/env bash
# Installs everything Manna needs to build, run and test, idempotently: a second run
# takes seconds. Only package registries are used (crates.io, npm, Debian apt, rustup).
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
SUDO=""
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi

# Rust: the wasm target for the front end.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  say "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# The wasm-bindgen CLI that matches the pinned wasm-bindgen crate (the front build,
# scripts/build-front.sh, calls it). cargo-leptos is not needed to build or test; it is
# only a convenience for `cargo leptos watch` (README, Developing).
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen 0.2.129" ]; then
  say "installing wasm-bindgen-cli 0.2.129"
  cargo install wasm-bindgen-cli --locked --version 0.2.129
fi

# System packages: Postgres server binaries, Chromium for the browser tests, pdftoppm, wrk.
need_apt=()
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || need_apt+=(postgresql postgresql-contrib)
command -v chromium >/dev/null || need_apt+=(chromium)
command -v pdftoppm >/dev/null || need_apt+=(poppler-utils)
command -v wrk >/dev/null || need_apt+=(wrk)
if [ ${#need_apt[@]} -gt 0 ]; then
  say "installing ${need_apt[*]} from Debian"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi

# npm: wasm-opt 132 (binaryen), esbuild and lightningcss for the front build,
# playwright-core for the journeys.
# Never `npx playwright install`: the browser is Debian's.
if [ ! -x node_modules/.bin/wasm-opt ] || [ ! -x node_modules/.bin/esbuild ] || [ ! -x node_modules/.bin/lightningcss ] || [ ! -d node_modules/playwright-core ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi
