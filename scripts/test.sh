#!/usr/bin/env bash
# Runs every test: unit tests, loader snapshots, and the integration tests that
# start moto servers on 127.0.0.1 and run the real preflight binary against them.
# Tests write only under target/ (or a temporary directory): the working tree
# must look the same afterwards, which is checked at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-moto.sh
before=$(git status --porcelain --untracked-files=all 2>/dev/null || true)
cargo test "$@"
after=$(git status --porcelain --untracked-files=all 2>/dev/null || true)
if [ "$before" != "$after" ]; then
  echo "error: the test suite changed the working tree (tests must write under target/ or a temporary directory):" >&2
  diff <(echo "$before") <(echo "$after") >&2 || true
  exit 1
fi
