#!/usr/bin/env bash
# Runs every fuzz target for a while: the query decoder, the SigV4 parser
# and verifier, and the policy engine (parse, validate, compile, evaluate).
#
#   scripts/fuzz.sh [SECONDS_PER_TARGET]     (default 60)
#
# Needs cargo-fuzz (installed from crates.io when missing). libFuzzer's
# instrumentation needs nightly compiler flags; RUSTC_BOOTSTRAP lets the
# stable toolchain accept them. Corpora and crash artifacts stay in fuzz/
# (ignored by git). Exits non-zero if any target finds a crash.
set -euo pipefail
cd "$(dirname "$0")/../fuzz"
SECONDS_PER_TARGET=${1:-60}
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
export RUSTC_BOOTSTRAP=1
for target in query_decode sigv4_parse policy; do
  echo "==> fuzzing $target for ${SECONDS_PER_TARGET}s"
  cargo fuzz run -O "$target" -- -max_total_time="$SECONDS_PER_TARGET" -rss_limit_mb=4096 2>&1 \
    | grep -E "^(#[0-9]+.*(DONE|pulse)|Done|==[0-9]+==|SUMMARY|artifact)" || true
  # cargo fuzz exits non-zero on a crash; pipefail would hide it behind grep, so check artifacts.
  if compgen -G "artifacts/$target/crash-*" >/dev/null; then
    echo "crash found for $target: see fuzz/artifacts/$target" >&2
    exit 1
  fi
done
echo "no crashes"
