#!/usr/bin/env python3
"""Score the published error-driven champions (e2l-cgp-snn, Fig. 4) with e2l.error.

Two sets, each written as a sweep (one job per rule), run with our binary and compared:
  evolution   every distinct (rule, fitness) of res_<run>.pkl (the champion of each generation
              and its fitness on the 15 evolution trials), scored on the group `evolution`
  validation  each run's final champion, scored on the group `validation` (seeds 817818273 + k),
              against the mean of its 15 errors in res_test_<run>.pkl
It prints the distribution of relative errors of the fitness.

  tools/e2l_error_champions.py --data E2L/data/error-driven/91f21d6d01014991285e5264a59aa967 \
      --inputs ../shared/reference/e2l/error_driven.h5 [--binary build/release/cli/sweep_runner] \
      [--out results/e2l_error_champions] [--jobs 2]

Needs numpy (Debian python3-numpy) to read the pickles.
"""
import argparse
import csv
import glob
import io
import json
import os
import pickle
import re
import subprocess
import sys

import numpy as np


def evolution_records(data_dir):
    """Distinct rule -> (fitness, run, generation) over all res_<run>.pkl."""
    out = {}
    for path in sorted(glob.glob(os.path.join(data_dir, "res_[0-9]*.pkl"))):
        run = int(re.search(r"res_(\d+)\.pkl$", path).group(1))
        with open(path, "rb") as f:
            res = pickle.load(f)
        for g, (rule, fit) in enumerate(zip(res["expr_champion"], res["fitness_champion"])):
            out.setdefault(rule, (float(fit), run, g))
    return out


def validation_records(data_dir):
    out = {}
    for path in sorted(glob.glob(os.path.join(data_dir, "res_test_*.pkl"))):
        run = int(re.search(r"res_test_(\d+)\.pkl$", path).group(1))
        with open(os.path.join(data_dir, f"res_{run}.pkl"), "rb") as f:
            rule = pickle.load(f)["expr_champion"][-1]
        with open(path, "rb") as f:
            errors = np.asarray(pickle.load(f))
        out.setdefault(rule, (float(np.mean(errors)), run, -1))
    return out


def score(binary, out_dir, name, group, recs, inputs, jobs):
    os.makedirs(out_dir, exist_ok=True)
    sweep = {"name": name, "model": "e2l.error",
             "params": {"inputs.file": os.path.abspath(inputs), "inputs.group": group},
             "jobs": [{"rule": rule, "tags": {"published_fitness": fit, "run": run, "generation": g}}
                      for rule, (fit, run, g) in recs.items() if np.isfinite(fit)]}
    path = os.path.join(out_dir, f"{name}.yaml")
    with open(path, "w") as f:
        json.dump(sweep, f, indent=1)  # JSON is YAML
    subprocess.run([binary, "run", path, "--out", out_dir, "-j", str(jobs), "-q"], check=True)
    table = subprocess.run(
        [binary, "results", os.path.join(out_dir, "index.db"), "--sweep", name, "--columns", "tag.run",
         "tag.generation", "tag.published_fitness", "fitness", "rule", "--format", "csv"],
        check=True, capture_output=True, text=True).stdout
    return list(csv.DictReader(io.StringIO(table)))


def report(title, rows):
    errors = []
    for r in rows:
        want, got = float(r["tag.published_fitness"]), float(r["fitness"])
        errors.append((abs(got - want) / max(abs(want), 1e-300), got / want, r))
    errors.sort(key=lambda e: e[0])
    rel = np.array([e for e, _, _ in errors])
    print(f"{title}: {len(rel)} rules; relative error of the fitness:")
    for bound in (1e-9, 1e-6, 1e-4, 1e-2, 1e-1, 0.3):
        print(f"  <= {bound:g}: {np.sum(rel <= bound)} ({100.0 * np.mean(rel <= bound):.1f}%)")
    if len(rel):
        ratio = np.array([q for _, q, _ in errors])
        print(f"  ours / published: median {np.median(ratio):.4f}, range {ratio.min():.4f} .. {ratio.max():.4f}")
    for e, _, r in errors[-5:]:
        print(f"  {e:.3g}  run {r['tag.run']} gen {r['tag.generation']}: published {r['tag.published_fitness']}, "
              f"ours {r['fitness']}  {r['rule']}")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="data/error-driven/<hash> of an e2l-cgp-snn checkout")
    ap.add_argument("--inputs", required=True, help="error_driven.h5 (the reference inputs)")
    ap.add_argument("--binary", default="build/release/cli/sweep_runner")
    ap.add_argument("--out", default="results/e2l_error_champions")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()
    evo = evolution_records(args.data)
    val = validation_records(args.data)
    print(f"{len(evo)} distinct evolution records, {len(val)} validated champions", file=sys.stderr)
    report("validation (res_test_*.pkl)",
           score(args.binary, args.out, "e2l_error_validated", "validation", val, args.inputs, args.jobs))
    report("evolution (res_*.pkl)",
           score(args.binary, args.out, "e2l_error_records", "evolution", evo, args.inputs, args.jobs))


if __name__ == "__main__":
    main()
