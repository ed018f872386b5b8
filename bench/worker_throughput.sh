#!/usr/bin/env bash
# End-to-end throughput of the streaming worker against the floor any consumer pays.
# One run, one data set: the embedded broker (64 raw partitions: the mock keeps only
# ~5 MiB per partition), a throw-away redis-server, EVENTS generated events, then
#   raw     bench/raw_consume_bench: assign all partitions from the beginning, poll to EOF
#   rawgrp  the same, but subscribed in a fresh consumer group (pays the group join)
#   hot     ebapctl worker --drain --no-cold   (fresh group, FLUSHALL'd Redis)
#   both    ebapctl worker --drain             (fresh group, FLUSHALL'd Redis, temp cold root)
# and prints events/s, the ratio to raw, CPU user/sys and peak RSS (/usr/bin/time -v).
# events/s = produced events / process wall time (start-up and shutdown included for
# all three alike). Exit 1 when a run fails or its counts disagree with what was produced.
#   bench/worker_throughput.sh [BUILD_DIR]      (default: build; needs EBAP_BUILD_BENCH=ON)
#   env: EVENTS (1000000) USERS (10000) SEED (1) THREADS (2) CDC (1: gen also produces
#        user CDC, so the worker enriches; 0: --no-cdc) PERF (stat: perf stat the worker
#        runs; record: perf record them, OUT/NAME.perf.data for perf report)
#        WORKER_ARGS (extra `ebapctl worker` arguments, e.g. "-X fetch.wait.max.ms=50")
#        LINGER_MS (gen's --linger-ms, its default when unset: the size of the message sets
#        the broker serves; the mock walks a partition's sets on every fetch)
#        OUT (/tmp/worker_throughput: each run's JSON summary, time -v and stderr kept there)
#        ROUNDS (1: repeat the four runs on the same data; with more, the medians of the
#        per-round ratios are printed at the end)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${1:-build}
EVENTS=${EVENTS:-1000000}
USERS=${USERS:-10000}
SEED=${SEED:-1}
THREADS=${THREADS:-2}
WORKER_ARGS=${WORKER_ARGS:-}
CDC=${CDC:-1}
LINGER_MS=${LINGER_MS:-}
PERF=${PERF:-}
OUT=${OUT:-/tmp/worker_throughput}
ROUNDS=${ROUNDS:-1}
[[ $ROUNDS =~ ^[1-9][0-9]*$ ]] || { echo "worker_throughput: ROUNDS must be a positive integer, got '$ROUNDS'" >&2; exit 2; }
EBAPCTL=$BUILD/ebapctl
RAW=$(find "$BUILD" -name raw_consume_bench -type f -perm -u+x 2>/dev/null | head -n1)

die() { echo "worker_throughput: $*" >&2; exit 1; }
[ -x "$EBAPCTL" ] || die "$EBAPCTL not found (build the ebapctl target in $BUILD)"
[ -n "$RAW" ] || die "raw_consume_bench not found under $BUILD (configure with -DEBAP_BUILD_BENCH=ON, build target raw_consume_bench)"
[ -x /usr/bin/time ] || die "/usr/bin/time missing (apt-get install time)"
for tool in redis-server redis-cli jq python3; do
    command -v "$tool" >/dev/null || die "$tool not found"
done

BENCH_TMP_PREFIX=ebap-bench
# shellcheck source=bench/lib.sh
. bench/lib.sh # the script has cd'd to the repository root

# Poll (never sleep blindly) until "$@" succeeds, at most $1 tenths of a second.
wait_for() {
    local tries=$1; shift
    until "$@" >/dev/null 2>&1; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || return 1
        sleep 0.1
    done
}

# Isolated configuration: no user config file, state and cold data in $TMP.
export XDG_CONFIG_HOME=$TMP/config XDG_STATE_HOME=$TMP/state EBAP_STATE_DIR=$TMP/state
unset EBAPCTL_CONFIG EBAP_COLD_ROOT
mkdir -p "$TMP/state" "$TMP/config" "$OUT"

"$EBAPCTL" broker --raw-partitions 64 --bootstrap-file "$TMP/bootstrap" >"$TMP/broker.out" 2>"$TMP/broker.err" &
PIDS+=($!)
BROKER_PID=$!
wait_for 300 test -s "$TMP/bootstrap" || die "broker did not start: $(cat "$TMP/broker.err")"
export KAFKA_BOOTSTRAP_SERVERS=$(head -n1 "$TMP/bootstrap")

REDIS_PORT=$(free_port)
redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no \
    --dir "$TMP" >"$TMP/redis.log" 2>&1 &
PIDS+=($!)
REDIS_PID=$!
export REDIS_HOST=127.0.0.1 REDIS_PORT
wait_for 100 redis-cli -p "$REDIS_PORT" ping || die "redis-server did not start: $(tail -n3 "$TMP/redis.log")"

cdc_flag=(--no-cdc)
[ "$CDC" = 1 ] && cdc_flag=()
echo "worker_throughput: generating $EVENTS events (users $USERS, seed $SEED, cdc $CDC) into $KAFKA_BOOTSTRAP_SERVERS" >&2
linger_flag=()
[ -n "$LINGER_MS" ] && linger_flag=(--linger-ms "$LINGER_MS")
"$EBAPCTL" --json gen --count "$EVENTS" --eps 0 --users "$USERS" --seed "$SEED" "${cdc_flag[@]}" "${linger_flag[@]}" \
    >"$TMP/gen.json" 2>"$TMP/gen.err" || die "gen failed: $(tail -n3 "$TMP/gen.err")"
delivered=$(jq -r .delivered "$TMP/gen.json")
[ "$delivered" = "$EVENTS" ] || die "gen delivered $delivered of $EVENTS events"
gen_rate=$(jq -r '.rate_eps | floor' "$TMP/gen.json")

proc_cpu() { # PID -> its user+sys CPU so far, in seconds (/proc/PID/stat utime+stime)
    awk -v hz="$(getconf CLK_TCK)" '{ sub(/^.*\) /, ""); printf "%.2f", ($12 + $13) / hz }' "/proc/$1/stat"
}

# run NAME CMD...: runs under /usr/bin/time -v, stdout to $TMP/NAME.json.
run() {
    local name=$1; shift
    local wrap=()
    if [ -n "$PERF" ] && [[ $name != raw.* ]]; then
        command -v perf >/dev/null || die "PERF=$PERF but perf is not installed"
        case $PERF in
            stat) wrap=(perf stat -o "$TMP/$name.perf-stat.txt") ;;
            record) wrap=(perf record -q -F ${PERF_FREQ:-499} -o "$OUT/$name.perf.data") ;;
            *) die "PERF must be stat or record" ;;
        esac
    fi
    echo "worker_throughput: run $name" >&2
    local b0 r0
    b0=$(proc_cpu "$BROKER_PID")
    r0=$(proc_cpu "$REDIS_PID")
    /usr/bin/time -v -o "$TMP/$name.time" "${wrap[@]}" "$@" >"$TMP/$name.json" 2>"$TMP/$name.err" ||
        die "$name failed: $(tail -n5 "$TMP/$name.err")"
    awk -v b0="$b0" -v b1="$(proc_cpu "$BROKER_PID")" -v r0="$r0" -v r1="$(proc_cpu "$REDIS_PID")" \
        'BEGIN { printf "%.2f %.2f\n", b1 - b0, r1 - r0 }' >"$TMP/$name.server_cpu"
    cp "$TMP/$name".* "$OUT/"
    return 0
}
time_field() { # FILE LABEL -> value after the colon
    grep -F "$2" "$1" | head -n1 | sed 's/.*: //'
}
wall_secs() { # "h:mm:ss" or "m:ss.ss" -> seconds
    time_field "$1" "Elapsed (wall clock)" | awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }'
}

check_worker() { # NAME: the summary must account for every produced event
    local f=$TMP/$1.json ok events dlq late
    ok=$(jq -r .ok "$f"); events=$(jq -r .events "$f"); dlq=$(jq -r .dlq_events "$f"); late=$(jq -r .late_events "$f")
    [ "$ok" = true ] || die "$1: worker summary ok=$ok: $(jq -c .errors "$f")"
    [ $((events + dlq + late)) -eq "$EVENTS" ] ||
        die "$1: events $events + dlq $dlq + late $late != produced $EVENTS"
}

# One round: the four runs in a row on the same data, each worker run in a fresh group
# with Redis flushed and (both) a fresh cold root. Run files are NAME.rR.*.
ROWS=$TMP/rows # name round vs_raw ex_join vs_grp wall peak_MiB, for the medians
one_round() {
    local r=$1 n cold_objects raw_wall grp_wall name wall user sys rss_kb inner join bcpu rcpu
    n=raw.r$r
    run "$n" "$RAW" "$KAFKA_BOOTSTRAP_SERVERS" ebap.events.raw
    [ "$(jq -r .records "$TMP/$n.json")" = "$EVENTS" ] ||
        die "raw: consumed $(jq -r .records "$TMP/$n.json") of $EVENTS"
    n=rawgrp.r$r
    run "$n" "$RAW" --subscribe "$KAFKA_BOOTSTRAP_SERVERS" ebap.events.raw
    [ "$(jq -r .records "$TMP/$n.json")" = "$EVENTS" ] ||
        die "rawgrp: consumed $(jq -r .records "$TMP/$n.json") of $EVENTS"

    redis-cli -p "$REDIS_PORT" flushall >/dev/null
    # shellcheck disable=SC2086 # WORKER_ARGS: extra worker arguments, word-split on purpose
    run hot.r$r "$EBAPCTL" --json worker --drain --no-cold --threads "$THREADS" \
        --group "bench-hot-$$-$r" $WORKER_ARGS
    check_worker hot.r$r

    redis-cli -p "$REDIS_PORT" flushall >/dev/null
    rm -rf "$TMP/cold"
    mkdir -p "$TMP/cold"
    # shellcheck disable=SC2086
    EBAP_COLD_ROOT=$TMP/cold run both.r$r "$EBAPCTL" --json worker --drain --threads "$THREADS" \
        --group "bench-both-$$-$r" $WORKER_ARGS
    check_worker both.r$r
    cold_objects=$(jq -r .cold.objects "$TMP/both.r$r.json")
    [ "$cold_objects" -gt 0 ] || die "both: the cold path wrote no objects"

    raw_wall=$(wall_secs "$TMP/raw.r$r.time")
    grp_wall=$(wall_secs "$TMP/rawgrp.r$r.time")
    printf '\nworker_throughput: round %d of %d: %d events (%s MiB) on 64 partitions, gen %s ev/s (linger %s ms), %d worker threads, %d cores, load %s\n' \
        "$r" "$ROUNDS" "$EVENTS" "$(jq -r '.bytes / 1048576 | floor' "$TMP/raw.r$r.json")" "$gen_rate" \
        "$(jq -r .linger_ms "$TMP/gen.json")" "$THREADS" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
    printf '%-6s %9s %8s %10s %7s %7s %7s %7s %7s %9s %8s %7s %7s %7s %6s\n' run events wall_s events/s vs_raw ex_join vs_grp user_s sys_s peak_MiB inner_s join_s brk_cpu rds_cpu assign
    for name in raw rawgrp hot both; do
        n=$name.r$r
        wall=$(wall_secs "$TMP/$n.time")
        user=$(time_field "$TMP/$n.time" "User time")
        sys=$(time_field "$TMP/$n.time" "System time")
        rss_kb=$(time_field "$TMP/$n.time" "Maximum resident set size")
        inner=$(jq -r .wall_s "$TMP/$n.json")
        join=$(jq -r '.assign_wait_s // 0' "$TMP/$n.json")
        assign=$(jq -r '.assignments // "-"' "$TMP/$n.json")
        read -r bcpu rcpu <"$TMP/$n.server_cpu"
        awk -v n="$name" -v e="$EVENTS" -v w="$wall" -v rw="$raw_wall" -v gw="$grp_wall" -v u="$user" -v s="$sys" \
            -v r="$rss_kb" -v i="$inner" -v j="$join" -v b="$bcpu" -v rc="$rcpu" -v a="$assign" 'BEGIN {
                printf "%-6s %9d %8.2f %10.0f %7.2f %7.2f %7.2f %7.2f %7.2f %9.1f %8.2f %7.2f %7.2f %7.2f %6s\n",
                    n, e, w, e / w, rw / w, rw / (w - j), gw / w, u, s, r / 1024, i, j, b, rc, a }'
        awk -v n="$name" -v k="$r" -v w="$wall" -v rw="$raw_wall" -v gw="$grp_wall" -v j="$join" -v m="$rss_kb" \
            'BEGIN { printf "%s %d %.4f %.4f %.4f %.3f %.1f\n", n, k, rw / w, rw / (w - j), gw / w, w, m / 1024 }' >>"$ROWS"
    done
    printf 'cold objects %s (%s MiB); thread_s hot %s both %s\n' "$cold_objects" \
        "$(jq -r '.cold.bytes / 1048576 | . * 10 | floor / 10' "$TMP/both.r$r.json")" \
        "$(jq -c .thread_s "$TMP/hot.r$r.json")" "$(jq -c .thread_s "$TMP/both.r$r.json")"
}

for ((round = 1; round <= ROUNDS; round++)); do
    one_round "$round"
done
echo "(events/s = events / process wall; vs_raw = raw wall / run wall; ex_join = the same with join_s taken out of the run's wall;
 vs_grp = rawgrp wall / run wall: rawgrp is raw joined to a fresh group like the worker, paying the same join; join_s = wait for the first assignment;
 user_s/sys_s = the run's own CPU; brk_cpu/rds_cpu = the broker's/redis-server's CPU during the run;
 assign = partition assignments the worker threads received (more than THREADS: a rebalance during the drain); details in $OUT)"
if [ "$ROUNDS" -gt 1 ]; then
    # Ratios are taken within a round (raw and the workers ran minutes apart at most), then
    # the median over rounds: one neighbour's burst moves one round, not the verdict.
    printf '\nmedians over %d rounds (ratios within each round):\n' "$ROUNDS"
    printf '%-6s %7s %7s %7s %8s %9s\n' run vs_raw ex_join vs_grp wall_s peak_MiB
    for name in hot both; do
        for col in 3 4 5 6 7; do
            awk -v n="$name" -v c="$col" '$1 == n { print $c }' "$ROWS" | sort -g |
                awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
        done | paste -sd' ' | awk -v n="$name" '{ printf "%-6s %7.2f %7.2f %7.2f %8.2f %9.1f\n", n, $1, $2, $3, $4, $5 }'
    done
fi
printf 'targets: hot >= 0.70 x raw, both >= 0.50 x raw\n'
