#!/usr/bin/env bash
# Runs flowrun's benchmarks and prints their figures (see bench/README.md):
#   1. start-up: `flowrun flows/rotate-ai-key.xml` spawned to its listener accepting connections;
#   2. throughput: wrk on loopback against the bare `hello-hyper` server and against flowrun
#      running bench/flows/throughput.xml, in the same run, with the ratio of the two.
#
#   bench/run.sh                                          # everything, 2 to 8 minutes
#   DURATION=3s ROUNDS=1 STARTUP_RUNS=10 bench/run.sh     # a quick look
#
# Settings (environment):
#   DURATION      wrk -d, default 10s
#   CONNECTIONS   wrk -c, default 64
#   ROUNDS        rounds per server in the pinned layout, default 3; the best round counts
#   SHARED_ROUNDS rounds in the unpinned layout, default 1; 0 skips it
#   STARTUP_RUNS  default 30
#   QUIET_MAX     the machine counts as quiet below this CPU use in percent, default 10
#   QUIET_WAIT    how many seconds to wait for quiet before each round, default 120
#
# The machine has two cores. The main figures pin the server to CPU 0 and wrk (one thread) to
# CPU 1, so the load generator never takes CPU time from the server it measures; the servers'
# tokio runtimes then see one CPU and start one worker. The "shared" layout leaves both
# unpinned (wrk -t2, servers with two workers), as the issue's `wrk -t2 -c64` reads.
#
# Other work on the machine (a compile) only ever slows a round down, so each server's best
# round is its figure, the rounds of the three servers are interleaved, and each round waits
# until the machine is quiet; a round that started on a busy machine is marked with `*`.
# Each run also records the server's CPU time per request (from /proc/PID/stat), which other
# work barely changes; its ratio is printed next to the requests/s ratio as a cross-check.
# Nothing here leaves the loopback interface.
set -euo pipefail
cd "$(dirname "$0")/.."

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-64}
ROUNDS=${ROUNDS:-3}
SHARED_ROUNDS=${SHARED_ROUNDS:-1}
STARTUP_RUNS=${STARTUP_RUNS:-30}
QUIET_MAX=${QUIET_MAX:-10}
QUIET_WAIT=${QUIET_WAIT:-120}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}
WORK=$(mktemp -d)
# The binaries are copied here after the build, so that a concurrent build into a shared target
# folder cannot swap them mid-run.
BIN=$WORK/bin
SERVER_PID=""
PORT=""
RPS="-"
CPU_US="-"
CPU_USE="-"
BUSY_MARK=""
CLK_TCK=$(getconf CLK_TCK)

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

# cpu_busy: percent of all CPUs' time spent busy over the next second, from /proc/stat.
cpu_busy() {
    local before after
    before=$(head -1 /proc/stat)
    sleep 1
    after=$(head -1 /proc/stat)
    # Fields after "cpu": user nice system idle iowait irq softirq steal.
    printf '%s\n%s\n' "$before" "$after" | awk '
        { busy[NR] = $2 + $3 + $4 + $7 + $8 + $9; total[NR] = busy[NR] + $5 + $6 }
        END { printf "%.0f\n", 100 * (busy[2] - busy[1]) / (total[2] - total[1]) }'
}

# wait_quiet: waits up to QUIET_WAIT seconds for the machine to be quiet; sets BUSY_MARK to
# "*" when it never was.
wait_quiet() {
    local busy
    BUSY_MARK=""
    for _ in $(seq 1 "$QUIET_WAIT"); do
        busy=$(cpu_busy)
        [ "$busy" -lt "$QUIET_MAX" ] && return 0
        log "    machine busy (${busy}% CPU), waiting..."
    done
    log "    machine still busy after ${QUIET_WAIT}s; measuring anyway (marked *)"
    BUSY_MARK="*"
}

# pick_port: sets PORT to a loopback port nothing listens on.
pick_port() {
    while :; do
        PORT=$((20000 + RANDOM % 40000))
        (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || return 0
    done
}

# start_server NAME CPUS COMMAND...: picks a port, starts COMMAND with every `@PORT@` in its
# words replaced by it, in the background (pinned with `taskset -c CPUS` unless CPUS is
# "all"), its stderr in $WORK/NAME.err, and waits until GET /bench answers (10 s at most).
start_server() {
    local name=$1 cpus=$2
    shift 2
    pick_port
    local command=("${@//@PORT@/$PORT}")
    [ "$cpus" = all ] || command=(taskset -c "$cpus" "${command[@]}")
    "${command[@]}" >/dev/null 2>"$WORK/$name.err" &
    SERVER_PID=$!
    for _ in $(seq 1 1000); do
        if curl -sf -o "$WORK/$name.body" "http://127.0.0.1:$PORT/bench"; then
            return 0
        fi
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.01
    done
    log "$name did not answer GET /bench on port $PORT:"
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

# cpu_ticks PID: the user plus system CPU time PID has used, in clock ticks.
cpu_ticks() {
    # The command name (field 2) is in parentheses and may hold spaces: count from after it.
    sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# run_wrk CPUS THREADS: a 1 s warm-up, then the measured run against the started server.
# Sets RPS to requests/s and CPU_US to the server's CPU time per request in microseconds, or
# fails if wrk failed, or saw a non-2xx response or a socket error.
run_wrk() {
    local cpus=$1 threads=$2 pin=() ticks_before ticks_after
    [ "$cpus" = all ] || pin=(taskset -c "$cpus")
    local url="http://127.0.0.1:$PORT/bench"
    "${pin[@]}" wrk -t"$threads" -c"$CONNECTIONS" -d1s "$url" >/dev/null || return 1
    ticks_before=$(cpu_ticks "$SERVER_PID")
    "${pin[@]}" wrk -t"$threads" -c"$CONNECTIONS" -d"$DURATION" "$url" >"$WORK/wrk.out" || return 1
    ticks_after=$(cpu_ticks "$SERVER_PID")
    if grep -qE 'Non-2xx|Socket errors' "$WORK/wrk.out"; then
        log "wrk saw failures:"
        sed 's/^/    /' "$WORK/wrk.out" >&2
        return 1
    fi
    RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$WORK/wrk.out")
    CPU_US=$(awk -v ticks=$((ticks_after - ticks_before)) -v hz="$CLK_TCK" \
        '/ requests in / { printf "%.1f", ticks / hz * 1e6 / $1 }' "$WORK/wrk.out")
    # How much of a core the server used; below 100% per worker it was not the bottleneck.
    CPU_USE=$(awk -v ticks=$((ticks_after - ticks_before)) -v hz="$CLK_TCK" \
        '/ requests in / { sub(/s,$/, "", $4); printf "%.0f%%", 100 * ticks / hz / $4 }' \
        "$WORK/wrk.out")
}

# measure NAME SERVER_CPUS WRK_CPUS WRK_THREADS COMMAND...: one server, one wrk run. Sets RPS
# and CPU_US (with BUSY_MARK appended), or both to "-" when the server did not start or wrk
# failed.
measure() {
    local name=$1 server_cpus=$2 wrk_cpus=$3 threads=$4
    shift 4
    RPS="-"
    CPU_US="-"
    CPU_USE="-"
    if start_server "$name" "$server_cpus" "$@"; then
        run_wrk "$wrk_cpus" "$threads" || { RPS="-"; CPU_US="-"; }
        stop_server
    fi
    [ "$RPS" = "-" ] || { RPS="$RPS$BUSY_MARK"; CPU_US="$CPU_US$BUSY_MARK"; }
    log "    $name: $RPS req/s, $CPU_US us CPU/request, server CPU use $CPU_USE"
}

# best ROUND...: the highest of the rounds, "*" marks dropped; "-" when none succeeded.
best() {
    printf '%s\n' "$@" | tr -d '*' | awk '$1 != "-"' | sort -g | tail -1 | grep . || echo "-"
}

# least ROUND...: the lowest of the rounds, "*" marks dropped; "-" when none succeeded.
least() {
    printf '%s\n' "$@" | tr -d '*' | awk '$1 != "-"' | sort -g | head -1 | grep . || echo "-"
}

ratio() {
    awk -v a="$1" -v b="$2" 'BEGIN { if (a == "-" || b == "-" || b == 0) print "-"; else printf "%.2f\n", a / b }'
}

verdict() {
    awk -v r="$1" 'BEGIN { if (r == "-") print "pending"; else if (r >= 0.5) print "met"; else print "NOT met" }'
}

hyper_cmd=("$BIN/hello-hyper" @PORT@)
flowrun_app=("$BIN/flowrun" bench/flows/throughput.xml "-Dbench.port=@PORT@")

# throughput LAYOUT SERVER_CPUS WRK_CPUS WRK_THREADS N_ROUNDS: interleaves the three servers
# round by round, so a slow spell of the machine hits all of them alike, and prints each
# server's best round and flowrun's ratios to hello-hyper.
throughput() {
    local layout=$1 server_cpus=$2 wrk_cpus=$3 threads=$4 n_rounds=$5
    local hyper=() warn=() info=() hyper_cpu=() warn_cpu=() info_cpu=()
    local hyper_use=() warn_use=() info_use=()
    for round in $(seq 1 "$n_rounds"); do
        log "  $layout, round $round/$n_rounds"
        wait_quiet
        measure hello-hyper "$server_cpus" "$wrk_cpus" "$threads" "${hyper_cmd[@]}"
        hyper+=("$RPS")
        hyper_cpu+=("$CPU_US")
        hyper_use+=("$CPU_USE")
        measure flowrun-warn "$server_cpus" "$wrk_cpus" "$threads" \
            env FLOWRUN_LOG=warn "${flowrun_app[@]}"
        warn+=("$RPS")
        warn_cpu+=("$CPU_US")
        warn_use+=("$CPU_USE")
        measure flowrun-info "$server_cpus" "$wrk_cpus" "$threads" \
            env FLOWRUN_LOG=info "${flowrun_app[@]}"
        info+=("$RPS")
        info_cpu+=("$CPU_US")
        info_use+=("$CPU_USE")
        log "    flowrun-info wrote $(wc -l <"$WORK/flowrun-info.err") log lines"
    done
    echo "throughput, $layout (wrk -t$threads -c$CONNECTIONS -d$DURATION, best of $n_rounds):"
    local h hc
    h=$(best "${hyper[@]}")
    hc=$(least "${hyper_cpu[@]}")
    report_line "hello-hyper" "$h" "$hc" "" "" "${hyper[*]}" "${hyper_use[*]}"
    report_line "flowrun, FLOWRUN_LOG=warn" "$(best "${warn[@]}")" "$(least "${warn_cpu[@]}")" \
        "$h" "$hc" "${warn[*]}" "${warn_use[*]}" target
    report_line "flowrun, FLOWRUN_LOG=info (logs)" "$(best "${info[@]}")" \
        "$(least "${info_cpu[@]}")" "$h" "$hc" "${info[*]}" "${info_use[*]}"
}

# report_line NAME RPS CPU_US BASE_RPS BASE_CPU_US ROUNDS USES [TARGET]: one server's figures
# with its rounds' requests/s and CPU use (100% is one core busy all the run long); with
# a baseline, the ratios to it: requests/s over the baseline's, and the baseline's CPU time per
# request over this server's (what the throughput ratio is when CPU is the only limit). With
# TARGET, whether the requests/s ratio meets it, and a warning when the two ratios disagree,
# which happens when other work on the machine slowed some rounds.
report_line() {
    local name=$1 rps=$2 cpu=$3 base_rps=$4 base_cpu=$5 rounds=$6 uses=$7 target=${8:-}
    printf '  %-33s %7s req/s  %6s us CPU/req' "$name" "$rps" "$cpu"
    local by_rps by_cpu
    if [ -n "$base_rps" ]; then
        by_rps=$(ratio "$rps" "$base_rps")
        by_cpu=$(ratio "$base_cpu" "$cpu")
        printf '  ratio %s (by CPU %s)' "$by_rps" "$by_cpu"
    fi
    [ -z "$target" ] || printf ', target >= 0.50: %s' "$(verdict "$by_rps")"
    printf '\n  %-33s rounds (req/s): %s\n' "" "$rounds"
    printf '  %-33s server CPU use: %s\n' "" "$uses"
    if [ -n "$target" ] && awk -v a="$by_rps" -v b="$by_cpu" \
        'BEGIN { exit !(a != "-" && b != "-" && (a - b > 0.1 || b - a > 0.1)) }'; then
        printf '  %-33s warning: the two ratios differ by more than 0.1, so other work slowed\n' ""
        printf '  %-33s some rounds; rerun on a quiet machine before trusting the verdict\n' ""
    fi
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
wait_quiet
RUST_BACKTRACE=0 "$BIN/startup" --runs "$STARTUP_RUNS" 2>"$WORK/startup.err" || {
    echo "startup: pending, flowrun did not start:"
    sed 's/^/    /' "$WORK/startup.err" | head -20
}
[ -z "$BUSY_MARK" ] || echo "startup: (* measured on a busy machine)"
echo

log "throughput benchmark..."
throughput "pinned: server on CPU 0, wrk on CPU 1" 0 1 1 "$ROUNDS"
if [ -s "$WORK/flowrun-warn.body" ]; then
    echo "  flowrun answered: $(tr -d '\n' <"$WORK/flowrun-warn.body")"
fi
if [ "$SHARED_ROUNDS" -gt 0 ]; then
    echo
    throughput "shared: both unpinned on $(nproc) CPUs" all all 2 "$SHARED_ROUNDS"
fi
