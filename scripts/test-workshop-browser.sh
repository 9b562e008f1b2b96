#!/usr/bin/env bash
# Starts `sandan workshop` on a free loopback port and drives its page in a real
# headless browser (Debian's chromium, driven by playwright-core) as a trainer
# would: change two levers, wait for the charts, read the impact, export the
# scenario and run it with `sandan run` for the same numbers, add a setting, switch
# to Chinese; no console error and no request outside the server. The server is
# stopped by its pid.
#
# Idempotent and non-interactive (CI runs it as root with no stdin). Uses the debug
# binary that `cargo test` builds; set SANDAN_BIN to test another one. Set
# SANDAN_WORKSHOP_SCREENSHOT=PATH.png to keep a screenshot (and PATH-zh.png).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
start=$(date +%s)
# chromium, a CJK font, node and playwright-core; sets $work and $bin.
source scripts/browser-env.sh

out=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$out"
}
trap cleanup EXIT

echo "== sandan workshop --port 0 (a free loopback port)"
"$bin" workshop --port 0 >"$out/server.log" 2>&1 &
pid=$!
url=
for _ in $(seq 1 100); do
  url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$out/server.log" || true)
  [ -n "$url" ] && break
  if ! kill -0 "$pid" 2>/dev/null; then echo "FAIL: the server exited: $(cat "$out/server.log")"; exit 1; fi
  sleep 0.2
done
if [ -z "$url" ]; then echo "FAIL: no address printed: $(cat "$out/server.log")"; exit 1; fi
echo "   $url (pid $pid)"

echo "== headless chromium"
PLAYWRIGHT_DIR="$work" node scripts/workshop-browser-check.cjs "$url" "$bin" "$out" "${SANDAN_WORKSHOP_SCREENSHOT:-}"

kill "$pid"
wait "$pid" 2>/dev/null || true
pid=
echo "== workshop browser test took $(( $(date +%s) - start )) s"
