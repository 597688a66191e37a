#!/usr/bin/env bash
# preflight against a local AWS emulator (moto on 127.0.0.1): no AWS account needed.
#
#   scripts/sandbox.sh              start the emulator and open the wizard on it (in a terminal);
#                                   without a terminal: walk the iam-policy checklist (plan, run, verify)
#   scripts/sandbox.sh ARGS...      run `preflight ARGS...` against the same emulator (it keeps its state)
#   scripts/sandbox.sh aws ARGS...  the AWS CLI against the emulator, to change the account by hand
#   scripts/sandbox.sh stop         stop the emulator and forget the sandbox
set -euo pipefail
cd "$(dirname "$0")/.."
dir=target/sandbox
mkdir -p "$dir"

stop() {
  if [ -f "$dir/moto.pid" ]; then kill "$(cat "$dir/moto.pid")" 2>/dev/null || true; fi
  rm -rf "$dir"
}
if [ "${1:-}" = "stop" ]; then stop; echo "sandbox stopped"; exit 0; fi

bash scripts/setup-moto.sh
cargo build --quiet
[ -f "$dir/preflight.toml" ] || cp examples/preflight.toml "$dir/preflight.toml"

alive() { [ -f "$dir/moto.port" ] && curl -sf "http://127.0.0.1:$(cat "$dir/moto.port")/moto-api/" >/dev/null 2>&1; }
if ! alive; then
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  nohup .venv/bin/moto_server -H 127.0.0.1 -p "$port" >"$dir/moto.log" 2>&1 &
  echo $! >"$dir/moto.pid"
  echo "$port" >"$dir/moto.port"
  for _ in $(seq 1 150); do alive && break; sleep 0.2; done
  alive || { echo "the emulator did not start; see $dir/moto.log" >&2; exit 1; }
  echo "emulator: moto on 127.0.0.1:$port (account 123456789012); stop it with scripts/sandbox.sh stop" >&2
fi

unset AWS_PROFILE AWS_SESSION_TOKEN
export AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$dir/moto.port")"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_MAX_ATTEMPTS=1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
export PREFLIGHT_PROFILE="$dir/preflight.toml"
pf=target/debug/preflight

if [ "${1:-}" = "aws" ]; then shift; exec .venv/bin/aws "$@"; fi
if [ $# -gt 0 ]; then exec "$pf" "$@"; fi
if [ -t 0 ] && [ -t 1 ]; then exec "$pf" tui; fi
set -x
"$pf" plan iam-policy
"$pf" run iam-policy --yes
"$pf" verify iam-policy
