#!/usr/bin/env bash
# Builds the front (wasm, js, css, public/) into target/site, the folder the server
# embeds (release builds, and debug builds with the `embed-site` feature).
set -euo pipefail
cd "$(dirname "$0")/.."
# server/build.rs makes cargo notice a changed site by its files' mtimes, and the front
# build rewrites every file each time, so the front goes to a staging folder
# and only files whose bytes changed are copied over: an unchanged front no longer
# costs a server rebuild.
stage=target/site-stage
./scripts/build-front.sh "$stage"
mkdir -p target/site
(cd "$stage" && find . -type f) | while IFS= read -r f; do
  if ! cmp -s "$stage/$f" "target/site/$f"; then
    mkdir -p "$(dirname "target/site/$f")"
    cp "$stage/$f" "target/site/$f"
    echo "build: front changed: ${f#./}"
  fi
done
(cd target/site && find . -type f) | while IFS= read -r f; do
  [ -e "$stage/$f" ] || { rm -f "target/site/$f"; echo "build: front removed: ${f#./}"; }
done
test -f target/site/pkg/manna.wasm
