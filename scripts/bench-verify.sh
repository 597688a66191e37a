#!/usr/bin/env bash
# Verify benchmark: `preflight verify --all` against the AWS CLI doing the same reads one by one,
# and against the floor (the longest chain of calls that depend on each other × the delay), over
# a realistic network delay. Not a test: it prints figures.
#
#   scripts/bench-verify.sh [--delay-ms N] [--runs N]
#
# It provisions every checklist that runs on the emulators (the sandbox's walk, release build,
# in target/bench-verify/, plus oidc-provider), puts a delay proxy (examples/delay_proxy.rs,
# default 40 ms per request) in front of each emulator (moto, the Bedrock double, the registry,
# the application's /health), then measures, --runs times each (default 5; the AWS CLI script 3):
#   (a) preflight verify --all, through the proxies;
#   (b) the same requests, replayed one by one by the AWS CLI (curl for the registry and /health),
#       from the script generated out of the proxies' request logs of one preflight run;
#   (c) the floor, from preflight's own call log (PREFLIGHT_CALL_LOG): the caller's identity, then
#       the longest chain of calls one probe makes one after another (reads it reused not counted);
# and also preflight --help, preflight list, the calls made with --concurrency 1 (the same), and
# the wizard's render of a 100-step tree (cargo bench --bench render).
set -euo pipefail
cd "$(dirname "$0")/.."
delay=40 runs=5
while [ $# -gt 0 ]; do
  case "$1" in
    --delay-ms) delay=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: scripts/bench-verify.sh [--delay-ms N] [--runs N]" >&2; exit 2 ;;
  esac
done
for tool in docker-registry htpasswd curl; do
  command -v "$tool" >/dev/null || { echo "needs $tool: apt-get install docker-registry apache2-utils curl" >&2; exit 2; }
done
work=target/bench-verify
export PREFLIGHT_SANDBOX_DIR=$work/sandbox PREFLIGHT_SANDBOX_RELEASE=1
bash scripts/sandbox.sh stop >/dev/null 2>&1 || true
rm -rf "$work"
mkdir -p "$work"
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; bash scripts/sandbox.sh stop >/dev/null 2>&1 || true' EXIT

echo "provisioning: the sandbox's walk (release build), then oidc-provider ..." >&2
bash scripts/sandbox.sh </dev/null >"$work/provision.log" 2>&1 || { tail -30 "$work/provision.log" >&2; exit 1; }
bash scripts/sandbox.sh run oidc-provider --yes >>"$work/provision.log" 2>&1 || true
pf=$(sed -n 2p "$work/sandbox/build")

echo "building the delay proxy and the render bench (release) ..." >&2
proxy=$(cargo build --release --message-format=json-render-diagnostics --example delay_proxy |
  python3 scripts/lib/cargo-executables.py delay_proxy)
render=$(cargo bench --no-run --message-format=json-render-diagnostics --bench render |
  python3 scripts/lib/cargo-executables.py render)

# One proxy per emulator, each logging what it forwards.
for name in moto bedrock registry app; do
  "$proxy" --upstream "http://127.0.0.1:$(cat "$work/sandbox/$name.port")" --delay-ms "$delay" \
    --log "$work/$name.requests" >"$work/$name.url" &
  echo $! >"$work/$name-proxy.pid"
done
for name in moto bedrock registry app; do
  for _ in $(seq 1 100); do [ -s "$work/$name.url" ] && break; sleep 0.05; done
  [ -s "$work/$name.url" ] || { echo "the $name proxy did not start" >&2; exit 1; }
done

exec .venv/bin/python scripts/lib/bench_verify.py --preflight "$pf" --render "$render" --work "$work" \
  --delay-ms "$delay" --runs "$runs"
