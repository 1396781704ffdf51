#!/usr/bin/env bash
# Builds the two .debs from the Release build and installs them with apt-get; runs the quick sweep
# from an empty folder with the installed binary and Python module; builds the out-of-tree model of
# docs/out_of_tree_model against the installed package (find_package(sweep_runner)) and runs its
# sweep; then removes both packages. Run by CI after the test suite (it needs root, or sudo).
set -euo pipefail
cd "$(dirname "$0")/.."
SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
cmake --build --preset release --target sweep_runner
rm -rf build/package
(cd build/release && cpack -G DEB -B "$PWD/../package" >/dev/null)
deb=$(ls build/package/sweep-runner_*.deb)
dev_deb=$(ls build/package/sweep-runner-dev_*.deb)
echo "packages: $deb $dev_deb"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y -qq "./$deb" "./$dev_deb" >/dev/null
trap '$SUDO apt-get remove -y -qq sweep-runner-dev sweep-runner >/dev/null' EXIT
example="$PWD/docs/out_of_tree_model"

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

# A lab's own model, built against the installed headers and libraries only.
cmake -S "$example" -B lab_build -G Ninja -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build lab_build >/dev/null
lab_build/lab_sweeps models lab.lif_rate | head -1
lab_build/lab_sweeps run "$example/lif_rate.yaml" -j "$(nproc)" --out lab_results >lab.log
/usr/bin/python3 - <<'PY'
import math
import sweep_index
jobs = sweep_index.finished_jobs("lab_results/index.db", "lif_rate", "lab.lif_rate")
assert len(jobs) == 20, len(jobs)
for _, job in jobs.iterrows():
    rate, closed = job["rate_hz"], job["rate_closed_form_hz"]
    if job["sigma"] == 0:  # Euler steps of 0.01 ms and a 2 s count: within 2 % of the closed form
        assert abs(rate - closed) <= 0.02 * closed + 0.5, (job["drive"], rate, closed)
    elif job["drive"] < 15:  # below threshold only the noise makes it fire
        assert rate > 0 and closed == 0, (job["drive"], rate)
noisy = jobs[jobs["sigma"] == 1].groupby("drive")["rate_hz"].nunique()
assert (noisy == 2).all(), "two seeds gave the same noisy run"
print(f"out-of-tree model lab.lif_rate ran in its own program: {len(jobs)} jobs done, rates as the closed form")
PY
cd / && rm -rf "$work"
