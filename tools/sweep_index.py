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
