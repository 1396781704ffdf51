#!/usr/bin/python3
"""Fig. 4/5 panels of the SAL paper from an `ssn` sweep: for each noise scenario in the sweep
(synaptic noise = asymmetric initial weights, plasticity noise = per-synapse STDP amplitudes),
the final DKL and the final weight asymmetry against the noise strength, and the DKL over training
at the strongest noise, each with SAL and without (median and quartiles over the seeds).

    tools/ssn_plot.py results/index.db --sweep ssn_noise -o fig45.png

Reads the SQLite index written by `sweep_runner run` and the HDF5 payload of every finished job;
jobs are grouped by their tags `noise` (synaptic/plasticity) and `sal` (on/off), as
sweeps/ssn_noise.yaml and sweeps/ssn_quick.yaml set them.
Runs the Debian python (/usr/bin/python3 with numpy, h5py, pandas, matplotlib).
"""

import argparse
import json
import os

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from sweep_index import finished_jobs  # noqa: E402

# The parameter each scenario varies (change_params.py's noise axis).
NOISE_PARAM = {"synaptic": ("init_noise",), "plasticity": ("stdp", "ws", "noise")}
NOISE_LABEL = {"synaptic": "synaptic noise (init_noise)", "plasticity": "plasticity noise (STDP amplitude sd)"}
STYLE = {"on": dict(color="tab:green", label="SAL"), "off": dict(color="tab:gray", label="no SAL")}


def load_runs(db_path, sweep):
    """One row per finished job: scenario, SAL on/off, noise strength and its payload arrays."""
    jobs = finished_jobs(db_path, sweep, "ssn")
    rows = []
    db_dir = os.path.dirname(os.path.abspath(db_path))
    for job in jobs.itertuples():
        params = json.loads(job.params)
        tags = json.loads(job.tags)
        scenario = tags.get("noise", "synaptic")
        noise = params
        for key in NOISE_PARAM[scenario]:
            noise = noise[key]
        # Payload paths may be relative to the folder holding the index.
        with h5py.File(os.path.join(db_dir, job.payload_path), "r") as f:
            rows.append(
                {
                    "scenario": scenario,
                    "sal": tags.get("sal", "on" if params["lr"]["symm"] != 0 else "off"),
                    "noise": noise,
                    "steps": f["val_steps"][()],
                    "dkls": f["dkls"][()],
                    "asym": f["all_asym"][()],
                }
            )
    return pd.DataFrame(rows)


def quartiles(values):
    # A DKL is infinite when a validation missed a state of the target entirely (as in the
    # reference); such runs are left out of that epoch's quartiles.
    values = np.asarray(values, dtype=float)
    values = np.where(np.isfinite(values), values, np.nan)
    return np.nanquantile(values, [0.25, 0.5, 0.75], axis=0)


def plot_against_noise(ax, runs, column, ylabel, linear_below=None):
    for sal, group in runs.groupby("sal"):
        levels = sorted(group.noise.unique())
        stats = np.array([quartiles([r[-1] for r in group[group.noise == n][column]]) for n in levels])
        ax.plot(levels, stats[:, 1], marker="o", **STYLE[sal])
        ax.fill_between(levels, stats[:, 0], stats[:, 2], color=STYLE[sal]["color"], alpha=0.25)
    if linear_below is None:
        ax.set_yscale("log")
    else:  # values can be exactly 0 (no asymmetry without noise and SAL)
        ax.set_yscale("symlog", linthresh=linear_below)
    ax.set_ylabel(ylabel)


def plot_training(ax, runs):
    strongest = runs.noise.max()
    for sal, group in runs[runs.noise == strongest].groupby("sal"):
        stats = quartiles(np.stack(group.dkls.to_list()))
        steps = group.steps.iloc[0]
        ax.plot(steps, stats[1], **STYLE[sal])
        ax.fill_between(steps, stats[0], stats[2], color=STYLE[sal]["color"], alpha=0.25)
    ax.set_yscale("log")
    ax.set_xlabel("epoch")
    ax.set_ylabel("DKL")
    ax.set_title(f"training at noise {strongest:g}", fontsize="medium")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db", help="SQLite index (results/index.db)")
    parser.add_argument("--sweep", required=True, help="sweep name, e.g. ssn_noise")
    parser.add_argument("-o", "--output", default="ssn_fig45.png", help="PNG file to write")
    args = parser.parse_args()

    runs = load_runs(args.db, args.sweep)
    scenarios = [s for s in NOISE_PARAM if s in set(runs.scenario)]
    fig, axes = plt.subplots(len(scenarios), 3, figsize=(12, 3.6 * len(scenarios)), squeeze=False)
    for row, scenario in zip(axes, scenarios):
        subset = runs[runs.scenario == scenario]
        plot_against_noise(row[0], subset, "dkls", "final DKL")
        plot_against_noise(row[1], subset, "asym", "final weight asymmetry", linear_below=1e-4)
        for ax in row[:2]:
            ax.set_xlabel(NOISE_LABEL[scenario])
        plot_training(row[2], subset)
        row[0].legend()
    fig.suptitle(f"sweep {args.sweep}: {len(runs)} runs (median and quartiles over seeds)")
    fig.tight_layout()
    fig.savefig(args.output, dpi=120)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
