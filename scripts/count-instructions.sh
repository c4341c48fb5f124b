#!/usr/bin/env bash
# Counts the server's user-space instructions per request under callgrind,
# for the signed, signed-temporary and iam-get-user scenarios: a measure
# that a busy machine does not move (CPU time per request moves by ±30 %
# there). Starts BIN (default: the release build) under
# `valgrind --tool=callgrind` on a fresh SQLite data directory; per
# scenario, sends 300 unmeasured requests, zeroes the counters, sends
# REQUESTS more (default 10000) at 16 connections, dumps the counters and
# prints instructions per request. Kernel time is not counted, and
# valgrind runs SHA-256 in its portable form (no SHA extensions), so
# hashing weighs more here than natively. docs/PERFORMANCE.md explains it.
#
# Usage: scripts/count-instructions.sh [BIN]   (needs valgrind)
set -euo pipefail

cd "$(dirname "$0")/.."
source scripts/wait-for-server.sh
target_dir=${CARGO_TARGET_DIR:-target}
requests=${REQUESTS:-10000}
command -v valgrind >/dev/null || { echo "valgrind is not installed (Debian: apt-get install -y valgrind)" >&2; exit 1; }
cargo build --release -p tessera -p tessera-loadgen
bin=${1:-$target_dir/release/tessera}
loadgen="$target_dir/release/tessera-loadgen"

work=$(mktemp -d)
vpid=
cleanup() {
    if [[ -n $vpid ]] && kill -0 "$vpid" 2>/dev/null; then
        kill -TERM "$vpid"
        wait "$vpid" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

TESSERA_LOG=warn valgrind --tool=callgrind --callgrind-out-file="$work/cg.out.%p" \
    "$bin" serve --listen 127.0.0.1:0 --data-dir "$work/data" --account-id 123456789012 \
    >"$work/server.log" 2>&1 &
vpid=$!
# Under callgrind the server starts slowly.
wait_for_endpoint "$work/server.log" "$vpid" 120 count-instructions

echo "| scenario | requests | instructions | per request |"
echo "|---|---:|---:|---:|"
for scenario in signed signed-temporary iam-get-user; do
    run() {
        "$loadgen" --endpoint "$endpoint" --credentials "$work/data/credentials" \
            --connections 16 --scenario "$scenario" --requests "$1" --warmup-secs 0
    }
    run 300 >/dev/null 2>&1
    callgrind_control -z "$vpid" >/dev/null 2>&1
    run "$requests" >"$work/$scenario.md" 2>"$work/$scenario.log"
    callgrind_control -d "$scenario" "$vpid" >/dev/null 2>&1
    sleep 0.5
    dump=$(ls -t "$work"/cg.out.* | head -1)
    instructions=$(awk '/^(summary|totals):/ {print $2; exit}' "$dump")
    answered=$(awk -F'|' -v s=" $scenario " '$2 == s {print $4 + 0; exit}' "$work/$scenario.md")
    awk -v s="$scenario" -v n="$answered" -v i="$instructions" \
        'BEGIN {printf "| %s | %d | %d | %.0f |\n", s, n, i, (n > 0) ? i / n : 0}'
done
