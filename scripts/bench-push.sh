#!/usr/bin/env bash
# Push benchmark: preflight's image push against `skopeo copy` of the same archive, side by
# side in one run, to a container registry on 127.0.0.1 (Debian's docker-registry with
# htpasswd auth, moto for the ECR API). Not a test: it prints figures.
#
#   scripts/bench-push.sh [--layers N] [--layer-mb MB] [--runs N]
#
# Default: a 5-layer image of 40 MB per layer (about 200 MB, incompressible), 3 runs each,
# every run into an empty registry. Reports median wall time, the ratio preflight/skopeo, the
# peak RSS of each, and the time of a second push of the same image (which must upload nothing).
set -euo pipefail
cd "$(dirname "$0")/.."
layers=5 layer_mb=40 runs=3
while [ $# -gt 0 ]; do
  case "$1" in
    --layers) layers=$2; shift 2 ;;
    --layer-mb) layer_mb=$2; shift 2 ;;
    --runs) runs=$2; shift 2 ;;
    *) echo "usage: scripts/bench-push.sh [--layers N] [--layer-mb MB] [--runs N]" >&2; exit 2 ;;
  esac
done
for tool in docker-registry htpasswd skopeo; do
  command -v "$tool" >/dev/null || { echo "needs $tool: apt-get install docker-registry apache2-utils skopeo" >&2; exit 2; }
done
bash scripts/setup-moto.sh
echo "building preflight (release) and the image maker ..." >&2
paths=$(cargo build --release --message-format=json-render-diagnostics --bin preflight --example make_image |
  python3 scripts/lib/cargo-executables.py preflight make_image)
{ read -r pf && read -r maker; } <<<"$paths"

work=$(mktemp -d "${TMPDIR:-/tmp}/preflight-bench-push.XXXXXX")
trap 'kill $(cat "$work"/*.pid 2>/dev/null) 2>/dev/null || true; rm -rf "$work"' EXIT
"$maker" --out "$work/image.tar" --layers "$layers" --size $((layer_mb * 1000 * 1000)) >&2

exec python3 - "$pf" "$work" "$runs" <<'PY'
import os, shutil, socket, statistics, subprocess, sys, time, urllib.request

pf, work, runs = sys.argv[1], sys.argv[2], int(sys.argv[3])
password = "123456789012-auth-token"  # what moto's ecr:GetAuthorizationToken hands out

def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); port = s.getsockname()[1]; s.close(); return port

def wait_http(url, codes, what):
    for _ in range(300):
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError as e:
            if e.code in codes:
                return
        except OSError:
            pass
        time.sleep(0.05)
    sys.exit(f"{what} did not start")

moto_port = free_port()
moto = subprocess.Popen([".venv/bin/moto_server", "-H", "127.0.0.1", "-p", str(moto_port)],
                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
open(f"{work}/moto.pid", "w").write(str(moto.pid))
wait_http(f"http://127.0.0.1:{moto_port}/moto-api/", (), "moto")

htpasswd = subprocess.run(["htpasswd", "-Bbn", "AWS", password], capture_output=True, check=True).stdout
open(f"{work}/htpasswd", "wb").write(htpasswd)
registry = {"proc": None, "port": None}

def fresh_registry():
    """An empty registry on a new port (storage wiped)."""
    if registry["proc"]:
        registry["proc"].terminate(); registry["proc"].wait()
    shutil.rmtree(f"{work}/data", ignore_errors=True)
    port = free_port()
    open(f"{work}/config.yml", "w").write(
        f"version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n"
        f"    rootdirectory: {work}/data\nhttp:\n  addr: 127.0.0.1:{port}\nauth:\n  htpasswd:\n"
        f"    realm: bench\n    path: {work}/htpasswd\n")
    proc = subprocess.Popen(["docker-registry", "serve", f"{work}/config.yml"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    open(f"{work}/registry.pid", "w").write(str(proc.pid))
    registry.update(proc=proc, port=port)
    wait_http(f"http://127.0.0.1:{port}/v2/", (401,), "docker-registry")
    return port

env = dict(os.environ, AWS_ENDPOINT_URL=f"http://127.0.0.1:{moto_port}", AWS_ACCESS_KEY_ID="testing",
           AWS_SECRET_ACCESS_KEY="testing", AWS_REGION="us-east-1", AWS_MAX_ATTEMPTS="1",
           AWS_CONFIG_FILE="/dev/null", AWS_SHARED_CREDENTIALS_FILE="/dev/null", AWS_EC2_METADATA_DISABLED="true",
           NO_COLOR="1", HOME=work)
profile = f"{work}/preflight.toml"

def timed(cmd):
    """Wall seconds and peak RSS (MB) of one command, which must succeed."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    err = proc.stderr.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        sys.exit(f"failed: {' '.join(cmd)}\n{err}")
    return wall, usage.ru_maxrss / 1024

def preflight(port, *args):
    open(profile, "w").write(f'[inputs]\nproject = "bench"\necr_registry_url = "http://127.0.0.1:{port}"\n'
                             f'image_source = "{work}/image.tar"\n')
    return timed([pf, "--profile-file", profile, *args])

size_mb = os.path.getsize(f"{work}/image.tar") / 1e6
results = {"preflight": [], "skopeo": [], "again": []}
preflight(fresh_registry(), "run", "ecr-push", "--step", "repository", "--yes")
for _ in range(runs):
    port = fresh_registry()
    results["preflight"].append(preflight(port, "run", "ecr-push", "--step", "image", "--yes"))
    results["again"].append(preflight(port, "run", "ecr-push", "--step", "image", "--yes"))
    port = fresh_registry()
    results["skopeo"].append(timed(["skopeo", "copy", "--quiet", "--dest-tls-verify=false",
                                    "--dest-creds", f"AWS:{password}", f"docker-archive:{work}/image.tar",
                                    f"docker://127.0.0.1:{port}/bench:latest"]))

med = {k: (statistics.median(w for w, _ in v), max(m for _, m in v)) for k, v in results.items()}
print(f"image: {size_mb:.0f} MB archive; {runs} runs each, every push into an empty registry on 127.0.0.1")
print(f"{'':28}{'median wall':>12}{'peak RSS':>12}")
for name, label in (("preflight", "preflight run (push)"), ("skopeo", "skopeo copy"), ("again", "preflight, second push")):
    wall, rss = med[name]
    print(f"{label:28}{wall:>10.2f} s{rss:>9.1f} MB")
print(f"ratio preflight / skopeo: {med['preflight'][0] / med['skopeo'][0]:.2f}x")
registry["proc"].terminate()
moto.terminate()
PY
