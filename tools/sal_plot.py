#!/usr/bin/python3
"""Figures and summaries of the SAL sweeps (models stdd and eisys; see docs/sal.md).

    tools/sal_plot.py ppd OUT/index.db [--sweep sal_fig2e] [-o fig2e.png]   # Fig. 2e phase plane
    tools/sal_plot.py fig11 OUT/index.db [--sweep sal_fig11] [-o fig11.png] # attractor deviation maps
    tools/sal_plot.py dales-law OUT/index.db [-o fig10.png]                 # Fig. 10 + rates panel
    tools/sal_plot.py fig2d OUT/index.db [-o fig2d.png]                     # SAL weight evolution
    tools/sal_plot.py salnet OUT/index.db [--sweep sal_fig7] [-o fig7.png]  # Fig. 7 / 9: W-B alignment

Each prints a JSON summary on stdout (the numbers the figure's claim rests on) and, with -o, saves
the figure. The attractor line ("basin of attraction", stddc/ppd.py's PPDMaker.calc_boa): the SAL
grid upscaled to 100 x 100 with scipy's cubic RegularGridInterpolator, then per column the cubic
spline roots of sal_12 along the rows; its deviation from the diagonal is PPDMaker.deviation_of_boa.
Runs the Debian python (/usr/bin/python3 with numpy, scipy, pandas, matplotlib, h5py).
"""

import argparse
import json
import os
import sqlite3
import sys
import warnings

import numpy as np
from scipy.integrate import trapezoid
from scipy.interpolate import CubicSpline, RegularGridInterpolator


def load(db_path, sweep, model):
    """Finished jobs of `model` in `sweep`: list of dicts with block, idx, params, tags, metrics, payload."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT j.id, j.block, j.idx, j.params, j.tags, j.payload_path FROM jobs j JOIN sweeps s ON s.id = j.sweep_id "
            "WHERE s.name = ? AND j.model = ? AND j.status = 'done' AND j.retired = 0 ORDER BY j.block, j.idx",
            (sweep, model),
        ).fetchall()
        metrics = {}
        for job_id, name, value in db.execute(
            "SELECT m.job_id, m.name, m.value FROM metrics m JOIN jobs j ON j.id = m.job_id "
            "JOIN sweeps s ON s.id = j.sweep_id WHERE s.name = ?",
            (sweep,),
        ):
            metrics.setdefault(job_id, {})[name] = value
    if not rows:
        sys.exit(f"no finished {model} jobs in sweep '{sweep}' of {db_path}")
    db_dir = os.path.dirname(os.path.abspath(db_path))
    return [
        dict(block=b, idx=i, params=json.loads(p), tags=json.loads(t), metrics=metrics.get(job_id, {}),
             payload=os.path.join(db_dir, path) if path else None)
        for job_id, b, i, p, t, path in rows
    ]


def sal_grid(jobs):
    """(weights, grid[i, j, 0:2]) over the constructor's w_12 (rows) and w_21 (columns): sal_12, sal_21."""
    w = sorted({j["params"]["w_12"] for j in jobs})
    grid = np.full((len(w), len(w), 2), np.nan)
    index = {v: k for k, v in enumerate(w)}
    for j in jobs:
        p = j["params"]
        grid[index[p["w_12"]], index[p["w_21"]]] = (j["metrics"]["sal_12"], j["metrics"]["sal_21"])
    return np.array(w), grid


def attractor_line(w, grid, upscale=100):
    """PPDMaker.calc_boa(upscale): rows of [column weight, root along the rows] where sal_12 = 0."""
    fine = np.linspace(w[0], w[-1], upscale)
    interp = RegularGridInterpolator((w, w), grid[:, :, 0], bounds_error=False, fill_value=None)
    rows, cols = np.meshgrid(fine, fine, indexing="ij", sparse=True)
    values = interp((rows, cols), method="cubic")
    line = []
    for k, v in enumerate(fine):
        for root in CubicSpline(fine, values[:, k], extrapolate=False).roots():
            line.append([v, root])
    return np.array(line)


def deviation(line):
    """PPDMaker.deviation_of_boa: mean relative distance of the attractor line from the diagonal."""
    mean = 0.5 * (line[:, 0] + line[:, 1])
    d = 0.5 * np.abs(line[:, 0] - line[:, 1]) / np.abs(mean)
    return trapezoid(d, x=line[:, 0]) / np.abs(line[-1, 0] - line[0, 0])


def ppd(args):
    w, grid = sal_grid(load(args.db, args.sweep or "sal_fig2e", "stdd"))
    line = attractor_line(w, grid)
    summary = {
        "n_grid": int(np.isfinite(grid[:, :, 0]).sum()),
        "antisym_maxabs": float(np.nanmax(np.abs(grid[:, :, 0] + grid[:, :, 1]))),
        "diag_maxabs": float(np.nanmax(np.abs(np.diagonal(grid[:, :, 0])))),
        "boa_n": len(line),
        "boa_dev": float(deviation(line)),
        "boa_first": line[:3].tolist(),
        "boa_last": line[-3:].tolist(),
    }
    if args.output:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(4, 3.4), layout="constrained")
        magnitude = np.hypot(grid[:, :, 0], grid[:, :, 1])
        im = ax.contourf(w, w, magnitude / magnitude.max(), 15, cmap="GnBu")
        fig.colorbar(im, label=r"$\sqrt{\Delta W_{ij}^2 + \Delta W_{ji}^2}$")
        # PPDMaker's orientation: x = column weight (w_21), y = row weight (w_12).
        ax.quiver(w[::2], w[::2], grid[::2, ::2, 1], grid[::2, ::2, 0], pivot="mid")
        ax.plot(line[:, 0], line[:, 1], color="blue", label="attractor")
        ax.plot(w, w, "k--", lw=0.8)
        ax.set_xlabel(r"$W_{21}$")
        ax.set_ylabel(r"$W_{12}$")
        ax.set_aspect("equal")
        ax.legend(loc="upper left")
        fig.savefig(args.output, dpi=150)
    return summary


def fig11(args):
    jobs = load(args.db, args.sweep or "sal_fig11", "stdd")
    summary = {}
    maps = {}
    for psp in dict.fromkeys(j["block"] for j in jobs):
        mine = [j for j in jobs if j["block"] == psp]
        # The notebook's bias grid: the chain's (b_1, b_2) = the constructor's (b_2, b_1).
        b = sorted({j["params"]["b_2"] for j in mine})
        dev = np.full((len(b), len(b)), np.nan)
        for i, b1 in enumerate(b):
            for k, b2 in enumerate(b):
                point = [j for j in mine if j["params"]["b_2"] == b1 and j["params"]["b_1"] == b2]
                w, grid = sal_grid(point)
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    dev[i, k] = deviation(attractor_line(w, grid))
        maps[psp] = (b, dev)
        summary[psp] = {"max_deviation": float(np.nanmax(dev)), "mean_deviation": float(np.nanmean(dev)),
                        "jobs": len(mine)}
    if args.output:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        top = max(np.nanmax(d) for _, d in maps.values())
        fig, axes = plt.subplots(1, len(maps), figsize=(3.2 * len(maps), 3), layout="constrained")
        for ax, (psp, (b, dev)) in zip(np.atleast_1d(axes), maps.items()):
            im = ax.contourf(b, b, dev.T, cmap="YlOrRd", vmin=0.0, vmax=top)
            ax.set_title(psp)
            ax.set_xlabel(r"$b_1$")
            ax.set_ylabel(r"$b_2$")
            ax.set_aspect("equal")
        fig.colorbar(im, ax=axes, label="av. rel. deviation of the attractor from the diagonal")
        fig.savefig(args.output, dpi=150)
    return summary


def zero_crossing(x, y):
    """First x where y changes sign (linear interpolation), or nan."""
    for k in range(len(x) - 1):
        if y[k] == 0.0:
            return x[k]
        if y[k] * y[k + 1] < 0.0:
            return x[k] - y[k] * (x[k + 1] - x[k]) / (y[k + 1] - y[k])
    return np.nan


def dales_law(args):
    jobs = load(args.db, args.sweep or "sal_dales_law", "eisys")
    plane = [j for j in jobs if j["block"] == "phase_plane"]
    w = np.array(sorted({j["params"]["ei"]["e2_e1"] for j in plane}))
    index = {v: k for k, v in enumerate(w)}
    stdp_21 = np.full((len(w), len(w)), np.nan)  # [e2_e1, e1_e2]: ΔW_e2_e1
    stdp_12 = np.full((len(w), len(w)), np.nan)
    effw_21 = np.full(len(w), np.nan)
    effw_12 = np.full(len(w), np.nan)
    for j in plane:
        a, c = index[j["params"]["ei"]["e2_e1"]], index[j["params"]["ei"]["e1_e2"]]
        stdp_21[a, c] = j["metrics"]["stdp_e2_e1"]
        stdp_12[a, c] = j["metrics"]["stdp_e1_e2"]
        effw_21[a] = j["metrics"]["effw_e2_e1"]
        effw_12[c] = j["metrics"]["effw_e1_e2"]
    # SAL's nullcline: per e2_e1 the e1_e2 where ΔW_e2_e1 changes sign, in raw and effective weights.
    crossing = np.array([zero_crossing(w, stdp_21[a]) for a in range(len(w))])
    offset_12 = effw_12[0] - w[0]  # W_eff,12 = w_e1_e2 + offset_12
    eff_crossing = crossing + offset_12
    ok = np.isfinite(crossing)
    summary = {
        "jobs": len(plane),
        "raw_offset": float(np.mean(crossing[ok] - w[ok])),
        "mean_field_offset": float(effw_21[0] - w[0] - offset_12),
        "effective_offset": float(np.mean(eff_crossing[ok] - effw_21[ok])),
    }
    dale = {j["params"]["ei"]["e2_e1"]: j["metrics"]["rate_e2"] for j in jobs if j["block"] == "rates_dale"}
    direct = {float(j["tags"]["w_ee"]): j["metrics"]["rate_e2"] for j in jobs if j["block"] == "rates_direct"}
    if dale and direct:
        common = sorted(set(dale) & set(direct))
        summary["rates"] = {str(v): {"dale_e2": dale[v], "direct_e2": direct[v]} for v in common}
        summary["rates_max_diff"] = float(max(abs(dale[v] - direct[v]) for v in common))
    if args.output:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, axes = plt.subplots(1, 2, figsize=(8, 3.6), layout="constrained")
        ax = axes[0]
        magnitude = np.hypot(stdp_12, stdp_21)
        im = ax.contourf(effw_12, effw_21, magnitude / np.nanmax(magnitude), 15, cmap="GnBu")
        fig.colorbar(im, ax=ax, label=r"$\sqrt{\Delta W_{ij}^2 + \Delta W_{ji}^2}$")
        ax.quiver(effw_12[::2], effw_21[::2], stdp_12[::2, ::2], stdp_21[::2, ::2], pivot="mid")
        ax.contour(effw_12, effw_21, stdp_21, [0.0], colors="red")
        lo, hi = max(effw_12[0], effw_21[0]), min(effw_12[-1], effw_21[-1])
        ax.plot([lo, hi], [lo, hi], "k--", lw=0.8, label=r"$W^\mathrm{eff}_{12} = W^\mathrm{eff}_{21}$")
        ax.set_xlabel(r"$W^\mathrm{eff}_{12}$ (e2 → e1)")
        ax.set_ylabel(r"$W^\mathrm{eff}_{21}$ (e1 → e2)")
        ax.set_aspect("equal")
        ax.legend(loc="lower right")
        if dale and direct:
            ax = axes[1]
            ax.plot(common, [dale[v] for v in common], "o", mfc="none", label="E-I")
            ax.plot(common, [direct[v] for v in common], "s", ms=3, label="direct, $W^\\mathrm{eff}$")
            ax.set_xlabel(r"$W^\mathrm{EE}_{21}$")
            ax.set_ylabel(r"rate of e2 [$\tau_\mathrm{ref}^{-1}$]")
            ax.legend()
        fig.savefig(args.output, dpi=150)
    return summary


def fig2d(args):
    import h5py

    jobs = load(args.db, args.sweep or "sal_fig2d", "eisys")
    curves = {}
    for j in jobs:
        with h5py.File(j["payload"], "r") as f:
            curves.setdefault(j["block"], []).append(f["weights"][()])
    summary = {}
    for block, runs in curves.items():
        final = np.array([r[-1] for r in runs])
        summary[block] = {"runs": len(runs), "final_w_12": float(final[:, 0, 1].mean()),
                          "final_w_21": float(final[:, 1, 0].mean()),
                          "max_sum_drift": float(max(np.abs(r[:, 0, 1] + r[:, 1, 0] - r[0, 0, 1] - r[0, 1, 0]).max()
                                                     for r in runs))}
    if args.output:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        fig, ax = plt.subplots(figsize=(5, 3), layout="constrained")
        colors = {"both": ("darkred", "red"), "one_fixed": ("dimgray", "darkgray"), "reference_seed45": ("C0", "C1")}
        for block, runs in curves.items():
            c = colors.get(block, ("k", "k"))
            for k, r in enumerate(runs):
                epochs = np.arange(len(r))
                ax.plot(epochs, r[:, 1, 0], color=c[0], lw=0.8, label=f"$W_{{21}}$ ({block})" if k == 0 else None)
                ax.plot(epochs, r[:, 0, 1], color=c[1], lw=0.8, ls="--", label=f"$W_{{12}}$ ({block})" if k == 0 else None)
        ax.set_xlabel("epoch (1500 steps)")
        ax.set_ylabel("$W$")
        ax.legend(fontsize=7, ncols=2)
        fig.savefig(args.output, dpi=150)
    return summary


def salnet(args):
    """Angle and correlation between W and B^T per epoch (mean and spread over the jobs of each
    block and learning rate), and the final W-B scatter of the first job, per layer pair."""
    import h5py

    jobs = load(args.db, args.sweep or "sal_fig7", "salnet")
    groups = {}
    for j in jobs:
        with h5py.File(j["payload"], "r") as f:
            run = {"angle": f["angle"][()], "corr": f["corr"][()]}
            pairs = run["angle"].shape[1]
            run["scatter"] = [(f[f"w_{k + 1}"][()], f[f"fb_{k}_t"][()]) for k in range(pairs)]
        groups.setdefault((j["block"], j["params"]["lr"]), []).append(run)
    summary = {}
    for (block, lr), runs in groups.items():
        angle = np.array([r["angle"] for r in runs])  # [run, epoch, pair]
        corr = np.array([r["corr"] for r in runs])
        half = (angle.shape[1] - 1) // 2
        summary[f"{block or 'all'} lr={lr}"] = {
            "runs": len(runs),
            "angle_start": angle[:, 0].mean(axis=0).tolist(),
            "angle_half": angle[:, half].mean(axis=0).tolist(),
            "angle_half_sd": angle[:, half].std(axis=0).tolist(),
            "angle_end": angle[:, -1].mean(axis=0).tolist(),
            "angle_end_sd": angle[:, -1].std(axis=0).tolist(),
            "corr_end": corr[:, -1].mean(axis=0).tolist(),
        }
    if args.output:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        first = next(iter(groups.values()))[0]
        pairs = len(first["scatter"])
        fig, axes = plt.subplots(1, 2 + pairs, figsize=(3.2 * (2 + pairs), 3), layout="constrained")
        for (block, lr), runs in groups.items():
            angle = np.array([r["angle"] for r in runs])
            corr = np.array([r["corr"] for r in runs])
            epochs = np.arange(angle.shape[1])
            for k in range(angle.shape[2]):
                label = f"pair {k}, lr {lr}"
                axes[0].plot(epochs, angle[:, :, k].mean(axis=0), label=label)
                axes[0].fill_between(epochs, angle[:, :, k].min(axis=0), angle[:, :, k].max(axis=0), alpha=0.2)
                axes[1].plot(epochs, corr[:, :, k].mean(axis=0), label=label)
        axes[0].set_xlabel("epoch")
        axes[0].set_ylabel(r"$\angle(W, B^T)$ [deg]")
        axes[1].set_xlabel("epoch")
        axes[1].set_ylabel("corr(W, $B^T$)")
        axes[0].legend(fontsize=7)
        for k, (w, b) in enumerate(first["scatter"]):
            ax = axes[2 + k]
            ax.scatter(w.ravel(), b.ravel(), s=2, alpha=0.2)
            bound = 1.1 * max(np.abs(w).max(), np.abs(b).max())
            ax.plot([-bound, bound], [-bound, bound], "k--", lw=0.8)
            ax.set_xlim(-bound, bound)
            ax.set_ylim(-bound, bound)
            ax.set_aspect("equal")
            ax.set_xlabel(f"$W_{k + 1}$")
            ax.set_ylabel(f"$B_{k}^T$ (final)")
        fig.savefig(args.output, dpi=150)
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=["ppd", "fig11", "dales-law", "fig2d", "salnet"])
    parser.add_argument("db", help="the sweep_runner index (OUT/index.db)")
    parser.add_argument("--sweep", help="sweep name (default: the figure's sweep file's)")
    parser.add_argument("-o", "--output", help="save the figure here")
    args = parser.parse_args()
    summary = {"ppd": ppd, "fig11": fig11, "dales-law": dales_law, "fig2d": fig2d, "salnet": salnet}[args.what](args)
    print(json.dumps(summary, indent=1))


if __name__ == "__main__":
    main()
