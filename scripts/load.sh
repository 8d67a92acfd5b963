#!/usr/bin/env bash
# Load suite: the release binary on the benchmark data (10 users, 1,000,000 transactions
# in its own embedded Postgres under target/tmp/load), signed-in page renders and
# server-function calls from wrk at concurrency 64 for 60 s. Prints requests/s, latency
# percentiles, errors and the server's peak RSS; exits 1 if any response is not 2xx/3xx,
# any socket error occurs, or the RSS passes 80 MB.
#
#   ./scripts/load.sh                   # LOAD_SECONDS=60 LOAD_CONNECTIONS=64 LOAD_ROWS=1000000
set -euo pipefail
cd "$(dirname "$0")/.."

SECONDS_=${LOAD_SECONDS:-60}
CONNECTIONS=${LOAD_CONNECTIONS:-64}
ROWS=${LOAD_ROWS:-1000000}
RSS_LIMIT_MB=${LOAD_RSS_LIMIT_MB:-80}
export MANNA_DATA_DIR="$PWD/target/tmp/load"
export MANNA_ADDR=${LOAD_ADDR:-127.0.0.1:3099}
export MANNA_LOG=${MANNA_LOG:-warn}
unset DATABASE_URL
BIN=./target/release/manna
BASE="http://$MANNA_ADDR"

command -v wrk >/dev/null || { echo "load: wrk is missing (scripts/install.sh installs it)" >&2; exit 1; }
[ -x "$BIN" ] || ./scripts/build.sh

mkdir -p "$MANNA_DATA_DIR"
if [ ! -f "$MANNA_DATA_DIR/seeded-$ROWS" ]; then
  echo "load: seeding $ROWS transactions over 10 users (once; kept in $MANNA_DATA_DIR)"
  "$BIN" seed-db --users 10 --transactions "$ROWS" --reset
  touch "$MANNA_DATA_DIR/seeded-$ROWS"
fi

"$BIN" serve >"$MANNA_DATA_DIR/serve.log" 2>&1 &
SERVER=$!
stop() { kill -TERM "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; }
trap stop EXIT
for _ in $(seq 1 150); do
  curl -fs "$BASE/readyz" >/dev/null 2>&1 && break
  kill -0 "$SERVER" 2>/dev/null || { echo "load: the server exited:" >&2; tail -5 "$MANNA_DATA_DIR/serve.log" >&2; exit 1; }
  sleep 0.2
done

JAR="$MANNA_DATA_DIR/cookies.txt"
rm -f "$JAR"
curl -fs -c "$JAR" -H "Origin: $BASE" -H 'Accept: application/json' \
  --data-urlencode 'email=demo@manna.local' --data-urlencode 'password=manna-demo-2026' \
  "$BASE/api/sign_in" >/dev/null || { echo "load: cannot sign in as the demo user" >&2; exit 1; }
COOKIE=$(awk '$6 == "manna_session" { print $6 "=" $7 }' "$JAR")
[ -n "$COOKIE" ] || { echo "load: no session cookie after sign-in" >&2; exit 1; }

# Peak RSS of the server, sampled every 200 ms while wrk runs.
PEAK_FILE="$MANNA_DATA_DIR/rss-peak"
echo 0 >"$PEAK_FILE"
( peak=0; while kill -0 "$SERVER" 2>/dev/null; do
    rss=$(ps -o rss= -p "$SERVER" 2>/dev/null | tr -d ' ' || echo 0)
    if [ -n "$rss" ] && [ "$rss" -gt "$peak" ]; then peak=$rss; echo "$peak" >"$PEAK_FILE"; fi
    sleep 0.2
  done ) &
SAMPLER=$!

echo "load: wrk -c$CONNECTIONS -d${SECONDS_}s on $BASE (pages and server functions, signed in)"
OUT=$(COOKIE="$COOKIE" ORIGIN="$BASE" wrk -t2 -c"$CONNECTIONS" -d"${SECONDS_}s" --timeout 10s \
  -s scripts/load/mix.lua "$BASE/")
kill "$SAMPLER" 2>/dev/null || true
echo "$OUT"

rps=$(echo "$OUT" | awk '/Requests\/sec:/ { print $2 }')
total=$(echo "$OUT" | awk '/requests in/ { print $1 }')
non2xx=$(echo "$OUT" | awk '/Non-2xx or 3xx responses:/ { print $5 }')
socket=$(echo "$OUT" | awk -F'Socket errors: ' '/Socket errors:/ { print $2 }')
latency=$(echo "$OUT" | grep '^latency_ms' || true)
peak_kb=$(cat "$PEAK_FILE")
peak_mb=$((peak_kb / 1024))
echo
echo "load: $total requests, ${rps} req/s, $latency, non-2xx/3xx ${non2xx:-0}, socket errors ${socket:-none}, server RSS peak ${peak_mb} MB"

fail=0
[ "${non2xx:-0}" -eq 0 ] || { echo "load: FAIL: ${non2xx} responses were not 2xx/3xx" >&2; fail=1; }
[ -z "$socket" ] || { echo "load: FAIL: socket errors: $socket" >&2; fail=1; }
[ "$peak_mb" -le "$RSS_LIMIT_MB" ] || { echo "load: FAIL: RSS ${peak_mb} MB > ${RSS_LIMIT_MB} MB" >&2; fail=1; }
[ "$fail" -eq 0 ] && echo "load: PASS"
exit "$fail"
