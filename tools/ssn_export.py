#!/usr/bin/python3
"""Export an `ssn` sweep to the layout sal-code's scripts/ssn/train_bm.py writes, so the paper's
scripts/ssn/plot_fig.ipynb (and a lab's own notebooks) load it unchanged.

    tools/ssn_export.py results/index.db --sweep ssn_noise -o results/ssn

writes, per block (experiment type, e.g. syn_noise_sal) of the sweep:

    OUT/<block>/exp.yaml        the block's parameters (run 0's, as change_params.py starts from)
    OUT/<block>/exp.NNNN.yaml   the parameters of run NNNN (what change_params.py writes)
    OUT/<block>/exp.NNNN.npz    train_bm.py's arrays: dkls, target_distr, all_distr, all_weights,
                                all_biases, all_asym (float32, same shapes)

NNNN is the job's index within its block, which is the run index of change_params.py.
Reads the SQLite index written by `sweep_runner run` and the HDF5 payload of every finished job.
Runs the Debian python (/usr/bin/python3 with numpy, h5py, pandas, yaml).
"""

import argparse
import json
import os

import h5py
import numpy as np
import yaml

from sweep_index import finished_jobs

# train_bm.py's np.savez_compressed keys, all stored as float32.
NPZ_KEYS = ["dkls", "target_distr", "all_distr", "all_weights", "all_biases", "all_asym"]

# Optional explicit inputs of our model that the published exp.yaml does not have.
EXPLICIT_KEYS = ["w_target", "b_target", "w_init", "b_init"]
EXPLICIT_RULE_KEYS = ["a_plus_matrix", "a_minus_matrix"]


def published_params(params):
    """The job's parameters in exp.yaml form: absent optional inputs dropped."""
    out = json.loads(json.dumps(params))
    for key in EXPLICIT_KEYS:
        if out.get(key) is None:
            out.pop(key, None)
    for rule in ("ws", "sal"):
        for key in EXPLICIT_RULE_KEYS:
            if out["stdp"][rule].get(key) is None:
                out["stdp"][rule].pop(key, None)
    return out


def write_yaml(path, params):
    with open(path, "w") as f:
        yaml.safe_dump(params, f, sort_keys=False)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db", help="SQLite index (results/index.db)")
    parser.add_argument("--sweep", required=True, help="sweep name, e.g. ssn_noise")
    parser.add_argument("-o", "--out", required=True, help="output folder (one subfolder per block)")
    args = parser.parse_args()

    jobs = finished_jobs(args.db, args.sweep, "ssn")
    db_dir = os.path.dirname(os.path.abspath(args.db))
    for block, runs in jobs.groupby("block", sort=False):
        folder = os.path.join(args.out, block or args.sweep)
        os.makedirs(folder, exist_ok=True)
        for run in runs.itertuples():
            params = published_params(json.loads(run.params))
            if run.idx == runs.idx.min():
                write_yaml(os.path.join(folder, "exp.yaml"), params)
            write_yaml(os.path.join(folder, f"exp.{run.idx:04d}.yaml"), params)
            # Payload paths may be relative to the folder holding the index.
            with h5py.File(os.path.join(db_dir, run.payload_path), "r") as f:
                arrays = {key: np.asarray(f[key][()], dtype=np.float32) for key in NPZ_KEYS}
            np.savez_compressed(os.path.join(folder, f"exp.{run.idx:04d}"), **arrays)
        print(f"{folder}: {len(runs)} runs")


if __name__ == "__main__":
    main()
