"""Reading a sweep_runner index and its payloads from Python (standard library, pandas, h5py).

    import sys; sys.path.insert(0, "tools")
    from sweep_index import load, payload, stack

    df = load("results/index.db", "lr_scan")      # one row per job, indexed by (block, index)
    done = df[df.status == "done"]
    curves = stack(done, "curve")                 # n_jobs x ... numpy array
    arrays = payload(done.iloc[0])                # {"curve": array, ...}

Payload paths in the index are relative to the index's folder (so a results folder can be moved or
copied from a cluster); `load` resolves them, and `payload_path` holds paths that open from here.
Use Debian's /usr/bin/python3 (python3-pandas, python3-h5py).
"""
import contextlib
import hashlib
import json
import os
import sqlite3
import sys

import h5py
import numpy as np
import pandas as pd

# Job fields that are columns of `load`; a metric named like one of them, or like a parameter,
# becomes <name>_metric (the same rule as `sweep_runner results`).
JOB_COLUMNS = ["key", "status", "model", "attempts", "host", "rank", "started", "finished", "wall_seconds",
               "error", "payload_path", "payload_sha256"]


def _connect(db_path):
    if not os.path.exists(db_path):
        raise FileNotFoundError(f"{db_path}: no such index")
    # A WAL index in a folder we may not write (archived results, a colleague's folder) cannot be
    # opened read-only: the reader would have to create its -shm file. With no -wal file holding
    # changes (no runner writing, none crashed mid-run) the database file is complete: read it as
    # immutable, as `sweep_runner status` does.
    folder = os.path.dirname(os.path.abspath(db_path))
    wal = db_path + "-wal"
    if not os.access(folder, os.W_OK):
        if os.path.exists(wal) and os.path.getsize(wal) > 0:
            raise PermissionError(f"{db_path}: its folder is read-only and {wal} holds changes a runner has not "
                                  "checkpointed: open it where it can be written")
        return contextlib.closing(sqlite3.connect(f"file:{db_path}?immutable=1", uri=True))
    return contextlib.closing(sqlite3.connect(f"file:{db_path}?mode=ro", uri=True))


def sweeps(db_path):
    """Names of the sweeps in an index."""
    with _connect(db_path) as con:
        return [name for (name,) in con.execute("SELECT name FROM sweeps ORDER BY name")]


def _sweep_name(db_path, sweep):
    names = sweeps(db_path)
    if sweep is None:
        if len(names) != 1:
            raise ValueError(f"{db_path} holds {len(names)} sweeps ({', '.join(names)}): name one")
        return names[0]
    if sweep not in names:
        raise ValueError(f"no sweep named '{sweep}' in {db_path}")
    return sweep


def load(db_path, sweep=None):
    """One row per current job of a sweep (default: the index's only sweep), indexed by
    (block, index) in the sweep file's order: the job fields (key, status, attempts, host, rank,
    started, finished, wall_seconds, error, payload_path, payload_sha256), every parameter as a dotted column
    (stdp.ws.noise), every tag as tag.<name>, one column per metric (NaN where a job has none).
    Non-finite metrics stay inf / -inf. Retired jobs (no longer in the sweep file) are left out."""
    sweep = _sweep_name(db_path, sweep)
    with _connect(db_path) as con:
        jobs = pd.read_sql_query(
            "SELECT j.id, j.block, j.idx AS 'index', " + ", ".join("j." + c for c in JOB_COLUMNS) +
            ", j.params, j.tags FROM jobs j JOIN sweeps s ON s.id = j.sweep_id"
            # blocks in the order the sweep file first listed them (their first registered row)
            " JOIN (SELECT sweep_id, block, min(id) AS first_id FROM jobs GROUP BY sweep_id, block) b"
            " ON b.sweep_id = j.sweep_id AND b.block = j.block"
            " WHERE s.name = ? AND j.retired = 0 ORDER BY b.first_id, j.idx",
            con, params=(sweep,))
        metrics = pd.read_sql_query(
            "SELECT m.job_id AS id, m.name, m.value FROM metrics m"
            " JOIN jobs j ON j.id = m.job_id JOIN sweeps s ON s.id = j.sweep_id"
            " WHERE s.name = ? AND j.retired = 0",
            con, params=(sweep,))
    folder = os.path.dirname(os.path.abspath(db_path))
    jobs["payload_path"] = [None if p is None else os.path.normpath(os.path.join(folder, p))
                            for p in jobs["payload_path"]]
    params = pd.json_normalize([json.loads(p) for p in jobs.pop("params")])  # {"a": {"b": 1}} -> a.b
    tags = pd.json_normalize([json.loads(t) for t in jobs.pop("tags")]).add_prefix("tag.")
    wide = metrics.pivot(index="id", columns="name", values="value")  # one column per metric
    # SQLite keeps a NaN metric as NULL: it was NaN, and pandas reads NULL as NaN already.
    clash = set(params.columns) | set(jobs.columns)
    wide = wide.rename(columns={m: f"{m}_metric" for m in wide.columns if m in clash})
    df = pd.concat([jobs, params, tags], axis=1).join(wide, on="id")
    df = df.drop(columns="id").set_index(["block", "index"])
    df.attrs["db_path"] = db_path
    df.attrs["sweep"] = sweep
    return df


def _path_of(row):
    """The payload's path; for a row of `load`, only after its bytes match the index's checksum
    (a payload overwritten or truncated since its job ran raises ValueError)."""
    if isinstance(row, (str, os.PathLike)):
        return row
    path = row["payload_path"]
    if path is None or (isinstance(path, float) and np.isnan(path)):
        raise ValueError(f"job {row.get('key', '')[:12]} has no payload (status {row.get('status', '?')})")
    expected = row.get("payload_sha256")
    if isinstance(expected, str) and expected:
        digest = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                digest.update(chunk)
        if digest.hexdigest() != expected:
            raise ValueError(f"{path}: checksum mismatch: the index has {expected[:12]}, the file "
                             f"{digest.hexdigest()[:12]} (changed since its job ran; `sweep_runner verify` lists all)")
    return path


def payload(row):
    """Every dataset of a job's payload as a numpy array: {name: array}. `row` is a row of `load`
    (or a payload path)."""
    with h5py.File(_path_of(row), "r") as f:
        return {name: f[name][()] for name in f if isinstance(f[name], h5py.Dataset)}


def payload_attributes(row):
    """A payload's root attributes (key, sweep, model, params_json, ...) and its metrics."""
    with h5py.File(_path_of(row), "r") as f:
        # strings are stored as fixed-length UTF-8, which h5py returns as bytes
        attributes = {name: value.decode() if isinstance(value, bytes) else value for name, value in f.attrs.items()}
        metrics = {name: float(value) for name, value in f["metrics"].attrs.items()}
    return attributes, metrics


def stack(df, name):
    """The dataset `name` of every job in `df` (rows of `load`), stacked: an n_jobs x ... array.
    All jobs' arrays must have the same shape."""
    arrays = []
    for _, row in df.iterrows():
        with h5py.File(_path_of(row), "r") as f:
            if name not in f:
                raise KeyError(f"{row['payload_path']}: no dataset '{name}'")
            arrays.append(f[name][()])
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise ValueError(f"dataset '{name}' has different shapes across jobs: {sorted(shapes)}")
    return np.stack(arrays) if arrays else np.empty((0,))


def finished_jobs(db_path, sweep, model):
    """The done jobs of one model in a sweep, as rows of `load` with the (block, index) index as
    the columns block and idx, and `params` and `tags` as the index's JSON text.

    Exits with a message when there are none, which is what a plotting or export script wants.
    """
    df = load(db_path, sweep)
    df = df[(df.status == "done") & (df.model == model)]
    if df.empty:
        sys.exit(f"no finished {model} jobs in sweep '{sweep}' of {db_path}")
    with _connect(db_path) as con:
        texts = {key: (params, tags) for key, params, tags in con.execute(
            "SELECT j.key, j.params, j.tags FROM jobs j JOIN sweeps s ON s.id = j.sweep_id"
            " WHERE s.name = ? AND j.retired = 0", (df.attrs["sweep"],))}
    df = df.reset_index().rename(columns={"index": "idx"})
    df["params"] = [texts[k][0] for k in df.key]
    df["tags"] = [texts[k][1] for k in df.key]
    return df


def evolution_generations(db_path, sweep):
    """Per evolution (its position in the sweep) the list of generations, each a dict with
    `generation`, `champion_fitness`, `champion_rules` (list of rule strings) and `parent_fitness`
    (the new parents' fitness, best first). Exits with a message when the sweep has no evolutions."""
    runs = {}
    with _connect(db_path) as db:
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
