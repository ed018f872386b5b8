#!/usr/bin/env bash
# How long ebapctl takes to give up on absent or silent servers, to stop, and to run one
# probe round: the timings the tests used to assert as thresholds. The tests now check
# what holds at any machine speed (the reason that names the deadline, counts, the order
# in which requests met a server); this script measures the time on this machine.
#   bench/deadlines.sh [BUILD_DIR]     (default: build; only the ebapctl target is needed)
#   env: ROUNDS (3: each measurement repeats, the median is printed)
#        BROKER_DOWN (1: also measure gen's exit after its broker dies, ~15-30 s)
# Prints one row per measurement: the median wall time, every round, and what bounds it
# (the configured deadline it should end near). Exit 1 when a command's exit status is
# not the expected one (then its timing would mean nothing).
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${1:-build}
ROUNDS=${ROUNDS:-3}
BROKER_DOWN=${BROKER_DOWN:-1}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "deadlines: ROUNDS must be a positive integer" >&2; exit 2; }
EBAPCTL=$BUILD/ebapctl
die() { echo "deadlines: $*" >&2; exit 1; }
[ -x "$EBAPCTL" ] || die "$EBAPCTL not found (build the ebapctl target in $BUILD)"
command -v python3 >/dev/null || die "python3 not found"
(( BASH_VERSINFO[0] >= 5 )) || die "bash 5 needed (EPOCHREALTIME)"

BENCH_TMP_PREFIX=ebap-deadlines
# shellcheck source=bench/lib.sh
. bench/lib.sh # the script has cd'd to the repository root
wait_for() { # TENTHS CMD...: poll until CMD succeeds
    local tries=$1; shift
    until "$@" >/dev/null 2>&1; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || return 1
        sleep 0.1
    done
}

# A port that completes TCP handshakes (from the listen backlog) but never reads or
# answers, like the tests' SilentListener.
SILENT_PORT=$(free_port)
python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(128)
time.sleep(86400)' "$SILENT_PORT" &
PIDS+=($!)
DEAD_PORT=$(free_port) # nothing listens there: connections are refused

export XDG_CONFIG_HOME=$TMP/config EBAP_STATE_DIR=$TMP/state HOME=$TMP NO_COLOR=1
unset EBAPCTL_CONFIG
mkdir -p "$TMP/config" "$TMP/state"

ROWS=()
# measure NAME BOUND WANT_EXIT CMD...: runs CMD ROUNDS times, records the wall times.
measure() {
    local name=$1 bound=$2 want=$3; shift 3
    local times=() i t0 t1 rc
    for ((i = 0; i < ROUNDS; i++)); do
        t0=$EPOCHREALTIME
        rc=0
        "$@" >"$TMP/out" 2>"$TMP/err" || rc=$?
        t1=$EPOCHREALTIME
        [ "$rc" = "$want" ] || die "$name: exit $rc, expected $want: $(tail -n3 "$TMP/err")"
        times+=("$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')")
    done
    local median
    median=$(printf '%s\n' "${times[@]}" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    ROWS+=("$(printf '%-44s %8s  %-24s %s' "$name" "$median" "${times[*]}" "$bound")")
    echo "deadlines: $name: ${times[*]}" >&2
}

# catalog FILE SPEC...: an external-stack catalog, one service per SPEC "KIND|TARGET" or
# "KIND|TARGET|TIMEOUT_MS"; TARGET is the endpoint, or for KIND command the argv (words).
catalog() {
    local file=$1 n=0 spec kind rest target timeout word argv; shift
    printf '[catalog]\nname = "bench"\n\n[stacks.s]\ndriver = "external"\n\n' >"$file"
    for spec in "$@"; do
        kind=${spec%%|*}; rest=${spec#*|}; target=${rest%%|*}; timeout=${rest#*|}
        n=$((n + 1))
        printf '[[service]]\nname = "svc%d"\nstack = "s"\nprobe = "%s"\n' "$n" "$kind" >>"$file"
        if [ "$kind" = command ]; then
            argv=""
            for word in $target; do argv+="${argv:+, }\"$word\""; done
            printf 'command = [%s]\n' "$argv" >>"$file"
        else
            printf 'endpoint = "%s"\n' "$target" >>"$file"
        fi
        if [ "$timeout" != "$rest" ]; then printf 'timeout_ms = %s\n' "$timeout" >>"$file"; fi
        printf '\n' >>"$file"
    done
}

# --- doctor and status ---
env_dead=(env KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$DEAD_PORT REDIS_HOST=127.0.0.1 REDIS_PORT=$DEAD_PORT
          PGHOST=127.0.0.1 PGPORT=$DEAD_PORT TRINO_URL=http://127.0.0.1:$DEAD_PORT
          MINIO_ENDPOINT=http://127.0.0.1:$DEAD_PORT)
measure "doctor, every endpoint refused" "probe.timeout_ms 2 s (slowest probe)" 3 \
    "${env_dead[@]}" "$EBAPCTL" doctor --json
catalog "$TMP/dead.toml" "tcp|127.0.0.1:$DEAD_PORT"
measure "status --wait --timeout 1, service down" "1 s + one round" 3 \
    "$EBAPCTL" --catalog "$TMP/dead.toml" status --wait --timeout 1
catalog "$TMP/silent1.toml" "http|http://127.0.0.1:$SILENT_PORT/|500"
measure "status, 1 silent http service (500 ms)" "500 ms" 3 \
    "$EBAPCTL" --catalog "$TMP/silent1.toml" status
specs=()
for i in 1 2 3 4 5 6 7 8; do specs+=("http|http://127.0.0.1:$SILENT_PORT/s$i|500"); done
for i in 1 2; do specs+=("command|sleep 0.5|3000"); done
catalog "$TMP/silent10.toml" "${specs[@]}"
measure "status, 8 silent http (500 ms) + 2 commands" "500 ms, concurrent (not 5 s)" 3 \
    "$EBAPCTL" --catalog "$TMP/silent10.toml" status

# --- Kafka clients ---
printf '[kafka]\ntimeout_ms = 1500\n' >"$TMP/kafka1500.toml"
measure "lag, refused bootstrap (timeout_ms 1500)" "1.5 s" 1 \
    env KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$DEAD_PORT "$EBAPCTL" --config "$TMP/kafka1500.toml" lag
measure "gen, refused bootstrap" "kafka.timeout_ms 5 s" 1 \
    env KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$DEAD_PORT "$EBAPCTL" gen --count 10 --eps 0
measure "gen, silent bootstrap" "kafka.timeout_ms 5 s" 1 \
    env KAFKA_BOOTSTRAP_SERVERS=127.0.0.1:$SILENT_PORT "$EBAPCTL" gen --count 10 --eps 0

# --- PostgreSQL and Redis clients ---
pg_env=(env PGHOST=127.0.0.1 PGUSER=postgres PGDATABASE=ebap)
measure "seed, refused port" "refusal: well under 1 s" 1 \
    "${pg_env[@]}" PGPORT=$DEAD_PORT "$EBAPCTL" seed --users 5
measure "seed, silent port" "libpq connect_timeout=3 s" 1 \
    "${pg_env[@]}" PGPORT=$SILENT_PORT "$EBAPCTL" seed --users 5
measure "kpi, silent redis" "redis.timeout_ms 5 s" 1 \
    env REDIS_HOST=127.0.0.1 REDIS_PORT=$SILENT_PORT "$EBAPCTL" kpi

# --- gen against a live broker: SIGINT, and the broker dying under it ---
"$EBAPCTL" broker --bootstrap-file "$TMP/bootstrap" >"$TMP/broker.out" 2>"$TMP/broker.err" &
PIDS+=($!)
BROKER_PID=$!
wait_for 300 test -s "$TMP/bootstrap" || die "broker did not start: $(cat "$TMP/broker.err")"
BOOTSTRAP=$(head -n1 "$TMP/bootstrap")

# gen_stopped NAME SIGNAL_TARGET WANT_EXIT: gen --eps 500 until 50 records are out, then
# stop it through SIGNAL_TARGET (gen: SIGINT to gen; broker: SIGKILL to the broker) and
# time until gen exits.
gen_stopped() {
    local name=$1 how=$2 want=$3 t0 t1 rc pid
    KAFKA_BOOTSTRAP_SERVERS=$BOOTSTRAP "$EBAPCTL" --json gen --eps 500 --users 50 --no-cdc \
        >"$TMP/gen.json" 2>"$TMP/gen.err" &
    pid=$!
    PIDS+=("$pid")
    sleep 1 # ~500 records produced
    t0=$EPOCHREALTIME
    if [ "$how" = gen ]; then kill -INT "$pid"; else kill -KILL "$BROKER_PID"; fi
    rc=0
    wait "$pid" || rc=$?
    t1=$EPOCHREALTIME
    if [ "$how" = broker ]; then { wait "$BROKER_PID"; } 2>/dev/null || true; fi
    [ "$rc" = "$want" ] || die "$name: exit $rc, expected $want: $(tail -n3 "$TMP/gen.err")"
    ROWS+=("$(printf '%-44s %8s  %-24s %s' "$name" \
        "$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')" "(1 round)" "$4")")
}
gen_stopped "gen, SIGINT to exit" gen 0 "flush of what is queued"
if [ "$BROKER_DOWN" = 1 ]; then
    gen_stopped "gen, broker killed to exit 1" broker 1 \
        "message.timeout.ms 15 s, rest purged (not 30 s)"
fi

printf '%-44s %8s  %-24s %s\n' "measurement" "median_s" "rounds_s" "bound"
printf '%s\n' "${ROWS[@]}"
