#!/usr/bin/env bash
# Opens report.html in a real headless browser (Debian's chromium, driven by
# playwright-core) and checks what a planner would see: the page loads with no
# console errors and no outside requests, every chart is there and drawn, the
# summary paragraph and the impact chart come first, and a screenshot is not blank.
# It runs `sandan run` on tests/fixtures/tiny.toml in English and in Chinese
# (installing a CJK font, so that --lang zh is exercised for real), adds a Chinese
# report beside the English one with `sandan report --lang zh` (both must exist and
# both load), rebuilds a report into another directory with `report --out`, and
# checks that --lang zh without a font fails with exit code 2 and the documented
# message.
#
# Idempotent and non-interactive (CI runs it as root with no stdin). Uses the debug
# binary that `cargo test` builds; set SANDAN_BIN to test another one.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
start=$(date +%s)
# chromium, a CJK font, node and playwright-core; sets $work and $bin.
source scripts/browser-env.sh

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "== sandan run (en, zh)"
"$bin" run tests/fixtures/tiny.toml --out "$out/en" --quiet
"$bin" run tests/fixtures/tiny.toml --out "$out/zh" --lang zh --quiet

echo "== sandan report --lang zh beside the English report"
english=$(sha256sum "$out/en/report.html" "$out/en/incidence.png")
"$bin" report "$out/en" --lang zh --quiet
for f in report.html report.zh.html incidence.png incidence.zh.png impact.png impact.zh.png; do
  [ -f "$out/en/$f" ] || { echo "FAIL: $f missing after report --lang zh"; exit 1; }
done
if [ "$english" != "$(sha256sum "$out/en/report.html" "$out/en/incidence.png")" ]; then
  echo "FAIL: report --lang zh changed the English report or charts"
  exit 1
fi

echo "== sandan report --out (rebuild in zh from the English run's files into another directory)"
"$bin" report "$out/en" --lang zh --out "$out/rebuilt" --quiet
[ -f "$out/rebuilt/report.zh.html" ] || { echo "FAIL: report --out wrote no report.zh.html"; exit 1; }

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
PLAYWRIGHT_DIR="$work" node scripts/report-browser-check.cjs \
  "$out/en/report.html" "$out/en/report.zh.html" "$out/zh/report.zh.html" "$out/rebuilt/report.zh.html"

echo "== browser test took $(( $(date +%s) - start )) s"
