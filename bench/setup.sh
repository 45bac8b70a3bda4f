#!/usr/bin/env bash
# Install what bench/run.py needs, once per machine: wrk (the load generator), dynalite (a
# Node peer, into bench/.peers so nothing global changes) and the Python extras (matplotlib for
# the chart, moto[server] as the second peer). Safe to run again.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v wrk >/dev/null 2>&1; then
    apt-get update
    apt-get install -y wrk
fi
command -v taskset >/dev/null 2>&1 || apt-get install -y util-linux
command -v node >/dev/null 2>&1 || { echo "node (>= 18) and npm are needed for dynalite" >&2; exit 1; }

npm install --prefix bench/.peers --no-audit --no-fund --loglevel=error dynalite
python -m pip install --quiet -e '.[bench]'
echo "bench setup done: wrk $(wrk -v 2>&1 | head -1 | cut -d' ' -f2), dynalite in bench/.peers"
