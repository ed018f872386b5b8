#!/usr/bin/env bash
# The console's costs, each against what the issue asked for:
#   frame  console_frame_bench: one overview frame off-screen at 200x60, 120x40, 80x24
#   start  fork to the first full frame with every backend refused           (<= 300 ms)
#   keys   key 2 -> services view, key 1 -> overview, while every probe and collector
#          hangs on a silent listener (probe.timeout_ms 10 s); and with all refused (<= 50 ms)
#   idle   CPU of the console over IDLE_S s at 1 s refresh against a live redis-server and
#          `ebapctl broker`: data rewritten every second (<= 0.5 %), nothing changing (~0),
#          nothing changing without the Kafka clients made per round, every backend refused
#   rss    peak RSS (VmHWM) with the workers in the console (worker.threads 2) following
#          `ebapctl gen --eps $EPS`, and the records they committed (Redis offsets)
# The console runs in a pseudo-terminal driven by bench/console_pty.py (TERM
# xterm-256color, C.UTF-8, 200x60), with a clean environment and its own config.
#   bench/console.sh [BUILD_DIR]     (default: build; targets ebapctl, console_frame_bench)
#   env: ONLY (frame,start,keys,idle,rss: a comma list, default all) RUNS (10: start runs)
#        KEY_ROUNDS (20) IDLE_S (30) RSS_S (30) EPS (5000) REPS (9: frame repetitions)
#        OUT (/tmp/console_bench: every JSON result, the console's stderr)
#        PERF (1: perf record each idle window into OUT/idle-NAME.perf.data)
set -euo pipefail
cd "$(dirname "$0")/.."

BUILD=${1:-build}
ONLY=${ONLY:-frame,start,keys,idle,rss}
RUNS=${RUNS:-10}
KEY_ROUNDS=${KEY_ROUNDS:-20}
IDLE_S=${IDLE_S:-30}
RSS_S=${RSS_S:-30}
EPS=${EPS:-5000}
REPS=${REPS:-9}
OUT=${OUT:-/tmp/console_bench}
PERF=${PERF:-0}
EBAPCTL=$(realpath "$BUILD/ebapctl")
FRAME_BENCH=$BUILD/bench/console_frame_bench
PTY=bench/console_pty.py

die() { echo "console: $*" >&2; exit 1; }
[ -x "$EBAPCTL" ] || die "$EBAPCTL not found (build the ebapctl target in $BUILD)"
for tool in python3 redis-server redis-cli jq; do
    command -v "$tool" >/dev/null || die "$tool not found"
done
want() { [[ ",$ONLY," == *",$1,"* ]]; }

BENCH_TMP_PREFIX=ebap-console
# shellcheck source=bench/lib.sh
. bench/lib.sh # the script has cd'd to the repository root
mkdir -p "$OUT" "$TMP/state" "$TMP/cold"
wait_for() { # TENTHS CMD...: poll until CMD succeeds
    local tries=$1; shift
    until "$@" >/dev/null 2>&1; do
        tries=$((tries - 1))
        [ "$tries" -gt 0 ] || return 1
        sleep 0.1
    done
}
ROWS=()
row() { ROWS+=("$(printf '%-46s %12s  %-14s %s' "$1" "$2" "$3" "$4")"); }

# The console with nothing of the caller's environment: no config file, no overrides.
console() { # MODE CONFIG [console_pty.py options...]
    local mode=$1 config=$2; shift 2
    env -i PATH="$PATH" HOME="$TMP" python3 "$PTY" "$mode" --stderr "$OUT/console.err" "$@" -- \
        "$EBAPCTL" --config "$config"
}

# catalog FILE NAME|KIND|ENDPOINT...: an external-stack catalog.
catalog() {
    local file=$1 spec name kind endpoint; shift
    printf '[catalog]\nname = "bench"\n\n[stacks.s]\ndriver = "external"\n\n' >"$file"
    for spec in "$@"; do
        IFS='|' read -r name kind endpoint <<<"$spec"
        printf '[[service]]\nname = "%s"\nstack = "s"\nprobe = "%s"\nendpoint = "%s"\n\n' \
            "$name" "$kind" "$endpoint" >>"$file"
    done
}
# config FILE CATALOG KAFKA REDIS_PORT PG_PORT [TIMEOUT_MS]: every backend on 127.0.0.1, every
# collector at 1 s; TIMEOUT_MS sets the probe, Kafka and Redis deadlines.
config() {
    local t=${6:-}
    {
        printf '[catalog]\nname = "%s"\n' "$2"
        printf '[kafka]\nbootstrap_servers = "%s"\n' "$3"
        if [ -n "$t" ]; then printf 'timeout_ms = %s\n' "$t"; fi
        printf '[redis]\nhost = "127.0.0.1"\nport = %s\n' "$4"
        if [ -n "$t" ]; then printf 'connect_timeout_ms = %s\ntimeout_ms = %s\n' "$t" "$t"; fi
        printf '[postgres]\nhost = "127.0.0.1"\nport = %s\n' "$5"
        printf '[paths]\nstate_dir = "%s"\ncold_root = "%s"\n' "$TMP/state" "$TMP/cold"
        printf '[probe]\ninterval_ms = 1000\n'
        if [ -n "$t" ]; then printf 'timeout_ms = %s\n' "$t"; fi
        printf '[lag]\ninterval_ms = 1000\n[kpi]\ninterval_ms = 1000\n'
    } >"$1"
}

DEAD=$(free_port) # nothing listens: refused
# HOLE accepts and never answers; NOACC never accepts (a backlog of 0, filled by one
# connection of our own, so further SYNs are dropped and connect() hangs).
HOLE=$(free_port)
NOACC=$(free_port)
python3 -c '
import socket, sys, time
hole = socket.socket(); hole.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
hole.bind(("127.0.0.1", int(sys.argv[1]))); hole.listen(128)
noacc = socket.socket(); noacc.bind(("127.0.0.1", int(sys.argv[2]))); noacc.listen(0)
filler = socket.socket(); filler.connect(("127.0.0.1", int(sys.argv[2])))
held = []
while True:
    c, _ = hole.accept()
    held.append(c)' "$HOLE" "$NOACC" &
PIDS+=($!)
wait_for 50 bash -c "exec 3<>/dev/tcp/127.0.0.1/$HOLE" || die "the silent listener did not start"

catalog "$TMP/dead-catalog.toml" "kafka|kafka|127.0.0.1:$DEAD" "redis|redis|127.0.0.1:$DEAD" \
    "postgres|postgres|127.0.0.1:$DEAD" "web|http|http://127.0.0.1:$DEAD/" "port|tcp|127.0.0.1:$DEAD"
config "$TMP/dead.toml" "$TMP/dead-catalog.toml" "127.0.0.1:$DEAD" "$DEAD" "$DEAD"

if want frame; then
    [ -x "$FRAME_BENCH" ] || die "$FRAME_BENCH not found (build target console_frame_bench)"
    echo "console: frame cost ($REPS repetitions)" >&2
    "$FRAME_BENCH" --benchmark_repetitions="$REPS" --benchmark_report_aggregates_only=true \
        --benchmark_format=json --benchmark_out="$OUT/frame.json" --benchmark_out_format=json >/dev/null
    FRAMES=$(jq -r --argjson reps "$REPS" '.benchmarks[] |
        select(.aggregate_name == "median" or ($reps == 1 and .run_type == "iteration")) |
        (.run_name | capture("cols:(?<c>[0-9]+)/rows:(?<r>[0-9]+)/mode:(?<m>[0-9])")) as $a |
        "\($a.c)x\($a.r) \(["full", "one_kpi", "idle", "kpi_tick", "clock_tick", "repaint"][$a.m | tonumber]) \(.cpu_time) \(.real_time) \(.drawn) \(.bytes)"' \
        "$OUT/frame.json")
fi

if want start; then
    echo "console: start to first frame, every backend refused ($RUNS runs)" >&2
    console start "$TMP/dead.toml" --runs "$RUNS" >"$OUT/start.json"
    row "start to first frame, all refused (median)" "$(jq -r '.median_ms | . * 10 | round / 10' "$OUT/start.json") ms" \
        "<= 300 ms" "runs $(jq -r '[.first_ms[] | . * 10 | round / 10] | join(" ")' "$OUT/start.json")"
    row "  q to exit, all refused (median)" \
        "$(jq -r '[.quit_ms[]] | sort | .[length / 2 | floor] | round' "$OUT/start.json") ms" "-" \
        "max $(jq -r '[.quit_ms[]] | max | round' "$OUT/start.json") ms"
fi

if want keys; then
    catalog "$TMP/hang-catalog.toml" "web|http|http://127.0.0.1:$HOLE/" "cache|redis|127.0.0.1:$HOLE" \
        "db|postgres|127.0.0.1:$HOLE" "port|tcp|127.0.0.1:$NOACC" "refused|tcp|127.0.0.1:$DEAD"
    config "$TMP/hang.toml" "$TMP/hang-catalog.toml" "127.0.0.1:$HOLE" "$HOLE" "$HOLE" 10000
    echo "console: key latency, every probe and collector hanging ($KEY_ROUNDS rounds)" >&2
    console keys "$TMP/hang.toml" --rounds "$KEY_ROUNDS" --ready DOWN >"$OUT/keys-hang.json"
    echo "console: key latency, every backend refused ($KEY_ROUNDS rounds)" >&2
    console keys "$TMP/dead.toml" --rounds "$KEY_ROUNDS" --ready DOWN >"$OUT/keys-dead.json"
    for k in hang dead; do
        f=$OUT/keys-$k.json
        what=$([ $k = hang ] && echo "probes hang (10 s)" || echo "all refused (reference)")
        row "key 2/1 -> view drawn, $what" "$(jq -r '.median_ms | . * 10 | round / 10' "$f") ms" "<= 50 ms" \
            "max $(jq -r '.max_ms | . * 10 | round / 10' "$f") ms, first data after $(jq -r '.ready_ms | round' "$f") ms"
        row "  q to exit, $what" "$(jq -r 'if .quit_ms then (.quit_ms | round | tostring) + " ms" else "killed" end' "$f")" "-" \
            "exit $(jq -r .exit "$f")"
    done
fi

# A live platform for idle and rss: redis-server and the embedded Kafka brokers.
start_live() {
    REDIS_PORT=$(free_port)
    redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$TMP" \
        >"$TMP/redis.log" 2>&1 &
    PIDS+=($!)
    wait_for 100 redis-cli -p "$REDIS_PORT" ping || die "redis-server did not start: $(tail -n3 "$TMP/redis.log")"
    "$EBAPCTL" broker --bootstrap-file "$TMP/bootstrap" >"$TMP/broker.out" 2>"$TMP/broker.err" &
    PIDS+=($!)
    wait_for 300 test -s "$TMP/bootstrap" || die "broker did not start: $(cat "$TMP/broker.err")"
    BOOTSTRAP=$(head -n1 "$TMP/bootstrap")
    local rest=("redis|redis|127.0.0.1:$REDIS_PORT" "web|http|http://127.0.0.1:$DEAD/" "port|tcp|127.0.0.1:$DEAD")
    catalog "$TMP/live-catalog.toml" "kafka|kafka|${BOOTSTRAP%%,*}" "${rest[@]}"
    catalog "$TMP/live-nokafka-catalog.toml" "${rest[@]}"
}
REGIONS=(ap-northeast ap-southeast eu-central eu-west sa-east us-east us-west)
# seed UPDATED_MS: ebap:kpi:now and 7 region hashes, values varied by the second.
seed() {
    local ms=$1 s=$(( $1 / 1000 )) r i=0
    {
        echo "HSET ebap:kpi:now eps $((4500 + s % 997)) active_users_1m $((1100 + s % 301))" \
            "purchases_1m $((150 + s % 23)) revenue_1m $((12000 + s % 4001)).5 error_rate_1m 0.0$((100 + s % 50))" \
            "late_events $((s % 400)) dlq_events $((s % 30)) watermark_ms $ms updated_ms $ms"
        for r in "${REGIONS[@]}"; do
            echo "SADD ebap:regions $r"
            echo "HSET ebap:region:$r health ok events_1m $((20000 + (s * (i + 3)) % 9000))" \
                "active_users_1m $((150 + (s + i) % 80)) revenue_1m $((1500 + (s * 7 + i) % 900))" \
                "error_rate 0.0$((10 + (s + i) % 40)) p95_latency_ms $((90 + (s + 5 * i) % 200)) updated_ms $ms"
            i=$((i + 1))
        done
    } | redis-cli -p "$REDIS_PORT" >/dev/null
}
idle_row() { # NAME FILE TARGET
    row "$1" "$(jq -r '.cpu_pct' "$2") %" "$3" "$(jq -r '.pid as $p | "\(.cpu_s) CPU-s in \(.wall_s) s: UI thread \([.threads | to_entries[] | select(.key | endswith("/\($p)")) | .value] | add // 0), rdk:* \([.threads | to_entries[] | select(.key | startswith("rdk:")) | .value] | add // 0), exited threads \(.cpu_s - ([.threads[]] | add // 0) | . * 100 | round / 100); VmHWM \(.vmhwm_kb / 1024 | floor) MiB"' "$2")"
}
hold() { # NAME CONFIG: console hold for IDLE_S s into OUT/idle-NAME.json
    local perf=()
    if [ "$PERF" = 1 ]; then perf=(--perf "$OUT/idle-$1.perf.data"); fi
    console hold "$2" --seconds "$IDLE_S" "${perf[@]}" >"$OUT/idle-$1.json"
}

if want idle || want rss; then start_live; fi

if want idle; then
    config "$TMP/live.toml" "$TMP/live-catalog.toml" "$BOOTSTRAP" "$REDIS_PORT" "$DEAD"
    echo "console: idle CPU, data rewritten every second (${IDLE_S} s)" >&2
    redis-cli -p "$REDIS_PORT" flushall >/dev/null
    seed "$(date +%s%3N)"
    ( while sleep 1; do seed "$(date +%s%3N)"; done ) &
    PIDS+=($!)
    LOOP=$!
    hold changing "$TMP/live.toml"
    kill "$LOOP"
    echo "console: idle CPU, nothing changing (${IDLE_S} s)" >&2
    redis-cli -p "$REDIS_PORT" flushall >/dev/null
    seed "$(( $(date +%s%3N) - 60000 ))" # older than kpi.stale_after_ms: it stays stale
    hold still "$TMP/live.toml"
    # A/B: the same without the Kafka clients made per round (the kafka probe's, and the
    # lag collector's committed-offset consumer per group).
    echo "console: idle CPU, nothing changing, no kafka probe and no groups (${IDLE_S} s)" >&2
    config "$TMP/live-nokafka.toml" "$TMP/live-nokafka-catalog.toml" "$BOOTSTRAP" "$REDIS_PORT" "$DEAD"
    sed -i 's/^bootstrap_servers = .*/&\ngroups = []/' "$TMP/live-nokafka.toml"
    hold nokafka "$TMP/live-nokafka.toml"
    echo "console: idle CPU, every backend refused (${IDLE_S} s)" >&2
    hold dead "$TMP/dead.toml"
    idle_row "idle CPU, data changing every 1 s" "$OUT/idle-changing.json" "<= 0.5 %"
    idle_row "idle CPU, nothing changing" "$OUT/idle-still.json" "~ 0"
    idle_row "  the same, no kafka probe, kafka.groups = []" "$OUT/idle-nokafka.json" "-"
    idle_row "idle CPU, every backend refused (reference)" "$OUT/idle-dead.json" "-"
fi

if want rss; then
    redis-cli -p "$REDIS_PORT" flushall >/dev/null
    config "$TMP/rss.toml" "$TMP/live-catalog.toml" "$BOOTSTRAP" "$REDIS_PORT" "$DEAD" # worker.threads: 2
    echo "console: peak RSS with 2 workers in the console, gen --eps $EPS (${RSS_S} s)" >&2
    env -i PATH="$PATH" HOME="$TMP" "$EBAPCTL" --config "$TMP/rss.toml" --json gen --eps "$EPS" \
        >"$TMP/gen.json" 2>"$TMP/gen.err" &
    PIDS+=($!)
    GEN=$!
    env -i PATH="$PATH" HOME="$TMP" python3 "$PTY" hold --stderr "$OUT/console.err" --seconds "$RSS_S" -- \
        "$EBAPCTL" --config "$TMP/rss.toml" --worker >"$OUT/rss.json"
    kill -INT "$GEN"
    wait "$GEN" || true
    records=$(redis-cli -p "$REDIS_PORT" hgetall ebap:offsets:ebapctl-workers |
        awk 'NR % 2 { f = $0; next } f ~ /^ebap\.events\.raw:[0-9]+$/ { s += $0 } END { print s + 0 }')
    delivered=$(jq -r '.delivered // "?"' "$TMP/gen.json" 2>/dev/null || echo "?")
    cold=$(find "$TMP/cold" -type f | wc -l) # the first after worker.cold_flush_s (60 s)
    row "peak RSS, 2 workers in the console at $EPS eps" "$(jq -r '.vmhwm_kb / 1024 | . * 10 | round / 10' "$OUT/rss.json") MiB" "-" \
        "$records records committed of $delivered produced, $cold cold files; $(jq -r '.cpu_pct' "$OUT/rss.json") % CPU over $RSS_S s"
fi

printf '\nconsole benchmarks: %s, %d cores, load %s\n' "$(date -u +%FT%TZ)" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "${FRAMES:-}" ]; then
    printf '%-8s %-10s %9s %9s %7s %8s\n' size frame cpu_us wall_us drawn bytes
    awk '{ printf "%-8s %-10s %9.1f %9.1f %7.1f %8.0f\n", $1, $2, $3, $4, $5, $6 }' <<<"$FRAMES"
    echo "(medians of $REPS repetitions; target: a full frame at 200x60 <= 2000 us; cpu_us is the frame's own CPU (wall_us also holds"
    echo " what neighbours took of the core); drawn = widgets redrawn per frame; bytes = terminal output per frame)"
    echo
fi
if [ ${#ROWS[@]} -gt 0 ]; then
    printf '%-46s %12s  %-14s %s\n' measurement value target details
    printf '%s\n' "${ROWS[@]}"
fi
echo "(details in $OUT)"
