#!/usr/bin/env bash
# preflight against local emulators on 127.0.0.1, no AWS account needed: moto (STS, IAM, ECR,
# Secrets Manager, SSM, ECS, EC2, ELBv2, Logs), the Bedrock double of the tests
# (examples/bedrock_double.rs), which moto lacks, a container registry (Debian's docker-registry)
# standing in for ECR's registry API, which moto lacks too, and a stand-in for the application
# behind the load balancer (python3's http.server answering /health), whose DNS name moto invents.
#
#   scripts/sandbox.sh              start the emulators and open the wizard on them (in a terminal);
#                                   without a terminal: walk iam-policy, model-access, secrets, ecr-push and
#                                   ecs-service (plan, run --yes, verify)
#   scripts/sandbox.sh ARGS...      run `preflight ARGS...` against the same emulators (they keep their state)
#   scripts/sandbox.sh aws ARGS...  the AWS CLI against moto, to change the account by hand
#   scripts/sandbox.sh new-image    write a new version of the example image (another digest) to push
#   scripts/sandbox.sh stop         stop the emulators and delete target/sandbox/ (profile, state, logs)
#   scripts/sandbox.sh stop --keep  stop the emulators, keep the profile and preflight's state
#
# It builds with cargo (honouring CARGO_TARGET_DIR; cargo says where the programs are) and checks
# the emulator install (scripts/setup-moto.sh) only when a source changed since its last build.
# PREFLIGHT_SANDBOX_DIR (default target/sandbox) puts the sandbox elsewhere; PREFLIGHT_SANDBOX_RELEASE=1
# builds with --release (scripts/bench-verify.sh uses both).
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${PREFLIGHT_SANDBOX_DIR:-target/sandbox}
release=${PREFLIGHT_SANDBOX_RELEASE:+--release}

# Stops the server whose pid is in $dir/NAME.pid if that process still is that server
# (its command line contains WHAT); says so when SAY is set. Bounded: 5 s, then SIGKILL.
stop_server() {
  local name=$1 what=$2 say=${3:-} pid
  [ -f "$dir/$name.pid" ] || return 0
  pid=$(cat "$dir/$name.pid")
  if kill -0 "$pid" 2>/dev/null && ps -o args= -p "$pid" 2>/dev/null | grep -q -- "$what"; then
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -9 "$pid" 2>/dev/null || true
    [ -z "$say" ] || echo "stopped $say (pid $pid)"
  elif [ -n "$say" ]; then
    echo "$say was not running"
  fi
  rm -f "$dir/$name.pid" "$dir/$name.port"
}

if [ "${1:-}" = "stop" ]; then
  keep=false
  case "${2:-}" in
    "") ;;
    --keep) keep=true ;;
    *) echo "usage: scripts/sandbox.sh stop [--keep]" >&2; exit 2 ;;
  esac
  [ -d "$dir" ] || { echo "no sandbox in $dir/: nothing to stop or delete"; exit 0; }
  stop_server moto moto_server "moto"
  stop_server bedrock bedrock_double "the Bedrock double"
  stop_server registry docker-registry "the registry"
  stop_server app http.server "the application stand-in"
  if $keep; then
    rm -rf "$dir/moto.log" "$dir/bedrock.log" "$dir/registry" "$dir/app"
    echo "deleted the emulators' logs; kept $dir/preflight.toml (the profile) and $dir/.preflight/ (preflight's state and audit log)."
    echo "The emulated account is gone with the emulators: the next run finds its steps undone and redoes them."
  else
    rm -rf "$dir"
    echo "deleted $dir/: the profile (preflight.toml), preflight's state and audit log (.preflight/), the emulators' logs."
    echo "(scripts/sandbox.sh stop --keep keeps the profile and the state.)"
  fi
  exit 0
fi

mkdir -p "$dir"

# --- the programs: preflight and the Bedrock double, where cargo put them -------------------------
# $dir/build records the last build this script made (CARGO_TARGET_DIR, then the two paths cargo
# reported); its time is when that build started. Nothing newer in the sources: no cargo, no pip.
stamp=$dir/build
sources=(src checklists assets Cargo.toml Cargo.lock build.rs examples/bedrock_double.rs tests/support/bedrock.rs
  examples/make_image.rs tests/support/image.rs scripts/setup-moto.sh scripts/lib)
pf= double= maker=
up_to_date() {
  local target
  [ -f "$stamp" ] && [ -x .venv/bin/moto_server ] && [ -x .venv/bin/aws ] || return 1
  { read -r target && read -r pf && read -r double && read -r maker; } <"$stamp" || return 1
  [ "$target" = "${CARGO_TARGET_DIR:-}$release" ] && [ -x "$pf" ] && [ -x "$double" ] && [ -x "$maker" ] || return 1
  [ -z "$(find "${sources[@]}" -newer "$stamp" -print -quit 2>/dev/null)" ]
}
if ! up_to_date; then
  bash scripts/setup-moto.sh
  : >"$stamp.start"
  echo "building preflight, the Bedrock double and the example image maker (cargo build; the first build takes minutes) ..." >&2
  # Progress and diagnostics go to stderr; stdout is cargo's JSON, which names the executables.
  # shellcheck disable=SC2086 # $release is empty or one flag
  paths=$(cargo build $release --message-format=json-render-diagnostics --bin preflight --example bedrock_double --example make_image |
    python3 scripts/lib/cargo-executables.py preflight bedrock_double make_image)
  { read -r pf && read -r double && read -r maker; } <<<"$paths" || true
  [ -x "$pf" ] && [ -x "$double" ] && [ -x "$maker" ] || { echo "cargo did not report the preflight, bedrock_double and make_image programs" >&2; exit 1; }
  printf '%s\n' "${CARGO_TARGET_DIR:-}$release" "$pf" "$double" "$maker" >"$stamp"
  touch -r "$stamp.start" "$stamp"
  rm -f "$stamp.start"
fi

# --- the profile ---------------------------------------------------------------------------------
if [ ! -f "$dir/preflight.toml" ]; then
  cp examples/preflight.toml "$dir/preflight.toml"
elif ! grep -q '^companyName' "$dir/preflight.toml"; then
  echo "note: $dir/preflight.toml predates the example answers to Anthropic's use-case form, so run model-access" \
    "asks for them (and without a terminal stops, exit 2); copy them from examples/preflight.toml, or start afresh:" \
    "scripts/sandbox.sh stop" >&2
fi

# --- the emulators -------------------------------------------------------------------------------
# A server is up when the process this script started is alive and its port takes a connection
# (bash's /dev/tcp: no curl, no python on the way to every command).
up() {
  [ -f "$dir/$1.port" ] && [ -f "$dir/$1.pid" ] && kill -0 "$(cat "$dir/$1.pid")" 2>/dev/null &&
    (exec 3<>"/dev/tcp/127.0.0.1/$(cat "$dir/$1.port")") 2>/dev/null
}
moto_up() { up moto; }
bedrock_up() { up bedrock; }
started=
if ! moto_up || ! bedrock_up; then
  # Two free loopback ports at once, so that they differ.
  read -r moto_port bedrock_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
  if ! moto_up; then
    stop_server moto moto_server
    # The AWS-managed policies (AmazonECSTaskExecutionRolePolicy) exist only when moto loads them;
    # its ECS services run their desired tasks only with MOTO_ECS_SERVICE_RUNNING (shared notes).
    MOTO_IAM_LOAD_MANAGED_POLICIES=true MOTO_ECS_SERVICE_RUNNING=1 nohup .venv/bin/moto_server -H 127.0.0.1 -p "$moto_port" </dev/null >"$dir/moto.log" 2>&1 &
    echo $! >"$dir/moto.pid"
    echo "$moto_port" >"$dir/moto.port"
    started+=" moto"
  fi
  if ! bedrock_up; then
    stop_server bedrock bedrock_double
    nohup "$double" --port "$bedrock_port" </dev/null >"$dir/bedrock.log" 2>&1 &
    echo $! >"$dir/bedrock.pid"
    echo "$bedrock_port" >"$dir/bedrock.port"
    started+=" bedrock"
  fi
  for _ in $(seq 1 150); do moto_up && bedrock_up && break; sleep 0.2; done
  moto_up || { echo "the emulator did not start; see $dir/moto.log" >&2; exit 1; }
  bedrock_up || { echo "the Bedrock double did not start; see $dir/bedrock.log" >&2; exit 1; }
fi

# --- the registry (for ecr-push): moto answers ECR's API but not the registry protocol ------------
# Its htpasswd password is the one moto's ecr:GetAuthorizationToken hands out, so the token is checked
# for real. The profile's ecr_registry_url points preflight at it; image_source at a tiny example image.
registry_up() { up registry; }
if command -v docker-registry >/dev/null && command -v htpasswd >/dev/null; then
  if ! registry_up; then
    stop_server registry docker-registry
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    mkdir -p "$dir/registry/data"
    htpasswd -Bbn AWS 123456789012-auth-token >"$dir/registry/htpasswd" 2>/dev/null
    cat >"$dir/registry/config.yml" <<YAML
version: 0.1
log:
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: $PWD/$dir/registry/data
http:
  addr: 127.0.0.1:$port
auth:
  htpasswd:
    realm: preflight-sandbox
    path: $PWD/$dir/registry/htpasswd
YAML
    nohup docker-registry serve "$dir/registry/config.yml" </dev/null >"$dir/registry/registry.log" 2>&1 &
    echo $! >"$dir/registry.pid"
    echo "$port" >"$dir/registry.port"
    for _ in $(seq 1 100); do registry_up && break; sleep 0.1; done
    registry_up || { echo "the registry did not start; see $dir/registry/registry.log" >&2; exit 1; }
    started+=" registry"
  fi
  [ -f "$dir/hello-image.tar" ] || "$maker" --out "$dir/hello-image.tar" --size 4096 >/dev/null
  # Point the profile at this registry and image (the port changes when the registry restarts); the
  # profile is rewritten only when it says otherwise (no python on the way to every command).
  grep -qF "ecr_registry_url = \"http://127.0.0.1:$(cat "$dir/registry.port")\"" "$dir/preflight.toml" &&
    grep -q '^image_source = "[^"]' "$dir/preflight.toml" ||
  python3 - "$dir/preflight.toml" "http://127.0.0.1:$(cat "$dir/registry.port")" "$PWD/$dir/hello-image.tar" <<'PY'
import re, sys
path, url, image = sys.argv[1:]
text = open(path).read()
for key, value in (("ecr_registry_url", url), ("image_source", image)):
    line = f'{key} = "{value}"'
    if key == "image_source" and re.search(rf'^{key} = "[^"]+"', text, flags=re.M):
        continue  # the operator's own image stays
    if re.search(rf"^{key} = .*$", text, flags=re.M):
        text = re.sub(rf'^{key} = "[^"]*"', line, text, flags=re.M)
    else:
        text = text.replace("[inputs]\n", f"[inputs]\n{line}   # set by scripts/sandbox.sh\n", 1)
open(path, "w").write(text)
PY
else
  echo "note: ecr-push needs a registry in the sandbox: apt-get install docker-registry apache2-utils (then scripts/sandbox.sh again)" >&2
fi

# --- the application (for ecs-service's health step) ----------------------------------------------
# moto runs no container and its load balancer's DNS name resolves nowhere: a file server on
# 127.0.0.1 answers /health as the application would ({"status":"ok"}, seed 004), and the profile's
# health_url points the health step at it.
app_up() { up app; }
if ! app_up; then
  stop_server app http.server
  mkdir -p "$dir/app"
  printf '{"status":"ok"}' >"$dir/app/health"
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  nohup python3 -m http.server --bind 127.0.0.1 --directory "$dir/app" "$port" </dev/null >"$dir/app.log" 2>&1 &
  echo $! >"$dir/app.pid"
  echo "$port" >"$dir/app.port"
  for _ in $(seq 1 100); do app_up && break; sleep 0.1; done
  app_up || { echo "the application stand-in did not start; see $dir/app.log" >&2; exit 1; }
  started+=" app"
fi
grep -qF "health_url = \"http://127.0.0.1:$(cat "$dir/app.port")/health\"" "$dir/preflight.toml" ||
python3 - "$dir/preflight.toml" "http://127.0.0.1:$(cat "$dir/app.port")/health" <<'PY'
import re, sys
path, url = sys.argv[1:]
text = open(path).read()
line = f'health_url = "{url}"'
if re.search(r"^health_url = .*$", text, flags=re.M):
    text = re.sub(r'^health_url = "[^"]*"', line, text, flags=re.M)
else:
    text = text.replace("[inputs]\n", f"[inputs]\n{line}   # set by scripts/sandbox.sh\n", 1)
open(path, "w").write(text)
PY

unset AWS_PROFILE AWS_SESSION_TOKEN
export AWS_ENDPOINT_URL="http://127.0.0.1:$(cat "$dir/moto.port")"
export AWS_ENDPOINT_URL_BEDROCK="http://127.0.0.1:$(cat "$dir/bedrock.port")"
export AWS_ENDPOINT_URL_BEDROCK_RUNTIME="$AWS_ENDPOINT_URL_BEDROCK"
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_MAX_ATTEMPTS=1
export AWS_CONFIG_FILE=/dev/null AWS_SHARED_CREDENTIALS_FILE=/dev/null AWS_EC2_METADATA_DISABLED=true
export PREFLIGHT_PROFILE="$dir/preflight.toml"
# The example profile's secrets read these (a real operator exports real values, or uses prompt).
export COMAFI_OPENAI_API_KEY="${COMAFI_OPENAI_API_KEY:-sk-sandbox-example-not-a-real-key}"
export COMAFI_DB_URL="${COMAFI_DB_URL:-postgres://comafi:sandbox@db.example/comafi}"

if [[ $started == *moto* ]]; then
  # moto's caller is user/moto, an IAM user moto does not have: give it one, the account's
  # administrator (as whoever bootstraps an account is), so that the check before a run and the
  # model-access caller probe have policies to judge.
  .venv/bin/aws iam create-user --user-name moto >/dev/null
  .venv/bin/aws iam put-user-policy --user-name moto --policy-name administrator \
    --policy-document file://examples/sandbox-caller-policy.json
fi
if [ -n "$started" ]; then
  echo "emulators on 127.0.0.1: moto on port $(cat "$dir/moto.port") (account 123456789012; the caller, user/moto," \
    "is its administrator), the Bedrock double on port $(cat "$dir/bedrock.port") (Anthropic's use-case form" \
    "and the model's agreement not done yet)$( [ -f "$dir/registry.port" ] && echo ", the registry on port $(cat "$dir/registry.port") (ECR's registry API, user AWS, moto's token)"), the application's /health on port $(cat "$dir/app.port"); stop them with scripts/sandbox.sh stop" >&2
fi

if [ "${1:-}" = "aws" ]; then shift; exec .venv/bin/aws "$@"; fi
if [ "${1:-}" = "new-image" ]; then
  # A new version of the example image (as a new build would make): other bytes, another digest.
  version=$(( $(cat "$dir/image.version" 2>/dev/null || echo 1) + 1 ))
  echo "$version" >"$dir/image.version"
  "$maker" --out "$dir/hello-image.tar" --size $((4096 + version))
  exit 0
fi
if [ $# -gt 0 ]; then exec "$pf" "$@"; fi
if [ -t 0 ] && [ -t 1 ]; then exec "$pf" tui; fi
# No terminal: iam-policy, then model-access (its runtime-invoke step checks the runtime role that
# iam-policy creates), then secrets (its task role is iam-policy's), then ecr-push (the example
# image), then ecs-service (the service runs that image with those secrets). A failure stops the
# walk with preflight's exit code.
checklists=(iam-policy model-access secrets)
[ -f "$dir/registry.port" ] && checklists+=(ecr-push ecs-service)
for checklist in "${checklists[@]}"; do
  for args in "plan $checklist" "run $checklist --yes" "verify $checklist"; do
    echo "\$ preflight $args" >&2
    # shellcheck disable=SC2086 # the words of $args are preflight's arguments
    "$pf" $args
  done
done
