#!/usr/bin/env bash
# Rows/s and peak RSS of `ebapctl sql` writing ROWS rows as CSV, from the Trino test peer
# (tests/tools/trino_peer_main.cpp: synthetic pages of 10000 rows, sent uncompressed) and
# from a throw-away PostgreSQL, against `psql -c "COPY (…) TO STDOUT CSV"` on the same
# table as the reference, in the same run. Targets: >= 0.5x psql's rows/s, RSS <= 64 MB.
#   bench/sql_bench.sh [BUILD_DIR]     (default: build; needs the ebapctl and trino-peer targets)
#   env: ROWS (1000000) ROUNDS (3: each run repeated, the best wall time kept)
# Exit 1 when a run fails, its row count is wrong, or a target is missed.
set -euo pipefail
cd "$(dirname "$0")/.."
BENCH_TMP_PREFIX=ebap-sql-bench
source bench/lib.sh
chmod 755 "$TMP"

BUILD=${1:-build}
ROWS=${ROWS:-1000000}
ROUNDS=${ROUNDS:-3}
EBAPCTL=$BUILD/ebapctl
PEER=$BUILD/tests/trino-peer
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1)
die() { echo "sql_bench: $*" >&2; exit 1; }
[ -x "$EBAPCTL" ] || die "$EBAPCTL missing (cmake --build $BUILD --target ebapctl)"
[ -x "$PEER" ] || die "$PEER missing (cmake --build $BUILD --target trino-peer)"
[ -n "$PGBIN" ] || die "no /usr/lib/postgresql/*/bin"

as_pg=()
[ "$(id -u)" -eq 0 ] && as_pg=(runuser -u postgres --)
PGDATA=$TMP/pg
mkdir -p "$PGDATA"
[ "$(id -u)" -eq 0 ] && chown postgres "$PGDATA"
PGPORT=$(free_port)
"${as_pg[@]}" "$PGBIN/initdb" -D "$PGDATA" -A trust -U postgres >/dev/null
"${as_pg[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/log" -w \
    -o "-p $PGPORT -k $PGDATA -c listen_addresses=127.0.0.1" start >/dev/null
PG_STOP=("${as_pg[@]}" "$PGBIN/pg_ctl" -D "$PGDATA" -m immediate stop)
trap '"${PG_STOP[@]}" >/dev/null 2>&1 || true; cleanup' EXIT
export PGHOST=127.0.0.1 PGPORT PGUSER=postgres PGDATABASE=postgres
unset PGPASSWORD EBAPCTL_CONFIG TRINO_URL TRINO_USER TRINO_PASSWORD PAGER
# The peer's row shape: bigint, varchar, double, boolean, a varchar NULL every 7th row.
psql -qAt -c "CREATE TABLE bench AS SELECT g::bigint AS id, 'user-' || g AS name,
    (g % 1000) + 0.25::float8 AS score, g % 2 = 1 AS flag,
    CASE WHEN g % 7 = 0 THEN NULL ELSE 'n' || (g % 100) END AS note
    FROM generate_series(0, $ROWS - 1) g" >/dev/null
psql -qAt -c "VACUUM ANALYZE bench" >/dev/null

"$PEER" "$ROWS" 10000 $((ROUNDS + 1)) >"$TMP/peer.url" &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$TMP/peer.url" ] && break; sleep 0.05; done
printf '[trino]\nurl = "%s"\nuser = "bench"\n[paths]\nstate_dir = "%s"\n' \
    "$(cat "$TMP/peer.url")" "$TMP/state" >"$TMP/ebapctl.toml"

# best wall seconds and the peak RSS (MB) of that run, and its rows
measure() {
    local name=$1; shift
    local best="" rss="" lines
    for _ in $(seq "$ROUNDS"); do
        /usr/bin/time -f "%e %M" -o "$TMP/time" "$@" >"$TMP/out.csv" 2>"$TMP/err" ||
            die "$name failed: $(tail -n3 "$TMP/err")"
        read -r secs kb <"$TMP/time"
        if [ -z "$best" ] || awk "BEGIN{exit !($secs < $best)}"; then best=$secs; rss=$((kb / 1024)); fi
    done
    lines=$(wc -l <"$TMP/out.csv")
    [ "$lines" -eq "$ROWS" ] || die "$name wrote $lines rows, not $ROWS"
    echo "$name $best $rss"
}

results=()
results+=("$(measure psql-copy psql -qAt -c "COPY (SELECT * FROM bench) TO STDOUT CSV")")
results+=("$(measure ebapctl-postgres "$EBAPCTL" sql --engine postgres -e "SELECT * FROM bench" --format csv --no-progress)")
results+=("$(measure ebapctl-trino-peer "$EBAPCTL" --config "$TMP/ebapctl.toml" sql -e "SELECT * FROM bench" --format csv --no-progress)")

read -r _ ref_s _ <<<"${results[0]}"
status=0
printf '%-20s %10s %8s %12s %10s %8s\n' run rows seconds rows/s "x psql" "RSS MB"
for line in "${results[@]}"; do
    read -r name secs rss <<<"$line"
    rate=$(awk "BEGIN{printf \"%.0f\", $ROWS / $secs}")
    ratio=$(awk "BEGIN{printf \"%.2f\", $ref_s / $secs}")
    printf '%-20s %10s %8s %12s %10s %8s\n' "$name" "$ROWS" "$secs" "$rate" "$ratio" "$rss"
    if [ "$name" != psql-copy ]; then
        awk "BEGIN{exit !($ratio >= 0.5)}" || { echo "sql_bench: $name below 0.5x psql" >&2; status=1; }
        [ "$rss" -le 64 ] || { echo "sql_bench: $name peak RSS $rss MB > 64 MB" >&2; status=1; }
    fi
done
exit $status
