"""tools/ssn_export.py writes what sal-code's train_bm.py saves: per experiment type an exp.yaml and
exp.NNNN.npz with its keys, dtypes and shapes, NNNN being the job's index in its block.

Usage: test_ssn_export.py SWEEP_RUNNER_BINARY SOURCE_DIR
"""
import os
import subprocess
import sys
import tempfile

import numpy as np
import yaml

binary, source = sys.argv[1], sys.argv[2]
with tempfile.TemporaryDirectory() as tmp:
    sweep = os.path.join(tmp, "tiny.yaml")
    with open(sweep, "w") as f:
        f.write(f"""name: tiny
model: ssn
params: {{num_epochs: 21, val_step: 10, val_factor: 2, dur: 200}}
blocks:
  - name: syn_noise
    base_file: {source}/sweeps/ssn/syn_noise/exp.yaml
    grid: {{init_noise: [0.0, 0.5], seed.init: [9002, 9003]}}
    derive: {{seed.sim: "7654 + index"}}
  - name: syn_noise_sal
    base_file: {source}/sweeps/ssn/syn_noise_sal/exp.yaml
    grid: {{init_noise: [0.5]}}
""")
    out = os.path.join(tmp, "out")
    subprocess.run([binary, "run", sweep, "--out", out, "-j", "2", "-q"], check=True)
    export = os.path.join(tmp, "export")
    subprocess.run([sys.executable, os.path.join(source, "tools", "ssn_export.py"),
                    os.path.join(out, "index.db"), "--sweep", "tiny", "-o", export], check=True)

    assert sorted(os.listdir(export)) == ["syn_noise", "syn_noise_sal"], os.listdir(export)
    runs = sorted(f for f in os.listdir(os.path.join(export, "syn_noise")) if f.endswith(".npz"))
    assert runs == [f"exp.{i:04d}.npz" for i in range(4)], runs
    with open(os.path.join(export, "syn_noise", "exp.yaml")) as f:
        config = yaml.safe_load(f)
    assert config["dim"] == 7 and config["num_epochs"] == 21, config
    validations = len(range(0, 21, 10))
    for name in runs:
        data = np.load(os.path.join(export, "syn_noise", name))
        shapes = {k: data[k].shape for k in data}
        assert shapes == {
            "dkls": (validations,), "target_distr": (128,), "all_distr": (validations, 128),
            "all_weights": (validations, 7, 7), "all_biases": (validations, 7), "all_asym": (validations,),
        }, shapes
        assert all(data[k].dtype == np.float32 for k in data), {k: data[k].dtype for k in data}
        assert abs(float(data["target_distr"].sum()) - 1.0) < 1e-5
        assert np.allclose(data["all_distr"].sum(axis=1), 1.0, atol=1e-5)
    # Job 2 of the block (init_noise 0.5, seed.init 9002) got seed.sim 7654 + 2.
    with open(os.path.join(export, "syn_noise", "exp.0002.yaml")) as f:
        run = yaml.safe_load(f)
    assert run["seed"]["sim"] == 7656 and run["init_noise"] == 0.5, run["seed"]
print("1 passed, 0 failed")
