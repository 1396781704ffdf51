#!/usr/bin/env bash
# Builds the .deb from the Release build, installs it with apt-get, runs the quick sweep from an
# empty folder with the installed binary and Python module, then removes the package. Run by CI
# after the test suite (it needs root, or sudo, to install).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
cmake --build --preset release --target sweep_runner
rm -rf build/package
(cd build/release && cpack -G DEB -B "$PWD/../package" >/dev/null)
deb=$(ls build/package/sweep-runner_*.deb)
echo "package: $deb"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -qq "./$deb" >/dev/null
trap '$SUDO apt-get remove -y -qq sweep-runner >/dev/null' EXIT

work=$(mktemp -d)
cd "$work"
[ "$(command -v sweep_runner)" = /usr/bin/sweep_runner ]
sweep_runner --version
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
sweep_runner run /usr/share/sweep_runner/sweeps/ssn_quick.yaml -j "$(nproc)" >run.log
/usr/bin/python3 - <<'PY'
import sweep_index
jobs = sweep_index.finished_jobs("results/index.db", "ssn_quick", "ssn")
assert len(jobs) == 36, len(jobs)
print(f"installed package ran ssn_quick: {len(jobs)} jobs done")
PY
cd / && rm -rf "$work"
