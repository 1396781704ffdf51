#!/usr/bin/python3
"""Figures of a csdp sweep (see docs/csdp.md): dev accuracy per epoch against the original code's
curves, the goodness of positive vs negative samples per hidden layer, and reconstructions.

    tools/csdp_plot.py OUT/index.db [--sweep csdp_quick] [--reference ../shared/reference/csdp/reference_curves]
                       [-o csdp.png]

Prints a JSON summary (dev accuracy per epoch per job, and the reference's per curve file) and,
with -o, saves a three-panel figure. Runs the Debian python (/usr/bin/python3 with numpy, pandas,
matplotlib, h5py).
"""

import argparse
import glob
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import sweep_index  # noqa: E402


def label(row):
    size = f"{int(row['hidden1'])}-{int(row['hidden2'])}"
    return f"{row['dataset']} {size} {row['mode']}"


def reference_curves(folder):
    curves = {}
    for path in sorted(glob.glob(os.path.join(folder, "curve_*.json"))):
        with open(path) as f:
            data = json.load(f)
        epochs = sorted(data["epochs"], key=lambda e: e["epoch"])
        curves[os.path.basename(path)[:-5]] = [e["dev_acc"] for e in epochs]
    return curves


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db")
    parser.add_argument("--sweep")
    parser.add_argument("--reference", help="folder of the original code's curve_*.json")
    parser.add_argument("-o", "--output")
    args = parser.parse_args()

    jobs = sweep_index.finished_jobs(args.db, args.sweep, "csdp")
    summary = {"jobs": [], "reference": reference_curves(args.reference) if args.reference else {}}
    runs = []
    for _, row in jobs.iterrows():
        p = sweep_index.payload(row)
        runs.append((row, p))
        summary["jobs"].append({"label": label(row), "seed": int(row["seed"]),
                                "dev_accuracy": [round(float(a), 4) for a in p["dev_accuracy"]],
                                "train_seconds": float(row["train_seconds"])})
    json.dump(summary, sys.stdout, indent=1)
    print()
    if not args.output:
        return

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = plt.figure(figsize=(14, 4.2))
    grid = fig.add_gridspec(1, 3)
    ax_acc = fig.add_subplot(grid[0])
    colors = {}
    for row, p in runs:
        name = label(row)
        color = colors.setdefault(name, f"C{len(colors)}")
        acc = p["dev_accuracy"]
        ax_acc.plot(range(len(acc)), acc, "o-", color=color, ms=3, label=name if name not in ax_acc.get_legend_handles_labels()[1] else None)
    for name, acc in summary["reference"].items():
        ax_acc.plot(range(len(acc)), acc, "k:", lw=0.8, label="reference" if name == next(iter(summary["reference"])) else None)
    ax_acc.set(xlabel="epochs trained", ylabel="dev accuracy", ylim=(0, 1), title="dev accuracy (dotted: original code)")
    ax_acc.legend(fontsize=7, loc="lower right")

    ax_good = fig.add_subplot(grid[1])
    for row, p in runs:
        if len(p["goodness_positive"]) == 0:
            continue
        epochs = np.arange(1, len(p["goodness_positive"]) + 1)
        color = colors[label(row)]
        for layer, style in ((0, "-"), (1, "--")):
            ax_good.plot(epochs, p["goodness_positive"][:, layer], style, color=color, marker="^", ms=3)
            ax_good.plot(epochs, p["goodness_negative"][:, layer], style, color=color, marker="v", ms=3, alpha=0.5)
    ax_good.set(xlabel="epoch", ylabel="mean sum of squared traces",
                title="goodness: positive (^) vs negative (v);\nlayer 1 solid, layer 2 dashed")

    row, p = runs[0]
    recon, inputs = p["recon"], p["recon_input"]
    n = min(5, len(recon))
    images = grid[2].subgridspec(2, n)
    for k in range(n):
        for r, image in enumerate((inputs[k], recon[k])):
            ax = fig.add_subplot(images[r, k])
            ax.imshow(image.reshape(28, 28), cmap="gray", vmin=0, vmax=max(image.max(), 1e-6))
            ax.set_xticks([])
            ax.set_yticks([])
            if k == n // 2:
                ax.set_title("dev images" if r == 0 else f"reconstructions s0_mu\n({label(row)}, seed {int(row['seed'])})", fontsize=8)
    fig.tight_layout()
    fig.savefig(args.output, dpi=110)


if __name__ == "__main__":
    main()
