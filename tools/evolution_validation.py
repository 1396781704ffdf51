#!/usr/bin/python3
"""Write the sweep that validates the final champion of every evolution of a sweep, as
e2l-cgp-snn's run_validation_sim.py scripts do after their evolutions:

    tools/evolution_validation.py results/index.db --sweep e2l_error \\
        --set inputs.group=validation -o e2l_error_validation.yaml
    sweep_runner run e2l_error_validation.yaml
    tools/evolution_export.py results/index.db --sweep e2l_error -o OUT --validation e2l_error_validation

One job per evolution: the parameters its fitness jobs ran with (as recorded in the index), the
champion's rules in place of the evolved ones, then the --set values (YAML scalars or lists), and
the tags `evolution` (its position in the sweep) and `champion_fitness`. evolution_export.py then
writes each job's per-trial fitness as the res_test_{i}.pkl the figure scripts read.

Runs the Debian python (/usr/bin/python3 with python3-yaml).
"""

import argparse
import json
import sqlite3
import sys

import yaml

from sweep_index import evolution_generations


class PlainDumper(yaml.SafeDumper):
    """Writes a value shared by several jobs in full each time (no &anchors and *aliases)."""

    def ignore_aliases(self, data):
        return True


def flattened(node, prefix=""):
    """{"a": {"b": 1}} -> {"a.b": 1}; lists stay one value (a list parameter)."""
    out = {}
    for key, value in node.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flattened(value, name + "."))
        else:
            out[name] = value
    return out


def evolution_points(db_path, sweep):
    """Per evolution position: (model, parameters of its fitness jobs, the names of its evolved rules)."""
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT e.position, e.config, j.model, j.params FROM evolutions e JOIN sweeps s ON s.id = e.sweep_id "
            "JOIN jobs j ON j.sweep_id = s.id AND json_extract(j.tags, '$.evolution') = e.position "
            "WHERE s.name = ? GROUP BY e.position ORDER BY e.position",
            (sweep,),
        ).fetchall()
    return {position: (model, json.loads(params), json.loads(config)["rules"])
            for position, config, model, params in rows}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("db")
    parser.add_argument("--sweep", required=True, help="the evolution sweep")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                        help="a parameter of every validation job, e.g. inputs.group=validation (repeatable)")
    parser.add_argument("--name", help="the validation sweep's name (default: SWEEP_validation)")
    parser.add_argument("-o", "--out", required=True, help="the sweep file to write")
    args = parser.parse_args()

    overrides = {}
    for assignment in args.set:
        key, sep, text = assignment.partition("=")
        if not sep or not key:
            sys.exit(f"--set {assignment}: expected KEY=VALUE")
        overrides[key] = yaml.safe_load(text)
    champions = evolution_generations(args.db, args.sweep)
    points = evolution_points(args.db, args.sweep)
    models = {model for model, _, _ in points.values()}
    if len(models) != 1:
        sys.exit(f"sweep '{args.sweep}': expected one model among its evolutions, found {sorted(models) or 'none'}")

    jobs = []
    for position, generations in sorted(champions.items()):
        _, params, rule_names = points[position]
        job = flattened(params)
        last = generations[-1]
        job.update(zip(rule_names, last["champion_rules"]))
        job.update(overrides)
        job["tags"] = {"evolution": position, "champion_fitness": last["champion_fitness"],
                       "generations": len(generations)}
        jobs.append(job)
    # What all jobs share goes to `params`; each job keeps its rules, tags and what differs.
    common = {key: value for key, value in jobs[0].items()
              if key != "tags" and all(key in job and job[key] == value for job in jobs)}
    jobs = [{key: value for key, value in job.items() if key not in common} for job in jobs]
    name = args.name or f"{args.sweep}_validation"
    with open(args.out, "w") as f:
        f.write(f"# The final champions of the evolutions of sweep '{args.sweep}' ({args.db}), one job each;\n"
                f"# written by tools/evolution_validation.py.\n")
        yaml.dump({"name": name, "model": models.pop(), "params": common, "jobs": jobs}, f,
                  Dumper=PlainDumper, sort_keys=False, width=120)
    print(f"wrote {args.out}: sweep {name}, {len(jobs)} champions")


if __name__ == "__main__":
    main()
