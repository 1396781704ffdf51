#!/usr/bin/env bash
# Quick start: install what is missing, build Release, run the quick sweep on all local cores.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install_deps.sh
cmake --preset release >/dev/null
cmake --build --preset release --target sweep_runner
sweep="${1:-sweeps/ssn_quick.yaml}"
exec build/release/cli/sweep_runner run "$sweep" --out results
