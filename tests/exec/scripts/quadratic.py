#!/usr/bin/python3
"""A stand-in for a training script: reads its parameters, 'trains' for `epochs` steps, writes
metrics and a loss curve. The output format follows the output file's extension (json, npz, h5)."""
import math
import sys
import time

import sweep_job  # tools/sweep_job.py (the sweeps put tools/ on PYTHONPATH)

p = sweep_job.params(sys.argv[1] if len(sys.argv) > 1 else None)
x, seed, epochs = float(p["x"]), int(p.get("seed", 0)), int(p.get("epochs", 5))
curve = [(x - 1.0) ** 2 * math.exp(-0.5 * e) + 0.001 * seed for e in range(epochs)]
time.sleep(float(p.get("sleep", 0.0)))
print("x=%g seed=%d final=%g" % (x, seed, curve[-1]))
sweep_job.write({"loss": curve[-1], "x_squared": x * x, "train": {"epochs": epochs}},
                arrays={"curve": curve, "steps": list(range(epochs))},
                path=sys.argv[2] if len(sys.argv) > 2 else None)
