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

With --validation VSWEEP (the sweep tools/evolution_validation.py wrote and sweep_runner ran), also

    OUT/res_test_{i}.pkl       the champion's fitness per validation trial (numpy array), as
                               run_validation_sim.py writes it: minus the L2 error per trial for
                               e2l.error (Fig. 4), the summed reward per experiment for e2l.reward
                               (Fig. 3 reads the one run it shows as res_test.pkl)

Runs the Debian python (/usr/bin/python3 with numpy).
"""

import argparse
import os
import pickle

import numpy as np

from sweep_index import evolution_generations, load, payload

# Per model: the payload array holding one fitness term per trial, and its sign in the fitness.
PER_TRIAL_FITNESS = {"e2l.error": ("error", -1.0), "e2l.reward": ("reward_sum", 1.0)}


def write_validation(db, sweep, out):
    """res_test_{i}.pkl from the done jobs of the validation sweep, by their `evolution` tag."""
    try:
        jobs = load(db, sweep)
    except ValueError as e:  # no such sweep
        raise SystemExit(f"{e}: no done validation jobs (write the sweep with tools/evolution_validation.py, then run it)")
    done = jobs[jobs.status == "done"]
    if "tag.evolution" not in jobs.columns or done.empty:
        raise SystemExit(f"sweep '{sweep}' of {db}: no done validation jobs with an `evolution` tag "
                         f"(write it with tools/evolution_validation.py, then run it)")
    for _, job in done.iterrows():
        if job.model not in PER_TRIAL_FITNESS:
            raise SystemExit(f"model {job.model}: no per-trial fitness known (have: {', '.join(PER_TRIAL_FITNESS)})")
        name, sign = PER_TRIAL_FITNESS[job.model]
        trials = sign * np.asarray(payload(job)[name], dtype=float)
        with open(os.path.join(out, f"res_test_{int(job['tag.evolution'])}.pkl"), "wb") as f:
            pickle.dump(trials, f)
    return len(done)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("db")
    parser.add_argument("--sweep", required=True)
    parser.add_argument("-o", "--out", required=True)
    parser.add_argument("--validation", metavar="VSWEEP",
                        help="also res_test_{i}.pkl from this sweep's jobs (tools/evolution_validation.py)")
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
    if args.validation:
        print(f"wrote {write_validation(args.db, args.validation, args.out)} validation results to {args.out}")


if __name__ == "__main__":
    main()
