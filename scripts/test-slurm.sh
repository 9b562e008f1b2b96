#!/usr/bin/env bash
# A real Slurm cluster in the tests (issue 6): install Debian's slurm-wlm and munge
# if missing, start a single-node cluster with a private configuration (its own
# ports, spool and logs under a temporary directory, so nothing in /etc/slurm is
# touched), run a small sweep through scripts/slurm/sweep.sbatch as a job array
# with a dependent merge, and check the merged result equals a local sweep byte for
# byte; then calibrate a tiny scenario through scripts/slurm/calibrate.sbatch, one
# job array per generation, and check it equals a local calibration byte for byte.
# Stops every daemon it started on exit. Run as root, non-interactively.
#
#   scripts/test-slurm.sh            # uses target/debug/sandan (built by cargo test)
#   SANDAN=path/to/sandan scripts/test-slurm.sh
set -euo pipefail
cd "$(dirname "$0")/.."
started=$(date +%s)
export DEBIAN_FRONTEND=noninteractive
sandan=$(readlink -f "${SANDAN:-target/debug/sandan}")
[ -x "$sandan" ] || { echo "test-slurm: no sandan binary at $sandan (run cargo test or cargo build first)" >&2; exit 1; }

if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
    echo "== installing slurm-wlm and munge"
    timeout 300 apt-get update -q </dev/null
    timeout 600 apt-get install -y -q slurm-wlm munge </dev/null
fi

work=$(mktemp -d /tmp/sandan-slurm.XXXXXX)
started_munge=0
cleanup() {
    rc=$?
    if [ -f "$work/slurm.conf" ]; then
        SLURM_CONF="$work/slurm.conf" timeout 10 scancel --quiet --user="$(id -un)" 2>/dev/null || true
    fi
    pids=()
    for pidfile in "$work/slurmd.pid" "$work/slurmctld.pid"; do
        [ -f "$pidfile" ] && pids+=("$(cat "$pidfile")")
    done
    if [ "$started_munge" = 1 ] && [ -f /run/munge/munged.pid ]; then
        pids+=("$(cat /run/munge/munged.pid)")
    fi
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    # Let them finish writing their state before the directory goes.
    for _ in $(seq 50); do
        alive=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ "$alive" = 0 ] && break
        sleep 0.2
    done
    if [ "$rc" -ne 0 ]; then
        echo "test-slurm: FAILED; daemon logs follow" >&2
        tail -n 30 "$work"/*.log "$work"/slurm/*.out 2>/dev/null >&2 || true
    fi
    rm -rf "$work" || true
    exit "$rc"
}
trap cleanup EXIT
# A timeout's SIGTERM (or Ctrl-C) must still stop the daemons: exit, which runs cleanup.
trap 'exit 143' TERM INT

echo "== starting munge"
if ! timeout 5 sh -c 'munge -n | unmunge' >/dev/null 2>&1; then
    if [ ! -s /etc/munge/munge.key ]; then
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
        chown munge:munge /etc/munge/munge.key
        chmod 400 /etc/munge/munge.key
    fi
    mkdir -p /run/munge /var/log/munge /var/lib/munge
    chown munge:munge /run/munge /var/log/munge /var/lib/munge
    timeout 10 runuser -u munge -- /usr/sbin/munged
    started_munge=1
    timeout 10 sh -c 'until munge -n | unmunge >/dev/null 2>&1; do sleep 0.2; done'
fi

echo "== starting slurmctld and slurmd"
host=$(hostname -s)
mkdir -p "$work/ctld" "$work/d" "$work/slurm"
cat > "$work/slurm.conf" <<CONF
ClusterName=sandantest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=6917
SlurmdPort=6918
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MpiDefault=none
StateSaveLocation=$work/ctld
SlurmdSpoolDir=$work/d
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
NodeName=$host NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=1000 State=UNKNOWN
PartitionName=main Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$work/slurm.conf"
timeout 20 /usr/sbin/slurmctld -f "$SLURM_CONF"
timeout 20 /usr/sbin/slurmd -f "$SLURM_CONF"
timeout 60 sh -c 'until sinfo -h -o %t 2>/dev/null | grep -qx idle; do sleep 0.5; done'
sinfo

echo "== sweep through a job array of 3 shards and a dependent merge"
local_out="$work/local"
"$sandan" sweep tests/fixtures/tiny.toml --design tests/fixtures/sweep_grid.toml --out "$local_out" --quiet
SANDAN="$sandan" SWEEP_WAIT=1 SWEEP_SBATCH_ARGS="--time=5" timeout 180 \
    scripts/slurm/sweep.sbatch tests/fixtures/tiny.toml tests/fixtures/sweep_grid.toml "$work/slurm" 3

for f in results.csv progress.log summary.csv response.png rankings.csv rankings.png feature_scores.csv; do
    cmp "$local_out/$f" "$work/slurm/merged/$f"
done
echo "== test-slurm: merged Slurm sweep equals the local sweep ($(( $(date +%s) - started )) s)"

echo "== calibration: each generation a job array of 3 shards and a merge that submits the next"
flags="--particles 12 --replicates 1 --max-generations 3"
# shellcheck disable=SC2086 # the flags are words
"$sandan" calibrate tests/fixtures/tiny.toml --targets tests/fixtures/targets/tiny.toml \
    --out "$work/calibration-local" --quiet $flags
SANDAN="$sandan" CALIBRATE_WAIT=1 CALIBRATE_ARGS="$flags" CALIBRATE_SBATCH_ARGS="--time=5" timeout 300 \
    scripts/slurm/calibrate.sbatch tests/fixtures/tiny.toml tests/fixtures/targets/tiny.toml "$work/calibration-slurm" 3
for f in posterior.csv generations.csv calibrated.toml fit.png pairs.png report.html; do
    cmp "$work/calibration-local/$f" "$work/calibration-slurm/$f"
done
echo "== test-slurm: the calibration on Slurm equals the local one ($(( $(date +%s) - started )) s)"
