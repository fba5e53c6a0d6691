#!/usr/bin/env bash
# Load benchmark of the running app's endpoints on 127.0.0.1 only, bounded
# (wrk, 2 threads, 32 connections, 10 s per endpoint by default), for both
# host modes: instance reuse (Spin 4's default for wasi:http 0.3) and
# --fresh-instance. Prints req/s, p50, p99 per endpoint, the host's cold
# start and its RSS. Uses the artifacts of `scripts/up.sh` (data/work/).
#
#   scripts/bench.sh               # every endpoint group, both modes
#   DURATION=5s CONNECTIONS=16 scripts/bench.sh
#
# Benchmarks are comparisons within one run on a noisy 2-core machine: read
# ratios, not absolutes.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
PORT=${BENCH_PORT:-3999}
DATA=${MATCHDAY_DATA:-data}
bench_preflight "$DATA"

WORK=$(mktemp -d)
HOST_PID=
trap 'kill ${HOST_PID:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT
bench_env
export MATCHDAY_DATA=$DATA

start_host() { # $1: extra host flags
    local t0; t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    "$HOST_BIN" --listen "127.0.0.1:$PORT" --state-dir "$WORK/state" $1 >"$WORK/host.log" 2>&1 &
    HOST_PID=$!
    until curl -fsS --max-time 2 "http://127.0.0.1:$PORT/.well-known/spin/health" >/dev/null 2>&1; do
        kill -0 $HOST_PID 2>/dev/null || { echo "the host exited" >&2; cat "$WORK/host.log" >&2; exit 1; }
        sleep 0.05
    done
    local t1; t1=$(date +%s.%N)
    curl -fsS -o /dev/null -H "$BENCH_KEY_HEADER" "http://127.0.0.1:$PORT/predict/matches/"
    local t2; t2=$(date +%s.%N)
    printf 'cold start: %.2fs to listening, first request %.1fms\n' "$(echo "$t1 - $t0" | bc)" "$(echo "($t2 - $t1) * 1000" | bc)"
}

rss() { printf '%s MB' "$(( $(ps -o rss= -p "$HOST_PID") / 1024 ))"; }

run() { # $1 label, $2 path, $3 lua request generator (default: wrk's own, plus the report hook)
    local script=${3:-scripts/bench/report.lua}
    local out
    out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -H "$BENCH_KEY_HEADER" -s "$script" "http://127.0.0.1:$PORT$2")
    printf '%-40s %s rss=%s\n' "$1" "$(grep RESULT <<<"$out" | sed 's/RESULT //')" "$(rss)"
    grep -q ' errors=0 ' <<<"$out" || echo "WARNING: $1 had failed or non-2xx responses" >&2
}

# The lua request generators need the report hook too.
cat scripts/bench/random_ids.lua scripts/bench/report.lua > "$WORK/ids.lua"
cat scripts/bench/random_page.lua scripts/bench/report.lua > "$WORK/page.lua"
sed 's#/predict/precomputed/#/predict/#' scripts/bench/random_ids.lua | cat - scripts/bench/report.lua > "$WORK/predict_ids.lua"

for mode in "" "--fresh-instance"; do
    echo "== host ${mode:-(instance reuse)} @ $(git rev-parse --short HEAD)"
    start_host "$mode"
    "$SIDECAR_BIN" publish --app "http://127.0.0.1:$PORT" >/dev/null
    BENCH_ROWS=$(curl -fsS "http://127.0.0.1:$PORT/admin/versions" -H "authorization: Bearer bench-token" | grep -o '"predictions":[0-9]*' | head -1 | cut -d: -f2)
    : > "$WORK/ids.txt"
    for offset in $(seq 0 5000 "$BENCH_ROWS"); do
        curl -fsS -H "$BENCH_KEY_HEADER" "http://127.0.0.1:$PORT/predict/predictions/?limit=5000&offset=$offset" | grep -o '"match_id":[0-9]*' | cut -d: -f2 >> "$WORK/ids.txt"
    done
    export BENCH_IDS="$WORK/ids.txt" BENCH_ROWS
    run "GET /predict/precomputed/{random}" "/" "$WORK/ids.lua"
    run "GET /predict/predictions/?limit=100" "/" "$WORK/page.lua"
    run "GET /predict/matches/" "/predict/matches/"
    run "GET /predict/{random} (tract; a miss writes)" "/" "$WORK/predict_ids.lua"
    run "GET /predict/odds/?limit=100" "/predict/odds/?limit=100"
    run "GET /predict/cards/?league=E0&limit=20" "/predict/cards/?league=E0&limit=20"
    run "GET /predict/region-roi/" "/predict/region-roi/"
    run "GET /healthcheck/" "/healthcheck/"
    run "GET /metrics" "/metrics"
    if [ -z "$mode" ]; then
        # The rate limiter's cost on the lookup endpoint: the same endpoint
        # with the limit off (no KV counter at all) and on (a limit never
        # reached, so every request is counted and synced every
        # rate_limit_sync_every requests), on the same host.
        for limit in 0 1000000000; do
            kill $HOST_PID; wait $HOST_PID 2>/dev/null || true
            SPIN_VARIABLE_RATE_LIMIT_PER_MINUTE=$limit start_host "$mode" >/dev/null
            run "GET /predict/matches/ (rate limit ${limit/#0/off})" "/predict/matches/"
        done
    fi
    kill $HOST_PID; wait $HOST_PID 2>/dev/null || true
    rm -rf "$WORK/state"
done
