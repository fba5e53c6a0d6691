#!/usr/bin/env bash
# Runs every cargo-fuzz target for a bounded time (default 60 s each) and
# prints the executions each managed. Not part of CI: needs a nightly
# toolchain and `cargo install cargo-fuzz`.
#   scripts/fuzz.sh            # every target, 60 s each
#   FUZZ_SECONDS=300 scripts/fuzz.sh gate query
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
cd fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
    mapfile -t targets < <(cargo +nightly fuzz list)
fi
# Builds go to fuzz/target (separate from the workspace's; sanitizer flags differ).
unset CARGO_TARGET_DIR
for target in "${targets[@]}"; do
    mkdir -p "corpus/$target"
    log="target/fuzz-$target.log"
    mkdir -p target
    cargo +nightly fuzz run -O "$target" "corpus/$target" -- \
        -max_total_time="$seconds" -rss_limit_mb=2048 -max_len=8192 2>"$log" || {
        echo "$target: FAILED (see fuzz/$log and fuzz/artifacts/$target)"; exit 1; }
    execs=$(grep -o 'Done [0-9]* runs' "$log" | grep -o '[0-9]*' || echo "?")
    echo "$target: ${seconds}s, ${execs} executions, no crash"
done
