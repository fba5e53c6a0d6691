#!/usr/bin/env bash
# What the registry's size costs the requests that describe a model
# (`GET /healthcheck/`, `GET /predict/model/info`), on 127.0.0.1 only.
# One local host, the published data and the work model as champion, then
# VERSIONS more versions registered through the admin API (the same ONNX
# file under cards with other run ids). Each round measures both endpoints
# with the champion's own entry key (`model/v/<n>/entry`, what requests
# read) and without it (deleted from the host's SQLite store: the fallback
# to the whole index, which is what every request did before entries had
# their own key), in that order, then puts the key back.
#
#   scripts/bench_registry.sh                      # 1000 versions, 2 rounds × 5 s
#   VERSIONS=0 scripts/bench_registry.sh           # the same with a small index
#
# Needs `scripts/up.sh` to have run once (data/work artifacts, built binaries).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

VERSIONS=${VERSIONS:-1000}
ROUNDS=${ROUNDS:-2}
DURATION=${DURATION:-5s}
CONNECTIONS=${CONNECTIONS:-16}
PORT=${BENCH_PORT:-3996}
DATA=${MATCHDAY_DATA:-data}
bench_preflight "$DATA"

WORK=$(mktemp -d)
HOST_PID=
trap 'kill ${HOST_PID:-} 2>/dev/null || true; rm -rf "$WORK"' EXIT
bench_env
export MATCHDAY_DATA=$DATA
APP="http://127.0.0.1:$PORT"

"$HOST_BIN" --listen "127.0.0.1:$PORT" --state-dir "$WORK/state" >"$WORK/host.log" 2>&1 &
HOST_PID=$!
for _ in $(seq 1 1200); do # 2 minutes: a cold start compiles every component
    curl -fsS --max-time 2 "$APP/.well-known/spin/health" >/dev/null 2>&1 && break
    kill -0 $HOST_PID 2>/dev/null || { echo "the host exited" >&2; cat "$WORK/host.log" >&2; exit 1; }
    sleep 0.1
done
curl -fsS --max-time 2 "$APP/.well-known/spin/health" >/dev/null 2>&1 ||
    { echo "the host is not healthy after 2 minutes" >&2; cat "$WORK/host.log" >&2; exit 1; }
"$SIDECAR_BIN" publish --app "$APP" >/dev/null
CHAMPION=$(curl -fsS -H "$BENCH_KEY_HEADER" "$APP/predict/model/info" | grep -o '"version":"[0-9]*"' | head -1 | grep -o '[0-9]*') ||
    { echo "no champion after publishing (GET /predict/model/info failed or named no version)" >&2; exit 1; }

# Registers VERSIONS copies of the work model, each under its own run id.
python3 - "$APP" "$VERSIONS" "$DATA/work" <<'PY'
import io, json, sys, tarfile, time, urllib.request
app, n, work = sys.argv[1], int(sys.argv[2]), sys.argv[3]
onnx = open(f"{work}/model.onnx", "rb").read()
card = json.load(open(f"{work}/model_card.json"))
started = time.time()
for i in range(n):
    card["run_id"] = f"run-registry-bench-{i:05d}"
    body = io.BytesIO()
    with tarfile.open(fileobj=body, mode="w") as tar:
        for name, data in (("model.onnx", onnx), ("model_card.json", json.dumps(card).encode())):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    request = urllib.request.Request(
        f"{app}/admin/models?alias=none", data=body.getvalue(), method="POST",
        headers={"authorization": "Bearer bench-token", "content-type": "application/x-tar"})
    with urllib.request.urlopen(request) as reply:
        assert reply.status == 201, reply.status
print(f"registered {n} more versions in {time.time() - started:.1f} s")
PY

STORE="$WORK/state/sqlite_key_value.db"
ENTRY_KEY="model/v/$CHAMPION/entry"
# Moves the champion's entry key aside (`drop`) or back (`restore`).
entry() {
    python3 - "$STORE" "$ENTRY_KEY" "$WORK/entry" "$1" <<'PY'
import sqlite3, sys
store, key, saved, action = sys.argv[1:]
db = sqlite3.connect(store)
if action == "drop":
    row = db.execute("select store, value from spin_key_value where key = ?", (key,)).fetchone()
    if row is None:
        sys.exit(f"{key} is not in the store: this build does not write entry keys")
    open(saved + ".store", "w").write(row[0])
    open(saved + ".value", "wb").write(row[1])
    db.execute("delete from spin_key_value where key = ?", (key,))
else:
    db.execute("insert or replace into spin_key_value (store, key, value) values (?, ?, ?)",
               (open(saved + ".store").read(), key, open(saved + ".value", "rb").read()))
db.commit()
PY
}
INDEX_BYTES=$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute(\"select length(value) from spin_key_value where key = 'model/registry'\").fetchone()[0])" "$STORE")

run() { # $1 label, $2 path
    local out
    out=$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" -H "$BENCH_KEY_HEADER" -s scripts/bench/report.lua "$APP$2")
    printf '%-44s %s\n' "$1" "$(grep RESULT <<<"$out" | sed 's/RESULT //')"
    grep -q ' errors=0 ' <<<"$out" || echo "WARNING: $1 had failed or non-2xx responses" >&2
}

echo "== registry of $((VERSIONS + 1)) versions (index ${INDEX_BYTES} bytes), champion $CHAMPION @ $(git rev-parse --short HEAD)"
for round in $(seq 1 "$ROUNDS"); do
    run "GET /healthcheck/ (entry key)" "/healthcheck/"
    run "GET /predict/model/info (entry key)" "/predict/model/info"
    entry drop
    run "GET /healthcheck/ (whole index)" "/healthcheck/"
    run "GET /predict/model/info (whole index)" "/predict/model/info"
    entry restore
done
