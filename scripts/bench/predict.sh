#!/usr/bin/env bash
# Benchmarks the `predict` component on 127.0.0.1 with wrk: uncached
# GET /predict/{id} and POST /predict/ with real, per-request inference, on a
# reused instance (Spin 4's default) and on a fresh instance per request
# (--fresh-instance); with our pipeline's champion, each of its other
# candidates trained alone (`matchday train --candidate NAME`: the logit,
# the trees, their blend) and a 300-tree skl2onnx ensemble; then the
# prediction cache (a write on every miss, then hits).
#
# Load is bounded: a fixed number of connections (BENCH_CONNECTIONS, default
# "8 32"), 2 wrk threads, BENCH_DURATION (default 15s) per run, loopback only.
# Prints one markdown table row per run and keeps the raw wrk output under
# target/bench-predict/. The host shares the 2 cores with wrk.
#
# Environment: MATCHDAY_DATA (default ./data), MATCHDAY_DATA_DIR (football-data
# folder, default ../shared/data/football-data), BENCH_PORT (default 3400),
# BENCH_SKIP_BUILD=1 to use the binaries as built.
set -euo pipefail
source "$(dirname "$0")/../lib/common.sh"

DATA=${MATCHDAY_DATA:-data}
SOURCE=${MATCHDAY_DATA_DIR:-../shared/data/football-data}
PORT=${BENCH_PORT:-3400}
DURATION=${BENCH_DURATION:-15s}
CONNECTIONS=${BENCH_CONNECTIONS:-"8 32"}
OUT=$ROOT/target/bench-predict
URL=http://127.0.0.1:$PORT
export MATCHDAY_DATA=$DATA

ensure_toolchain
link_target_dir
if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
    build_native
    build_components
fi
command -v wrk >/dev/null || { echo "wrk is not installed" >&2; exit 1; }

mkdir -p "$OUT"
STATE=$(mktemp -d)
HOST_PID=
stop_host() {
    if [ -n "$HOST_PID" ]; then
        kill "$HOST_PID" 2>/dev/null || true
        wait "$HOST_PID" 2>/dev/null || true
        HOST_PID=
    fi
}
trap 'stop_host; rm -rf "$STATE"' EXIT INT TERM

bench_env

# start_host <cache ttl seconds> [host flags...]
start_host() {
    stop_host
    local ttl=$1
    shift
    SPIN_VARIABLE_PREDICTION_CACHE_TTL_SECONDS=$ttl \
        "$HOST_BIN" --listen "127.0.0.1:$PORT" --state-dir "$STATE" "$@" >>"$OUT/host.log" 2>&1 &
    HOST_PID=$!
    for _ in $(seq 1 600); do
        curl -fsS "$URL/.well-known/spin/health" >/dev/null 2>&1 && return 0
        kill -0 "$HOST_PID" 2>/dev/null || { echo "the host exited; see $OUT/host.log" >&2; exit 1; }
        sleep 0.2
    done
    echo "the host did not start" >&2
    exit 1
}

if [ ! -f "$DATA/matchday.db" ]; then
    log "importing $SOURCE (first run)"
    "$SIDECAR_BIN" ingest football-data "$SOURCE"
fi
# A model exported by an older sidecar would measure the old graph.
if [ ! -f "$DATA/work/predictions.parquet" ] || [ "$SIDECAR_BIN" -nt "$DATA/work/model.onnx" ]; then
    log "pipeline"
    "$SIDECAR_BIN" pipeline
fi

log "publishing data and models"
: >"$OUT/host.log"
start_host 0
"$SIDECAR_BIN" publish --app "$URL" >"$OUT/publish.log"
"$SIDECAR_BIN" registry publish --app "$URL" --alias none \
    --onnx tests/fixtures/byo_model/gbt_model.onnx --card tests/fixtures/byo_model/gbt_model_card.json >>"$OUT/publish.log"
# The registry versions in publish order: the champion first.
versions() { grep -o 'registered version [0-9]*' "$OUT/publish.log" | cut -d' ' -f3; }
TREES=$(versions | tail -1)
CHAMPION=$(versions | head -1)
# The candidate the pipeline chose, then every candidate of its selection
# (the card's list): each other one is trained alone and registered, so
# every candidate is measured whichever one won.
read -r CHOSEN CANDIDATES < <(python3 -c '
import json, sys
selection = json.load(open(sys.argv[1]))["selection"]
print(selection["chosen"], " ".join(c["name"] for c in selection["candidates"]))' "$DATA/work/model_card.json")
declare -A VERSION=(["$CHOSEN (champion)"]=$CHAMPION ["300 trees"]=$TREES)
MODELS=("$CHOSEN (champion)")
for candidate in $CANDIDATES; do
    [ "$candidate" = "$CHOSEN" ] && continue
    log "training the $candidate candidate alone"
    "$SIDECAR_BIN" train --candidate "$candidate" --out "$OUT/$candidate" >"$OUT/train-$candidate.log"
    "$SIDECAR_BIN" registry publish --app "$URL" --alias none \
        --onnx "$OUT/$candidate/model.onnx" --card "$OUT/$candidate/model_card.json" >>"$OUT/publish.log"
    VERSION[$candidate]=$(versions | tail -1)
    MODELS+=("$candidate")
done
MODELS+=("300 trees")

log "collecting match ids and request bodies"
python3 - "$URL" "$OUT" "$BENCH_KEY" <<'PY'
import json, random, sys, urllib.request
url, out, key = sys.argv[1], sys.argv[2], sys.argv[3]
get = lambda path: json.load(urllib.request.urlopen(urllib.request.Request(url + path, headers={"X-API-Key": key})))
ids = []
for offset in range(0, 20000, 5000):
    rows = get(f"/predict/predictions/?limit=5000&offset={offset}")
    ids += [r["match_id"] for r in rows]
open(f"{out}/ids.txt", "w").write("\n".join(map(str, ids)) + "\n")
# Random bodies over each model's own features (an unknown name is a 422).
def write_bodies(features, path):
    rng = random.Random(7)
    bodies = []
    for _ in range(2000):
        row = {}
        for f in features:
            if rng.random() < 0.1:
                row[f["name"]] = None
            else:
                row[f["name"]] = round(f["fill_value"] + rng.gauss(0, 1) * (abs(f["fill_value"]) + 0.5), 4)
        bodies.append(json.dumps({"match_id": None, "features": row}))
    open(path, "w").write("\n".join(bodies) + "\n")
    print(f"{len(bodies)} bodies over {len(features)} features → {path}")
write_bodies(get("/predict/model/info")["features"], f"{out}/bodies.txt")
write_bodies(json.load(open("tests/fixtures/byo_model/gbt_model_card.json"))["features"], f"{out}/bodies-trees.txt")
print(f"{len(ids)} ids")
PY

COMMIT=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- crates components || echo "+dirty")
echo
echo "commit $COMMIT, $(nproc) cores, wrk -t2, $DURATION per run"
echo
echo "| model | instance | endpoint | conns | req/s | p50 ms | p90 ms | p99 ms | kv ms | load ms | infer ms | model loads | cached |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"

# run <model label> <instance label> <mode> <connections> [duration] [warm-up]
run() {
    local model=$1 instance=$2 mode=$3 conns=$4 duration=${5:-$DURATION} warm=${6:-yes}
    local endpoint="GET /predict/{id}"
    [ "$mode" = post ] && endpoint="POST /predict/"
    [ "$mode" = seq ] && endpoint="GET /predict/{id}, ids in order"
    local bodies="$OUT/bodies.txt"
    [ "$model" = "300 trees" ] && bodies="$OUT/bodies-trees.txt"
    if [ "$warm" = yes ]; then
        # Instances created, models loaded, SQLite pages cached.
        MODE=$mode IDS="$OUT/ids.txt" BODIES="$bodies" \
            wrk -t2 -c"$conns" -d2s -H "$BENCH_KEY_HEADER" -s scripts/bench/predict.lua "$URL" >/dev/null
    fi
    local raw
    raw=$(MODE=$mode IDS="$OUT/ids.txt" BODIES="$bodies" \
        wrk -t2 -c"$conns" -d"$duration" --latency -H "$BENCH_KEY_HEADER" -s scripts/bench/predict.lua "$URL")
    printf '%s %s %s c%s\n%s\n\n' "$model" "$instance" "$mode" "$conns" "$raw" >>"$OUT/wrk.txt"
    local r
    r=$(grep '^RESULT' <<<"$raw")
    field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $r"; }
    echo "| $model | $instance | $endpoint | $conns | $(field req_per_s) | $(field p50_ms) | $(field p90_ms) | $(field p99_ms) | $(field kv_ms) | $(field load_ms) | $(field infer_ms) | $(field model_loads) | $(field cached) |"
    [ "$(field non200)" = 0 ] || echo "WARNING: $(field non200) non-200 responses" >&2
}

# champion <version>: move the champion alias (hot reload); the alias stays
# when the host restarts (same state directory).
champion() { "$SIDECAR_BIN" registry promote "$1" --to champion --force --app "$URL" >/dev/null 2>&1; }

: >"$OUT/wrk.txt"
for model in "${MODELS[@]}"; do
    for instance in reuse fresh; do
        flags=()
        [ "$instance" = fresh ] && flags=(--fresh-instance)
        start_host 0 "${flags[@]}"
        # The alias persists across restarts: set it once per model.
        if [ "$instance" = reuse ]; then champion "${VERSION[$model]}"; fi
        for conns in $CONNECTIONS; do
            run "$model" "$instance" get "$conns"
            run "$model" "$instance" post "$conns"
        done
    done
done

# The prediction cache: each id once (a miss and a cache write per request),
# then the same ids again (hits). No warm-up, so the first run misses.
start_host 3600
champion "$CHAMPION"
run "$CHOSEN (champion)" "reuse, cache on (misses)" seq 8 3s no
run "$CHOSEN (champion)" "reuse, cache on (hits)" seq 8 3s no
stop_host
echo
echo "raw wrk output: $OUT/wrk.txt; host log: $OUT/host.log"
