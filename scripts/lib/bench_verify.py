"""The measuring half of scripts/bench-verify.sh (which starts the emulators and the delay
proxies): times `preflight verify --all`, the AWS CLI replaying the same requests one by one,
and computes the floor; prints the medians and the ratios. Runs in .venv (botocore's models
turn each logged request back into the AWS CLI call that makes it)."""
import argparse
import json
import os
import re
import shlex
import statistics
import subprocess
import sys
import time
import urllib.parse

import botocore.session
from botocore import xform_name

ap = argparse.ArgumentParser()
ap.add_argument("--preflight", required=True)
ap.add_argument("--render", required=True)
ap.add_argument("--work", required=True)
ap.add_argument("--delay-ms", type=int, required=True)
ap.add_argument("--runs", type=int, required=True)
args = ap.parse_args()
work = args.work
url = {name: open(f"{work}/{name}.url").read().strip() for name in ("moto", "bedrock", "registry", "app")}

# The sandbox's profile, pointed at the proxies.
profile = open(f"{work}/sandbox/preflight.toml").read()
profile = re.sub(r'^ecr_registry_url = "[^"]*"', f'ecr_registry_url = "{url["registry"]}"', profile, flags=re.M)
profile = re.sub(r'^health_url = "[^"]*"', f'health_url = "{url["app"]}/health"', profile, flags=re.M)
open(f"{work}/preflight.toml", "w").write(profile)

base_env = {
    "PATH": os.environ["PATH"],
    "HOME": os.path.abspath(work),
    "AWS_CONFIG_FILE": "/dev/null",
    "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_DEFAULT_REGION": "us-east-1",
    "NO_COLOR": "1",
}
pf_env = dict(base_env, AWS_ENDPOINT_URL=url["moto"], AWS_ENDPOINT_URL_BEDROCK=url["bedrock"],
              AWS_ENDPOINT_URL_BEDROCK_RUNTIME=url["bedrock"], PREFLIGHT_PROFILE=f"{work}/preflight.toml")


def timed(cmd, env, **kw):
    started = time.perf_counter()
    done = subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, **kw)
    return time.perf_counter() - started, done


def logs_at():
    return {name: os.path.getsize(f"{work}/{name}.requests") for name in url}


def requests_since(offsets):
    out = []
    for name, at in offsets.items():
        with open(f"{work}/{name}.requests") as f:
            f.seek(at)
            out += [(name, json.loads(line)) for line in f if line.strip()]
    return out


verify = [args.preflight, "verify", "--all"]
timed(verify, pf_env)  # warm-up: the emulators' first answers are slow
at = logs_at()
if os.path.exists(f"{work}/calls.jsonl"):
    os.remove(f"{work}/calls.jsonl")
# The call log's run leaves every call its own place in flight, so that the order it shows is
# the order the code needs (a call waiting for a place would look like one waiting for an answer).
_, logged = timed(verify + ["--concurrency", "256"], dict(pf_env, PREFLIGHT_CALL_LOG=f"{work}/calls.jsonl"))
requests = requests_since(at)
times = []
for _ in range(args.runs):
    t, done = timed(verify, pf_env)
    times.append(t)
at = logs_at()
if os.path.exists(f"{work}/calls-one.jsonl"):
    os.remove(f"{work}/calls-one.jsonl")
timed(verify + ["--concurrency", "1"], dict(pf_env, PREFLIGHT_CALL_LOG=f"{work}/calls-one.jsonl"))
one_at_a_time = len(requests_since(at))
# One AWS call's round trip when it is alone in flight: the delay plus the emulator's own time.
alone = statistics.median(c["end_ms"] - c["start_ms"] for c in map(json.loads, open(f"{work}/calls-one.jsonl"))
                          if c["outcome"] != "reused" and c["service"] not in ("registry", "http"))

# --- the AWS CLI script: every logged request, one CLI process (or curl) each -----------------
session = botocore.session.get_session()
SERVICES = {"iam": "iam", "sts": "sts", "ecr": "ecr", "ecs": "ecs", "ec2": "ec2", "elasticloadbalancing": "elbv2",
            "logs": "logs", "secretsmanager": "secretsmanager", "ssm": "ssm", "kms": "kms", "bedrock": "bedrock"}


def query_value(params, shape, key, ec2):
    kind = shape.type_name
    if kind == "structure":
        found = query_struct(params, shape, key + ".", ec2)
        return found or None
    if kind == "list":
        member = shape.member
        if ec2 or shape.serialization.get("flattened"):
            base = key
        else:
            base = f"{key}.{member.serialization.get('name', 'member')}"
        items, i = [], 1
        while True:
            v = query_value(params, member, f"{base}.{i}", ec2)
            if v is None:
                break
            items.append(v)
            i += 1
        return items or None
    if key not in params:
        return None
    text = params[key]
    if kind in ("integer", "long"):
        return int(text)
    if kind == "boolean":
        return text == "true"
    return text


def query_struct(params, shape, prefix, ec2):
    out = {}
    for name, member in shape.members.items():
        if ec2:
            wire = member.serialization.get("queryName") or (member.serialization.get("name", name)[:1].upper()
                                                            + member.serialization.get("name", name)[1:])
        else:
            wire = member.serialization.get("name", name)
        v = query_value(params, member, prefix + wire, ec2)
        if v is not None:
            out[name] = v
    return out


def rest_operation(model, method, path):
    """A REST call (Bedrock): the operation whose URI template matches, and its path parameters."""
    path_only, _, query = path.partition("?")
    for name in model.operation_names:
        op = model.operation_model(name)
        if op.http["method"] != method:
            continue
        template = op.http["requestUri"].split("?")[0]
        pattern = "^" + re.sub(r"\\\{([^}+]+)\+?\\\}", r"(?P<\1>[^/]+)", re.escape(template)) + "$"
        m = re.match(pattern, path_only)
        if m:
            values = {k: urllib.parse.unquote(v) for k, v in m.groupdict().items()}
            params = {}
            for member_name, member in (op.input_shape.members.items() if op.input_shape else []):
                where = member.serialization.get("location")
                wire = member.serialization.get("name", member_name)
                if where == "uri" and wire in values:
                    params[member_name] = values[wire]
                elif where == "querystring":
                    q = urllib.parse.parse_qs(query)
                    if wire in q:
                        params[member_name] = q[wire][0]
            return name, params
    return None, None


def cli_line(endpoint_name, req):
    if endpoint_name in ("registry", "app"):
        auth = "-u AWS:123456789012-auth-token " if endpoint_name == "registry" else ""
        head = "-I " if req["method"] == "HEAD" else ""
        return f"curl -sf {head}{auth}-o /dev/null {shlex.quote(url[endpoint_name] + req['url'])} || true"
    service = SERVICES.get(req.get("service") or "")
    if service is None:
        return None
    model = session.get_service_model(service)
    protocol = model.metadata["protocol"]
    if protocol in ("json",):
        op = req["target"].split(".")[-1]
        params = json.loads(req["body"] or "{}")
    elif protocol in ("query", "ec2"):
        form = dict(urllib.parse.parse_qsl(req["body"], keep_blank_values=True))
        op = form["Action"]
        shape = model.operation_model(op).input_shape
        params = query_struct(form, shape, "", protocol == "ec2") if shape else {}
    else:
        op, params = rest_operation(model, req["method"], req["url"])
        if op is None:
            return None
    endpoint = url["bedrock"] if service == "bedrock" else url["moto"]
    return (f"aws {service} {xform_name(op, '-')} --endpoint-url {endpoint} --no-cli-pager --output json "
            f"--cli-input-json {shlex.quote(json.dumps(params))} >/dev/null 2>&1 || true")


lines, skipped = [], []
for name, req in requests:
    line = cli_line(name, req)
    (lines if line else skipped).append(line or f"{name} {req['method']} {req['url']}")
script = f"{work}/aws-cli-script.sh"
open(script, "w").write("#!/usr/bin/env bash\n# The reads of one `preflight verify --all`, one by one.\n"
                        + "\n".join(lines) + "\n")
cli_env = dict(base_env, PATH=f"{os.path.abspath('.venv/bin')}:{os.environ['PATH']}")
cli_times = []
for _ in range(max(1, min(args.runs, 3))):
    t, _ = timed(["bash", script], cli_env)
    cli_times.append(t)

# --- the floor: the caller's identity, then the longest chain of calls that waited on each other --
# A call waited on another when the same probe made it after the other ended (its code needed the
# answer: calls a probe makes at once overlap), or when it reused the other's answer (a read shared
# with another probe waits for that probe's call). Reused reads cost no round trip themselves.
calls = sorted((json.loads(line) for line in open(f"{work}/calls.jsonl")), key=lambda c: c["start_ms"])
depth, path = [], []
for i, c in enumerate(calls):
    probe = (c["checklist"], c["step"], c["probe"])
    before = [j for j in range(i) if (calls[j]["checklist"], calls[j]["step"], calls[j]["probe"]) == probe
              and calls[j]["end_ms"] <= c["start_ms"]]
    if c["outcome"] == "reused":
        same = [j for j in range(i) if calls[j]["outcome"] != "reused" and calls[j]["service"] == c["service"]
                and calls[j]["operation"] == c["operation"] and calls[j]["resource"] == c["resource"]]
        before += same[-1:]
    cost = 0 if c["outcome"] == "reused" else 1
    best = max(before, key=lambda j: depth[j], default=None)
    depth.append(cost + (depth[best] if best is not None else 0))
    path.append((path[best] if best is not None else []) + ([f"{c['operation']}"] if cost else []))
deepest = max(range(len(calls)), key=lambda i: depth[i])
chain = 1 + depth[deepest]
floor = chain * args.delay_ms / 1000
floor_alone = chain * alone / 1000
longest = " → ".join(["GetCallerIdentity"] + path[deepest])
last = calls[deepest]

# --- the rest ------------------------------------------------------------------------------------
def median_of(cmd, n=20):
    return statistics.median(timed(cmd, base_env)[0] for _ in range(n))


help_s = median_of([args.preflight, "--help"])
list_s = median_of([args.preflight, "list", "--profile-file", f"{work}/preflight.toml"])
render = subprocess.run([args.render], capture_output=True, text=True, check=True).stdout.strip()

pf_s, cli_s = statistics.median(times), statistics.median(cli_times)
print(f"delay {args.delay_ms} ms per request; preflight verify --all exit {logged.returncode}; "
      f"{len(requests)} requests ({one_at_a_time} with --concurrency 1)")
print(f"(a) preflight verify --all        median {pf_s:.3f} s over {args.runs} runs")
print(f"(b) AWS CLI, the same {len(lines)} calls   median {cli_s:.3f} s over {len(cli_times)} runs"
      f"  ({len(skipped)} requests not replayable: {skipped[:3]})")
print(f"(c) floor                         {floor:.3f} s = {chain} dependent calls × {args.delay_ms} ms"
      f" ({longest}, ending in {last['checklist']}/{last['step']}/{last['probe']})")
print(f"    with the emulator's own time:  {floor_alone:.3f} s = {chain} × {alone:.0f} ms (the median round trip"
      f" of one call alone in flight, --concurrency 1)")
print(f"AWS CLI / preflight = {cli_s / pf_s:.1f}×   preflight / floor = {pf_s / floor:.2f}× "
      f"({pf_s / floor_alone:.2f}× with the emulator's own time)")
print(f"preflight --help median {help_s * 1000:.1f} ms; preflight list median {list_s * 1000:.1f} ms (20 runs each)")
print(render)
