"""Reads cargo's --message-format=json on stdin and prints, one per line, the
executables of the targets named as arguments (an empty line for one not built)."""
import json
import sys

found = {}
for line in sys.stdin:
    try:
        message = json.loads(line)
    except ValueError:
        continue
    if message.get("reason") == "compiler-artifact" and message.get("executable"):
        found[message["target"]["name"]] = message["executable"]
for name in sys.argv[1:]:
    print(found.get(name, ""))
