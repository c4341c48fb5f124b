#!/usr/bin/env bash
# Runs every test of Tessera, from a fresh machine:
#   1. formatting, lints and docs (cargo fmt --check, cargo clippy -D warnings,
#      cargo doc with warnings denied);
#   2. a Python venv (.venv) with the pinned aws CLI, boto3 and pytest;
#   3. a throwaway PostgreSQL cluster from the machine's PostgreSQL binaries,
#      unless TESSERA_TEST_POSTGRES_URL is already set;
#   4. cargo test for the whole workspace (unit, conformance on both stores,
#      the AWS SDK for Rust end to end against the real binary);
#   5. pytest: boto3 and the aws CLI against the real binary.
# Any missing prerequisite is an error, never a skip. The Python tests run
# even when a Rust test failed; the run fails if either did.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
WORK="$ROOT/.test-work"
mkdir -p "$WORK"

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'scripts/test.sh: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo is not installed"
command -v python3 >/dev/null || die "python3 is not installed"
command -v psql >/dev/null || die "psql is not installed (Debian: apt-get install postgresql-client)"

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy --all-targets -D warnings"
cargo clippy --workspace --all-targets -- -D warnings

step "cargo doc (warnings are errors; about a minute on a first run)"
RUSTDOCFLAGS="-D warnings" cargo doc --workspace --no-deps --quiet

step "Python environment (.venv)"
if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv || die "cannot create a Python venv (is python3-venv installed?)"
fi
echo "installing the pinned aws CLI, boto3 and pytest from tests/python/requirements.txt (downloads on a first run)"
.venv/bin/python -m pip install --quiet --disable-pip-version-check -r tests/python/requirements.txt \
  || die "cannot install the Python test requirements"
.venv/bin/aws --version >/dev/null 2>&1 || die "the aws CLI did not install"

PG_DIR=""
cleanup() {
  if [ -n "$PG_DIR" ]; then
    scripts/pg-throwaway.sh stop "$PG_DIR" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

if [ -z "${TESSERA_TEST_POSTGRES_URL:-}" ]; then
  step "throwaway PostgreSQL"
  PG_DIR="$WORK/pg"
  scripts/pg-throwaway.sh stop "$PG_DIR" >/dev/null 2>&1 || true
  TESSERA_TEST_POSTGRES_URL=$(scripts/pg-throwaway.sh start "$PG_DIR" | tail -n 1) \
    || die "cannot start a throwaway PostgreSQL (set TESSERA_TEST_POSTGRES_URL to use your own)"
fi
export TESSERA_TEST_POSTGRES_URL
echo "PostgreSQL for tests: $TESSERA_TEST_POSTGRES_URL"

step "cargo build"
cargo build --workspace --all-targets
export TESSERA_BIN="$ROOT/target/debug/tessera"

step "cargo test"
rust_tests=passed
cargo test --workspace --no-fail-fast || rust_tests=failed

step "pytest (boto3 and the aws CLI)"
python_tests=passed
.venv/bin/python -m pytest tests/python -q -p no:cacheprovider || python_tests=failed

step "summary"
echo "Rust tests: $rust_tests; Python tests: $python_tests"
[ "$rust_tests" = passed ] && [ "$python_tests" = passed ]
