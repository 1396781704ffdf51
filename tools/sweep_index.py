"""Reading a sweep_runner index from Python tools (Debian python3-pandas)."""
import sqlite3
import sys

import pandas as pd


def finished_jobs(db_path, sweep, model):
    """The done, current jobs of one model in a sweep: idx, block, params, tags (JSON text), payload_path.

    Exits with a message when there are none, which is what a plotting or export script wants.
    """
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        jobs = pd.read_sql_query(
            "SELECT j.idx, j.block, j.params, j.tags, j.payload_path FROM jobs j "
            "JOIN sweeps s ON s.id = j.sweep_id "
            "WHERE s.name = ? AND j.status = 'done' AND j.retired = 0 AND j.model = ? "
            "ORDER BY j.block, j.idx",
            db,
            params=(sweep, model),
        )
    if jobs.empty:
        sys.exit(f"no finished {model} jobs in sweep '{sweep}' of {db_path}")
    return jobs


def evolution_generations(db_path, sweep):
    """Per evolution (its position in the sweep) the list of generations, each a dict with
    `generation`, `champion_fitness`, `champion_rules` (list of rule strings) and `parent_fitness`
    (the new parents' fitness, best first). Exits with a message when the sweep has no evolutions."""
    import json

    runs = {}
    with sqlite3.connect(f"file:{db_path}?mode=ro", uri=True) as db:
        rows = db.execute(
            "SELECT e.id, e.position, g.generation, g.champion_fitness, g.champion_rules, g.parents "
            "FROM evolution_generations g JOIN evolutions e ON e.id = g.evolution_id "
            "JOIN sweeps s ON s.id = e.sweep_id WHERE s.name = ? ORDER BY e.position, g.generation",
            (sweep,),
        ).fetchall()
        for evolution_id, position, generation, fitness, rules, parents in rows:
            fitness_by_id = dict(
                db.execute(
                    "SELECT individual, fitness FROM evolution_individuals "
                    "WHERE evolution_id = ? AND generation = ?",
                    (evolution_id, generation),
                ).fetchall()
            )
            runs.setdefault(position, []).append(
                {
                    "generation": generation,
                    "champion_fitness": fitness,
                    "champion_rules": json.loads(rules),
                    "parent_fitness": [fitness_by_id[i] for i in json.loads(parents)],
                }
            )
    if not runs:
        sys.exit(f"no evolutions in sweep '{sweep}' of {db_path}")
    return runs
