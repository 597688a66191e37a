#!/usr/bin/env bash
# Creates .venv/ with the AWS emulator the tests and the sandbox use (moto's server),
# the AWS CLI, to change the emulated account by hand (scripts/sandbox.sh aws ...), and
# parliament, the IAM policy linter tests/iam_reference.rs asks for a second opinion.
set -euo pipefail
cd "$(dirname "$0")/.."
MOTO_VERSION="5.2.5"
AWSCLI_VERSION="1.46.3"
PARLIAMENT_VERSION="1.6.4"
if [ -x .venv/bin/moto_server ] && [ -x .venv/bin/aws ] && .venv/bin/python -c "import moto, parliament, sys; sys.exit(moto.__version__ != '$MOTO_VERSION' or parliament.__version__ != '$PARLIAMENT_VERSION')" 2>/dev/null; then
  exit 0
fi
echo "installing moto[server]==$MOTO_VERSION, awscli==$AWSCLI_VERSION and parliament==$PARLIAMENT_VERSION into .venv/ ..." >&2
python3 -m venv .venv
.venv/bin/pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" "awscli==$AWSCLI_VERSION" "parliament==$PARLIAMENT_VERSION"
