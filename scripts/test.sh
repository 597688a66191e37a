#!/usr/bin/env bash
# Runs every test: unit tests, loader snapshots, and the integration tests that
# start moto servers on 127.0.0.1 and run the real preflight binary against them.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-moto.sh
cargo test "$@"
