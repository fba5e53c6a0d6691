# Shared by the scripts: repository root, toolchain set-up, build helpers.
# shellcheck shell=bash

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$ROOT"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# The Wasm target Spin components are built for (idempotent, offline if present).
ensure_toolchain() {
    if ! rustup target list --installed 2>/dev/null | grep -qx wasm32-wasip2; then
        log "installing the wasm32-wasip2 target"
        rustup target add wasm32-wasip2
    fi
}

# spin.toml names components by `target/wasm32-wasip2/release/<crate>.wasm`.
# When builds go to a CARGO_TARGET_DIR outside the clone (a CI cache), link
# `target` to it so the manifest stays true for both local host and `spin up`.
link_target_dir() {
    if [ -n "${CARGO_TARGET_DIR:-}" ] && [ "$(realpath -m "$CARGO_TARGET_DIR")" != "$ROOT/target" ]; then
        mkdir -p "$CARGO_TARGET_DIR"
        if [ ! -e target ]; then
            ln -s "$CARGO_TARGET_DIR" target
        elif [ "$(realpath target)" != "$(realpath "$CARGO_TARGET_DIR")" ]; then
            echo "target/ exists and is not CARGO_TARGET_DIR ($CARGO_TARGET_DIR); remove it or unset CARGO_TARGET_DIR" >&2
            exit 1
        fi
    fi
    claim_target_dir
}

# Every package of this workspace (components, crates, tests).
workspace_packages() {
    cargo metadata --no-deps --format-version 1 |
        grep -o '"name":"[^"]*","version":"[^"]*","id"' |
        sed 's/"name":"\([^"]*\)".*/-p \1/'
}

# A build directory shared by two checkouts (a working copy and a CI clone
# using the same cache) hands one the other's workspace artifacts: cargo
# judges them by the mtimes of sources at relative paths, so a binary built
# later in the other checkout looks fresh here even if the sources differ,
# and it carries the other checkout's absolute paths (tests locate fixtures
# and components with env!("CARGO_MANIFEST_DIR")). So when the checkout using
# the directory changes, this workspace's own crates are rebuilt; the
# dependencies, nearly all of the build time, stay cached.
claim_target_dir() {
    local dir=${CARGO_TARGET_DIR:-$ROOT/target}
    local marker="$dir/.matchday-checkout"
    local last
    last=$(cat "$marker" 2>/dev/null || echo "an unrecorded checkout")
    if [ "$last" != "$ROOT" ]; then
        if [ -d "$dir/native" ] || [ -d "$dir/wasm32-wasip2" ]; then
            log "$dir was last built from $last: rebuilding this workspace's own crates"
            local packages
            packages=$(workspace_packages)
            # shellcheck disable=SC2086
            cargo clean --quiet --profile native $packages
            # shellcheck disable=SC2086
            cargo clean --quiet --target wasm32-wasip2 --release $packages
        fi
        mkdir -p "$dir"
        echo "$ROOT" >"$marker"
    fi
}

# Every component crate under components/ (the ones spin.toml serves).
component_packages() {
    for manifest in components/*/Cargo.toml; do
        printf -- '-p %s ' "$(sed -n 's/^name = "\(.*\)"/\1/p' "$manifest" | head -1)"
    done
}

build_components() {
    log "building the Wasm components (release, wasm32-wasip2)"
    # shellcheck disable=SC2046
    cargo build --target wasm32-wasip2 --release $(component_packages) "$@"
}

build_native() {
    log "building the host and the sidecar (native profile)"
    cargo build --profile native -p matchday-host -p matchday-sidecar
}

HOST_BIN="$ROOT/target/native/matchday-host"
SIDECAR_BIN="$ROOT/target/native/matchday"

# What every load benchmark needs before it starts: wrk, the artifacts of
# scripts/up.sh in the data directory $1, and the built binaries.
bench_preflight() {
    command -v wrk >/dev/null || { echo "wrk is needed (apt-get install wrk)" >&2; exit 1; }
    [ -f "$1/work/predictions.parquet" ] && [ -f "$1/work/model.onnx" ] ||
        { echo "run scripts/up.sh once first (it produces $1/work)" >&2; exit 1; }
    [ -x "$HOST_BIN" ] && [ -x "$SIDECAR_BIN" ] || { echo "build first: scripts/up.sh" >&2; exit 1; }
}

# The benchmarks' credentials and limits. Every data route needs an API key
# (wrk sends BENCH_KEY_HEADER); the rate limits stay on but far above what
# two cores can serve, so a run measures the limiter's counting, not 429s.
bench_env() {
    export MATCHDAY_ADMIN_TOKEN=bench-token SPIN_VARIABLE_ADMIN_TOKEN=bench-token
    export SPIN_VARIABLE_API_KEYS=bench-key
    export SPIN_VARIABLE_RATE_LIMIT_PER_MINUTE=${SPIN_VARIABLE_RATE_LIMIT_PER_MINUTE:-1000000000}
    export SPIN_VARIABLE_RATE_LIMIT_OPEN_PER_MINUTE=1000000000
    BENCH_KEY=bench-key
    BENCH_KEY_HEADER="X-API-Key: $BENCH_KEY"
}
