#!/usr/bin/python3
"""Load a sweep's results into a pandas DataFrame and read payloads with tools/sweep_index.py.

The code between the snippet markers is shown verbatim in docs/python.md (a test checks that the
two stay identical, and runs this script on a sweep it has just run).

Usage: /usr/bin/python3 tools/load_results_example.py INDEX_DB SWEEP [COLUMN...]
Needs Debian's python3-pandas and python3-h5py (use /usr/bin/python3, not a pyenv python).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the folder holding sweep_index.py

# --- snippet begin ---
from sweep_index import load, payload, payload_attributes, stack


def describe(db_path, sweep, columns):
    df = load(db_path, sweep)  # one row per job, indexed by (block, index)
    counts = df["status"].value_counts().sort_index()
    print(f"{len(df)} jobs: " + ", ".join(f"{n} {status}" for status, n in counts.items()))
    print("columns: " + ", ".join(df.columns))
    done = df[df["status"] == "done"]
    for name in columns:
        print(f"mean {name}: {done[name].mean():.6f}")  # metrics and parameters alike
    first = done.iloc[0]
    block, index = first.name
    arrays = payload(first)  # {dataset: numpy array}
    attributes, metrics = payload_attributes(first)
    print(f"payload of job {index}: key {attributes['key'][:12]}, model {attributes['model']}")
    print("  metrics: " + ", ".join(f"{k}={v:.6f}" for k, v in sorted(metrics.items())))
    print("  datasets: " + ", ".join(f"{k} {v.dtype} {v.shape}" for k, v in sorted(arrays.items())))
    if "series" in arrays:
        print(f"  all jobs' series: {stack(done, 'series').shape}")  # n_jobs x ...
    in_index = {k: first[k + "_metric"] if k + "_metric" in first.index else first[k] for k in metrics}
    print(f"  same metrics as the index: {in_index == metrics}")
# --- snippet end ---


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: load_results_example.py INDEX_DB SWEEP [COLUMN...]  (prints the mean of each COLUMN)")
    describe(sys.argv[1], sys.argv[2], sys.argv[3:])
