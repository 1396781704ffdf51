#!/usr/bin/python3
"""Fig. 6 of the SAL paper from a `microcircuit` sweep: validation loss (median and quartiles over
seeds) per feedback variant, the fraction of runs whose feedback weight has the sign of the forward
weight it mirrors, and example weight trajectories.

    tools/microcircuit_plot.py results/index.db --sweep microcircuits -o fig6.png

Reads the SQLite index written by `sweep_runner run` and the HDF5 payload of every finished job.
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
from sweep_index import finished_jobs  # noqa: E402

COLORS = {"sal": "tab:green", "fa": "tab:orange", "bp": "tab:blue"}
LABELS = {"sal": "SAL", "fa": "FA", "bp": "BP"}


def load_runs(db_path, sweep):
    """One row per finished job: variant, seed index and its payload arrays."""
    jobs = finished_jobs(db_path, sweep, "microcircuit")
    runs = []
    for job in jobs.itertuples():
        tags = json.loads(job.tags)
        # Payload paths may be relative to the folder holding the index.
        path = os.path.join(os.path.dirname(os.path.abspath(db_path)), job.payload_path)
        with h5py.File(path, "r") as f:
            runs.append(
                {
                    "variant": tags.get("variant", job.block),
                    "index": job.idx,
                    "loss": f["validation_loss"][()],
                    # Hidden layer 1's feedback and the forward weight it mirrors (first entries).
                    "w_down": f["w_down_layer1"][()].reshape(len(f["w_down_layer1"]), -1)[:, 0],
                    "w_up2": f["w_up_layer2"][()].reshape(len(f["w_up_layer2"]), -1)[:, 0],
                }
            )
    return runs


def plot(runs, output):
    variants = [v for v in ("bp", "fa", "sal") if any(r["variant"] == v for r in runs)]
    variants += sorted({r["variant"] for r in runs} - set(variants))
    fig, (ax_loss, ax_sign, ax_traj) = plt.subplots(1, 3, figsize=(14, 4))

    for v in variants:
        mine = [r for r in runs if r["variant"] == v]
        color = COLORS.get(v)
        loss = np.array([r["loss"] for r in mine])
        epochs = np.arange(1, loss.shape[1] + 1)
        q25, median, q75 = np.percentile(loss, [25, 50, 75], axis=0)
        ax_loss.plot(epochs, median, color=color, label=f"{LABELS.get(v, v)} (n={len(mine)})")
        ax_loss.fill_between(epochs, q25, q75, color=color, alpha=0.25, linewidth=0)

        # Index 0 of the weight records is the initial state, then one entry per epoch.
        agree = np.array([np.sign(r["w_down"]) == np.sign(r["w_up2"]) for r in mine]).mean(axis=0)
        ax_sign.plot(np.arange(len(agree)), agree, color=color, label=LABELS.get(v, v))

    sal = [r for r in runs if r["variant"] == "sal"][:4] or runs[:4]
    for n, r in enumerate(sal):
        color = plt.cm.viridis(n / max(1, len(sal) - 1))
        steps = np.arange(len(r["w_down"]))
        ax_traj.plot(steps, r["w_down"], color=color, label=f"run {r['index']}: w_down")
        ax_traj.plot(steps, r["w_up2"], color=color, linestyle="--", label=f"run {r['index']}: w_up (layer 2)")

    ax_loss.set(yscale="log", xlabel="epoch", ylabel="validation loss", title="loss: median and quartiles")
    ax_loss.legend()
    ax_sign.set(xlabel="epoch", ylabel="fraction of runs", ylim=(-0.05, 1.05),
                title="sign(w_down) = sign(w_up of layer above)")
    ax_sign.legend()
    ax_traj.axhline(0.0, color="gray", linewidth=0.5)
    ax_traj.set(xlabel="epoch", ylabel="weight", title=f"{LABELS.get(sal[0]['variant'], '')} weight trajectories")
    ax_traj.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(output, dpi=120)
    print(f"wrote {output}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", help="SQLite index of the results (e.g. results/index.db)")
    parser.add_argument("--sweep", default="microcircuits", help="sweep name (default: microcircuits)")
    parser.add_argument("-o", "--output", default="microcircuit_fig6.png", help="PNG to write")
    args = parser.parse_args()
    plot(load_runs(args.db, args.sweep), args.output)


if __name__ == "__main__":
    main()
