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
rm -f "${TMPDIR:-/tmp}/matchday-metrics.prom" # the component tests write a fresh one
if cargo nextest --version >/dev/null 2>&1; then
    cargo nextest run --cargo-profile native --no-fail-fast
else
    cargo test --profile native --no-fail-fast
fi

log "deploy assets: alert rules, dashboard JSON, the captured /metrics exposition"
if command -v promtool >/dev/null; then
    promtool check rules deploy/prometheus/matchday-alerts.yml
    promtool test rules deploy/prometheus/matchday-alerts.test.yml
    promtool check config deploy/prometheus/prometheus.yml
    # Written by the component tests (tests/tests/components/observe.rs) from a live /metrics.
    capture="${TMPDIR:-/tmp}/matchday-metrics.prom"
    [ -s "$capture" ] || { echo "no /metrics capture at $capture: did the component tests run?" >&2; exit 1; }
    promtool check metrics < "$capture"
elif [ -n "${MATCHDAY_REQUIRE_PROMTOOL:-}" ]; then
    echo "promtool is required (apt-get install prometheus)" >&2
    exit 1
else
    echo "promtool not installed: skipping the rule and exposition checks" >&2
fi
# JSON validity and metric names are also checked by tests/tests/components/deploy_assets.rs.
if command -v python3 >/dev/null; then
    for f in deploy/grafana/*.json; do python3 -m json.tool "$f" >/dev/null; done
fi
