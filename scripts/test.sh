#!/usr/bin/env bash
# Runs every check and test: formatting, lints, the Wasm components and the
# native crates' unit tests, and the component tests that serve the real
# spin.toml on the local host with real data from ../shared/data.
set -euo pipefail
source "$(dirname "$0")/lib/common.sh"

ensure_toolchain
link_target_dir

log "cargo fmt --check"
cargo fmt --all --check

build_components -p host-probe

log "clippy (native crates and components)"
cargo clippy --profile native --all-targets -- -D warnings
# shellcheck disable=SC2046
cargo clippy --target wasm32-wasip2 --release $(component_packages) -- -D warnings

log "tests (native profile)"
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --cargo-profile native --no-fail-fast
else
    cargo test --profile native --no-fail-fast
fi
