#!/usr/bin/env bash
# Time and memory against households (issue 17): runs benches/scale.toml, the default
# scenario as one village of 1,000 households repeated `count` times, at each count
# given (default 1 10 100 300 1000: 10^3 to 10^6 households; the budget in proportion),
# one replicate on one thread, tables and report written, and prints wall and CPU seconds and the peak
# resident size (GNU time's %e, %U + %S, %M, which is in KiB) in MiB and in bytes per
# household.
#
#   benches/scale.sh [COUNT...]        with SANDAN=path/to/sandan (default target/release/sandan)
#
# Build with the release profile first (`cargo build --release`); note the load
# (`uptime`) with the numbers, the host is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
sandan=${SANDAN:-target/release/sandan}
counts=("$@")
[ ${#counts[@]} -gt 0 ] || counts=(1 10 100 300 1000)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
uptime
printf '%10s %8s %8s %10s %14s\n' households wall_s cpu_s peak_MiB bytes_per_hh
for n in "${counts[@]}"; do
    # The count, and the budget in proportion: 356,295 yuan for each 1,000 households.
    sed -e "s/^count = 1000\$/count = $n/" -e "s/^budget = 356_295_000\$/budget = $((n * 356295))/" \
        benches/scale.toml >"$work/scale.toml"
    grep -q "^count = $n\$" "$work/scale.toml"
    grep -q "^budget = $((n * 356295))\$" "$work/scale.toml"
    /usr/bin/time -o "$work/time" -f "%e %U %S %M" \
        "$sandan" run "$work/scale.toml" --replicates 1 --threads 1 --quiet --out "$work/out" >/dev/null
    read -r wall user sys kb <"$work/time"
    rm -rf "$work/out"
    awk -v n="$n" -v w="$wall" -v u="$user" -v s="$sys" -v kb="$kb" 'BEGIN {
        hh = n * 1000
        printf "%10d %8.2f %8.2f %10.1f %14.0f\n", hh, w, u + s, kb / 1024, kb * 1024 / hh
    }'
done
uptime
