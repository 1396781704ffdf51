"""tools/sweep_plot.py on a sweep run here: the medians and quartiles it plots (printed as a table)
equal those computed from `sweep_runner results` and the payloads directly; a log axis keeps x = 0;
an unknown column is an error naming the closest one.

Usage: test_sweep_plot.py SWEEP_RUNNER_BINARY SOURCE_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

binary, source = sys.argv[1], sys.argv[2]
tool = os.path.join(source, "tools", "sweep_plot.py")
SWEEP = """name: plotted
model: testing.arith
params: {length: 6}
grid:
  x: [0, 1, 2]
  y: [1, 2]
  seed: [1, 2, 3, 4, 5]
derive:
  length: "4 + seed"
"""


def table(stdout):
    lines = stdout.strip().split("\n")
    assert lines[0] == "group\tx\tn\tmedian\tq25\tq75", lines[0]
    return [line.split("\t") for line in lines[1:]]


def same(a, b):
    return abs(float(a) - b) <= 1e-12 * max(1.0, abs(b))


with tempfile.TemporaryDirectory() as tmp:
    with open(os.path.join(tmp, "plotted.yaml"), "w") as f:
        f.write(SWEEP)
    subprocess.run([binary, "run", "plotted.yaml", "-q", "-j", "2"], cwd=tmp, check=True)
    db = os.path.join(tmp, "results", "index.db")
    jobs = json.loads(subprocess.run([binary, "results", db, "--format", "json"], check=True, capture_output=True,
                                     text=True).stdout)
    assert len(jobs) == 30, len(jobs)
    payloads = json.loads(subprocess.run([binary, "results", db, "--columns", "y,seed,payload_path", "--format", "json"],
                                         check=True, capture_output=True, text=True).stdout)

    # A metric against a parameter, one line per value of another, over the five seeds.
    run = subprocess.run([sys.executable, tool, db, "--x", "x", "--y", "product", "--hue", "seed", "--logx",
                          "-o", os.path.join(tmp, "product.png")], check=True, capture_output=True, text=True)
    rows = table(run.stdout)
    assert len(rows) == 5 * 3, rows
    for group, x, n, median, q25, q75 in rows:
        seed, x = int(group.split("=")[1]), float(x)
        values = np.array([j["product"] for j in jobs if j["seed"] == seed and j["x"] == x])
        assert int(n) == len(values) == 2, (group, x, n)
        assert same(median, np.median(values)), (group, x, median)
        assert same(q25, np.percentile(values, 25)) and same(q75, np.percentile(values, 75)), (group, x)
    assert os.path.getsize(os.path.join(tmp, "product.png")) > 10000

    # A payload array as curves: the last position's median over the jobs of each y. The arrays of
    # one group have different lengths (length = 4 + seed), so the tool must say so.
    run = subprocess.run([sys.executable, tool, db, "--curve", "series", "--x", "y", "-o", os.path.join(tmp, "c.png")],
                         capture_output=True, text=True)
    assert run.returncode == 1 and run.stderr.startswith("error: dataset 'series' has different shapes"), run.stderr
    run = subprocess.run([sys.executable, tool, db, "--curve", "series", "--x", "seed", "--hue", "y",
                          "-o", os.path.join(tmp, "curves.png")], check=True, capture_output=True, text=True)
    rows = table(run.stdout)
    assert len(rows) == 2 * 5, rows
    for group, x, n, median, q25, q75 in rows:
        y, seed = float(group.split("=")[1]), int(x.split("=")[1])
        last = []
        for j in payloads:
            if j["y"] == y and j["seed"] == seed:
                with h5py.File(j["payload_path"], "r") as payload:
                    series = payload["series"][()]
                assert len(series) == 4 + seed
                last.append(series[-1])
        assert int(n) == len(last) == 3, (group, x)
        assert same(median, np.median(last)) and same(q25, np.percentile(last, 25)), (group, x)
    assert os.path.getsize(os.path.join(tmp, "curves.png")) > 10000

    # Mistakes are errors with a hint, never an empty figure.
    run = subprocess.run([sys.executable, tool, db, "--x", "xx", "--y", "product"], capture_output=True, text=True)
    assert run.returncode == 1 and run.stderr == "error: --x 'xx' is not a column of the sweep (did you mean x?)\n", \
        run.stderr
    run = subprocess.run([sys.executable, tool, os.path.join(tmp, "none.db"), "--x", "x", "--y", "sum"],
                         capture_output=True, text=True)
    assert run.returncode == 1 and run.stderr == f"error: {os.path.join(tmp, 'none.db')}: no such index\n", run.stderr
    run = subprocess.run([sys.executable, tool, db, "--x", "x"], capture_output=True, text=True)
    assert run.returncode == 2 and "give --x and --y, or --curve" in run.stderr, run.stderr
print("sweep_plot: ok")
