#!/usr/bin/env bash
# Fuzzes every statement parser (OFX/QFX, QIF, CSV, detection) with cargo-fuzz on the
# nightly toolchain, each for FUZZ_SECONDS (default 600), from the committed corpus in
# fuzz/corpus/. A crash or a hang (10 s per input) fails the run and leaves the input in
# fuzz/artifacts/. Not part of scripts/test.sh (it takes 40 minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${FUZZ_SECONDS:-600}"
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
for target in ${*:-ofx qif csv detect}; do
  echo "==> fuzzing $target for ${seconds}s"
  (cd fuzz && cargo +nightly fuzz run "$target" "corpus/$target" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1) 2>&1 \
    | grep -E '^(Done|stat::|==|INFO: Seed|#[0-9]+ +DONE)|ERROR|panicked|deadly' || true
  if [ -n "$(ls -A "fuzz/artifacts/$target" 2>/dev/null)" ]; then
    echo "fuzz: $target found a failing input in fuzz/artifacts/$target" >&2
    exit 1
  fi
done
