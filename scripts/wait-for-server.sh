# Sourced by the benchmark scripts: waits for a `tessera serve` started
# with `--listen 127.0.0.1:0` to print the address it listens on.
#
# wait_for_endpoint LOG PID SECONDS NAME sets `endpoint` to the server's
# URL read from LOG; exits with the log on stderr if process PID ends or
# SECONDS pass first (NAME prefixes the message).
wait_for_endpoint() {
    local log=$1 pid=$2 seconds=$3 name=$4
    endpoint=
    for _ in $(seq 1 $((seconds * 10))); do
        endpoint=$(sed -n 's/^Listening on \(http:\/\/[^ ]*\).*/\1/p' "$log")
        [[ -n $endpoint ]] && return 0
        kill -0 "$pid" 2>/dev/null || { cat "$log" >&2; exit 1; }
        sleep 0.1
    done
    echo "$name: the server did not start" >&2
    cat "$log" >&2
    exit 1
}
