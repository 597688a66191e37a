#!/usr/bin/env bash
# Creates .venv/ with the AWS emulator the tests and the sandbox use (moto's server),
# and the AWS CLI, to change the emulated account by hand (scripts/sandbox.sh aws ...).
set -euo pipefail
cd "$(dirname "$0")/.."
MOTO_VERSION="5.2.5"
AWSCLI_VERSION="1.46.3"
if [ -x .venv/bin/moto_server ] && [ -x .venv/bin/aws ] && .venv/bin/python -c "import moto, sys; sys.exit(moto.__version__ != '$MOTO_VERSION')" 2>/dev/null; then
  exit 0
fi
echo "installing moto[server]==$MOTO_VERSION and awscli==$AWSCLI_VERSION into .venv/ ..." >&2
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" "awscli==$AWSCLI_VERSION"
