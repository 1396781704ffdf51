#!/usr/bin/env python3
"""Runs one training script of a local GLE checkout (unibe-cns/gle-code) as a sweep_runner job.

GLE is patent-protected, so sweep_runner has no native GLE: you sweep your own installation with
``model: exec`` and this adapter (see sweeps/examples/gle_mimic.yaml and docs/exec.md)::

    command: ["/usr/bin/python3", "{sweep_dir}/../../tools/gle_job.py",
              "--checkout", "/path/to/gle-code", "experiments/mimic/lagline.py", "--model=gle"]

What it does, in the job's own folder (the script writes its ``results/...`` there):
- the job's parameters under ``gle`` (e.g. ``gle.seed``, ``gle.lr``, ``gle.T_train``) replace the
  entries of the script's ``params = {...}`` dictionary, which GLE's scripts define literally in
  their ``__main__`` block (the script file itself is not changed; an unknown key is an error, so a
  typo cannot silently train with the default);
- ``torch_threads`` (default: $OMP_NUM_THREADS or 1) caps PyTorch's threads, so the jobs running
  side by side each get their own cores;
- after the script, every ``*.pkl`` it wrote (pandas DataFrames or dicts of lists, GLE's metrics
  format) becomes job results: each numeric column an array ``<file>.<column>``, and its last and
  minimum values metrics ``<file>.<column>.final`` / ``.min``.
"""
import argparse
import ast
import glob
import math
import os
import pickle
import sys

import sweep_job


def parse_args(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--checkout", required=True, help="the GLE repository (its root)")
    parser.add_argument("script", help="training script, relative to the checkout")
    parser.add_argument("script_args", nargs=argparse.REMAINDER, help="arguments for the script")
    return parser.parse_args(argv)


def with_overrides(source, filename, overrides):
    """The script's syntax tree with ``params.update(overrides)`` right after its first
    ``params = {...}`` assignment inside ``if __name__ == "__main__":``."""
    tree = ast.parse(source, filename)
    for node in tree.body:
        if not (isinstance(node, ast.If) and "__main__" in ast.unparse(node.test)):
            continue
        for i, stmt in enumerate(node.body):
            if (isinstance(stmt, ast.Assign) and isinstance(stmt.value, ast.Dict)
                    and any(isinstance(t, ast.Name) and t.id == "params" for t in stmt.targets)):
                known = {ast.literal_eval(k) for k in stmt.value.keys if isinstance(k, ast.Constant)}
                unknown = sorted(set(overrides) - known)
                if unknown:
                    sys.exit(f"gle_job: {filename}: params has no key {unknown[0]!r} "
                             f"(it has: {', '.join(sorted(known))})")
                update = ast.parse(f"params.update({overrides!r})").body[0]
                node.body.insert(i + 1, update)
                return ast.fix_missing_locations(tree)
    if overrides:
        sys.exit(f"gle_job: {filename}: no `params = {{...}}` in its __main__ block to override")
    return tree


def columns(table):
    """Name -> list of floats for the numeric columns of a DataFrame or a dict of lists."""
    if hasattr(table, "select_dtypes"):
        table = {name: table[name].tolist() for name in table.select_dtypes("number").columns}
    out = {}
    for name, values in dict(table).items():
        try:
            out[str(name)] = [float(v) for v in values]
        except (TypeError, ValueError):
            continue  # text or nested columns are not metrics
    return out


def main():
    args = parse_args(sys.argv[1:])
    params = sweep_job.params()
    overrides = params.get("gle", {})
    threads = int(params.get("torch_threads", os.environ.get("OMP_NUM_THREADS", 1)))
    checkout = os.path.abspath(args.checkout)
    script = os.path.join(checkout, args.script)
    with open(script, encoding="utf-8") as f:
        code = compile(with_overrides(f.read(), script, overrides), script, "exec")

    os.environ["OMP_NUM_THREADS"] = str(threads)
    sys.path.insert(0, checkout)  # the scripts import lib.*, data.* from the repository root
    try:
        import torch
        torch.set_num_threads(threads)
    except ImportError:
        pass  # a script that needs torch will say so itself

    # The scripts write into ./results/<experiment>/ without creating it (the folders come with the
    # repository): give the job's folder the checkout's results/ tree, folders only.
    for folder, _, _ in os.walk(os.path.join(checkout, "results")):
        os.makedirs(os.path.relpath(folder, checkout), exist_ok=True)
    before = set(glob.glob("**/*.pkl", recursive=True))
    sys.argv = [script] + [a for a in args.script_args if a != "--"]
    exec(code, {"__name__": "__main__", "__file__": script})
    written = sorted(set(glob.glob("**/*.pkl", recursive=True)) - before)
    if not written:
        sys.exit(f"gle_job: {args.script} wrote no *.pkl metrics file")

    metrics, arrays = {}, {}
    for path in written:
        with open(path, "rb") as f:
            stem = os.path.splitext(os.path.basename(path))[0]
            for name, values in columns(pickle.load(f)).items():
                arrays[f"{stem}.{name}"] = values
                finite = [v for v in values if math.isfinite(v)]
                metrics[f"{stem}.{name}.final"] = values[-1] if values else math.nan
                metrics[f"{stem}.{name}.min"] = min(finite) if finite else math.nan
    sweep_job.write(metrics, arrays)


if __name__ == "__main__":
    main()
