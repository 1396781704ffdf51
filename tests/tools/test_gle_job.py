"""tools/gle_job.py sweeps a GLE checkout's own script (here a stand-in with the same interface):
the `gle.*` parameters reach the script's params dict, the metrics it pickles become job metrics,
and a parameter the script does not have fails the job with its name instead of training anyway.

Usage: test_gle_job.py SWEEP_RUNNER_BINARY SOURCE_DIR
"""
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

binary, source = sys.argv[1], sys.argv[2]
checkout = os.path.join(source, "tests", "exec", "gle_standin")
tools = os.path.join(source, "tools")

with tempfile.TemporaryDirectory() as tmp:
    sweep = os.path.join(tmp, "gle.yaml")
    with open(sweep, "w") as f:
        f.write(f"""name: gle
model: exec
command: ["/usr/bin/python3", "{tools}/gle_job.py", "--checkout", "{checkout}",
          "experiments/mimic/lagline.py", "--model={{param:variant}}"]
env: {{PYTHONPATH: "{tools}"}}
timeout: 60
params: {{variant: gle, gle: {{use_neptune: false, T_train: 50}}}}
grid:
  gle.seed: [0, 2]
  gle.lr: [0.1, 0.5]
jobs:
  - {{gle.T_train: 50}}
  - {{gle.learning_rate: 0.1}}
""")
    out = os.path.join(tmp, "out")
    run = subprocess.run([binary, "run", sweep, "--out", out, "-j", "2", "-q"])
    assert run.returncode == 1, f"one job must fail, exit code {run.returncode}"

    with sqlite3.connect(os.path.join(out, "index.db")) as db:
        rows = db.execute(
            "SELECT j.params, j.status, j.error, m.value FROM jobs j "
            "LEFT JOIN metrics m ON m.job_id = j.id AND m.name = 'gle_metrics.loss.final'").fetchall()
    done = [(json.loads(p)["gle"], v) for p, s, e, v in rows if s == "done"]
    failed = [(json.loads(p)["gle"], e) for p, s, e, v in rows if s == "failed"]
    assert len(done) == 4 and len(failed) == 4, rows
    for gle, final in done:
        expected = (1 + gle["seed"]) / (1 + gle["lr"] * 49)
        assert abs(final - expected) < 1e-12, (gle, final, expected)
    for gle, error in failed:
        assert "params has no key 'learning_rate'" in error, error
print("gle_job: 4 runs with their overrides, 4 typos refused")
