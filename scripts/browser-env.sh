# Sourced by the browser tests (scripts/test-*-browser.sh) from the project's root,
# with $root set: installs what a headless-browser test needs when it is missing
# (Debian's chromium, a CJK font, node and npm, and playwright-core in $work), and
# sets $work and $bin (the debug binary `cargo test` builds, or $SANDAN_BIN).
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
