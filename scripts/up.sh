#!/usr/bin/env bash
# Builds everything, imports the real data on first run, trains, predicts,
# publishes into the app's key-value store and serves the app on
# http://127.0.0.1:3000 (Ctrl-C stops it).
#
# Environment: MATCHDAY_DATA (data dir, default ./data), MATCHDAY_DATA_DIR
# (football-data folder, default ../shared/data/football-data),
# MATCHDAY_AS_OF (default 2023-04-01), MATCHDAY_LISTEN (default
# 127.0.0.1:3000), MATCHDAY_ADMIN_TOKEN (default: generated once into
# .spin/admin-token), MATCHDAY_API_KEY (X-API-Key for /predict/*,
# /livescores/* and /monitoring/*, default: generated once into
# .spin/api-key), HOST_FLAGS (e.g. --fresh-instance).
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

ensure_toolchain
link_target_dir
build_native
build_components

DATA=${MATCHDAY_DATA:-data}
SOURCE=${MATCHDAY_DATA_DIR:-../shared/data/football-data}
LISTEN=${MATCHDAY_LISTEN:-127.0.0.1:3000}
export MATCHDAY_DATA=$DATA

if [ ! -f "$DATA/matchday.db" ]; then
    [ -d "$SOURCE" ] || { echo "no data at $SOURCE: set MATCHDAY_DATA_DIR to a football-data folder" >&2; exit 1; }
    log "importing $SOURCE (first run)"
    "$SIDECAR_BIN" ingest football-data "$SOURCE"
fi
log "training and batch predictions (as of ${MATCHDAY_AS_OF:-2023-04-01})"
"$SIDECAR_BIN" pipeline --as-of "${MATCHDAY_AS_OF:-2023-04-01}"

mkdir -p .spin
if [ -z "${MATCHDAY_ADMIN_TOKEN:-}" ]; then
    [ -s .spin/admin-token ] || (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > .spin/admin-token)
    MATCHDAY_ADMIN_TOKEN=$(cat .spin/admin-token)
fi
export MATCHDAY_ADMIN_TOKEN
export SPIN_VARIABLE_ADMIN_TOKEN=$MATCHDAY_ADMIN_TOKEN
# The data routes need X-API-Key (the gateway): one key, generated once.
# The printed examples name where the key is, never the key itself.
# shellcheck disable=SC2016
SHOWN_K='X-API-Key: $MATCHDAY_API_KEY'
if [ -z "${MATCHDAY_API_KEY:-}" ]; then
    [ -s .spin/api-key ] || (umask 077; head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' > .spin/api-key)
    MATCHDAY_API_KEY=$(cat .spin/api-key)
    # shellcheck disable=SC2016
    SHOWN_K='X-API-Key: $(cat .spin/api-key)'
fi
export SPIN_VARIABLE_API_KEYS=$MATCHDAY_API_KEY
K="X-API-Key: $MATCHDAY_API_KEY"

log "starting the app on http://$LISTEN"
# shellcheck disable=SC2086
"$HOST_BIN" --listen "$LISTEN" ${HOST_FLAGS:-} &
HOST_PID=$!
trap 'kill $HOST_PID 2>/dev/null; wait $HOST_PID 2>/dev/null' EXIT INT TERM
for _ in $(seq 1 600); do
    curl -fsS "http://$LISTEN/.well-known/spin/health" >/dev/null 2>&1 && break
    kill -0 $HOST_PID 2>/dev/null || { echo "the host exited" >&2; exit 1; }
    sleep 0.2
done

log "publishing the artifacts"
"$SIDECAR_BIN" publish --app "http://$LISTEN"
# (|| true: head closing the pipe early is not a failure)
ID=$(curl -fsS -H "$K" "http://$LISTEN/predict/matches/" | grep -o '"match_id":[0-9]*' | head -1 | cut -d: -f2 || true)
cat <<TXT

Matchday is serving on http://$LISTEN  (admin token in .spin/admin-token, API key in .spin/api-key)
  curl -H "$SHOWN_K" http://$LISTEN/predict/matches/
  curl -H "$SHOWN_K" http://$LISTEN/predict/precomputed/${ID:-<match_id>}
  curl -H "$SHOWN_K" 'http://$LISTEN/predict/predictions/?future_only=true&limit=5'
  curl -H "$SHOWN_K" 'http://$LISTEN/livescores/?year=2023&month=3&limit=5'
  curl http://$LISTEN/healthcheck/
  curl http://$LISTEN/metrics
  curl -H "$SHOWN_K" http://$LISTEN/monitoring/components
Ctrl-C stops it.
TXT
wait $HOST_PID
