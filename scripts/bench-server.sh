#!/usr/bin/env bash
# Measures the server under load: builds `tessera` and `tessera-loadgen` in
# release, starts a fresh server (temporary data directory, SQLite) on a free
# loopback port, runs every load-generator scenario at each connection count,
# cross-checks the presigned scenario with wrk when it is installed, and stops
# the server. Results go to stdout; docs/PERFORMANCE.md explains them.
#
# Environment: CONNECTIONS (default 1,16,64), DURATION seconds per run
# (default 10), THREADS of the load generator (default 1), CARGO_TARGET_DIR,
# TESSERA_BIN (a server binary to measure instead of the one just built, to
# compare two builds), TESSERA_LOG (the server's log filter, default warn;
# info measures the per-request log line too).
set -euo pipefail

cd "$(dirname "$0")/.."
connections=${CONNECTIONS:-1,16,64}
duration=${DURATION:-10}
threads=${THREADS:-1}
target_dir=${CARGO_TARGET_DIR:-target}

cargo build --release -p tessera -p tessera-loadgen
tessera=${TESSERA_BIN:-$target_dir/release/tessera}
loadgen="$target_dir/release/tessera-loadgen"

data_dir=$(mktemp -d)
server_pid=
cleanup() {
    if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid"
        wait "$server_pid" 2>/dev/null || true
    fi
    rm -rf "$data_dir"
}
trap cleanup EXIT

TESSERA_LOG=${TESSERA_LOG:-warn} "$tessera" serve --listen 127.0.0.1:0 --data-dir "$data_dir" \
    --account-id 123456789012 >"$data_dir/server.log" 2>&1 &
server_pid=$!

endpoint=
for _ in $(seq 1 300); do
    endpoint=$(sed -n 's/^Listening on \(http:\/\/[^ ]*\).*/\1/p' "$data_dir/server.log")
    [[ -n $endpoint ]] && break
    kill -0 "$server_pid" 2>/dev/null || { cat "$data_dir/server.log" >&2; exit 1; }
    sleep 0.1
done
if [[ -z $endpoint ]]; then
    echo "bench-server: the server did not start" >&2
    cat "$data_dir/server.log" >&2
    exit 1
fi

echo "## Machine"
echo "cpus: $(nproc); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
machine_busy_percent() {
    # The share of all CPUs busy over the next 5 s, from /proc/stat.
    local before after
    before=$(head -1 /proc/stat)
    sleep 5
    after=$(head -1 /proc/stat)
    printf '%s\n%s\n' "$before" "$after" | awk '{
        total = 0; for (i = 2; i <= 9; i++) total += $i; idle = $5 + $6
        if (NR == 1) { total1 = total; idle1 = idle }
        else printf "%.0f %%", 100 * (1 - (idle - idle1) / (total - total1)) }'
}
echo "machine busy before the run (5 s, server idle): $(machine_busy_percent)"
echo "server: $endpoint (pid $server_pid, SQLite in a temporary directory)"
echo

echo "## tessera-loadgen --all"
"$loadgen" --endpoint "$endpoint" --credentials "$data_dir/credentials" --all \
    --connections "$connections" --duration-secs "$duration" --threads "$threads" \
    --server-pid "$server_pid"
echo

server_cpu_ticks() {
    # utime + stime of the server, counted after the command name.
    sed 's/.*) //' "/proc/$server_pid/stat" | awk '{print $12 + $13}'
}

echo "## wrk cross-check: the presigned URL replayed"
if command -v wrk >/dev/null; then
    url=$("$loadgen" --endpoint "$endpoint" --credentials "$data_dir/credentials" \
        --print-presigned-url 3600)
    ticks_per_second=$(getconf CLK_TCK)
    for c in ${connections//,/ }; do
        wrk -t1 -c"$c" -d1s "$url" >/dev/null # warm-up
        before=$(server_cpu_ticks)
        out=$(wrk -t1 -c"$c" -d"${duration}s" --latency "$url")
        after=$(server_cpu_ticks)
        echo "### wrk -t1 -c$c -d${duration}s --latency PRESIGNED_URL"
        echo "$out" | grep -E 'Latency|50%|90%|99%|requests in|Requests/sec|Non-2xx|Socket errors'
        requests=$(echo "$out" | awk '/requests in/ {print $1}')
        echo "server CPU: $(awk -v t=$((after - before)) -v hz="$ticks_per_second" 'BEGIN {printf "%.2f s", t / hz}')," \
            "requests per server-CPU-second: $(awk -v r="$requests" -v t=$((after - before)) -v hz="$ticks_per_second" \
                'BEGIN {if (t > 0) printf "%.0f", r / (t / hz); else print "n/a"}')"
        echo
    done
else
    echo "wrk is not installed (Debian: apt-get install -y wrk); skipped."
fi
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
