"""tools/sal_plot.py on the Fig. 2e phase plane computed by sweep_runner (sweeps/sal_fig2e.yaml):
the SAL values sampled in the reference's notebook (tests/data/sal/fixtures.json "ppd") and its
claim, the attractor line on the diagonal for rectangular PSPs, recomputed as stddc's PPDMaker does.

Usage: test_sal_plot.py SWEEP_RUNNER_BINARY SOURCE_DIR
"""
import json
import os
import subprocess
import sys
import tempfile

binary, source = sys.argv[1], sys.argv[2]
with open(os.path.join(source, "tests", "data", "sal", "fixtures.json")) as f:
    ref = json.load(f)["ppd"]
with tempfile.TemporaryDirectory() as tmp:
    out = os.path.join(tmp, "out")
    subprocess.run([binary, "run", os.path.join(source, "sweeps", "sal_fig2e.yaml"), "--out", out, "-j", "2", "-q"],
                   check=True)
    db = os.path.join(out, "index.db")
    summary = json.loads(subprocess.run(
        [sys.executable, os.path.join(source, "tools", "sal_plot.py"), "ppd", db, "-o", os.path.join(tmp, "ppd.png")],
        check=True, capture_output=True, text=True).stdout)
    assert os.path.getsize(os.path.join(tmp, "ppd.png")) > 0
    assert summary["n_grid"] == ref["n_grid"] == 289, summary
    assert summary["antisym_maxabs"] == 0.0, summary  # sal_21 = −sal_12 exactly, as in the reference
    assert summary["diag_maxabs"] < 1e-15, summary
    # The attractor line lies on the diagonal (reference: 1.3e-16); its root count at the grid's
    # corners depends on values of order 1e-17 and is not compared.
    assert summary["boa_dev"] < 1e-12, summary
    assert 120 <= summary["boa_n"] <= 130, summary
    for w, root in summary["boa_first"] + summary["boa_last"]:
        assert abs(w - root) < 1e-12, summary

    # The sampled points of the notebook's grid, read back from the index.
    rows = json.loads(subprocess.run([binary, "results", db, "--sweep", "sal_fig2e", "--format", "json"],
                                     check=True, capture_output=True, text=True).stdout)
    for name, (sal_12, sal_21) in ref["samples"].items():
        w21, w12 = (float(part.split("=")[1]) for part in name.split(","))
        match = [r for r in rows if r["w_12"] == w21 and r["w_21"] == w12]
        assert len(match) == 1, (name, len(match))
        assert abs(match[0]["sal_12"] - sal_12) < 1e-10 and abs(match[0]["sal_21"] - sal_21) < 1e-10, (name, match[0])
print("ok")
