#!/usr/bin/env bash
# Opens report.html in a real headless browser (Debian's chromium, driven by
# playwright-core) and checks what a planner would see: the page loads with no
# console errors and no outside requests, every chart is there and drawn, and a
# screenshot is not blank. It runs `sandan run` on tests/fixtures/tiny.toml in
# English and in Chinese (installing a CJK font, so that --lang zh is exercised for
# real), rebuilds a report with `sandan report`, and checks that --lang zh without a
# font fails with exit code 2 and the documented message.
#
# Idempotent and non-interactive (CI runs it as root with no stdin). Uses the debug
# binary that `cargo test` builds; set SANDAN_BIN to test another one.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
start=$(date +%s)
export DEBIAN_FRONTEND=noninteractive

need_apt=()
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
ls /usr/share/fonts/truetype/wqy/wqy-microhei.ttc >/dev/null 2>&1 || need_apt+=(fonts-wqy-microhei)
command -v node >/dev/null 2>&1 || need_apt+=(nodejs npm)
if ((${#need_apt[@]})); then
  echo "== installing ${need_apt[*]}"
  apt-get update -qq
  apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

work=${SANDAN_BROWSER_TEST_DIR:-/tmp/sandan-browser-test}
mkdir -p "$work"
if [ ! -d "$work/node_modules/playwright-core" ]; then
  echo "== installing playwright-core into $work"
  (cd "$work" && npm install --silent --no-audit --no-fund --no-save playwright-core@1 >/dev/null)
fi

bin=${SANDAN_BIN:-$root/target/debug/sandan}
if [ ! -x "$bin" ]; then
  cargo build --quiet
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== sandan run (en, zh)"
"$bin" run tests/fixtures/tiny.toml --out "$out/en" --quiet
"$bin" run tests/fixtures/tiny.toml --out "$out/zh" --lang zh --quiet

echo "== sandan report (rebuild in zh from the English run's files)"
cp -r "$out/en" "$out/rebuilt"
rm "$out/rebuilt"/*.png "$out/rebuilt"/*.svg "$out/rebuilt/report.html"
"$bin" report "$out/rebuilt" --lang zh --quiet

echo "== --lang zh without a CJK font"
mkdir -p "$out/nofonts"
set +e
SANDAN_FONT_DIRS="$out/nofonts" "$bin" run tests/fixtures/tiny.toml --out "$out/nofont" --lang zh --quiet 2>"$out/nofont.err"
code=$?
set -e
if [ "$code" != 2 ] || ! grep -q "apt-get install fonts-noto-cjk" "$out/nofont.err" || ! grep -q -- "--font" "$out/nofont.err"; then
  echo "FAIL: expected exit 2 and an install hint, got $code: $(cat "$out/nofont.err")"
  exit 1
fi
if [ -e "$out/nofont" ]; then
  echo "FAIL: the run without a font wrote files"
  exit 1
fi

echo "== headless chromium"
PLAYWRIGHT_DIR="$work" node scripts/report-browser-check.cjs "$out/en" "$out/zh" "$out/rebuilt"

echo "== browser test took $(( $(date +%s) - start )) s"
