#!/usr/bin/env bash
# Runs flowrun's benchmarks and prints their figures (see bench/README.md):
#   1. start-up: `flowrun flows/rotate-ai-key.xml` spawned to its listener accepting connections;
#   2. throughput: wrk on loopback against the bare `hello-hyper` server and against flowrun
#      running bench/flows/throughput.xml, in the same run, with the ratio of the two.
#
#   bench/run.sh                                  # everything, about 3 minutes
#   DURATION=5s ROUNDS=1 STARTUP_RUNS=10 bench/run.sh   # a quick look
#
# Settings (environment): DURATION (wrk -d, default 10s), CONNECTIONS (wrk -c, default 64),
# ROUNDS (measured rounds per server in the pinned layout, the median is reported; default 3),
# STARTUP_RUNS (default 30), SHARED (1 also measures the unpinned layout; default 1).
#
# The machine has two cores. The main figures pin the server to CPU 0 and wrk (one thread) to
# CPU 1, so the load generator never takes CPU time from the server it measures; the servers'
# tokio runtimes then see one CPU and start one worker. The "shared" layout leaves both
# unpinned (wrk -t2, servers with two workers), as the issue's `wrk -t2 -c64` reads.
# Nothing here leaves the loopback interface.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
ROUNDS=${ROUNDS:-3}
STARTUP_RUNS=${STARTUP_RUNS:-30}
SHARED=${SHARED:-1}
HYPER_PORT=${HYPER_PORT:-18081}
FLOWRUN_PORT=${FLOWRUN_PORT:-18082}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
WORK=$(mktemp -d)
# The binaries are copied here after the build, so that a concurrent build into a shared target
# folder cannot swap them mid-run.
BIN=$WORK/bin
SERVER_PID=""
RPS="-"

cleanup() {
    stop_server
    rm -rf "$WORK"
}
trap cleanup EXIT

log() { echo "$*" >&2; }

install_wrk() {
    command -v wrk >/dev/null 2>&1 && return
    log "installing wrk (apt-get install wrk)..."
    apt-get install -y -qq wrk >/dev/null 2>&1 || {
        apt-get update -qq >/dev/null
        apt-get install -y -qq wrk >/dev/null
    }
}

# start_server NAME CPUS PORT COMMAND...: starts COMMAND in the background (pinned with
# `taskset -c CPUS` unless CPUS is "all"), its stderr in $WORK/NAME.err, and waits until
# GET /bench answers. Fails if it does not within 10 s.
start_server() {
    local name=$1 cpus=$2 port=$3
    shift 3
    if [ "$cpus" = all ]; then
        "$@" >/dev/null 2>"$WORK/$name.err" &
    else
        taskset -c "$cpus" "$@" >/dev/null 2>"$WORK/$name.err" &
    fi
    SERVER_PID=$!
    for _ in $(seq 1 1000); do
        if curl -sf -o "$WORK/$name.body" "http://127.0.0.1:$port/bench"; then
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.01
    done
    log "$name did not answer GET /bench on port $port:"
    sed 's/^/    /' "$WORK/$name.err" | head -20 >&2
    stop_server
    return 1
}

stop_server() {
    [ -n "$SERVER_PID" ] || return 0
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
}

# run_wrk CPUS THREADS PORT: a 1 s warm-up, then the measured run; sets RPS to requests/s,
# or fails if any response was not 2xx or any socket error happened.
run_wrk() {
    local cpus=$1 threads=$2 port=$3 pin=()
    [ "$cpus" = all ] || pin=(taskset -c "$cpus")
    local url="http://127.0.0.1:$port/bench"
    "${pin[@]}" wrk -t"$threads" -c"$CONNECTIONS" -d1s "$url" >/dev/null || return 1
    "${pin[@]}" wrk -t"$threads" -c"$CONNECTIONS" -d"$DURATION" "$url" >"$WORK/wrk.out" || return 1
    if grep -qE 'Non-2xx|Socket errors' "$WORK/wrk.out"; then
        log "wrk saw failures against port $port:"
        sed 's/^/    /' "$WORK/wrk.out" >&2
        return 1
    fi
    RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$WORK/wrk.out")
}

# measure NAME SERVER_CPUS WRK_CPUS WRK_THREADS PORT COMMAND...: one server, one wrk run.
# Sets RPS to requests/s, or to "-" when the server did not start or wrk saw failures.
measure() {
    local name=$1 server_cpus=$2 wrk_cpus=$3 threads=$4 port=$5
    shift 5
    RPS="-"
    if start_server "$name" "$server_cpus" "$port" "$@"; then
        run_wrk "$wrk_cpus" "$threads" "$port" || RPS="-"
        stop_server
    fi
    log "    $name: $RPS req/s"
}

median() {
    printf '%s\n' "$@" | awk '$1 != "-"' | sort -n |
        awk '{ v[NR] = $1 } END { if (NR == 0) print "-"; else print v[int((NR + 1) / 2)] }'
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f\n", a / b }'
}

verdict() {
    awk -v r="$1" 'BEGIN { if (r == "-") print "pending"; else if (r >= 0.5) print "met"; else print "NOT met" }'
}

hyper_cmd=("$BIN/hello-hyper" "$HYPER_PORT")
flowrun_app=("$BIN/flowrun" bench/flows/throughput.xml "-Dbench.port=$FLOWRUN_PORT")

# throughput LAYOUT SERVER_CPUS WRK_CPUS WRK_THREADS N_ROUNDS: interleaves the three servers
# round by round, so a slow spell of the machine hits all of them alike.
throughput() {
    local layout=$1 server_cpus=$2 wrk_cpus=$3 threads=$4 n_rounds=$5
    local hyper=() warn=() info=()
    for round in $(seq 1 "$n_rounds"); do
        log "  $layout round $round/$n_rounds"
        measure hello-hyper "$server_cpus" "$wrk_cpus" "$threads" "$HYPER_PORT" "${hyper_cmd[@]}"
        hyper+=("$RPS")
        measure flowrun-warn "$server_cpus" "$wrk_cpus" "$threads" "$FLOWRUN_PORT" \
            env FLOWRUN_LOG=warn "${flowrun_app[@]}"
        warn+=("$RPS")
        measure flowrun-info "$server_cpus" "$wrk_cpus" "$threads" "$FLOWRUN_PORT" \
            env FLOWRUN_LOG=info "${flowrun_app[@]}"
        info+=("$RPS")
        if [ -s "$WORK/flowrun-info.err" ]; then
            log "    flowrun-info wrote $(wc -l <"$WORK/flowrun-info.err") log lines"
        fi
    done
    local h w i
    h=$(median "${hyper[@]}")
    w=$(median "${warn[@]}")
    i=$(median "${info[@]}")
    local rw ri
    rw=$(ratio "$w" "$h")
    ri=$(ratio "$i" "$h")
    echo "throughput, $layout (wrk -t$threads -c$CONNECTIONS -d$DURATION, median of $n_rounds):"
    printf '  %-34s %8s req/s   (rounds: %s)\n' "hello-hyper" "$h" "${hyper[*]}"
    printf '  %-34s %8s req/s   (rounds: %s)   ratio %s, target >= 0.50: %s\n' \
        "flowrun, FLOWRUN_LOG=warn" "$w" "${warn[*]}" "$rw" "$(verdict "$rw")"
    printf '  %-34s %8s req/s   (rounds: %s)   ratio %s\n' \
        "flowrun, FLOWRUN_LOG=info (logs)" "$i" "${info[*]}" "$ri"
}

log "building (release)..."
cargo build --release --quiet -p flowrun -p flowrun-bench
mkdir -p "$BIN"
cp "$CARGO_TARGET_DIR/release/flowrun" "$CARGO_TARGET_DIR/release/hello-hyper" \
    "$CARGO_TARGET_DIR/release/startup" "$BIN/"
install_wrk

echo "flowrun benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
echo "machine: $(nproc) CPUs, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo), $(uname -sr)"
echo

log "start-up benchmark..."
RUST_BACKTRACE=0 "$BIN/startup" --runs "$STARTUP_RUNS" 2>"$WORK/startup.err" || {
    echo "startup: pending, flowrun did not start:"
    sed 's/^/    /' "$WORK/startup.err" | head -20
}
echo

log "throughput benchmark..."
throughput "pinned: server on CPU 0, wrk on CPU 1" 0 1 1 "$ROUNDS"
if [ -s "$WORK/flowrun-warn.body" ]; then
    echo "  flowrun answered: $(tr -d '\n' <"$WORK/flowrun-warn.body")"
fi
if [ "$SHARED" = 1 ]; then
    echo
    throughput "shared: both unpinned on $(nproc) CPUs" all all 2 1
fi
