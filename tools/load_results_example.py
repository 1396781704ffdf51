#!/usr/bin/python3
"""Load a sweep's results into a pandas DataFrame and read one payload with h5py.

The code between the snippet markers is shown verbatim in docs/python.md (a test checks that the
two stay identical, and runs this script on a sweep it has just run).

Usage: /usr/bin/python3 tools/load_results_example.py INDEX_DB SWEEP [COLUMN...]
Needs Debian's python3-pandas and python3-h5py (use /usr/bin/python3, not a pyenv python).
"""
import sys

# --- snippet begin ---
import contextlib
import hashlib
import json
import os
import sqlite3

import h5py
import pandas as pd


def load_results(db_path, sweep):
    """One row per job (indexed by its position in the sweep): key, status, payload_path, the
    parameters as dotted columns, the tags as tag.<name> columns, and one column per metric."""
    # a folder you may not write (archived results, a colleague's): no runner writes there, read as is
    writable = os.access(os.path.dirname(os.path.abspath(db_path)), os.W_OK)
    uri = f"file:{db_path}?" + ("mode=ro" if writable else "immutable=1")
    with contextlib.closing(sqlite3.connect(uri, uri=True)) as con:
        jobs = pd.read_sql_query(
            "SELECT j.id, j.block, j.idx AS 'index', j.key, j.status, j.params, j.tags, j.payload_path,"
            " j.payload_sha256"
            " FROM jobs j JOIN sweeps s ON s.id = j.sweep_id"
            " WHERE s.name = ? AND j.retired = 0 ORDER BY j.block, j.idx",
            con, params=(sweep,))
        metrics = pd.read_sql_query(
            "SELECT m.job_id AS id, m.name, m.value FROM metrics m"
            " JOIN jobs j ON j.id = m.job_id JOIN sweeps s ON s.id = j.sweep_id"
            " WHERE s.name = ? AND j.retired = 0",
            con, params=(sweep,))
    params = pd.json_normalize([json.loads(p) for p in jobs.pop("params")])  # {"a": {"b": 1}} -> a.b
    tags = pd.json_normalize([json.loads(t) for t in jobs.pop("tags")]).add_prefix("tag.")
    wide = metrics.pivot(index="id", columns="name", values="value")  # one column per metric
    # a metric named like a parameter becomes <name>_metric
    df = pd.concat([jobs, params, tags], axis=1).join(wide, on="id", rsuffix="_metric")
    return df.drop(columns="id").set_index("index")


def read_payload(path, sha256=None):
    """Root attributes (key, model, params_json, ...), metrics, and every dataset as a numpy array.
    Given the index's payload_sha256, a file changed since its job ran raises ValueError."""
    if sha256 is not None:
        with open(path, "rb") as f:
            actual = hashlib.sha256(f.read()).hexdigest()
        if actual != sha256:
            raise ValueError(f"{path}: checksum mismatch: the index has {sha256[:12]}, the file {actual[:12]}")
    with h5py.File(path, "r") as f:
        # strings are stored as fixed-length UTF-8, which h5py returns as bytes
        attributes = {name: value.decode() if isinstance(value, bytes) else value
                      for name, value in f.attrs.items()}
        metrics = {name: float(value) for name, value in f["metrics"].attrs.items()}
        arrays = {name: f[name][()] for name in f if isinstance(f[name], h5py.Dataset)}
    return attributes, metrics, arrays
# --- snippet end ---


def main(db_path, sweep, columns):
    df = load_results(db_path, sweep)
    counts = df["status"].value_counts().sort_index()
    print(f"{len(df)} jobs: " + ", ".join(f"{n} {status}" for status, n in counts.items()))
    print("columns: " + ", ".join(df.columns))
    done = df[df["status"] == "done"]
    for name in columns:
        print(f"mean {name}: {done[name].mean():.6f}")
    first = done.iloc[0]
    attributes, metrics, arrays = read_payload(first["payload_path"], first["payload_sha256"])
    print(f"payload of job {first.name}: key {attributes['key'][:12]}, model {attributes['model']}")
    print("  metrics: " + ", ".join(f"{k}={v:.6f}" for k, v in sorted(metrics.items())))
    print("  datasets: " + ", ".join(f"{k} {v.dtype} {v.shape}" for k, v in sorted(arrays.items())))
    in_index = {k: first[k + "_metric"] if k + "_metric" in first.index else first[k] for k in metrics}
    print(f"  same metrics as the index: {in_index == metrics}")


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: load_results_example.py INDEX_DB SWEEP [COLUMN...]  (prints the mean of each COLUMN)")
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
