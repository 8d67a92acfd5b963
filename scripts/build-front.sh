#!/usr/bin/env bash
# Builds the browser side into a site folder (default target/site): pkg/manna.{wasm,js,css}
# and the files of public/. These are the steps cargo-leptos runs for a release front
# build, done directly, so a fresh machine does not spend ~10 minutes compiling
# cargo-leptos itself (most of CI's install time) only to call the same tools:
#   cargo (wasm32, wasm-release profile) -> wasm-bindgen --target web -> wasm-opt -O1
#   -> esbuild --minify (the js) ; lightningcss (the css, for the `defaults` browsers).
# wasm-bindgen must match the pinned wasm-bindgen crate; wasm-opt must be npm's
# binaryen 132 (Debian's older one breaks hydration): scripts/install.sh sees to both.
set -euo pipefail
cd "$(dirname "$0")/.."
site="${1:-target/site}"
export PATH="$PWD/node_modules/.bin:$PATH"

# The same environment cargo-leptos gives the front build (Cargo.toml's
# [workspace.metadata.leptos]), so the wasm is the one it would have built.
export LEPTOS_OUTPUT_NAME=manna LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg \
  LEPTOS_SITE_ADDR=127.0.0.1:3000 LEPTOS_RELOAD_PORT=3001 LEPTOS_LIB_DIR=frontend \
  LEPTOS_BIN_DIR=server LEPTOS_JS_MINIFY=true LEPTOS_HASH_FILES=false
cargo build --package=frontend --lib --target-dir=target/front \
  --target=wasm32-unknown-unknown --no-default-features --profile=wasm-release

pkg="$site/pkg"
rm -rf "$site"
mkdir -p "$pkg"
wasm-bindgen --target web --no-typescript --out-dir "$pkg" --out-name manna \
  target/front/wasm32-unknown-unknown/wasm-release/frontend.wasm
# Leptos' hydration script loads pkg/manna.wasm (cargo-leptos renames it the same way).
mv "$pkg/manna_bg.wasm" "$pkg/manna.wasm"
# -O1, not cargo-leptos' -Oz: on this front -Oz took 138 s for 4.05 MB (1.49 MB gzipped),
# -O1 takes 22 s for 4.64 MB that gzip to 1.27 MB, fewer bytes on the wire. The Rust is
# already built for size (opt-level z, LTO); what wasm-opt adds is mostly dropping the
# debug sections and dead code.
wasm-opt -O1 --enable-bulk-memory "$pkg/manna.wasm" -o "$pkg/manna.wasm"
esbuild "$pkg/manna.js" --minify --format=esm --log-level=warning --outfile="$pkg/manna.min.js"
mv "$pkg/manna.min.js" "$pkg/manna.js"
lightningcss --minify --targets defaults style/main.css -o "$pkg/manna.css"
cp -R public/. "$site/"
