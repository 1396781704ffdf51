#!/usr/bin/python3
"""Figures of spikegd sweeps (exact gradient descent in QIF networks), from the SQLite index and the
HDF5 payloads that `sweep_runner run` writes.

    tools/plot_spikegd.py results/index.db --sweep spikegd_concept -o concept.png
    tools/plot_spikegd.py results/index.db --sweep spikegd_rnn -o rnn.png
    tools/plot_spikegd.py results/index.db --sweep spikegd_quick -o quick.png

The model of the sweep picks the figure:
  spikegd.concept  first output spike time and its exact derivative against the varied weight or
                   inhibitory input time, with the example voltage traces (the concept panels)
  spikegd.rnn      loss curves of every job (log-log, coloured by learning rate or rule) and the
                   spike rasters of the first job before and after training with its targets
  spikegd.single   output and input spike times over training, and the loss
  spikegd.mnist    test error per epoch (mean and range over seeds) of the theta network with and
                   without pseudospikes next to the non-spiking baseline, and the hidden activity
Times are in units of tau (the reference's plots multiply by 10 for ms).
Runs the Debian python (/usr/bin/python3 with numpy, h5py, pandas, matplotlib).
"""

import argparse
import json
import os
import sqlite3
import sys

import h5py
import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sweep_index import finished_jobs  # noqa: E402


def sweep_model(db_path, sweep):
    with sqlite3.connect(db_path) as db:
        row = db.execute(
            "SELECT j.model FROM jobs j JOIN sweeps s ON s.id = j.sweep_id WHERE s.name = ? LIMIT 1", (sweep,)
        ).fetchone()
    if row is None:
        sys.exit(f"no jobs of sweep '{sweep}' in {db_path}")
    return row[0]


def payloads(db_path, sweep, model):
    """(params, tags, payload arrays) of every finished job."""
    db_dir = os.path.dirname(os.path.abspath(db_path))
    out = []
    for job in finished_jobs(db_path, sweep, model).itertuples():
        with h5py.File(os.path.join(db_dir, job.payload_path), "r") as f:
            arrays = {k: f[k][()] for k in f.keys() if isinstance(f[k], h5py.Dataset)}
        out.append((json.loads(job.params), json.loads(job.tags), arrays))
    return out


def plot_concept(jobs, out):
    # QIF with the exact rule if present (the rules agree here), and the LIF comparison if run.
    qif = [j for j in jobs if j[0].get("neuron", "qif") == "qif"]
    rules = sorted({p["gradient_rule"] for p, _, _ in qif})
    rule = "exact" if "exact" in rules else (rules[0] if rules else "")
    panels = [j for j in qif if j[0]["gradient_rule"] == rule] + [j for j in jobs if j[0].get("neuron") == "lif"]
    panels.sort(key=lambda j: (j[0].get("neuron", "qif") != "qif", j[0]["vary"] != "weight"))
    fig, axes = plt.subplots(3, len(panels), figsize=(4.2 * len(panels), 7.5), squeeze=False)
    for col, (params, _, a) in enumerate(panels):
        label = "input weight $w$" if params["vary"] == "weight" else r"inhibitory input time $t_\mathrm{inh}$"
        axes[0, col].set_title(params.get("neuron", "qif").upper())
        ex = a["trace_example"]
        for k in range(len(a["examples_p"])):
            sel = ex == k
            axes[0, col].plot(a["trace_t"][sel], np.clip(a["trace_V"][sel], -5, 8), label=f"{a['examples_p'][k]:.3g}")
        axes[0, col].set_ylabel("potential $V$")
        axes[0, col].set_xlabel("time $t$")
        axes[0, col].legend(title=label, fontsize=7)
        axes[1, col].plot(a["p"], a["spiketimes"], color="k")
        axes[1, col].set_ylabel("first output spike time")
        axes[2, col].plot(a["p"], a["grads"], color="tab:blue")
        axes[2, col].set_ylabel("exact derivative")
        axes[2, col].set_xlabel(label)
        axes[2, col].set_yscale("symlog", linthresh=1.0)
    fig.suptitle(f"concept panels (QIF: {rule} derivative rule)")
    fig.tight_layout()
    fig.savefig(out, dpi=130)


def plot_rnn(jobs, out):
    fig, axes = plt.subplots(1, 3, figsize=(14, 4))
    lrs = sorted({p["lr"] for p, _, _ in jobs})
    cmap = plt.get_cmap("viridis")
    for params, tags, a in jobs:
        color = cmap(lrs.index(params["lr"]) / max(1, len(lrs) - 1))
        style = "--" if params.get("gradient_rule") == "exact" else "-"
        if params.get("mode") == "grid":
            color, style = "tab:red", "-"
        loss = a["loss"]
        axes[0].plot(np.arange(1, len(loss) + 1), loss, style, color=color, lw=0.8, alpha=0.8)
    for lr in lrs:
        axes[0].plot([], [], color=cmap(lrs.index(lr) / max(1, len(lrs) - 1)), label=f"lr {lr:g}")
    axes[0].set_xscale("log")
    axes[0].set_yscale("log")
    axes[0].set_xlabel("trials + 1")
    axes[0].set_ylabel("loss")
    axes[0].legend(fontsize=7)
    # Rasters of the first (lowest seed, lr 1e-2 if present) job before and after training.
    first = sorted(jobs, key=lambda j: (j[0].get("mode") == "grid", abs(np.log10(j[0]["lr"]) + 2), j[0]["seed"]))[0]
    params, _, a = first
    ntar = params["Ntar"]
    for ax, name, title in ((axes[1], "raster_first", "trial 0"), (axes[2], "raster_last", f"trial {params['Ntrial']}")):
        r = a[name]
        if r.size:
            ax.scatter(r[:, 0], r[:, 1], marker="|", s=60, c=np.where(r[:, 1] < ntar, "tab:blue", "k"))
        for i in range(ntar):
            t = a[f"t_targets_{i}"][:-1]
            ax.scatter(t, np.full_like(t, i + 0.35), marker="|", s=60, color="tab:purple")
        ax.set_xlim(0, params["T"])
        ax.set_xlabel("time $t$")
        ax.set_ylabel("neuron (targets in purple)")
        ax.set_title(f"seed {params['seed']}, lr {params['lr']:g}: {title}")
    fig.tight_layout()
    fig.savefig(out, dpi=130)


def plot_single(jobs, out):
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    for params, _, a in jobs:
        t_out, p = a["t_out"], a["p"]
        n = p.shape[1] // 2
        axes[0].plot(t_out, color="tab:blue", lw=0.8)
        axes[0].plot(p[:, n:], color="tab:orange", lw=0.8)
        for t in a["t_targets"]:
            axes[0].axhline(t, color="tab:purple", lw=0.5, ls=":")
        axes[1].semilogy(a["loss"], lw=0.8)
    axes[0].axhspan(jobs[0][0]["T"], axes[0].get_ylim()[1], color="k", alpha=0.15, label="pseudospikes")
    axes[0].set_xlabel("trial")
    axes[0].set_ylabel("output (blue) and trained input (orange) times")
    axes[1].set_xlabel("trial")
    axes[1].set_ylabel("loss")
    fig.tight_layout()
    fig.savefig(out, dpi=130)


def plot_mnist(jobs, out):
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    curves = {}
    for params, _, a in jobs:
        net = params.get("network", "theta")
        curves.setdefault((net, "acc"), []).append(a["test_acc"])
        if net == "theta":
            curves.setdefault((net, "acc_ord"), []).append(a["test_acc_ord"])
            curves.setdefault((net, "activity"), []).append(a["activity"])
    labels = {("theta", "acc"): ("theta, incl. pseudospikes", "tab:blue"),
              ("theta", "acc_ord"): ("theta, ordinary spikes only", "tab:cyan"),
              ("ann", "acc"): ("non-spiking baseline", "tab:gray")}
    for key, (label, color) in labels.items():
        if key not in curves:
            continue
        n = min(len(c) for c in curves[key])
        err = 1 - np.array([c[:n] for c in curves[key]])
        epochs = np.arange(n)
        axes[0].plot(epochs, err.mean(0), color=color, label=f"{label} ({len(err)} seeds)")
        axes[0].fill_between(epochs, err.min(0), err.max(0), color=color, alpha=0.2)
    axes[0].set_yscale("log")
    axes[0].set_xlabel("epoch")
    axes[0].set_ylabel("test error")
    axes[0].legend(fontsize=7)
    if ("theta", "activity") in curves:
        n = min(len(c) for c in curves[("theta", "activity")])
        act = np.array([c[:n] for c in curves[("theta", "activity")]])
        axes[1].plot(np.arange(n), act.mean(0), color="tab:blue")
    axes[1].set_xlabel("epoch")
    axes[1].set_ylabel("hidden spikes per neuron and image")
    fig.tight_layout()
    fig.savefig(out, dpi=130)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("db")
    ap.add_argument("--sweep", required=True)
    ap.add_argument("-o", "--output", default="spikegd.png")
    args = ap.parse_args()
    model = sweep_model(args.db, args.sweep)
    plot = {"spikegd.concept": plot_concept, "spikegd.rnn": plot_rnn, "spikegd.single": plot_single,
            "spikegd.mnist": plot_mnist}.get(model)
    if plot is None:
        sys.exit(f"sweep '{args.sweep}' runs model {model}, not a spikegd model")
    plot(payloads(args.db, args.sweep, model), args.output)
    print(f"wrote {args.output}")


if __name__ == "__main__":
    main()
