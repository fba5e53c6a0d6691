#!/usr/bin/env bash
# What request bookkeeping costs lookup, on vs off, served by two local
# hosts on 127.0.0.1 with the same published data and measured with wrk in
# interleaved rounds (A B A B ...) so both see the same machine noise:
# - COMPARE=metrics (default): the same lookup.wasm with recording on (the
#   default) and off (MATCHDAY_METRICS=off in its environment);
# - COMPARE=rate-limit: the rate limiter with a limit never reached
#   (every request is counted) and off (rate_limit_per_minute = 0).
# Prints req/s and p99 per run, then the medians and the on/off ratios.
#
#   scripts/bench_metrics.sh                  # 5 rounds × 10 s per side
#   COMPARE=rate-limit scripts/bench_metrics.sh
#   ROUNDS=3 DURATION=5s scripts/bench_metrics.sh
#
# Needs `scripts/up.sh` to have run once (data/work artifacts, built binaries).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

COMPARE=${COMPARE:-metrics}
case $COMPARE in metrics | rate-limit) ;; *) echo "COMPARE is metrics or rate-limit" >&2; exit 2 ;; esac
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-10s}
CONNECTIONS=${CONNECTIONS:-32}
PORT_ON=${PORT_ON:-3997}
PORT_OFF=${PORT_OFF:-3998}
DATA=${MATCHDAY_DATA:-data}
# Overrides, e.g. to measure copies while another build rewrites target/.
WASM_DIR=${MATCHDAY_WASM_DIR:-$ROOT/target/wasm32-wasip2/release}
HOST_BIN=${BENCH_HOST_BIN:-$HOST_BIN}
SIDECAR_BIN=${BENCH_SIDECAR_BIN:-$SIDECAR_BIN}
bench_preflight "$DATA"

WORK=$(mktemp -d)
PIDS=()
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"' EXIT
bench_env
export MATCHDAY_DATA=$DATA

# Same manifest, absolute sources; the "off" one turns recording off in lookup.
manifest() { # $1 dir, $2 on|off
    mkdir -p "$1"
    sed "s#source = \"target/wasm32-wasip2/release/#source = \"$WASM_DIR/#" spin.toml > "$1/spin.toml"
    if [ "$COMPARE" = metrics ] && [ "$2" = off ]; then
        sed -i '/^\[component.lookup\]$/a environment = { MATCHDAY_METRICS = "off" }' "$1/spin.toml"
    fi
}

start() { # $1 dir, $2 port, $3 the side's rate limit per minute
    SPIN_VARIABLE_RATE_LIMIT_PER_MINUTE=$3 "$HOST_BIN" --manifest "$1/spin.toml" --listen "127.0.0.1:$2" --state-dir "$1/state" >"$1/host.log" 2>&1 &
    PIDS+=($!)
    until curl -fsS "http://127.0.0.1:$2/.well-known/spin/health" >/dev/null 2>&1; do sleep 0.05; done
    "$SIDECAR_BIN" publish --app "http://127.0.0.1:$2" >/dev/null
}

manifest "$WORK/on" on
manifest "$WORK/off" off
# The metrics comparison runs both sides under one limit never reached; the
# rate-limit one turns it off on the "off" side.
NEVER_REACHED=1000000000
start "$WORK/on" "$PORT_ON" "$NEVER_REACHED"
start "$WORK/off" "$PORT_OFF" "$([ "$COMPARE" = rate-limit ] && echo 0 || echo "$NEVER_REACHED")"

curl -fsS -H "$BENCH_KEY_HEADER" "http://127.0.0.1:$PORT_ON/predict/predictions/?limit=5000" | grep -o '"match_id":[0-9]*' | cut -d: -f2 > "$WORK/ids.txt"
export BENCH_IDS="$WORK/ids.txt"
cat scripts/bench/random_ids.lua scripts/bench/report.lua > "$WORK/ids.lua"

run() { # $1 label, $2 port → "rps p99_ms"
    local out
    out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -H "$BENCH_KEY_HEADER" -s "$WORK/ids.lua" "http://127.0.0.1:$2/" | grep RESULT)
    local rps p99
    rps=$(sed 's/.*rps=\([0-9.]*\).*/\1/' <<<"$out")
    p99=$(sed 's/.*p99_ms=\([0-9.]*\).*/\1/' <<<"$out")
    printf '%-4s %s\n' "$1" "$out" >&2
    echo "$rps $p99"
}

# Warm both (compile cache, instances, page cache) before measuring.
DURATION=3s run warm "$PORT_ON" >/dev/null
DURATION=3s run warm "$PORT_OFF" >/dev/null
: > "$WORK/on.txt"; : > "$WORK/off.txt"
for round in $(seq 1 "$ROUNDS"); do
    # Alternate which side goes first, so neither always runs on a warmer machine.
    if [ $((round % 2)) -eq 1 ]; then
        run on "$PORT_ON" >> "$WORK/on.txt"; run off "$PORT_OFF" >> "$WORK/off.txt"
    else
        run off "$PORT_OFF" >> "$WORK/off.txt"; run on "$PORT_ON" >> "$WORK/on.txt"
    fi
done

median() { sort -n | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
on_rps=$(cut -d' ' -f1 "$WORK/on.txt" | median); off_rps=$(cut -d' ' -f1 "$WORK/off.txt" | median)
on_p99=$(cut -d' ' -f2 "$WORK/on.txt" | median); off_p99=$(cut -d' ' -f2 "$WORK/off.txt" | median)
echo "== GET /predict/precomputed/{random}, ${ROUNDS} interleaved rounds × $DURATION, $CONNECTIONS connections @ $(git rev-parse --short HEAD), $(nproc) cores"
printf '%s on : median %s req/s, p99 %s ms\n' "$COMPARE" "$on_rps" "$on_p99"
printf '%s off: median %s req/s, p99 %s ms\n' "$COMPARE" "$off_rps" "$off_p99"
awk -v a="$on_rps" -v b="$off_rps" -v c="$on_p99" -v d="$off_p99" \
    'BEGIN { printf "on/off: throughput %.3f (%+.1f%%), p99 %.3f (%+.1f%%)\n", a/b, (a/b-1)*100, c/d, (c/d-1)*100 }'
flushes=$(curl -fsS "http://127.0.0.1:$PORT_ON/metrics" | awk '/^matchday_metrics_flushes_total\{component="lookup"\}/ {print $2}')
counted=$(curl -fsS "http://127.0.0.1:$PORT_ON/metrics" | awk '/^matchday_http_requests_total\{component="lookup"/ {s+=$2} END {print s}')
echo "on side: lookup requests counted $counted, metric flushes $flushes"
