#!/bin/sh
# Create bench/.venv with the peers the Python benchmarks compare against (eliot, viztracer)
# and argtrace itself (pip install of this checkout). Peers never enter argtrace's own
# dependencies. Usage: bash bench/setup_venv.sh   (PYTHON=python3.12 to pick a Python)
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/bench/.venv"
"${PYTHON:-python3}" -m venv "$venv"
"$venv/bin/pip" install -q --upgrade pip
"$venv/bin/pip" install -q eliot viztracer
"$venv/bin/pip" install -q "$root"
echo "bench venv ready: $venv/bin/python bench/bench_decorator.py"
