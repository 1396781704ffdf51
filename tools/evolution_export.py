#!/usr/bin/python3
"""Export the evolutions of a sweep to the layout e2l-cgp-snn's experiments write, so that its
figure scripts (figures/Fig5_corr_learning.py and the like) read our runs unchanged.

    tools/evolution_export.py results/index.db --sweep e2l_correlation -o results/e2l_correlation

writes, for each evolution i (its position in the sweep: run i of seed 123 + i in
sweeps/e2l_correlation.yaml):

    OUT/fitness_{i}.npy        the parents' fitness per generation, best first (generations x mu)
    OUT/champion_{i}.txt       "<generations>,<fitness>,<rule 0>,<rule 1>": the last champion
    OUT/champion_evol_{i}.txt  one line per generation: the champion's rules as "[[r0], [r1]]"
    OUT/res_{i}.pkl            the layout the error- and reward-driven runs write, read by the fitness
                               panels of figures/Fig3_reward_driven.py and Fig4_error_driven.py: a dict
                               with "fitness_champion" (per generation) and "expr_champion" (the
                               champion's rule per generation; a list of rules for evolutions of several)

(The validation files those figures also read, res_test*.pkl, come from validation runs, not from the
evolutions: not written here.)

Runs the Debian python (/usr/bin/python3 with numpy).
"""

import argparse
import os
import pickle

import numpy as np

from sweep_index import evolution_generations


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("db")
    parser.add_argument("--sweep", required=True)
    parser.add_argument("-o", "--out", required=True)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    runs = evolution_generations(args.db, args.sweep)
    for i, generations in runs.items():
        np.save(os.path.join(args.out, f"fitness_{i}.npy"), np.array([g["parent_fitness"] for g in generations]))
        last = generations[-1]
        with open(os.path.join(args.out, f"champion_{i}.txt"), "w") as f:
            f.write(",".join([str(len(generations)), str(last["champion_fitness"])] + last["champion_rules"]))
        with open(os.path.join(args.out, f"champion_evol_{i}.txt"), "w") as f:
            for g in generations:
                f.write("[" + ", ".join(f"[{r}]" for r in g["champion_rules"]) + "]\n")
        rules = [g["champion_rules"] for g in generations]
        with open(os.path.join(args.out, f"res_{i}.pkl"), "wb") as f:
            pickle.dump({"fitness_champion": np.array([g["champion_fitness"] for g in generations]),
                         "expr_champion": [r[0] if len(r) == 1 else r for r in rules]}, f)
    print(f"wrote {len(runs)} runs to {args.out}")


if __name__ == "__main__":
    main()
