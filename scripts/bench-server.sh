#!/usr/bin/env bash
# Measures the server under load: builds `tessera` and `tessera-loadgen` in
# release, starts a fresh server (temporary data directory, SQLite) on a free
# loopback port and the HTTP floor (`tessera-floor`: an axum server answering
# a static GetCallerIdentity document) beside it, runs every load-generator
# scenario at each connection count against the server and the header-signed
# one against the floor, prints each scenario's rate as a share of the floor,
# cross-checks the presigned scenario with wrk when it is installed, and stops
# both. Results go to stdout; docs/PERFORMANCE.md explains them.
#
# Environment: CONNECTIONS (default 1,16,64), DURATION seconds per run
# (default 10), THREADS of the load generator (default 1), CARGO_TARGET_DIR,
# TESSERA_BIN (a server binary to measure instead of the one just built, to
# compare two builds), TESSERA_LOG (the server's log filter, default warn;
# info measures the per-request log line too).
set -euo pipefail

cd "$(dirname "$0")/.."
source scripts/wait-for-server.sh
connections=${CONNECTIONS:-1,16,64}
duration=${DURATION:-10}
threads=${THREADS:-1}
target_dir=${CARGO_TARGET_DIR:-target}

cargo build --release -p tessera -p tessera-loadgen
tessera=${TESSERA_BIN:-$target_dir/release/tessera}
loadgen="$target_dir/release/tessera-loadgen"
floor="$target_dir/release/tessera-floor"

data_dir=$(mktemp -d)
server_pid=
floor_pid=
cleanup() {
    for pid in $server_pid $floor_pid; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid"
            wait "$pid" 2>/dev/null || true
        fi
    done
    rm -rf "$data_dir"
}
trap cleanup EXIT

TESSERA_LOG=${TESSERA_LOG:-warn} "$tessera" serve --listen 127.0.0.1:0 --data-dir "$data_dir" \
    --account-id 123456789012 >"$data_dir/server.log" 2>&1 &
server_pid=$!
wait_for_endpoint "$data_dir/server.log" "$server_pid" 30 bench-server

# The floor answers without reading credentials; the load generator signs
# each request as it would for the server, so the client's work is the same.
"$floor" 127.0.0.1:0 >"$data_dir/floor.log" 2>&1 &
floor_pid=$!
floor_endpoint=
for _ in $(seq 1 100); do
    floor_endpoint=$(sed -n 's/^Listening on \(http:\/\/[^ ]*\).*/\1/p' "$data_dir/floor.log")
    [[ -n $floor_endpoint ]] && break
    sleep 0.1
done
if [[ -z $floor_endpoint ]]; then
    echo "bench-server: the floor did not start" >&2
    cat "$data_dir/floor.log" >&2
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

echo "## The floor: tessera-floor, header-signed GetCallerIdentity"
"$loadgen" --endpoint "$floor_endpoint" --credentials "$data_dir/credentials" --scenario signed \
    --connections "$connections" --duration-secs "$duration" --threads "$threads" \
    --server-pid "$floor_pid" | tee "$data_dir/floor.md"
echo

echo "## tessera-loadgen --all"
"$loadgen" --endpoint "$endpoint" --credentials "$data_dir/credentials" --all \
    --connections "$connections" --duration-secs "$duration" --threads "$threads" \
    --server-pid "$server_pid" | tee "$data_dir/server.md"
echo

echo "## Share of the floor, at the same connection count"
# Both rates: req/s, and requests per server-CPU-second (which a machine
# shared with other work disturbs less). Table columns: 2 scenario,
# 3 connections, 5 req/s, 13 requests per server-CPU-second.
awk -F'|' '
    FNR == 1 { file++ }
    $2 ~ /^ [a-z-]+ $/ && $3 ~ /[0-9]/ {
        scenario = $2; gsub(/ /, "", scenario); c = $3 + 0
        if (file == 1) { floor_rate[c] = $5 + 0; floor_cpu[c] = $13 + 0 }
        else { n++; name[n] = scenario; conns[n] = c; rate[n] = $5 + 0; cpu[n] = $13 + 0 }
    }
    function share(x, f) { return (f > 0) ? sprintf("%.0f %%", 100 * x / f) : "n/a" }
    END {
        print "| scenario | conns | req/s | floor req/s | share | req per server-CPU-s | floor | share |"
        print "|---|---:|---:|---:|---:|---:|---:|---:|"
        for (i = 1; i <= n; i++) {
            c = conns[i]
            printf "| %s | %s | %.0f | %.0f | %s | %.0f | %.0f | %s |\n", name[i], c, rate[i], floor_rate[c], share(rate[i], floor_rate[c]), cpu[i], floor_cpu[c], share(cpu[i], floor_cpu[c])
        }
    }' "$data_dir/floor.md" "$data_dir/server.md"
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
