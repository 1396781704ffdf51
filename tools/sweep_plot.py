#!/usr/bin/python3
"""Plot any sweep from its index: a metric against a parameter, or a payload array as curves, with
the median and quartiles over the jobs that share a point (the axes not plotted: seeds, repeats).

    sweep_plot.py DB --x KEY --y METRIC [--hue COLUMN] [--sweep S] [--logx] [--logy] [-o FILE]
    sweep_plot.py DB --curve ARRAY [--x KEY] [--hue COLUMN] ...   one curve per group over the array

KEY, METRIC and COLUMN are columns of `sweep_index.load`: parameters by dotted key, `tag.<name>`,
metrics, `index`. Log axes keep zeros and negative values visible (symmetric log, linear within the
smallest non-zero magnitude). Besides the figure, the numbers plotted are printed as a table, one
line per point: group, x, n, median, q25, q75. Uses Debian's python3-pandas, -h5py, -matplotlib.
"""
import argparse
import difflib
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))  # the folder holding sweep_index.py

import numpy as np  # noqa: E402

from sweep_index import load, stack  # noqa: E402


def fail(message):
    sys.exit(f"error: {message}")


def column(df, name, what):
    """The column `name`, or an error naming the closest columns."""
    if name == "index":
        return df.index.get_level_values("index").to_series(index=df.index)
    if name not in df.columns:
        guess = difflib.get_close_matches(name, list(df.columns), n=3)
        hint = f" (did you mean {', '.join(guess)}?)" if guess else f" (columns: {', '.join(df.columns)})"
        fail(f"{what} '{name}' is not a column of the sweep{hint}")
    return df[name]


def quartiles(values):
    values = np.asarray(values, dtype=float)
    return np.nanmedian(values, axis=0), np.nanpercentile(values, 25, axis=0), np.nanpercentile(values, 75, axis=0)


def symlog_threshold(values):
    """Symmetric-log linear range: the smallest non-zero magnitude, so that zeros stay on the plot."""
    magnitudes = np.abs(np.asarray(values, dtype=float))
    magnitudes = magnitudes[np.isfinite(magnitudes) & (magnitudes > 0)]
    return float(magnitudes.min()) if magnitudes.size else 1.0


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("db", help="the index (results/index.db)")
    parser.add_argument("--sweep", help="sweep name (default: the index's only sweep)")
    parser.add_argument("--x", help="parameter (or tag, metric, index) on the x axis")
    parser.add_argument("--y", help="metric (or parameter) on the y axis")
    parser.add_argument("--hue", help="one line per value of this column (e.g. tag.sal)")
    parser.add_argument("--curve", help="payload array to plot against its position, one curve per group")
    parser.add_argument("--logx", action="store_true", help="symmetric-log x axis")
    parser.add_argument("--logy", action="store_true", help="symmetric-log y axis")
    parser.add_argument("-o", "--out", help="figure file (default: <sweep>_<y or curve>.png)")
    args = parser.parse_args(argv)
    if args.curve is None and (args.x is None or args.y is None):
        parser.error("give --x and --y, or --curve")

    df = load(args.db, args.sweep)
    sweep = df.attrs["sweep"]
    done = df[df["status"] == "done"]
    if done.empty:
        fail(f"sweep '{sweep}' has no done jobs to plot")
    hue = column(done, args.hue, "--hue").astype(str) if args.hue else None
    x = column(done, args.x, "--x") if args.x else None
    y = column(done, args.y, "--y") if args.y else None

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    groups = [(None, done.index)] if hue is None else [(h, done.index[hue == h]) for h in sorted(hue.unique())]
    print("group\tx\tn\tmedian\tq25\tq75")
    plotted = []
    for name, rows in groups:
        label = "all" if name is None else f"{args.hue}={name}"
        if args.curve is None:
            points = []
            for value in sorted(x.loc[rows].unique()):
                selected = y.loc[rows][x.loc[rows] == value].dropna()
                if selected.empty:
                    continue
                median, q25, q75 = quartiles(selected.to_numpy())
                points.append((value, len(selected), median, q25, q75))
                print(f"{label}\t{value}\t{len(selected)}\t{median:.17g}\t{q25:.17g}\t{q75:.17g}")
            if not points:
                continue
            xs, _, med, low, high = (np.array(v, dtype=float) for v in zip(*points))
            ax.plot(xs, med, marker="o", label=label)
            ax.fill_between(xs, low, high, alpha=0.25)
            plotted.extend([xs, med])
        else:
            subgroups = [(None, rows)] if x is None else [
                (value, rows[(x.loc[rows] == value).to_numpy()]) for value in sorted(x.loc[rows].unique())]
            for value, members in subgroups:
                curves = stack(done.loc[members], args.curve)
                median, q25, q75 = quartiles(curves)
                steps = np.arange(curves.shape[1]) if curves.ndim > 1 else np.arange(1)
                name_x = "" if value is None else f"{args.x}={value}"
                print(f"{label}\t{name_x}\t{len(curves)}\t{median[-1]:.17g}\t{q25[-1]:.17g}\t{q75[-1]:.17g}")
                ax.plot(steps, median, label=" ".join(p for p in (label if name is not None else "", name_x) if p) or label)
                ax.fill_between(steps, q25, q75, alpha=0.25)
                plotted.extend([steps, median])
    if not plotted:
        fail(f"nothing to plot: no done job of sweep '{sweep}' has a value of {args.y or args.curve}")
    if args.logx:
        ax.set_xscale("symlog", linthresh=symlog_threshold(np.concatenate(plotted[0::2])))
    if args.logy:
        ax.set_yscale("symlog", linthresh=symlog_threshold(np.concatenate(plotted[1::2])))
    ax.set_xlabel(args.x if args.curve is None else "position in " + args.curve)
    ax.set_ylabel(args.y if args.curve is None else args.curve)
    ax.set_title(f"{sweep}: median and quartiles")
    if len(groups) > 1 or (args.curve is not None and x is not None):
        ax.legend()
    out = args.out or f"{sweep}_{args.y or args.curve}.png"
    fig.tight_layout()
    fig.savefig(out, dpi=120)
    print(f"wrote {out}", file=sys.stderr)


if __name__ == "__main__":
    try:
        main()
    except BrokenPipeError:  # the table piped into head
        sys.exit(0)
    except (ValueError, KeyError, OSError) as e:  # sweep_index's reasons: no such index, sweep, dataset, shape
        fail(e.args[0] if e.args else e)
