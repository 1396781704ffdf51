#!/usr/bin/env python3
"""Score every (rule pair, fitness) record of the published correlation-task runs with e2l.correlation.

e2l-cgp-snn stores, per evolution run i, the champion's expressions per generation
(champion_evol_<i>.txt, lines "[[depress], [facilitate]]") and the parents' fitness per generation
(fitness_<i>.npy, rows sorted best first). Line g with row g's best value is one record. This tool
collects the distinct records, writes them as a sweep (one job each, tag published_fitness), runs
it, and reports the relative errors of our fitness against the published one.

  tools/e2l_published_records.py --data E2L/data/correlation_based/6a8d0387281207f8c8ed345d40a417fb \
      --inputs ../shared/reference/e2l/correlation.h5 [--binary build/release/cli/sweep_runner] \
      [--out results/e2l_records] [--jobs 2] [--limit N]

Needs numpy (Debian python3-numpy).
"""
import argparse
import csv
import glob
import io
import json
import os
import re
import subprocess
import sys

import numpy as np


def records(data_dir):
    """Distinct (depress, facilitate) -> (published fitness, run, generation)."""
    out = {}
    for path in sorted(glob.glob(os.path.join(data_dir, "champion_evol_*.txt"))):
        run = int(re.search(r"champion_evol_(\d+)\.txt$", path).group(1))
        fitness_path = os.path.join(data_dir, f"fitness_{run}.npy")
        if not os.path.exists(fitness_path):
            continue
        fitness = np.load(fitness_path)
        with open(path) as f:
            lines = [line.strip() for line in f if line.strip()]
        for g, line in enumerate(lines[: len(fitness)]):
            depress, facilitate = line[2:-2].split("], [")
            best = float(np.max(fitness[g]))
            out.setdefault((depress, facilitate), (best, run, g))
    return out


def write_sweep(path, recs, inputs):
    # JSON is YAML: no quoting rules to get wrong for the expressions.
    jobs = [
        {"rule.depress": d, "rule.facilitate": f,
         "tags": {"published_fitness": fit, "run": run, "generation": g}}
        for (d, f), (fit, run, g) in recs.items()
        if np.isfinite(fit)
    ]
    sweep = {"name": "e2l_published_records", "model": "e2l.correlation",
             "params": {"inputs.file": os.path.abspath(inputs)}, "jobs": jobs}
    with open(path, "w") as f:
        json.dump(sweep, f, indent=1)
    return len(jobs)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="data/correlation_based/<hash> of an e2l-cgp-snn checkout")
    ap.add_argument("--inputs", required=True, help="correlation.h5 (the reference inputs)")
    ap.add_argument("--binary", default="build/release/cli/sweep_runner")
    ap.add_argument("--out", default="results/e2l_records")
    ap.add_argument("--jobs", type=int, default=2)
    ap.add_argument("--limit", type=int, default=0, help="score only the first N records")
    args = ap.parse_args()

    recs = records(args.data)
    if args.limit:
        recs = dict(list(recs.items())[: args.limit])
    os.makedirs(args.out, exist_ok=True)
    sweep_path = os.path.join(args.out, "sweep.yaml")
    n = write_sweep(sweep_path, recs, args.inputs)
    print(f"{n} distinct records with finite fitness from {args.data}", file=sys.stderr)
    subprocess.run([args.binary, "run", sweep_path, "--out", args.out, "-j", str(args.jobs), "-q"], check=True)
    table = subprocess.run(
        [args.binary, "results", os.path.join(args.out, "index.db"), "--sweep", "e2l_published_records",
         "--columns", "tag.run", "tag.generation", "tag.published_fitness", "fitness",
         "rule.depress", "rule.facilitate", "--format", "csv"],
        check=True, capture_output=True, text=True).stdout
    rows = list(csv.DictReader(io.StringIO(table)))
    errors = []
    for r in rows:
        want, got = float(r["tag.published_fitness"]), float(r["fitness"])
        errors.append((abs(got - want) / max(abs(want), 1e-300), r))
    errors.sort(key=lambda e: e[0])
    rel = np.array([e for e, _ in errors])
    print(f"scored {len(rel)} records; relative error of the fitness:")
    for bound in (1e-12, 1e-9, 1e-6, 1e-3, 1e-1):
        print(f"  <= {bound:g}: {np.sum(rel <= bound)} ({100.0 * np.mean(rel <= bound):.1f}%)")
    print("largest:")
    for e, r in errors[-10:]:
        print(f"  {e:.3g}  run {r['tag.run']} gen {r['tag.generation']}: published {r['tag.published_fitness']}, "
              f"ours {r['fitness']}  [{r['rule.depress']}] [{r['rule.facilitate']}]")


if __name__ == "__main__":
    main()
