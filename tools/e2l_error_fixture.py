#!/usr/bin/env python3
"""Builds the e2l.error test fixtures in tests/data/e2l from the reference inputs and data.

  tools/e2l_error_fixture.py SHARED_E2L_DIR E2L_CGP_SNN_DATA_DIR OUT_DIR

SHARED_E2L_DIR holds error_driven.h5 (../shared/reference/e2l); E2L_CGP_SNN_DATA_DIR is
data/error-driven/91f21d6d01014991285e5264a59aa967 of an e2l-cgp-snn checkout (traces.pkl,
res_*.pkl, res_test_*.pkl). Needs the Debian packages python3-numpy and python3-h5py.

Writes
  error_validation.h5   the 15 validation trials (times with HDF5's scale-offset filter at
                        0.01 ms digits: the grid steps are unchanged), teacher weights
  error_fig4_traces.h5  the create_traces.py input (20 s) and, under /reference, traces.pkl's
                        student and teacher V_m every 20 ms and the student weights every 100
                        Simulate calls (500 ms)
  error_champions.json  the final champion of each run with its validation errors per trial
                        (res_test_<run>.pkl) and evolution fitness
"""
import json
import pickle
import sys

import h5py
import numpy as np


def copy_trial(src, dst, name):
    g = dst.create_group(name)
    g.create_dataset("times", data=src[name + "/times"][:], scaleoffset=2, compression="gzip",
                     compression_opts=9, shuffle=True)
    g.create_dataset("offsets", data=src[name + "/offsets"][:])
    g.create_dataset("teacher_weights", data=src[name + "/teacher_weights"][:])


def main():
    shared, data, out = sys.argv[1:4]
    src = h5py.File(f"{shared}/error_driven.h5", "r")
    with h5py.File(f"{out}/error_validation.h5", "w") as f:
        f.create_group("validation").attrs["t_sim"] = src["validation"].attrs["t_sim"]
        for k in range(15):
            copy_trial(src, f, f"validation/trial_{k}")
    traces = pickle.load(open(f"{data}/traces.pkl", "rb"))
    with h5py.File(f"{out}/error_fig4_traces.h5", "w") as f:
        f.create_group("fig4_traces").attrs["t_sim"] = src["fig4_traces"].attrs["t_sim"]
        copy_trial(src, f, "fig4_traces/trial_0")
        ref = f.create_group("reference")
        ref.attrs["sample_every_ms"] = 20
        ref.attrs["weights_every_calls"] = 100
        ref["u_student"] = np.asarray(traces["data_u"]["V_m"])[19::20]
        ref["u_teacher"] = np.asarray(traces["data_u_teacher"]["V_m"])[19::20]
        ref["weights"] = np.asarray(traces["data_syn"])[::100]
    champions = []
    for run in range(6):
        res = pickle.load(open(f"{data}/res_{run}.pkl", "rb"))
        test = pickle.load(open(f"{data}/res_test_{run}.pkl", "rb"))
        champions.append({"run": run, "rule": res["expr_champion"][-1],
                          "evolution_fitness": float(res["fitness_champion"][-1]),
                          "validation_errors": [float(v) for v in test]})
    json.dump(champions, open(f"{out}/error_champions.json", "w"), indent=1)


if __name__ == "__main__":
    main()
