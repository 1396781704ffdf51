#!/usr/bin/python3
"""Compare an evolution of a sweep with a published run of e2l-cgp-snn: the parents' fitness per
generation against the run's fitness_{i}.npy (generations x mu, best first), as far as both go.

    tools/evolution_compare.py results/index.db --sweep e2l_correlation --evolution 0 fitness_0.npy

Prints the generations compared and the largest relative difference; exits 1 when it exceeds
--tolerance (default 1e-9). Runs the Debian python (/usr/bin/python3 with numpy).
"""

import argparse
import sys

import numpy as np

from sweep_index import evolution_generations


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("db")
    parser.add_argument("--sweep", required=True)
    parser.add_argument("--evolution", type=int, default=0, help="position of the evolution in the sweep")
    parser.add_argument("--tolerance", type=float, default=1e-9)
    parser.add_argument("fitness_npy")
    args = parser.parse_args()
    ours = evolution_generations(args.db, args.sweep).get(args.evolution)
    if ours is None:
        sys.exit(f"no evolution {args.evolution} in sweep '{args.sweep}'")
    reference = np.load(args.fitness_npy)
    n = min(len(ours), len(reference))
    worst = 0.0
    for g in range(n):
        mine = np.array(ours[g]["parent_fitness"], dtype=float)
        theirs = reference[g]
        same = (mine == theirs) | (np.isinf(mine) & np.isinf(theirs) & (np.sign(mine) == np.sign(theirs)))
        rel = np.where(same, 0.0, np.abs(mine - theirs) / np.maximum(np.abs(theirs), 1e-300))
        worst = max(worst, float(np.max(rel)))
    print(f"{n} generations compared (ours {len(ours)}, reference {len(reference)}); "
          f"largest relative difference of the parents' fitness: {worst:.3g}")
    sys.exit(0 if worst <= args.tolerance else 1)


if __name__ == "__main__":
    main()
