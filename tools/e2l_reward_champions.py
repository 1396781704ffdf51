#!/usr/bin/env python3
"""Score the stored reward-task champions of e2l-cgp-snn with e2l.reward and rank them against the reference.

e2l-cgp-snn's data/reward-driven/<hash>/res_<i>.pkl holds, per evolution run i, the champion's
expression and fitness per generation (keys expr_champion, fitness_champion). This tool collects the
distinct (expression, fitness) records, writes them as a sweep (one job per record and noise seed,
tag published_fitness), runs it, and reports each record's mean fitness over the seeds and the
Spearman rank correlation between our mean and the published fitness. NEST's escape noise and
connectivity cannot be reproduced, so only the ranking (and the statistics) can agree.

  tools/e2l_reward_champions.py --data E2L/data/reward-driven/9db4731418d083fcd3d0d9528f805aaa \
      --inputs ../shared/reference/e2l/reward_driven.h5 [--seeds 0,1,2] \
      [--binary build/release/cli/sweep_runner] [--out results/e2l_reward_champions] [--jobs 2]

Needs numpy (Debian python3-numpy; the pickles hold numpy arrays).
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
    """Distinct expression -> (published fitness, run, first generation)."""
    import pickle

    out = {}
    for path in sorted(glob.glob(os.path.join(data_dir, "res_*.pkl"))):
        m = re.search(r"res_(\d+)\.pkl$", path)
        if not m:
            continue  # res_test.pkl: validation sums, no champions
        with open(path, "rb") as f:
            history = pickle.load(f)
        for g, (expr, fit) in enumerate(zip(history["expr_champion"], history["fitness_champion"])):
            out.setdefault(expr, (float(fit), int(m.group(1)), g))
    return out


def average_ranks(values):
    order = np.argsort(values, kind="stable")
    ranks = np.empty(len(values))
    sorted_values = np.asarray(values)[order]
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and sorted_values[j + 1] == sorted_values[i]:
            j += 1
        ranks[order[i : j + 1]] = (i + j) / 2.0 + 1.0
        i = j + 1
    return ranks


def spearman(a, b):
    ra, rb = average_ranks(a), average_ranks(b)
    return float(np.corrcoef(ra, rb)[0, 1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="data/reward-driven/<hash> of an e2l-cgp-snn checkout")
    ap.add_argument("--inputs", required=True, help="reward_driven.h5 (the reference inputs)")
    ap.add_argument("--seeds", default="0,1,2", help="noise and connection seeds, comma-separated")
    ap.add_argument("--binary", default="build/release/cli/sweep_runner")
    ap.add_argument("--out", default="results/e2l_reward_champions")
    ap.add_argument("--jobs", type=int, default=2)
    args = ap.parse_args()

    recs = records(args.data)
    seeds = [int(s) for s in args.seeds.split(",")]
    jobs = [
        {"rule": expr, "noise.seed": s, "connections.seed": s,
         "tags": {"published_fitness": fit, "run": run, "generation": g}}
        for expr, (fit, run, g) in recs.items()
        for s in seeds
    ]
    sweep = {"name": "e2l_reward_champions", "model": "e2l.reward",
             "params": {"inputs.file": os.path.abspath(args.inputs)}, "jobs": jobs}
    os.makedirs(args.out, exist_ok=True)
    sweep_path = os.path.join(args.out, "sweep.yaml")
    with open(sweep_path, "w") as f:
        json.dump(sweep, f, indent=1)  # JSON is YAML
    print(f"{len(recs)} distinct champion rules from {args.data}, seeds {seeds}", file=sys.stderr)
    subprocess.run([args.binary, "run", sweep_path, "--out", args.out, "-j", str(args.jobs), "-q"], check=True)
    table = subprocess.run(
        [args.binary, "results", os.path.join(args.out, "index.db"), "--sweep", "e2l_reward_champions",
         "--columns", "tag.run", "tag.generation", "tag.published_fitness", "noise.seed", "fitness", "rule",
         "--format", "csv"],
        check=True, capture_output=True, text=True).stdout
    ours = {}
    published = {}
    for r in csv.DictReader(io.StringIO(table)):
        ours.setdefault(r["rule"], {})[int(r["noise.seed"])] = float(r["fitness"])
        published[r["rule"]] = (float(r["tag.published_fitness"]), r["tag.run"], r["tag.generation"])
    rules = sorted(ours, key=lambda e: published[e][0])
    print(f"{'published':>9} {'ours (mean over seeds)':>24}  run gen  rule")
    for e in rules:
        v = np.array(list(ours[e].values()))
        print(f"{published[e][0]:9.1f} {v.mean():12.1f} +- {v.std(ddof=1) if len(v) > 1 else 0.0:7.1f}  "
              f"{published[e][1]:>3} {published[e][2]:>3}  {e}")
    pub = np.array([published[e][0] for e in rules])
    mean = np.array([np.mean(list(ours[e].values())) for e in rules])
    print(f"Spearman rank correlation over {len(rules)} rules: {spearman(pub, mean):.3f}")
    for s in seeds:
        if all(s in ours[e] for e in rules):
            print(f"  seed {s} alone: {spearman(pub, np.array([ours[e][s] for e in rules])):.3f}")


if __name__ == "__main__":
    main()
