#!/usr/bin/python3
"""Best fitness per generation of every evolution of a sweep, and the champions table (the layout
of e2l-cgp-snn's Fig. 5: one curve per run, the final champion rules listed by fitness).

    tools/evolution_plot.py results/index.db --sweep e2l_correlation -o fitness.png

Prints the champions table (run, generations, fitness, rules) on stdout.
Runs the Debian python (/usr/bin/python3 with matplotlib).
"""

import argparse

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from sweep_index import evolution_generations


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("db")
    parser.add_argument("--sweep", required=True)
    parser.add_argument("-o", "--out", default="evolution_fitness.png")
    args = parser.parse_args()
    runs = evolution_generations(args.db, args.sweep)

    fig, ax = plt.subplots(figsize=(6, 4))
    for i, generations in runs.items():
        best = [g["champion_fitness"] for g in generations]
        ax.plot([g["generation"] for g in generations], best, lw=1, label=f"run {i}")
    ax.set_xlabel("generation")
    ax.set_ylabel("fitness of the champion")
    if len(runs) <= 10:
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(args.out, dpi=150)

    print(f"{'run':>4} {'generations':>11} {'fitness':>12}  rules")
    final = sorted(runs.items(), key=lambda item: -item[1][-1]["champion_fitness"])
    for i, generations in final:
        last = generations[-1]
        print(f"{i:>4} {len(generations):>11} {last['champion_fitness']:>12.6g}  " + "   ".join(last["champion_rules"]))
    print(f"plot: {args.out}")


if __name__ == "__main__":
    main()
